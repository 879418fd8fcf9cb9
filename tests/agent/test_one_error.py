"""One failure, one message: a failed turn stores exactly one ``error`` event, whatever failed."""

from __future__ import annotations

import pytest

from silcrow.agent import Agent
from silcrow.providers.base import AuthError, ProviderError, RateLimited, SessionLost
from silcrow.testing import FakeProvider, Script
from support.agentkit import collect

ANSWER = "§respond: via replay\n§end\n"


def errors(events: list) -> list:
    return [e for e in events if e.type == "error"]


@pytest.mark.parametrize(
    ("live_error", "replay_error"),
    [
        # a closed port: both transports refuse the connection
        (SessionLost("cannot open the live session: connection refused"), ProviderError("refused")),
        # a bad key: both transports say 401
        (AuthError("set OPENAI_API_KEY"), AuthError("set OPENAI_API_KEY")),
        # rate limited on both
        (RateLimited("rate limited (HTTP 429)"), RateLimited("rate limited (HTTP 429)")),
    ],
    ids=["closed-port", "401", "429"],
)
async def test_auto_turn_that_fails_on_both_transports_shows_one_error(
    store, live_error: ProviderError, replay_error: ProviderError
) -> None:
    provider = FakeProvider(Script.of([ANSWER]))
    provider.open_errors = [live_error]
    provider.replay_errors = [replay_error, replay_error]
    agent = Agent(provider, mode="auto", storage=store, tools=[], profile=False)
    events = await collect(agent, "hello")
    [error] = errors(events)
    assert error is events[-1] and error.payload == {"stopReason": "error"}
    assert error.content == str(replay_error)  # the last failure, the one to act on
    aborted = [e for e in events if e.aborted_cycle]
    # each failed cycle is recorded (context drops its partial reply), not shown as an error
    assert [e.payload["reason"] for e in aborted] == [str(live_error), str(replay_error)]
    assert all(e.type == "metric" for e in aborted)
    assert len(provider.requests) == 1  # the replay failure is not retried here


@pytest.mark.parametrize("mode", ["replay", "resume"])
async def test_a_single_transport_failure_shows_one_error(store, mode: str) -> None:
    provider = FakeProvider(Script.of([ANSWER]))
    provider.replay_errors = [RateLimited("rate limited (HTTP 429)")] * 2
    provider.open_errors = [RateLimited("rate limited (HTTP 429)")] * 2
    agent = Agent(provider, mode=mode, storage=store, tools=[], profile=False)  # type: ignore[arg-type]
    events = await collect(agent, "hello")
    assert len(errors(events)) == 1 and events[-1].type == "error"


async def test_auto_remembers_an_endpoint_without_live_sessions(store) -> None:
    provider = FakeProvider(Script.of([ANSWER] * 3))
    provider.open_errors = [ProviderError("no live endpoint (HTTP 404)")]
    agent = Agent(provider, mode="auto", storage=store, tools=[], profile=False)
    first = await collect(agent, "one")
    second = await collect(agent, "two")
    assert not errors(first) and not errors(second)
    [record] = [e for e in first if e.aborted_cycle]
    assert record.type == "metric" and "HTTP 404" in record.payload["live_unavailable"]
    assert provider.open_attempts == 1  # the second turn did not try the live session again
    assert not [e for e in second if e.aborted_cycle]
    assert first[-1].payload == second[-1].payload == {"stopReason": "end"}


async def test_a_dropped_network_is_not_remembered_as_no_live_sessions(store) -> None:
    provider = FakeProvider(Script.of([ANSWER] * 2))
    provider.open_errors = [SessionLost("connection reset")]
    agent = Agent(provider, mode="auto", storage=store, tools=[], profile=False)
    first = await collect(agent, "one")
    await collect(agent, "two")
    assert not errors(first)
    assert not any("live_unavailable" in e.payload for e in first if e.aborted_cycle)
    assert provider.open_attempts == 2  # the next turn tries the live session again
