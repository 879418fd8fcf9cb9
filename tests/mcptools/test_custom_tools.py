"""Custom Python tools named in the daemon's ``tools`` setting (``silcrow.tools.loader``)."""

from __future__ import annotations

from silcrow.lsp.extensions import custom_tools
from silcrow.lsp.settings import FOLDER_SETTINGS, folder_layer, parse_settings


async def test_the_tools_setting_loads_good_specs_and_reports_bad_ones() -> None:
    shown: list[str] = []
    specs = ["mcptools.custom_tool:Greeter", "nowhere.at_all:Tool", "mcptools.custom_tool:Greeter"]
    tools = custom_tools(specs, {"read"}, shown.append)
    assert [t.name for t in tools] == ["greet"]
    assert (await tools[0].execute(who="Ada")).content == "hello Ada"
    assert "nowhere.at_all" in shown[0] and "cannot import" in shown[0]
    assert "like a tool already loaded" in shown[1]


def test_tools_and_mcp_servers_are_user_settings_only() -> None:
    settings, issues = parse_settings({"tools": ["a.b:C"], "mcpServers": {"t": {"command": "x"}}})
    assert not issues and settings.tools == ["a.b:C"] and "t" in settings.mcp_servers
    kept, dropped = folder_layer({"tools": ["evil:Tool"], "mcpServers": {"e": {"command": "sh"}}})
    assert kept == {} and set(dropped) == {"tools", "mcpServers"}
    assert "tools" not in FOLDER_SETTINGS and "mcpServers" not in FOLDER_SETTINGS
    _, bad = parse_settings({"tools": "a.b:C", "mcpServers": ["x"]})
    assert {i.name for i in bad} == {"silcrow.tools", "silcrow.mcpServers"}
