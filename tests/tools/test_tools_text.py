"""cap_text and the streaming head+tail buffer; confinement as a property."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from silcrow.tools.base import ToolError
from silcrow.tools.paths import confine
from silcrow.tools.text import HeadTail, cap_text, human_size


def test_cap_text_head() -> None:
    assert cap_text("short", 10) == ("short", False)
    text, cut = cap_text("a\nb\nc\nd\n" * 10, 6)
    assert cut and text.startswith("a\nb\nc\n") and "74 characters (37 lines) omitted" in text


def test_cap_text_headtail_keeps_both_ends() -> None:
    text, cut = cap_text("BEGIN" + "x" * 1000 + "END", 20, keep="headtail")
    assert cut and text.startswith("BEGINxxxxx") and text.endswith("xxxxxxxEND")
    assert "988 characters (0 lines) omitted" in text


def test_cap_text_rejects_bad_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        cap_text("x", 0)


def test_head_tail_buffer() -> None:
    buf = HeadTail(10)
    for chunk in (b"01234", b"56789", b"abcde", b"fghij"):
        buf.add(chunk)
    assert buf.truncated and buf.total == 20
    assert buf.text() == "01234\n[... 10 bytes of output omitted ...]\nfghij"
    small = HeadTail(100)
    small.add("é".encode())
    assert not small.truncated and small.text() == "é"


def test_human_size() -> None:
    assert [human_size(n) for n in (5, 1536, 3 * 1024 * 1024)] == ["5 B", "1.5 KB", "3.0 MB"]


SEGMENTS = st.lists(
    st.sampled_from(["..", ".", "a", "b", "link", "~", "", "/", "repo", "repo-x"]), max_size=8
)


@pytest.mark.slow  # hypothesis: 300 examples, about 1-3 s
@settings(max_examples=300, deadline=None)
@given(SEGMENTS)
def test_confine_never_leaves_the_root(
    tmp_path_factory: pytest.TempPathFactory, segments: list[str]
) -> None:
    base = tmp_path_factory.getbasetemp() / "confine"
    root = base / "repo"
    if not root.exists():
        (root / "a").mkdir(parents=True)
        (base / "repo-x").mkdir()
        (root / "link").symlink_to(base)
    path = "/".join(segments)
    try:
        real = confine(root.resolve(), path)
    except ToolError:
        return
    assert real.is_relative_to(root.resolve())
    assert Path(real).resolve() == real
