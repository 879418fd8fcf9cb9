"""A separate OS process that appends to a store, for the multi-process tests.

Usage: python store_child.py DB CONVERSATION LABEL COUNT
Prints "ready", waits for one line on stdin, then appends COUNT events
(content "LABEL-i"), printing each acknowledged seq on its own flushed line.
COUNT 0 means append until killed. Ends with "done".
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from silcrow.protocol.events import Event
from silcrow.store import EventStore


async def main(db: str, conversation_id: str, label: str, count: int) -> None:
    async with await EventStore.open(db) as store:  # closing lets the process exit on error
        print("ready", flush=True)
        sys.stdin.readline()
        numbers = itertools.count() if count == 0 else range(count)
        for i in numbers:
            event = Event("respond", f"{label}-{i}", {"delta": True}, conversation_id, "turn")
            stored = await store.append(event)
            print(stored.seq, flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
