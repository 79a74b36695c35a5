"""Reading fixtures: a local upstream site to fetch from. Use with
``pytest_plugins = ["tests.conftest_reading"]``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

SEED = Path(__file__).parent / "data" / "regionbibliotek-stockholm.html"

LATIN1_PAGE = (
    "<html lang='sv'><body><main><p>Välkommen till Åre, sa Örjan.</p></main></body></html>"
)


def upstream_app() -> web.Application:
    """A small site with every kind of answer the fetcher must handle."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=SEED.read_bytes(), content_type="text/html", charset="utf-8")

    async def xhtml(request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body><main><p>Ett xhtml-dokument med text.</p></main></body></html>",
            content_type="application/xhtml+xml",
        )

    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/page" if n <= 1 else f"/redirect/{n - 1}"
        raise web.HTTPFound(target)

    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def big(request: web.Request) -> web.Response:
        return web.Response(text="<p>" + "x" * 50_000 + "</p>", content_type="text/html")

    async def big_stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"<p>" + b"y" * 8000 + b"</p>")
        await response.write_eof()
        return response

    async def json_(request: web.Request) -> web.Response:
        return web.json_response({"not": "html"})

    async def no_type(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n....")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="<p>late</p>", content_type="text/html")

    async def latin1(request: web.Request) -> web.Response:
        return web.Response(
            body=LATIN1_PAGE.encode("iso-8859-1"), content_type="text/html", charset="iso-8859-1"
        )

    async def meta_charset(request: web.Request) -> web.Response:
        html = LATIN1_PAGE.replace(
            "<html lang='sv'>", "<html lang='sv'><head><meta charset='windows-1252'></head>"
        )
        return web.Response(body=html.encode("windows-1252"), headers={"Content-Type": "text/html"})

    async def sniffed(request: web.Request) -> web.Response:
        return web.Response(body=LATIN1_PAGE.encode("utf-8"), headers={"Content-Type": "text/html"})

    async def mislabelled(request: web.Request) -> web.Response:
        return web.Response(
            body=LATIN1_PAGE.encode("iso-8859-1"), content_type="text/html", charset="utf-8"
        )

    async def error(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<p>borta</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/xhtml", xhtml)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_get("/redirect-to", redirect_to)
    app.router.add_get("/big", big)
    app.router.add_get("/big-stream", big_stream)
    app.router.add_get("/json", json_)
    app.router.add_get("/no-type", no_type)
    app.router.add_get("/slow", slow)
    app.router.add_get("/latin1", latin1)
    app.router.add_get("/meta-charset", meta_charset)
    app.router.add_get("/sniffed", sniffed)
    app.router.add_get("/mislabelled", mislabelled)
    app.router.add_get("/error", error)
    app.router.add_get("/missing", missing)
    return app


@pytest.fixture
async def upstream(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> TestServer:
    """The upstream site, listening on 127.0.0.1."""
    return await aiohttp_server(upstream_app(), host="127.0.0.1")
