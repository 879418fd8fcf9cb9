"""The recall index: what is indexed when, ranking, filters, hostile queries."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from silcrow.protocol.events import Event
from silcrow.store import EventStore
from silcrow.store.recall import fts_query, turn_document


async def turn(
    store: EventStore, conv: str, turn_id: str, user: str, deltas: list[str], close: str = "end"
) -> None:
    events = [Event("user", user, conversation_id=conv, turn_id=turn_id)]
    events += [
        Event("respond", d, {"delta": True}, conversation_id=conv, turn_id=turn_id) for d in deltas
    ]
    events.append(Event(close, conversation_id=conv, turn_id=turn_id))  # type: ignore[arg-type]
    for event in events:  # one by one, as a streaming turn would
        await store.append(event)


async def test_user_text_is_findable_while_the_turn_runs(store: EventStore) -> None:
    conv = (await store.create_conversation(title="Parser")).id
    await store.append(
        Event("user", "why does the lexer drop semicolons", conversation_id=conv, turn_id="t")
    )
    await store.append(
        Event(
            "respond", "Because the tokenizer", {"delta": True}, conversation_id=conv, turn_id="t"
        )
    )
    hits = await store.search("semicolons")
    assert [(h.conversation_id, h.turn_id, h.title) for h in hits] == [(conv, "t", "Parser")]
    assert await store.search("tokenizer") == []  # respond text joins at the end of the turn
    await store.append(Event("end", conversation_id=conv, turn_id="t"))
    assert [h.turn_id for h in await store.search("tokenizer")] == ["t"]


@pytest.mark.parametrize("close", ["end", "cancelled", "error"])
async def test_deltas_are_joined_in_seq_order(store: EventStore, close: str) -> None:
    conv = (await store.create_conversation()).id
    await turn(store, conv, "t", "question", ["The flux ", "capac", "itor is warm"], close)
    hits = await store.search("capacitor")
    assert len(hits) == 1
    assert "capacitor" in hits[0].snippet


async def test_semantic_respond_events_are_indexed(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    await store.append_many(
        [
            Event("user", "hello", conversation_id=conv, turn_id="t"),
            Event("respond", "whole answer about gardening", conversation_id=conv, turn_id="t"),
            Event("end", conversation_id=conv, turn_id="t"),
        ]
    )
    assert [h.turn_id for h in await store.search("gardening")] == ["t"]


async def test_more_relevant_turn_ranks_first(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    await turn(store, conv, "weak", "tell me about databases", ["SQLite is one option among many."])
    await turn(
        store,
        conv,
        "strong",
        "sqlite WAL checkpoint stalls",
        ["The SQLite WAL grows until a checkpoint; run a WAL checkpoint to stop stalls."],
    )
    await turn(store, conv, "none", "how do I bake bread", ["Flour, water, salt."])
    hits = await store.search("sqlite wal checkpoint")
    assert [h.turn_id for h in hits] == ["strong", "weak"]
    assert hits[0].score > hits[1].score
    assert hits[0].timestamp > 0
    assert len(await store.search("sqlite", limit=1)) == 1


async def test_snippet_is_short_and_contains_the_match(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    filler = " ".join(f"word{i}" for i in range(200))
    await turn(store, conv, "t", "question", [f"{filler} needle {filler}"])
    (hit,) = await store.search("needle")
    assert "needle" in hit.snippet
    assert len(hit.snippet.split()) < 30


async def test_filters_and_exclusion(store: EventStore) -> None:
    here = (await store.create_conversation(workspace="/a", user_id="ann")).id
    there = (await store.create_conversation(workspace="/b", user_id="ann")).id
    other = (await store.create_conversation(workspace="/a", user_id="bob")).id
    for conv in (here, there, other):
        await turn(store, conv, "t", "the migration failed", ["rerun it"])
    found = lambda hits: {h.conversation_id for h in hits}  # noqa: E731
    assert found(await store.search("migration")) == {here, there, other}
    assert found(await store.search("migration", exclude_conversation=here)) == {there, other}
    assert found(await store.search("migration", user_id="ann")) == {here, there}
    assert found(await store.search("migration", workspace="/a")) == {here, other}
    assert (
        found(
            await store.search(
                "migration", user_id="ann", workspace="/a", exclude_conversation=here
            )
        )
        == set()
    )


HOSTILE = [
    '"',
    '""',
    "-",
    "--x",
    ":",
    "col:term",
    "*",
    "a*",
    "(",
    ")",
    "NOT",
    "AND OR NOT",
    "NEAR(a b)",
    "^start",
    "user_text:x",
    '"unbalanced',
    "x' OR '1'='1",
    "{a b}:c",
    'migration"; DROP TABLE events; --',
    "ümlaut-straße",
    "___",
    "+",
    "\x00",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_raise(store: EventStore, query: str) -> None:
    conv = (await store.create_conversation()).id
    await turn(store, conv, "t", "the migration failed ümlaut straße", ["start x term"])
    await store.search(query)  # must not raise an FTS5 syntax error
    assert await store.count_events(conv) == 3


async def test_punctuated_query_still_finds_words(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    await turn(store, conv, "t", "the migration failed", ["rerun it"])
    assert [h.turn_id for h in await store.search('"migration:" -failed*')] == ["t"]


@pytest.mark.parametrize("query", ["", "   ", '-- : * "', "\n\t"])
async def test_empty_queries_return_nothing(store: EventStore, query: str) -> None:
    conv = (await store.create_conversation()).id
    await turn(store, conv, "t", "anything", ["at all"])
    assert await store.search(query) == []


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_is_a_valid_match_expression(text: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize='porter unicode61')")
    conn.execute("INSERT INTO t VALUES ('some words', 'more words')")
    query = fts_query(text)
    if query:
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
    conn.close()


def test_turn_document_prefers_deltas_over_whole_responds() -> None:
    rows = [
        ("user", "q1", None),
        ("respond", "He", '{"delta":true}'),
        ("respond", "llo", '{"delta":true}'),
        ("respond", "Hello", None),
    ]
    assert turn_document(rows) == ("q1", "Hello")
    assert turn_document([("user", "q", None), ("respond", "a", None), ("respond", "b", "{}")]) == (
        "q",
        "a\nb",
    )
