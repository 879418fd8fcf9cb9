"""Responses API WebSocket mode against its loopback fake."""

from __future__ import annotations

import json
from typing import Any

import pytest
from live_helpers import (
    FINAL,
    HISTORY,
    KEY_ENV,
    call_reply,
    kept_of,
    open_session,
    read_all,
    read_to_execute,
)
from websockets.asyncio.client import connect

from fakes.ws_server import Faults
from silcrow.providers.base import AuthError, Message, SessionLost
from silcrow.providers.live.frames import dumps
from silcrow.providers.responses_ws import history_items
from silcrow.testing import count_tokens

KIND = "responses"
HISTORY_PAIRS = [
    ("system", HISTORY[0].content),
    ("user", HISTORY[1].content),
    ("assistant", HISTORY[2].content),
]


def creates(server):  # the response.create frames of the only connection
    return [f for f in server.conns[0].frames if f.get("type") == "response.create"]


async def test_open_stores_history_without_generating(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    assert server.ledger.bills == []
    [warm] = creates(server)
    assert warm["generate"] is False and "previous_response_id" not in warm
    assert warm["store"] is True  # the default: a cut reply then costs only its own cycle
    assert server.conns[0].state.transcript() == HISTORY_PAIRS
    assert server.script.remaining == 1
    await session.close()


async def test_send_streams_deltas_and_the_providers_usage(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    text, usage = await read_all(session, "thanks")
    assert text == FINAL
    [bill] = server.ledger.bills
    assert (usage.input_tokens, usage.cached_tokens, usage.output_tokens) == (
        bill.input_tokens,
        bill.cached_tokens,
        bill.output_tokens,
    )
    assert usage.sent_bytes == server.conns[0].received_bytes  # opening upload + this turn
    await session.close()


async def test_cycles_with_truncate_leave_an_exact_chain(ws_fake) -> None:
    replies = [call_reply(1), call_reply(2), FINAL]
    server = await ws_fake(replies)
    session = await open_session(server, KIND)
    kept1 = await read_to_execute(session, "fix it")
    kept2 = await read_to_execute(session, "§result: one")
    text, usage = await read_all(session, "§result: two")
    assert text == FINAL
    expected = [
        *HISTORY_PAIRS,
        ("user", "fix it"),
        ("assistant", kept1),
        ("user", "§result: one"),
        ("assistant", kept2),
        ("user", "§result: two"),
        ("assistant", FINAL),
    ]
    assert server.conns[0].state.transcript() == expected
    assert "invented" not in str(server.conns[0].state.transcript())
    # every bill is reported once: the two drained replies ride on the last Usage
    assert usage.output_tokens == sum(b.output_tokens for b in server.ledger.bills)
    polluted = {f"resp_0_{i}" for i in (1, 3)}  # the two generating responses that were cut
    assert not polluted & {f.get("previous_response_id") for f in creates(server)}
    assert session.restarts == 0  # the stored parents could be chained from
    await session.close()


async def test_without_store_a_cut_reply_makes_the_next_request_start_over(ws_fake) -> None:
    server = await ws_fake([call_reply(1), call_reply(2), FINAL])
    session = await open_session(server, KIND, extra={"responses_store": False})
    kept1 = await read_to_execute(session, "fix it")
    kept2 = await read_to_execute(session, "§result: one")
    await read_all(session, "§result: two")
    assert server.stored == {}  # nothing kept on the vendor's side
    assert (session.rebuilds, session.restarts) == (2, 0)  # never a previous_response_not_found
    frames = creates(server)
    assert all(f["store"] is False for f in frames)
    first_cut, second_cut = frames[-2], frames[-1]
    for frame in (first_cut, second_cut):
        assert "previous_response_id" not in frame
    assert second_cut["input"] == history_items(
        HISTORY[0].content,
        [
            *HISTORY[1:],
            Message("user", "fix it"),
            Message("assistant", kept1),
            Message("user", "§result: one"),
            Message("assistant", kept2),
            Message("user", "§result: two"),
        ],
    )
    assert "invented" not in str(server.conns[0].state.transcript())
    await session.close()


@pytest.mark.parametrize("store", [False, True])
async def test_fake_caches_only_the_latest_response_unless_stored(ws_fake, store: bool) -> None:
    server = await ws_fake()
    url = server.url(KIND)
    async with connect(url, additional_headers={"Authorization": "Bearer k"}) as ws:

        async def create(previous: str | None) -> dict[str, Any]:
            frame = {"type": "response.create", "model": "m", "store": store, "generate": False}
            frame["input"] = [{"role": "user", "content": "hi"}]
            if previous:
                frame["previous_response_id"] = previous
            await ws.send(json.dumps(frame))
            while True:
                event = json.loads(await ws.recv())
                if event["type"] in ("response.completed", "error"):
                    return event

        first = (await create(None))["response"]["id"]
        second = (await create(first))["response"]["id"]
        again = await create(second)  # the latest: always cached
        older = await create(first)  # older than the latest
    assert again["type"] == "response.completed"
    if store:
        assert older["type"] == "response.completed"
    else:
        assert older["error"]["code"] == "previous_response_not_found"


async def test_warm_session_sends_only_the_new_message(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL])
    session = await open_session(server, KIND)
    await read_all(session, "first question")
    before = server.conns[0].received_tokens
    _, usage = await read_all(session, "second question")
    turn_tokens = server.conns[0].received_tokens - before
    frame = creates(server)[-1]
    assert frame["input"] == [{"role": "user", "content": "second question"}]
    everything = [
        Message("user", "first question"),
        Message("assistant", FINAL),
        Message("user", "second question"),
    ]
    full_frame = {**frame, "input": history_items(HISTORY[0].content, [*HISTORY[1:], *everything])}
    assert turn_tokens == count_tokens(dumps(frame)) < count_tokens(dumps(full_frame)) / 2
    assert usage.sent_bytes == len(dumps(frame).encode())
    await session.close()


async def test_history_can_ride_with_the_first_send_instead_of_a_warm_up(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND, extra={"responses_warmup": False})
    assert server.conns[0].frames == []
    await read_all(session, "go")
    [frame] = creates(server)
    assert len(frame["input"]) == 4 and "generate" not in frame
    assert server.conns[0].state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "go"),
        ("assistant", FINAL),
    ]
    await session.close()


async def test_a_forgotten_chain_is_restarted_with_the_full_context(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    server.conns[0].state.responses.clear()  # the server lost the chain, stored or not
    server.stored.clear()
    text, _ = await read_all(session, "still there?")
    assert text == FINAL and session.restarts == 1
    assert server.conns[0].state.transcript() == [
        *HISTORY_PAIRS,
        ("user", "still there?"),
        ("assistant", FINAL),
    ]
    await session.close()


async def test_reply_abandoned_without_truncate_keeps_what_was_read(ws_fake) -> None:
    server = await ws_fake([call_reply(1), FINAL])
    session = await open_session(server, KIND)
    kept = await read_to_execute(session, "go", truncate=False)
    await read_all(session, "§result: r")
    user, (role, read), result, final = server.conns[0].state.transcript()[-4:]
    assert (user, result, final) == (("user", "go"), ("user", "§result: r"), ("assistant", FINAL))
    assert role == "assistant" and read.startswith(kept) and call_reply(1).startswith(read)
    assert read != call_reply(1)


async def test_truncate_after_a_fully_read_reply_rewrites_it(ws_fake) -> None:
    reply = call_reply(1)
    server = await ws_fake([reply, FINAL])
    session = await open_session(server, KIND)
    text, _ = await read_all(session, "go")
    assert text == reply
    await session.truncate(kept_of(reply))
    await read_all(session, "§result: r")
    assert ("assistant", kept_of(reply)) in server.conns[0].state.transcript()
    assert ("assistant", reply) not in server.conns[0].state.transcript()


async def test_drop_mid_reply_is_session_lost(ws_fake) -> None:
    server = await ws_fake([FINAL * 4], faults=Faults(drop_after_chunks=2))
    session = await open_session(server, KIND)
    with pytest.raises(SessionLost):
        await read_all(session, "go")
    assert not session.alive
    with pytest.raises(SessionLost, match="reopen"):
        await read_all(session, "again")


async def test_session_expiry_is_session_lost(ws_fake) -> None:
    server = await ws_fake([FINAL, FINAL], faults=Faults(session_limit=1))
    session = await open_session(server, KIND)
    await read_all(session, "one")
    with pytest.raises(SessionLost, match="session_expired"):
        await read_all(session, "two")
    assert not session.alive


async def test_expiry_while_idle_is_noticed_before_sending(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND)
    await server.expire_now()
    with pytest.raises(SessionLost):
        await read_all(session, "hello?")
    assert [f.get("generate") for f in creates(server)] == [False]  # nothing was sent after expiry


async def test_rejected_key_names_the_variable(ws_fake) -> None:
    server = await ws_fake([FINAL], api_key="the-right-key")
    with pytest.raises(AuthError, match=KEY_ENV):
        await open_session(server, KIND)
    with pytest.raises(AuthError, match=KEY_ENV):
        await open_session(server, KIND, api_key=None)


async def test_opening_without_history_sends_nothing(ws_fake) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, KIND, [Message("system", "s")])
    assert len(creates(server)) == 1  # the system item alone is the warm-up
    text, _ = await read_all(session, "hi")
    assert text == FINAL


async def test_cut_replies_never_make_the_next_request_grow(ws_fake) -> None:
    server = await ws_fake([call_reply(1), call_reply(2), call_reply(3), FINAL])
    session = await open_session(server, KIND, extra={"responses_warmup": False})
    await read_to_execute(session, "go")
    for n in (1, 2):
        await read_to_execute(session, f"§result: {n}")
    await read_all(session, "§result: 3")
    generating = [f for f in creates(server) if f.get("generate") is not False]
    assert [len(f["input"]) for f in generating] == [4, 1, 1, 1]  # history rode with the first only
    warmups = [f for f in creates(server) if f.get("generate") is False]
    assert [len(f["input"]) for f in warmups] == [5, 2, 2]  # each cut: its input + the kept reply
