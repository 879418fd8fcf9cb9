"""Plain-function tests: settings, the frame parser, stale files, selections."""

from __future__ import annotations

import asyncio
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t

from silcrow.lsp.codeactions import command_request, selected_text
from silcrow.lsp.contract import ContextItem
from silcrow.lsp.editor import whole_range
from silcrow.lsp.frames import BadFrame, Frame, FrameParser
from silcrow.lsp.settings import (
    FOLDER_SETTINGS,
    IssueReporter,
    Settings,
    folder_layer,
    merge,
    parse_settings,
)
from silcrow.lsp.watch import StaleFiles, TreeWatcher
from silcrow.tools.fileindex import FileIndex


def test_defaults_and_camel_case_names() -> None:
    settings, issues = parse_settings(
        {"silcrow": {"maxIterations": 3, "apiKeyEnv": "MY_KEY", "permissions": {"shell": "deny"}}}
    )
    assert not issues
    assert settings.max_iterations == 3 and settings.api_key_env == "MY_KEY"
    assert settings.permissions.shell == "deny" and settings.permissions.read == "allow"
    assert settings.streaming == Settings().streaming == "token"


@pytest.mark.parametrize(
    ("raw", "name", "hint"),
    [
        ({"streaming": "fast"}, "silcrow.streaming", '"semantic"'),
        ({"mode": 3}, "silcrow.mode", '"replay"'),
        ({"maxIterations": "10"}, "silcrow.maxIterations", "whole number"),
        ({"maxIterations": 0}, "silcrow.maxIterations", "at least 1"),
        ({"idleTimeout": -1}, "silcrow.idleTimeout", "0 or more"),
        ({"provider": "skynet"}, "silcrow.provider", "http(s)://"),
        ({"permissions": {"shell": "sometimes"}}, "silcrow.permissions.shell", '"ask"'),
        ({"permissions": "all"}, "silcrow.permissions", "object"),
    ],
)
def test_a_bad_value_names_the_setting_and_keeps_the_rest(raw: dict, name: str, hint: str) -> None:
    settings, issues = parse_settings({**raw, "model": "m1"})
    assert [i.name for i in issues] == [name]
    assert settings.model == "m1"  # the good value survives
    shown: list[str] = []
    IssueReporter(shown.append).report(issues)
    assert name in shown[0] and hint in shown[0] and "Using the default" in shown[0]


def test_reporter_shows_each_bad_value_once() -> None:
    shown: list[str] = []
    reporter = IssueReporter(shown.append)
    for _ in range(3):
        reporter.report(parse_settings({"streaming": "fast"})[1])
    reporter.report(parse_settings({"streaming": "slow"})[1])
    assert len(shown) == 2


def test_a_folder_answer_keeps_only_folder_settings() -> None:
    answer = {
        "silcrow": {
            "permissions": {"shell": "allow"},
            "provider": "http://x",
            "model": "m",
            "apiKeyEnv": "HOME",
            "baseUrl": "http://x",
            "tools": ["m:T"],
            "mcpServers": {},
            "shellEnv": ["AWS_SECRET_ACCESS_KEY"],
            "streaming": "semantic",
            "maxIterations": 3,
        }
    }
    kept, dropped = folder_layer(answer)
    assert kept == {"streaming": "semantic", "maxIterations": 3}
    assert set(dropped) == {
        "permissions",
        "provider",
        "model",
        "apiKeyEnv",
        "baseUrl",
        "tools",
        "mcpServers",
        "shellEnv",
    }
    assert folder_layer("not an object") == ({}, {})
    assert FOLDER_SETTINGS == {"mode", "streaming", "maxIterations", "idleTimeout", "fakeScript"}


def test_layers_merge_nested_permissions() -> None:
    merged = merge(
        {"permissions": {"shell": "deny"}, "model": "a"},
        {"silcrow": {"permissions": {"edit": "ask"}, "model": "b"}},
    )
    assert merged == {"permissions": {"shell": "deny", "edit": "ask"}, "model": "b"}


def test_fake_script_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"replies": ["§respond: hi\n§end\n"], "chunk": 2}))
    monkeypatch.setenv("SILCROW_FAKE_SCRIPT", f"@{path}")
    settings, issues = parse_settings({"provider": "fake"})
    assert not issues and settings.fake_script is not None
    assert (
        settings.fake_script.replies == ["§respond: hi\n§end\n"] and settings.fake_script.chunk == 2
    )
    assert parse_settings({"provider": "openai"})[0].fake_script is None


STREAM = b"".join(
    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    for body in (b'{"a": 1}', '{"b": "§ é"}'.encode(), b"{}")
)


def test_frames_survive_every_split_point() -> None:
    whole = FrameParser().feed(STREAM)
    assert [f.body for f in whole if isinstance(f, Frame)][1] == '{"b": "§ é"}'.encode()
    for cut in range(len(STREAM) + 1):
        parser = FrameParser()
        assert parser.feed(STREAM[:cut]) + parser.feed(STREAM[cut:]) == whole
    parser = FrameParser()
    assert [item for i in range(len(STREAM)) for item in parser.feed(STREAM[i : i + 1])] == whole


def test_an_oversized_body_is_skipped_without_buffering_and_the_stream_stays_in_step() -> None:
    parser = FrameParser(max_body=100)
    out = parser.feed(b"Content-Length: 5000\r\n\r\n" + b"x" * 3000)
    assert len(out) == 1 and isinstance(out[0], BadFrame) and "5000" in out[0].reason
    out = parser.feed(b"x" * 2000 + b"Content-Length: 2\r\n\r\n{}")
    assert out == [Frame(b"{}")]


def test_the_skipped_body_is_not_held_in_memory() -> None:
    chunk, chunks = b"x" * 1_000_000, 32
    parser = FrameParser(max_body=100)
    parser.feed(b"Content-Length: %d\r\n\r\n" % (len(chunk) * chunks + 2))
    tracemalloc.start()
    try:
        for _ in range(chunks):
            assert parser.feed(chunk) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(chunk)  # buffering the body would take 32 MB
    assert parser.feed(b"xxContent-Length: 2\r\n\r\n{}") == [Frame(b"{}")]


def test_headers_without_a_length_and_endless_headers_are_reported() -> None:
    parser = FrameParser(max_header=64)
    out = parser.feed(b"Content-Type: x\r\n\r\nContent-Length: 2\r\n\r\n{}")
    assert isinstance(out[0], BadFrame) and out[1] == Frame(b"{}")
    out = parser.feed(b"y" * 100)
    assert len(out) == 1 and isinstance(out[0], BadFrame)
    assert parser.feed(b"content-length: 2\r\n\r\n[]") == [Frame(b"[]")]


async def test_stale_files_tell_changes_to_files_read_and_not_open(tmp_path: Path) -> None:
    read, other = tmp_path / "read.py", tmp_path / "other.py"
    read.write_text("a = 1\n")
    other.write_text("b = 1\n")
    stale = StaleFiles(tmp_path)
    watcher = TreeWatcher(tmp_path, FileIndex(tmp_path), stale)
    try:
        stale.record(read.resolve())
        watcher.start()
        told: list[str] = []
        for n in range(1, 201):  # the watcher reports in the background, within ~10 s at most
            other.write_text(f"b = {n}\n")
            read.write_text(f"a = {n}  # changed elsewhere\n")
            await asyncio.sleep(0.05)
            if told := stale.notices(lambda p: False):
                break
        # other.py changed as often but was never read: it is not named
        assert told == ["changed on disk since you read them: read.py"]
        assert stale.notices(lambda p: False) == []  # told once
        read.write_text("a = 3\n")
        os.utime(read, ns=(1, 1))
        stale.mark_changed(read.resolve())
        assert stale.notices(lambda p: True) == []  # open in the editor: the buffer is current
    finally:
        await watcher.aclose()


def test_whole_range_counts_columns_in_the_negotiated_encoding() -> None:
    text = "a\nx§😀"
    assert whole_range(text, "utf-16").end == t.Position(line=1, character=4)
    assert whole_range(text, "utf-8").end == t.Position(line=1, character=7)
    assert whole_range(text, "utf-32").end == t.Position(line=1, character=3)


def test_selected_text_and_command_requests() -> None:
    source = "one\ntwo three\nfour\n"
    rng = t.Range(start=t.Position(line=1, character=4), end=t.Position(line=2, character=2))
    assert selected_text(source, rng) == "three\nfo"
    request = command_request("silcrow.fix", [{"uri": "file:///x.py", "text": "three\nfo"}])
    assert "fix" in request.text.lower()
    assert request.context == [ContextItem(uri="file:///x.py", text="three\nfo")]
    from pygls.exceptions import JsonRpcInvalidParams

    with pytest.raises(JsonRpcInvalidParams, match="one argument"):
        command_request("silcrow.explain", [])
    with pytest.raises(JsonRpcInvalidParams, match='"chunks"'):
        command_request("silcrow.ask", [{"uri": "file:///x.py", "chunks": "yes"}])


def test_responses_store_is_a_user_setting_that_reaches_the_provider(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from silcrow.lsp.sessions import build_provider, provider_choice

    def built(settings: Settings) -> Any:
        return build_provider(settings, provider_choice(settings, tmp_path, None))

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert "responsesStore" not in FOLDER_SETTINGS
    settings, issues = parse_settings({"provider": "openai", "responsesStore": False})
    assert not issues and settings.responses_store is False
    assert built(settings).cfg.extra["responses_store"] is False
    assert built(parse_settings({"provider": "openai"})[0]).cfg.extra["responses_store"]
