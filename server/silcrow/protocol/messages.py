"""Provider-neutral chat messages: what context assembly produces and
every provider adapter consumes.

A user message may carry images (``Message.images``: the editor's
``{kind: "image"}`` context items); each adapter writes them in its
vendor's content shape, and a provider without image input refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Image:
    """An image the user attached: its media type and its bytes, base64-encoded."""

    mime_type: str
    data: str

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    images: tuple[Image, ...] = ()
