"""Every WebSocket client frame the live transports send validates against the SDKs' types.

Each transport runs a realistic exchange against its loopback fake (a reply
cut mid-stream at ``§execute``, the tool result, a second tool cycle whose
reply is rewritten after it was read in full, and the final answer), in each
configuration that changes the frames. Every frame the fake received is
validated strictly (``sdk_types``: unknown keys fail): OpenAI Realtime with
``RealtimeClientEventParam``, Responses WebSocket mode with
``ResponsesClientEventParam``, Gemini Live with ``LiveClientMessage``. The
exchange must have produced the frame kinds it exists to cover, and every
object inside the frames we send is shown to reject an unknown key, so a
pass means something.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from live_helpers import FINAL, call_reply, kept_of, open_session, read_all, read_to_execute

from fakes.ws_server import FakeWSServer
from providers.sdk_types import gemini_live_message, realtime_client_event, responses_client_event
from silcrow.providers import gemini_live

Frame = dict[str, Any]
VALIDATORS: dict[str, Callable[[Frame], object]] = {
    "realtime": realtime_client_event,
    "responses": responses_client_event,
    "gemini-live": gemini_live_message,
}


@dataclass(frozen=True)
class Case:
    """One transport configuration and the frame kinds its exchange must send."""

    kind: str
    kinds: frozenset[str]
    extra: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    server: dict[str, Any] = field(default_factory=dict)
    go_away: bool = False

    @property
    def id(self) -> str:
        flags = [f"{k}={v}" for k, v in self.extra.items()] + list(self.server)
        flags += [self.model] if self.model else []
        return "-".join([self.kind, *flags, *(["goAway"] if self.go_away else [])])


REALTIME = {
    "session.update",
    "conversation.item.create",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
}
CASES = [
    Case("realtime", frozenset(REALTIME)),
    Case("responses", frozenset({"response.create", "previous_response_id", "generate"})),
    Case(
        "responses",
        frozenset({"response.create", "generate"}),
        extra={"responses_store": False},
    ),
    Case(
        "responses",
        frozenset({"response.create", "previous_response_id"}),
        extra={"responses_warmup": False},
    ),
    Case("gemini-live", frozenset({"setup", "clientContent"})),
    Case(
        "gemini-live",
        frozenset({"setup", "clientContent"}),
        extra={"gemini_live_modality": "TEXT", "gemini_context_compression": False},
        model="fake-live-text",
    ),
    Case(
        "gemini-live",
        frozenset({"setup", "clientContent", "realtimeInput", "sessionResumption.handle"}),
        server={"gemini_history_only": {"gemini-3.8-live"}},
    ),
    Case(
        "gemini-live",
        frozenset({"setup", "clientContent", "sessionResumption.handle"}),
        go_away=True,
    ),
]


def kinds_of(kind: str, frame: Frame) -> set[str]:
    """What a frame exercises: its event type or oneof member, and notable fields."""
    if kind == "gemini-live":
        found = set(frame)
        if (frame.get("setup") or {}).get("sessionResumption", {}).get("handle"):
            found.add("sessionResumption.handle")
        return found
    found = {frame.get("type", "?")}
    return found | {k for k in ("previous_response_id", "generate") if k in frame}


async def exchange(server: FakeWSServer, case: Case) -> list[Frame]:
    """Cut, tool result, a rewritten second cycle, final answer; return every client frame."""
    model = {"model": case.model} if case.model else {}
    session = await open_session(server, case.kind, extra=case.extra, timeout=30, **model)
    if case.go_away:
        await server.go_away_now()
    await read_to_execute(session, "fix it")
    await read_all(session, "§result: one")
    await read_all(session, "and the tests?")
    await session.truncate(kept_of(call_reply(2)))
    assert (await read_all(session, "§result: two"))[0] == FINAL
    await session.close()
    for conn in server.conns:
        assert conn.received_frames == len(conn.frames), "every client frame is a JSON object"
    return [frame for conn in server.conns for frame in conn.frames]


@pytest.fixture(autouse=True)
def no_remembered_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gemini_live, "TEXT_INPUT_MODELS", set())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_every_client_frame_is_the_sdks_client_event(ws_fake, case: Case) -> None:
    replies = [call_reply(1) * 3, FINAL, call_reply(2), FINAL]
    server = await ws_fake(replies, chunk=4, delay=0.002, **case.server)
    frames = await exchange(server, case)
    validate = VALIDATORS[case.kind]
    for frame in frames:
        validate(frame)
    assert case.kinds <= set().union(*(kinds_of(case.kind, f) for f in frames))
    for frame in frames:  # each object we send is checked closed, not just well-formed
        for spoiled in with_an_unknown_key(frame):
            with pytest.raises(ValueError):  # pydantic.ValidationError is a ValueError
                validate(spoiled)


def with_an_unknown_key(frame: Frame) -> Iterator[Frame]:
    """Copies of ``frame``, each with one object gaining a misspelt key."""
    paths: list[list[Any]] = []

    def visit(value: Any, path: list[Any]) -> None:
        if isinstance(value, dict):
            paths.append(path)
            for k, v in value.items():
                visit(v, [*path, k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, [*path, i])

    visit(frame, [])
    for path in paths:
        spoiled = copy.deepcopy(frame)
        target = spoiled
        for step in path:
            target = target[step]
        target["unknwon_key"] = 1
        yield spoiled


@pytest.mark.parametrize(
    ("validate", "frame"),
    [
        (realtime_client_event, {"type": "response.creat"}),
        (realtime_client_event, {"type": "conversation.item.delete", "itemid": "x"}),
        (
            realtime_client_event,
            {"type": "session.update", "session": {"type": "realtime", "output_modality": []}},
        ),
        (responses_client_event, {"type": "response.create", "previous_respone_id": "r"}),
        (responses_client_event, {"type": "response.created", "model": "m"}),
        (
            responses_client_event,
            {"type": "response.create", "input": [{"type": "message", "rol": "user"}]},
        ),
        (gemini_live_message, {"clientContent": {"turns": [], "turn_complete": True}}),
        (gemini_live_message, {"realtimeInput": {"txt": "x"}}),
        (gemini_live_message, {"setup": {"model": "models/m"}, "realtimeInput": {"text": "x"}}),
        (gemini_live_message, {}),
    ],
)
def test_the_frame_validators_reject_a_misspelt_key(
    validate: Callable[[Frame], object], frame: Frame
) -> None:
    with pytest.raises(ValueError):
        validate(frame)
