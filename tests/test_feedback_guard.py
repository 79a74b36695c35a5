"""The abuse guard: salted client keys that rotate daily, token-bucket rate limit, repeats."""

from __future__ import annotations

import asyncio
from datetime import date

from prometheus_client import CollectorRegistry

from feedback.guard import DUPLICATE_WINDOW, FeedbackGuard, FeedbackMetrics


class Clocks:
    def __init__(self) -> None:
        self.seconds = 1000.0
        self.day = date(2026, 3, 2)

    def monotonic(self) -> float:
        return self.seconds

    def today(self) -> date:
        return self.day


def make_guard(per_minute: int, clocks: Clocks) -> FeedbackGuard:
    metrics = FeedbackMetrics(CollectorRegistry(), ["other"])
    return FeedbackGuard(per_minute, metrics, monotonic=clocks.monotonic, today=clocks.today)


def test_client_key_hides_the_address_and_changes_with_the_day() -> None:
    clocks = Clocks()
    guard = make_guard(10, clocks)
    key = guard.client_key("192.0.2.7")
    assert key == guard.client_key("192.0.2.7") != guard.client_key("192.0.2.8")
    assert b"192.0.2.7" not in key and len(key) == 16
    assert make_guard(10, clocks).client_key("192.0.2.7") != key  # salt is per process
    clocks.day = date(2026, 3, 3)
    assert guard.client_key("192.0.2.7") != key


def test_token_bucket_refills_over_the_minute_and_says_how_long_to_wait() -> None:
    clocks = Clocks()
    guard = make_guard(6, clocks)  # one token every 10 seconds
    client = guard.client_key("192.0.2.7")
    assert [guard.take(client) for _ in range(6)] == [None] * 6
    assert guard.take(client) == 10
    clocks.seconds += 4
    assert guard.take(client) == 6
    clocks.seconds += 6
    assert guard.take(client) is None
    other = guard.client_key("192.0.2.8")
    assert guard.take(other) is None  # buckets are per client


def test_new_day_forgets_every_bucket() -> None:
    clocks = Clocks()
    guard = make_guard(1, clocks)
    client = guard.client_key("192.0.2.7")
    assert guard.take(client) is None and guard.take(client) is not None
    clocks.day = date(2026, 3, 3)
    assert guard.take(guard.client_key("192.0.2.7")) is None


async def test_recent_submissions_expire_after_the_window() -> None:
    clocks = Clocks()
    guard = make_guard(10, clocks)
    fingerprint = guard.fingerprint(guard.client_key("a"), "vote", "url", "yes")
    assert fingerprint != guard.fingerprint(guard.client_key("a"), "vote", "url", "no")
    future: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    future.set_result({"id": "x"})
    guard.remember(fingerprint, future)
    assert guard.recent(fingerprint) is future
    clocks.seconds += DUPLICATE_WINDOW + 0.1
    assert guard.recent(fingerprint) is None
