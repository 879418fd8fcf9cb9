"""Read-ahead over a model stream: batch what arrived while the store was busy.

Algorithm:
1. A reader task iterates the provider stream and puts every item on a
   queue; a stream failure goes on the queue as a ``_Failure``; the end as
   ``_END``.
2. ``batches(stream)`` waits for one item, then takes everything else that
   is already queued: while the consumer commits one batch to the store the
   reader keeps receiving, so there is one transaction per delta when the
   model is slow and many deltas per transaction when it is fast.
3. A failure is raised to the consumer after the items that arrived before
   it (they are still shown). When the consumer stops early the reader is
   cancelled, which closes the stream; items it had queued but the consumer
   never took are put in ``rest`` when one is given (a reply's ``Stop`` and
   ``Usage`` arrive after the text the consumer stopped at).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Final, Literal

from silcrow.providers.base import StreamItem


@dataclass(frozen=True, slots=True)
class _Failure:
    exc: Exception


_END: Final = "end"
_Queued = StreamItem | _Failure | Literal["end"]


async def batches(
    stream: AsyncIterator[StreamItem], rest: list[StreamItem] | None = None
) -> AsyncGenerator[list[StreamItem], None]:
    """Yield lists of stream items, each holding everything that arrived meanwhile."""
    queue: asyncio.Queue[_Queued] = asyncio.Queue()

    async def read() -> None:
        try:
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for item in stream:
                    queue.put_nowait(item)
        except Exception as exc:
            queue.put_nowait(_Failure(exc))
        finally:
            queue.put_nowait(_END)

    reader = asyncio.get_running_loop().create_task(read())
    try:
        while True:
            queued = [await queue.get()]
            while not queue.empty():
                queued.append(queue.get_nowait())
            items: list[StreamItem] = []
            for entry in queued:
                if isinstance(entry, _Failure):
                    if items:
                        yield items  # what arrived before the failure is still shown
                    raise entry.exc
                if isinstance(entry, str):
                    if items:
                        yield items
                    return
                items.append(entry)
            if items:
                yield items
    finally:
        if not reader.done():
            reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        while rest is not None and not queue.empty():
            entry = queue.get_nowait()
            if not isinstance(entry, _Failure | str):
                rest.append(entry)
