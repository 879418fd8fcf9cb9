"""Shared knobs for the reliability suite (import as ``reliability.knobs``).

The suite has two settings. The quick one runs inside ``scripts/test`` with
small counts; the long one (``SILCROW_SOAK=1``, set by ``scripts/soak``) runs
the counts the figures in ``docs/reliability.md`` come from. Each test asks
``runs(quick, long)`` for its count and calls ``record(name, **figures)`` with
what it measured; when ``SILCROW_FIGURES`` names a file, the figures are
appended to it as JSON lines so ``scripts/soak`` can print one table.
"""

from __future__ import annotations

import json
import os
from typing import Any

LONG = os.environ.get("SILCROW_SOAK") == "1"


def runs(quick: int, long: int) -> int:
    """The number of repetitions for the current setting."""
    return long if LONG else quick


def record(name: str, **figures: Any) -> None:
    """Append one measured figure set to ``$SILCROW_FIGURES`` (if set)."""
    path = os.environ.get("SILCROW_FIGURES")
    if not path:
        return
    row = {"check": name, "setting": "long" if LONG else "quick", **figures}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
