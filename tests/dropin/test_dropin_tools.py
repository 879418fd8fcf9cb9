"""Cogency-shaped custom tools and Cogency's argument names, through ``silcrow.Agent``.

The scripted model writes the calls a Cogency-prompted model would write;
the tests check what the model is shown, what the tools receive, who is
asked, and the stored results.
"""

from __future__ import annotations

from typing import Any

from dropin.kit import END, Lookup, Peek, Run, call, results
from silcrow import Tool, ToolResult
from silcrow.tools.base import PermissionRequest
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.policy import PermissionPolicy
from silcrow.tools.registry import describe_tools


def test_the_model_sees_a_custom_tools_schema_or_its_signature() -> None:
    shown = describe_tools([Lookup(), Peek()])
    assert (
        "lookup [custom]: Look a key up\n  - key (string)\n  - limit (integer, optional)" in shown
    )
    assert "peek [read]: Read-only peek\n  - what (string)" in shown
    assert "user_id" not in shown and "sandbox_dir" not in shown

    class Typed(Tool):
        name = "typed"
        description = "Arguments from annotations"

        async def execute(
            self,
            n: int | None,
            tags: list[str] | None = None,
            **kwargs: Any,
        ) -> ToolResult:
            return ToolResult(outcome="ok")

    assert describe_tools([Typed()]) == (
        "typed [custom]: Arguments from annotations\n"
        "  - n (integer)\n"
        "  - tags (array, optional; default null)\n"
    )


async def test_a_custom_tool_gets_user_id_sandbox_dir_and_access(
    run: Run, ws: LocalWorkspace
) -> None:
    tool = Lookup()
    replies = [call("lookup", key="a", user_id="mallory"), call("lookup", key="b"), END]
    await run(replies, user_id="ann", agent={"tools": [tool]})
    await run([call("lookup", key="c"), END], agent={"tools": [tool]})
    assert tool.seen == [
        {"key": "a", "user_id": "ann", "sandbox_dir": str(ws.root), "access": "sandbox"},
        {"key": "b", "user_id": "ann", "sandbox_dir": str(ws.root), "access": "sandbox"},
        {"key": "c", "user_id": None, "sandbox_dir": str(ws.root), "access": "sandbox"},
    ]


async def test_a_custom_tool_asks_a_person_unless_it_is_read_only(run: Run) -> None:
    asked: list[PermissionRequest] = []

    async def ask(request: PermissionRequest) -> Any:
        asked.append(request)
        return "reject"

    tool = Lookup()
    agent_kw = {"tools": [tool, Peek()], "permissions": PermissionPolicy(), "ask": ask}
    events, _ = await run([call("lookup", key="a"), call("peek", what="x"), END], agent=agent_kw)
    assert [r.tool for r in asked] == ["lookup"]
    assert [e["payload"]["outcome"] for e in results(events)] == [
        "lookup rejected by the user",
        "peeked x",
    ]
    assert tool.seen == []
    # a library agent with nobody to ask runs it, as Cogency does
    events, _ = await run(
        [call("lookup", key="a"), END], agent={"tools": [tool], "permissions": PermissionPolicy()}
    )
    assert [e["payload"]["outcome"] for e in results(events)] == ["looked up a"]


def test_the_daemons_default_permissions_ask_before_a_custom_tool() -> None:
    from silcrow.lsp.settings import Permissions

    policy = PermissionPolicy.from_settings(Permissions().as_dict())
    assert policy.check(Lookup(), {"key": "a"}) == "ask"
    assert policy.check(Peek(), {"what": "x"}) == "allow"


# -- Cogency's argument names -------------------------------------------------------


def test_the_model_is_shown_silcrows_argument_names_only(ws: LocalWorkspace) -> None:
    from silcrow.tools.registry import default_tools

    shown = describe_tools(default_tools(ws)).split("\n\n")
    arguments = {tool.split(" ")[0]: tool.split("\n")[1:] for tool in shown}
    for name, alias in (
        ("read", "lines"),
        ("write", "overwrite"),
        ("list", "pattern"),
        ("find", "content"),
        ("shell", "cwd"),
    ):
        assert not [line for line in arguments[name] if line.startswith(f"  - {alias} (")]
    assert any(line.startswith("  - end (") for line in arguments["read"])


async def test_cogency_argument_names_keep_cogencys_meaning(run: Run, ws: LocalWorkspace) -> None:
    replies = [
        call("read", file="notes.txt", start=3, lines=2),
        call("write", file="notes.txt", content="new", overwrite=False),
        call("write", file="fresh.txt", content="new", overwrite=False),
        call("write", file="notes.txt", content="replaced\n", overwrite=True),
        call("list", path="src", pattern="*.py"),
        call("find", content="hello world"),
        call("shell", command="pwd", cwd="src"),
        call("shell", command="pwd", cwd="../.."),
        END,
    ]
    events, _ = await run(replies, agent={"permissions": PermissionPolicy.allow_all()})
    got = [(e["payload"]["name"], e["payload"]["outcome"], e["content"]) for e in results(events)]
    read, exists, _, _, listed, found, here, outside = got
    assert read[1] == "Read notes.txt lines 3-4" and "line 3" in read[2] and "line 5" not in read[2]
    assert "notes.txt already exists; give overwrite=true" in exists[2]
    assert (ws.root / "fresh.txt").read_text() == "new"
    assert (ws.root / "notes.txt").read_text() == "replaced\n"
    assert listed[0] == "list" and "src/app.py" in listed[2]
    assert "src/app.py:1:" in found[2]  # case-insensitive, as Cogency's content
    assert here[2].splitlines()[0] == str(ws.root / "src")
    assert "outside" in outside[2].lower() or "escape" in outside[2].lower()
