"""Partial shell output: ``output`` events while a command runs, the capped result for the model."""

from __future__ import annotations

import json

from silcrow.agent.output import CAPPED_NOTE, KEY_NOTE, OutputChunks
from support.agentkit import collect


def _shell(command: str) -> str:
    call = json.dumps({"name": "shell", "args": {"command": command}})
    return f"§call: {call}\n§execute\n"


async def test_output_streams_in_order_before_the_result(make_agent) -> None:
    command = "for i in 1 2 3; do echo line$i; sleep 0.2; done"
    agent, provider = make_agent([_shell(command), "§respond: ok\n§end\n"])
    events = await collect(agent, "run it")
    kinds = [e.type for e in events if e.type != "metric"]
    first_result = kinds.index("result")
    assert "output" in kinds[:first_result]
    outputs = [e for e in events if e.type == "output"]
    assert "".join(e.content for e in outputs) == "line1\nline2\nline3\n"
    assert all(e.payload == {"name": "shell"} for e in outputs)
    # several pieces, not one at the end: the user saw it while it ran
    assert len(outputs) >= 2
    # the model got the result, not the pieces
    sent = provider.requests[1][-1].content
    assert "line1\nline2\nline3" in sent and "[exit code 0]" in sent


async def test_streamed_output_is_redacted(make_agent) -> None:
    key = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2
    agent, _ = make_agent([_shell(f"echo token {key}"), "§respond: ok\n§end\n"])
    events = await collect(agent, "run it")
    streamed = "".join(e.content for e in events if e.type == "output")
    assert "token" in streamed and key not in streamed and "[redacted" in streamed


def test_pieces_end_at_line_boundaries_and_are_capped() -> None:
    chunks = OutputChunks(chunk_cap=10, total_cap=25)
    chunks.add("abc\ndef")
    assert chunks.take() == "abc\n"  # the partial line waits
    chunks.add("gh\n")
    assert chunks.take() == "defgh\n"
    chunks.add("x" * 30)
    assert chunks.take() == "x" * 10  # a line longer than a piece is cut
    assert chunks.take() == "x" * 5 + CAPPED_NOTE
    chunks.add("more\n")
    assert chunks.take(final=True) == ""


def test_a_private_key_block_stops_the_stream() -> None:
    chunks = OutputChunks()
    chunks.add("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert chunks.take() == KEY_NOTE
    chunks.add("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n")
    assert chunks.take(final=True) == ""
