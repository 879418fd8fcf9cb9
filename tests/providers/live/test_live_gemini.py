"""Gemini Live against its loopback fake: history without generation, transcripts, goAway."""

from __future__ import annotations

import json

import pytest
from live_helpers import (
    FINAL,
    HISTORY,
    KEY_ENV,
    call_reply,
    open_session,
    read_all,
    read_to_execute,
)
from websockets.asyncio.client import connect

from fakes.ws_server import Faults
from silcrow.providers.base import AuthError, ProviderError, SessionLost

KIND = "gemini-live"
HISTORY_PAIRS = [("user", HISTORY[1].content), ("model", HISTORY[2].content)]


async def test_open_sends_history_without_generating(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    text, _ = await read_all(session, "and now?")
    setup = server.conns[0].frames[0]["setup"]
    assert (
        setup["generationConfig"]["responseModalities"] == ["AUDIO"]
        and "outputAudioTranscription" in setup
    )
    assert len(server.ledger.bills) == 1  # only the reply to "and now?" was generated
    assert text == FINAL  # read from outputTranscription
    assert server.conns[0].state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "and now?"),
        ("model", FINAL),
    ]
    await session.close()


async def test_usage_bills_the_whole_context_every_turn(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL])
    session = await open_session(server, KIND)
    _, first = await read_all(session, "one")
    _, second = await read_all(session, "two")
    assert [first.input_tokens, second.input_tokens] == [
        b.input_tokens for b in server.ledger.bills
    ]
    assert second.input_tokens > first.input_tokens and second.cached_tokens == 0
    assert first.sent_bytes + second.sent_bytes == server.conns[0].received_bytes
    await session.close()


async def test_warm_session_sends_only_the_new_turn(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL])
    session = await open_session(server, KIND)
    await read_all(session, "one")
    before = server.conns[0].received_frames
    await read_all(session, "two")
    new = server.conns[0].frames[before:]
    assert new == [
        {
            "clientContent": {
                "turns": [{"role": "user", "parts": [{"text": "two"}]}],
                "turnComplete": True,
            }
        }
    ]


async def test_text_modality_reads_model_turn_parts(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(
        server, KIND, model="fake-live-text", extra={"gemini_live_modality": "TEXT"}
    )
    text, _ = await read_all(session, "hi")
    assert text == FINAL and "outputAudioTranscription" not in server.conns[0].frames[0]["setup"]


async def test_text_on_an_audio_only_model_is_a_clear_1007_error(ws_fake) -> None:
    server = await ws_fake([FINAL])
    with pytest.raises(ProviderError, match="1007") as caught:
        await open_session(server, KIND, extra={"gemini_live_modality": "TEXT"})
    assert not caught.value.retryable and "AUDIO" in str(caught.value)


async def test_unknown_model_is_a_1008_error_naming_the_setting(ws_fake) -> None:
    server = await ws_fake([FINAL])
    with pytest.raises(ProviderError, match="live_model") as caught:
        await open_session(server, KIND, model="gemini-nonexistent")
    assert "silcrow models" in str(caught.value)


async def test_bad_key_names_the_variable(ws_fake) -> None:
    server = await ws_fake([FINAL], api_key="right")
    with pytest.raises(AuthError, match=KEY_ENV):
        await open_session(server, KIND, api_key="wrong")


async def test_truncate_interrupts_and_appends_the_corrected_turn(ws_fake) -> None:
    server = await ws_fake([call_reply(1) * 3, FINAL], chunk=4, delay=0.002)
    session = await open_session(server, KIND)
    kept = await read_to_execute(session, "fix it")
    text, _ = await read_all(session, "§result: ok")
    assert text == FINAL
    history = server.conns[0].state.transcript()
    interrupted = history[3][1]
    assert history[2] == ("user", "fix it") and interrupted.startswith(kept)
    assert len(interrupted) < len(call_reply(1) * 3)  # the interruption stopped generation early
    assert history[4:] == [("model", kept), ("user", "§result: ok"), ("model", FINAL)]


async def test_go_away_resumes_on_a_new_connection_between_turns(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL, FINAL])
    session = await open_session(server, KIND)
    await server.go_away_now()
    await read_all(session, "one")  # answered on the old connection; goAway noted
    assert server.connections == 1
    text, usage = await read_all(session, "two")
    assert text == FINAL and server.connections == 2 and session.resumptions == 1
    new = server.conns[1]
    assert new.frames[0]["setup"]["sessionResumption"]["handle"]
    assert len(new.frames) == 2  # setup + the new turn: no history was re-sent
    assert usage.sent_bytes == new.received_bytes
    assert new.state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "one"),
        ("model", FINAL),
        ("user", "two"),
        ("model", FINAL),
    ]


async def test_connection_closed_after_go_away_is_resumed_transparently(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL], faults=Faults(go_away_after_turns=1))
    session = await open_session(server, KIND)
    await read_all(session, "one")
    text, _ = await read_all(session, "two")
    assert text == FINAL and server.connections == 2
    assert server.conns[1].state.transcript()[-4:] == [
        ("user", "one"),
        ("model", FINAL),
        ("user", "two"),
        ("model", FINAL),
    ]


async def test_drop_after_text_was_shown_is_session_lost(ws_fake) -> None:
    server = await ws_fake([FINAL * 3], faults=Faults(drop_after_chunks=2))
    session = await open_session(server, KIND)
    with pytest.raises(SessionLost):
        await read_all(session, "go")
    assert not session.alive


async def test_fake_accepts_snake_case_and_binary_frames(ws_fake) -> None:
    server = await ws_fake(["hi there"])
    async with connect(server.url(KIND) + "?key=k") as ws:
        setup = {
            "setup": {
                "model": "models/fake-live-text",
                "generation_config": {"response_modalities": ["TEXT"]},
            }
        }
        await ws.send(json.dumps(setup).encode())
        assert json.loads(await ws.recv()) == {"setupComplete": {}}
        turn = {
            "client_content": {
                "turns": [{"role": "user", "parts": [{"text": "hello"}]}],
                "turn_complete": True,
            }
        }
        await ws.send(json.dumps(turn).encode())
        frames = []
        while "usageMetadata" not in (frames[-1] if frames else {}):
            frames.append(json.loads(await ws.recv()))
    texts = [
        p["text"]
        for f in frames
        for p in f.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    ]
    assert "".join(texts) == "hi there"
    assert {"serverContent": {"generationComplete": True}} in frames
    assert frames[-1]["serverContent"] == {"turnComplete": True}
