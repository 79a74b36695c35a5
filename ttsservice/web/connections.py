"""Bounds on connections: how many are open (per client and overall) and how long headers take.

aiohttp's server closes a connection that sends nothing (keep-alive timeout),
but one that sends part of its headers stays open for ever, and nothing limits
how many connections one client holds. :class:`GuardedAppRunner` is the
AppRunner of ``ttsservice serve``: its connections are counted per client
address and overall (over a limit a new connection is closed at once), and a
connection whose first request's headers are not complete within
``TTS_HEADER_TIMEOUT`` seconds is closed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from ttsservice import keys
from ttsservice.settings import Settings
from ttsservice.web.clients import client_network
from ttsservice.web.errors import error_response
from ttsservice.web.proxies import Network

logger = logging.getLogger(__name__)


class ConnectionCounts:
    """Open connections per client address and in all, for one server."""

    def __init__(self, settings: Settings, proxies: tuple[Network, ...]) -> None:
        self.per_client_limit = settings.max_connections_per_client
        self.total_limit = settings.max_connections
        self.header_timeout = settings.header_timeout
        self._proxies = proxies
        self._open: dict[str, int] = {}
        self.total = 0
        self.refused = 0

    def open(self, client: str) -> bool:
        """Count a new connection from ``client``; False if it is over a limit."""
        if self.total >= self.total_limit:
            return self._refuse(client, "in all")
        key = client_network(client)
        if self._open.get(key, 0) >= self.per_client_limit and not self._is_proxy(client):
            return self._refuse(client, "from one client")
        self._open[key] = self._open.get(key, 0) + 1
        self.total += 1
        return True

    def close(self, client: str) -> None:
        """Forget one connection counted by :meth:`open`."""
        key = client_network(client)
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)
        self.total -= 1

    def _refuse(self, client: str, where: str) -> bool:
        self.refused += 1
        if self.refused in (1, 10, 100) or self.refused % 1000 == 0:
            logger.warning(
                "too many open connections %s: closed new ones (%d so far)", where, self.refused
            )
        return False

    def _is_proxy(self, client: str) -> bool:
        # nginx in front holds the connections of many visitors.
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in self._proxies)


class _GuardedHandler(RequestHandler):
    """aiohttp's connection handler, counted and with a deadline for the first headers."""

    counts: ConnectionCounts
    _client: str | None = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if not self.counts.open(client):
            self.force_close()
            transport.close()
            return
        self._client = client
        self._deadline = self._loop.call_later(self.counts.header_timeout, self._check_headers)

    def _check_headers(self) -> None:
        self._deadline = None
        transport = self.transport
        if self._request_count == 0 and transport is not None and not transport.is_closing():
            self.force_close()
            transport.close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not parse (a request line or header too long, bad HTTP):
        the canonical JSON error and one line at info, not plain text and a traceback."""
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        logger.info("an unreadable HTTP request was refused (%d): %s", status, exc or message)
        if request.writer.output_size > 0:
            raise ConnectionError("the answer had begun; no error answer can follow")
        response = error_response(
            status,
            "bad_http",
            "The request is not valid HTTP or is too large to read (request line and each "
            "header at most 8190 bytes). Shorten the address or the headers.",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.force_close()
        return response

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._client is not None:
            self.counts.close(self._client)
            self._client = None
        super().connection_lost(exc)


class _GuardedServer(web.Server):
    counts: ConnectionCounts

    def __call__(self) -> RequestHandler:
        handler = _GuardedHandler(self, loop=self._loop, **self._kwargs)
        handler.counts = self.counts
        return handler


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose server bounds connections as the module says."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        app = self.app
        server.__class__ = _GuardedServer  # same layout, only __call__ differs
        guarded: Any = server
        guarded.counts = ConnectionCounts(app[keys.SETTINGS], app[keys.TRUSTED_PROXIES])
        return server
