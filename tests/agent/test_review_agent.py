"""Review before apply in the agent layer: what the model is told, and what is on disk when.

The reviewer is the agent's port (``silcrow.agent.changes.Reviewer``); the
scripted provider keeps every request, so these tests read what the model
received on its next cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from silcrow.agent import Agent
from silcrow.agent.changes import ChangeControl, ReviewRequest
from silcrow.store import EventStore
from silcrow.store.checkpoints import content_digest
from silcrow.testing import FakeProvider
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools

MakeAgent = Callable[..., tuple[Agent, FakeProvider]]


def call(name: str, **args: Any) -> str:
    return "§call: " + json.dumps({"name": name, "args": args}) + "\n"


class Reviewer:
    def __init__(self, decide: Callable[[ReviewRequest], Mapping[Path, str | None]]) -> None:
        self.decide = decide
        self.requests: list[ReviewRequest] = []
        self.disk_at_review: list[str | None] = []

    def active(self) -> bool:
        return True

    async def review(self, request: ReviewRequest) -> Mapping[Path, str | None]:
        self.requests.append(request)
        first = request.files[0].path
        self.disk_at_review.append(first.read_text() if first.exists() else None)
        return self.decide(request)


async def run(agent: Agent, text: str) -> None:
    async with agent:
        async for _ in agent(text):
            pass


def last_user_message(provider: FakeProvider) -> str:
    return provider.requests[-1][-1].content


async def test_the_model_is_told_its_change_was_rejected(
    make_agent: MakeAgent, store: EventStore, workspace: LocalWorkspace
) -> None:
    reviewer = Reviewer(lambda _request: {})
    agent, provider = make_agent(
        [call("write", file="main.py", content="print('bye')\n") + "§execute\n", "§end\n"],
        workspace=workspace,
        changes=ChangeControl(checkpoints=store.checkpoints, reviewer=reviewer),
    )
    await run(agent, "say bye")
    assert reviewer.disk_at_review == ["print('hello')\n"]
    assert (workspace.root / "main.py").read_text() == "print('hello')\n"
    told = last_user_message(provider)
    assert "The user rejected your change to main.py; the file is unchanged" in told
    assert not await store.checkpoints.of((await store.list_conversations())[0].id)


async def test_a_partial_acceptance_gives_the_model_the_diff_and_reads_see_the_proposal(
    make_agent: MakeAgent, store: EventStore, workspace: LocalWorkspace
) -> None:
    proposed = "print('hello')\nprint('a')\nprint('b')\n"
    accepted = "print('hello')\nprint('a')\n"
    reviewer = Reviewer(lambda request: {request.files[0].path: accepted})
    cycle = call("write", file="main.py", content=proposed) + call("read", file="main.py")
    agent, provider = make_agent(
        [cycle + "§execute\n", "§end\n"],
        workspace=workspace,
        changes=ChangeControl(checkpoints=store.checkpoints, reviewer=reviewer),
    )
    await run(agent, "extend it")
    assert len(reviewer.requests) == 1  # the read did not force a review: it sees the proposal
    assert (workspace.root / "main.py").read_text() == accepted
    told = last_user_message(provider)
    assert "accepted part of your change to main.py; the rest was rejected" in told
    assert "-print('b')" in told  # the diff from the proposal to what was accepted
    assert "print('b')" in told.split("§result:")[2]  # the read result: the proposed text
    (mark,) = await store.checkpoints.of((await store.list_conversations())[0].id)
    assert (mark.before, mark.after) == ("print('hello')\n", content_digest(accepted))


async def test_a_call_that_sees_the_disk_gets_the_accepted_change_first(
    make_agent: MakeAgent, store: EventStore, workspace: LocalWorkspace
) -> None:
    reviewer = Reviewer(lambda request: {p.path: p.new for p in request.files})
    cycle = call("write", file="new_module.py", content="x = 1\n") + call("find", text="x = 1")
    agent, provider = make_agent(
        [cycle + "§execute\n", "§end\n"],
        workspace=workspace,
        changes=ChangeControl(checkpoints=store.checkpoints, reviewer=reviewer),
    )
    await run(agent, "add it")
    assert reviewer.disk_at_review == [None]  # nothing written before the answer
    results = last_user_message(provider).split("§result:")
    assert "accepted your change to new_module.py" in results[1]
    assert "new_module.py" in results[2]  # find ran after the review and the write


async def test_an_accepted_change_the_disk_refuses_is_reported_and_the_turn_goes_on(
    make_agent: MakeAgent,
    store: EventStore,
    workspace: LocalWorkspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def full_disk(real: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workspace, "store_text", full_disk)
    reviewer = Reviewer(lambda request: {f.path: f.new for f in request.files})
    agent, provider = make_agent(
        [call("write", file="main.py", content="print('bye')\n") + "§execute\n", "§end\n"],
        workspace=workspace,
        changes=ChangeControl(checkpoints=store.checkpoints, reviewer=reviewer),
    )
    await run(agent, "say bye")
    assert (workspace.root / "main.py").read_text() == "print('hello')\n"
    assert "No space left on device" in last_user_message(provider)
    events = await store.events((await store.list_conversations())[0].id)
    assert events[-1].type == "end"


async def test_a_custom_tool_of_category_edit_is_asked_even_while_the_user_reviews(
    make_agent: MakeAgent, store: EventStore, workspace: LocalWorkspace
) -> None:
    """Only the built-in edits go through the review; a custom tool writes by itself."""
    from silcrow import Tool, ToolResult
    from silcrow.tools.base import Decision, PermissionRequest
    from silcrow.tools.policy import PermissionPolicy

    class Stamp(Tool):
        name = "stamp"
        description = "Stamp a file"
        category = "edit"
        schema = {"file": {"type": "string"}}

        async def execute(self, file: str) -> ToolResult:
            (workspace.root / file).write_text("stamped\n")
            return ToolResult(outcome=f"stamped {file}", content="ok")

    asked: list[str] = []

    async def ask(request: PermissionRequest) -> Decision:
        asked.append(request.tool)
        return "reject"

    reviewer = Reviewer(lambda request: {f.path: f.new for f in request.files})
    agent, _ = make_agent(
        [call("stamp", file="main.py") + "§execute\n", "§end\n"],
        workspace=workspace,
        tools=[*default_tools(workspace, store=store), Stamp()],
        permissions=PermissionPolicy.from_settings({"edit": "ask"}),
        ask=ask,
        changes=ChangeControl(checkpoints=store.checkpoints, reviewer=reviewer),
    )
    await run(agent, "stamp it")
    assert asked == ["stamp"]
    assert (workspace.root / "main.py").read_text() == "print('hello')\n"
