"""A batch of plain votes counted and written to PostgreSQL in one statement: one round trip.

The writer of :class:`feedback.store.FeedbackStore` commits whatever votes
are waiting as one batch. On SQLite a batch is ``BEGIN`` + an
``executemany`` per table + ``COMMIT``, all in process. On PostgreSQL each
of those is a network round trip, and the writer waits for every one of
them: in a profile under ``wrk`` the copy sat idle waiting on that chain.
Votes without a consent token (the common case) read nothing and only insert
and add, so the whole batch fits in one statement, data-modifying CTEs over
``unnest`` arrays: PostgreSQL runs it as one transaction (all rows or none)
and commits it durably before it answers, as the batch's ``COMMIT`` did.

**Counted in the same statement.** A vote without a comment comes with its
take from the client's shared vote bucket (:class:`VoteTake`) instead of
asking the shared counters first (:mod:`ttsservice.web.ratecounters`, a round
trip of its own before the vote could even be queued). The statement's first
CTE takes the batch's tokens, per client, with the very upsert the counters
use (so the limit holds across copies and parallel batches the same way);
only the votes it grants are stored, the others are answered 429 with the
time until the client's next token. Votes of the batch without a take (they
were counted before, like votes with a comment) are always stored.

``ON CONFLICT DO UPDATE`` may touch a row only once per statement, so the
takes are one row per client and the daily totals and reason counts are
summed per key (``GROUP BY``); each is sorted by its key, so two copies'
batches lock shared rows in the same order (no deadlock).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ttsservice.web.ratecounters import bucket_takes_sql, bucket_wait

__all__ = ["PlainVote", "VoteRefused", "VoteTake", "insert_plain_votes"]


class VoteRefused(Exception):
    """The client's shared vote bucket was empty: the vote was not stored."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"no vote token for {wait:.1f} s")
        self.wait = wait
        """Seconds until the client's bucket holds a token again."""


@dataclass(frozen=True, slots=True)
class VoteTake:
    """One token to take from a client's shared bucket before the vote is stored."""

    scope: str
    """The bucket's scope in ``rate_limits`` (``feedback.guard.SCOPE``)."""
    client: str
    """The client's pseudonymous key (hex), as the shared counters name it."""
    cap: float
    """Tokens the bucket holds when full."""
    per: float
    """Seconds in which an empty bucket refills."""


class PlainVote(Protocol):
    """The rows one vote without a consent token writes (``feedback.records._VoteRows``)."""

    @property
    def vote(self) -> tuple[Any, ...]:
        """``(id, url, answer, reasons, token_key, day)``."""

    @property
    def reasons(self) -> list[tuple[Any, ...]]:
        """``(day, url, reason)`` for each reason."""

    @property
    def comment(self) -> tuple[Any, ...] | None:
        """``(id, vote_id, url, answer, reasons, text, scrubbed, day)``, or None."""

    @property
    def take(self) -> VoteTake | None:
        """The token to take first, or None when the vote was counted already."""


_TAKES = bucket_takes_sql(
    "unnest($19::text[], $20::text[], $21::float8[], $22::float8[], $23::int[])"
    " AS i(scope, client, cap, per, want)",
    "$24::float8",
)

_STATEMENT = f"""
WITH takes AS ({_TAKES}
), granted AS (
    SELECT v.id, v.url, v.answer, v.reasons, v.token_key, v.day
    FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::int[]
    ) AS v(id, url, answer, reasons, token_key, day, client, rank)
    LEFT JOIN takes t ON t.client = v.client
    WHERE v.client IS NULL OR v.rank <= t.granted
), new_votes AS (
    INSERT INTO votes (id, url, answer, reasons, token_key, day)
    SELECT * FROM granted
), totals AS (
    INSERT INTO page_daily (day, url, yes, no)
    SELECT day, url, count(*) FILTER (WHERE answer = 'yes'),
        count(*) FILTER (WHERE answer = 'no')
    FROM granted GROUP BY day, url ORDER BY day, url
    ON CONFLICT (day, url) DO UPDATE
        SET yes = page_daily.yes + excluded.yes, no = page_daily.no + excluded.no
), reasons AS (
    INSERT INTO reason_daily (day, url, reason, n)
    SELECT g.day, g.url, r.reason, count(*)
    FROM unnest($9::text[], $10::text[]) AS r(vote_id, reason)
    JOIN granted g ON g.id = r.vote_id
    GROUP BY g.day, g.url, r.reason ORDER BY g.day, g.url, r.reason
    ON CONFLICT (day, url, reason) DO UPDATE SET n = reason_daily.n + excluded.n
), comments AS (
    INSERT INTO comments (id, vote_id, url, answer, reasons, text, scrubbed, day)
    SELECT c.id, c.vote_id, c.url, c.answer, c.reasons, c.text, c.scrubbed, c.day
    FROM unnest(
        $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
        $17::int[], $18::text[]
    ) AS c(id, vote_id, url, answer, reasons, text, scrubbed, day)
    JOIN granted g ON g.id = c.vote_id
)
SELECT client, granted, tokens FROM takes
"""  # noqa: S608 - fixed SQL only, the input goes in as parameters


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def statement_arguments(votes: Sequence[PlainVote], now: float) -> list[Any]:
    """The 24 arguments of the statement for ``votes`` at time ``now``."""
    wanted: Counter[str] = Counter()
    takes: dict[str, VoteTake] = {}
    clients: list[str | None] = []
    ranks: list[int] = []
    for vote in votes:
        take = vote.take
        if take is None:
            clients.append(None)
            ranks.append(0)
            continue
        wanted[take.client] += 1
        takes.setdefault(take.client, take)
        clients.append(take.client)
        ranks.append(wanted[take.client])  # earlier votes of a client get its tokens first
    reason_rows = [(vote.vote[0], row[2]) for vote in votes for row in vote.reasons]
    comments = [vote.comment for vote in votes if vote.comment is not None]
    order = sorted(takes)  # two copies' batches lock bucket rows in the same order
    return [
        *_columns([vote.vote for vote in votes], 6),
        clients,
        ranks,
        *_columns(reason_rows, 2),
        *_columns(comments, 8),
        [takes[client].scope for client in order],
        order,
        [takes[client].cap for client in order],
        [takes[client].per for client in order],
        [wanted[client] for client in order],
        now,
    ]


async def insert_plain_votes(pool: Any, votes: Sequence[PlainVote]) -> list[float | None]:
    """Count and write ``votes`` (with totals, reasons, comments) in one statement on ``pool``.

    One entry per vote: None when it was stored, else the seconds until its client may
    vote again (its bucket was empty; nothing of it was stored).
    """
    now = time.time()
    async with pool.acquire() as conn:
        rows = await conn.fetch(_STATEMENT, *statement_arguments(votes, now))
    buckets = {row["client"]: row for row in rows}
    outcome: list[float | None] = []
    given: Counter[str] = Counter()
    for vote in votes:
        take = vote.take
        if take is None:
            outcome.append(None)
            continue
        given[take.client] += 1
        row = buckets[take.client]
        if given[take.client] <= row["granted"]:
            outcome.append(None)
        else:
            outcome.append(max(0.0, bucket_wait(float(row["tokens"]), take.cap, take.per)))
    return outcome
