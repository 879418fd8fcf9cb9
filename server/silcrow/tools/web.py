"""Web search engines behind one small interface.

Algorithm:
1. ``SearchEngine.search(query, limit)`` returns ``WebHit(title, url,
   snippet)`` items or raises ``ToolError`` with a message the model can act
   on (retry later, rephrase).
2. ``DdgsEngine`` (default, no key) calls the ``ddgs`` library in a worker
   thread, since the library is synchronous.
3. ``SearxngEngine`` calls a SearXNG-compatible JSON endpoint
   (``GET {base}/search?q=...&format=json``) with an injectable
   ``httpx.AsyncClient`` - for self-hosting and for tests against a local
   fake server.
4. ``make_engine(kind, base_url)`` picks one from settings; a bad setting is
   a ``ValueError`` naming it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from silcrow.tools.base import ToolError


@dataclass(frozen=True, slots=True)
class WebHit:
    title: str
    url: str
    snippet: str


class SearchEngine(Protocol):
    name: str

    async def search(self, query: str, *, limit: int) -> list[WebHit]: ...


class DdgsEngine:
    """Search through the ``ddgs`` metasearch library (no API key)."""

    name = "ddgs"

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def _search(self, query: str, limit: int) -> list[dict[str, Any]]:
        from ddgs import DDGS

        return DDGS(timeout=int(self.timeout)).text(query, max_results=limit)

    async def search(self, query: str, *, limit: int) -> list[WebHit]:
        try:
            rows = await asyncio.to_thread(self._search, query, limit)
        except Exception as exc:  # the library raises its own exception types
            raise ToolError(
                f"web search failed ({type(exc).__name__}: {exc}); try again later or rephrase"
            ) from None
        return [
            WebHit(str(r.get("title", "")), str(r.get("href", "")), str(r.get("body", "")))
            for r in rows[:limit]
        ]


class SearxngEngine:
    """Search through a SearXNG-compatible ``/search?format=json`` endpoint."""

    name = "searxng"

    def __init__(
        self, base_url: str, *, client: httpx.AsyncClient | None = None, timeout: float = 10.0
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"search base URL {base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self._client = client
        self.timeout = timeout

    async def search(self, query: str, *, limit: int) -> list[WebHit]:
        params = {"q": query, "format": "json"}
        try:
            if self._client is not None:
                response = await self._client.get(
                    f"{self.base_url}/search", params=params, timeout=self.timeout
                )
            else:
                async with httpx.AsyncClient() as client:
                    response = await client.get(
                        f"{self.base_url}/search", params=params, timeout=self.timeout
                    )
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ToolError(
                f"web search at {self.base_url} failed ({exc}); try again later"
            ) from None
        rows = data.get("results", []) if isinstance(data, dict) else []
        return [
            WebHit(str(r.get("title", "")), str(r.get("url", "")), str(r.get("content", "")))
            for r in rows[:limit]
            if isinstance(r, dict)
        ]


def make_engine(kind: str, base_url: str = "") -> SearchEngine:
    if kind == "ddgs":
        return DdgsEngine()
    if kind == "searxng":
        if not base_url:
            raise ValueError(
                "search engine 'searxng' needs a search base URL, e.g. http://localhost:8888"
            )
        return SearxngEngine(base_url)
    raise ValueError(f"unknown search engine {kind!r}; use 'ddgs' or 'searxng'")
