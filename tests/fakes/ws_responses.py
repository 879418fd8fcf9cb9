"""Fake OpenAI Responses API WebSocket mode (``/v1/responses``).

Algorithm:
1. ``admit``: the Bearer key is checked before the upgrade (HTTP 401 JSON).
2. Client frames are served one at a time, in order: a second
   ``response.create`` waits until the first response is done (one response
   at a time per connection, first in, first out).
3. ``response.create``: ``previous_response_id`` must name either the most
   recent response of this connection (the connection-local cache holds
   that one only) or a response stored with ``store`` true (the API's
   default; kept server-wide, any connection may chain from it). Anything
   else, e.g. an older response made with ``store: false``, gets an
   ``error`` with code ``previous_response_not_found``, as OpenAI's
   WebSocket-mode guide describes. The context is the chain's items plus
   the new ``input`` items; ``instructions`` apply to this response only.
4. ``generate: false`` stores the context under a new response id and
   answers ``response.created`` + ``response.completed`` with no output and
   no bill. Otherwise the script streams the Responses SSE events as JSON
   frames (created, in_progress, output_item.added, content_part.added,
   output_text.delta..., the three ``done`` events, ``response.completed``
   with usage billed on the whole context).
5. After ``faults.session_limit`` responses the next frame gets
   ``session_expired`` and a 1001 close.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from fakes.ws_server import FakeConn, FakeWSServer

Item = dict[str, Any]
ROLES = {
    "user": "input_text",
    "system": "input_text",
    "developer": "input_text",
    "assistant": "output_text",
}


def admit(server: FakeWSServer, request: web.Request) -> web.StreamResponse | None:
    auth = request.headers.get("Authorization", "")
    key = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None
    if server.key_ok(key):
        return None
    error = {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
    return web.json_response({"error": error}, status=401)


@dataclass
class ResponsesState:
    """One connection: every response it made (for inspection) and the one it caches.

    Only ``last_id`` can be chained from without ``store``; ``responses``
    keeps the rest so tests can read any transcript.
    """

    responses: dict[str, list[Item]] = field(default_factory=dict)
    last_id: str = ""
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def chain(self, previous: str, stored: dict[str, list[Item]]) -> list[Item] | None:
        """The items a ``previous_response_id`` stands for, or None if the server forgot it."""
        if previous == self.last_id and previous in self.responses:
            return self.responses[previous]
        return stored.get(previous)

    def transcript(self, response_id: str | None = None) -> list[tuple[str, str]]:
        """(role, text) of a response's whole conversation (default: the last one)."""
        return [
            (item["role"], item_text(item))
            for item in self.responses.get(response_id or self.last_id, [])
        ]


def item_text(item: Item) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content or [] if isinstance(part, dict))


def input_items(raw: Any) -> tuple[list[Item], str | None]:
    """Normalise ``input``; return (items, problem)."""
    if isinstance(raw, str):
        return [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": raw}]}
        ], None
    if not isinstance(raw, list):
        return [], "'input' must be a string or a list of items."
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("role") not in ROLES:
            return (
                [],
                f"input[{index}] must be a message item with role user, system, developer or assistant.",
            )
        content = item.get("content")
        parts = [] if isinstance(content, str) else content
        for part in parts if isinstance(parts, list) else [None]:
            if not isinstance(part, dict) or part.get("type") != ROLES[item["role"]]:
                return (
                    [],
                    f"input[{index}].content: a {item['role']} message takes '{ROLES[item['role']]}' parts.",
                )
    return list(raw), None


async def serve(conn: FakeConn) -> None:
    state = conn.state = ResponsesState()
    async for frame in conn.client_frames():
        if conn.over_limit():
            await conn.expire()
            return
        if frame.get("type") != "response.create":
            await conn.error(
                "invalid_type", f"Unsupported event type {frame.get('type')!r}.", param="type"
            )
            continue
        await create(conn, state, frame)


async def create(conn: FakeConn, state: ResponsesState, frame: Item) -> None:
    problem = (
        None if isinstance(frame.get("model"), str) else "Missing required parameter: 'model'."
    )
    if frame.get("background") or "stream" in frame:
        problem = "'stream' and 'background' are not used over WebSocket."
    items, bad_input = input_items(frame.get("input", []))
    if problem or bad_input:
        await conn.error("invalid_request", str(problem or bad_input))
        return
    previous = frame.get("previous_response_id")
    chained = [] if previous is None else state.chain(previous, conn.server.stored)
    if chained is None:
        message = f"Previous response with id '{previous}' not found."
        await conn.error("previous_response_not_found", message, param="previous_response_id")
        return
    context = [*chained, *items]
    run = _Run(conn, state, f"resp_{conn.index}_{next(state.ids)}", frame)
    if frame.get("generate") is False:
        await run.warm(context)
    else:
        await run.generate(context)


class _Run:
    """One response: numbered events and the stored result."""

    def __init__(
        self, conn: FakeConn, state: ResponsesState, response_id: str, frame: Item
    ) -> None:
        self.conn, self.state, self.id, self.frame = conn, state, response_id, frame
        self.seq = itertools.count()

    async def event(self, kind: str, **fields: Any) -> None:
        await self.conn.send({"type": kind, "sequence_number": next(self.seq), **fields})

    def body(self, status: str, output: list[Item], usage: Item | None) -> Item:
        return {
            "id": self.id,
            "object": "response",
            "status": status,
            "model": self.frame.get("model"),
            "output": output,
            "usage": usage,
            "store": self.frame.get("store", True),
        }

    def store(self, items: list[Item]) -> None:
        self.state.responses[self.id] = items
        self.state.last_id = self.id
        if self.frame.get("store", True) is not False:
            self.conn.server.stored[self.id] = items

    async def warm(self, context: list[Item]) -> None:
        self.store(context)
        await self.event("response.created", response=self.body("in_progress", [], None))
        zero = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
        await self.event("response.completed", response=self.body("completed", [], zero))

    async def generate(self, context: list[Item]) -> None:
        item_id = f"msg_{self.id}"
        item: Item = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        await self.event("response.created", response=self.body("in_progress", [], None))
        await self.event("response.in_progress", response=self.body("in_progress", [], None))
        await self.event("response.output_item.added", output_index=0, item=item)
        part: Item = {"type": "output_text", "text": "", "annotations": []}
        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        await self.event("response.content_part.added", **where, part=part)

        async def delta(chunk: str) -> None:
            await self.event("response.output_text.delta", **where, delta=chunk, logprobs=[])

        text, _ = await self.conn.stream(delta, asyncio.Event())
        part = {**part, "text": text}
        item = {**item, "status": "completed", "content": [part]}
        await self.event("response.output_text.done", **where, text=text, logprobs=[])
        await self.event("response.content_part.done", **where, part=part)
        await self.event("response.output_item.done", output_index=0, item=item)
        self.store([*context, item])
        await self.event(
            "response.completed", response=self.body("completed", [item], self.usage(context, text))
        )

    def usage(self, context: list[Item], text: str) -> Item:
        instructions = self.frame.get("instructions") or ""
        seen = [("instructions", str(instructions))] + [(i["role"], item_text(i)) for i in context]
        bill = self.conn.bill(self.conn.render(seen), text)
        return {
            "input_tokens": bill.input_tokens,
            "input_tokens_details": {"cached_tokens": bill.cached_tokens},
            "output_tokens": bill.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": bill.input_tokens + bill.output_tokens,
        }
