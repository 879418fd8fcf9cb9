"""A loopback HTTP server speaking OpenAI, Anthropic and Gemini streaming.

Algorithm (one request):
1. Record it (path, headers, body bytes, tokens by ``count_tokens``).
2. Check the key the vendor's way (wrong key -> 401, or Gemini's 400
   ``API_KEY_INVALID``), in the vendor's error shape; ``api_key=None``
   turns checks off (local OpenAI-compatible servers need no key).
3. Take the next scripted fault, if any: a queued HTTP error is answered at
   once (with ``Retry-After`` when given); stream faults fire later.
4. Parse and check the body with the vendor's rules (400 on a violation).
5. Take the next reply from the ``Script`` (or the same reply again if the
   previous response was cut by a fault), cut it before the first stop
   sequence, bill the whole context in ``ledger``, and stream it in the
   script's chunks ``delay`` apart, framed by the vendor's ``Wire``.
6. A stream fault fires after ``after`` text chunks: ``drop`` closes the
   connection mid-body, ``stream_error`` sends the vendor's in-stream error
   and ends, ``malformed`` sends a broken frame and ends.
Paths are the vendors' own: ``/v1/chat/completions``, ``/v1/messages``,
``/v1beta/models/{model}:streamGenerateContent``, and each vendor's models
list (``GET /v1/models``, ``GET /v1beta/models``; shapes in
``fakes.http_models``). With ``models=[...]`` a request naming any other
model gets the vendor's 404 "model not found".
Run ``PYTHONPATH=tests python -m fakes.http_server --script replies.json``
for a demo server (the file holds a list of replies, or ``{"replies": [...],
"chunk": n, "delay": s}``); ``--record requests.jsonl`` appends each model
request's body there (what an editor test checks the model received).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from fakes.http_anthropic import WIRE as ANTHROPIC
from fakes.http_common import (
    MALFORMED,
    BadRequest,
    Fault,
    Plan,
    RecordedRequest,
    Wire,
    cut_at_limit,
    cut_at_stop,
)
from fakes.http_gemini import WIRE as GEMINI
from fakes.http_models import not_found, page
from fakes.http_openai import WIRE as OPENAI
from silcrow.testing import Ledger, Script, count_tokens

_BASES = {"openai": "/v1", "anthropic": "/v1", "gemini": "/v1beta"}
MAX_BODY = 64 * 1024 * 1024


class FakeHTTPServer:
    def __init__(
        self,
        script: Script | None = None,
        *,
        api_key: str | None = "test-key",
        omit_usage: bool = False,
        models: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record: Path | None = None,
    ) -> None:
        self.script = script or Script()
        self.models = models  # None: any model is served (and listed as the only one asked for)
        self.api_key = api_key
        self.omit_usage = omit_usage  # OpenAI chat: no usage chunk (older local servers)
        self.ledger = Ledger()
        self.requests: list[RecordedRequest] = []
        self.host = host
        self.port = port
        self._faults: deque[Fault] = deque()
        self._again: str | None = None  # reply to serve again after a cut response
        self._runner: web.AppRunner | None = None
        self.record = record  # a file each model request's JSON body is appended to, one a line

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> FakeHTTPServer:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/v1/chat/completions", self._route(OPENAI))
        app.router.add_post("/v1/messages", self._route(ANTHROPIC))
        app.router.add_post("/v1beta/models/{model_action}", self._route(GEMINI))
        app.router.add_get("/v1/models", self._listing)
        app.router.add_get("/v1beta/models", self._listing)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeHTTPServer:
        return await self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def base_url(self, vendor: str) -> str:
        if vendor not in _BASES:
            raise ValueError(f"unknown vendor {vendor!r}; use one of {', '.join(_BASES)}")
        return f"http://{self.host}:{self.port}{_BASES[vendor]}"

    # -- scripted faults ------------------------------------------------------
    def fail_next(
        self, status: int, *, times: int = 1, retry_after: float | None = None, message: str = ""
    ) -> None:
        """The next ``times`` requests get HTTP ``status`` in the vendor's error shape."""
        for _ in range(times):
            self._faults.append(
                Fault(
                    "status",
                    status=status,
                    retry_after=retry_after,
                    message=message or f"scripted failure {status}",
                )
            )

    def drop_after(self, n_chunks: int) -> None:
        """The next response is cut (connection closed) after ``n_chunks`` text chunks."""
        self._faults.append(Fault("drop", after=n_chunks))

    def error_mid_stream(self, after: int = 0, *, error_type: str = "", message: str = "") -> None:
        """The next response sends the vendor's in-stream error after ``after`` chunks."""
        self._faults.append(
            Fault("stream_error", after=after, error_type=error_type, message=message)
        )

    def malformed_after(self, n_chunks: int = 0) -> None:
        """The next response sends a frame that is not valid JSON after ``n_chunks`` chunks."""
        self._faults.append(Fault("malformed", after=n_chunks))

    # -- handling ---------------------------------------------------------------
    def _route(self, wire: Wire) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(wire, request)

        return handler

    def _error(
        self, wire: Wire, status: int, message: str, retry_after: float | None = None
    ) -> web.Response:
        headers = {}
        if retry_after is not None and not wire.retry_in_body:
            headers["retry-after"] = f"{retry_after:g}"
        return web.Response(
            status=status,
            body=wire.error(status, message, retry_after),
            content_type="application/json",
            headers=headers,
        )

    async def _listing(self, request: web.Request) -> web.Response:
        """``GET /v1/models`` (OpenAI or Anthropic, told apart by their key headers) or Gemini's."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.query)
        if request.path.startswith("/v1beta"):
            wire = GEMINI
        else:
            wire = ANTHROPIC if "anthropic-version" in headers else OPENAI
        self.requests.append(
            RecordedRequest(wire.vendor, request.path, query, headers, b"", None, 0, 0)
        )
        refused = None if self.api_key is None else wire.check_headers(headers, query, self.api_key)
        if refused is not None:
            return self._error(wire, *refused)
        if self._faults and self._faults[0].kind == "status":
            fault = self._faults.popleft()
            return self._error(wire, fault.status, fault.message, fault.retry_after)
        return web.json_response(page(wire.vendor, self.models or [], query))

    async def _handle(self, wire: Wire, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.query)
        refused = None if self.api_key is None else wire.check_headers(headers, query, self.api_key)
        fault = self._faults.popleft() if self._faults and refused is None else None
        self.requests.append(
            RecordedRequest(
                wire.vendor,
                request.path,
                query,
                headers,
                body,
                _loads(body),
                len(body),
                count_tokens(body.decode("utf-8", "replace")),
                fault,
            )
        )
        if self.record is not None:
            with self.record.open("a", encoding="utf-8") as out:
                out.write(json.dumps(_loads(body)) + "\n")
        if refused is not None:
            return self._error(wire, *refused)
        if fault is not None and fault.kind == "status":
            return self._error(wire, fault.status, fault.message, fault.retry_after)
        try:
            model, _, action = request.match_info.get("model_action", "").partition(":")
            if wire.vendor == "gemini" and action != "streamGenerateContent":
                raise BadRequest(f"this server serves streamGenerateContent, not {action!r}")
            parsed = wire.parse(_loads(body), model, query)
        except BadRequest as err:
            return self._error(wire, 400, str(err))
        if self.models is not None and parsed.model not in self.models:
            return self._error(wire, *not_found(wire.vendor, parsed.model))
        reply = self._again if self._again is not None else self.script.next_reply()
        self._again = reply
        text, hit = cut_at_stop(reply, parsed.stop)
        text, capped = cut_at_limit(text, parsed.max_output)
        hit = None if capped else hit
        bill = self.ledger.charge(context=parsed.context, output=text, received=body)
        chunks = list(self.script.chunks(text))
        plan = Plan(parsed, text, chunks, hit, bill, f"fake-{len(self.requests)}", capped)
        return await self._stream(wire, request, plan, fault)

    async def _stream(
        self, wire: Wire, request: web.Request, plan: Plan, fault: Fault | None
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        for frame in wire.head(plan):
            await response.write(frame)
        sent = ""
        for i, chunk in enumerate([*plan.chunks, None]):
            if fault is not None and i == min(fault.after, len(plan.chunks)):
                return await self._fire(wire, request, response, fault)
            if chunk is None:
                break
            sent += chunk
            await response.write(wire.delta(plan, chunk, sent))
            if self.script.delay:
                await asyncio.sleep(self.script.delay)
        for frame in wire.tail(plan, usage=not self.omit_usage):
            await response.write(frame)
        await response.write_eof()
        self._again = None
        return response

    async def _fire(
        self, wire: Wire, request: web.Request, response: web.StreamResponse, fault: Fault
    ) -> web.StreamResponse:
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            return response
        frame = (
            MALFORMED
            if fault.kind == "malformed"
            else wire.stream_error(fault.error_type, fault.message)
        )
        await response.write(frame)
        await response.write_eof()
        return response


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _script_from_file(path: Path) -> Script:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, list):
        return Script.of([str(r) for r in doc])
    if isinstance(doc, dict) and isinstance(doc.get("replies"), list):
        return Script.of(
            [str(r) for r in doc["replies"]],
            chunk=int(doc.get("chunk", 4)),
            delay=float(doc.get("delay", 0.0)),
        )
    raise SystemExit(f'{path}: expected a JSON list of replies or {{"replies": [...]}}')


async def _serve(script: Script, port: int, api_key: str | None, record: Path | None) -> None:
    async with FakeHTTPServer(script, api_key=api_key, port=port, record=record) as server:
        for vendor in _BASES:
            print(f"{vendor}: {server.base_url(vendor)}", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Loopback fake of the vendors' streaming HTTP APIs"
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--script", type=Path, help="JSON file with the replies to serve")
    parser.add_argument("--api-key", default="test-key", help="key to require ('' for none)")
    parser.add_argument(
        "--record", type=Path, help="append each model request's JSON body to this file, one a line"
    )
    args = parser.parse_args(argv)
    script = _script_from_file(args.script) if args.script else Script()
    try:
        asyncio.run(_serve(script, args.port, args.api_key or None, args.record))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
