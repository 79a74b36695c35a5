"""Helpers for the dashboard tests: the test account, signing in, votes on chosen days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from feedback.store import FEEDBACK, FeedbackStore

USER = "redaktor"
PASSWORD = "rätt häst batteri häftklammer"
SITE = "https://www.regionstockholm.se"


class Clock:
    """A clock tests move by hand (the store's ``clock``)."""

    def __init__(self, day: date) -> None:
        self.set(day)

    def set(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def sign_in(client: TestClient[Any, Any], password: str = PASSWORD) -> Any:
    """Post the sign-in form as a browser would (token from the form)."""
    form = await (await client.get("/dashboard/login")).text()
    return await client.post(
        "/dashboard/login",
        data={"user": USER, "password": password, "csrf": csrf_of(form), "next": "/dashboard"},
        allow_redirects=False,
    )


def store_of(client: TestClient[Any, Any]) -> FeedbackStore:
    """The running app's feedback store."""
    return client.server.app[FEEDBACK]  # type: ignore[union-attr]


async def add_votes(
    store: FeedbackStore,
    url: str,
    yes: int,
    no: int,
    *,
    day: date | None = None,
    reasons: tuple[str, ...] = ("outdated",),
) -> None:
    """Votes through the store (on ``day`` when given)."""
    if day is not None:
        assert isinstance(store.clock, Clock)
        keep = store.clock.now
        store.clock.set(day)
    for _ in range(yes):
        await store.add_vote(url, "yes")
    for _ in range(no):
        await store.add_vote(url, "no", reasons)
    if day is not None:
        store.clock.now = keep
