"""What a fake "model" writes, and how fakes count what they receive.

Algorithm:
1. A ``Script`` is a list of replies, one per model response (a tool cycle or
   the final answer), consumed in order. Each reply is cut into chunks of
   ``chunk`` characters (the last one shorter), sent ``delay`` seconds apart.
2. When the script runs out, ``Script.next_reply`` returns ``fallback``
   (default: a short respond + end), so a misbehaving loop ends instead of
   hanging.
3. ``count_tokens`` is the stated counting rule used by every fake: one token
   per run of word characters and one per other non-space character. It is
   an approximation (no tokenizer is available offline), applied identically
   to every mode, so ratios between modes are meaningful even where absolute
   counts differ from a vendor's tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\w+|[^\w\s]")

DEFAULT_FALLBACK = "§respond: (the scripted fake has no more replies)\n§end\n"


def count_tokens(text: str) -> int:
    """Approximate token count: word runs plus punctuation marks."""
    return sum(1 for _ in _TOKEN.finditer(text))


def chunked(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for i in range(0, len(text), size):
        yield text[i : i + size]


@dataclass
class Script:
    replies: list[str] = field(default_factory=list)
    chunk: int = 4
    delay: float = 0.0
    fallback: str = DEFAULT_FALLBACK
    _next: int = 0

    @classmethod
    def of(cls, replies: Sequence[str], *, chunk: int = 4, delay: float = 0.0) -> Script:
        return cls(list(replies), chunk=chunk, delay=delay)

    def next_reply(self) -> str:
        if self._next < len(self.replies):
            reply = self.replies[self._next]
            self._next += 1
            return reply
        return self.fallback

    @property
    def remaining(self) -> int:
        return len(self.replies) - self._next

    def chunks(self, reply: str) -> Iterator[str]:
        return chunked(reply, self.chunk)
