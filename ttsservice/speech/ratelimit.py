"""Per-client request limits that never store an IP address.

A client is known only by an HMAC of its address under a salt that lives in
memory and is replaced every UTC day, so nothing kept can be turned back into
an address, and nothing links one day's clients to the next. The salt is
random, or derived for the day from the secret the copies share (then a
client has the same pseudonym on every copy).

With ``TTS_DATABASE_URL`` set, the counts live in PostgreSQL instead
(:mod:`ttsservice.web.ratecounters`, attached as :attr:`ClientLimiter.shared`),
so several copies allow a client the limit once between them; when the
database cannot be reached, this copy counts in memory meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import deque
from collections.abc import Callable

from ttsservice.errors import RateLimited
from ttsservice.web.clients import client_network
from ttsservice.web.ratecounters import CountersUnavailable, SharedRateCounters

__all__ = ["ClientLimiter"]

_WINDOW = 60.0
SCOPE = "speak"
"""The scope of these counts in the shared ``rate_limits`` table."""


class ClientLimiter:
    """At most ``per_minute`` requests per client in any 60-second window."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_clients: int = 100_000,
        daily_salt: Callable[[int], bytes] | None = None,
    ) -> None:
        self.per_minute = per_minute
        self._daily_salt = daily_salt or (lambda _day: secrets.token_bytes(32))
        self._clock = clock
        self._wall_clock = wall_clock
        self._max_clients = max_clients
        self._day = -1
        self._salt = b""
        self._hits: dict[str, deque[float]] = {}
        self.shared: SharedRateCounters | None = None
        """Counters shared by the copies (set at start when TTS_DATABASE_URL is set)."""

    def client_id(self, address: str) -> str:
        """The day's pseudonym for ``address`` (rotates the salt when the UTC day changes)."""
        day = int(self._wall_clock() // 86400)
        if day != self._day:
            self._day = day
            self._salt = self._daily_salt(day)
            self._hits.clear()
        client = client_network(address).encode("utf-8")
        return hmac.new(self._salt, client, hashlib.sha256).hexdigest()[:32]

    async def admit(self, address: str) -> None:
        """:meth:`check`, counted across every copy when the counters are shared."""
        if self.shared is None:
            self.check(address)
            return
        client = self.client_id(address)
        try:
            wait = await self.shared.window_hit(SCOPE, client, self.per_minute, _WINDOW)
        except CountersUnavailable:
            self.check(address)
            return
        if wait is not None:
            self._refuse(math.ceil(wait))

    def _refuse(self, wait: int) -> None:
        raise RateLimited(
            f"Too many read-aloud requests: at most {self.per_minute} a minute. "
            f"Try again in {max(1, wait)} seconds.",
            retry_after=wait,
        )

    def check(self, address: str) -> None:
        """Count one request from ``address`` in memory; :class:`RateLimited` (429) if over."""
        client = self.client_id(address)
        now = self._clock()
        hits = self._hits.get(client)
        if hits is None:
            if len(self._hits) >= self._max_clients:
                self._prune(now)
            hits = self._hits[client] = deque()
        while hits and hits[0] <= now - _WINDOW:
            hits.popleft()
        if len(hits) >= self.per_minute:
            self._refuse(math.ceil(hits[0] + _WINDOW - now))
        hits.append(now)

    def _prune(self, now: float) -> None:
        for client in [c for c, h in self._hits.items() if not h or h[-1] <= now - _WINDOW]:
            del self._hits[client]
        if len(self._hits) >= self._max_clients:
            self._hits.clear()  # under a flood, forgetting beats growing without bound
