"""The fast ``initialize`` answer, sent before pygls has finished importing.

Importing pygls costs ~0.3 s (lsprotocol builds thousands of attrs
classes), more than the whole start-up budget. So ``silcrow serve`` starts
the stdin reader first; when the first frame is an ``initialize`` request,
``FastInit.answer`` replies at once with the server's (static) capabilities,
choosing the position encoding by pygls' rule. The frame is still handed to
pygls afterwards, which sets up its workspace and the daemon from it; its
own reply to that request id is dropped (``SilcrowProtocol.preanswered``).
A test checks that this answer equals the one pygls computes.

Only the standard library is imported here.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, BinaryIO

from silcrow import __version__

log = logging.getLogger(__name__)

ENCODINGS = ("utf-8", "utf-16", "utf-32")
COMMANDS = ("silcrow.ask", "silcrow.explain", "silcrow.fix")


def position_encoding(params: dict[str, Any]) -> str:
    general = (params.get("capabilities") or {}).get("general") or {}
    for encoding in general.get("positionEncodings") or ():
        if encoding in ENCODINGS:
            return str(encoding)
    return "utf-16"


def initialize_result(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "capabilities": {
            "positionEncoding": position_encoding(params),
            "textDocumentSync": {
                "openClose": True,
                "change": 2,
                "willSave": False,
                "willSaveWaitUntil": False,
                "save": False,
            },
            "codeActionProvider": {"codeActionKinds": ["refactor"]},
            "executeCommandProvider": {"commands": list(COMMANDS)},
            "workspace": {
                "workspaceFolders": {"supported": True, "changeNotifications": True},
                "fileOperations": {},
            },
        },
        "serverInfo": {"name": "silcrow", "version": __version__},
    }


class FastInit:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.answered: set[Any] = set()
        self._lock = threading.Lock()

    def answer(self, frame: Any) -> None:
        """Reply to ``frame`` if it is an ``initialize`` request; anything else is left to pygls."""
        try:
            message = json.loads(frame.body)
        except (ValueError, RecursionError):
            return
        if (
            not isinstance(message, dict)
            or message.get("method") != "initialize"
            or "id" not in message
        ):
            return
        raw = message.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        body = json.dumps(
            {"jsonrpc": "2.0", "id": message["id"], "result": initialize_result(params)}
        )
        data = body.encode("utf-8")
        with self._lock:
            self.out.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
            self.out.flush()
            self.answered.add(message["id"])
