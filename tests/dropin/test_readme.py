"""Every code example of Cogency 3.2.0's README, import changed, runs on Silcrow.

The examples are kept verbatim under ``readme/`` (the Python ones as
``NN_name.py``, the two § protocol examples as ``.protocol``), in README
order. A reader runs them in one session, so each test runs the examples up
to and including its own in one namespace (with ``readme_given.py`` for the
two names the README leaves undefined), against the scripted provider:
``silcrow.testing.override`` makes ``llm="openai"`` (and every other name)
the fake, so nothing reaches the network.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from silcrow import Agent, Event
from silcrow.testing import FakeProvider, Script, override

HERE = Path(__file__).parent
README = HERE / "readme"
SNIPPETS = sorted(README.glob("*.py"))
GIVEN = HERE / "readme_given.py"
REPLY = "§think: Looking at it.\n§respond: All done.\n§end"

# What each example prints with every model reply being REPLY.
PRINTED = {
    "04_usage": "All done.\n",
    "05_semantic_mode": "~ Looking at it.\n> All done.\n",
    "06_token_mode": "All done.",
    "07_multi_turn": "All done.\nAll done.\n",
}


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """A fresh folder as the current directory, its own default store, the fake as every LLM."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SILCROW_DB", str(tmp_path / "silcrow.db"))
    provider = FakeProvider(Script.of([REPLY] * 40, chunk=3))
    with override(provider):
        yield provider


async def run_examples(upto: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the examples up to ``upto`` in one namespace; what each printed."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(GIVEN.read_text(), str(GIVEN), "exec"), namespace)
    printed: dict[str, str] = {}
    agents: list[Agent] = []
    try:
        for path in SNIPPETS[: SNIPPETS.index(upto) + 1]:
            code = compile(path.read_text(), str(path), "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                pending = eval(code, namespace)
                if pending is not None:
                    await pending
            printed[path.stem] = out.getvalue()
            if isinstance(namespace.get("agent"), Agent):
                agents.append(namespace["agent"])
    finally:
        for agent in agents:
            await agent.aclose()
    return namespace, printed


@pytest.mark.parametrize("example", SNIPPETS, ids=[p.stem for p in SNIPPETS])
async def test_readme_example_runs_with_the_import_changed(
    example: Path, session: FakeProvider
) -> None:
    namespace, printed = await run_examples(example)
    assert printed[example.stem] == PRINTED.get(example.stem, "")
    assert isinstance(namespace["agent"], Agent)


async def test_the_examples_mean_what_the_readme_says(session: FakeProvider) -> None:
    namespace, _ = await run_examples(SNIPPETS[-1])
    agent = namespace["agent"]
    assert agent.profile is True  # 11_profile: the last agent built
    resume, _ = await run_examples(README / "01_resume.py")
    assert resume["agent"].mode == "resume"
    config, _ = await run_examples(README / "09_configuration.py")
    agent = config["agent"]
    assert agent.storage is config["custom_storage"] and agent.learn_every == 5
    assert agent.identity == "Custom agent identity" and agent.instructions == "Additional context"


async def test_multi_turn_example_keeps_review_session_for_its_user(
    session: FakeProvider,
) -> None:
    await run_examples(README / "07_multi_turn.py")
    from silcrow.store import EventStore

    async with await EventStore.open(Path("silcrow.db")) as store:
        events = await store.events("review_session")
    users = [e for e in events if e.type == "user"]
    assert [(e.content, (e.payload or {}).get("user")) for e in users] == [
        ("Continue our code review", "developer")
    ]


async def test_database_tool_runs_as_written_and_the_model_sees_its_argument(
    session: FakeProvider,
) -> None:
    call = json.dumps({"name": "query_db", "args": {"sql": "select 1"}})
    provider = FakeProvider(
        Script.of([f"§call: {call}\n§execute", "§respond: one row\n§end"]), resume=False
    )
    namespace, _ = await run_examples(README / "08_custom_tools.py")
    agent = namespace["agent"]
    with override(provider):
        events = [e async for e in agent("how many rows?", user_id="ann")]
    await agent.aclose()
    results = [e for e in events if e.type == "result"]
    assert [(e["content"], e["payload"]["outcome"]) for e in results] == [
        ("Results...", "Query executed")
    ]
    system = provider.requests[0][0].content
    assert "query_db [custom]: Execute SQL queries\n  - sql (string)" in system


def protocol_replies(name: str) -> list[str]:
    """A README § example as the model's replies: cut after ``§execute``, tool results dropped."""
    lines = (README / name).read_text().splitlines()
    replies, current = [], []
    for line in lines:
        if line.startswith("[SYSTEM:"):
            continue
        current.append(line)
        if line == "§execute":
            replies.append("\n".join(current))
            current = []
    return [*replies, "\n".join(current)]


def kinds(events: list[Event]) -> list[str]:
    return [e["type"] for e in events if e["type"] != "metric"]


async def test_streaming_protocol_example_runs_as_the_model(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("print('hello'\n")
    provider = FakeProvider(Script.of(protocol_replies("13_streaming.protocol")))
    from silcrow.tools.local import LocalWorkspace

    async with Agent(provider, tmp_path / "db.sqlite", workspace=LocalWorkspace(tmp_path)) as agent:
        events = [e async for e in agent("fix main.py")]
    assert kinds(events) == ["user", "think", "call", "execute", "result", "respond", "end"]
    result = next(e for e in events if e.type == "result")
    assert result.get("payload") == {
        "name": "read",
        "outcome": "Read main.py (1 lines)",
        "error": False,
    }
    respond = [e["content"] for e in events if e["type"] == "respond"]
    assert respond == ["Fixed the missing semicolon. Code runs correctly now."]


async def test_recall_example_runs_as_the_model(tmp_path: Path) -> None:
    provider = FakeProvider(Script.of(protocol_replies("12_recall.protocol")))
    from silcrow.tools.local import LocalWorkspace

    async with Agent(provider, tmp_path / "db.sqlite", workspace=LocalWorkspace(tmp_path)) as agent:
        events = [e async for e in agent("what did we do before?")]
    result = next(e for e in events if e.type == "result")
    assert result["payload"]["name"] == "recall" and not result["payload"]["error"]
    assert kinds(events)[-2:] == ["respond", "end"]
