"""OpenAI Realtime (GA) against its loopback fake: items, cancel, one response at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from live_helpers import (
    FINAL,
    HISTORY,
    KEY_ENV,
    call_reply,
    config,
    open_session,
    read_all,
    read_to_execute,
)
from websockets.asyncio.client import connect

from fakes.ws_server import FakeWSServer, Faults
from silcrow.providers.base import AuthError, ProviderError, SessionLost
from silcrow.providers.realtime import open_realtime
from silcrow.testing import count_tokens

KIND = "realtime"
HISTORY_PAIRS = [("user", HISTORY[1].content), ("assistant", HISTORY[2].content)]


def sent(server: FakeWSServer, kind: str) -> list[dict[str, Any]]:
    return [f for f in server.conns[0].frames if f.get("type") == kind]


async def test_open_configures_text_session_and_items_without_a_response(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    state = server.conns[0].state
    assert server.ledger.bills == [] and sent(server, "response.create") == []
    assert state.transcript() == HISTORY_PAIRS
    assert state.session["output_modalities"] == ["text"]
    assert state.session["audio"]["input"]["turn_detection"] is None
    assert state.session["instructions"] == HISTORY[0].content and state.session["tools"] == []
    assert "openai-beta" not in {k.lower() for k in server.conns[0].request.headers}
    await session.close()


async def test_send_streams_until_response_done_with_its_usage(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL])
    session = await open_session(server, KIND)
    text, first = await read_all(session, "hello")
    assert text == FINAL
    assert first.sent_bytes == server.conns[0].received_bytes
    _, second = await read_all(session, "again")
    bill = server.ledger.bills[-1]
    assert (second.input_tokens, second.cached_tokens, second.output_tokens) == (
        bill.input_tokens,
        bill.cached_tokens,
        bill.output_tokens,
    )
    assert 0 < second.cached_tokens < second.input_tokens  # earlier turns show as cached
    assert second.sent_bytes == sum(
        len(json.dumps(f, ensure_ascii=False, separators=(",", ":")).encode())
        for f in server.conns[0].frames[-2:]
    )
    await session.close()


async def test_truncate_cancels_and_rewrites_the_assistant_item(ws_fake) -> None:
    # chunks of 4 end past §execute (at 76 of 74): the item must be rewritten, not just kept
    server = await ws_fake([call_reply(1) * 3, FINAL], chunk=4, delay=0.002)
    session = await open_session(server, KIND)
    kept = await read_to_execute(session, "fix it")
    [cancel] = sent(server, "response.cancel")
    assert cancel["response_id"]
    full = count_tokens(call_reply(1) * 3)
    assert server.ledger.bills[0].output_tokens < full  # the cancel stopped generation
    text, usage = await read_all(session, "§result: ok")
    assert text == FINAL
    [delete] = sent(server, "conversation.item.delete")
    recreate = sent(server, "conversation.item.create")[-2]
    assert recreate["item"]["id"] == delete["item_id"]  # the item keeps its id
    state = server.conns[0].state
    assert state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "fix it"),
        ("assistant", kept),
        ("user", "§result: ok"),
        ("assistant", FINAL),
    ]
    assert usage.output_tokens == sum(b.output_tokens for b in server.ledger.bills)


async def test_cancel_that_arrives_after_the_end_is_harmless(ws_fake) -> None:
    replies = [call_reply(1), call_reply(2), FINAL]
    server = await ws_fake(
        replies, chunk=400
    )  # the whole reply is one delta: done before the cancel
    session = await open_session(server, KIND)
    kept1 = await read_to_execute(session, "go")
    kept2 = await read_to_execute(session, "§result: 1")
    text, _ = await read_all(session, "§result: 2")
    assert text == FINAL and session.alive
    assert server.conns[0].state.transcript()[2:] == [
        ("user", "go"),
        ("assistant", kept1),
        ("user", "§result: 1"),
        ("assistant", kept2),
        ("user", "§result: 2"),
        ("assistant", FINAL),
    ]


async def test_fake_allows_one_active_response_and_cancels_as_ga_does(ws_fake) -> None:
    server = await ws_fake(["x" * 400], chunk=1, delay=0.001)
    async with connect(
        server.url(KIND) + "?model=gpt-realtime", additional_headers={"Authorization": "Bearer k"}
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        await ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "output_modalities": ["text"]},
                }
            )
        )
        await ws.send(json.dumps({"type": "response.create"}))
        await ws.send(json.dumps({"type": "response.create", "event_id": "evt_second"}))
        await ws.send(json.dumps({"type": "response.cancel"}))
        events = []
        while not events or events[-1]["type"] != "response.done":
            events.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "response.cancel", "event_id": "evt_late"}))
        late = json.loads(await ws.recv())
    kinds = [e["type"] for e in events]
    assert kinds.count("response.created") == 1 and kinds.count("response.done") == 1
    [busy] = [e for e in events if e["type"] == "error"]
    assert busy["error"]["code"] == "conversation_already_has_active_response"
    assert busy["error"]["event_id"] == "evt_second"
    assert kinds.index("rate_limits.updated") == kinds.index("response.created") + 1
    tail = kinds[kinds.index("response.output_text.done") :]
    assert tail == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    done = events[-1]["response"]
    assert done["status"] == "cancelled" and done["status_details"]["reason"] == "client_cancelled"
    assert late["type"] == "error" and late["error"]["event_id"] == "evt_late"


async def test_fake_requires_session_type(ws_fake) -> None:
    server = await ws_fake()
    async with connect(server.url(KIND), additional_headers={"Authorization": "Bearer k"}) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "x"}}))
        error = json.loads(await ws.recv())
    assert error["error"]["param"] == "session.type"


async def test_beta_header_is_rejected_with_a_clear_error(ws_fake) -> None:
    server = await ws_fake([FINAL])

    def beta_connect(url: str, *, additional_headers: dict[str, str], **kwargs: Any) -> Any:
        return connect(
            url, additional_headers={**additional_headers, "OpenAI-Beta": "realtime=v1"}, **kwargs
        )

    with pytest.raises(ProviderError, match="beta_api_shape_disabled") as caught:
        await open_realtime(config(server, KIND), HISTORY, connect=beta_connect)
    assert not caught.value.retryable and "OpenAI-Beta" in str(caught.value)


async def test_session_expiry_mid_reply_is_session_lost(ws_fake) -> None:
    server = await ws_fake(["y" * 2000], chunk=1, delay=0.001)
    session = await open_session(server, KIND)
    with pytest.raises(SessionLost, match="session_expired"):
        async for _ in session.send("go"):
            await server.expire_now()
    assert not session.alive


async def test_session_limit_expires_the_next_request(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL], faults=Faults(session_limit=1))
    session = await open_session(server, KIND)
    await read_all(session, "one")
    with pytest.raises(SessionLost):
        await read_all(session, "two")


async def test_drop_mid_reply_is_session_lost(ws_fake) -> None:
    server = await ws_fake([FINAL * 3], faults=Faults(drop_after_chunks=3))
    session = await open_session(server, KIND)
    with pytest.raises(SessionLost):
        await read_all(session, "go")


async def test_rejected_key_names_the_variable(ws_fake) -> None:
    server = await ws_fake([FINAL], api_key="right")
    with pytest.raises(AuthError, match=KEY_ENV):
        await open_session(server, KIND, api_key="wrong")
