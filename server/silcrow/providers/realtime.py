"""OpenAI Realtime API (GA), text only, as a live session.

Algorithm:
1. Open: dial ``.../realtime?model=...`` with Bearer auth and no OpenAI-Beta
   header; wait for ``session.created``; send ``session.update`` (type
   ``realtime``, text output, the system message as instructions, VAD off,
   no tools); create each history message as a conversation item with a
   client-chosen id (user ``input_text``, assistant ``output_text``); wait
   until the server confirms the last item. Nothing is generated.
2. ``send(text)``: create the user item, then ``response.create``; stream
   ``response.output_text.delta``; the reply ends only at ``response.done``,
   whose status becomes one ``Stop`` (``live.stops``) and whose usage one
   ``Usage``.
3. ``truncate(kept)``: send ``response.cancel`` at once and read to
   ``response.done`` (one response in flight at a time), then
   ``conversation.item.delete`` the assistant item and create it again with
   the same id, right after the user item, holding exactly ``kept``. A cancel
   that reaches the server after the response ended draws an error; it is
   recognised by the cancel's ``event_id`` and ignored. The usage of a
   cancelled response is added to the next ``Usage``.
``Usage.sent_bytes`` counts every frame sent since the previous ``Usage``
(the first reply also carries the opening upload, later ones the frames of a cut).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from silcrow.providers.base import Message, StreamItem, TextDelta, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor, error_for
from silcrow.providers.live.events import Ack, Failed, Finished, Started, Text, WireEvent
from silcrow.providers.live.frames import Frame, new_id, obj
from silcrow.providers.live.session import LiveSessionBase
from silcrow.providers.live.setup import endpoint, holds, require_key, split_system
from silcrow.providers.live.stops import openai_stop
from silcrow.providers.live.wire import Connect, Wire, dial

VENDOR = LiveVendor(
    "OpenAI Realtime",
    codes={
        "beta_api_shape_disabled": (
            "The server refused the beta Realtime protocol; connect without the OpenAI-Beta "
            "header (Silcrow speaks the GA protocol) and use a current gpt-realtime model."
        ),
    },
)


# --- sans-I/O wire translation ---------------------------------------------


def message_item(role: str, text: str, item_id: str) -> Frame:
    kind = "output_text" if role == "assistant" else "input_text"
    return {
        "id": item_id,
        "type": "message",
        "role": role,
        "content": [{"type": kind, "text": text}],
    }


def session_config(cfg: ProviderConfig, instructions: str) -> Frame:
    return {
        "type": "realtime",
        "output_modalities": ["text"],
        "instructions": instructions,
        "tools": [],
        "max_output_tokens": min(max(cfg.max_output_tokens, 1), 4096),
        "audio": {"input": {"turn_detection": None}},
    }


def usage_of(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = obj(raw.get("input_token_details"))
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
    )


def _done(response: Frame) -> WireEvent:
    details = obj(response.get("status_details"))
    status = str(response.get("status", "completed"))
    if status == "failed":
        err = obj(details.get("error"))
        return Failed(
            str(err.get("code") or "response_failed"), str(err.get("message") or "response failed")
        )
    return Finished(
        usage_of(response.get("usage")),
        status,
        str(response.get("id", "")),
        str(details.get("reason") or ""),
    )


def decode(frame: Frame) -> list[WireEvent]:
    """One Realtime server event -> typed events (unknown types -> none)."""
    kind = frame.get("type", "")
    response, item = obj(frame.get("response")), obj(frame.get("item"))
    if kind in ("session.created", "session.updated"):
        return [Ack(kind)]
    if kind == "response.created":
        return [Started(response_id=str(response.get("id", "")))]
    if kind == "response.output_item.added":
        return [
            Started(response_id=str(frame.get("response_id", "")), item_id=str(item.get("id", "")))
        ]
    if kind == "response.output_text.delta":
        return [Text(str(frame.get("delta", "")))]
    if kind == "response.done":
        return [_done(response)]
    if kind in ("conversation.item.done", "conversation.item.created"):
        return [Ack("item", str(item.get("id", "")))]
    if kind == "error":
        err = obj(frame.get("error"))
        code = str(err.get("code") or err.get("type") or "error")
        return [Failed(code, str(err.get("message") or ""), str(err.get("event_id") or ""))]
    return []


# --- the session ------------------------------------------------------------


@dataclass
class _Reply:
    user_item: str
    response_id: str = ""
    item_id: str = ""
    seen: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(self.seen)


class RealtimeSession(LiveSessionBase):
    """A warm Realtime conversation; see the module docstring for the algorithm."""

    vendor = VENDOR

    def __init__(self, wire: Wire, cfg: ProviderConfig) -> None:
        super().__init__(cfg, wire)
        self._ignored: set[str] = set()  # event ids whose error is expected
        self._inflight: _Reply | None = None
        self._last: _Reply | None = None
        self._items = itertools.count(1)  # item ids: unique per conversation, short on the wire

    def _item_id(self) -> str:
        return f"m{next(self._items)}"

    async def start(self, system: str, history: Sequence[Message]) -> None:
        await self._until(lambda e: e == Ack("session.created"))
        await self._live.send(
            {"type": "session.update", "session": session_config(self._cfg, system)}
        )
        last = ""
        for message in history:
            last = self._item_id()
            frame = {
                "type": "conversation.item.create",
                "item": message_item(message.role, message.content, last),
            }
            await self._live.send(frame)
        done = Ack("item", last) if last else Ack("session.updated")
        await self._until(lambda e: e == done)

    async def send(self, text: str) -> AsyncIterator[StreamItem]:
        self._check()
        with self._guard():
            await self._finish_abandoned()
            await self._absorb_idle()
            reply = _Reply(self._item_id())
            await self._live.send(
                {
                    "type": "conversation.item.create",
                    "item": message_item("user", text, reply.user_item),
                }
            )
            await self._live.send({"type": "response.create"})
            self._inflight = reply
            async for event in self._events(reply):
                if isinstance(event, Text):
                    reply.seen.append(event.text)
                    yield TextDelta(text=event.text)
                elif isinstance(event, Finished):
                    self._inflight, self._last = None, reply
                    self._meter.add(event.usage or Usage())  # owed until the Usage is read
                    yield openai_stop(event)
                    yield self._usage(None)

    async def truncate(self, kept: str) -> None:
        with self._guard():
            if self._inflight is not None:
                await self._stop(self._inflight, kept)
            elif self._last is not None and not holds(self._last.text(), kept):
                await self._replace(self._last, kept)

    # --- steps ---------------------------------------------------------------

    def _decode(self, frame: Frame) -> list[WireEvent]:
        return decode(frame)

    def _fail(self, failure: Failed) -> None:
        """Raise the error, unless it answers a cancel sent too late (its event id is expected)."""
        if failure.event_id and failure.event_id in self._ignored:
            self._ignored.discard(failure.event_id)
            return
        raise error_for(failure.code, failure.message, self._cfg, self.vendor)

    async def _until(self, done: Callable[[WireEvent], bool]) -> None:
        while True:
            for event in decode(await self._live.recv()):
                if isinstance(event, Failed):
                    self._fail(event)
                elif done(event):
                    return

    async def _events(self, reply: _Reply) -> AsyncIterator[WireEvent]:
        """Events of the reply in flight, through its ``response.done``."""
        while True:
            for event in decode(await self._live.recv()):
                if isinstance(event, Failed):
                    self._fail(event)
                    continue
                if isinstance(event, Started):
                    reply.response_id = event.response_id or reply.response_id
                    reply.item_id = event.item_id or reply.item_id
                yield event
                if isinstance(event, Finished):
                    return

    async def _finish_abandoned(self) -> None:
        if self._inflight is not None:  # abandoned without truncate: keep what was read
            await self._stop(self._inflight, self._inflight.text())

    async def _stop(self, reply: _Reply, kept: str) -> None:
        """Cancel the reply, drain it, and make the conversation hold ``kept``."""
        cancel: Frame = {"type": "response.cancel", "event_id": new_id("evt")}
        if reply.response_id:
            cancel["response_id"] = reply.response_id
        self._ignored.add(cancel["event_id"])
        await self._live.send(cancel)
        rest: list[str] = []
        async for event in self._events(reply):
            if isinstance(event, Text):
                rest.append(event.text)
            elif isinstance(event, Finished) and event.usage:
                self._meter.add(event.usage)
        self._inflight, self._last = None, reply
        if not holds(reply.text() + "".join(rest), kept):
            await self._replace(reply, kept)

    async def _replace(self, reply: _Reply, kept: str) -> None:
        """Delete the assistant item and create it again holding ``kept``."""
        if reply.item_id:
            await self._live.send({"type": "conversation.item.delete", "item_id": reply.item_id})
        if kept:
            item = message_item("assistant", kept, reply.item_id or new_id("msg"))
            frame = {
                "type": "conversation.item.create",
                "previous_item_id": reply.user_item,
                "item": item,
            }
            await self._live.send(frame)
        reply.seen = [kept]


def handshake(cfg: ProviderConfig) -> tuple[str, dict[str, str]]:
    """The WebSocket URL and headers a session (or ``silcrow doctor``) dials."""
    url = f"{endpoint(cfg, '/realtime')}?model={quote(cfg.live_model or cfg.model)}"
    return url, {"Authorization": f"Bearer {require_key(cfg)}"}


async def open_realtime(
    cfg: ProviderConfig, messages: Sequence[Message], *, connect: Connect | None = None
) -> RealtimeSession:
    """Open a Realtime session holding ``messages`` as conversation items (no generation)."""
    system, history = split_system(messages)
    wire = await dial(cfg, *handshake(cfg), VENDOR, connect)
    session = RealtimeSession(wire, cfg)
    try:
        await session.start(system, history)
    except BaseException:
        await wire.close()
        raise
    return session
