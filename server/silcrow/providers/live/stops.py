"""Why a live reply ended: each transport's end-of-reply fields -> the shared ``Stop``.

Algorithm:
1. ``openai_stop`` (Realtime ``response.done``, Responses ``response.completed``
   / ``response.incomplete``): ``completed`` -> end, or refusal when the
   output held a refusal part; ``cancelled`` -> cancelled; ``incomplete``
   with ``max_output_tokens`` -> length, ``content_filter`` -> safety.
2. ``gemini_stop`` (Live ``turnComplete``): an interrupted turn -> cancelled;
   ``turnCompleteReason`` ``RESPONSE_REJECTED`` -> refusal,
   ``MALFORMED_FUNCTION_CALL`` -> error, any ``*PROHIBITED*`` / celebrity /
   NCII reason -> safety.
Anything else is ``END`` with the vendor's value kept, as for replay.
"""

from __future__ import annotations

from silcrow.providers.base import Stop, StopReason
from silcrow.providers.live.events import Finished

_OPENAI_INCOMPLETE = {
    "max_output_tokens": StopReason.LENGTH,
    "content_filter": StopReason.SAFETY,
}
_GEMINI = {
    "RESPONSE_REJECTED": StopReason.REFUSAL,
    "MALFORMED_FUNCTION_CALL": StopReason.ERROR,
}
_GEMINI_SAFETY_MARKS = ("PROHIBITED", "CELEBRITY", "NCII")


def openai_stop(end: Finished) -> Stop:
    vendor = f"{end.status}:{end.reason}" if end.reason else end.status
    if end.status == "cancelled":
        return Stop(StopReason.CANCELLED, vendor)
    if end.status == "incomplete":
        return Stop(_OPENAI_INCOMPLETE.get(end.reason, StopReason.END), vendor)
    if end.detail:  # a refusal part in the output
        return Stop(StopReason.REFUSAL, vendor, end.detail)
    return Stop(StopReason.END, vendor)


def gemini_stop(end: Finished) -> Stop:
    if end.status == "interrupted":
        return Stop(StopReason.CANCELLED, "interrupted")
    reason = end.reason
    if reason in _GEMINI:
        return Stop(_GEMINI[reason], reason)
    if any(mark in reason for mark in _GEMINI_SAFETY_MARKS):
        return Stop(StopReason.SAFETY, reason)
    return Stop(StopReason.END, reason or "turnComplete")
