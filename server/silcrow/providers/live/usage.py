"""Usage owed to the caller of a live session, each billed token reported once.

Algorithm:
1. ``add`` carries the usage of replies the caller cut short (and of drained
   tails) until the next report.
2. ``report(usage, sent_total)`` returns this reply's usage plus the carry,
   with ``sent_bytes`` = every byte sent since the previous report.
"""

from __future__ import annotations

from dataclasses import replace

from silcrow.providers.base import Usage


class UsageMeter:
    def __init__(self) -> None:
        self.carry = Usage()
        self.reported = 0

    def add(self, usage: Usage) -> None:
        self.carry += usage

    def report(self, usage: Usage | None, sent_total: int) -> Usage:
        total, self.carry = (usage or Usage()) + self.carry, Usage()
        sent, self.reported = sent_total - self.reported, sent_total
        return replace(total, sent_bytes=sent)
