"""Abuse protection without tracking, and the feedback metrics.

- **Client key**: ``HMAC-SHA256(salt, address)``, the salt random, held in
  memory only and replaced every UTC day (all buckets are dropped with it).
  Neither the address nor the key is ever stored or logged; after a day (or
  a restart) the key cannot be recomputed by anyone.
- **Rate limit**: a token bucket per client key, ``TTS_VOTES_PER_MINUTE``
  tokens refilled evenly over a minute; an empty bucket answers 429 with
  the seconds until the next token in Retry-After. With ``TTS_DATABASE_URL``
  set the buckets live in PostgreSQL (:mod:`ttsservice.web.ratecounters`),
  so the copies share them; in memory meanwhile if it cannot be reached.
  A plain vote (no comment, no token) takes its token in the statement that
  stores it (:meth:`FeedbackGuard.shared_take`, :mod:`feedback.pgvotes`).
- **Duplicate suppression**: an identical submission (same client, page,
  answer, reasons, comment and token) within :data:`DUPLICATE_WINDOW`
  seconds gets the first one's 201 and id again, and is not stored twice:
  a double click must not look like an error to the visitor.
- **Metrics** on the app's own registry, with bounded labels only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from feedback.pgvotes import VoteTake
from ttsservice.web.clients import client_network
from ttsservice.web.ratecounters import CountersUnavailable, SharedRateCounters

__all__ = ["DUPLICATE_WINDOW", "REJECTION_REASONS", "FeedbackGuard", "FeedbackMetrics"]

DUPLICATE_WINDOW = 10.0
"""Seconds within which an identical submission is answered with the first one's id."""

MAX_CLIENTS = 100_000
"""Rate-limit buckets kept at most; beyond it, full (idle) buckets are dropped."""

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

SCOPE = "vote"
"""The scope of the vote buckets in the shared ``rate_limits`` table."""

REJECTION_REASONS = (
    "honeypot",
    "rate_limited",
    "duplicate",
    "page_not_allowed",
    "bad_url",
    "bad_answer",
    "bad_reason",
    "comment_too_long",
    "empty_comment",
    "bad_json",
    "unsupported_media_type",
    "request_too_large",
    "invalid_field",
    "missing_field",
    "unknown_vote",
    "comment_exists",
    "overloaded",
    "database_unavailable",
    "other",
)
"""Every value of the ``reason`` label of ``tts_feedback_rejections_total``."""

DB_OPERATIONS = ("vote", "comment", "status", "purge", "check", "page_change", "read")
"""Every value of the ``operation`` label of ``tts_db_seconds``."""


class FeedbackMetrics:
    """The feedback counters and the database latency histogram."""

    def __init__(self, registry: CollectorRegistry, sections: Iterable[str]) -> None:
        self.votes = Counter(
            "tts_votes",
            "Votes stored, by answer and section (configured sections or 'other').",
            ["answer", "section"],
            registry=registry,
        )
        self.comments = Counter(
            "tts_comments",
            "Comments by result: stored as written, stored after personal data was removed "
            "(scrubbed), or rejected.",
            ["result"],
            registry=registry,
        )
        self.rejections = Counter(
            "tts_feedback_rejections",
            "Votes and comments not stored (or stored once for a repeat), by reason.",
            ["reason"],
            registry=registry,
        )
        self.db_seconds = Histogram(
            "tts_db_seconds",
            "Feedback database time by operation; writes include waiting for the shared commit.",
            ["operation"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=registry,
        )
        # Every series exists from the start (bounded, and rate() sees the first event).
        self.known_sections = frozenset(sections)
        for answer in ("yes", "no"):
            for section in self.known_sections:
                self.votes.labels(answer, section)
        for result in ("stored", "scrubbed", "rejected"):
            self.comments.labels(result)
        for reason in REJECTION_REASONS:
            self.rejections.labels(reason)
        for operation in DB_OPERATIONS:
            self.db_seconds.labels(operation)

    def reject(self, reason: str) -> None:
        """Count one rejection (unknown reasons count as ``other``)."""
        self.rejections.labels(reason if reason in REJECTION_REASONS else "other").inc()

    def observe_db(self, operation: str, seconds: float) -> None:
        """Record one database operation's time."""
        op = operation if operation in DB_OPERATIONS else "read"
        self.db_seconds.labels(op).observe(seconds)


class FeedbackGuard:
    """Per-app abuse state: salted client keys, rate-limit buckets, recent submissions."""

    def __init__(
        self,
        per_minute: int,
        metrics: FeedbackMetrics,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        daily_salt: Callable[[int], bytes] | None = None,
    ) -> None:
        self.per_minute = per_minute
        self.metrics = metrics
        self._monotonic = monotonic
        self._today = today
        self._daily_salt = daily_salt or (lambda _day: secrets.token_bytes(32))
        self._salt_day = today()
        self._salt = self._daily_salt(self._salt_day.toordinal() - _EPOCH_ORDINAL)
        self._buckets: dict[bytes, tuple[float, float]] = {}
        self._recent: OrderedDict[bytes, tuple[float, asyncio.Future[Any]]] = OrderedDict()
        self.shared: SharedRateCounters | None = None
        """Buckets shared by the copies (set at start when TTS_DATABASE_URL is set)."""

    def client_key(self, address: str | None) -> bytes:
        """The day's pseudonymous key for a client address (never stored)."""
        day = self._today()
        if day != self._salt_day:
            self._salt = self._daily_salt(day.toordinal() - _EPOCH_ORDINAL)
            self._salt_day = day
            self._buckets.clear()
            self._recent.clear()
        client = client_network(address).encode()
        return hmac.new(self._salt, client, hashlib.sha256).digest()[:16]

    async def spend(self, client: bytes) -> int | None:
        """:meth:`take`, from the bucket every copy shares when the counters are shared."""
        if self.shared is None:
            return self.take(client)
        rate = self.per_minute / 60.0
        try:
            wait = await self.shared.bucket_take(SCOPE, client.hex(), self.per_minute, rate)
        except CountersUnavailable:
            return self.take(client)
        return None if wait is None else max(1, math.ceil(wait))

    def shared_take(self, client: bytes) -> VoteTake | None:
        """The token a vote of ``client`` takes from the shared bucket as it is stored
        (:mod:`feedback.pgvotes`), or None when the buckets are not shared."""
        if self.shared is None:
            return None
        return VoteTake(SCOPE, client.hex(), float(self.per_minute), 60.0)

    def take(self, client: bytes) -> int | None:
        """Take one token for ``client`` in memory; None if allowed, else seconds to wait."""
        now = self._monotonic()
        rate = self.per_minute / 60.0
        tokens, last = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
        self._buckets[client] = (tokens - 1.0, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._prune(now, rate)
        return None

    def _prune(self, now: float, rate: float) -> None:
        full = float(self.per_minute)
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * rate >= full:
                del self._buckets[key]

    def fingerprint(self, client: bytes, *parts: object) -> bytes:
        """Key of a submission for duplicate suppression."""
        digest = hashlib.sha256(client)
        for part in parts:
            digest.update(repr(part).encode())
            digest.update(b"\x00")
        return digest.digest()

    def recent(self, fingerprint: bytes) -> asyncio.Future[Any] | None:
        """The earlier identical submission's pending or done result, if within the window."""
        now = self._monotonic()
        while self._recent:
            oldest, (seen, _) = next(iter(self._recent.items()))
            if now - seen <= DUPLICATE_WINDOW:
                break
            del self._recent[oldest]
        entry = self._recent.get(fingerprint)
        return entry[1] if entry else None

    def remember(self, fingerprint: bytes, result: asyncio.Future[Any]) -> None:
        """Record a submission being stored (its future gives its answer)."""
        self._recent[fingerprint] = (self._monotonic(), result)

    def forget(self, fingerprint: bytes) -> None:
        """Drop a submission that failed, so a retry is stored."""
        self._recent.pop(fingerprint, None)


FEEDBACK_GUARD: web.AppKey[FeedbackGuard] = web.AppKey("feedback_guard")
"""In-memory abuse guard for votes (rate limit, duplicate suppression) and feedback metrics."""
