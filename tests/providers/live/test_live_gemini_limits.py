"""Gemini Live: context window compression, the two content paths, a bounded interrupt drain."""

from __future__ import annotations

import pytest
from live_helpers import FINAL, HISTORY, call_reply, open_session, read_all, read_to_execute

from fakes.ws_server import Faults
from silcrow.providers import gemini_live
from silcrow.providers.base import SessionLost

KIND = "gemini-live"
HISTORY_PAIRS = [("user", HISTORY[1].content), ("model", HISTORY[2].content)]


@pytest.fixture(autouse=True)
def no_remembered_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gemini_live, "TEXT_INPUT_MODELS", set())


async def test_compression_keeps_a_session_past_the_uncompressed_limit(ws_fake) -> None:
    server = await ws_fake([FINAL] * 3, faults=Faults(gemini_session_turns=2))
    session = await open_session(server, KIND)
    assert server.conns[0].frames[0]["setup"]["contextWindowCompression"] == {"slidingWindow": {}}
    for n in range(3):
        text, _ = await read_all(session, f"turn {n}")
        assert text == FINAL
    assert server.connections == 1


async def test_without_compression_the_session_limit_ends_it(ws_fake) -> None:
    server = await ws_fake([FINAL] * 3, faults=Faults(gemini_session_turns=2))
    session = await open_session(server, KIND, extra={"gemini_context_compression": False})
    assert "contextWindowCompression" not in server.conns[0].frames[0]["setup"]
    await read_all(session, "one")
    await read_all(session, "two")  # the server closes with 1011 after this turn
    with pytest.raises(SessionLost):
        await read_all(session, "three")


async def test_a_model_refusing_mid_session_client_content_gets_realtime_input(ws_fake) -> None:
    server = await ws_fake([FINAL] * 3, gemini_history_only={"gemini-3.8-live"})
    session = await open_session(server, KIND)
    text, _ = await read_all(session, "first")
    assert text == FINAL and server.connections == 2 and session.resumptions == 1
    await read_all(session, "second")
    assert server.connections == 2  # remembered: no second 1007
    sent = [f for f in server.conns[1].frames if "setup" not in f]
    assert sent == [{"realtimeInput": {"text": "first"}}, {"realtimeInput": {"text": "second"}}]
    assert server.conns[1].state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "first"),
        ("model", FINAL),
        ("user", "second"),
        ("model", FINAL),
    ]
    assert "gemini-3.8-live" in gemini_live.TEXT_INPUT_MODELS
    fresh = await open_session(server, KIND)  # a later session of this process starts right
    assert (await read_all(fresh, "third"))[0] == FINAL
    assert server.connections == 3  # its one connection: no 1007 first
    assert server.conns[2].frames[-1] == {"realtimeInput": {"text": "third"}}
    await fresh.close()


async def test_a_turn_complete_that_never_comes_after_an_interruption_is_not_awaited(
    ws_fake,
) -> None:
    faults = Faults(gemini_lose_turn_complete=True)
    server = await ws_fake([call_reply(1) * 3, FINAL], chunk=4, delay=0.002, faults=faults)
    session = await open_session(server, KIND, extra={"gemini_interrupt_grace": 0.05}, timeout=30)
    kept = await read_to_execute(session, "fix it")
    text, _ = await read_all(session, "§result: ok")
    assert text == FINAL
    history = server.conns[0].state.transcript()
    assert history[-3:] == [("model", kept), ("user", "§result: ok"), ("model", FINAL)]


async def test_a_realtime_input_model_keeps_a_read_reply_that_is_truncated(ws_fake) -> None:
    server = await ws_fake([call_reply(1), FINAL], gemini_history_only={"gemini-3.8-live"})
    session = await open_session(server, KIND)
    text, _ = await read_all(session, "fix it")  # 1007, resumed as realtimeInput
    await session.truncate(text[: text.index("§execute") + len("§execute")])
    assert (await read_all(session, "§result: ok"))[0] == FINAL  # no 1007: nothing was restated
    assert [f for f in server.conns[1].frames if "setup" not in f] == [
        {"realtimeInput": {"text": "fix it"}},
        {"realtimeInput": {"text": "§result: ok"}},
    ]
    assert server.conns[1].state.transcript()[-3:] == [
        ("model", text),
        ("user", "§result: ok"),
        ("model", FINAL),
    ]
