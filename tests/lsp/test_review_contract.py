"""Reading a client's ``silcrow/review`` answer: only what was accepted, never a guess."""

from __future__ import annotations

import pytest

from silcrow.lsp.review_contract import review_answer

ASKED = ["file:///w/a%20b.py", "file:///w/c.py"]


def test_accepted_text_rejections_and_left_out_files() -> None:
    answer = {"files": [{"uri": "file:///w/a b.py", "newText": "x\n"}, {"uri": ASKED[1]}]}
    assert review_answer(answer, ASKED) == {ASKED[0]: "x\n", ASKED[1]: None}
    assert review_answer({"files": []}, ASKED) == {ASKED[0]: None, ASKED[1]: None}


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [],
        {"files": "all"},
        {"files": [{"uri": ASKED[1], "newText": "ok"}, {"uri": 3, "newText": "x"}]},
        {"files": [{"uri": ASKED[1], "newText": "ok"}, {"uri": ASKED[0], "newText": 7}]},
    ],
)
def test_a_malformed_answer_rejects_every_file(answer: object) -> None:
    assert review_answer(answer, ASKED) == {ASKED[0]: None, ASKED[1]: None}


def test_a_file_that_was_not_asked_is_ignored() -> None:
    answer = {"files": [{"uri": "file:///etc/passwd", "newText": "root"}]}
    assert review_answer(answer, ASKED) == {ASKED[0]: None, ASKED[1]: None}


def test_the_review_setting_is_checked_and_a_workspace_cannot_turn_it_off() -> None:
    from silcrow.lsp.settings import folder_layer, parse_settings

    assert parse_settings({})[0].review == "ask"
    assert parse_settings({"review": "auto"})[0].review == "auto"
    settings, issues = parse_settings({"review": "never"})
    assert settings.review == "ask" and issues and "review" in issues[0].message("ask")
    kept, dropped = folder_layer({"silcrow": {"review": "auto"}})
    assert kept == {} and dropped == {"review": "auto"}  # files the agent can write: ignored
