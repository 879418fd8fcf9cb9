"""What the user is told when a model reply did not end normally.

``stop_notice(stop, provider)`` turns a provider's ``Stop`` into one
sentence for the transcript, or None for a normal end. It names the
provider, the vendor's own value and what to do; for a length stop it says
that reasoning models count their reasoning tokens towards the output cap.
The turn stores it as a ``user`` event with ``payload.notice`` (the editors
render those as notices; the model sees it as a ``§notice:`` line).
"""

from __future__ import annotations

from silcrow.providers.base import Stop, StopReason


def stop_notice(stop: Stop, provider: str) -> str | None:
    why = f"{provider} said {stop.vendor_reason!r}" if stop.vendor_reason else provider
    detail = f": {stop.detail}" if stop.detail else "."
    match stop.reason:
        case StopReason.END:
            return None
        case StopReason.LENGTH:
            return (
                f"The reply was cut at the output token limit ({why}). Reasoning models "
                "count their reasoning tokens towards this limit too; raise the "
                "max_output_tokens setting or lower the reasoning effort."
            )
        case StopReason.REFUSAL:
            return f"The model declined to answer ({why}){detail}"
        case StopReason.SAFETY:
            return f"A safety filter stopped or withheld the reply ({why}){detail}"
        case StopReason.TOOL:
            return (
                f"The model stopped for a native tool call ({why}), which Silcrow does not "
                "use; the reply may be incomplete."
            )
        case StopReason.CANCELLED:
            return f"The reply was cancelled by the provider ({why}){detail}"
        case StopReason.ERROR:
            return f"The provider ended the reply as failed ({why}){detail}"
