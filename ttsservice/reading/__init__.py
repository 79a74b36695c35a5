"""Reading a page: safe fetching and main-content extraction.

:func:`extract_reading` (pure, synchronous) turns HTML into a :class:`Reading`;
:func:`read_page` fetches an allow-listed page safely and extracts it in the
CPU executor. :func:`setup` opens the one shared HTTP client session, adds
``GET /api/v1/extract`` and the fetch metrics.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from ttsservice import keys
from ttsservice.errors import ServiceError
from ttsservice.reading.errors import BadUrl
from ttsservice.reading.extract import compile_selector, extract_reading, extract_text
from ttsservice.reading.fetch import PAGE_FETCHER, FetchedPage, PageFetcher, PublicAddressResolver
from ttsservice.reading.model import (
    BLOCK_KINDS,
    EXTRACT_OPTIONS,
    PAGE_OBSERVERS,
    Block,
    ExtractOptions,
    Reading,
)
from ttsservice.settings import SettingsError
from ttsservice.web.health import READINESS_CHECKS, Check
from ttsservice.web.openapi import error_ref, json_response, operation

__all__ = [
    "READING_SCHEMA",
    "Block",
    "ExtractOptions",
    "Reading",
    "ReadingMetrics",
    "extract_handler",
    "extract_reading",
    "extract_text",
    "read_page",
    "setup",
]

READING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "title", "lang", "modified", "blocks"],
    "properties": {
        "url": {"type": ["string", "null"], "description": "The page's final URL."},
        "title": {"type": "string"},
        "lang": {"type": "string", "description": "Primary language subtag, e.g. sv."},
        "modified": {
            "type": ["string", "null"],
            "format": "date",
            "description": "When the page says it was last changed (meta data or a "
            "'Senast uppdaterad' line), else null.",
        },
        "blocks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "kind", "text", "lang", "level", "locator"],
                "properties": {
                    "index": {"type": "integer", "minimum": 0},
                    "kind": {"type": "string", "enum": list(BLOCK_KINDS)},
                    "text": {"type": "string"},
                    "lang": {"type": "string"},
                    "level": {"type": ["integer", "null"], "minimum": 1, "maximum": 6},
                    "locator": {
                        "type": "string",
                        "description": "CSS selector of the block's element on the page.",
                    },
                },
            },
        },
    },
}


class ReadingMetrics:
    """Prometheus metrics of page reading, on the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.fetches = Counter(
            "tts_page_fetches_total",
            "Pages asked for, by outcome (ok or the error code).",
            ["outcome"],
            registry=registry,
        )
        self.extract_seconds = Histogram(
            "tts_page_extract_seconds",
            "Time to extract a fetched page's readable content.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        )


READING_METRICS: web.AppKey[ReadingMetrics] = web.AppKey("reading_metrics")
"""Page fetch outcomes and extraction time."""


async def read_page(app: web.Application, url: str) -> Reading:
    """Fetch the allow-listed page at ``url`` safely and extract its reading.

    Raises :class:`ttsservice.errors.ServiceError` subclasses with the codes
    ``bad_url``, ``page_not_allowed``, ``page_too_large``, ``not_html``,
    ``upstream_error`` and ``upstream_timeout``. The extraction runs in the
    CPU executor, so the event loop stays free.
    """
    metrics = app[READING_METRICS]
    try:
        page = await app[PAGE_FETCHER].fetch(url)
    except ServiceError as exc:
        metrics.fetches.labels(exc.code).inc()
        raise
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    reading = await loop.run_in_executor(
        app[keys.CPU_EXECUTOR],
        functools.partial(_decode_and_extract, page, app[EXTRACT_OPTIONS]),
    )
    metrics.extract_seconds.observe(time.perf_counter() - started)
    metrics.fetches.labels("ok").inc()
    for observe in app[PAGE_OBSERVERS]:
        await observe(reading)
    return reading


def _decode_and_extract(page: FetchedPage, options: ExtractOptions) -> Reading:
    """Decode (charset sniffing can take a while on big pages) and extract, off the loop."""
    return extract_reading(page.text(), page.url, options)


@operation(
    summary="The readable content of an allow-listed page, as blocks",
    description="Fetches the page (allow-listed origins only, public addresses only, at most "
    "5 redirects, size and time capped) and returns its title, language and the blocks read "
    "aloud, each with a CSS selector locating it on the page.",
    tags=["read-aloud"],
    parameters=[
        {
            "name": "url",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "format": "uri"},
            "description": "Absolute http(s) URL of the page.",
        }
    ],
    responses={
        "200": json_response("The page's reading.", READING_SCHEMA),
        "400": error_ref("bad_url: missing, not http(s), or not a URL."),
        "403": error_ref("page_not_allowed: origin not allow-listed or host not public."),
        "413": error_ref("page_too_large: larger than TTS_FETCH_MAX_BYTES."),
        "415": error_ref("not_html: the address is not an HTML page."),
        "502": error_ref("upstream_error: the page's server failed or redirects too often."),
        "504": error_ref("upstream_timeout: the page took longer than TTS_FETCH_TIMEOUT."),
    },
)
async def extract_handler(request: web.Request) -> web.Response:
    """``GET /api/v1/extract?url=...``: the reading of one page."""
    url = request.query.get("url", "").strip()
    if not url:
        raise BadUrl("Give the page's address as ?url=https://…")
    reading = await read_page(request.app, url)
    return web.json_response(reading.to_json(), headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    """Open the shared client session at start, add ``GET /api/v1/extract`` and metrics."""
    settings = app[keys.SETTINGS]
    for selector in (settings.content_selector, *settings.skip_selectors):
        if selector:
            try:
                compile_selector(selector)
            except ValueError as exc:
                var = (
                    "TTS_CONTENT_SELECTOR"
                    if selector == settings.content_selector
                    else ("TTS_SKIP_SELECTORS")
                )
                raise SettingsError(f"{var} must be CSS selectors: {exc}") from None
    app[EXTRACT_OPTIONS] = ExtractOptions.from_settings(settings)
    app[READING_METRICS] = ReadingMetrics(app[keys.REGISTRY])

    async def client_session_ctx(app: web.Application) -> AsyncIterator[None]:
        resolver = PublicAddressResolver(
            allow_private=settings.allow_private_addresses,
            exempt=PageFetcher.exempt_hosts(settings),
        )
        connector = aiohttp.TCPConnector(resolver=resolver, limit=32, ttl_dns_cache=10)
        session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
        )
        app[PAGE_FETCHER] = PageFetcher(session, settings)
        try:
            yield
        finally:
            await session.close()

    async def reading_check() -> Check:
        if app.get(PAGE_FETCHER) is None:
            return Check("page_fetcher", "failed", "the HTTP client session is not open")
        return Check("page_fetcher", "ok")

    app.cleanup_ctx.append(client_session_ctx)
    app[READINESS_CHECKS].append(reading_check)
    app.router.add_get("/api/v1/extract", extract_handler)
