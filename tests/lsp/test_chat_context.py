"""``silcrow chat``: ``@path`` mentions, chat modes and models from the terminal."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_chat import _env

from silcrow.chat.context import ChatOptions, mentions
from silcrow.store import EventStore


def test_mentions_attach_workspace_files_and_say_what_was_not_attached(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "outside.py").write_text("secret\n")
    text = "compare @src/a.py with @src/a.py:2-4, not @src, @../outside.py or me@example.com."
    items, skipped = mentions(text, root)
    uri = (root / "src" / "a.py").as_uri()
    assert items == [
        {"kind": "file", "uri": uri},
        {
            "kind": "selection",
            "uri": uri,
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 4, "character": 0}},
        },
    ]
    assert skipped == ["@src is a folder; name a file", "@../outside.py is outside the workspace"]
    assert mentions("@missing.py and plain words", root) == ([], [])


def test_mode_and_model_commands_change_what_prompts_carry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ChatOptions()
    asked: list[tuple[str, dict[str, Any]]] = []

    async def request(method: str, params: dict[str, Any]) -> Any:
        asked.append((method, params))
        return {"provider": "openai", "current": "m1", "models": [{"id": "m1"}, {"id": "m2"}]}

    async def run() -> None:
        assert await options.command("/plan", "how to cache?", request) == (True, "how to cache?")
        assert options.params() == {"chatMode": "plan"}
        assert await options.command("/model", "", request) == (True, "")
        assert await options.command("/model", "m2", request) == (True, "")
        assert await options.command("/agent", "", request) == (True, "")
        assert await options.command("/bogus", "", request) == (False, "")

    asyncio.run(run())
    assert options.params() == {"model": "m2"}
    assert asked == [("silcrow/models", {})]
    out = capsys.readouterr().out
    assert " * m1" in out and "   m2" in out and "[plan mode" in out


@pytest.mark.slow  # the terminal client and a daemon: about 5 s
def test_chat_sends_mentions_and_the_mode_to_the_daemon(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("answer = 42\n")
    env = {**_env(tmp_path), "SILCROW_FAKE_SCRIPT": json.dumps(["§respond: ok\n§end\n"])}
    done = subprocess.run(
        [sys.executable, "-m", "silcrow.cli", "chat", "--provider", "fake"],
        cwd=tmp_path,
        env=env,
        input="/ask what is @a.py?\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ask mode" in done.stdout

    async def stored_user_event() -> dict[str, Any]:
        store = await EventStore.open(tmp_path / "chat.db")
        try:
            (conv,) = await store.list_conversations()
            (user,) = [e for e in await store.events(conv.id) if e.type == "user"]
            return user.payload or {}
        finally:
            await store.close()

    payload = asyncio.run(stored_user_event())
    assert payload["chatMode"] == "ask"
    (item,) = payload["context"]
    assert item["uri"] == (tmp_path / "a.py").as_uri() and item["text"] == "answer = 42\n"
