"""JSON-RPC framing for tests that talk to ``silcrow serve`` over raw pipes."""

from __future__ import annotations

import json
from typing import Any


def frame(message: dict[str, Any]) -> bytes:
    """``message`` as one LSP frame: a Content-Length header and the JSON body."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
