"""Per-client speech budgets: readings, extraction and speak charged by what they cost.

A request count says little about load: one 3,000-character selection costs as
much synthesis as a hundred short ones. So each client (known only by the
daily pseudonym of :class:`~ttsservice.speech.ratelimit.ClientLimiter`, never
by its address) has a bucket of *seconds of speech*: it refills at ``rate``
seconds of speech per second up to ``burst``, and every request that makes
speech (or extracts a page) takes its estimated cost out of it. A listener
hears at most about one second of speech per second, so a rate above one never
stops someone who listens; a client asking for far more than it can hear is
refused with 429 and an honest Retry-After (when its bucket will hold the cost).

Work that is admitted is also ordered by the budget: a client that has spent
more than half of its bucket gets its sentences' deadlines moved later by the
time the bucket needs to refill to half (a virtual clock per client, as in fair
queueing), so a client that floods cannot put its sentences ahead of a new
listener's first one, while a visitor reading a page or two is never delayed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ttsservice.errors import RateLimited

__all__ = ["EXTRACTION_COST", "Charge", "SpeechBudget"]

EXTRACTION_COST = 5.0
"""Seconds of speech an extraction is charged as (fetching and parsing a page is
about as much CPU work as synthesising a few seconds of speech)."""


@dataclass(frozen=True, slots=True)
class Charge:
    """What a client paid for one request."""

    client: str
    """The client's pseudonym for the day."""
    cost: float
    """Seconds of speech taken from the bucket."""
    delay: float
    """Seconds to move this request's deadlines later (its use beyond half the bucket / rate)."""


@dataclass(slots=True)
class _Bucket:
    balance: float
    stamp: float


class SpeechBudget:
    """A bucket of seconds of speech per client, refilled at ``rate`` up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float,
        pseudonym: Callable[[str], str],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("a speech budget needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        self._pseudonym = pseudonym
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def balance(self, address: str) -> float:
        """Seconds of speech ``address`` may still ask for now."""
        return self._bucket(self._pseudonym(address), self._clock()).balance

    def charge(self, address: str, cost: float, what: str) -> Charge:
        """Take ``cost`` seconds of speech from the client's bucket, or raise 429.

        A request is allowed when the bucket holds its cost (or is full, for a
        request costlier than the whole bucket); the bucket may then go below
        zero, and the client waits until it refills. Checking and taking happen
        without a pause, so parallel requests cannot both spend the same seconds.
        ``what`` names the request in the refusal ("read-selection", "reading").
        """
        cost = max(0.0, cost)
        client = self._pseudonym(address)
        now = self._clock()
        bucket = self._bucket(client, now)
        needed = min(cost, self.burst)
        if bucket.balance < needed:
            wait = max(1, math.ceil((needed - bucket.balance) / self.rate))
            raise RateLimited(
                f"Too much speech asked for from this address: the {what} would take about "
                f"{cost:.0f} seconds of speech and at most {self.rate:g} seconds of speech a "
                f"second (up to {self.burst:.0f} at once) are made for one client. "
                f"Try again in {wait} seconds.",
                retry_after=wait,
            )
        delay = max(0.0, self.burst / 2 - bucket.balance) / self.rate
        bucket.balance -= cost
        return Charge(client, cost, delay)

    def refund(self, charge: Charge, amount: float | None = None) -> None:
        """Give back ``amount`` (all of ``charge`` by default) of a charge not spent."""
        bucket = self._buckets.get(charge.client)
        if bucket is None:
            return
        back = charge.cost if amount is None else min(max(0.0, amount), charge.cost)
        bucket.balance = min(self.burst, bucket.balance + back)

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                self._prune(now)
            bucket = self._buckets[client] = _Bucket(self.burst, now)
            return bucket
        elapsed = max(0.0, now - bucket.stamp)
        bucket.balance = min(self.burst, bucket.balance + elapsed * self.rate)
        bucket.stamp = now
        return bucket

    def _prune(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: forget it.
        for client, bucket in list(self._buckets.items()):
            if bucket.balance + (now - bucket.stamp) * self.rate >= self.burst:
                del self._buckets[client]
        if len(self._buckets) >= self._max_clients:
            self._buckets.clear()  # under a flood of addresses, forgetting beats growing
