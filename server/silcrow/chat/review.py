"""Review and revert in the terminal client: ``silcrow/review`` prompts, ``/checkpoints``, ``/revert``.

Algorithm:
1. ``hunks(old, new)``: the line changes between two texts, one ``Hunk``
   per run of changed lines (``difflib.SequenceMatcher`` opcodes that are
   not "equal"); ``compose(old, new, chosen)`` is the old text with only the
   chosen hunks applied - what the user accepted, exactly.
2. ``answer_review(params, ask)`` shows each file as a unified diff and asks
   ``[a]ccept / [r]eject / [h]unks``; "hunks" asks for each hunk in turn
   (``y``/``n``). The answer is ``{files: [{uri, newText}]}``: the accepted
   text, ``null`` for rejected. ``ask`` is ``input`` in a thread on a
   terminal; without a terminal every file is rejected (``--yes``: accepted).
3. ``/checkpoints`` lists the turns of the conversation that changed files
   (numbered, newest last); ``/revert N`` restores the N-th and every later
   one. When files changed since, it names them and asks before sending the
   revert again with ``force``.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from silcrow.tools.visible import terminal_safe

Ask = Callable[[str], Awaitable[str]]
Request = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Hunk:
    """Lines ``old[start:end]`` become ``lines``."""

    start: int
    end: int
    lines: tuple[str, ...]


def hunks(old: str, new: str) -> list[Hunk]:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [
        Hunk(i1, i2, tuple(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def compose(old: str, new: str, chosen: Sequence[bool]) -> str:
    """Step 1: ``old`` with the hunks of ``hunks(old, new)`` applied where ``chosen``."""
    a = old.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    for hunk, take in zip(hunks(old, new), chosen, strict=True):
        out += a[at : hunk.start]
        out += hunk.lines if take else a[hunk.start : hunk.end]
        at = hunk.end
    return "".join(out + a[at:])


def _name(uri: str) -> str:
    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def unified(old: str | None, new: str | None, name: str) -> str:
    diff = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        "/dev/null" if old is None else f"a/{name}",
        "/dev/null" if new is None else f"b/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


async def answer_review(
    params: dict[str, Any], ask: Ask | None, accept_all: bool
) -> dict[str, Any]:
    """Step 2: the ``silcrow/review`` answer, asked file by file (and hunk by hunk)."""
    answers: list[dict[str, Any]] = []
    for file in params.get("files") or []:
        uri, old, new = str(file.get("uri")), file.get("oldText"), file.get("newText")
        name = Path(_name(uri)).name
        print(f"\n--- review: {file.get('kind')} {terminal_safe(_name(uri))}")
        print(terminal_safe(unified(old, new, name)), end="", flush=True)
        if accept_all or ask is None:
            verdict = new if accept_all else None
            print(f"[{'accepted' if accept_all else 'rejected, not a terminal'}: {name}]")
        else:
            verdict = await _ask_file(ask, name, old, new)
        answers.append({"uri": uri, "newText": verdict})
    return {"files": answers}


async def _ask_file(ask: Ask, name: str, old: str | None, new: str | None) -> str | None:
    choice = (await ask(f"{name}: [a]ccept / [r]eject / [h]unks? ")).strip().lower()[:1]
    if choice == "a":
        return new
    if choice != "h" or old is None or new is None:
        return None
    chosen = []
    parts = hunks(old, new)
    for n, hunk in enumerate(parts, 1):
        removed = "".join(
            "-" + line for line in old.splitlines(keepends=True)[hunk.start : hunk.end]
        )
        added = "".join("+" + line for line in hunk.lines)
        print(
            f"@@ hunk {n}/{len(parts)} at line {hunk.start + 1}\n{terminal_safe(removed + added)}"
        )
        chosen.append((await ask(f"keep hunk {n}? [y/n] ")).strip().lower().startswith("y"))
    return compose(old, new, chosen) if any(chosen) else None


async def checkpoints_command(request: Request, conversation: str | None) -> list[dict[str, Any]]:
    """Step 3: print the conversation's checkpoints; returns them for ``/revert N``."""
    if conversation is None:
        print("[no conversation yet]")
        return []
    found = await request("silcrow/checkpoints", {"conversationId": conversation})
    marks = list(found.get("checkpoints", []))
    for n, mark in enumerate(marks, 1):
        files = ", ".join(Path(_name(str(u))).name for u in mark.get("files", []))
        print(f"{n:3}. turn {terminal_safe(str(mark.get('turnId'))[:8])}: {terminal_safe(files)}")
    if not marks:
        print("[no file changes to revert in this conversation]")
    return marks


async def revert_command(
    request: Request, conversation: str | None, turn_id: str, ask: Ask | None
) -> None:
    """Step 3: revert a turn and every later one; ask before overwriting changed files."""
    params: dict[str, Any] = {"conversationId": conversation, "turnId": turn_id}
    done = await request("silcrow/revert", params)
    conflicts = [terminal_safe(_name(str(u))) for u in done.get("conflicts", [])]
    if conflicts and not done.get("reverted"):
        print(f"[changed since the agent's edit: {', '.join(conflicts)}]")
        sure = ask is not None and (await ask("overwrite them? [y/N] ")).strip().lower() == "y"
        if not sure:
            print("[nothing reverted]")
            return
        done = await request("silcrow/revert", {**params, "force": True})
    files = [terminal_safe(_name(str(u))) for u in done.get("reverted", [])]
    print(f"[reverted: {', '.join(files)}]" if files else "[nothing to revert]")
