"""Two OS processes on one database, and a process killed after an acknowledged append."""

from __future__ import annotations

import asyncio
import itertools
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from silcrow.store import EventStore

CHILD = Path(__file__).with_name("store_child.py")
PER_CHILD = 300
HANG_GUARD_S = 120  # only stops a broken store from hanging CI; not a speed check

pytestmark = pytest.mark.slow  # every test runs writer processes


async def spawn(db: Path, conv: str, label: str, count: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        str(db),
        conv,
        label,
        str(count),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if line != b"ready\n":
        _, err = await proc.communicate()
        raise AssertionError(f"child failed to start: {line!r} {err.decode()}")
    return proc


def go(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")


async def test_two_processes_append_without_loss_or_duplicates(
    store: EventStore, db_path: Path
) -> None:
    conv = (await store.create_conversation()).id
    children = [await spawn(db_path, conv, label, PER_CHILD) for label in ("a", "b")]
    for child in children:  # both are open and waiting; start them together
        go(child)
    try:
        outputs = await asyncio.wait_for(
            asyncio.gather(*(child.communicate() for child in children)), HANG_GUARD_S
        )
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
        assert b"locked" not in err
        assert out.splitlines()[-1] == b"done"
    events = await store.events(conv)
    assert [e.seq for e in events] == list(range(1, 2 * PER_CHILD + 1))
    for label, (out, _) in zip("ab", outputs, strict=True):
        mine = [e for e in events if e.content.startswith(f"{label}-")]
        assert [e.content for e in mine] == [f"{label}-{i}" for i in range(PER_CHILD)]
        assert [str(e.seq).encode() for e in mine] == out.splitlines()[:-1]  # acks match the log
    interleaved = sum(1 for x, y in itertools.pairwise(events) if x.content[0] != y.content[0])
    assert interleaved > 1, "the children did not run at the same time; the test proves nothing"


async def test_killed_process_keeps_every_acknowledged_event(
    store: EventStore, db_path: Path
) -> None:
    conv = (await store.create_conversation()).id
    child = await spawn(db_path, conv, "k", 0)
    go(child)
    assert child.stdout is not None
    try:
        acked = [
            int(await asyncio.wait_for(child.stdout.readline(), HANG_GUARD_S)) for _ in range(40)
        ]
    except BaseException:
        child.kill()
        raise
    child.send_signal(signal.SIGKILL)  # right after the 40th acknowledgement
    await child.wait()
    assert child.returncode == -signal.SIGKILL
    await store.close()

    reopened = await EventStore.open(db_path)
    try:
        events = {e.seq: e.content for e in await reopened.events(conv)}
    finally:
        await reopened.close()
    assert acked == list(range(1, 41))
    for i, seq in enumerate(acked):
        assert events[seq] == f"k-{i}"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
