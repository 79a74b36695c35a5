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
- **Atomic**: counts are made by one ``INSERT … ON CONFLICT DO UPDATE …
  RETURNING`` statement. PostgreSQL locks each row for the update and
  re-reads its latest committed version, so parallel requests on any
  number of copies are counted one after the other and none slips past.
- **Batched**: a copy sends one statement at a time; the counts asked for
  while it is on its way go together in the next one, grouped per client
  (a client wanting k events gets ``min(k, room)`` of them). Under load a
  count costs a share of one round trip, not one round trip each.
- **Leases** (buckets only): a client far from its limit takes a few tokens
  more than it asks for, at most an eighth of what its bucket still holds
  (:data:`LEASE_SHARE`, at most :data:`LEASE_MAX`), and this copy spends them
  without asking again for up to :data:`LEASE_SECONDS`. Tokens are only ever
  spent after the database gave them, so the copies together never allow more
  than the limit; near the limit the lease shrinks to nothing and every vote
  is counted in the database. A lease a copy does not use is lost (at most an
  eighth of the room a client had, so a client moving between copies may be
  refused a little early, never late).
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
  limiters then count in this copy's memory, as on one copy, and the
  database is asked again after :data:`RETRY_AFTER_FAILURE` seconds. A client is
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
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from ttsservice.web.postgres import QuietConnection

__all__ = [
    "PURGE_INTERVAL",
    "RETRY_AFTER_FAILURE",
    "STATEMENT_TIMEOUT",
    "CountersUnavailable",
    "SharedRateCounters",
    "bucket_takes_sql",
    "bucket_wait",
    "counters_ctx",
]

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT = 1.0
"""Seconds a count may take before the limiter counts in memory instead."""

RETRY_AFTER_FAILURE = 5.0
"""Seconds a copy counts in memory after a failed count before it asks the database again."""

PURGE_INTERVAL = 60.0
"""Seconds between deletions of rows that no longer limit anyone."""

_WARN_EVERY = 60.0
_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)

# Counts are asked for in batches: every count requested while the previous batch was
# on its way to the database goes in the next one, grouped per (scope, client) into
# one input row that wants ``want`` events. Each input row carries its limit: ``cap``
# events in any ``per`` seconds (a window), or a bucket of ``cap`` tokens refilled
# over ``per`` seconds. $1..$5 are the input columns as arrays, $6 is now.
_INPUT = """
FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int[])
    AS i(scope, client, cap, per, want)
ON CONFLICT (scope, client) DO UPDATE SET"""
_RETURNING = "RETURNING scope, client, granted, tokens, hits[1] AS oldest"

# The window's hits still inside it, the room left, and how many of the wanted it gets.
_KEPT = "ARRAY(SELECT h FROM unnest(r.hits) AS h WHERE h > $6::float8 - excluded.per ORDER BY h)"
_GETS = f"least(excluded.want, greatest(0, excluded.cap::int - cardinality({_KEPT})))"

_WINDOW_HITS = f"""
INSERT INTO rate_limits AS r (scope, client, hits, expires, cap, per, want, granted)
SELECT i.scope, i.client, array_fill($6::float8, ARRAY[least(i.want, i.cap::int)]),
    $6::float8 + i.per, i.cap, i.per, i.want, least(i.want, i.cap::int)
{_INPUT}
    hits = {_KEPT} || array_fill($6::float8, ARRAY[{_GETS}]),
    expires = CASE WHEN {_GETS} > 0 THEN $6::float8 + excluded.per ELSE r.expires END,
    granted = {_GETS},
    cap = excluded.cap, per = excluded.per, want = excluded.want
{_RETURNING}
"""


def bucket_takes_sql(source: str, now: str) -> str:
    """The statement taking tokens from the buckets of ``source``'s rows, returning each one's
    ``scope, client, granted, tokens``.

    ``source`` is a FROM item with columns ``i(scope, client, cap, per, want)``, one row per
    (scope, client); ``now`` an SQL expression for the time. Also used inside the statement
    that stores a batch of votes (``feedback.pgvotes``), so a vote is counted and stored in
    one round trip.
    """
    # Tokens in the bucket now (refilled since the last take), and how many it gives.
    available = (
        f"least(excluded.cap, r.tokens + greatest(0, {now} - r.at) * excluded.cap / excluded.per)"
    )
    gives = f"least(excluded.want, floor({available}))"
    # Composed of fixed SQL only (the callers' FROM item and time expression), never input.
    return f"""
INSERT INTO rate_limits AS r (scope, client, tokens, at, expires, cap, per, want, granted)
SELECT i.scope, i.client, i.cap - least(i.want, floor(i.cap)), {now},
    {now} + i.per, i.cap, i.per, i.want, least(i.want, floor(i.cap))
FROM {source}
ON CONFLICT (scope, client) DO UPDATE SET
    tokens = {available} - {gives},
    granted = {gives},
    at = greatest(r.at, {now}),
    expires = {now} + excluded.per,
    cap = excluded.cap, per = excluded.per, want = excluded.want
RETURNING scope, client, granted, tokens"""  # noqa: S608


def bucket_wait(tokens: float, cap: float, per: float) -> float:
    """Seconds until a bucket of ``cap`` tokens refilled over ``per`` s, holding ``tokens``,
    has one again (never longer than ``per``: another copy's clock may be a little ahead)."""
    return min(per, (1.0 - tokens) * per / cap)


_BUCKET_TAKES = bucket_takes_sql(
    "unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int[])"
    " AS i(scope, client, cap, per, want)",
    "$6::float8",
)

_WINDOW_PEEK = """
SELECT ARRAY(SELECT h FROM unnest(hits) AS h WHERE h > $3::float8 - $4::float8 ORDER BY h)
    AS hits
FROM rate_limits WHERE scope = $1 AND client = $2
"""

_WINDOW, _BUCKET = "window", "bucket"

LEASE_SHARE = 8
"""A lease is at most the bucket's remaining tokens divided by this."""
LEASE_MAX = 64
"""The most tokens one lease holds."""
LEASE_SECONDS = 2.0
"""How long this copy may spend a lease before it asks the database again."""
MAX_LEASES = 10_000
"""Clients whose leases one copy keeps (the oldest are dropped)."""


@dataclass(slots=True)
class _Wanted:
    """The counts one (kind, scope, client) asks for in a batch, one future each."""

    cap: float
    per: float
    futures: list[asyncio.Future[float | None]] = field(default_factory=list)


class CountersUnavailable(Exception):
    """The shared counters could not be reached in time; count in memory instead."""


class SharedRateCounters:
    """Rate-limit counts shared by every copy through PostgreSQL (see the module docs)."""

    def __init__(self, pool: asyncpg.Pool, *, clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self._clock = clock
        self._warned = -math.inf
        self._down_until = -math.inf
        self._waiting: dict[tuple[str, str, str], _Wanted] = {}
        self._sender: asyncio.Task[None] | None = None
        # (scope, client) -> (tokens leased to this copy, spend them before this monotonic
        # time, the tokens the shared bucket held after the last take).
        self._leases: dict[tuple[str, str], tuple[int, float, float]] = {}

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        if time.monotonic() < self._down_until:
            raise CountersUnavailable("the database failed a moment ago")
        try:
            # The timeout covers getting a connection too: a database that does not
            # answer at all must not hold the request for the pool's connect timeout.
            async with asyncio.timeout(STATEMENT_TIMEOUT):
                rows: list[Any] = await self.pool.fetch(sql, *args)
            return rows
        except _ERRORS as exc:
            now = time.monotonic()
            self._down_until = now + RETRY_AFTER_FAILURE
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
        return await self._count(_WINDOW, scope, client, float(limit), window)

    async def window_wait(self, scope: str, client: str, limit: int, window: float) -> float | None:
        """Without counting: seconds until ``client`` may act again, or None if it may now."""
        now = self._clock()
        rows = await self._fetch(_WINDOW_PEEK, scope, client, now, window)
        hits = list(rows[0]["hits"]) if rows else []
        if len(hits) < limit:
            return None
        return float(hits[0]) + window - now

    async def bucket_take(
        self, scope: str, client: str, capacity: float, per_second: float
    ) -> float | None:
        """Take one token from ``client``'s bucket; None if taken, else seconds to the next."""
        lease = self._leases.get((scope, client))
        if lease is not None and lease[0] > 0 and time.monotonic() < lease[1]:
            self._leases[(scope, client)] = (lease[0] - 1, lease[1], lease[2])
            return None  # a token the database already gave this copy
        return await self._count(_BUCKET, scope, client, float(capacity), capacity / per_second)

    def _lease_wanted(self, scope: str, client: str) -> int:
        """Tokens to take beyond those asked for: a share of what the bucket last held."""
        lease = self._leases.get((scope, client))
        if lease is None:
            return 0
        return max(0, min(LEASE_MAX, int(lease[2] // LEASE_SHARE)))

    async def _count(
        self, kind: str, scope: str, client: str, cap: float, per: float
    ) -> float | None:
        future: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        wanted = self._waiting.setdefault((kind, scope, client), _Wanted(cap, per))
        wanted.futures.append(future)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all(), name="rate-limit-counts")
        return await future

    async def _send_all(self) -> None:
        # One batch in flight at a time; what arrives meanwhile goes in the next one.
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            for kind in (_WINDOW, _BUCKET):
                part = {key: w for key, w in batch.items() if key[0] == kind}
                if part:
                    try:
                        await self._send(kind, part)
                    except Exception as exc:  # a bug must not leave requests waiting
                        logger.exception("rate-limit counts failed; counting in memory")
                        for w in part.values():
                            for future in w.futures:
                                if not future.done():
                                    future.set_exception(CountersUnavailable(str(exc)))

    async def _send(self, kind: str, part: dict[tuple[str, str, str], _Wanted]) -> None:
        now = self._clock()
        keys = list(part)
        wanted = [part[key] for key in keys]
        extra = [self._lease_wanted(key[1], key[2]) if kind == _BUCKET else 0 for key in keys]
        try:
            rows = await self._fetch(
                _WINDOW_HITS if kind == _WINDOW else _BUCKET_TAKES,
                [key[1] for key in keys],
                [key[2] for key in keys],
                [w.cap for w in wanted],
                [w.per for w in wanted],
                [len(w.futures) + more for w, more in zip(wanted, extra, strict=True)],
                now,
            )
        except CountersUnavailable as exc:
            for w in wanted:
                for future in w.futures:
                    if not future.done():
                        future.set_exception(CountersUnavailable(str(exc)))
            return
        results = {(row["scope"], row["client"]): row for row in rows}
        for (_, scope, client), w in zip(keys, wanted, strict=True):
            row = results[(scope, client)]
            if kind == _WINDOW:
                oldest = float(row["oldest"]) if row["oldest"] is not None else now
                # Another copy's clock may be a little ahead: never longer than the window.
                wait = min(w.per, oldest + w.per - now)
            else:
                wait = bucket_wait(float(row["tokens"]), w.cap, w.per)
                self._keep_lease(scope, client, row, len(w.futures))
            for position, future in enumerate(w.futures):
                if not future.done():
                    future.set_result(None if position < row["granted"] else wait)

    def _keep_lease(self, scope: str, client: str, row: Any, asked: int) -> None:
        """Keep the tokens granted beyond the ``asked`` ones for this copy to spend."""
        left = max(0, int(row["granted"]) - asked)
        self._leases.pop((scope, client), None)
        self._leases[(scope, client)] = (
            left,
            time.monotonic() + LEASE_SECONDS,
            float(row["tokens"]),
        )
        while len(self._leases) > MAX_LEASES:
            del self._leases[next(iter(self._leases))]

    async def forget(self, scope: str, client: str) -> None:
        """Drop ``client``'s count (a successful sign-in clears its failures)."""
        await self._fetch("DELETE FROM rate_limits WHERE scope = $1 AND client = $2", scope, client)

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
