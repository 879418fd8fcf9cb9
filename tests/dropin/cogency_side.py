"""Cogency 3.2.0's own behaviour, measured in its own virtual environment (never Silcrow's).

``python cogency_side.py <folder>`` runs under ``.bench/cogency-venv``'s
python (made by ``scripts/bench_cogency.py``'s ``ensure_venv``) with
``<folder>`` as the current directory, and prints one JSON object:

* ``schemas``: each built-in tool's argument names, from its ``schema``;
* ``tools``: what the built-ins do with the argument names Silcrow takes as
  aliases (read ``lines``, write ``overwrite``, list ``pattern``, find
  ``content``, shell ``cwd``) in a project folder laid out like the test's;
* ``history``: the user-role messages Cogency's ``Agent`` sends the model on
  each of three turns on one conversation id (users alice, bob, None),
  with a scripted LLM of its ``LLM`` protocol.

Nothing from Silcrow is imported here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def layout(root: Path) -> None:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "notes.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    (root / "src" / "app.py").write_text("print('Hello World')\n")


async def tool_runs(root: Path) -> dict[str, Any]:
    from cogency.tools import Find, List, Read, Shell, Write

    box = {"sandbox_dir": str(root), "access": "sandbox"}
    runs = {
        "read": await Read().execute(file="notes.txt", start=2, lines=2, **box),
        "write_refused": await Write().execute(
            file="notes.txt", content="x", overwrite=False, **box
        ),
        "write_replaced": await Write().execute(
            file="notes.txt", content="y\n", overwrite=True, **box
        ),
        "list": await List().execute(path="src", pattern="*.py", **box),
        "find": await Find().execute(content="hello world", **box),
        "shell": await Shell().execute(command="pwd", cwd="src", **box),
    }
    out = {
        name: {"outcome": r.outcome, "content": r.content, "error": r.error}
        for name, r in runs.items()
    }
    out["notes_after"] = {"content": (root / "notes.txt").read_text()}
    return out


class ScriptedLLM:
    """Cogency's LLM protocol: replay only, every reply the same, every request kept."""

    def __init__(self) -> None:
        self.requests: list[list[dict[str, Any]]] = []

    async def stream(self, messages: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
        self.requests.append(messages)
        yield "§respond: ok\n§end"

    async def generate(self, messages: list[dict[str, Any]]) -> str:
        return "§respond: ok\n§end"

    async def connect(self, messages: list[dict[str, Any]]) -> ScriptedLLM:
        raise RuntimeError("no live session")

    async def send(self, content: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("no live session")
        yield ""

    async def close(self) -> None:
        pass


async def history(root: Path) -> list[list[str]]:
    from cogency import Agent
    from cogency.lib.sqlite import SQLite

    llm = ScriptedLLM()
    agent = Agent(llm, SQLite(str(root / "store.db")), mode="replay", tools=[])
    for user, text in (("alice", "alice's secret"), ("bob", "bob asks"), (None, "anyone")):
        async for _ in agent(text, user_id=user, conversation_id="shared"):
            pass
    return [[m["content"] for m in request if m["role"] == "user"] for request in llm.requests]


async def main(root: Path) -> None:
    from cogency.tools import tools

    layout(root / "project")
    result = {
        "schemas": {tool.name: sorted(tool.schema) for tool in tools()},
        "tools": await tool_runs(root / "project"),
        "history": await history(root),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).resolve()))
