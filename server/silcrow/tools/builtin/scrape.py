"""``scrape``: fetch a web page and return its main text.

Algorithm:
1. ``netguard.resolve_target`` checks the scheme and refuses private,
   loopback and link-local addresses (unless ``allow_private``); the request
   goes to the checked address.
2. Redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop
   checked again (a public page cannot redirect to 127.0.0.1).
3. The body is streamed and cut at ``max_bytes``; the whole fetch has a
   timeout.
4. HTML goes through ``trafilatura`` (main text, no boilerplate); plain text
   and JSON are returned as they are; anything else is described, not shown.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import httpx

from silcrow.tools.base import ToolError, ToolResult
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.netguard import pinned_request, resolve_target
from silcrow.tools.text import human_size

MAX_REDIRECTS = 5
TEXT_TYPES = (
    "text/plain",
    "application/json",
    "text/markdown",
    "text/csv",
    "application/xml",
    "text/xml",
)


def extract_text(html: str, url: str) -> str:
    import trafilatura  # heavy; loaded on the first page, not at daemon start

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
    return text or trafilatura.html2txt(html) or ""


class ScrapeTool(BuiltinTool):
    name = "scrape"
    description = (
        "Fetch a web page (http or https) and return its main text without navigation and ads."
    )
    args: ClassVar = arg_schema(
        {"url": {"type": "string", "description": "the page address"}}, ["url"]
    )
    category = "network"
    idempotent = True
    read_only = True

    def __init__(
        self,
        *,
        allow_private: bool = False,
        max_bytes: int = 3 * 1024 * 1024,
        timeout: float = 20.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._client = client

    async def run(self, url: str) -> ToolResult:
        try:
            async with asyncio.timeout(self.timeout):
                if self._client is not None:
                    final, ctype, body, cut = await self._fetch(self._client, url)
                else:
                    async with httpx.AsyncClient(follow_redirects=False) as client:
                        final, ctype, body, cut = await self._fetch(client, url)
        except TimeoutError:
            raise ToolError(
                f"fetching {url} took longer than {self.timeout:g}s; try another source"
            ) from None
        except httpx.HTTPError as exc:
            raise ToolError(f"fetching {url} failed: {exc}") from None
        return await self._render(final, ctype, body, cut)

    async def _fetch(self, client: httpx.AsyncClient, url: str) -> tuple[str, str, bytes, bool]:
        for _ in range(MAX_REDIRECTS + 1):
            target = await resolve_target(url, allow_private=self.allow_private)
            response = await client.send(pinned_request(client, target), stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = str(target.url.join(response.headers["location"]))
                    continue
                if response.status_code >= 400:
                    raise ToolError(
                        f"{url} answered HTTP {response.status_code}; try another source"
                    )
                body, cut = await self._read_capped(response)
                return url, response.headers.get("content-type", ""), body, cut
            finally:
                await response.aclose()
        raise ToolError(f"{url}: more than {MAX_REDIRECTS} redirects")

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False

    async def _render(self, url: str, ctype: str, body: bytes, cut: bool) -> ToolResult:
        mime = ctype.split(";")[0].strip().lower()
        note = f" (first {human_size(self.max_bytes)} only)" if cut else ""
        charset = httpx.Response(200, headers={"content-type": ctype}).charset_encoding or "utf-8"
        text = body.decode(charset, errors="replace")
        if mime in ("text/html", "application/xhtml+xml") or (
            not mime and "<html" in text[:2000].lower()
        ):
            text = await asyncio.to_thread(extract_text, text, url)
        elif mime not in TEXT_TYPES and not mime.startswith("text/"):
            return ToolResult(
                f"Fetched {url}: {mime or 'unknown type'}",
                f"{url} is {mime or 'binary data'}, {human_size(len(body))}{note}; not text, not shown",
            )
        if not text.strip():
            return ToolResult(
                f"Fetched {url}: no readable text", f"{url} has no readable main text"
            )
        return ToolResult(f"Fetched {url}{note}", text)
