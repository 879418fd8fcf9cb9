"""recall against the real EventStore: ranking, user scoping, excluding this conversation."""

from __future__ import annotations

from typing import Any

from silcrow.store import EventStore
from silcrow.tools.base import CURRENT, ToolContext
from silcrow.tools.builtin.recall import RecallTool


async def recall(store: EventStore, query: str, **ctx: Any) -> Any:
    token = CURRENT.set(ToolContext(**ctx))
    try:
        return await RecallTool(store).execute(query=query)
    finally:
        CURRENT.reset(token)


async def test_recall_ranks_scopes_and_excludes(store: EventStore, turn_adder: Any) -> None:
    current = (await store.create_conversation(user_id="ana", title="Today")).id
    lexer = (await store.create_conversation(user_id="ana", title="Lexer work")).id
    other = (await store.create_conversation(user_id="bob", title="Bob's lexer")).id
    await turn_adder(store, current, "t1", "the websocket lexer keeps splitting delimiters")
    await turn_adder(
        store, lexer, "t1", "websocket lexer splits delimiters across chunks, websocket again"
    )
    await turn_adder(store, lexer, "t2", "unrelated question about css grids")
    await turn_adder(store, other, "t1", "websocket lexer secret plans of bob")

    result = await recall(store, "websocket lexer", user_id="ana", conversation_id=current)
    assert not result.error and "Recalled 1" in result.outcome
    assert result.content.startswith("[Lexer work - ")
    assert "splits delimiters" in result.content
    assert "Today" not in result.content and "bob" not in result.content

    everyone = await recall(store, "websocket lexer")
    assert "Bob's lexer" in everyone.content and "Today" in everyone.content


async def test_recall_nothing_found_and_empty_query(store: EventStore) -> None:
    nothing = await recall(store, "quantum gravity", user_id="ana")
    assert not nothing.error and "no earlier conversation" in nothing.content
    assert (await recall(store, "   ")).error
