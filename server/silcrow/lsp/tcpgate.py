"""The door of ``serve --tcp``: loopback only, a token, and LSP frames from the first byte.

Any local process (and any web page, through the browser) can connect to a
loopback port, so a TCP connection is admitted only when it proves it read
the token file. This module is sans-I/O; ``silcrow.lsp.server`` drives it.

Algorithm:
1. ``loopback_host(host)``: ``localhost`` (or nothing) means ``127.0.0.1``;
   otherwise the host must be a literal loopback address (``127.0.0.0/8``,
   ``::1``). Anything else - ``0.0.0.0``, a LAN address, a host name that
   DNS could point anywhere - raises ``ValueError`` naming the fix.
2. ``TokenFile.create(new_token(), port)``: a random token (``secrets``, 256 bits) written
   to ``tcp-<port>.token`` in ``token_dir()`` (``$XDG_RUNTIME_DIR/silcrow``,
   else the user data dir), a folder made ``0700`` and refused when it is a
   symlink or not the user's; the file is created ``0600`` with
   ``O_EXCL | O_NOFOLLOW`` (a stale one is unlinked first) and removed when
   the server stops.
3. ``Gate(token).feed(data)`` for each chunk a connection sends, until it
   answers ``Admitted`` or ``Dropped`` (``None`` = need more bytes):
   a. the first bytes must spell ``Content-Length:`` (any letter case), so
      an HTTP request (``POST / HTTP/1.1`` carrying LSP frames in its body),
      a WebSocket upgrade or junk is dropped at once;
   b. the first frame (at most ``MAX_FIRST_FRAME`` bytes) must be a JSON-RPC
      ``initialize`` request whose ``initializationOptions.token`` equals the
      token (``hmac.compare_digest``: constant time). A missing or wrong
      token is dropped with one error response saying what to send; any
      other first frame is dropped without a reply;
   c. admitted: the first frame, with the token removed, and whatever
      frames followed it are handed on; ``gate.parser`` keeps reading the
      connection with the normal frame limits.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from silcrow.lsp.frames import MAX_BODY, BadFrame, Frame, FrameParser

PREFIX = b"content-length:"
MAX_FIRST_FRAME = 1024 * 1024
AUTH_SECONDS = 10.0  # a connection that has not sent a tokened initialize by then is dropped
TOKEN_OPTION = "token"
WRONG_TOKEN = (
    "initializationOptions.token is missing or wrong: send the token `silcrow serve --tcp` "
    "printed at start (it is also in the token file it named)"
)


def loopback_host(host: str) -> str:
    """The address to bind for ``host``; ``ValueError`` unless it is a loopback address."""
    bare = host.strip().removeprefix("[").removesuffix("]")
    if bare in ("", "localhost"):
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(
            f"--tcp listens on loopback only: use 127.0.0.1, ::1 or localhost (got {host!r}); "
            "to reach the daemon from another machine, forward the port over SSH"
        )
    return str(address)


def token_dir() -> Path:
    """Where token files live: ``$XDG_RUNTIME_DIR/silcrow``, else the user data dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime:
        return Path(runtime) / "silcrow"
    from platformdirs import user_data_dir

    return Path(user_data_dir("silcrow"))


def _private_dir(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{folder} is not a folder of your own; remove it or set XDG_RUNTIME_DIR")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(folder, 0o700)
    return folder


def new_token() -> str:
    """256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenFile:
    token: str
    path: Path

    @classmethod
    def create(cls, token: str, port: int, folder: Path | None = None) -> TokenFile:
        """``token`` written to a file only the user can read."""
        path = _private_dir(folder or token_dir()) / f"tcp-{port}.token"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(token + "\n")
        return cls(token, path)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass(frozen=True)
class Admitted:
    items: list[Frame | BadFrame]


@dataclass(frozen=True)
class Dropped:
    reason: str
    reply: bytes = b""


def _error_reply(msg_id: Any, message: str) -> bytes:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32600, "message": message}}
    ).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class Gate:
    """Decides, from the bytes a TCP connection sends first, whether to serve it."""

    def __init__(self, token: str, max_first: int = MAX_FIRST_FRAME) -> None:
        self._token = token.encode("utf-8")
        self._head = b""
        self.parser = FrameParser(max_body=max_first)

    def feed(self, data: bytes) -> Admitted | Dropped | None:
        if len(self._head) < len(PREFIX):
            self._head += data[: len(PREFIX) - len(self._head)]
            if not PREFIX.startswith(self._head.lower()):
                return Dropped(f"the first bytes are not a Content-Length header: {self._head!r}")
        items = self.parser.feed(data)
        if not items:
            return None
        first = items[0]
        if isinstance(first, BadFrame):
            return Dropped(f"the first frame is malformed: {first.reason}")
        verdict = self._check(first.body)
        if isinstance(verdict, Dropped):
            return verdict
        self.parser.max_body = MAX_BODY
        return Admitted([Frame(verdict), *items[1:]])

    def _check(self, body: bytes) -> bytes | Dropped:
        """The first frame's body without the token, or why the connection is dropped."""
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            return Dropped("the first frame is not JSON")
        if (
            not isinstance(message, dict)
            or message.get("method") != "initialize"
            or "id" not in message
        ):
            return Dropped("the first message is not an initialize request")
        params = message.get("params")
        options = params.get("initializationOptions") if isinstance(params, dict) else None
        sent = options.get(TOKEN_OPTION) if isinstance(options, dict) else None
        msg_id = message["id"] if isinstance(message["id"], int | str) else None
        if not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode("utf-8", "surrogatepass"), self._token
        ):
            return Dropped("missing or wrong token", _error_reply(msg_id, WRONG_TOKEN))
        assert isinstance(options, dict)
        del options[TOKEN_OPTION]
        return json.dumps(message).encode("utf-8")
