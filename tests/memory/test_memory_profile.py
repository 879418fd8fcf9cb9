"""Profile learning with a scripted provider and the real store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from silcrow.agent.profile import learn_profile, parse_profile, render_profile, trim_profile
from silcrow.store import EventStore

GOOD = {"preferences": ["pytest", "type hints"], "working_style": "short answers", "focus": "lexer"}


async def seed(store: EventStore, turn_adder: Any, user: str = "ana") -> None:
    conv = (await store.create_conversation(user_id=user, title="x")).id
    await turn_adder(store, conv, "t1", "please always use pytest and type hints")
    await turn_adder(store, conv, "t2", "keep answers short, I'm working on the lexer")


async def test_learns_and_stores_profile(store: EventStore, scripted: Any, turn_adder: Any) -> None:
    await seed(store, turn_adder)
    other = (await store.create_conversation(user_id="bob")).id
    await turn_adder(store, other, "t1", "bob likes tabs")
    await store.set_profile("ana", {"focus": "old project"})
    provider = scripted(["Here you go:\n```json\n" + json.dumps(GOOD) + "\n```\nDone."])
    profile = await learn_profile(provider, store, "ana")
    assert profile == GOOD and await store.get_profile("ana") == GOOD
    sent = provider.requests[0][-1].content
    assert "old project" in sent and "keep answers short" in sent and "tabs" not in sent
    assert sent.index("keep answers short") < sent.index("always use pytest")  # newest first


async def test_compaction_asks_again_then_trims(
    store: EventStore, scripted: Any, turn_adder: Any
) -> None:
    await seed(store, turn_adder)
    bloated = {"preferences": ["p" * 300] * 10, "focus": "lexer", "trivia": "t" * 900}
    still_big = {"preferences": ["q" * 300] * 5, "focus": "lexer", "trivia": "t" * 500}
    provider = scripted([json.dumps(bloated), json.dumps(still_big)])
    profile = await learn_profile(provider, store, "ana", max_chars=600)
    assert profile is not None and len(provider.requests) == 2
    assert "600" in provider.requests[1][-1].content and "limit" in provider.requests[1][-1].content
    assert len(json.dumps(profile, separators=(",", ":"))) <= 600
    assert profile["focus"] == "lexer" and await store.get_profile("ana") == profile


async def test_compact_reply_accepted_when_it_fits(
    store: EventStore, scripted: Any, turn_adder: Any
) -> None:
    await seed(store, turn_adder)
    provider = scripted(
        [json.dumps({"focus": "x" * 3000}), "§respond: " + json.dumps(GOOD) + "\n§end"]
    )
    assert await learn_profile(provider, store, "ana", max_chars=500) == GOOD


@pytest.mark.parametrize(
    "reply", ["I cannot do that.", "[1, 2]", "{broken json", RuntimeError("upstream 500")]
)
async def test_failures_return_none_and_keep_old_profile(
    store: EventStore, scripted: Any, turn_adder: Any, reply: Any
) -> None:
    await seed(store, turn_adder)
    await store.set_profile("ana", {"focus": "kept"})
    assert await learn_profile(scripted([reply]), store, "ana") is None
    assert await store.get_profile("ana") == {"focus": "kept"}


async def test_store_failure_returns_none(scripted: Any) -> None:
    class Broken:
        async def get_profile(self, user_id: str) -> None:
            raise OSError("disk gone")

    assert await learn_profile(scripted([]), Broken(), "ana") is None  # type: ignore[arg-type]


async def test_no_messages_means_nothing_learned(store: EventStore, scripted: Any) -> None:
    provider = scripted([json.dumps(GOOD)])
    assert await learn_profile(provider, store, "nobody") is None and provider.requests == []


def test_parse_profile_ignores_junk() -> None:
    assert parse_profile('x {"a": 1} y {"b": 2}') == {"a": 1}
    assert parse_profile('{not json} then {"ok": true}') == {"ok": True}
    assert parse_profile("none here") is None


def test_trim_profile_keeps_core_keys_longest() -> None:
    profile = {
        "preferences": ["a" * 50] * 20,
        "focus": "f",
        "working_style": "w",
        "extra": "e" * 100,
    }
    trimmed = trim_profile(profile, 200)
    assert len(json.dumps(trimmed, separators=(",", ":"))) <= 200
    assert trimmed["focus"] == "f" and trimmed["working_style"] == "w"
    assert profile["preferences"] == ["a" * 50] * 20  # the input is not modified


def test_render_profile() -> None:
    text = render_profile(
        {"zeta": "z", "focus": "the  lexer", "preferences": ["pytest", "ruff"], "empty": ""}
    )
    assert text == (
        "About the user (learned from earlier conversations):\n"
        "- preferences: pytest; ruff\n- focus: the lexer\n- zeta: z"
    )
    assert render_profile({}) == "" and render_profile(None) == ""
