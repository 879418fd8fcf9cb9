"""Appending and reading events, conversations, profiles, counts, bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from silcrow.protocol.events import Event
from silcrow.store import EventStore, default_db_path


def ev(
    conv: str, type_: str = "respond", content: str = "", turn: str = "t1", **kw: object
) -> Event:
    return Event(type_, content, conversation_id=conv, turn_id=turn, **kw)  # type: ignore[arg-type]


async def test_seq_increases_per_conversation_independently(store: EventStore) -> None:
    a = (await store.create_conversation()).id
    b = (await store.create_conversation()).id
    seqs = [
        (e.conversation_id, (await store.append(e)).seq)
        for e in [ev(a), ev(a), ev(b), ev(a), ev(b)]
    ]
    assert seqs == [(a, 1), (a, 2), (b, 1), (a, 3), (b, 2)]
    assert await store.last_seq(a) == 3
    assert await store.last_seq(b) == 2
    assert await store.last_seq("nobody") == 0


async def test_append_returns_the_stored_event_with_time(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    sent = ev(conv, "call", "x", payload={"name": "read", "args": {"file": "§.py"}}, seq=99)
    stored = await store.append(sent)
    assert stored.seq == 1 and stored.timestamp > 0
    assert stored == (await store.events(conv))[0]
    kept = await store.append(ev(conv, timestamp=12.5))
    assert kept.timestamp == 12.5


async def test_concurrent_appends_in_one_process_get_distinct_seqs(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    stored = await asyncio.gather(*(store.append(ev(conv, content=str(i))) for i in range(50)))
    assert sorted(e.seq for e in stored) == list(range(1, 51))
    assert [e.seq for e in await store.events(conv)] == list(range(1, 51))


async def test_append_many_spans_conversations_with_consecutive_seqs(store: EventStore) -> None:
    a = (await store.create_conversation()).id
    b = (await store.create_conversation()).id
    await store.append(ev(a))
    stored = await store.append_many([ev(a), ev(b), ev(a), ev(b)])
    assert [(e.conversation_id, e.seq) for e in stored] == [(a, 2), (b, 1), (a, 3), (b, 2)]
    assert await store.append_many([]) == []


async def test_append_many_is_atomic(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    await store.append(ev(conv, content="kept"))
    with pytest.raises(ValueError, match="unknown conversation 'ghost'"):
        await store.append_many([ev(conv, content="a"), ev("ghost"), ev(conv, content="b")])
    with pytest.raises(ValueError, match="JSON"):
        await store.append_many([ev(conv), ev(conv, payload={"x": object()})])
    assert [e.content for e in await store.events(conv)] == ["kept"]
    assert (await store.append(ev(conv))).seq == 2  # the store still works afterwards


async def test_cancelled_append_leaves_no_open_transaction(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    for _ in range(20):
        task = asyncio.create_task(store.append(ev(conv)))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    stored = await store.append(ev(conv, content="after"))
    events = await store.events(conv)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1] == stored


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (Event("bogus", conversation_id="c"), "unknown event type"),  # type: ignore[arg-type]
        (Event("user"), "no conversation_id"),
        (Event("user", 5, conversation_id="c"), "content must be str"),  # type: ignore[arg-type]
        (Event("user", payload=[1], conversation_id="c"), "payload must be a dict"),  # type: ignore[arg-type]
        (Event("user", payload={"n": float("nan")}, conversation_id="c"), "JSON"),
    ],
)
async def test_bad_events_are_refused_clearly(
    store: EventStore, event: Event, message: str
) -> None:
    await store.create_conversation(conversation_id="c")
    with pytest.raises(ValueError, match=message):
        await store.append(event)
    assert await store.last_seq("c") == 0


async def test_events_after_seq_and_limit(store: EventStore) -> None:
    conv = (await store.create_conversation()).id
    await store.append_many([ev(conv, content=str(i)) for i in range(10)])
    assert [e.seq for e in await store.events(conv, after_seq=7)] == [8, 9, 10]
    assert [e.seq for e in await store.events(conv, after_seq=2, limit=3)] == [3, 4, 5]
    assert await store.events("nobody") == []


async def test_conversation_round_trip_and_duplicate_id(store: EventStore) -> None:
    conv = await store.create_conversation(
        workspace="/w", user_id="u", title="T", conversation_id="x"
    )
    assert await store.get_conversation("x") == conv
    assert await store.get_conversation("missing") is None
    with pytest.raises(ValueError, match="already exists"):
        await store.create_conversation(conversation_id="x")
    await store.set_title("x", "New")
    got = await store.get_conversation("x")
    assert got is not None and got.title == "New"
    with pytest.raises(ValueError, match="unknown conversation"):
        await store.set_title("missing", "T")
    assert len((await store.create_conversation()).id) == 32


async def test_list_conversations_most_recently_updated_first(store: EventStore) -> None:
    old = await store.create_conversation(workspace="/a", title="old")
    mid = await store.create_conversation(workspace="/b", title="mid")
    new = await store.create_conversation(workspace="/a", title="new")
    touched = await store.append(ev(old.id))  # appending bumps updated_at
    got = await store.get_conversation(old.id)
    assert got is not None and got.updated_at == touched.timestamp
    assert [c.title for c in await store.list_conversations()] == ["old", "new", "mid"]
    assert [c.title for c in await store.list_conversations(workspace="/a")] == ["old", "new"]
    assert [c.title for c in await store.list_conversations(limit=1)] == ["old"]
    assert new.id != mid.id


async def test_list_conversations_by_user(store: EventStore) -> None:
    await store.create_conversation(user_id="ann", title="a1")
    await store.create_conversation(user_id="bob", title="b1")
    assert [c.title for c in await store.list_conversations(user_id="bob")] == ["b1"]


async def test_count_events_filters(store: EventStore) -> None:
    a = (await store.create_conversation(user_id="ann")).id
    b = (await store.create_conversation(user_id="ann")).id
    c = (await store.create_conversation(user_id="bob")).id
    await store.append_many([ev(a, "user"), ev(a), ev(b, "user"), ev(c, "user"), ev(c)])
    assert await store.count_events() == 5
    assert await store.count_events(a) == 2
    assert await store.count_events(type="user") == 3
    assert await store.count_events(type="user", user_id="ann") == 2
    assert await store.count_events(a, type="user", user_id="bob") == 0


async def test_profile_round_trip(store: EventStore) -> None:
    assert await store.get_profile("ann") is None
    await store.set_profile("ann", {"tone": "terse", "langs": ["py", "lua"], "n": 1})
    assert await store.get_profile("ann") == {"tone": "terse", "langs": ["py", "lua"], "n": 1}
    await store.set_profile("ann", {"tone": "chatty"})
    assert await store.get_profile("ann") == {"tone": "chatty"}
    with pytest.raises(ValueError, match="profile must be a dict"):
        await store.set_profile("ann", ["x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="JSON"):
        await store.set_profile("ann", {"x": {1, 2}})


async def test_data_survives_reopen(db_path: Path) -> None:
    store = await EventStore.open(db_path)
    conv = (await store.create_conversation()).id
    stored = await store.append_many([ev(conv, "user", "hi"), ev(conv, "end")])
    await store.close()
    store = await EventStore.open(db_path)
    assert await store.events(conv) == stored
    await store.close()


async def test_memory_store_and_bad_options(tmp_path: Path) -> None:
    store = await EventStore.open(":memory:")
    conv = (await store.create_conversation()).id
    assert (await store.append(ev(conv))).seq == 1
    await store.close()
    with pytest.raises(ValueError, match="durability must be one of"):
        await EventStore.open(":memory:", durability="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is a directory"):
        await EventStore.open(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="not a usable SQLite database"):
        await EventStore.open(junk)


async def test_default_path_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "dir" / "my.db"
    monkeypatch.setenv("SILCROW_DB", str(target))
    assert default_db_path() == target
    store = await EventStore.open()
    await store.close()
    assert target.exists()
    monkeypatch.delenv("SILCROW_DB")
    assert default_db_path().name == "silcrow.db"
    assert "silcrow" in default_db_path().parent.as_posix()
