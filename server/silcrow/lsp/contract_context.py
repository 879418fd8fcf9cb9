"""The wire types of editor context, chat modes and model choice (docs/protocol.md).

Owns ``ContextItem`` (what ``silcrow/prompt``'s ``context`` holds), the
``chatMode`` values, and the params and result of ``silcrow/models``;
``silcrow.lsp.contract`` registers them with its strict converter.

Algorithm:
1. A context item is one attrs class with every kind's fields optional, so
   an item of the first contract (``{uri, range?, text?}``, no ``kind``)
   still fits: ``ContextItem.effective_kind`` reads it as a ``selection``
   when it has a range, else a ``file``.
2. ``check_context(items)`` applies what the types cannot say: the fields
   each kind needs, a known image type, base64 image data under
   ``MAX_IMAGE_BYTES``. It raises ``ValueError`` naming the item and the
   field to fix; the contract turns that into InvalidParams.
"""

from __future__ import annotations

import base64
from typing import Literal

import attrs
from lsprotocol import types as t

from silcrow.protocol.modes import ChatMode as ChatMode  # re-exported for contract.py

ContextKind = Literal["file", "selection", "diagnostics", "symbol", "image"]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # the smallest per-image limit of the vendors (Anthropic)


@attrs.define(frozen=True)
class ContextItem:
    """One thing the user attached to a prompt.

    ``{kind: "file", uri}``, ``{kind: "selection", uri, range, text?}``,
    ``{kind: "diagnostics", uri, diagnostics}``, ``{kind: "symbol", uri,
    range, name}``, ``{kind: "image", mimeType, data}`` (base64); an item
    without ``kind`` is the first contract's ``{uri, range?, text?}``.
    """

    kind: ContextKind | None = None
    uri: str | None = None
    range: t.Range | None = None
    text: str | None = None
    diagnostics: list[t.Diagnostic] | None = None
    name: str | None = None
    mime_type: str | None = None
    data: str | None = None

    @property
    def effective_kind(self) -> ContextKind:
        if self.kind is not None:
            return self.kind
        return "selection" if self.range is not None else "file"


_NEEDS: dict[ContextKind, tuple[str, ...]] = {
    "file": ("uri",),
    "selection": ("uri", "range"),
    "diagnostics": ("uri", "diagnostics"),
    "symbol": ("uri", "range", "name"),
    "image": ("mime_type", "data"),
}
_WIRE = {"mime_type": "mimeType"}


def check_context(items: list[ContextItem]) -> None:
    """Step 2: ``ValueError`` naming ``context[i]`` and the field when an item is incomplete."""
    for index, item in enumerate(items):
        kind = item.effective_kind
        if item.kind is None and item.uri is None:
            raise ValueError(
                f'"context" is invalid: context[{index}] needs "kind" '
                f'({", ".join(_NEEDS)}) or, for a file or selection, a "uri"'
            )
        for name in _NEEDS[kind]:
            if getattr(item, name) is None:
                field = _WIRE.get(name, name)
                raise ValueError(
                    f'"context" is invalid: context[{index}] of kind "{kind}" needs "{field}"'
                )
        if kind == "image":
            _check_image(index, item)


def image_bytes(item: ContextItem) -> bytes:
    """The decoded data of a checked image item."""
    return base64.b64decode(item.data or "", validate=True)


def _check_image(index: int, item: ContextItem) -> None:
    if item.mime_type not in IMAGE_TYPES:
        raise ValueError(
            f'"context" is invalid: context[{index}] has mimeType {item.mime_type!r}; '
            f"send one of {', '.join(IMAGE_TYPES)}"
        )
    try:
        size = len(image_bytes(item))
    except ValueError:  # binascii.Error is one
        raise ValueError(
            f'"context" is invalid: context[{index}].data is not base64 '
            "(send the image's bytes base64-encoded, without a data: prefix)"
        ) from None
    if size > MAX_IMAGE_BYTES:
        raise ValueError(
            f'"context" is invalid: context[{index}] is an image of {size} bytes; '
            f"the limit is {MAX_IMAGE_BYTES} bytes (send a smaller or scaled-down image)"
        )


@attrs.define(frozen=True)
class ModelsParams:
    workspace_uri: str | None = None


@attrs.define(frozen=True)
class ModelEntry:
    """One model of ``silcrow/models``: its id; the vendor's display name and input token limit
    (Anthropic, Gemini; OpenAI's list has none) when it gives them."""

    id: str
    label: str | None = None
    context_window: int | None = None


@attrs.define(frozen=True)
class ModelsResult:
    """The configured provider's models; ``current`` is the ``model`` setting's.

    ``error`` says why the vendor's list could not be read (then ``models``
    holds only ``current``), so a picker still shows the model in use.
    """

    provider: str
    current: str
    models: list[ModelEntry]
    error: str | None = None
