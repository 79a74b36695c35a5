"""Who is listening now: time to first audio, active listeners, demand against capacity.

A listener starts when a reading is made with synthesis started for it (the
widget pressed Lyssna) and is counted as active until the estimated spoken
length of the whole reading has passed: the service never learns when a
browser stops playing, so this is an estimate (a stop or leaving the page sends
a release, which ends it early when the widget names the reading's first
sentence). Every listener needs one second of speech per second of playback;
the synthesizer's measured real-time factor says how many seconds of speech the
service makes per second. Their ratio is the load the admission check guards.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["ListenerBook"]

MAX_TRACKED = 10_000
"""Readings whose first audio is awaited, and listeners, kept at most (oldest go first)."""


class ListenerBook:
    """Readings started and their first audio, on one clock; bounded in size."""

    def __init__(
        self,
        observe_first_audio: Callable[[float], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._observe = observe_first_audio
        self._clock = clock
        self._first: OrderedDict[str, deque[float]] = OrderedDict()
        self._first_count = 0
        self._ends: list[tuple[float, int, str]] = []  # (estimated end, seq, first key)
        self._seq = itertools.count()
        self._live: dict[str, int] = {}  # entries in _ends per first key
        self._stopped: dict[str, int] = {}  # of those, listeners that stopped early
        self._active = 0

    def started(self, first_key: str, spoken_seconds: float) -> None:
        """A reading whose first sentence is ``first_key`` started; it lasts ``spoken_seconds``."""
        now = self._clock()
        waiting = self._first.setdefault(first_key, deque())
        waiting.append(now)
        self._first_count += 1
        while self._first_count > MAX_TRACKED:
            _, oldest = self._first.popitem(last=False)
            self._first_count -= len(oldest)
        heapq.heappush(self._ends, (now + max(0.0, spoken_seconds), next(self._seq), first_key))
        self._live[first_key] = self._live.get(first_key, 0) + 1
        self._active += 1
        self._prune(now)
        while len(self._ends) > MAX_TRACKED:
            self._pop()  # the soonest to end go first

    def served(self, key: str) -> None:
        """``key``'s audio was answered: the first audio of the oldest reading waiting for it."""
        waiting = self._first.get(key)
        if not waiting:
            return
        started = waiting.popleft()
        self._first_count -= 1
        if not waiting:
            del self._first[key]
        self._observe(max(0.0, self._clock() - started))

    def stopped(self, first_key: str) -> bool:
        """A listener of the reading starting with ``first_key`` stopped or left (O(1))."""
        if self._live.get(first_key, 0) <= self._stopped.get(first_key, 0):
            return False
        self._stopped[first_key] = self._stopped.get(first_key, 0) + 1
        self._active -= 1
        return True

    def active(self) -> int:
        """Listeners whose reading has not yet been spoken to its end (estimated)."""
        self._prune(self._clock())
        return self._active

    def next_end(self) -> float | None:
        """Seconds until the soonest active listener's reading is spoken to its end."""
        now = self._clock()
        self._prune(now)
        return self._ends[0][0] - now if self._ends else None

    def _prune(self, now: float) -> None:
        while self._ends and self._ends[0][0] <= now:
            self._pop()

    def _pop(self) -> None:
        _, _, key = heapq.heappop(self._ends)
        stopped = self._stopped.get(key, 0)
        if stopped:  # this listener was already taken off the count
            if stopped == 1:
                del self._stopped[key]
            else:
                self._stopped[key] = stopped - 1
        else:
            self._active -= 1
        live = self._live[key] - 1
        if live:
            self._live[key] = live
        else:
            del self._live[key]
