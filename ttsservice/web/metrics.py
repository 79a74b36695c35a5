"""HTTP metrics: request counts and latency by route template, never by raw path."""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ttsservice import keys
from ttsservice.web.openapi import operation

logger = logging.getLogger(__name__)

CLIENT_CLOSED = 499
"""Status counted for a request whose client went away before the answer (as nginx does)."""


class HttpMetrics:
    """Request counter and latency histogram of one app, counted without locks.

    :meth:`record` runs on the event loop for every request. prometheus_client's
    ``Counter`` and ``Histogram`` take a lock for each update (three per
    request, a tenth of the time of serving a cached clip); here the counts are
    plain numbers touched only on the loop, and :meth:`collect` turns them into
    the same two metric families when the registry is scraped, which
    ``/metrics`` also does on the loop.
    """

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        # Per (route, method): one count per bucket, one for +Inf, then the sum.
        self._latency: dict[tuple[str, str], list[float]] = {}
        registry.register(self)

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency (call on the event loop)."""
        key = (route, method, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        counts = self._latency.get((route, method))
        if counts is None:
            counts = self._latency[(route, method)] = [0] * (len(self.BUCKETS) + 2)
        counts[bisect_left(self.BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        """The counts as Prometheus metric families (the registry calls this)."""
        requests = CounterMetricFamily(
            "tts_http_requests",
            "HTTP requests answered, by route template, method and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in sorted(self._requests.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "tts_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and method.",
            labels=["route", "method"],
        )
        bounds = [str(b) for b in self.BUCKETS] + ["+Inf"]  # Prometheus spells 1 as "1.0"
        for (route, method), counts in sorted(self._latency.items()):
            cumulative = list(accumulate(counts[:-1]))
            latency.add_metric(
                [route, method], list(zip(bounds, cumulative, strict=True)), counts[-1]
            )
        yield latency


HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("http_metrics")
"""Request counters and latency histograms."""


def route_template(request: web.Request) -> str:
    """The matched route's template (``/api/v1/audio/{key}``), or ``unmatched``."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request under its route template."""
    metrics = request.app[HTTP_METRICS]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        # aiohttp cancels the handler when the connection is lost mid-request.
        if client_gone(request):
            status = CLIENT_CLOSED
        raise
    finally:
        route = route_template(request)
        method = request.method if request.method in _METHODS else "OTHER"
        if status == CLIENT_CLOSED:
            logger.info("client closed the connection during %s %s", method, route)
        metrics.record(route, method, status, time.perf_counter() - started)


def client_gone(request: web.Request) -> bool:
    """Whether the request's connection is closed (or closing) on the client's side."""
    transport = request.transport
    return transport is None or transport.is_closing()


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@operation(
    summary="Prometheus metrics",
    tags=["operations"],
    responses={"200": {"description": "Prometheus text exposition format."}},
)
async def metrics_handler(request: web.Request) -> web.Response:
    """Expose this app's registry in the Prometheus text format."""
    body = generate_latest(request.app[keys.REGISTRY])
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
