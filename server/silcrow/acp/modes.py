"""ACP session modes: Silcrow's chat modes (agent, ask, plan) as the protocol shows them.

``session/new`` and ``session/load`` answer ``modes`` (``SessionModeState``:
the current mode and ``AVAILABLE`` with names and descriptions);
``session/set_mode`` picks the mode of the session's later prompts. The
modes themselves (which tools a turn offers, the plan instruction) are
``silcrow.protocol.modes``; this module only names them for clients and
checks a client's mode id.
"""

from __future__ import annotations

from collections.abc import Mapping

from acp.schema import SessionMode, SessionModeState

from silcrow.acp.errors import INVALID_PARAMS, acp_error
from silcrow.protocol.modes import CHAT_MODES, READ_ONLY_TOOLS, ChatMode, chat_mode_of

_READS = ", ".join(sorted(READ_ONLY_TOOLS))
AVAILABLE: tuple[SessionMode, ...] = (
    SessionMode(
        id="agent",
        name="Agent",
        description="Reads, edits files and runs commands (asking where the policy says to).",
    ),
    SessionMode(
        id="ask",
        name="Ask",
        description=f"Answers questions; only reads ({_READS}), never changes anything.",
    ),
    SessionMode(
        id="plan",
        name="Plan",
        description="Reads and investigates, then ends with a numbered plan to run in agent mode.",
    ),
)
assert tuple(mode.id for mode in AVAILABLE) == CHAT_MODES


def mode_state(current: ChatMode) -> SessionModeState:
    """The ``modes`` of a ``session/new`` or ``session/load`` answer."""
    return SessionModeState(current_mode_id=current, available_modes=list(AVAILABLE))


def chat_mode(mode_id: str) -> ChatMode:
    """The chat mode a client's ``modeId`` names; InvalidParams naming the valid ones if none."""
    if (mode := chat_mode_of(mode_id)) is not None:
        return mode
    raise acp_error(
        INVALID_PARAMS,
        f"unknown mode {mode_id!r}; the modes are {', '.join(CHAT_MODES)}",
        modeId=mode_id,
        availableModes=list(CHAT_MODES),
    )


def stored_mode(payload: Mapping[str, object] | None) -> ChatMode:
    """The chat mode a stored ``user`` event's payload records ("agent" when it names none)."""
    return chat_mode_of((payload or {}).get("chatMode")) or "agent"
