"""Fixtures for the speech tests.

Use with ``pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ttsservice.app import create_app
from ttsservice.settings import load_settings


@pytest.fixture
def speech_app(tiny_voice_env: dict[str, str], tmp_path: Path) -> Callable[..., web.Application]:
    """The real app on the tiny voice, data in ``tmp_path/var``; extra TTS_* as keywords."""

    def build(**env: str) -> web.Application:
        return create_app(
            load_settings({**tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var"), **env})
        )

    return build


SEED = Path(__file__).parent / "data" / "regionbibliotek-stockholm.html"


@pytest.fixture
async def seed_site(aiohttp_server: Any) -> Any:
    """A local site serving the seed page at ``/page`` and a sitemap at ``/sitemap.xml``."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=SEED.read_bytes(), content_type="text/html", charset="utf-8")

    async def sitemap(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/short</loc></url>"
            f"<url><loc>{base}/page</loc></url>"
            "<url><loc>https://elsewhere.example/page</loc></url>"
            "</urlset>"
        )
        return web.Response(text=xml, content_type="application/xml")

    async def short(request: web.Request) -> web.Response:
        html = "<html lang='sv'><body><main><h1>Kort</h1><p>En mening. Två meningar.</p></main>"
        return web.Response(text=html + "</body></html>", content_type="text/html")

    site = web.Application()
    site.router.add_get("/page", page)
    site.router.add_get("/short", short)
    site.router.add_get("/sitemap.xml", sitemap)
    return await aiohttp_server(site, host="127.0.0.1")


@pytest.fixture
def reading_app(
    speech_app: Callable[..., web.Application], seed_site: Any
) -> Callable[..., web.Application]:
    """The tiny-voice app that may read pages of :func:`seed_site`."""
    origin = str(seed_site.make_url("/")).rstrip("/")

    def build(**env: str) -> web.Application:
        return speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true", **env)

    return build
