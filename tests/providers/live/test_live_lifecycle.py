"""The life cycle every live session shares (``LiveSessionBase``), per transport."""

from __future__ import annotations

import re

import pytest
from live_helpers import FINAL, OPENERS, open_session, read_all

from silcrow.providers import gemini_live, realtime, responses_ws
from silcrow.providers.base import SessionLost

VENDORS = {
    "responses": responses_ws.VENDOR,
    "realtime": realtime.VENDOR,
    "gemini-live": gemini_live.VENDOR,
}


@pytest.mark.parametrize("kind", sorted(OPENERS))
async def test_a_closed_session_is_dead_and_refuses_to_send(ws_fake, kind: str) -> None:
    server = await ws_fake([FINAL, FINAL])
    session = await open_session(server, kind)
    text, _ = await read_all(session, "hi")
    assert text == FINAL and session.alive
    await session.close()
    assert not session.alive
    with pytest.raises(
        SessionLost, match=re.escape(f"{VENDORS[kind].name}: the session is no longer usable")
    ):
        await read_all(session, "again")
