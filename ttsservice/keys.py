"""Typed application state keys. All app state lives behind these, never in module globals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web
from prometheus_client import CollectorRegistry

if TYPE_CHECKING:
    from feedback.guard import FeedbackGuard
    from feedback.store import FeedbackStore
    from ttsservice.dashboard.views import Dashboard
    from ttsservice.reading import ReadingMetrics
    from ttsservice.reading.fetch import PageFetcher
    from ttsservice.reading.model import ExtractOptions, Reading
    from ttsservice.sharedkeys import SharedKeys
    from ttsservice.speech.state import SpeechState
    from ttsservice.swedish import LexiconWatch, Normalizer
    from ttsservice.web.health import Check
    from ttsservice.web.metrics import HttpMetrics
    from ttsservice.widget.assets import WidgetAssets
    from voices.registry import VoiceRegistry

from ttsservice.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
"""The validated settings the app was built with."""

SHARED_KEYS: web.AppKey[SharedKeys] = web.AppKey("shared_keys")
"""Keys derived from the shared secret (or a per-process one): see :mod:`ttsservice.sharedkeys`."""

TRUSTED_PROXIES = web.AppKey("trusted_proxies", tuple)
"""Parsed ``TTS_TRUSTED_PROXIES`` networks (see :mod:`ttsservice.web.proxies`)."""

FORWARDED_CLIENT = web.RequestKey("forwarded_client", str)
"""The client address a trusted proxy forwarded, for the request log's ``client_ip``."""

ROUTE = web.RequestKey("route", str)
"""The route template of a request answered before the router (for the request log)."""

REGISTRY = web.AppKey("registry", CollectorRegistry)
"""This app's own Prometheus registry (two apps in one process share nothing)."""

HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("http_metrics")
"""Request counters and latency histograms."""

CPU_EXECUTOR = web.AppKey("cpu_executor", ThreadPoolExecutor)
"""Bounded thread pool for CPU-bound work (parsing, synthesis, encoding)."""

READINESS_CHECKS: web.AppKey[list[Callable[[], Awaitable[Check]]]] = web.AppKey("readiness_checks")
"""Checks /readyz runs; each subsystem appends its own in its setup."""

PAGE_OBSERVERS: web.AppKey[list[Callable[[Reading], Awaitable[None]]]] = web.AppKey(
    "page_observers"
)
"""Called with every page reading the service extracts (feedback notes change dates)."""

VOICES: web.AppKey[VoiceRegistry] = web.AppKey("voices")
"""The loaded voices (default, by name, catalogue); set when the app starts."""

WIDGET_ASSETS: web.AppKey[WidgetAssets] = web.AppKey("widget_assets")
"""The widget's script and style sheet with their hashed names and SRI; set when the app starts."""

NORMALIZER: web.AppKey[Normalizer] = web.AppKey("normalizer")
"""Swedish text normaliser (spoken forms, site lexicon); thread-safe, use it in the executor."""

LEXICON_WATCH: web.AppKey[LexiconWatch] = web.AppKey("lexicon_watch")
"""Keeps the normaliser's site lexicon in step with its file (mtime, SIGHUP)."""
PAGE_FETCHER: web.AppKey[PageFetcher] = web.AppKey("page_fetcher")
"""Fetches allow-listed pages over the one shared HTTP client session."""

EXTRACT_OPTIONS: web.AppKey[ExtractOptions] = web.AppKey("extract_options")
"""How pages are trimmed to their readable content (from the settings)."""

READING_METRICS: web.AppKey[ReadingMetrics] = web.AppKey("reading_metrics")
"""Page fetch outcomes and extraction time."""

FEEDBACK: web.AppKey[FeedbackStore] = web.AppKey("feedback")
"""The open feedback store (votes, comments, totals); pass it to feedback.stats functions."""

FEEDBACK_GUARD: web.AppKey[FeedbackGuard] = web.AppKey("feedback_guard")
"""In-memory abuse guard for votes (rate limit, duplicate suppression) and feedback metrics."""

DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")
"""Dashboard accounts, session signer, failed-login limit and stylesheet."""

DASHBOARD_TEMPLATES = web.AppKey("dashboard_templates", jinja2.Environment)
"""The dashboard's Jinja2 environment (aiohttp-jinja2 under its own key)."""

SPEECH: web.AppKey[SpeechState] = web.AppKey("speech")
"""The read-aloud machinery (synthesis queue, audio cache, limits); set when the app starts."""
