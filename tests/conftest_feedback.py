"""Fixtures for the feedback tests: a real store on SQLite and on PostgreSQL, a settable clock.

The ``store`` fixture is parametrised over both backends, so every test that
uses it runs twice: on a fresh SQLite file and on a fresh PostgreSQL database
of the session's server (:mod:`tests.conftest_postgres`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from feedback.store import FeedbackStore
from feedback.urls import Sections

pytest_plugins = ["tests.conftest_postgres"]


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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """``""`` (SQLite under the data folder) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def store(tmp_path: Path, clock: Clock, database_url: str) -> AsyncIterator[FeedbackStore]:
    """An open store on a fresh database; sections vard and kultur=/kultur-och-fritid."""
    sections = Sections.parse(["vard", "kultur=/kultur-och-fritid"])
    async with FeedbackStore(
        tmp_path / "feedback.sqlite3", sections=sections, clock=clock, database_url=database_url
    ) as s:
        yield s
