"""Per-client rate-limit counters in PostgreSQL, so several copies count as one.

With ``TTS_DATABASE_URL`` set, every per-client limit (read-selection
requests, votes and comments, failed dashboard sign-ins) keeps its counts in
the ``rate_limits`` table, so N copies behind a load balancer allow a client
the limit once, not N times. On SQLite (one copy) this module is not used
and each limiter keeps counting in memory exactly as before.

- **Who**: a row is keyed by ``(scope, client)``, the client being the
  limiter's daily HMAC pseudonym of the address (the salt derived from
  ``TTS_SECRET_KEY`` for the UTC day, so every copy computes the same one).
  No address is ever sent to the database.
- **Atomic**: each count is one ``INSERT … ON CONFLICT DO UPDATE …
  RETURNING`` statement. PostgreSQL locks the row for the update and
  re-reads the latest committed version, so parallel requests on any
  number of copies are counted one after the other and none slips past.
- **Two shapes**, matching the in-memory limiters: a sliding-window log (at
  most N events in any W seconds: read-aloud requests, failed sign-ins),
  kept as an array of at most N timestamps in the row; and a token bucket
  (votes). Times are the copies' wall clocks (seconds since the epoch); NTP
  keeps copies within milliseconds, far below the windows.
- **Cleaned**: every row carries the time after which it no longer limits
  anyone; :meth:`SharedRateCounters.purge` deletes those (once a minute).
  There is no index on that column on purpose: every count rewrites it,
  and an index would stop PostgreSQL updating the row in place (HOT).
- **Cheap**: the counters have their own small pool whose sessions commit
  with ``synchronous_commit = off``: a count does not wait for the WAL
  flush. A database crash may forget the last moment's counts, which only
  lets a few requests more through once; votes themselves are still
  committed durably by the feedback store.
- **Database unreachable**: a count that fails (or takes longer than
  :data:`STATEMENT_TIMEOUT`) raises :class:`CountersUnavailable`; the
  limiters then count in this copy's memory, as on one copy. A client is
  never let through unlimited, and the limiter does not become the reason a
  request fails: what needs the database (votes, readings) answers 503 on
  its own, while what does not (read-aloud from the cache) goes on working.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from aiohttp import web

from ttsservice import keys
from ttsservice.web.postgres import QuietConnection

__all__ = [
    "PURGE_INTERVAL",
    "STATEMENT_TIMEOUT",
    "CountersUnavailable",
    "SharedRateCounters",
    "counters_ctx",
    "setup",
]

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT = 1.0
"""Seconds a count may take before the limiter counts in memory instead."""

PURGE_INTERVAL = 60.0
"""Seconds between deletions of rows that no longer limit anyone."""

_WARN_EVERY = 60.0
_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)

# The hits of the row still inside the window ($4 seconds before now, $5).
_KEPT = "ARRAY(SELECT h FROM unnest(r.hits) AS h WHERE h > $5::float8 - $4::float8 ORDER BY h)"
_ROOM = f"cardinality({_KEPT}) < $3::int"

_WINDOW_HIT = f"""
INSERT INTO rate_limits AS r (scope, client, hits, expires, ok)
VALUES ($1, $2, ARRAY[$5::float8], $5::float8 + $4::float8, TRUE)
ON CONFLICT (scope, client) DO UPDATE SET
    hits = CASE WHEN {_ROOM} THEN {_KEPT} || $5::float8 ELSE {_KEPT} END,
    expires = CASE WHEN {_ROOM} THEN $5::float8 + $4::float8 ELSE r.expires END,
    ok = {_ROOM}
RETURNING ok, hits[1] AS oldest
"""  # noqa: S608 - constant fragments; every value is a parameter

_WINDOW_PEEK = """
SELECT ARRAY(SELECT h FROM unnest(hits) AS h WHERE h > $3::float8 - $4::float8 ORDER BY h)
    AS hits
FROM rate_limits WHERE scope = $1 AND client = $2
"""

# Tokens available now: the stored ones refilled at $4 a second since the last take.
_AVAILABLE = "least($3::float8, r.tokens + greatest(0, $5::float8 - r.at) * $4::float8)"

_BUCKET_TAKE = f"""
INSERT INTO rate_limits AS r (scope, client, tokens, at, expires, ok)
VALUES ($1, $2, $3::float8 - 1, $5::float8, $5::float8 + $3::float8 / $4::float8, TRUE)
ON CONFLICT (scope, client) DO UPDATE SET
    tokens = CASE WHEN {_AVAILABLE} >= 1 THEN {_AVAILABLE} - 1 ELSE {_AVAILABLE} END,
    at = greatest(r.at, $5::float8),
    expires = $5::float8 + $3::float8 / $4::float8,
    ok = {_AVAILABLE} >= 1
RETURNING ok, tokens
"""  # noqa: S608 - constant fragments; every value is a parameter


class CountersUnavailable(Exception):
    """The shared counters could not be reached in time; count in memory instead."""


class SharedRateCounters:
    """Rate-limit counts shared by every copy through PostgreSQL (see the module docs)."""

    def __init__(self, pool: asyncpg.Pool, *, clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self._clock = clock
        self._warned = -math.inf

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        try:
            return await self.pool.fetchrow(sql, *args, timeout=STATEMENT_TIMEOUT)
        except _ERRORS as exc:
            now = time.monotonic()
            if now - self._warned >= _WARN_EVERY:
                self._warned = now
                logger.warning(
                    "rate-limit counters in PostgreSQL unavailable (%s); counting per copy "
                    "until they are back",
                    exc,
                )
            raise CountersUnavailable(str(exc)) from exc

    async def window_hit(self, scope: str, client: str, limit: int, window: float) -> float | None:
        """Count one event if ``client`` had fewer than ``limit`` in the last ``window`` s.

        Returns None when counted, else the seconds until the oldest event
        leaves the window (nothing is counted then).
        """
        now = self._clock()
        row = await self._fetchrow(_WINDOW_HIT, scope, client, limit, window, now)
        if row["ok"]:
            return None
        return float(row["oldest"]) + window - now

    async def window_wait(self, scope: str, client: str, limit: int, window: float) -> float | None:
        """Without counting: seconds until ``client`` may act again, or None if it may now."""
        now = self._clock()
        row = await self._fetchrow(_WINDOW_PEEK, scope, client, now, window)
        hits = list(row["hits"]) if row is not None else []
        if len(hits) < limit:
            return None
        return float(hits[0]) + window - now

    async def bucket_take(
        self, scope: str, client: str, capacity: float, per_second: float
    ) -> float | None:
        """Take one token from ``client``'s bucket; None if taken, else seconds to the next."""
        now = self._clock()
        row = await self._fetchrow(_BUCKET_TAKE, scope, client, capacity, per_second, now)
        if row["ok"]:
            return None
        return (1.0 - float(row["tokens"])) / per_second

    async def forget(self, scope: str, client: str) -> None:
        """Drop ``client``'s count (a successful sign-in clears its failures)."""
        await self._fetchrow(
            "DELETE FROM rate_limits WHERE scope = $1 AND client = $2", scope, client
        )

    async def purge(self) -> int:
        """Delete the rows that no longer limit anyone; how many were deleted."""
        status = await self.pool.execute(
            "DELETE FROM rate_limits WHERE expires < $1::float8", self._clock()
        )
        return int(status.rsplit(" ", 1)[-1])


async def _purge_loop(counters: SharedRateCounters) -> None:
    while True:
        await asyncio.sleep(PURGE_INTERVAL)
        try:
            await counters.purge()
        except _ERRORS as exc:
            logger.warning("expired rate-limit counters not deleted: %s; trying again later", exc)


@contextlib.asynccontextmanager
async def counters_ctx(database_url: str) -> AsyncIterator[SharedRateCounters]:
    """Shared counters on their own small pool, purged every :data:`PURGE_INTERVAL` s."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=4,
        timeout=5,
        command_timeout=10,
        server_settings={"synchronous_commit": "off"},
        connection_class=QuietConnection,
    )
    counters = SharedRateCounters(pool)
    purging = asyncio.create_task(_purge_loop(counters), name="rate-limit-purge")
    try:
        yield counters
    finally:
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        await pool.close()


def setup(app: web.Application) -> None:
    """With ``TTS_DATABASE_URL`` set, make every per-client limiter count across copies.

    Registered after the speech, feedback and dashboard setups: their
    limiters exist (and the feedback store has migrated the table) by the
    time this context starts.
    """

    async def counters_ctx_for(app: web.Application) -> AsyncIterator[None]:
        url = app[keys.SETTINGS].database_url
        if not url:
            yield
            return
        speech = app.get(keys.SPEECH)
        dashboard = app.get(keys.DASHBOARD)
        limiters: list[Any] = [
            app.get(keys.FEEDBACK_GUARD),
            speech.limiter if speech is not None else None,
            dashboard.limiter if dashboard is not None else None,
        ]
        async with counters_ctx(url) as counters:
            for limiter in limiters:
                if limiter is not None:
                    limiter.shared = counters
            try:
                yield
            finally:
                for limiter in limiters:
                    if limiter is not None:
                        limiter.shared = None

    app.cleanup_ctx.append(counters_ctx_for)
