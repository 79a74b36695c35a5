"""Clips held in memory, answered ahead of the router and the middlewares.

A listener's player fetches each sentence's audio (``GET /api/v1/audio/KEY.mp3``),
and the clips of pages being read are in the cache's memory layer. Routing a
request and passing it through the middlewares costs more than serving such a
clip, so :class:`HotClipFront` sits in front of the application: a GET for a clip
in memory is answered at once, exactly as the routed handler would answer it
(:func:`~ttsservice.speech.api.audio_response`, CORS headers for allowed origins),
and counted in the same HTTP metrics and request log line. Everything else,
including any clip not in memory and any request the front is unsure about,
goes the usual way.

:func:`install` puts it in front of a started runner; ``ttsservice serve`` and
the tests' client do that, so both answer through the same path.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from aiohttp import web

from ttsservice import keys
from ttsservice.speech.api import AUDIO_ROUTE, PRIORITIES, audio_response
from ttsservice.speech.audio import format_for
from ttsservice.speech.state import SPEECH
from ttsservice.web.cors import allowed_origin, expose_to
from ttsservice.web.metrics import HTTP_METRICS
from ttsservice.web.proxies import note_forwarded_client

logger = logging.getLogger(__name__)

AUDIO_PREFIX = AUDIO_ROUTE.removesuffix("{name}")

# Query strings the routed handler accepts without question (see priority_of).
_PLAIN_QUERIES = frozenset({""} | {f"priority={value}" for value in PRIORITIES})


class HotClipFront:
    """The server's request handler: hot clips here, the rest to ``routed``."""

    def __init__(self, app: web.Application, routed: web.Server) -> None:
        self._app = app
        self._routed = routed.request_handler
        self._settings = app[keys.SETTINGS]
        self._proxies = app[keys.TRUSTED_PROXIES]
        self._metrics = app[HTTP_METRICS]
        self.answered = 0
        """Requests answered here rather than routed (the tests read it)."""

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        raw = request.raw_path
        if request.method == "GET" and raw.startswith(AUDIO_PREFIX):
            started = time.perf_counter()
            try:
                response = self._hot(cast(web.Request, request), raw[len(AUDIO_PREFIX) :])
            except Exception:  # whatever it was, the routed path answers it properly
                logger.exception("hot clip front failed on %s; routing it", AUDIO_ROUTE)
                response = None
            if response is not None:
                self.answered += 1
                self._metrics.record(
                    AUDIO_ROUTE, "GET", response.status, time.perf_counter() - started
                )
                return response
        return await self._routed(request)

    def _hot(self, request: web.Request, rest: str) -> web.Response | None:
        """The response for a clip held in memory, or None to route the request."""
        name, _, query = rest.partition("?")
        key, dot, ext = name.partition(".")
        audio_format = format_for(ext) if dot else None  # Accept negotiation is routed
        state = self._app.get(SPEECH)
        if audio_format is None or query not in _PLAIN_QUERIES or state is None:
            return None
        cached = state.speaker.hot(key, audio_format)
        if cached is None:
            return None
        request[keys.ROUTE] = AUDIO_ROUTE
        if self._proxies:
            note_forwarded_client(request, self._proxies)
        response = audio_response(request, cached, audio_format)
        origin = allowed_origin(request, self._settings)
        if origin is not None:
            expose_to(response, origin)
        return response


def install(runner: web.AppRunner) -> None:
    """Put a :class:`HotClipFront` before ``runner``'s app (after ``runner.setup()``)."""
    server = runner.server
    if server is None:
        raise RuntimeError("install the hot clip front after runner.setup()")
    server.request_handler = HotClipFront(runner.app, server)
