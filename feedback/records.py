"""What the feedback store takes and gives: results, errors, ids and the write statements."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite

from feedback import pg
from feedback.pgvotes import VoteTake
from ttsservice.errors import NotFound, ServiceError


class UnknownVote(NotFound):
    """The vote a follow-up comment names does not exist (or was deleted)."""

    code = "unknown_vote"


class CommentExists(ServiceError):
    """The vote already has its comment."""

    status = 409
    code = "comment_exists"


DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, *pg.DATABASE_ERRORS)
"""What either backend raises when the database itself fails."""


def database_unavailable() -> ServiceError:
    """The canonical 503 for a database that cannot be reached or written just now."""
    return ServiceError(
        "The feedback database cannot be reached just now. Please try again in a minute.",
        code="database_unavailable",
        status=503,
        headers={"Retry-After": "30"},
    )


def token_key(token: str, url: str) -> str:
    """What is stored of a consent token: a hash bound to one page, unlinkable across pages."""
    return hashlib.sha256(f"{token}\n{url}".encode()).hexdigest()


def new_id() -> str:
    """A random, unguessable id (128 bits) in lower-case hex.

    Hex, not base64url: an id starting with "-" is read as a formula by
    spreadsheets, so the CSV downloads would have to escape it and the id
    there would no longer match the one in the API.
    """
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class VoteResult:
    """What storing a vote did."""

    id: str
    """The new vote's id."""
    comment_id: str | None
    """The id of the comment stored with it, if any."""
    replaced: str | None
    """The id of the earlier vote with the same consent token it replaced, if any."""


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a retention run deleted."""

    comments: int
    """Comments deleted."""
    votes: int
    """Raw votes deleted (their daily totals stay)."""
    comments_before: date
    """Comments from before this day were deleted."""
    votes_before: date
    """Votes from before this day were deleted."""


@dataclass(frozen=True, slots=True)
class _VoteRows:
    """The rows a vote without consent token writes; such votes are written batch-wide."""

    vote: tuple[Any, ...]
    daily: tuple[Any, ...]
    reasons: list[tuple[Any, ...]]
    comment: tuple[Any, ...] | None
    result: VoteResult
    take: VoteTake | None = None
    """On PostgreSQL: the token to take from the client's shared bucket in the same statement."""


@dataclass(slots=True)
class _Job:
    operation: str
    run: Callable[[aiosqlite.Connection], Awaitable[Any]] | None
    future: asyncio.Future[Any]
    rows: _VoteRows | None = None
    queued: float = field(default_factory=time.perf_counter)


_INSERT_VOTE = (
    "INSERT INTO votes (id, url, answer, reasons, token_key, day) VALUES (?, ?, ?, ?, ?, ?)"
)
_UPSERT_DAILY = (
    "INSERT INTO page_daily (day, url, yes, no) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, url) DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no"
)
_UPSERT_REASON = (
    "INSERT INTO reason_daily (day, url, reason, n) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (day, url, reason) DO UPDATE SET n = n + 1"
)
_INSERT_COMMENT = (
    "INSERT INTO comments (id, vote_id, url, answer, reasons, text, scrubbed, day) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _reasons_text(reasons: Iterable[str]) -> str:
    return ",".join(sorted(set(reasons)))


def reasons_list(text: str) -> list[str]:
    """Stored reasons (comma-separated) as a list."""
    return [r for r in text.split(",") if r]
