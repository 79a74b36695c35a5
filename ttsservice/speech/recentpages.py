"""The readings made lately, so a full service can refuse a new one before reading its page.

When as many listeners play as the synthesis capacity keeps in time, a new
listener whose first sentences need synthesising gets 503. Which sentences a
reading has is known only once its page is fetched, extracted and planned: work
that, done for every listener refused in a crowd, takes the processor from the
sentences of those already listening. So this book keeps, for each page (or
selected text) read lately, the keys of the sentences a reading starts with.
A new reading of a page whose first sentences are made or being made still goes
ahead (it costs no synthesis: a crowd on one popular page is all served); one of
a page not read lately, or whose first sentences are gone from the cache, is
refused at once. Bounded: the pages read longest ago are forgotten first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

__all__ = ["MAX_PAGES", "RecentPages", "reading_source"]

MAX_PAGES = 2_000
"""Pages (or texts) whose first sentences' keys are kept (about 1.2 KB each: eight keys of
64 hexadecimal digits), the ones read most lately: a portal's much-read pages."""


def reading_source(url: str | None, text: str | None, lang: str | None, voice: str | None) -> str:
    """What a reading is made from, as a short key: its page or its text, and its voice."""
    what = f"url\0{url}" if url is not None else f"text\0{lang or ''}\0{text or ''}"
    return hashlib.sha256(f"{what}\0{voice or ''}".encode()).hexdigest()[:32]


class RecentPages:
    """For each source read lately, the keys of the sentences its reading starts with."""

    def __init__(self, *, max_pages: int = MAX_PAGES) -> None:
        self._max = max_pages
        self._first: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def read(self, source: str, first_keys: list[str]) -> None:
        """A reading of ``source`` starts with ``first_keys``."""
        self._first.pop(source, None)
        self._first[source] = tuple(first_keys)
        while len(self._first) > self._max:
            self._first.popitem(last=False)

    def first_keys(self, source: str) -> tuple[str, ...] | None:
        """The keys the last reading of ``source`` started with; None when not read lately."""
        return self._first.get(source)

    def __len__(self) -> int:
        return len(self._first)
