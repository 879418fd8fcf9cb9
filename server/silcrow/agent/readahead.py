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
4. ``drain(arrived, ...)`` reads what is left of a reply the consumer no
   longer shows (after ``§end`` or ``§execute``): it keeps the ``Usage`` and
   ``Stop`` items, which vendors send last, and drops the text. It is
   bounded by a character count and a time budget; when a bound is hit or
   the stream fails, it reports the tail as incomplete instead of raising.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Final, Literal

from silcrow.providers.base import ProviderError, StreamItem, TextDelta


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


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of a reply read after the consumer stopped showing it."""

    items: list[StreamItem]  # the ``Usage`` and ``Stop`` items, in order
    complete: bool  # False: a bound was hit or the stream failed first


async def drain(
    arrived: AsyncIterator[list[StreamItem]], *, max_chars: int, seconds: float
) -> Tail:
    """Read the rest of ``arrived``, keeping usage and stop, within the bounds."""
    kept: list[StreamItem] = []
    chars = 0
    try:
        async with asyncio.timeout(seconds):
            async for items in arrived:
                for item in items:
                    if isinstance(item, TextDelta):
                        chars += len(item.text)
                    else:
                        kept.append(item)
                if chars > max_chars:
                    return Tail(kept, complete=False)
    except (TimeoutError, ProviderError):
        return Tail(kept, complete=False)
    return Tail(kept, complete=True)
