"""When each sentence of a reading will be heard: the playback deadlines of its audio requests.

A reading's sentences are asked for one by one as the widget plays (three
ahead of the one playing), long after the reading was made. Each of those
requests must carry the time its listener will need the sentence, or the
queue cannot put it in order among other listeners' sentences (without one it
would wait behind every sentence that has a deadline, however far ahead).

So when a reading starts, :class:`PlaybackPlans` keeps for each of its
sentences its offset in the reading's playback (the estimated spoken length of
the sentences before it) and the time playback is expected to start (when its
first sentence is estimated to be ready). When the first sentence is served,
the actual start replaces the estimate: the deadline of a sentence is its
reading's start plus its offset. Bounded: the oldest readings are forgotten
first (their sentences are then asked for without a deadline, as before).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["MAX_PLANNED", "PlaybackPlans"]

MAX_PLANNED = 50_000
"""Sentences whose playback offset is kept (about 150 bytes each), the newest readings'."""

_SHORT = 24
"""Hex digits of a clip key kept: enough to tell sentences apart, a third of the memory."""


class PlaybackPlans:
    """Each planned sentence's reading and offset, and each reading's playback start."""

    def __init__(self, *, max_sentences: int = MAX_PLANNED) -> None:
        self._max = max_sentences
        self._offsets: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._starts: dict[str, float] = {}  # first key -> start (on the queue's clock)
        self._sentences: dict[str, int] = {}  # first key -> sentences planned under it

    def plan(self, keys: list[str], offsets: list[float], start: float) -> None:
        """A reading of ``keys`` (first key first) starts playing at about ``start``.

        ``offsets`` are the seconds of speech before each sentence.
        """
        if not keys:
            return
        first = keys[0][:_SHORT]
        self._starts[first] = start
        for key, offset in zip(keys, offsets, strict=True):
            short = key[:_SHORT]
            old = self._offsets.pop(short, None)
            if old is not None:
                self._forget(old[0])
            self._offsets[short] = (first, offset)
            self._sentences[first] = self._sentences.get(first, 0) + 1
        while len(self._offsets) > self._max:
            _, (owner, _offset) = self._offsets.popitem(last=False)
            self._forget(owner)

    def played(self, key: str, now: float) -> None:
        """``key`` was served: when it is a reading's first sentence, its playback starts now."""
        short = key[:_SHORT]
        if short in self._starts:
            self._starts[short] = now

    def deadline(self, key: str) -> float | None:
        """When the listener of ``key``'s reading will need it; None when not planned."""
        found = self._offsets.get(key[:_SHORT])
        if found is None:
            return None
        start = self._starts.get(found[0])
        return None if start is None else start + found[1]

    def __len__(self) -> int:
        return len(self._offsets)

    def _forget(self, first: str) -> None:
        left = self._sentences.get(first, 0) - 1
        if left > 0:
            self._sentences[first] = left
        else:
            self._sentences.pop(first, None)
            self._starts.pop(first, None)
