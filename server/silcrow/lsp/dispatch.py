"""The dispatcher: decodes each frame for pygls and guards every step, without popup floods.

pygls 2.1.1's own reader turns every undecodable frame into a
``window/showMessage`` popup; this replaces that part of it, for items
from ``silcrow.lsp.stdin`` (stdio) and ``silcrow.lsp.tcpgate`` (TCP).

Algorithm:
1. ``Dispatcher(item)`` takes ``Frame``, ``BadFrame`` or ``EOF``
   (``silcrow.lsp.frames``); ``EOF`` calls ``on_stop(0)``.
2. A frame is decoded with the protocol's ``structure_message`` hook and
   handed to ``protocol.handle_message``. A frame that is not JSON (JSON
   nested too deep to decode counts as not JSON), and every ``BadFrame``,
   is logged; only the first one per connection also shows a popup.
3. A request whose params do not fit its LSP type gets an InvalidParams
   error response instead of a popup (when its id is a number or a string;
   one that is not is only logged).
4. ``exit`` (pygls raises ``SystemExit``) calls ``on_stop`` with its code;
   any other exception from a handler is logged, never raised to the reader.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from silcrow.lsp.frames import BadFrame, Eof, Item

log = logging.getLogger(__name__)


class Dispatcher:
    """Decodes frames and hands them to a pygls protocol, guarding every step."""

    def __init__(
        self,
        protocol: Any,
        on_stop: Callable[[int], None],
        popup: Callable[[str], None],
    ) -> None:
        self.protocol = protocol
        self._on_stop = on_stop
        self._popup = popup
        self._popped = False

    def __call__(self, item: Item) -> None:
        if isinstance(item, Eof):
            self._on_stop(0)
        elif isinstance(item, BadFrame):
            self._bad(item.reason)
        else:
            self._frame(item.body)

    def _bad(self, reason: str) -> None:
        log.error("malformed LSP frame: %s", reason)
        if not self._popped:
            self._popped = True
            self._popup(f"Silcrow received a malformed message ({reason}); see the log.")

    def _frame(self, body: bytes) -> None:
        from pygls.exceptions import JsonRpcException

        try:
            message = json.loads(body, object_hook=self.protocol.structure_message)
        except JsonRpcException as exc:
            self._invalid(body, exc)
            return
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
            self._bad(f"not JSON: {exc}")
            return
        if not hasattr(message, "jsonrpc"):
            self._bad("not a JSON-RPC message")
            return
        try:
            self.protocol.handle_message(message)
        except SystemExit as exc:
            self._on_stop(exc.code if isinstance(exc.code, int) else 0)
        except Exception:
            log.exception("handling a message failed")

    def _invalid(self, body: bytes, exc: Exception) -> None:
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError) as bad:  # the hook failed before the JSON did
            self._bad(f"not JSON: {bad}")
            return
        log.error("message does not fit its LSP type: %s", exc)
        msg_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(msg_id, int | str) and not isinstance(msg_id, bool) and "method" in raw:
            from pygls.exceptions import JsonRpcInvalidParams

            error = (
                exc
                if isinstance(exc, JsonRpcInvalidParams) and exc.message != exc.MESSAGE
                else (
                    JsonRpcInvalidParams(
                        f"params of {raw['method']} do not fit the LSP type; check the field names and types"
                    )
                )
            )
            self.protocol._send_response(msg_id, error=error.to_response_error())
        else:
            self._bad(f"params of {raw.get('method') if isinstance(raw, dict) else '?'} do not fit")
