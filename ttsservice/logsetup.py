"""Logging configuration (called from ``main()`` only) and the request log line."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with any ``extra`` fields included."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, fmt: str) -> None:
    """Send log lines to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class RequestLogger(AbstractAccessLogger):
    """One line per request: method, route template, status, size, time. No IP by default.

    The path is logged without its query string, which may carry page URLs or
    text a visitor selected.
    """

    log_client_ip = False

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = "unmatched"
        match_info = getattr(request, "match_info", None)
        if match_info is not None and match_info.route.resource is not None:
            route = match_info.route.resource.canonical
        extra: dict[str, Any] = {
            "method": request.method,
            "route": route,
            "status": response.status,
            "bytes": response.body_length,
            "duration_ms": round(time * 1000, 1),
        }
        if self.log_client_ip:
            extra["client_ip"] = request.remote
        self.logger.info(
            "%s %s %s %d B %.1f ms",
            request.method,
            route,
            response.status,
            response.body_length,
            time * 1000,
            extra=extra,
        )


class RequestLoggerWithIp(RequestLogger):
    """The request log line with the client IP, for sites that explicitly enable it."""

    log_client_ip = True
