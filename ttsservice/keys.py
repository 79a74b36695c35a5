"""Typed application state keys. All app state lives behind these, never in module globals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry

if TYPE_CHECKING:
    from ttsservice.sharedkeys import SharedKeys

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

CPU_EXECUTOR = web.AppKey("cpu_executor", ThreadPoolExecutor)
"""Bounded thread pool for CPU-bound work (parsing, synthesis, encoding)."""
