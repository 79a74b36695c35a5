"""A batch of plain votes written to PostgreSQL in one statement: one round trip, one commit.

The writer of :class:`feedback.store.FeedbackStore` commits whatever votes
are waiting as one batch. On SQLite a batch is ``BEGIN`` + an
``executemany`` per table + ``COMMIT``, all in process. On PostgreSQL each
of those is a network round trip, and the one writer waits for every one
of them before it can start the next batch: in a profile under ``wrk`` the
copy sat idle waiting on that chain. Votes without a consent token (the
common case) read nothing and only insert and add, so the whole batch fits
in one statement, data-modifying CTEs over ``unnest`` arrays: PostgreSQL runs
it as one transaction (all rows or none) and commits it durably before it
answers, as the batch's ``COMMIT`` did.

``ON CONFLICT DO UPDATE`` may touch a row only once per statement, so the
daily totals and reason counts are summed per key here first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["PlainVote", "insert_plain_votes"]


class PlainVote(Protocol):
    """The rows one vote without a consent token writes (``feedback.store._VoteRows``)."""

    @property
    def vote(self) -> tuple[Any, ...]:
        """``(id, url, answer, reasons, token_key, day)``."""

    @property
    def daily(self) -> tuple[Any, ...]:
        """``(day, url, yes, no)``."""

    @property
    def reasons(self) -> list[tuple[Any, ...]]:
        """``(day, url, reason)`` for each reason."""

    @property
    def comment(self) -> tuple[Any, ...] | None:
        """``(id, vote_id, url, answer, reasons, text, scrubbed, day)``, or None."""


_STATEMENT = """
WITH new_votes AS (
    INSERT INTO votes (id, url, answer, reasons, token_key, day)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
), totals AS (
    INSERT INTO page_daily (day, url, yes, no)
    SELECT * FROM unnest($7::text[], $8::text[], $9::int[], $10::int[])
    ON CONFLICT (day, url) DO UPDATE
        SET yes = page_daily.yes + excluded.yes, no = page_daily.no + excluded.no
), reasons AS (
    INSERT INTO reason_daily (day, url, reason, n)
    SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::int[])
    ON CONFLICT (day, url, reason) DO UPDATE SET n = reason_daily.n + excluded.n
)
INSERT INTO comments (id, vote_id, url, answer, reasons, text, scrubbed, day)
SELECT * FROM unnest(
    $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
    $21::int[], $22::text[]
)
"""


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def statement_arguments(votes: Sequence[PlainVote]) -> list[list[Any]]:
    """The 22 array arguments of the statement for ``votes``."""
    totals: Counter[tuple[str, str]] = Counter()
    noes: Counter[tuple[str, str]] = Counter()
    reasons: Counter[tuple[str, str, str]] = Counter()
    for vote in votes:
        day, url, yes, no = vote.daily
        totals[(day, url)] += yes
        noes[(day, url)] += no
        for row in vote.reasons:
            reasons[(row[0], row[1], row[2])] += 1
    # Sorted keys: two copies' batches lock shared total rows in the same order (no deadlock).
    daily = [(day, url, totals[(day, url)], noes[(day, url)]) for day, url in sorted(totals)]
    reason_rows = [(*key, n) for key, n in sorted(reasons.items())]
    comments = [vote.comment for vote in votes if vote.comment is not None]
    return [
        *_columns([vote.vote for vote in votes], 6),
        *_columns(daily, 4),
        *_columns(reason_rows, 4),
        *_columns(comments, 8),
    ]


async def insert_plain_votes(pool: Any, votes: Sequence[PlainVote]) -> None:
    """Write ``votes`` (and their totals, reasons and comments) in one statement on ``pool``."""
    async with pool.acquire() as conn:
        await conn.execute(_STATEMENT, *statement_arguments(votes))
