"""The feedback HTTP API: votes, follow-up comments, reasons and the statistics endpoints.

This module wires it into the app (:func:`setup`: store, retention, routes,
readiness check, page change notes); the handlers live in
:mod:`feedback.votes` (visitors) and :mod:`feedback.statsapi` (web team).

Visitors (through the widget, cross-origin from allowed portals):

- ``POST /api/v1/votes`` → 201 ``{"id", "scrubbed"}``
- ``POST /api/v1/votes/{id}/comment`` → 201 ``{"id", "scrubbed"}``
- ``GET /api/v1/feedback/reasons?lang=sv|en|fi|ar``

Decisions a client should know:

- **Honeypot**: a non-empty ``website`` field is answered exactly like a
  stored vote (201 with an id) so a bot learns nothing, but nothing is
  stored; it is counted as rejection ``honeypot``.
- **Repeats**: an identical submission within a few seconds is answered
  201 with the *same* id, not 409 (a double click is not an error); it is
  counted as rejection ``duplicate``. With the widget's consent ``token``,
  a later vote on the same page replaces the earlier one.

The web team (``Authorization: Bearer TTS_STATS_TOKEN``; every list also
with ``?format=csv``): ``/api/v1/stats/pages``, ``/api/v1/stats/pages/detail``,
``/api/v1/stats/sections``, ``/api/v1/stats/comments`` and
``PATCH /api/v1/stats/comments/{id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from feedback.guard import FEEDBACK_GUARD, FeedbackGuard, FeedbackMetrics
from feedback.statsapi import (
    stats_comment_status,
    stats_comments,
    stats_page_detail,
    stats_pages,
    stats_sections,
)
from feedback.store import FEEDBACK, FeedbackStore
from feedback.urls import Sections, check_page_url
from feedback.votes import get_reasons, post_comment, post_vote
from ttsservice import keys, sharedkeys
from ttsservice.errors import ServiceError
from ttsservice.reading.model import PAGE_OBSERVERS
from ttsservice.web.health import READINESS_CHECKS, Check

__all__ = ["setup"]

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ttsservice.reading.model import Reading

RETENTION_INTERVAL = 6 * 3600.0
"""Seconds between retention runs (the first runs at start)."""


# --- wiring ----------------------------------------------------------------------
async def retention_loop(store: FeedbackStore, comment_days: int, vote_days: int) -> None:
    """Delete expired comments and raw votes now and every :data:`RETENTION_INTERVAL`."""
    while True:
        try:
            result = await store.purge(
                comment_days=comment_days, vote_days=vote_days, always_audit=False
            )
            if result.comments or result.votes:
                logger.info(
                    "retention: deleted %d comments and %d votes", result.comments, result.votes
                )
        except Exception:
            logger.exception("retention run failed; trying again later")
        await asyncio.sleep(RETENTION_INTERVAL)


class PageChangeNotes:
    """Keeps the change dates pages state about themselves when the service reads them.

    The dashboard marks the latest on the page's trend and compares the answers
    before and after it. Each (page, date) is written once; the few hundred
    pages of a portal are remembered here so repeat readings cost nothing.
    """

    REMEMBERED = 10_000

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._noted: dict[str, date] = {}

    async def __call__(self, reading: Reading) -> None:
        """Note ``reading``'s change date for its page, when it has one."""
        if reading.modified is None or reading.url is None:
            return
        try:
            url = check_page_url(reading.url, self._app[keys.SETTINGS])
        except ServiceError:
            return
        store = self._app.get(FEEDBACK)
        if store is None or self._noted.get(url) == reading.modified:
            return
        if reading.modified > store.today() + timedelta(days=1):
            return  # a date ahead is a publishing plan or a typo, not a change
        try:
            await store.note_page_change(url, reading.modified)
        except (ServiceError, RuntimeError) as exc:  # busy or closing: a later reading notes it
            logger.warning("the change date of %s was not saved: %s", url, exc)
            return
        if len(self._noted) >= self.REMEMBERED:
            self._noted.clear()
        self._noted[url] = reading.modified


def setup(app: web.Application) -> None:
    """Open the feedback store at start, add the routes, the readiness check and metrics."""
    settings = app[keys.SETTINGS]
    sections = Sections.from_settings(settings)
    metrics = FeedbackMetrics(app[keys.REGISTRY], sections.names)
    app[FEEDBACK_GUARD] = FeedbackGuard(
        settings.votes_per_minute,
        metrics,
        daily_salt=functools.partial(app[keys.SHARED_KEYS].daily_salt, sharedkeys.VOTE_LIMIT_SALT),
    )

    async def feedback_ctx(app: web.Application) -> AsyncIterator[None]:
        store = FeedbackStore(
            settings.db_path,
            sections=sections,
            observe=metrics.observe_db,
            database_url=settings.database_url,
        )
        await store.open()
        app[FEEDBACK] = store
        retention = asyncio.create_task(
            retention_loop(store, settings.comment_retention_days, settings.vote_retention_days),
            name="feedback-retention",
        )
        try:
            yield
        finally:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            await store.close()

    async def database_check() -> Check:
        store = app.get(FEEDBACK)
        if store is None:
            return Check("database", "failed", "the feedback database is not open yet")
        where = "TTS_DATABASE_URL" if settings.database_url else str(settings.db_path)
        hint = (
            "check that PostgreSQL is running and reachable"
            if settings.database_url
            else "check the folder's permissions and free space"
        )
        try:
            await store.check_writable()
        except Exception as exc:
            return Check(
                "database",
                "failed",
                f"the feedback database at {where} is not writable ({exc!r}); {hint}",
            )
        return Check("database", "ok", "writable")

    app.cleanup_ctx.append(feedback_ctx)
    app[READINESS_CHECKS].append(database_check)
    app[PAGE_OBSERVERS].append(PageChangeNotes(app))
    router = app.router
    router.add_post("/api/v1/votes", post_vote)
    router.add_post("/api/v1/votes/{id}/comment", post_comment)
    router.add_get("/api/v1/feedback/reasons", get_reasons)
    router.add_get("/api/v1/stats/pages", stats_pages)
    router.add_get("/api/v1/stats/pages/detail", stats_page_detail)
    router.add_get("/api/v1/stats/sections", stats_sections)
    router.add_get("/api/v1/stats/comments", stats_comments)
    router.add_patch("/api/v1/stats/comments/{id}", stats_comment_status)
    router.add_post("/api/v1/stats/comments/{id}", stats_comment_status)
