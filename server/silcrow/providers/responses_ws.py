"""OpenAI Responses API over one WebSocket (``wss://.../v1/responses``).

Algorithm:
1. Open: dial with Bearer auth and send the history once as a
   ``response.create`` with ``generate: false`` (a warm-up: the server stores
   the items and returns a response id, no model runs). The system message is
   the first input item, not ``instructions``: instructions are not carried
   through ``previous_response_id``, items are, so it is sent only once.
   With ``cfg.extra["responses_warmup"] = False`` the history rides along with
   the first ``send`` instead (one round trip less to open, but a cut first
   reply then sends the history twice).
2. ``send(text)``: settle a reply the consumer abandoned (step 4), fold items
   the chain still lacks into it with another ``generate: false``, then one
   ``response.create`` with ``previous_response_id`` = the chain head and
   ``input`` = [the user message]. Deltas stream out; at
   ``response.completed`` the response becomes the chain head and one
   ``Stop`` (``live.stops``) and one ``Usage`` are yielded (plus the usage of responses drained since, so every
   billed token is reported exactly once).
3. ``previous_response_not_found``: resend with the whole local history and
   no previous id (the session keeps every message locally for this).
4. ``truncate(kept)``: the API cannot stop a response, so the cut is only
   remembered; the next ``send`` drains the rest of the response and
   discards it (the tail is generated while the tool runs). If the drained
   text is ``kept`` (up to trailing whitespace), the response is clean and
   becomes the head. Otherwise the polluted response is never chained
   from, and what happens depends on ``store`` (``cfg.extra
   ["responses_store"]``, default True):
   - ``store: true``: OpenAI keeps every response (30 days), so the cut
     request's parent can still be chained from: its input items plus the
     assistant item ``kept`` go on top of it as a ``generate: false``
     request, and the new user message follows. Only the cut cycle's items
     are re-sent.
   - ``store: false``: the connection caches only its most recent response
     (the polluted one), so nothing older can be chained from
     (``previous_response_not_found``). The next request starts over: the
     whole history, ``kept`` included, plus the new message, no previous id.
   ``store: true`` sends fewer tokens whenever a reply runs past
   ``§execute`` and the same otherwise (figures in docs/providers.md), so
   it is the default; ``store: false`` keeps nothing on OpenAI's side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from silcrow.providers.base import Message, StreamItem, TextDelta, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor, error_for
from silcrow.providers.live.events import Failed, Finished, Started, Text, WireEvent
from silcrow.providers.live.frames import Frame, obj
from silcrow.providers.live.session import LiveSessionBase
from silcrow.providers.live.setup import endpoint, holds, require_key, split_system
from silcrow.providers.live.stops import openai_stop
from silcrow.providers.live.wire import Connect, Wire, dial

VENDOR = LiveVendor("OpenAI Responses (WebSocket)")


# --- sans-I/O wire translation ---------------------------------------------


def message_item(role: str, text: str) -> Frame:
    """The short message form (``EasyInputMessage``): no part list, no type tags."""
    return {"role": role, "content": text}


def history_items(system: str, history: Sequence[Message]) -> list[Frame]:
    items = [message_item("system", system)] if system else []
    return items + [message_item(m.role, m.content) for m in history]


def usage_of(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = obj(raw.get("input_tokens_details"))
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        cache_write_tokens=int(details.get("cache_write_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
    )


def refusal(response: Frame) -> str:
    """The text of the output's ``refusal`` parts (never answer text), or ""."""
    parts = [
        part
        for item in response.get("output") or []
        if isinstance(item, dict)
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "refusal"
    ]
    return "".join(str(part.get("refusal", "")) for part in parts)


def decode(frame: Frame) -> list[WireEvent]:
    """One server event (same JSON as Responses SSE) -> typed events."""
    kind = frame.get("type", "")
    response = obj(frame.get("response"))
    if kind == "response.created":
        return [Started(response_id=str(response.get("id", "")))]
    if kind == "response.output_text.delta":
        return [Text(str(frame.get("delta", "")))]
    if kind in ("response.completed", "response.incomplete"):
        reason = obj(response.get("incomplete_details")).get("reason", "")
        status = str(response.get("status", "completed"))
        usage = usage_of(response.get("usage"))
        return [
            Finished(usage, status, str(response.get("id", "")), str(reason), refusal(response))
        ]
    if kind == "response.failed":
        err = obj(response.get("error"))
        return [Failed(str(err.get("code") or "response_failed"), str(err.get("message") or ""))]
    if kind == "error":
        err = obj(frame.get("error")) or frame
        return [
            Failed(
                str(err.get("code") or err.get("type") or "error"), str(err.get("message") or "")
            )
        ]
    return []


# --- the session ------------------------------------------------------------


@dataclass
class _Request:
    previous: str | None
    input: list[Frame]
    generate: bool
    response_id: str = ""
    seen: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(self.seen)


class ResponsesSession(LiveSessionBase):
    """A warm Responses WebSocket; see the module docstring for the algorithm."""

    vendor = VENDOR

    def __init__(
        self, wire: Wire, cfg: ProviderConfig, system: str, history: list[Message]
    ) -> None:
        super().__init__(cfg, wire)
        self._model = cfg.live_model or cfg.model
        self._warmup = bool(cfg.extra.get("responses_warmup", True))
        self._store = bool(cfg.extra.get("responses_store", True))
        self._system = system
        self._history = history
        self._head: str | None = None  # last clean response id
        self._pending: list[Frame] = []  # items the chain does not hold yet
        self._after_cut = False  # pending holds a cut reply: fold it in before generating
        self._inflight: _Request | None = None
        self._cut: str | None = None
        self._last: _Request | None = None
        self.restarts = 0  # times the chain was rebuilt after previous_response_not_found
        self.rebuilds = 0  # store false: times a cut reply made the next request start over

    async def warm(self) -> None:
        items = history_items(self._system, self._history)
        if self._warmup and items:
            self._head = await self._prepare(items)
        else:
            self._pending = items

    async def send(self, text: str) -> AsyncIterator[StreamItem]:
        self._check()
        with self._guard():
            await self._finish_abandoned()
            await self._absorb_idle()
            if self._pending and self._after_cut:
                self._head, self._pending = await self._prepare(self._pending), []
            self._after_cut = False
            self._history.append(Message("user", text))
            items, self._pending = [*self._pending, message_item("user", text)], []
            req = self._inflight = await self._start(items, generate=True)
            async for event in self._events(req):
                if isinstance(event, Text):
                    req.seen.append(event.text)
                    yield TextDelta(text=event.text)
                elif isinstance(event, Finished):
                    self._finish(req)
                    self._meter.add(event.usage or Usage())  # owed until the Usage is read
                    yield openai_stop(event)
                    yield self._usage(None)

    async def truncate(self, kept: str) -> None:
        if self._inflight is not None:
            self._cut = kept  # drained by the next send, while the tool runs
            return
        last = self._last
        if last is None or holds(last.text(), kept):
            return
        self._history[-1] = Message("assistant", kept)
        self._rebase(last, kept)

    # --- steps ---------------------------------------------------------------

    def _decode(self, frame: Frame) -> list[WireEvent]:
        return decode(frame)

    def _frame(self, items: list[Frame], previous: str | None, generate: bool) -> Frame:
        frame: Frame = {
            "type": "response.create",
            "model": self._model,
            "store": self._store,
            "input": items,
        }
        if previous:
            frame["previous_response_id"] = previous
        if generate:
            frame["max_output_tokens"] = self._cfg.max_output_tokens
        else:
            frame["generate"] = False
        return frame

    async def _start(self, items: list[Frame], *, generate: bool) -> _Request:
        req = _Request(previous=self._head, input=items, generate=generate)
        await self._live.send(self._frame(items, req.previous, generate))
        return req

    async def _events(self, req: _Request) -> AsyncIterator[WireEvent]:
        """The events of ``req``'s response, through its ``Finished``."""
        while True:
            for event in decode(await self._live.recv()):
                if isinstance(event, Failed):
                    await self._recover(req, event)
                    continue
                if isinstance(event, Started):
                    req.response_id = event.response_id
                yield event
                if isinstance(event, Finished):
                    return

    async def _recover(self, req: _Request, failure: Failed) -> None:
        """Restart the chain once if the server forgot it; any other error is raised."""
        if failure.code != "previous_response_not_found" or req.previous is None or req.seen:
            raise error_for(failure.code, failure.message, self._cfg, self.vendor)
        self.restarts += 1
        req.previous, req.input = None, history_items(self._system, self._history)
        await self._live.send(self._frame(req.input, None, req.generate))

    async def _prepare(self, items: list[Frame]) -> str:
        """Put ``items`` into the chain without generating; return the new head."""
        req = await self._start(items, generate=False)
        async for event in self._events(req):
            if isinstance(event, Finished) and event.usage:
                self._meter.add(event.usage)
        return req.response_id

    async def _finish_abandoned(self) -> None:
        """Finish a reply the consumer stopped reading: drain it, apply the cut."""
        req = self._inflight
        if req is None:
            return
        kept = self._cut if self._cut is not None else req.text()
        rest: list[str] = []
        async for event in self._events(req):
            if isinstance(event, Text):
                rest.append(event.text)
            elif isinstance(event, Finished) and event.usage:
                self._meter.add(event.usage)
        self._inflight, self._cut = None, None
        self._history.append(Message("assistant", kept))
        if holds(req.text() + "".join(rest), kept):
            req.seen = [kept]
            self._head, self._last = req.response_id, req
        else:
            self._rebase(req, kept)

    def _rebase(self, req: _Request, kept: str) -> None:
        """Forget a polluted response (step 4): chain from its stored parent, or start over."""
        req.seen = [kept]
        self._last = None
        if self._store:
            self._head = req.previous
            self._pending = [*req.input, message_item("assistant", kept)]
            self._after_cut = True
            return
        self.rebuilds += 1
        self._head, self._after_cut = None, False
        self._pending = history_items(self._system, self._history)

    def _finish(self, req: _Request) -> None:
        self._inflight, self._head, self._last = None, req.response_id, req
        self._history.append(Message("assistant", req.text()))


def handshake(cfg: ProviderConfig) -> tuple[str, dict[str, str]]:
    """The WebSocket URL and headers a session (or ``silcrow doctor``) dials."""
    return endpoint(cfg, "/responses"), {"Authorization": f"Bearer {require_key(cfg)}"}


async def open_responses_ws(
    cfg: ProviderConfig, messages: Sequence[Message], *, connect: Connect | None = None
) -> ResponsesSession:
    """Open a warm Responses WebSocket session holding ``messages`` (no generation)."""
    system, history = split_system(messages)
    wire = await dial(cfg, *handshake(cfg), VENDOR, connect)
    session = ResponsesSession(wire, cfg, system, history)
    try:
        await session.warm()
    except BaseException:
        await wire.close()
        raise
    return session
