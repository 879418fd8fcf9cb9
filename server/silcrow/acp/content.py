"""An ACP prompt as a Silcrow turn, and a Silcrow stop reason as ACP's.

``turn_input(blocks)`` makes the turn's text and context from the prompt's
content blocks:

* ``text`` blocks are joined (blank line between) into the question;
* a ``resource_link`` becomes a context item ``{uri}`` (the model may read
  the file with its tools);
* an embedded ``resource`` with text becomes ``{uri, text}`` (the client's
  copy, unsaved changes included); a binary one (``blob``) is named in a
  context item without its bytes;
* images and audio are refused with an error that says so (the agent
  advertises neither).

``stop_reason(reason)`` maps Silcrow's stop reasons (and the providers'
finer ones) onto ACP's ``end_turn``, ``max_tokens``, ``max_turn_requests``,
``refusal`` and ``cancelled``; ``error`` is not one of them (a failed turn
answers the prompt with a JSON-RPC error).
"""

from __future__ import annotations

from collections.abc import Sequence

from acp.schema import (
    AudioContentBlock,
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    StopReason,
    TextContentBlock,
    TextResourceContents,
)

PromptBlock = (
    TextContentBlock
    | ImageContentBlock
    | AudioContentBlock
    | ResourceContentBlock
    | EmbeddedResourceContentBlock
)
STOP_REASONS: dict[str, StopReason] = {
    "end": "end_turn",
    "cancelled": "cancelled",
    "max_iterations": "max_turn_requests",
    "length": "max_tokens",
    "max_tokens": "max_tokens",
    "refusal": "refusal",
    "safety": "refusal",
}


class UnsupportedContent(ValueError):
    """A prompt block this agent does not take; the message names it."""


def turn_input(blocks: Sequence[PromptBlock]) -> tuple[str, list[dict[str, object]]]:
    texts: list[str] = []
    context: list[dict[str, object]] = []
    for block in blocks:
        match block:
            case TextContentBlock():
                texts.append(block.text)
            case ResourceContentBlock():
                context.append({"uri": block.uri})
            case EmbeddedResourceContentBlock(resource=TextResourceContents() as res):
                context.append({"uri": res.uri, "text": res.text})
            case EmbeddedResourceContentBlock(resource=BlobResourceContents() as res):
                kind = res.mime_type or "binary data"
                context.append({"uri": res.uri, "text": f"({kind}; its bytes are not shown)"})
            case ImageContentBlock() | AudioContentBlock():
                raise UnsupportedContent(
                    f"this agent does not take {block.type} content (promptCapabilities says "
                    "so); send text, a resource link or an embedded text resource"
                )
    text = "\n\n".join(t for t in texts if t.strip())
    if not text and context:
        text = "Look at the attached context."
    return text, context


def stop_reason(reason: str) -> StopReason:
    """ACP's stop reason for a turn that ended without an error."""
    return STOP_REASONS.get(reason, "end_turn")
