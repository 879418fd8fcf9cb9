"""``silcrow.tools``: Cogency's tool registry, as selections of built-ins by name.

Cogency 3.2.0 exports ``tools`` (``from cogency import tools``): ``tools()``
is every built-in, ``tools.category("code")`` and ``tools.name(["read",
"write"])`` a part of them. Silcrow's built-ins work inside the agent's
workspace, which is known only to the agent, so these return ``Builtin``
markers (a name each); ``Agent(tools=[...])`` puts its own built-in of that
name in each marker's place (``silcrow.agent.setup.resolve_tools``). A list
can mix markers and custom ``Tool`` objects, as in Cogency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NAMES = ("read", "write", "edit", "list", "find", "shell", "scrape", "search", "recall")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "code": ("read", "write", "edit", "list", "find", "shell"),
    "web": ("scrape", "search"),
    "memory": ("recall",),
}


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in tool chosen by name; the agent supplies the tool itself."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(
                f"no built-in tool {self.name!r}; the built-ins are {', '.join(NAMES)}"
            )


def _many(names: str | Iterable[str]) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def every() -> list[Builtin]:
    """``tools()``: every built-in."""
    return [Builtin(name) for name in NAMES]


def name(names: str | Iterable[str]) -> list[Builtin]:
    """``tools.name("read")`` / ``tools.name(["read", "write"])``."""
    return [Builtin(n) for n in _many(names)]


def category(categories: str | Iterable[str]) -> list[Builtin]:
    """``tools.category("code")``: Cogency's categories code, web and memory."""
    wanted = _many(categories)
    unknown = [c for c in wanted if c not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown tool category {unknown[0]!r}; use {', '.join(CATEGORIES)}")
    return [Builtin(n) for n in NAMES if any(n in CATEGORIES[c] for c in wanted)]


def get(tool_name: str) -> Builtin | None:
    """``tools.get("read")``: one built-in, or None for a name that is not one."""
    return Builtin(tool_name) if tool_name in NAMES else None
