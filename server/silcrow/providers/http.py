"""The replay driver shared by every HTTP adapter: send, stream, decode, retry.

Algorithm:
1. The adapter builds one ``HttpRequest`` (URL, headers, body bytes) from the
   messages; the same messages always give the same bytes.
2. ``HttpStreamingProvider.stream`` POSTs it and feeds the response bytes to
   an ``SSEParser`` and the adapter's decoder, yielding its ``TextDelta``
   items as they arrive. The decoder's ``Usage`` items are snapshots (a
   vendor may repeat or update usage) and so are its ``Stop`` items; at the
   end of the stream the last ``Stop`` (if any) and then the last ``Usage``
   are yielded once, the usage with ``sent_bytes`` = body size (token fields
   stay 0 when the server reported no usage).
3. An HTTP error status is mapped by ``errors.error_from_status``; a model
   the vendor does not serve (or retired) adds the models the key can use
   and the setting to change (``providers.models``); transport
   failures (connect, timeout, a connection dropped mid-stream) become
   retryable ``ProviderError``; a stream that ends before the vendor's final
   event is an error too (the decoder's ``finish``).
4. A retryable failure before any text was yielded is retried up to
   ``cfg.max_retries`` (3) times, waiting as long as the vendor's hint says
   (``retry-after-ms``, ``Retry-After``, Gemini's ``RetryInfo.retryDelay``
   in the body; giving up when it asks for more than ``max_retry_after``
   seconds), else exponential backoff with full jitter (at most 0.5 + 1 + 2
   s over three retries). After text was yielded nothing is retried: the
   caller gets a non-retryable ``ProviderError``. The error raised at the
   end is the last attempt's, saying how many attempts were made: one
   error per failed request.
Retry timing comes from ``cfg.extra``: ``retry_base_delay`` (0.5 s),
``retry_max_delay`` (8 s), ``max_retry_after`` (60 s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from silcrow.providers.base import (
    Capabilities,
    Image,
    LiveSession,
    Message,
    ProviderError,
    Stop,
    StreamItem,
    TextDelta,
    Usage,
)
from silcrow.providers.config import ProviderConfig
from silcrow.providers.errors import (
    error_from_status,
    retry_after_seconds,
    retry_delay_from_body,
)
from silcrow.providers.sse import ServerSentEvent, SSEParser

MAX_ERROR_BODY = 64 * 1024
RETRY_BASE_DELAY = 0.5  # seconds; cfg.extra["retry_base_delay"]
RETRY_MAX_DELAY = 8.0  # cfg.extra["retry_max_delay"]
MAX_RETRY_AFTER = 60.0  # longest vendor-requested wait honoured; cfg.extra["max_retry_after"]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str
    headers: dict[str, str]
    body: bytes


class StreamDecoder(Protocol):
    """Per-request, sans-I/O: one SSE event in, stream items out."""

    done: bool  # the vendor's final event was seen: stop reading

    def feed(self, event: ServerSentEvent) -> list[StreamItem]: ...

    def finish(self) -> None:
        """Called at EOF; raises ``ProviderError`` if the stream was cut short."""


# The conversation grows at its end, so it goes last: each request then starts
# with the whole previous request but its closing brackets (prompt caches match
# exact prefixes; ``scripts/bench_cost.py`` measures the share).
GROWING = ("messages", "contents")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def json_body(doc: dict[str, Any]) -> bytes:
    """Deterministic JSON (sorted keys, no spaces; the conversation last) so equal
    contexts give equal bytes and a longer conversation extends the previous body."""
    keys = sorted(doc, key=lambda k: (k in GROWING, k))
    return ("{" + ",".join(f"{_compact(k)}:{_compact(doc[k])}" for k in keys) + "}").encode()


def parse_frame(vendor: str, data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as err:
        raise ProviderError(
            f"{vendor} sent a malformed stream frame ({err}): {data[:200]!r}"
        ) from err


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "user" | "assistant"
    texts: tuple[str, ...]
    images: tuple[Image, ...] = ()  # after the texts, in each vendor's image shape


def alternating_turns(messages: Sequence[Message]) -> tuple[list[str], list[Turn]]:
    """Split off the leading system messages and merge same-role neighbours.

    For vendors that take the system prompt apart and want user/assistant
    turns to alternate. A system message after the conversation started is
    sent as user text (such vendors have no system role in history); empty
    messages are dropped (vendors reject empty text blocks). Merged messages
    stay separate texts (blocks or parts), so no separator is invented.
    """
    system: list[str] = []
    turns: list[Turn] = []
    for message in messages:
        if not message.content:
            continue
        if message.role == "system" and not turns:
            system.append(message.content)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1].role == role:
            last = turns[-1]
            turns[-1] = Turn(role, (*last.texts, message.content), last.images + message.images)
        else:
            turns.append(Turn(role, (message.content,), message.images))
    return system, turns


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt))."""
    return float(rng() * min(cap, base * (2**attempt)))


def _gave_up(err: ProviderError, attempts: int, hint: float | None) -> ProviderError:
    """The last attempt's error, saying how many were made (and a wait we did not do)."""
    if attempts == 1 and hint is None:
        return err
    notes = [f"{attempts} attempts"] if attempts > 1 else []
    if hint is not None:
        notes.append(f"the server asked to wait {hint:g} s")
    return type(err)(f"{err} [{'; '.join(notes)}]", retryable=err.retryable)


class _Attempt(Exception):
    """One failed attempt: the error plus the server's requested wait."""

    def __init__(self, error: ProviderError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class HttpStreamingProvider:
    """Base for replay adapters; subclasses build requests and decoders."""

    label = "provider"  # vendor name used in messages

    def __init__(
        self, cfg: ProviderConfig, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.model = cfg.model
        self.capabilities = Capabilities(stop_sequences=True, images=True)
        self._client = http_client
        self._owns_client = http_client is None

    # -- for subclasses -------------------------------------------------
    def build_request(self, messages: Sequence[Message], stop: Sequence[str]) -> HttpRequest:
        raise NotImplementedError

    def new_decoder(self) -> StreamDecoder:
        raise NotImplementedError

    # -- Provider ---------------------------------------------------------
    async def open(self, messages: Sequence[Message]) -> LiveSession:
        raise ProviderError(f"{self.label} has no live session; use mode replay")

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def stream(
        self, messages: Sequence[Message], *, stop: Sequence[str] = ()
    ) -> AsyncIterator[StreamItem]:
        if not messages:
            raise ProviderError(f"{self.label}: nothing to send (the message list is empty)")
        request = self.build_request(messages, stop)
        attempt = 0
        while True:
            streamed = False
            try:
                async with aclosing(self._attempt(request)) as items:
                    async for item in items:
                        streamed = streamed or isinstance(item, TextDelta)
                        yield item
                return
            except _Attempt as failed:
                err = failed.error
                if streamed:
                    raise ProviderError(
                        f"{err} (after text was streamed; not retried)", retryable=False
                    ) from err
                delay = self._retry_delay(err, failed.retry_after, attempt)
                if delay is None:
                    raise _gave_up(err, attempt + 1, failed.retry_after) from None
            attempt += 1
            await asyncio.sleep(delay)

    # -- internals ----------------------------------------------------------
    def _retry_delay(
        self, err: ProviderError, retry_after: float | None, attempt: int
    ) -> float | None:
        extra = self.cfg.extra
        if not err.retryable or attempt >= self.cfg.max_retries:
            return None
        if retry_after is not None:
            limit = float(extra.get("max_retry_after", MAX_RETRY_AFTER))
            return retry_after if retry_after <= limit else None
        base = float(extra.get("retry_base_delay", RETRY_BASE_DELAY))
        cap = float(extra.get("retry_max_delay", RETRY_MAX_DELAY))
        return backoff_delay(attempt, base=base, cap=cap)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.cfg.timeout, connect=self.cfg.connect_timeout)
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def _attempt(self, request: HttpRequest) -> AsyncGenerator[StreamItem, None]:
        try:
            async with self._http().stream(
                "POST", request.url, headers=request.headers, content=request.body
            ) as response:
                if response.status_code >= 400:
                    raise await self._status_error(response)
                usage = Usage()
                stop: Stop | None = None
                async for item in self._decode(response):
                    match item:
                        case Usage():
                            usage = item
                        case Stop():
                            stop = item
                        case TextDelta():
                            yield item
            if stop is not None:
                yield stop
            yield dataclasses.replace(usage, sent_bytes=len(request.body))
        except ProviderError as err:
            raise _Attempt(err) from err
        except httpx.HTTPError as err:
            raise _Attempt(self._transport_error(err, request.url)) from err

    async def _decode(self, response: httpx.Response) -> AsyncIterator[StreamItem]:
        parser = SSEParser()
        decoder = self.new_decoder()
        async for chunk in response.aiter_bytes():
            for event in parser.feed(chunk):
                for item in decoder.feed(event):
                    yield item
                if decoder.done:
                    return
        for event in parser.feed_eof():
            for item in decoder.feed(event):
                yield item
        decoder.finish()

    async def _status_error(self, response: httpx.Response) -> _Attempt:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= MAX_ERROR_BODY:
                break
        error = error_from_status(
            self.label, response.status_code, body, key_env=self.cfg.api_key_env
        )
        # Imported here: ``models`` reads the Anthropic adapter, which imports this module.
        from silcrow.providers.models import missing_model_advice, model_missing

        if model_missing(response.status_code, body):
            advice = await missing_model_advice(self.cfg, http_client=self._http())
            error = ProviderError(f"{error}. {advice}")
        hint = retry_after_seconds(response.headers)
        return _Attempt(error, hint if hint is not None else retry_delay_from_body(body))

    def _transport_error(self, err: httpx.HTTPError, url: str) -> ProviderError:
        if isinstance(err, httpx.TimeoutException):
            why = f"timed out ({type(err).__name__}); raise timeout/connect_timeout if the server is slow"
        elif isinstance(err, httpx.ConnectError):
            why = f"cannot connect ({err}); check the base URL and that the server is running"
        elif isinstance(err, httpx.RemoteProtocolError | httpx.ReadError):
            why = f"the connection dropped mid-stream ({err})"
        else:
            why = f"transport error ({type(err).__name__}: {err})"
        return ProviderError(f"{self.label} at {url}: {why}", retryable=True)
