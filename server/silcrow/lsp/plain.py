"""``as_plain``: JSON-shaped data from what pygls hands over.

pygls gives the params and results of methods it has no type for as
namedtuples (and LSPAny fields as whatever the client sent); the daemon and
the terminal client both want plain dicts and lists.
"""

from __future__ import annotations

from typing import Any


def as_plain(value: Any) -> Any:
    """Dicts and lists from dicts, lists, tuples and namedtuples, recursively."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return value
