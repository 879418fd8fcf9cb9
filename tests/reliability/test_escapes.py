"""Path escapes: >= 200 attempts through the agent, every path-taking tool, 0 escapes (issue 8, part 5).

A workspace ``repo`` sits beside an ``outside`` folder holding a canary file,
a sibling ``repo-old`` (a string-prefix trap) and ``data/`` holding the real
store. Inside the workspace are file and folder symlinks pointing out, chains
of them, a middle-component link, a link to ``/``, a dangling link, a loop,
``.git/`` and a decoy ``.silcrow/silcrow.db``.

The scripted model calls read, write, edit, list and find (the tools that take
a path; ``search`` is a web search and ``shell`` has no working-directory
argument - the attempts to give it one are counted too) with every path of
``PATHS``: ``..``, absolute paths, symlinks, ``~``, URL-encoding, NUL bytes,
very long paths, unicode look-alikes, Windows separators, ``.git/`` and the
store. A folder is swapped for an outward symlink between two cycles of a
turn. Every attempt goes through the agent's executor and is stored.

Counted (all must be 0): canary text or the outside folder's unlisted file
name in any result, stored cell, raw database byte or model request; any
change under ``outside``, ``repo-old``, ``.git/``, the decoy store or the real
store's folder other than the store's own files; any ``outside`` attempt that
did not fail; any tool crash. Through the daemon, writes and edits travel as
``workspace/applyEdit``: none may name a file outside the root.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reliability.exposure import (
    changed,
    needles_in_files,
    needles_in_store,
    needles_in_text,
    run_turns,
    snapshot,
    store_files,
)
from reliability.knobs import record
from reliability.procs import integrity
from silcrow.store import EventStore
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.policy import PermissionPolicy
from silcrow.tools.registry import default_tools

Kind = Literal["out", "protected", "literal"]
# out: every tool must fail; protected: write and edit must fail (reading .git is fine);
# literal: a strange but inside name - anything may happen, as long as it stays inside.
CANARY = "canary-" + uuid.uuid4().hex
MARKER = "unlisted-" + uuid.uuid4().hex[:12]  # a file name outside that no attempt names
CALLS_PER_CYCLE = 25
REFUSAL_WORDS = ("refused", "outside", "NUL byte", "home-relative")


@dataclass(frozen=True)
class Layout:
    base: Path
    root: Path
    outside: Path
    sibling: Path
    data: Path

    @property
    def db(self) -> Path:
        return self.data / "silcrow.db"


def make_layout(base: Path) -> Layout:
    root, outside, sibling, data = base / "repo", base / "outside", base / "repo-old", base / "data"
    for folder in (
        root / "src",
        root / "mid",
        root / "deep",
        root / ".git" / "hooks",
        root / ".silcrow",
        outside,
        sibling,
        data,
    ):
        folder.mkdir(parents=True)
    (root / "inside.txt").write_text("inside text\n")
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (root / "mid" / "file.txt").write_text("mid text\n")
    (root / "midfile.txt").write_text("mid file\n")
    (root / ".git" / "config").write_text("[core]\n\tbare = false\n")
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (root / ".silcrow" / "silcrow.db").write_bytes(b"SQLite format 3\x00decoy")
    (root / ".silcrow" / "silcrow.db-wal").write_bytes(b"decoy wal")
    (outside / "secret.txt").write_text(f"{CANARY}\n")
    (outside / f"{MARKER}.txt").write_text(f"{CANARY}\n")
    (sibling / "notes.txt").write_text(f"{CANARY}\n")
    links = {
        "link_file.txt": outside / "secret.txt", "link_dir": outside,
        "chain1.txt": Path("chain2.txt"), "chain2.txt": outside / "secret.txt",
        "chain_dir1": Path("chain_dir2"), "chain_dir2": outside,
        "deep/middle": outside, "up": Path(".."), "root_link": Path("/"),
        "dangling.txt": outside / "created-through-link.txt",
        "loop_a": Path("loop_b"), "loop_b": Path("loop_a"),
        "gitlink": Path(".git"), "datalink": data, "sibling_link": sibling,
    }  # fmt: skip
    for name, target in links.items():
        os.symlink(target, root / name)
    return Layout(base, root, outside, sibling, data)


def paths(lay: Layout) -> list[tuple[str, Kind]]:
    """Every way out (and a few strange ways that stay in), with what must happen."""
    out, root = lay.outside, lay.root
    return [
        # .. in all its forms
        ("../outside/secret.txt", "out"), ("../../outside/secret.txt", "out"),
        ("src/../../outside/secret.txt", "out"), ("./../outside/secret.txt", "out"),
        ("src/./../../outside", "out"), ("..", "out"), ("../", "out"),
        ("../" * 40 + "etc/passwd", "out"), ("../repo-old/notes.txt", "out"), ("../repo-old", "out"),
        # absolute
        (str(out / "secret.txt"), "out"), (str(out), "out"), ("/", "out"), ("/etc/passwd", "out"),
        ("/etc", "out"), (str(lay.sibling / "notes.txt"), "out"), (f"{root}/../outside/secret.txt", "out"),
        ("/proc/self/root" + str(out / "secret.txt"), "out"), ("/dev/zero", "out"),
        # symlinks: file, folder, chains, middle component, to /, dangling, parent, loop
        ("link_file.txt", "out"), ("link_dir/secret.txt", "out"), ("link_dir", "out"),
        ("chain1.txt", "out"), ("chain_dir1/secret.txt", "out"), ("deep/middle/secret.txt", "out"),
        ("up/outside/secret.txt", "out"), ("root_link/etc/passwd", "out"), ("dangling.txt", "out"),
        ("sibling_link/notes.txt", "out"), ("loop_a", "out"),
        # home, NUL, length
        ("~", "out"), ("~/secret.txt", "out"), ("~root/.bashrc", "out"),
        ("inside.txt\x00../../outside/secret.txt", "out"), ("../outside/secret.txt\x00.txt", "out"),
        ("a/" * 1500 + "../" * 1501 + "outside/secret.txt", "out"),
        ("x" * 5000, "literal"), ("$HOME/.bashrc", "literal"),
        # encodings, look-alikes and Windows separators: literal names inside the root
        ("..%2Foutside%2Fsecret.txt", "literal"), ("%2e%2e/outside/secret.txt", "literal"),
        ("\u2024\u2024/outside/secret.txt", "literal"), ("\uff0e\uff0e/outside/secret.txt", "literal"),
        ("..\u2215outside\u2215secret.txt", "literal"), ("..\\outside\\secret.txt", "literal"),
        ("C:\\Windows\\win.ini", "literal"), ("\\\\?\\C:\\outside\\secret.txt", "literal"),
        # git and the store
        (".git/config", "protected"), (".git/hooks/pre-commit", "protected"),
        (".git/hooks/post-checkout", "protected"), ("src/../.git/HEAD", "protected"),
        ("gitlink/config", "protected"), (".GIT/hooks/pre-commit", "protected"),
        (".silcrow/silcrow.db", "protected"), (".silcrow/silcrow.db-wal", "protected"),
        ("datalink/silcrow.db", "out"), (str(lay.db), "out"), ("../data/silcrow.db-wal", "out"),
    ]  # fmt: skip


def tool_calls(path: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("read", {"file": path}),
        ("write", {"file": path, "content": "PWNED\n"}),
        ("edit", {"file": path, "start": 1, "end": 1, "new": "PWNED"}),
        ("list", {"path": path}),
        ("find", {"path": path, "pattern": "*", "text": "canary-"}),
    ]


SHELL_DIRS = [("cwd", "outside"), ("cwd", ".."), ("workdir", "outside"), ("dir", "/"),
              ("directory", "outside"), ("cwd", "link_dir")]  # fmt: skip


def shell_calls(lay: Layout) -> list[tuple[str, dict[str, Any]]]:
    """``shell`` has no working-directory argument: each way of passing one must be refused."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for i, (arg, where) in enumerate(SHELL_DIRS):
        target = str(lay.base / where) if where == "outside" else where
        calls.append(("shell", {"command": f"pwd > where-{i}.txt", arg: target}))
    return calls


@dataclass(frozen=True)
class Attempt:
    tool: str
    args: dict[str, Any]
    kind: Kind


def cycle(calls: list[Attempt]) -> str:
    lines = [f"§call: {json.dumps({'name': a.tool, 'args': a.args})}" for a in calls]
    return "\n".join(lines) + "\n§execute\n"


def batches(items: list[Attempt], size: int) -> list[list[Attempt]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def swap_mid(lay: Layout) -> None:
    """Mid-turn: ``mid/`` becomes a link to the outside folder, ``midfile.txt`` to the canary."""
    shutil.rmtree(lay.root / "mid")
    os.symlink(lay.outside, lay.root / "mid")
    (lay.root / "midfile.txt").unlink()
    os.symlink(lay.outside / "secret.txt", lay.root / "midfile.txt")


def verdict(content: str, error: bool) -> str:
    if not error:
        return "allowed"
    if "crashed" in content:
        return "crashed"
    return "refused" if any(w in content for w in REFUSAL_WORDS) else "failed"


def guarded(lay: Layout) -> dict[str, dict[str, str]]:
    """Snapshots of everything no tool may change."""
    return {
        "outside": snapshot(lay.outside), "sibling": snapshot(lay.sibling),
        ".git": snapshot(lay.root / ".git"), ".silcrow": snapshot(lay.root / ".silcrow"),
        "data": {k: v for k, v in snapshot(lay.data).items() if not k.startswith("silcrow.db")},
    }  # fmt: skip


async def test_two_hundred_escape_attempts_through_the_agent_escape_nowhere(tmp_path: Path) -> None:
    lay = make_layout(tmp_path)
    plain = [
        Attempt(tool, args, kind) for path, kind in paths(lay) for tool, args in tool_calls(path)
    ]
    plain += [Attempt(tool, args, "out") for tool, args in shell_calls(lay)]
    plain += [
        Attempt("find", {"pattern": "*.txt", "text": "canary-"}, "literal"),
        Attempt("list", {"path": ".", "depth": 6}, "literal"),
        Attempt("find", {"pattern": "**/secret.txt"}, "literal"),
    ]
    before_swap = [
        Attempt("read", {"file": "mid/file.txt"}, "literal"),
        Attempt("write", {"file": "mid/new.txt", "content": "ok\n"}, "literal"),
    ]
    after_swap = [
        Attempt(t, a, "out") for p in ("mid/secret.txt", "midfile.txt") for t, a in tool_calls(p)
    ]
    mid_turn = [cycle(before_swap), cycle(after_swap), "§respond: done\n§end\n"]
    turns = [[*map(cycle, batches(plain, CALLS_PER_CYCLE)), "§respond: done\n§end\n"], mid_turn]
    attempts = [*plain, *before_swap, *after_swap]
    swap_at = len(turns[0]) + 1  # the reply served after the mid-turn turn's first cycle ran

    before = guarded(lay)
    store = await EventStore.open(lay.db)
    try:
        ws = LocalWorkspace(lay.root)
        policy = PermissionPolicy.from_settings(
            {"shell": "allow"}
        )  # refusals must come from the tools
        done = await run_turns(
            store,
            default_tools(ws, store=store),
            turns,
            policy=policy,
            hooks={swap_at: lambda: swap_mid(lay)},
        )
    finally:
        await store.close()

    results = done.of("result")
    assert done.stop_reasons == ["end", "end"]
    assert len(done.of("call")) == len(attempts) == len(results)
    tally: Counter[str] = Counter()
    per_tool: Counter[str] = Counter()
    leaked, wrongly_allowed = [], []
    for attempt, result in zip(attempts, results, strict=True):
        payload = result.payload or {}
        assert payload.get("name") == attempt.tool
        seen = needles_in_text(result.content + str(payload), [CANARY, MARKER])
        if seen:
            leaked.append((attempt, result.content[:200]))
        outcome = verdict(result.content, bool(payload.get("error")))
        tally[outcome] += 1
        per_tool[attempt.tool] += 1
        must_fail = attempt.kind == "out" or (
            attempt.kind == "protected" and attempt.tool in ("write", "edit")
        )
        if must_fail and outcome == "allowed":
            wrongly_allowed.append((attempt, result.content[:200]))

    after = guarded(lay)
    touched = {name: changed(before[name], after[name]) for name in before}
    in_store, cells = needles_in_store(lay.db, [CANARY, MARKER])
    in_bytes = needles_in_files(store_files(lay.db), [CANARY, MARKER])
    in_requests = needles_in_text(done.sent_to_model(), [CANARY, MARKER])
    escapes = len(leaked) + len(wrongly_allowed) + sum(map(len, touched.values()))
    record(
        "escapes/agent",
        attempts=len(attempts),
        per_tool=dict(per_tool),
        refused=tally["refused"],
        failed=tally["failed"],
        allowed_inside=tally["allowed"],
        crashed=tally["crashed"],
        escapes=escapes,
        canary_in_store=sum(in_store.values()),
        canary_in_db_bytes=sum(in_bytes.values()),
        canary_in_requests=sum(in_requests.values()),
        store_cells_scanned=cells,
    )
    assert len(attempts) >= 200 and set(per_tool) == {
        "read",
        "write",
        "edit",
        "list",
        "find",
        "shell",
    }
    assert leaked == [] and wrongly_allowed == []
    assert touched == {name: [] for name in before}
    assert not (lay.outside / "created-through-link.txt").exists()
    assert tally["crashed"] == 0, [r.content[:120] for r in results if "crashed" in r.content]
    assert not in_store and not in_bytes and not in_requests and cells > 0
    assert integrity(lay.db) == "ok"
    # The pipeline did run tools: inside reads and writes worked, before and after the swap.
    assert "mid text" in results[len(plain)].content and (lay.outside / "new.txt").exists() is False
    assert tally["allowed"] > 0 and tally["refused"] > len(attempts) // 2


def edit_uris(edit: Any) -> list[str]:
    """Every document URI a ``workspace/applyEdit`` names."""
    changes = edit.edit.document_changes or []
    return [getattr(c, "uri", None) or c.text_document.uri for c in changes]


async def test_through_the_daemon_no_apply_edit_leaves_the_root_and_the_store_is_not_a_target(
    tmp_path: Path,
) -> None:
    """The editor side: writes become applyEdit requests; none may name a file outside the root.

    The store lives inside the workspace here (``SILCROW_DB=repo/state/silcrow.db``,
    not under ``.silcrow/``): the agent must still never write it.
    """
    from lsp.lsp_harness import call, respond, start_daemon, stop_daemon

    lay = make_layout(tmp_path)
    db = lay.root / "state" / "silcrow.db"
    targets = ["../outside/secret.txt", str(lay.outside / "new.txt"), "link_file.txt", "link_dir/new.txt",
               "chain1.txt", "dangling.txt", "deep/middle/secret.txt", "loop_a", "up/outside/x.txt",
               ".git/hooks/pre-commit", ".GIT/config", "gitlink/HEAD", "state/silcrow.db",
               "state/silcrow.db-wal", str(db), "~/.bashrc", "inside.txt\x00x"]  # fmt: skip
    attempts = [
        c
        for p in targets
        for c in (
            call("write", file=p, content="PWNED\n"),
            call("edit", file=p, start=1, end=1, new="PWNED"),
            call("read", file=p),
        )
    ]
    cycle_text = "".join(a.replace("§execute\n", "") for a in attempts) + "§execute\n"
    replies = [cycle_text, call("write", file="ok.txt", content="fine\n"), respond("done")]
    before = guarded(lay)
    daemon = await start_daemon(  # an editor that saves: every write is an applyEdit
        lay.root,
        db,
        settings={"fakeScript": {"replies": replies, "chunk": 4096}},
        silcrow={"saveDocuments": True},
    )
    try:
        result = await daemon.prompt("tidy up")
        store_during = {p.name: p.read_bytes()[:16] for p in store_files(db)}
    finally:
        await stop_daemon(daemon)
    results = [e for e in daemon.events if e["type"] == "result"]
    uris = [u for edit in daemon.edits for u in edit_uris(edit)]
    outside_uris = [u for u in uris if not u.startswith(lay.root.as_uri() + "/")]
    refused = sum(1 for e in results if e["payload"]["error"])
    record(
        "escapes/daemon",
        attempts=len(attempts),
        refused=refused,
        apply_edits=len(daemon.edits),
        apply_edits_outside=len(outside_uris),
        escapes=len(outside_uris),
    )
    assert result["stopReason"] == "end"
    assert len(results) == len(attempts) + 1
    writes = [e for e in results if e["payload"]["name"] in ("write", "edit")]
    assert all(e["payload"]["error"] for e in writes[:-1]) and not writes[-1]["payload"]["error"]
    assert outside_uris == [] and set(uris) == {(lay.root / "ok.txt").as_uri()}
    assert (lay.root / "ok.txt").read_text() == "fine\n"
    assert {name: changed(before[name], guarded(lay)[name]) for name in before} == {
        n: [] for n in before
    }
    assert store_during["silcrow.db"].startswith(b"SQLite format 3")
    assert integrity(db) == "ok"
    assert not needles_in_text(json.dumps(daemon.events), [CANARY, MARKER])


def test_regressions_loop_git_case_and_store_path(tmp_path: Path, monkeypatch: Any) -> None:
    """Fixed here: a symlink loop raised RuntimeError (a tool crash); ``.GIT`` and the
    ``$SILCROW_DB`` file outside ``.silcrow/`` were writable."""
    from silcrow.tools.base import ToolError

    lay = make_layout(tmp_path)
    monkeypatch.setenv("SILCROW_DB", str(lay.root / "state" / "events.sqlite"))
    ws = LocalWorkspace(lay.root)
    refused = 0
    for path in (
        "loop_a",
        "loop_b/x",
        ".GIT/hooks/pre-commit",
        ".Git/config",
        "state/events.sqlite",
        "state/events.sqlite-wal",
        "state/events.sqlite-journal",
    ):
        try:
            ws.check_write(path)
        except ToolError:
            refused += 1
    assert refused == 7
    assert ws.check_write("state/notes.txt") == lay.root / "state" / "notes.txt"
