"""search and scrape against loopback aiohttp servers (never the internet)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from silcrow.tools.builtin.scrape import ScrapeTool
from silcrow.tools.builtin.search import SearchTool
from silcrow.tools.netguard import is_public
from silcrow.tools.web import SearxngEngine, make_engine

ARTICLE = """<html><head><title>Guide</title></head><body>
<nav>Home | About | Login</nav>
<article><h1>Streaming parsers</h1>
<p>A streaming parser consumes input incrementally and emits events as soon as they are complete.
This paragraph is long enough to count as the main content of the page for extraction purposes.</p>
<p>It never needs the whole document in memory, which keeps latency low for large inputs.</p>
</article><footer>Copyright footer links</footer></body></html>"""


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[Any]]]:
    seen: list[Any] = []

    async def search(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        results = [
            {
                "title": f"Result {i}",
                "url": f"https://example.org/{i}",
                "content": f"snippet  {i}\n",
            }
            for i in range(10)
        ]
        return web.json_response({"query": request.query["q"], "results": results})

    async def page(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Host"))
        return web.Response(text=ARTICLE, content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/page")

    async def big(request: web.Request) -> web.Response:
        return web.Response(text="z" * 50_000, content_type="text/plain")

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG....", content_type="image/png")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    for path, handler in [
        ("/search", search),
        ("/page", page),
        ("/redirect", redirect),
        ("/big", big),
        ("/img", image),
        ("/missing", missing),
    ]:
        app.router.add_get(path, handler)
    runner, base = await start(app)
    yield base, seen
    await runner.cleanup()


async def test_searxng_engine_and_search_tool(server: tuple[str, list[Any]]) -> None:
    base, seen = server
    tool = SearchTool(SearxngEngine(base), default_limit=3)
    result = await tool.execute(query="streaming parser")
    assert not result.error and "3 results" in result.outcome
    assert (
        "1. Result 0\n   https://example.org/0\n   snippet 0" in result.content
        and "Result 3" not in result.content
    )
    assert seen == [{"q": "streaming parser", "format": "json"}]
    assert (await tool.execute(query="  ")).error


async def test_search_engine_failure_is_an_error_result() -> None:
    tool = SearchTool(SearxngEngine("http://127.0.0.1:9"))
    result = await tool.execute(query="x")
    assert result.error and "try again later" in result.content


def test_make_engine_settings() -> None:
    assert make_engine("ddgs").name == "ddgs"
    assert make_engine("searxng", "http://localhost:8888").name == "searxng"
    with pytest.raises(ValueError, match="needs a search base URL"):
        make_engine("searxng")
    with pytest.raises(ValueError, match="unknown search engine 'bing'"):
        make_engine("bing")


async def test_scrape_extracts_main_text(server: tuple[str, list[Any]]) -> None:
    base, seen = server
    result = await ScrapeTool(allow_private=True).execute(url=f"{base}/page")
    assert not result.error, result
    assert "streaming parser consumes input" in result.content
    assert "Login" not in result.content and "Copyright" not in result.content
    assert seen[-1] == base.removeprefix(
        "http://"
    )  # Host header kept while connecting to the checked address


async def test_scrape_follows_redirects(server: tuple[str, list[Any]]) -> None:
    base, _ = server
    result = await ScrapeTool(allow_private=True).execute(url=f"{base}/redirect")
    assert "streaming parser" in result.content and result.outcome.endswith("/page")


async def test_scrape_refuses_loopback_and_private_by_default(
    server: tuple[str, list[Any]],
) -> None:
    base, seen = server
    for url in [
        f"{base}/page",
        "http://localhost/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
    ]:
        result = await ScrapeTool().execute(url=url)
        assert result.error and "private or local address" in result.content, url
    assert seen == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x", "not a url", "http://"]
)
async def test_scrape_refuses_other_schemes(url: str) -> None:
    result = await ScrapeTool().execute(url=url)
    assert result.error


async def test_scrape_caps_size_and_describes_binary(server: tuple[str, list[Any]]) -> None:
    base, _ = server
    big = await ScrapeTool(allow_private=True, max_bytes=1000).execute(url=f"{base}/big")
    assert "first 1000 B only" in big.outcome and len(big.content) == 1000
    img = await ScrapeTool(allow_private=True).execute(url=f"{base}/img")
    assert "image/png" in img.content and "PNG" not in img.content.replace("image/png", "")
    gone = await ScrapeTool(allow_private=True).execute(url=f"{base}/missing")
    assert gone.error and "HTTP 404" in gone.content


def test_is_public() -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address("93.184.216.34"))
    for private in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.0.1",
        "169.254.1.1",
        "::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
    ):
        assert not is_public(ipaddress.ip_address(private)), private
