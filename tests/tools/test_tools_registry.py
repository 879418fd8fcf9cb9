"""default_tools composition and the byte-stable tool description."""

from __future__ import annotations

from typing import Any

from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import ToolSettings, default_tools, describe_tools


class FakeStore:
    async def search(self, query: str, **kw: Any) -> list[Any]:
        return []


def test_nine_tools_with_store_eight_without(ws: LocalWorkspace) -> None:
    names = [t.name for t in default_tools(ws, store=FakeStore())]
    assert names == ["read", "write", "edit", "list", "find", "search", "scrape", "recall", "shell"]
    assert "recall" not in [t.name for t in default_tools(ws)]


def test_categories_and_idempotence(ws: LocalWorkspace) -> None:
    tools = {t.name: t for t in default_tools(ws, store=FakeStore())}
    expected = {
        "read": ("read", True),
        "list": ("read", True),
        "find": ("read", True),
        "recall": ("memory", True),
        "write": ("edit", True),
        "edit": ("edit", False),
        "shell": ("shell", False),
        "search": ("network", True),
        "scrape": ("network", True),
    }
    assert {n: (t.category, t.idempotent) for n, t in tools.items()} == expected


def test_settings_reach_the_tools(ws: LocalWorkspace) -> None:
    settings = ToolSettings(
        scrape_allow_private=True,
        shell_max_timeout=7,
        search_engine="searxng",
        search_base_url="http://127.0.0.1:1",
    )
    tools = {t.name: t for t in default_tools(ws, settings=settings)}
    assert tools["scrape"].allow_private is True  # type: ignore[attr-defined]
    assert tools["shell"].max_timeout == 7  # type: ignore[attr-defined]
    assert tools["search"].engine.name == "searxng"  # type: ignore[attr-defined]


def test_describe_is_deterministic_and_complete(ws: LocalWorkspace) -> None:
    first = describe_tools(default_tools(ws, store=FakeStore()))
    second = describe_tools(default_tools(ws, store=FakeStore()))
    assert first == second
    assert first.startswith("read [read]: Read a text file")
    assert "  - file (string): path relative to the workspace root" in first
    assert "  - depth (integer, optional; default 2): folder levels to descend" in first
    assert "shell [shell]:" in first and first.endswith("\n")


def test_describe_accepts_the_short_schema_form() -> None:
    class Custom(Tool):
        name = "db"
        description = "Query\n  the database."
        args = {
            "sql": {"type": "string", "description": "a query"},
            "limit": {"type": "integer", "default": 10},
        }
        category = "read"

        async def execute(self, **kw: Any) -> ToolResult:
            return ToolResult("")

    assert describe_tools([Custom()]) == (
        "db [read]: Query the database.\n"
        "  - sql (string): a query\n"
        "  - limit (integer, optional; default 10)\n"
    )
