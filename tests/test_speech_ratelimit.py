"""The read-selection limit: per client, sliding minute, no address kept, salt renewed daily."""

from __future__ import annotations

import pytest

from ttsservice.errors import RateLimited
from ttsservice.speech.ratelimit import ClientLimiter


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_limit_is_per_client_over_a_sliding_minute() -> None:
    clock = Clock(1000.0)
    limiter = ClientLimiter(2, clock=clock, wall_clock=lambda: 86400.0 * 5)
    limiter.check("192.0.2.1")
    clock.now += 30
    limiter.check("192.0.2.1")
    limiter.check("192.0.2.2")  # another client is counted apart
    with pytest.raises(RateLimited) as refused:
        limiter.check("192.0.2.1")
    assert refused.value.retry_after == 30  # the first request leaves the window then
    clock.now += 30.5
    limiter.check("192.0.2.1")


def test_clients_are_known_by_a_daily_pseudonym_not_their_address() -> None:
    wall = Clock(86400.0 * 10 + 5)
    limiter = ClientLimiter(1, wall_clock=wall)
    today = limiter.client_id("192.0.2.1")
    assert "192.0.2.1" not in today
    assert limiter.client_id("192.0.2.1") == today
    assert limiter.client_id("192.0.2.9") != today
    limiter.check("192.0.2.1")
    wall.now += 86400  # the next UTC day: a new salt, and the counts start over
    assert limiter.client_id("192.0.2.1") != today
    limiter.check("192.0.2.1")
