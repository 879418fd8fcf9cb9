"""Escape matrix: every path-taking tool, every way out -> refused, nothing leaks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tools_helpers import SECRET, Layout

from silcrow.tools.base import Tool, ToolError
from silcrow.tools.local import LocalWorkspace

ESCAPES = [
    "../outside/secret.txt",
    "src/../../outside/secret.txt",
    "~/secret.txt",
    "link_file.txt",
    "link_dir/secret.txt",
    "deep/middle/secret.txt",
    "../repo-old/notes.txt",
]


def absolute_escapes(layout: Layout) -> list[str]:
    return [str(layout.outside_file), str(layout.sibling / "notes.txt"), str(layout.sibling)]


def calls(path: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("read", {"file": path}),
        ("write", {"file": path, "content": "PWNED"}),
        ("edit", {"file": path, "old": SECRET, "new": "PWNED"}),
        ("list", {"path": path}),
        ("find", {"pattern": "*", "text": "SECRET", "path": path}),
    ]


def outside_untouched(layout: Layout) -> None:
    assert layout.outside_file.read_text() == SECRET
    assert (layout.sibling / "notes.txt").read_text() == SECRET
    assert sorted(p.name for p in layout.outside_dir.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("path", ESCAPES)
async def test_relative_and_symlink_escapes_are_refused(
    layout: Layout, tools: dict[str, Tool], path: str
) -> None:
    for name, args in calls(path):
        result = await tools[name].execute(**args)
        assert result.error, (name, path, result)
        assert SECRET not in result.content and SECRET not in result.outcome
    outside_untouched(layout)


async def test_absolute_paths_outside_and_sibling_prefix_are_refused(
    layout: Layout, tools: dict[str, Tool]
) -> None:
    for path in absolute_escapes(layout):
        for name, args in calls(path):
            result = await tools[name].execute(**args)
            assert result.error, (name, path)
            assert "outside the workspace" in result.content
    outside_untouched(layout)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".git/hooks/pre-commit",
        ".silcrow/store.db",
        ".silcrow/store.db-wal",
        "sub/.silcrow/x.db-shm",
    ],
)
async def test_protected_writes_are_refused(
    layout: Layout, tools: dict[str, Tool], path: str
) -> None:
    before = {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()}
    for name, args in [
        ("write", {"file": path, "content": "x"}),
        ("edit", {"file": path, "start": 1, "end": 1, "new": "x"}),
    ]:
        result = await tools[name].execute(**args)
        assert result.error and "refused" in result.content, (name, result)
    after = {p: p.read_bytes() for p in layout.root.rglob("*") if p.is_file()}
    assert after == before


async def test_configured_protected_paths_and_globs(layout: Layout) -> None:
    store = layout.root / "data" / "custom.sqlite"
    ws = LocalWorkspace(layout.root, protected=[str(store), "*.lock", "secrets/"])
    for path in ["data/custom.sqlite", "poetry.lock", "a/b/yarn.lock", "secrets/x.txt"]:
        with pytest.raises(ToolError, match="protected"):
            await ws.write_text(path, "x")
    await ws.write_text("data/other.txt", "fine")
    assert (layout.root / "data" / "other.txt").read_text() == "fine"


async def test_inside_symlink_and_dotdot_that_stays_inside_are_allowed(
    layout: Layout, ws: LocalWorkspace
) -> None:
    (layout.root / "alias.py").symlink_to(layout.root / "src" / "app.py")
    assert "def main" in await ws.read_text("alias.py")
    assert "def main" in await ws.read_text("src/../src/app.py")
    assert "def main" in await ws.read_text(str(layout.root / "src" / "app.py"))


def test_resolve_uses_components_not_string_prefixes(layout: Layout, ws: LocalWorkspace) -> None:
    with pytest.raises(ToolError):
        ws.resolve(str(layout.sibling / "notes.txt"))
    assert ws.resolve("src") == Path(layout.root / "src").resolve()


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        "id_rsa",
        "server.pem",
        "tls.key",
        ".netrc",
        ".npmrc",
        "credentials.json",
        ".aws/credentials",
    ],
)
async def test_secret_reads_are_refused_unless_allowed(
    layout: Layout, tools: dict[str, Tool], name: str
) -> None:
    path = layout.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("TOKEN=hunter2\n")
    result = await tools["read"].execute(file=name)
    assert result.error and "secret" in result.content and "hunter2" not in result.content
    found = await tools["find"].execute(text="hunter2")
    assert "hunter2" not in found.content
    allowed = LocalWorkspace(layout.root, allow_secret_reads=True)
    assert "hunter2" in await allowed.read_text(name)


async def test_public_lookalikes_stay_readable(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / ".env.example").write_text("KEY=\n")
    (layout.root / "id_rsa.pub").write_text("ssh-rsa AAAA\n")
    assert await ws.read_text(".env.example") == "KEY=\n"
    assert await ws.read_text("id_rsa.pub") == "ssh-rsa AAAA\n"


async def test_symlink_to_secret_inside_is_refused(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / ".env").write_text("K=hunter2")
    (layout.root / "notes.txt").symlink_to(layout.root / ".env")
    with pytest.raises(ToolError, match="secret"):
        await ws.read_text("notes.txt")
