"""Per-client speech budgets: charged by seconds of speech, fake clock, no address kept."""

from __future__ import annotations

import pytest

from ttsservice.errors import RateLimited
from ttsservice.speech.budget import SpeechBudget
from ttsservice.speech.ratelimit import ClientLimiter


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def budget(clock: Clock, rate: float = 2.0, burst: float = 100.0) -> SpeechBudget:
    limiter = ClientLimiter(10, wall_clock=lambda: 86400.0 * 3)
    return SpeechBudget(rate, burst, limiter.client_id, clock=clock)


def test_requests_are_charged_by_cost_not_by_count() -> None:
    clock = Clock(100.0)
    speech = budget(clock)
    for _ in range(50):  # many short sentences: cheap, all allowed
        speech.charge("192.0.2.1", 1.0, "read-selection")
    speech.charge("192.0.2.2", 90.0, "read-selection")  # one long text: allowed once
    with pytest.raises(RateLimited) as refused:
        speech.charge("192.0.2.2", 90.0, "read-selection")
    # Honest Retry-After: 10 s left, 90 needed, 2 s of speech a second come back.
    assert refused.value.retry_after == 40
    assert refused.value.status == 429
    assert "90 seconds of speech" in refused.value.message
    clock.now += 39
    with pytest.raises(RateLimited):
        speech.charge("192.0.2.2", 90.0, "read-selection")
    clock.now += 1
    speech.charge("192.0.2.2", 90.0, "read-selection")


def test_a_request_costlier_than_the_bucket_needs_a_full_bucket() -> None:
    clock = Clock(0.0)
    speech = budget(clock, burst=50.0)
    speech.charge("192.0.2.1", 80.0, "reading")  # allowed: the bucket was full
    assert speech.balance("192.0.2.1") == pytest.approx(-30.0)
    with pytest.raises(RateLimited) as refused:
        speech.charge("192.0.2.1", 80.0, "reading")
    assert refused.value.retry_after == 40  # from -30 up to the full 50 at 2 a second


def test_clients_are_apart_and_ipv6_counts_by_its_64() -> None:
    clock = Clock(0.0)
    speech = budget(clock)
    speech.charge("2001:db8:1:2::1", 100.0, "reading")
    with pytest.raises(RateLimited):
        speech.charge("2001:db8:1:2::99", 10.0, "reading")  # the same /64
    speech.charge("2001:db8:1:3::1", 100.0, "reading")  # another /64
    speech.charge("192.0.2.7", 100.0, "reading")
    assert "192.0.2.7" not in "".join(speech._buckets)  # only pseudonyms are kept


def test_spent_budget_moves_deadlines_later_by_the_refill_time() -> None:
    clock = Clock(0.0)
    speech = budget(clock, rate=2.0, burst=100.0)
    first = speech.charge("192.0.2.1", 40.0, "reading")
    assert first.delay == 0.0  # a new client is served as soon as anyone
    second = speech.charge("192.0.2.1", 40.0, "reading")
    assert second.delay == 0.0  # a page or two: still less than half the bucket
    clock.now += 10
    third = speech.charge("192.0.2.1", 10.0, "reading")
    assert third.delay == pytest.approx(5.0)  # 80 spent, 20 back: 10 s below half
    assert speech.charge("192.0.2.2", 10.0, "reading").delay == 0.0


def test_refund_gives_back_what_was_not_made() -> None:
    clock = Clock(0.0)
    speech = budget(clock)
    paid = speech.charge("192.0.2.1", 100.0, "reading")
    speech.refund(paid)
    assert speech.balance("192.0.2.1") == pytest.approx(100.0)
    speech.charge("192.0.2.1", 100.0, "reading")


def test_the_bucket_map_is_bounded() -> None:
    clock = Clock(0.0)
    limiter = ClientLimiter(10, wall_clock=lambda: 86400.0 * 3)
    speech = SpeechBudget(1.0, 10.0, limiter.client_id, clock=clock, max_clients=100)
    for n in range(1000):
        speech.charge(f"10.0.{n // 250}.{n % 250}", 5.0, "reading")
        clock.now += 1
    assert len(speech._buckets) <= 100
