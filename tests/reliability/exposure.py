"""What the escape, secret and injection checks share (issue 8, parts 5-7).

* ``HookedScript``: the scripted model's replies, with callbacks that run just
  before a given reply is served (a symlink appears mid-turn, say).
* ``run_turns(...)``: scripted turns through the real ``Agent`` (executor,
  permission policy, redaction, store) with the in-process fake provider.
* ``needles_in_store(db, needles)`` / ``needles_in_files(paths, needles)`` /
  ``needles_in_text(...)``: where each needle occurs - every cell of every
  table of the store, and the raw bytes of the database, its WAL and its
  shared-memory file - so a test can assert the count is zero.
* ``snapshot(root)``: every path under a folder with its kind and a hash of
  its bytes (or its link target), to compare before and after.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silcrow.agent import Agent
from silcrow.protocol.events import Event
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.base import AskFn, Tool
from silcrow.tools.policy import PermissionPolicy

BIG_CHUNK = 1 << 16  # one delta per reply: these checks are about tools, not streaming


@dataclass
class HookedScript(Script):
    """A ``Script`` that calls ``hooks[n]()`` just before serving reply ``n`` (0-based)."""

    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)

    def next_reply(self) -> str:
        hook = self.hooks.get(self._next)
        if hook is not None:
            hook()
        return super().next_reply()


@dataclass
class Turns:
    """What scripted turns left behind."""

    events: list[Event]
    provider: FakeProvider
    stop_reasons: list[str]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    def sent_to_model(self) -> str:
        """Every message of every request the fake provider received, as one text."""
        return "\n".join(m.content for request in self.provider.requests for m in request)


async def run_turns(
    store: EventStore,
    tools: Sequence[Tool],
    turns: Sequence[Sequence[str]],
    *,
    policy: PermissionPolicy | None = None,
    ask: AskFn | None = None,
    hooks: dict[int, Callable[[], None]] | None = None,
    query: str = "go",
) -> Turns:
    """Run one agent turn per reply list, each in a new conversation, in replay mode."""
    replies = [reply for turn in turns for reply in turn]
    provider = FakeProvider(HookedScript(replies, chunk=BIG_CHUNK, hooks=hooks or {}))
    agent = Agent(
        provider,
        mode="replay",
        storage=store,
        tools=tools,
        profile=False,
        permissions=policy or PermissionPolicy(),
        ask=ask,
        max_iterations=max((len(t) for t in turns), default=1) + 1,
    )
    events: list[Event] = []
    stops: list[str] = []
    try:
        for _ in turns:
            async for event in agent(query):
                events.append(event)
                if event.type in ("end", "cancelled", "error"):
                    stops.append(event.type)
    finally:
        await agent.aclose()
    return Turns(events, provider, stops)


def needles_in_text(text: str, needles: Iterable[str]) -> Counter[str]:
    return Counter({n: text.count(n) for n in needles if n in text})


def store_files(db: Path) -> list[Path]:
    """The database and whichever of its WAL, shared-memory and journal files exist."""
    return [
        p
        for p in (db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal")))
        if p.exists()
    ]


def needles_in_files(paths: Iterable[Path], needles: Iterable[str]) -> Counter[str]:
    """Occurrences of each needle in the raw bytes of the files (UTF-8 and UTF-16)."""
    found: Counter[str] = Counter()
    for path in paths:
        data = path.read_bytes()
        for needle in needles:
            for encoded in (needle.encode(), needle.encode("utf-16-le")):
                found[needle] += data.count(encoded)
    return +found


def needles_in_store(db: Path, needles: Iterable[str]) -> tuple[Counter[str], int]:
    """Occurrences in every cell of every table (read-only), and how many cells were read."""
    wanted = list(needles)
    found: Counter[str] = Counter()
    cells = 0
    uri = f"file:{db}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    cells += 1
                    text = cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell)
                    found.update(needles_in_text(text, wanted))
    return found, cells


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` (not following links) -> kind and content hash or link target."""
    shot: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                shot[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                shot[rel] = "dir"
            else:
                info = path.stat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                shot[rel] = f"file:{digest}:{info.st_mtime_ns}:{oct(info.st_mode)}"
    return shot


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Paths added, removed or altered between two snapshots."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def describe(found: Counter[str]) -> dict[str, Any]:
    return {needle[:24]: count for needle, count in found.items()}
