"""Fixtures for the feedback tests: a real store on a SQLite file with a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from feedback.store import FeedbackStore
from feedback.urls import Sections


class Clock:
    """A clock tests move by hand."""

    def __init__(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)

    def set(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2026, 3, 2))  # a Monday


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[FeedbackStore]:
    """An open store on a fresh SQLite file; sections vard and kultur=/kultur-och-fritid."""
    sections = Sections.parse(["vard", "kultur=/kultur-och-fritid"])
    async with FeedbackStore(tmp_path / "feedback.sqlite3", sections=sections, clock=clock) as s:
        yield s
