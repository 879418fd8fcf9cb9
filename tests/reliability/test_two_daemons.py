"""Two daemons on one store (two editor windows): no "database is locked", consistent histories (issue 8).

Two ``silcrow serve`` processes share one ``SILCROW_DB`` that neither has
created yet; they start together, so their first prompts open and migrate
the store at the same moment. Each has two workspace folders and runs one
conversation in each at the same time (a folder has its own scripted fake,
so each conversation gets its replies in order): a loop of prompts whose
replies stream fast in token mode (one store transaction per delta or so)
and write and read a file. Once with folders of its own per daemon, once
with both daemons on the SAME two folders.

Counted:
* "database is locked" anywhere: the daemons' stderr, ``window/logMessage``,
  ``window/showMessage`` and the content of any event. Must be 0.
* every prompt resolves with stopReason ``end``; no ``error`` event.
* each daemon is sent events of its own conversations only;
* per conversation: the stored events are exactly the ``silcrow/event``
  notifications its client received, in the same order; seqs run 1..n with
  no gap; each turn's events are one contiguous block (user ... end) and
  carry the turn id the prompt resolved with, so no turn interleaves with
  another.

A third case kills one window: while both daemons run turns, one is
SIGKILLed at a random moment (seeded; ``SILCROW_CRASH_SEED`` replays it),
possibly inside a write transaction. The other must finish every turn with
no "database is locked" and a consistent history, every event the killed
one had sent must be in the store, and the store must pass
``integrity_check``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reliability.knobs import record, runs
from reliability.procs import RawDaemon, RpcError, integrity, stored_events

LOCKED = "database is locked"
CONVERSATIONS = 2  # per daemon, one per workspace folder, running at the same time


def replies(tag: str, turns: int) -> list[str]:
    """Two cycles per turn: think + write + read, then a streamed answer."""
    write = json.dumps({"name": "write", "args": {"file": f"{tag}.txt", "content": f"{tag}\n"}})
    read = json.dumps({"name": "read", "args": {"file": f"{tag}.txt"}})
    cycle = (
        f"§think: writing {tag} down and reading it back\n§call: {write}\n§call: {read}\n§execute\n"
    )
    answer = f"§respond: {tag} is written and reads back the same, line for line.\n§end\n"
    return [cycle, answer] * turns


@contextlib.asynccontextmanager
async def daemons(db: Path, layout: list[list[Path]], turns: int) -> AsyncIterator[list[RawDaemon]]:
    """One daemon per entry of ``layout`` (its workspace folders), all on ``db``."""
    started = await asyncio.gather(*(RawDaemon.spawn(db, cwd=folders[0]) for folders in layout))
    try:
        await asyncio.gather(
            *(
                d.initialize(
                    folders,
                    {
                        "streaming": "token",
                        "fakeScript": {
                            "replies": replies(f"w{i}", turns),
                            "chunk": 4,
                            "delay": 0.002,
                        },
                    },
                )
                for i, (d, folders) in enumerate(zip(started, layout, strict=True))
            )
        )
        yield started
        for d in started:
            await d.close()
    finally:
        for d in started:
            d.kill()


async def converse(daemon: RawDaemon, folder: Path, turns: int) -> tuple[str, list[dict[str, Any]]]:
    """``turns`` prompts on one new conversation in ``folder``; its id and the prompt results.

    A prompt answered with a JSON-RPC error counts as stopReason ``rpc_error``
    (its message kept under ``error``); the loop stops if the conversation
    never got an id.
    """
    results: list[dict[str, Any]] = []
    cid = ""
    for n in range(turns):
        params: dict[str, Any] = {
            "text": f"turn {n}: note it down",
            "workspaceUri": folder.as_uri(),
        }
        if cid:
            params["conversationId"] = cid
        try:
            results.append(await daemon.request("silcrow/prompt", params))
        except RpcError as exc:
            results.append({"stopReason": "rpc_error", "error": exc.message, "turnId": ""})
            if not cid:
                break
            continue
        cid = results[-1]["conversationId"]
    return cid, results


def locked_lines(daemon: RawDaemon, results: list[dict[str, Any]]) -> list[str]:
    """Lines saying "database is locked" in what ``daemon`` wrote and sent, and in its prompt results."""
    texts = [
        *(str(r.get("error", "")) for r in results),
        daemon.stderr.decode("utf-8", "replace"),
        *daemon.texts("window/logMessage"),
        *daemon.texts("window/showMessage"),
        *(e["content"] for e in daemon.events),
    ]
    return [line for text in texts for line in text.splitlines() if LOCKED in line]


def turn_blocks(events: list[dict[str, Any]]) -> list[str]:
    """The turn ids in the order their blocks appear; a turn seen twice was interleaved."""
    blocks: list[str] = []
    for event in events:
        if not blocks or blocks[-1] != event["turnId"]:
            blocks.append(event["turnId"])
    return blocks


def inconsistencies(
    cid: str,
    results: list[dict[str, Any]],
    received: list[dict[str, Any]],
    stored: list[dict[str, Any]],
) -> list[str]:
    found: list[str] = []
    if stored != received:
        found.append(
            f"{cid}: stored {len(stored)} events, the client received {len(received)}"
            " (or in another order / with other fields)"
        )
    if [e["seq"] for e in stored] != list(range(1, len(stored) + 1)):
        found.append(f"{cid}: seqs have a gap or a repeat")
    if turn_blocks(stored) != [r["turnId"] for r in results if r["turnId"]]:
        found.append(f"{cid}: turns are interleaved or their ids differ from the prompt results")
    return found


@pytest.mark.parametrize("shared_folder", [False, True], ids=["own_folders", "same_folder"])
async def test_two_daemons_share_a_store_without_locks_or_mixed_histories(
    tmp_path: Path, shared_folder: bool
) -> None:
    db = tmp_path / "shared.db"
    names = [["ws0", "ws1"]] * 2 if shared_folder else [["ws0", "ws1"], ["ws2", "ws3"]]
    layout = [[tmp_path / name for name in folders] for folders in names]
    for folders in layout:
        for folder in folders:
            folder.mkdir(exist_ok=True)
    turns = runs(5, 60)
    started = time.monotonic()
    async with daemons(db, layout, turns) as pair:
        owners = [d for d in pair for _ in range(CONVERSATIONS)]
        done = await asyncio.gather(
            *(
                converse(d, folder, turns)
                for d, folders in zip(pair, layout, strict=True)
                for folder in folders
            )
        )
    seconds = round(time.monotonic() - started, 2)
    said = [
        line
        for d, (_, results) in zip(owners, done, strict=True)
        for line in locked_lines(d, results)
    ]
    locked = len(said)
    stop_reasons = Counter(r["stopReason"] for _, results in done for r in results)
    errors = sum(e["type"] == "error" for d in pair for e in d.events)
    everything = stored_events(db)
    problems: list[str] = []
    for daemon, (cid, results) in zip(owners, done, strict=True):
        received = [e for e in daemon.events if e["conversationId"] == cid]
        stored = [e for e in everything if e["conversationId"] == cid]
        problems += inconsistencies(cid, results, received, stored)
    for daemon in pair:
        own = {cid for d, (cid, _) in zip(owners, done, strict=True) if d is daemon}
        strays = {e["conversationId"] for e in daemon.events} - own
        if strays:
            problems.append(f"daemon {daemon.pid} was sent events of {sorted(strays)}")
    conversations = {e["conversationId"] for e in everything}
    check = integrity(db)
    record(
        f"two_daemons/{'same_folder' if shared_folder else 'own_folders'}",
        daemons=len(pair),
        conversations=len(conversations),
        turns=sum(stop_reasons.values()),
        events=len(everything),
        locked_errors=locked,
        error_events=errors,
        problems=len(problems),
        integrity=check,
        seconds=seconds,
    )
    assert locked == 0, said[:20]
    assert stop_reasons == Counter(end=len(pair) * CONVERSATIONS * turns)
    assert errors == 0
    assert problems == []
    assert len(conversations) == len(pair) * CONVERSATIONS
    assert check == "ok"


async def test_a_window_killed_mid_turn_does_not_block_the_other(tmp_path: Path) -> None:
    seed = int(os.environ.get("SILCROW_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    turns, repeats = runs(6, 12), runs(2, 20)
    totals: Counter[str] = Counter()
    problems: list[str] = []
    for n in range(repeats):
        db, layout = (
            tmp_path / f"shared{n}.db",
            [[tmp_path / f"doomed{n}"], [tmp_path / f"kept{n}"]],
        )
        for (folder,) in layout:
            folder.mkdir()
        async with daemons(db, layout, turns) as (doomed, kept):
            doomed_job = asyncio.ensure_future(converse(doomed, layout[0][0], turns))
            kept_job = asyncio.ensure_future(converse(kept, layout[1][0], turns))
            while not doomed.events:  # noqa: ASYNC110 - frames arrive on a reader task
                await asyncio.sleep(0.005)
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            doomed.kill()
            totals.update(overlapped=not kept_job.done())
            await asyncio.gather(doomed_job, return_exceptions=True)
            cid, results = await kept_job
        everything = stored_events(db)
        stored = {(e["conversationId"], e["seq"]): e for e in everything}
        lost = [e for e in doomed.events if stored.get((e["conversationId"], e["seq"])) != e]
        kept_stored = [e for e in everything if e["conversationId"] == cid]
        kept_received = [e for e in kept.events if e["conversationId"] == cid]
        problems += inconsistencies(cid, results, kept_received, kept_stored)
        problems += [
            f"repeat {n}: {len(lost)} events the killed daemon sent are not stored"
        ] * bool(lost)
        problems += [f"repeat {n}: {r}" for r in results if r["stopReason"] != "end"]
        check = integrity(db)
        problems += [f"repeat {n}: integrity_check: {check}"] * (check != "ok")
        said = locked_lines(kept, results)
        problems += [f"repeat {n}: {line}" for line in said]
        totals.update(
            locked=len(said), turns=len(results), killed_events=len(doomed.events), lost=len(lost)
        )
    record(
        "two_daemons/one_killed",
        seed=seed,
        repeats=repeats,
        turns_of_the_other=totals["turns"],
        events_of_the_killed=totals["killed_events"],
        events_missing=totals["lost"],
        locked_errors=totals["locked"],
        problems=len(problems),
        kills_while_the_other_ran=totals["overlapped"],
    )
    assert totals["locked"] == 0
    assert problems == [], f"seed {seed}"
    assert totals["turns"] == turns * repeats
