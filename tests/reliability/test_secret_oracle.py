"""No search oracle, no regex freeze: ``find`` through the daemon (issue 13, item 3 and 4).

a. The oracle. A workspace file holds ``sk-proj-<random>``. The scripted model
   sends one turn of non-adaptive probes: for each of the key's first
   ``KNOWN`` characters and each of the 6 bits of its index in the alphabet,
   a regex ``sk-proj-.{i}[<the characters whose bit j is set>]``. If ``find``
   answers whether a probe matched, those answers spell the key (the
   attack that recovered a whole key in 384 probes, here in one turn).
   ``find`` must match against redacted text: every probe gets the same
   answer, the decoded guess is not the key, and the key's random part is
   nowhere in the store or the editor's events. A second set of probes with
   different literal guesses (right and wrong) must give identical answers.
   Control: a probe for text outside the secret does match.
b. The freeze. ``find`` with ``^(\\w+\\s?)*$`` over a file whose long sentence
   ends in ``!`` (catastrophic backtracking for a backtracking engine), and
   a 1.8 MB file that is slow to redact, while
   a second request, ``silcrow/conversations``, must be answered: the
   engine is linear-time, so the turn ends and the request is answered
   promptly (a generous bound, recorded). A pattern the linear engine cannot
   compile (a backreference) gets an error naming what to change.
c. The same oracle through ``edit``: ``old`` = a guess, found or not found.
   Every guess must get the same answer (a file holding a secret takes only
   line-range edits), and a line-range edit still works.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
import time
from pathlib import Path
from typing import Any

from reliability.knobs import record
from reliability.procs import RawDaemon

ALPHABET = string.ascii_letters + string.digits + "-_"  # 64 symbols: 6 bits each
KNOWN = 16  # characters of the key the probes try to recover


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n"


def bit_probes() -> list[str]:
    probes = []
    for i in range(KNOWN):
        for bit in range(6):
            chars = "".join(c for n, c in enumerate(ALPHABET) if n >> bit & 1)
            probes.append(f"sk-proj-.{{{i}}}[" + chars.replace("-", "\\-") + "]")
    return probes


def decode(matched: list[bool]) -> str:
    return "".join(
        ALPHABET[sum(1 << bit for bit in range(6) if matched[6 * i + bit])] for i in range(KNOWN)
    )


def finds(patterns: list[str]) -> str:
    return "".join(call("find", text=p, regex=True) for p in patterns)


async def run_turn(
    root: Path, db: Path, replies: list[str]
) -> tuple[RawDaemon, list[dict[str, Any]]]:
    daemon = await RawDaemon.spawn(db, cwd=root)
    try:
        await daemon.initialize([root], {"fakeScript": {"replies": replies, "chunk": 1 << 16}})
        result = await daemon.request("silcrow/prompt", {"text": "probe"})
        assert result["stopReason"] == "end", result
        await daemon.close()
    finally:
        daemon.kill()
    return daemon, [e for e in daemon.events if e["type"] == "result"]


def answer(result: dict[str, Any]) -> str:
    """What a probe told the model, minus the echo of the probe itself."""
    return result["content"] + "|" + result["payload"]["outcome"].split(" for text ")[0]


async def test_find_is_no_oracle_for_a_key_in_a_file(tmp_path: Path) -> None:
    rng = random.Random(13)
    body = "".join(rng.choice(ALPHABET[:62]) for _ in range(47)) + "7"
    key = "sk-proj-" + body
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text(f'import os\nCLIENT_KEY = "{key}"\nprint("hello")\n')
    probes = bit_probes()
    guesses = [key[: 8 + n] for n in (1, 4, 12)] + ["sk-proj-" + c for c in "aZ9_"] + [key]
    control = call("find", text="print\\(", regex=True)
    replies = [
        finds(probes) + "§execute\n",
        finds(guesses) + control + "§execute\n",
        "§respond: done\n§end\n",
    ]
    daemon, results = await run_turn(root, tmp_path / "state" / "silcrow.db", replies)

    assert len(results) == len(probes) + len(guesses) + 1
    probe_answers = [answer(r) for r in results[: len(probes)]]
    guess_answers = [answer(r) for r in results[len(probes) : -1]]
    matched = [not r["content"].startswith("no matches") for r in results[: len(probes)]]
    recovered = decode(matched)
    record(
        "secrets/oracle",
        probes=len(probes) + len(guesses),
        distinct_probe_answers=len(set(probe_answers)),
        distinct_guess_answers=len(set(guess_answers)),
        recovered_prefix=recovered == body[:KNOWN],
    )
    assert recovered != body[:KNOWN], "the probes spelled the key"
    assert len(set(probe_answers)) == 1, set(probe_answers)
    assert len(set(guess_answers)) == 1, set(guess_answers)
    assert "app.py:3:" in results[-1]["content"]  # control: find does search this file
    # The model's own calls hold the guesses; what the tools sent back must not hold the key.
    seen = json.dumps(results) + daemon.stderr.decode("utf-8", "replace")
    where = seen.find(body[:KNOWN])
    assert where < 0, seen[max(0, where - 800) : where + 100]
    assert "[redacted:openai-key]" in seen


async def test_catastrophic_regex_does_not_freeze_the_daemon(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "story.txt").write_text(" ".join(["word"] * 40) + "!\n")
    # Slow for the redactor (one 1.8 MB assignment RE2 has to take apart): it runs off the loop.
    (root / "hostile.txt").write_text("password=" * 200_000)
    replies = [
        call("find", text="^(\\w+\\s?)*$", regex=True)
        + call("find", text="(a)\\1", regex=True)
        + "§execute\n",
        "§respond: done\n§end\n",
    ]
    daemon = await RawDaemon.spawn(tmp_path / "state.db", cwd=root)
    try:
        await daemon.initialize([root], {"fakeScript": {"replies": replies, "chunk": 1 << 16}})
        prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "find"}))
        while not any(e["type"] == "call" for e in daemon.events) and not prompt.done():  # noqa: ASYNC110 - frames arrive on a reader task
            await asyncio.sleep(0.005)
        started = time.monotonic()
        await asyncio.wait_for(daemon.request("silcrow/conversations", {}), 10)
        answered = time.monotonic() - started
        result = await asyncio.wait_for(prompt, 10)
        await daemon.close()
    finally:
        daemon.kill()
    record("secrets/regex_freeze", conversations_answered_s=round(answered, 3))
    assert result["stopReason"] == "end"
    assert answered < 1.0, f"silcrow/conversations took {answered:.2f} s while find ran"
    results = [e for e in daemon.events if e["type"] == "result"]
    assert results[0]["content"].startswith("no matches"), results[0]
    assert results[1]["payload"]["error"] and "backreference" in results[1]["content"], results[1]


async def test_edit_is_no_oracle_for_a_key_in_a_file(tmp_path: Path) -> None:
    """``edit`` with ``old`` = a guess: found or not found would answer it; every guess gets one answer."""
    key = "sk-proj-Qx7" + "a1B2c3D4e5" * 4
    root = tmp_path / "ws"
    root.mkdir()
    original = f'CLIENT_KEY = "{key}"\nprint("hello")\n'
    (root / "app.py").write_text(original)
    guesses = ["sk-proj-Q", "sk-proj-Z", key[:20], "sk-proj-0", 'print("hello")']
    edits = "".join(call("edit", file="app.py", old=g + "", new=g + " ") for g in guesses)
    line_edit = call("edit", file="app.py", start=2, end=2, new='print("bye")')
    replies = [edits + line_edit + "§execute\n", "§respond: done\n§end\n"]
    _, results = await run_turn(root, tmp_path / "state" / "silcrow.db", replies)
    answers = {r["content"] for r in results[: len(guesses)]}
    record("secrets/edit_oracle", probes=len(guesses), distinct_answers=len(answers))
    assert len(answers) == 1 and "line range" in answers.pop()
    assert not results[-1]["payload"]["error"], results[-1]  # a line-range edit still works
    assert (root / "app.py").read_text() == original.replace('print("hello")', 'print("bye")')
