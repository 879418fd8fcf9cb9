"""Fake OpenAI Realtime API, GA protocol (``/v1/realtime?model=...``).

Algorithm:
1. ``admit``: the Bearer key is checked before the upgrade (HTTP 401 JSON).
   After the upgrade an ``OpenAI-Beta`` header draws an ``error``
   (``beta_api_shape_disabled``) and a close; otherwise ``session.created``.
2. The reader loop serves ``session.update`` (``session.type`` required,
   partial merge, ``session.updated``), ``conversation.item.create`` (client
   ids kept, ``previous_item_id`` honoured, ``added`` + ``done``),
   ``conversation.item.delete``, ``response.create`` and ``response.cancel``.
3. One response at a time: a second ``response.create`` gets
   ``conversation_already_has_active_response`` and nothing else. A response
   runs as a task, in the GA event order: response.created,
   rate_limits.updated, output_item.added, conversation.item.added,
   content_part.added, output_text.delta..., output_text.done,
   content_part.done, output_item.done, conversation.item.done,
   response.done (usage billed on instructions + every item).
4. ``response.cancel`` stops the stream between chunks; the done events
   still follow, with status ``cancelled`` / ``client_cancelled``. A cancel
   with no response active draws an error echoing the client ``event_id``.
5. After ``faults.session_limit`` responses the next frame gets
   ``session_expired`` and a 1001 close.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakes.ws_responses import admit as _bearer_admit
from fakes.ws_responses import item_text

if TYPE_CHECKING:
    from fakes.ws_server import FakeConn, FakeWSServer

Item = dict[str, Any]
PART = {"user": "input_text", "system": "input_text", "assistant": "output_text"}


def admit(server: FakeWSServer, request: web.Request) -> web.StreamResponse | None:
    return _bearer_admit(server, request)


@dataclass
class _Active:
    response_id: str
    stopped: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class RealtimeState:
    """One conversation: the effective session config and its items."""

    session: Item
    items: list[Item] = field(default_factory=list)
    active: _Active | None = None
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def transcript(self) -> list[tuple[str, str]]:
        return [(item["role"], item_text(item)) for item in self.items]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):06d}"


def default_session(model: str) -> Item:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": "sess_fake",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "You are a helpful assistant.",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "truncation": "auto",
        "audio": {
            "input": {"turn_detection": {"type": "server_vad"}},
            "output": {"voice": "alloy"},
        },
    }


def merge(base: Item, update: Item) -> Item:
    out = dict(base)
    for key, value in update.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge(out[key], value) if nested else value
    return out


async def serve(conn: FakeConn) -> None:
    state = conn.state = RealtimeState(default_session(conn.request.query.get("model", "")))
    if conn.request.headers.get("OpenAI-Beta"):
        await conn.error(
            "beta_api_shape_disabled", "The Realtime beta API shape is no longer supported."
        )
        await conn.close(1000, "beta api shape disabled")
        return
    await send(conn, "session.created", session=state.session)
    async for frame in conn.client_frames():
        if conn.over_limit() and state.active is None:
            await conn.expire()
            return
        handler = HANDLERS.get(str(frame.get("type")))
        if handler is None:
            await conn.error(
                "invalid_value",
                f"Unknown event type {frame.get('type')!r}.",
                param="type",
                event_id=frame.get("event_id"),
            )
            continue
        await handler(conn, state, frame)


async def send(conn: FakeConn, kind: str, **fields: Any) -> None:
    conn.events_sent += 1
    await conn.send({"type": kind, "event_id": f"event_{conn.index}_{conn.events_sent}", **fields})


async def session_update(conn: FakeConn, state: RealtimeState, frame: Item) -> None:
    update = frame.get("session")
    if not isinstance(update, dict) or update.get("type") != "realtime":
        await conn.error(
            "missing_required_parameter",
            "Missing required parameter: 'session.type'.",
            param="session.type",
            event_id=frame.get("event_id"),
        )
        return
    state.session = merge(state.session, update)
    await send(conn, "session.updated", session=state.session)


def check_item(item: Any, ids: set[str]) -> str | None:
    if not isinstance(item, dict) or item.get("type") != "message" or item.get("role") not in PART:
        return "item must be a message with role user, system or assistant."
    parts = item.get("content")
    if not isinstance(parts, list) or any(p.get("type") != PART[item["role"]] for p in parts):
        return f"a {item['role']} message takes '{PART[item['role']]}' content parts."
    if item.get("id") in ids:
        return f"Item with id '{item['id']}' already exists."
    return None


async def item_create(conn: FakeConn, state: RealtimeState, frame: Item) -> None:
    raw, after = frame.get("item"), frame.get("previous_item_id")
    ids = [i["id"] for i in state.items]
    problem = check_item(raw, set(ids))
    if problem is None and after not in (None, "root") and after not in ids:
        problem = f"previous_item_id '{after}' does not exist."
    if problem:
        await conn.error("invalid_value", problem, param="item", event_id=frame.get("event_id"))
        return
    item: Item = dict(raw) if isinstance(raw, dict) else {}
    item.update(
        id=item.get("id") or state.new_id("item"), object="realtime.item", status="completed"
    )
    at = len(ids) if after is None else 0 if after == "root" else ids.index(after) + 1
    state.items.insert(at, item)
    before = state.items[at - 1]["id"] if at else None
    await send(conn, "conversation.item.added", previous_item_id=before, item=item)
    await send(conn, "conversation.item.done", previous_item_id=before, item=item)


async def item_delete(conn: FakeConn, state: RealtimeState, frame: Item) -> None:
    found = [i for i in state.items if i["id"] == frame.get("item_id")]
    if not found:
        await conn.error(
            "item_not_found",
            f"Item with id '{frame.get('item_id')}' not found.",
            param="item_id",
            event_id=frame.get("event_id"),
        )
        return
    state.items.remove(found[0])
    await send(conn, "conversation.item.deleted", item_id=found[0]["id"])


async def response_create(conn: FakeConn, state: RealtimeState, frame: Item) -> None:
    if state.active is not None:
        message = (
            f"Conversation already has an active response in progress: {state.active.response_id}."
        )
        await conn.error(
            "conversation_already_has_active_response", message, event_id=frame.get("event_id")
        )
        return
    state.active = _Active(state.new_id("resp"))
    conn.spawn(respond(conn, state, state.active))


async def response_cancel(conn: FakeConn, state: RealtimeState, frame: Item) -> None:
    wanted = frame.get("response_id")
    if state.active is None or wanted not in (None, state.active.response_id):
        await conn.error(
            "response_cancel_not_active",
            "Cancellation failed: no active response found.",
            event_id=frame.get("event_id"),
        )
        return
    state.active.stopped.set()


HANDLERS: dict[str, Callable[[FakeConn, RealtimeState, Item], Awaitable[None]]] = {
    "session.update": session_update,
    "conversation.item.create": item_create,
    "conversation.item.delete": item_delete,
    "response.create": response_create,
    "response.cancel": response_cancel,
}


async def respond(conn: FakeConn, state: RealtimeState, active: _Active) -> None:
    """Stream one response in the GA event order; bill it on its whole context."""
    rid = active.response_id
    seen = [("instructions", str(state.session.get("instructions") or "")), *state.transcript()]
    text_mode = state.session.get("output_modalities") == ["text"]
    part_type, delta_event = (
        ("output_text", "response.output_text")
        if text_mode
        else ("output_audio", "response.output_audio_transcript")
    )
    item: Item = {
        "id": state.new_id("item"),
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    where = {"response_id": rid, "item_id": item["id"], "output_index": 0, "content_index": 0}
    before = state.items[-1]["id"] if state.items else None
    state.items.append(item)
    await send(conn, "response.created", response=body(rid, "in_progress", None, [], None))
    limits = [
        {"name": n, "limit": 10_000, "remaining": 9_999, "reset_seconds": 1.0}
        for n in ("requests", "tokens")
    ]
    await send(conn, "rate_limits.updated", rate_limits=limits)
    await send(conn, "response.output_item.added", response_id=rid, output_index=0, item=item)
    await send(conn, "conversation.item.added", previous_item_id=before, item=item)
    await send(conn, "response.content_part.added", **where, part={"type": part_type, "text": ""})

    async def delta(chunk: str) -> None:
        await send(conn, f"{delta_event}.delta", **where, delta=chunk)

    text, completed = await conn.stream(delta, active.stopped)
    part = {"type": part_type, "text": text}
    item.update(content=[part], status="completed" if completed else "incomplete")
    await send(conn, f"{delta_event}.done", **where, text=text)
    await send(conn, "response.content_part.done", **where, part=part)
    await send(conn, "response.output_item.done", response_id=rid, output_index=0, item=item)
    await send(conn, "conversation.item.done", previous_item_id=before, item=item)
    bill = conn.bill(conn.render(seen), text)
    usage = {
        "total_tokens": bill.input_tokens + bill.output_tokens,
        "input_tokens": bill.input_tokens,
        "output_tokens": bill.output_tokens,
        "input_token_details": {
            "text_tokens": bill.input_tokens,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": bill.cached_tokens,
        },
        "output_token_details": {"text_tokens": bill.output_tokens, "audio_tokens": 0},
    }
    status, details = (
        ("completed", None)
        if completed
        else ("cancelled", {"type": "cancelled", "reason": "client_cancelled"})
    )
    state.active = None
    await send(conn, "response.done", response=body(rid, status, details, [item], usage))


def body(
    rid: str, status: str, details: Item | None, output: list[Item], usage: Item | None
) -> Item:
    return {
        "id": rid,
        "object": "realtime.response",
        "status": status,
        "status_details": details,
        "output": output,
        "usage": usage,
    }
