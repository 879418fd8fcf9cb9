"""Why a live reply ended: each transport's end-of-reply frames -> the shared Stop."""

from __future__ import annotations

import pytest
from live_helpers import FINAL, open_session, read_reply

from silcrow.providers import gemini_live, realtime, responses_ws
from silcrow.providers.base import StopReason
from silcrow.providers.live.events import Finished
from silcrow.providers.live.stops import gemini_stop, openai_stop


def end_of(events: list[object]) -> Finished:
    [end] = [e for e in events if isinstance(e, Finished)]
    return end


@pytest.mark.parametrize(
    ("frame", "reason", "vendor"),
    [
        ({"type": "response.completed", "response": {"status": "completed"}}, "end", "completed"),
        (
            {
                "type": "response.incomplete",
                "response": {
                    "status": "incomplete",
                    "incomplete_details": {"reason": "max_output_tokens"},
                },
            },
            "length",
            "incomplete:max_output_tokens",
        ),
        (
            {
                "type": "response.incomplete",
                "response": {
                    "status": "incomplete",
                    "incomplete_details": {"reason": "content_filter"},
                },
            },
            "safety",
            "incomplete:content_filter",
        ),
    ],
)
def test_responses_end_events(frame: dict[str, object], reason: str, vendor: str) -> None:
    stop = openai_stop(end_of(responses_ws.decode(frame)))
    assert (stop.reason.value, stop.vendor_reason) == (reason, vendor)


def test_a_responses_refusal_is_a_refusal_stop_with_its_text() -> None:
    refused = {"type": "refusal", "refusal": "I can't help with that."}
    frame = {
        "type": "response.completed",
        "response": {"status": "completed", "output": [{"type": "message", "content": [refused]}]},
    }
    stop = openai_stop(end_of(responses_ws.decode(frame)))
    assert (stop.reason, stop.detail) == (StopReason.REFUSAL, "I can't help with that.")


@pytest.mark.parametrize(
    ("status", "detail", "reason"),
    [
        ("completed", None, StopReason.END),
        ("cancelled", "client_cancelled", StopReason.CANCELLED),
        ("incomplete", "max_output_tokens", StopReason.LENGTH),
        ("incomplete", "content_filter", StopReason.SAFETY),
    ],
)
def test_realtime_response_done(status: str, detail: str | None, reason: StopReason) -> None:
    response = {"status": status, "status_details": {"reason": detail} if detail else None}
    stop = openai_stop(end_of(realtime.decode({"type": "response.done", "response": response})))
    assert stop.reason is reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({"turnComplete": True}, StopReason.END),
        ({"turnComplete": True, "interrupted": True}, StopReason.CANCELLED),
        ({"turnComplete": True, "turnCompleteReason": "RESPONSE_REJECTED"}, StopReason.REFUSAL),
        (
            {"turnComplete": True, "turnCompleteReason": "PROHIBITED_INPUT_CONTENT"},
            StopReason.SAFETY,
        ),
        (
            {"turnComplete": True, "turnCompleteReason": "MALFORMED_FUNCTION_CALL"},
            StopReason.ERROR,
        ),
        ({"turn_complete": True, "turn_complete_reason": "NEED_MORE_INPUT"}, StopReason.END),
    ],
)
def test_gemini_turn_complete(content: dict[str, object], reason: StopReason) -> None:
    key = "server_content" if "turn_complete" in content else "serverContent"
    assert gemini_stop(end_of(gemini_live.decode({key: content}))).reason is reason


@pytest.mark.parametrize("kind", ["responses", "realtime", "gemini-live"])
async def test_every_live_reply_ends_with_one_stop_then_its_usage(ws_fake, kind: str) -> None:
    server = await ws_fake([FINAL])
    session = await open_session(server, kind)
    text, stop, usage = await read_reply(session, "hi")
    assert text == FINAL and stop.reason is StopReason.END
    assert usage.output_tokens == server.ledger.bills[-1].output_tokens
    await session.close()
