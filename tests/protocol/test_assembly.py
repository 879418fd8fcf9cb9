"""Context assembly: stored events -> messages, a pure function."""

from __future__ import annotations

import pytest

from silcrow.protocol.assembly import (
    UNKNOWN_OUTCOME,
    assemble,
    build_system,
    call_token,
    unanswered_calls,
    window,
)
from silcrow.protocol.events import Event
from silcrow.protocol.lexer import Lexer
from silcrow.protocol.messages import Image, Message


def ev(type_: str, content: str = "", payload: dict | None = None, turn: str = "t1") -> Event:
    return Event(type=type_, content=content, payload=payload, conversation_id="c", turn_id=turn)  # type: ignore[arg-type]


CALL = {"name": "read", "args": {"file": "a.py"}}
TURN = [
    ev("user", "fix a.py"),
    ev("think", "look first"),
    ev("call", "", CALL),
    ev("execute"),
    ev("result", "x = 1", {"name": "read", "outcome": "Read a.py", "error": False}),
    ev("respond", "It sets x."),
    ev("end", "", {"stopReason": "end"}),
]


def test_roles_alternate_and_delimiters_are_synthesised() -> None:
    msgs = assemble(TURN, system="SYS")
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant"]
    assert msgs[2].content.startswith("§think: look first")
    assert '§call: {"name": "read", "args": {"file": "a.py"}}' in msgs[2].content
    assert msgs[2].content.rstrip().endswith("§execute")
    assert msgs[3].content.startswith("§result: read") and "x = 1" in msgs[3].content
    assert "§respond: It sets x." in msgs[4].content and msgs[4].content.rstrip().endswith("§end")


def test_assistant_text_lexes_back_to_the_stored_events() -> None:
    msgs = assemble(TURN)
    lexer = Lexer()
    tokens = lexer.feed(msgs[1].content) + lexer.feed_eof()
    kinds = [t.kind for t in tokens]
    assert kinds[:3] == ["think", "call", "execute"]
    call = next(t for t in tokens if t.kind == "call")
    assert call.call is not None and call.call.args == {"file": "a.py"}  # type: ignore[union-attr]


def test_token_mode_deltas_fold_into_one_section_each() -> None:
    deltas = (
        [ev("user", "q")]
        + [ev("think", c, {"delta": True}) for c in ("I ", "think")]
        + [ev("respond", c, {"delta": True}) for c in ("an", "swer")]
        + [ev("end", "", {"stopReason": "end"})]
    )
    semantic = [
        ev("user", "q"),
        ev("think", "I think"),
        ev("respond", "answer"),
        ev("end", "", {"stopReason": "end"}),
    ]
    assert assemble(deltas) == assemble(semantic)


@pytest.mark.parametrize("record", ["metric", "error"])  # error: logs written before
def test_metric_cancelled_and_aborted_cycles_are_not_context(record: str) -> None:
    events = [
        ev("user", "q"),
        ev("respond", "partial reply from a dropped sess"),
        ev("call", "", CALL),
        ev(record, "dropped", {"aborted_cycle": True}),
        ev("respond", "clean reply"),
        ev("metric", "", {"input_tokens": 5}),
        ev("end", "", {"stopReason": "end"}),
        ev("user", "next", turn="t2"),
        ev("respond", "half", turn="t2"),
        ev("cancelled", "Cancelled by the user.", {"stopReason": "cancelled"}, turn="t2"),
    ]
    msgs = assemble(events)
    text = "\n".join(m.content for m in msgs)
    assert "dropped sess" not in text and "§call" not in text
    assert "clean reply" in text and "Cancelled" not in text and "input_tokens" not in text
    assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant"]


def test_executed_call_without_result_gets_unknown_outcome() -> None:
    events = [
        ev("user", "write it"),
        ev("call", "", CALL),
        ev("execute"),
        ev("user", "did it work?", turn="t2"),
    ]
    msgs = assemble(events)
    assert msgs[2].role == "user"
    assert msgs[2].content.startswith("§result: read (error)")
    assert UNKNOWN_OUTCOME in msgs[2].content and msgs[2].content.endswith("did it work?")


def test_unanswered_calls_are_the_open_end_of_the_last_execute() -> None:
    write = {"name": "write", "args": {"file": "b.py", "content": "y"}}
    head = [ev("user", "q"), ev("call", "", CALL), ev("call", "", write), ev("execute")]
    read_done = ev("result", "x = 1", {"name": "read", "outcome": "Read", "error": False})
    assert [e.payload for e in unanswered_calls(head)] == [CALL, write]
    assert [e.payload for e in unanswered_calls([*head, read_done])] == [write]
    assert unanswered_calls(TURN) == []
    # a gap a later message already covered keeps the synthetic result, not a new one
    assert (
        unanswered_calls([*head, ev("user", "again", turn="t2"), ev("respond", "ok", turn="t2")])
        == []
    )
    # an execute inside a reply the provider dropped never ran
    assert unanswered_calls([*head, ev("metric", "", {"aborted_cycle": True})]) == []
    token = call_token(head[2])
    assert (
        token.call is not None and token.call.name == "write" and token.call.args == write["args"]
    )


def test_stored_results_replace_the_unknown_outcome_fallback() -> None:
    head = [ev("user", "q"), ev("call", "", CALL), ev("execute")]
    settled = ev("result", UNKNOWN_OUTCOME, {"name": "read", "error": True, "recovered": "unknown"})
    msgs = assemble([*head, settled, ev("user", "next", turn="t2")])
    assert msgs[2].content.count(UNKNOWN_OUTCOME) == 1  # the stored one, no synthetic twin
    dropped = assemble([*head, ev("error", "dropped", {"aborted_cycle": True}), ev("respond", "r")])
    assert UNKNOWN_OUTCOME not in "".join(m.content for m in dropped)


def test_malformed_call_is_replayed_as_written() -> None:
    raw = '{"name": "read", "args": {'
    events = [
        ev("user", "q"),
        ev("call", raw, {"raw": raw, "error": "unterminated"}),
        ev("execute"),
    ]
    assert f"§call: {raw}" in assemble(events)[1].content
    token = call_token(events[1])
    assert token.call is None and token.raw == raw and token.error == "unterminated"


def test_context_items_and_notices_are_rendered() -> None:
    ctx = [
        {
            "uri": "file:///a.py",
            "range": {"start": {"line": 2}, "end": {"line": 4}},
            "text": "x = 1",
        }
    ]
    msgs = assemble(
        [ev("user", "explain", {"context": ctx}), ev("user", "a.py changed", {"notice": True})]
    )
    assert len(msgs) == 1
    assert "[selection: file:///a.py lines 3-5]" in msgs[0].content and "x = 1" in msgs[0].content
    assert "§notice: a.py changed" in msgs[0].content


def test_every_context_kind_is_rendered_and_images_ride_on_the_message() -> None:
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
    ctx = [
        {"kind": "file", "uri": "file:///w/big.py", "text": "a = 1\n", "note": "cut at line 1"},
        {"kind": "symbol", "uri": "file:///w/a.py", "range": rng, "name": "f", "text": "def f()"},
        {"kind": "diagnostics", "uri": "file:///w/a.py", "text": "a.py:1:1 error boom"},
        {"kind": "image", "mimeType": "image/png", "data": "iVBO"},
    ]
    first, second = ev("user", "look", {"context": ctx}), ev("user", "again", {"context": ctx[3:]})
    (msg,) = assemble([first, second])
    assert "[file: file:///w/big.py]\n(cut at line 1)\n```\na = 1\n```" in msg.content
    # the range ends at column 0 of line 2: line 2 is not part of it
    assert "[symbol f: file:///w/a.py lines 1-1]\n```\ndef f()\n```" in msg.content
    assert "a.py:1:1 error boom" in msg.content and "[image: image/png, attached]" in msg.content
    assert msg.images == (Image("image/png", "iVBO"), Image("image/png", "iVBO"))


def test_window_never_starts_with_a_result_or_assistant() -> None:
    msgs = [
        Message("user", "q1"),
        Message("assistant", "§call: {}\n§execute"),
        Message("user", "§result: read\nx"),
        Message("assistant", "§respond: a\n§end"),
        Message("user", "q2"),
        Message("assistant", "§respond: b\n§end"),
    ]
    assert window(msgs, 3) == msgs[4:]
    assert window(msgs, 4) == msgs[4:]
    assert window(msgs, 5) == msgs[4:]
    assert window(msgs, 6) == msgs
    assert window(msgs, None) == msgs
    assert window(msgs, 0) == []
    one_turn = [
        *msgs[:3],
        Message("assistant", "§call: {}\n§execute"),
        Message("user", "§result: x"),
    ]
    assert window(one_turn, 2) == one_turn  # widened back to the turn's question


def test_system_prompt_is_byte_stable_and_ordered() -> None:
    a = build_system(
        identity="I am", tools="read: reads", instructions="be brief", profile="likes tests"
    )
    b = build_system(
        identity="I am", tools="read: reads", instructions="be brief", profile="likes tests"
    )
    assert a == b
    order = [a.index(s) for s in ("I am", "§", "read: reads", "be brief", "likes tests")]
    assert order == sorted(order)


def test_ten_thousand_events_fold_linearly() -> None:
    events = []
    for i in range(2500):
        events += [
            ev("user", f"q{i}"),
            ev("call", "", CALL),
            ev("execute"),
            ev("result", "r", {"name": "read", "outcome": "o", "error": False}),
        ]
    msgs = assemble(events)
    assert len(msgs) == 1 + 2 * 2500  # a result and the next question share a user message
