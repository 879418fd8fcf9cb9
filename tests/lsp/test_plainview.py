"""``PlainTurn``: a turn as a plain LSP client sees it (log lines, one summary), fed events."""

from __future__ import annotations

from lsprotocol import types as t

from silcrow.lsp.plainview import SUMMARY_CHARS, PlainTurn
from silcrow.protocol.events import Event


def feed(*events: Event) -> tuple[list[str], PlainTurn]:
    turn = PlainTurn()
    lines = [line for event in events for line in turn.feed(event)]
    return lines, turn


def delta(kind: str, text: str) -> Event:
    return Event(kind, text, {"delta": True})  # type: ignore[arg-type]


def test_token_deltas_are_joined_into_one_line_per_block() -> None:
    lines, turn = feed(
        Event("user", "why?"),
        delta("think", "let me "),
        delta("think", "look"),
        Event("call", "", {"name": "read", "args": {"file": "a.py"}}),
        Event("result", "...", {"name": "read", "outcome": "Read a.py", "error": False}),
        delta("respond", "It "),
        delta("respond", "prints."),
        Event("end", "", {"stopReason": "end"}),
    )
    assert lines == [
        "Silcrow [you] why?",
        "Silcrow [thinking] let me look",
        'Silcrow → read {"file": "a.py"}',
        "Silcrow ✓ Read a.py",
        "Silcrow [answer] It prints.",
    ]
    assert turn.summary == (t.MessageType.Info, "Silcrow: It prints.")


def test_a_long_answer_is_cut_in_the_summary_and_whole_in_the_log() -> None:
    text = "word " * 200
    lines, turn = feed(Event("respond", text), Event("end", "", {"stopReason": "end"}))
    assert lines == [f"Silcrow [answer] {text.strip()}"]
    assert turn.summary is not None
    kind, message = turn.summary
    assert kind == t.MessageType.Info and message.endswith("(the whole answer is in the log)")
    assert len(message) < SUMMARY_CHARS + 60


def test_a_failed_turn_summarises_its_one_error() -> None:
    lines, turn = feed(
        Event("user", "hi"),
        Event("metric", "", {"aborted_cycle": True, "reason": "live session refused"}),
        Event("error", "OpenAI: set OPENAI_API_KEY", {"stopReason": "error"}),
    )
    assert lines[-1] == "Silcrow error: OpenAI: set OPENAI_API_KEY"
    assert not any("live session refused" in line for line in lines)
    assert turn.summary == (t.MessageType.Error, "Silcrow: OpenAI: set OPENAI_API_KEY")


def test_a_cancelled_turn_says_so() -> None:
    _, turn = feed(delta("respond", "half"), Event("cancelled", "x", {"stopReason": "cancelled"}))
    assert turn.summary == (t.MessageType.Warning, "Silcrow: cancelled.")
