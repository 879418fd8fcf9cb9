"""A cut that removes only trailing whitespace costs no correction upstream.

The turn loop keeps a reply up to its last delimiter; when the model stopped
there (a newline at most after ``§execute``), the server already holds the
kept reply, so no transport may re-send it (or the input before it).
"""

from __future__ import annotations

import json

import pytest
from live_helpers import (
    EXECUTE,
    FINAL,
    OPENERS,
    call_reply,
    kept_of,
    open_session,
    read_all,
    read_to_execute,
)


def clean_reply(n: int) -> str:
    """A tool-cycle reply that stops right after §execute, as instructed."""
    return kept_of(call_reply(n)) + "\n"


@pytest.mark.parametrize("kind", sorted(OPENERS))
async def test_a_reply_that_stopped_at_execute_is_not_sent_back(ws_fake, kind: str) -> None:
    server = await ws_fake([clean_reply(1), FINAL])
    session = await open_session(server, kind)
    kept = await read_to_execute(session, "fix it")
    opened = len(server.conns[0].frames)  # setup/warm-up plus the first request
    text, _ = await read_all(session, "§result: one")
    assert text == FINAL
    later = [json.dumps(f, ensure_ascii=False) for f in server.conns[0].frames[opened:]]
    assert later and any("§result: one" in f for f in later)
    assert not [
        f for f in later if "fix it" in f or json.dumps(kept, ensure_ascii=False)[1:-1] in f
    ]
    await session.close()


@pytest.mark.parametrize("kind", sorted(OPENERS))
async def test_an_invented_tail_is_still_corrected(ws_fake, kind: str) -> None:
    server = await ws_fake([call_reply(1), FINAL])
    session = await open_session(server, kind)
    kept = await read_to_execute(session, "fix it")
    opened = len(server.conns[0].frames)
    await read_all(session, "§result: one")
    later = [json.dumps(f, ensure_ascii=False) for f in server.conns[0].frames[opened:]]
    assert EXECUTE in kept
    assert any(json.dumps(kept, ensure_ascii=False)[1:-1] in f for f in later)
    await session.close()
