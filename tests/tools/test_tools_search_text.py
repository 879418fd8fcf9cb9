"""The model's search text on RE2: line semantics, refusals that say what to change, redacted matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from silcrow.tools.base import ToolError
from silcrow.tools.builtin.find import FindTool
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.search_text import line_matcher


def hits(text: str, body: str, *, regex: bool = True) -> list[tuple[int, str]]:
    return list(line_matcher(text, regex=regex)(body))


def test_lines_are_numbered_as_read_numbers_them() -> None:
    body = "foo\r\nbar foo\r\nfoo bar\x0bfoo"
    assert hits("foo$", body) == [(1, "foo"), (2, "bar foo"), (4, "foo")]
    assert hits("^b", "ab\nb1\nb2\n") == [(2, "b1"), (3, "b2")]
    assert hits("x*", "a\n\nb") == [(1, "a"), (2, ""), (3, "b")]
    assert hits("x*", "") == []


def test_no_match_spans_two_lines() -> None:
    assert hits(r"a\s+b", "a\nb\na  b") == [(3, "a  b")]
    assert hits("a[^x]b", "a\nb") == []
    assert hits("a.b", "a.b\naxb", regex=False) == [(1, "a.b")]


@pytest.mark.parametrize(
    ("pattern", "advice"),
    [
        (r"(a)\1", "backreferences"),
        (r"foo(?=bar)", "lookahead and lookbehind"),
        (r"(?<!x)y", "lookahead and lookbehind"),
        (r"a++", "possessive"),
        (r"(?>a)", "atomic"),
        (r"a{5000}", "above 1000"),
        (r"(unclosed", "missing )"),
    ],
)
def test_a_pattern_re2_refuses_says_what_to_change(pattern: str, advice: str) -> None:
    with pytest.raises(ToolError) as caught:
        line_matcher(pattern, regex=True)
    assert advice in str(caught.value) and "RE2" in str(caught.value)


def test_a_catastrophic_pattern_is_linear() -> None:
    # With Python's re this takes longer than the test suite; RE2 answers at once.
    assert hits(r"^(\w+\s?)*$", " ".join(["word"] * 5000) + "!") == []


async def test_find_matches_redacted_text(tmp_path: Path) -> None:
    key = "sk-proj-Qx7" + "a1B2c3D4e5" * 4
    (tmp_path / "app.py").write_text(f'KEY = "{key}"\n')
    find = FindTool(LocalWorkspace(tmp_path))
    for guess in ("sk-proj-Q", "sk-proj-Z", key, "Qx7a1"):
        result = await find.execute(text=guess)
        assert result.content == "no matches found", guess
    result = await find.execute(text="redacted:openai", regex=True)
    assert result.content == 'app.py:1: KEY = "[redacted:openai-key]"'
