"""Loading custom tools from "module:Name" specs."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from silcrow.tools.loader import ToolLoadError, load_tool

MODULE = """
from silcrow.tools.base import Tool, ToolResult

class DatabaseTool(Tool):
    name = "db"
    description = "Query the database."
    args = {"sql": {"type": "string"}}
    category = "read"
    idempotent = True

    async def execute(self, sql):
        return ToolResult("ran", sql)

INSTANCE = DatabaseTool()

def factory():
    return DatabaseTool()

class Sync(Tool):
    name = "sync"
    description = "Not async."
    def execute(self, **kw):
        return None

class NoName(Tool):
    description = "x"
    async def execute(self, **kw):
        return None

class NeedsArgs(Tool):
    def __init__(self, url):
        self.url = url

NOT_A_TOOL = 42
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "myplugin_tools.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "myplugin_tools"
    sys.modules.pop("myplugin_tools", None)


@pytest.mark.parametrize("name", ["DatabaseTool", "INSTANCE", "factory"])
async def test_good_specs(plugin: str, name: str) -> None:
    tool = load_tool(f"{plugin}:{name}")
    assert tool.name == "db"
    assert (await tool.execute(sql="select 1")).content == "select 1"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nocolon", "write it as 'package.module:ToolClass'"),
        ("a:b:c", "write it as"),
        (":Name", "both the module and the name"),
        ("no_such_module_xyz:Tool", "cannot import 'no_such_module_xyz'"),
        ("{p}:Missing", "has no attribute 'Missing'"),
        ("{p}:Sync", "an 'async def execute'"),
        ("{p}:NoName", "a non-empty name"),
        ("{p}:NeedsArgs", "calling it with no arguments failed"),
        ("{p}:NOT_A_TOOL", "is a int, not a Tool"),
    ],
)
def test_bad_specs_name_the_spec(plugin: str, spec: str, message: str) -> None:
    spec = spec.format(p=plugin)
    with pytest.raises(ToolLoadError) as info:
        load_tool(spec)
    assert repr(spec) in str(info.value) and message in str(info.value)
