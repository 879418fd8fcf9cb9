"""Usage accounting for the fake servers, modelled on how vendors bill.

Algorithm:
1. Each response the fake generates is billed for its whole context: every
   input token the model saw (instructions + history + new input), counted
   with ``count_tokens``.
2. ``cached`` is the part of that context that is a prefix of the context of
   the previous response on the same cache key (a connection, or the whole
   server for HTTP): what a vendor's prompt cache would discount.
3. ``received_bytes``/``received_tokens`` count only what arrived on the wire
   for this response (the request body, or the frames sent since the last
   response) - the "wire" figure, as opposed to the billed one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from silcrow.providers.fakes.script import count_tokens


@dataclass(frozen=True, slots=True)
class Bill:
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    received_bytes: int
    received_tokens: int


@dataclass
class Ledger:
    bills: list[Bill] = field(default_factory=list)
    _last_context: dict[str, str] = field(default_factory=dict)

    def charge(
        self, *, context: str, output: str, received: str | bytes, key: str = ""
    ) -> Bill:
        previous = self._last_context.get(key, "")
        prefix = os.path.commonprefix([previous, context])  # noqa: RUF071 - characters intended
        raw = received.encode() if isinstance(received, str) else received
        bill = Bill(
            input_tokens=count_tokens(context),
            cached_tokens=count_tokens(prefix),
            output_tokens=count_tokens(output),
            received_bytes=len(raw),
            received_tokens=count_tokens(raw.decode("utf-8", "replace")),
        )
        self._last_context[key] = context + output
        self.bills.append(bill)
        return bill

    @property
    def received_bytes(self) -> int:
        return sum(b.received_bytes for b in self.bills)

    @property
    def received_tokens(self) -> int:
        return sum(b.received_tokens for b in self.bills)

    @property
    def billed_input_tokens(self) -> int:
        return sum(b.input_tokens for b in self.bills)
