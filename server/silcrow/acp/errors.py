"""The JSON-RPC errors ``silcrow acp`` answers with, always with an object in ``data``.

``acp_error(code, message, **extra)`` is the SDK's ``RequestError`` with the
message also in ``data.details`` (plus ``extra``, e.g. the ``sessionId``).
An error whose ``data`` is ``null`` is valid JSON-RPC, but some ACP clients
index into ``data`` without checking (CodeCompanion fails on it), so ``data``
is never null here.
"""

from __future__ import annotations

from acp import RequestError

INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
NOT_FOUND = -32002


def acp_error(code: int, message: str, **extra: object) -> RequestError:
    return RequestError(code, message, {"details": message, **extra})
