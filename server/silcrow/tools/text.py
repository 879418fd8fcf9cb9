"""Size caps for text the model sees, and human-readable sizes.

Algorithm:
1. ``cap_text(text, limit, keep="head")`` keeps the first ``limit`` characters
   and says how many were dropped; ``keep="headtail"`` keeps the first and last
   halves (the end of a build log holds the error) with a marker between.
2. The marker counts omitted characters and lines so the model can ask for a
   range instead of guessing.
3. Both return ``(text, truncated)``; an untruncated text is returned as is.
"""

from __future__ import annotations

from typing import Literal

Keep = Literal["head", "headtail"]


def human_size(size: int) -> str:
    """``1536`` -> ``"1.5 KB"``; bytes below 1 KB are shown exactly."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def _marker(omitted: str) -> str:
    lines = omitted.count("\n")
    return f"\n[... {len(omitted)} characters ({lines} lines) omitted ...]\n"


def cap_text(text: str, limit: int, *, keep: Keep = "head") -> tuple[str, bool]:
    """Cap ``text`` at about ``limit`` characters; returns ``(text, truncated)``."""
    if limit <= 0:
        raise ValueError(f"cap_text limit must be positive, got {limit}")
    if len(text) <= limit:
        return text, False
    if keep == "head":
        return text[:limit] + _marker(text[limit:]), True
    head = limit // 2
    tail = limit - head
    return text[:head] + _marker(text[head:-tail]) + text[-tail:], True


class HeadTail:
    """Incremental head+tail buffer for streamed output (bytes in, text out).

    Keeps the first ``limit // 2`` bytes and the last ``limit - limit // 2``
    bytes of everything added, and counts the rest.
    """

    def __init__(self, limit: int) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self._head) + len(self._tail)

    def text(self) -> str:
        head = self._head.decode("utf-8", errors="replace")
        tail = self._tail.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + tail
        omitted = self.total - len(self._head) - len(self._tail)
        return f"{head}\n[... {omitted} bytes of output omitted ...]\n{tail}"
