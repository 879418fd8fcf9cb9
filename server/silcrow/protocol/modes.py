"""Chat modes: which tools a turn offers the model, and what it is asked to produce.

``agent`` (the default) offers every tool. ``ask`` offers only
``READ_ONLY_TOOLS``; ``plan`` is ``ask`` plus ``PLAN_INSTRUCTION`` in the
system prompt. A call to a tool the mode withholds is refused by the
executor without running or asking (``refusal``), so the model learns why.
"""

from __future__ import annotations

from typing import Literal

ChatMode = Literal["agent", "ask", "plan"]
CHAT_MODES: tuple[ChatMode, ...] = ("agent", "ask", "plan")
READ_ONLY_TOOLS = frozenset({"read", "list", "find", "search", "recall", "scrape"})
PLAN_INSTRUCTION = (
    "Plan mode: you may only read and search; nothing is changed this turn. Investigate as "
    "needed, then end your answer with a numbered plan of concrete steps (files, changes, "
    "commands) that the user can run in agent mode."
)


def chat_mode_of(value: object) -> ChatMode | None:
    """``value`` as a chat mode, or None when it names none."""
    return next((mode for mode in CHAT_MODES if mode == value), None)


def offered(mode: ChatMode, names: list[str]) -> list[str]:
    """The tool names ``mode`` offers out of ``names``."""
    if mode == "agent":
        return list(names)
    return [name for name in names if name in READ_ONLY_TOOLS]


def refusal(mode: ChatMode, tool: str) -> tuple[str, str]:
    """(outcome, content) of the result a withheld tool's call gets."""
    return (
        f"{tool} is not available in {mode} mode",
        f"The {tool} tool is not available in {mode} mode: this turn may only read "
        f"({', '.join(sorted(READ_ONLY_TOOLS))}). It was not run. Continue with those "
        "tools, or tell the user what you would change so they can switch to agent mode.",
    )
