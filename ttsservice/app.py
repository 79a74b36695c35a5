"""The application factory: one place where the service is assembled."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

import feedback
import voices
from feedback.guard import FEEDBACK_GUARD
from feedback.store import FEEDBACK
from ttsservice import demo, keys, reading, speech, swedish, widget
from ttsservice.dashboard import setup as setup_dashboard
from ttsservice.dashboard.views import DASHBOARD
from ttsservice.reading.model import PAGE_OBSERVERS
from ttsservice.settings import Settings
from ttsservice.sharedkeys import SharedKeys
from ttsservice.speech.state import SPEECH
from ttsservice.web import health, ratecounters
from ttsservice.web.cors import cors_middleware
from ttsservice.web.errors import error_middleware
from ttsservice.web.headers import security_headers
from ttsservice.web.health import READINESS_CHECKS
from ttsservice.web.metrics import HTTP_METRICS, HttpMetrics, metrics_handler, metrics_middleware
from ttsservice.web.openapi import openapi_handler
from ttsservice.web.proxies import parse_networks, trusted_proxy_middleware

logger = logging.getLogger(__name__)


async def shared_clip_records_ctx(app: web.Application) -> AsyncIterator[None]:
    """With a shared database, the speech cache keeps its clip records in the feedback store."""
    speech_state = app.get(SPEECH)
    if app[keys.SETTINGS].database_url and speech_state is not None:
        # Clip records shared by every copy: any copy can render a reading's audio.
        speech_state.speaker.records = app[FEEDBACK]
    yield


async def shared_rate_counters_ctx(app: web.Application) -> AsyncIterator[None]:
    """With ``TTS_DATABASE_URL`` set, every per-client limiter counts across the copies.

    Registered after the speech, feedback and dashboard setups: their limiters exist (and
    the feedback store has migrated the table) by the time this context starts.
    """
    url = app[keys.SETTINGS].database_url
    if not url:
        yield
        return
    speech_state = app.get(SPEECH)
    dashboard = app.get(DASHBOARD)
    limiters: list[Any] = [
        app.get(FEEDBACK_GUARD),
        speech_state.limiter if speech_state is not None else None,
        dashboard.limiter if dashboard is not None else None,
    ]
    async with ratecounters.counters_ctx(url) as counters:
        for limiter in limiters:
            if limiter is not None:
                limiter.shared = counters
        try:
            yield
        finally:
            for limiter in limiters:
                if limiter is not None:
                    limiter.shared = None


async def cpu_executor_ctx(app: web.Application) -> AsyncIterator[None]:
    """A bounded thread pool for CPU-bound work, shut down with the app."""
    settings = app[keys.SETTINGS]
    executor = ThreadPoolExecutor(max_workers=settings.cpu_workers, thread_name_prefix="tts-cpu")
    app[keys.CPU_EXECUTOR] = executor
    try:
        yield
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def create_app(settings: Settings) -> web.Application:
    """Build the service for ``settings``. Nothing is opened until the app starts."""
    middlewares = [metrics_middleware, cors_middleware, error_middleware]
    if settings.trusted_proxies:  # nothing to pay per request when no proxy is trusted
        middlewares.insert(0, trusted_proxy_middleware)
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_request_bytes)
    registry = CollectorRegistry(auto_describe=True)
    app[keys.SETTINGS] = settings
    app[keys.SHARED_KEYS] = SharedKeys.from_settings(settings)
    app[keys.TRUSTED_PROXIES] = parse_networks(settings.trusted_proxies)
    app[keys.REGISTRY] = registry
    app[HTTP_METRICS] = HttpMetrics(registry)
    app[READINESS_CHECKS] = []
    app[PAGE_OBSERVERS] = []
    app.cleanup_ctx.append(cpu_executor_ctx)
    app.on_response_prepare.append(security_headers)
    voices.setup(app)
    swedish.setup(app)
    reading.setup(app)
    speech.setup(app)
    feedback.setup(app)
    app.cleanup_ctx.append(shared_clip_records_ctx)
    setup_dashboard(app)
    app.cleanup_ctx.append(shared_rate_counters_ctx)  # after the limiters above exist
    widget.setup(app)

    app.router.add_get("/", demo.index)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/openapi.json", openapi_handler)
    app.router.add_get("/demo", demo.demo_page)
    app.router.add_get("/static/{name}", demo.demo_asset)
    return app
