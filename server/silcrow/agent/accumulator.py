"""The accumulator: lexer tokens -> event drafts for one model response. Pure.

Algorithm:
1. Token mode (``chunks=True``): every think/respond text token becomes a
   delta event at once (``payload={"delta": True}``).
2. Semantic mode: think/respond text accumulates until a token of another
   kind arrives (or the response ends), then becomes one complete event.
3. A ``CallToken`` becomes a ``call`` event (payload ``{"name", "args"}`` or,
   when malformed, ``{"raw", "error"}``) and is queued as pending.
4. ``ExecuteToken`` -> an ``execute`` event; ``pending`` then holds the calls to
   run. ``EndToken`` -> ``done = "end"``; the caller writes the final ``end``
   event itself (it carries the stop reason).
5. After execute or end, further tokens are ignored: the caller stops reading
   the provider's stream there.
The accumulator never writes SQL and never runs tools; the turn loop persists
what it returns, then runs ``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, assert_never

from silcrow.protocol.events import (
    CallToken,
    EndToken,
    Event,
    EventType,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
)

Done = Literal["execute", "end"]


class Accumulator:
    def __init__(self, *, chunks: bool, conversation_id: str, turn_id: str) -> None:
        self.chunks = chunks
        self.conversation_id = conversation_id
        self.turn_id = turn_id
        self.pending: list[CallToken] = []
        self.tokens: list[Token] = []  # everything accepted, for rendering the reply again
        self.done: Done | None = None
        self._kind: Literal["think", "respond"] | None = None
        self._text: list[str] = []

    def _event(
        self, type_: EventType, content: str = "", payload: dict[str, object] | None = None
    ) -> Event:
        return Event(
            type=type_,
            content=content,
            payload=payload,
            conversation_id=self.conversation_id,
            turn_id=self.turn_id,
        )

    def _close_text(self, out: list[Event]) -> None:
        if self._kind is not None:
            text = "".join(self._text)
            if text:
                out.append(self._event(self._kind, text))
            self._kind, self._text = None, []

    def _text_token(self, token: ThinkText | RespondText, out: list[Event]) -> None:
        if self.chunks:
            if token.text:
                out.append(self._event(token.kind, token.text, {"delta": True}))
            return
        if self._kind != token.kind:
            self._close_text(out)
            self._kind = token.kind
        self._text.append(token.text)

    def push(self, tokens: Iterable[Token]) -> list[Event]:
        out: list[Event] = []
        for token in tokens:
            if self.done is not None:
                break
            self.tokens.append(token)
            match token:
                case ThinkText() | RespondText():
                    self._text_token(token, out)
                case CallToken():
                    self._close_text(out)
                    self.pending.append(token)
                    payload: dict[str, object] = (
                        {"name": token.call.name, "args": token.call.args}
                        if token.call is not None
                        else {"raw": token.raw, "error": token.error}
                    )
                    out.append(self._event("call", token.raw, payload))
                case ExecuteToken():
                    self._close_text(out)
                    out.append(self._event("execute"))
                    self.done = "execute"
                case EndToken():
                    self._close_text(out)
                    self.done = "end"
                case _:
                    assert_never(token)
        return out

    def finish(self) -> list[Event]:
        """Flush held text at the end of the response."""
        out: list[Event] = []
        self._close_text(out)
        return out
