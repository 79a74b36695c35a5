"""The feedback database: votes, comments, daily totals and an audit trail, in SQLite.

Design, briefly:

- **One writer.** Every write goes through one aiosqlite connection, fed by
  a bounded queue and one task. The task takes whatever jobs are waiting
  (up to :attr:`FeedbackStore.batch_max`) and runs them in **one**
  ``BEGIN IMMEDIATE … COMMIT`` (group commit): under load many votes share
  one fsync, and nobody is answered before their transaction is committed.
  A job raises its domain errors (unknown vote, …) before it writes
  anything; if SQLite itself fails in a batch, the batch is rolled back and
  each job is retried alone, so one bad job cannot fail its neighbours.
  Votes without a consent token (the common case) are written batch-wide,
  one ``executemany`` per table, so a batch costs a handful of statements
  whatever its size. A full queue answers 503 ``overloaded`` with Retry-After.
- **A reader.** Statistics read through a second connection; WAL lets
  them run while votes are written.
- **Durability.** ``journal_mode=WAL`` with ``synchronous=FULL``: the WAL is
  fsynced at every commit, so a vote answered 201 survives ``kill -9`` *and*
  a power cut. (``NORMAL`` would survive ``kill -9`` too, since the
  committed WAL frames are in the OS page cache, but may lose the last
  commits on power loss; group commit makes FULL's fsync cheap enough.)
- **Privacy.** Votes and comments carry the UTC **day** only, never a
  time: enough for daily totals, weekly trends and retention, too coarse
  to match a vote to a visit in some other log. No address, user agent or
  cookie is ever stored. A consent token is stored only as
  ``sha256(token, page)``, so one visitor's votes on different pages
  cannot be linked.
- **Counters** are single upserts (``ON CONFLICT DO UPDATE SET yes = yes + …``).
- **Named migrations** recorded in the ``migrations`` table.
- **Two backends.** With a ``database_url`` (``postgresql://…``) the same
  statements run on PostgreSQL through an asyncpg pool (see
  :mod:`feedback.pg`), so several copies of the service share one store;
  each commit is durable there before the vote is answered. Batches of
  plain votes commit side by side there (up to
  :data:`feedback.database.PG_PLAIN_BATCHES`), so one waiting for its commit
  or for a row another copy holds does not hold up the next. A database
  that cannot be reached answers 503 ``database_unavailable`` with
  Retry-After; the pool reconnects by itself when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
from aiohttp import web

from feedback.database import _Database
from feedback.pgvotes import VoteTake
from feedback.records import (
    _INSERT_COMMENT,
    _INSERT_VOTE,
    _UPSERT_DAILY,
    _UPSERT_REASON,
    CommentExists,
    PurgeResult,
    UnknownVote,
    VoteResult,
    _reasons_text,
    _VoteRows,
    new_id,
    reasons_list,
    token_key,
)
from feedback.schema import ANSWERS, COMMENT_STATUSES, MIGRATIONS, REASONS
from ttsservice.errors import BadRequest, NotFound

__all__ = [
    "ANSWERS",
    "COMMENT_STATUSES",
    "MIGRATIONS",
    "REASONS",
    "FeedbackStore",
    "PurgeResult",
    "VoteResult",
    "token_key",
]

logger = logging.getLogger(__name__)


class FeedbackStore(_Database):
    """Votes, comments, daily totals and audit entries in one SQLite file.

    Open with :meth:`open` (or ``async with``), close with :meth:`close`
    (idempotent). Statistics are read with :meth:`fetchall`; the public
    statistics functions are in :mod:`feedback.stats`.
    """

    # --- writes ------------------------------------------------------------
    async def add_vote(
        self,
        url: str,
        answer: str,
        reasons: Sequence[str] = (),
        *,
        comment: str | None = None,
        scrubbed: bool = False,
        token: str | None = None,
        take: VoteTake | None = None,
    ) -> VoteResult:
        """Store a vote (and its comment); with ``token``, replace this visitor's earlier vote.

        ``url`` must be normalised and allowed, ``comment`` already cleaned and
        scrubbed (see :mod:`feedback.scrub`). ``take`` (PostgreSQL, no ``token``): count the
        vote in the client's shared bucket in the statement that stores it; raises
        :class:`feedback.pgvotes.VoteRefused` when the bucket is empty.
        """
        if take is not None and (token or not self.database_url):
            raise ValueError("a vote is counted as it is stored only on PostgreSQL, without token")
        if answer not in ANSWERS:
            raise BadRequest("The answer must be 'yes' or 'no'.", code="bad_answer")
        reason_text = _reasons_text(reasons)
        day = self.today().isoformat()
        vote_id = new_id()
        comment_id = new_id() if comment else None
        key = token_key(token, url) if token else None
        yes, no = (1, 0) if answer == "yes" else (0, 1)
        vote_row = (vote_id, url, answer, reason_text, key, day)
        daily_row = (day, url, yes, no)
        reason_rows = [(day, url, r) for r in reasons_list(reason_text)]
        comment_row = None
        if comment_id is not None:
            comment_row = (
                comment_id,
                vote_id,
                url,
                answer,
                reason_text,
                comment,
                int(scrubbed),
                day,
            )
        if key is None:
            rows = _VoteRows(
                vote_row,
                daily_row,
                reason_rows,
                comment_row,
                VoteResult(vote_id, comment_id, None),
                take,
            )
            result: VoteResult = await self._submit("vote", None, rows)
            return result

        async def run(conn: aiosqlite.Connection) -> VoteResult:
            replaced: str | None = None
            if key is not None:
                async with conn.execute(
                    "SELECT id, answer, reasons, day FROM votes WHERE token_key = ?", (key,)
                ) as cursor:
                    old = await cursor.fetchone()
                if old is not None:
                    replaced = old[0]
                    old_yes, old_no = (1, 0) if old[1] == "yes" else (0, 1)
                    await conn.execute("DELETE FROM votes WHERE id = ?", (old[0],))
                    await conn.execute(
                        "UPDATE page_daily SET yes = yes - ?, no = no - ? "
                        "WHERE day = ? AND url = ?",
                        (old_yes, old_no, old[3], url),
                    )
                    await conn.executemany(
                        "UPDATE reason_daily SET n = n - 1 "
                        "WHERE day = ? AND url = ? AND reason = ?",
                        [(old[3], url, r) for r in reasons_list(old[2])],
                    )
            await conn.execute(_INSERT_VOTE, vote_row)
            await conn.execute(_UPSERT_DAILY, daily_row)
            if reason_rows:
                await conn.executemany(_UPSERT_REASON, reason_rows)
            if comment_row is not None:
                await conn.execute(_INSERT_COMMENT, comment_row)
            return VoteResult(vote_id, comment_id, replaced)

        return await self._submit("vote", run)

    async def add_comment(
        self,
        vote_id: str,
        comment: str,
        *,
        scrubbed: bool = False,
        reasons: Sequence[str] = (),
    ) -> tuple[str, str]:
        """Attach a (cleaned, scrubbed) comment to an earlier vote, adding ``reasons`` to it.

        Returns ``(comment_id, url)``. Raises ``unknown_vote`` (404),
        ``comment_exists`` (409), or ``bad_reason`` for reasons on a "yes".
        """
        day = self.today().isoformat()
        comment_id = new_id()

        async def run(conn: aiosqlite.Connection) -> tuple[str, str]:
            async with conn.execute(
                "SELECT url, answer, reasons, day FROM votes WHERE id = ?", (vote_id,)
            ) as cursor:
                vote = await cursor.fetchone()
            if vote is None:
                raise UnknownVote(
                    "There is no vote with this id (it may have been deleted). Send the "
                    "comment with a new vote instead.",
                )
            async with conn.execute(
                "SELECT 1 FROM comments WHERE vote_id = ? LIMIT 1", (vote_id,)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    raise CommentExists("This vote already has a comment; one comment per vote.")
            url, answer, old_text, vote_day = vote
            old = set(reasons_list(old_text))
            added = sorted(set(reasons) - old)
            if added and answer != "no":
                raise BadRequest(
                    "Reasons explain a 'no' answer; this vote answered 'yes'.", code="bad_reason"
                )
            all_reasons = _reasons_text(old | set(added))
            if added:
                await conn.execute(
                    "UPDATE votes SET reasons = ? WHERE id = ?", (all_reasons, vote_id)
                )
                await conn.executemany(_UPSERT_REASON, [(vote_day, url, r) for r in added])
            await conn.execute(
                _INSERT_COMMENT,
                (comment_id, vote_id, url, answer, all_reasons, comment, int(scrubbed), day),
            )
            return comment_id, url

        return await self._submit("comment", run)

    async def set_comment_status(
        self, comment_id: str, status: str, reason: str | None = None
    ) -> None:
        """Set a comment's triage status (``ej_åtgärdbar`` needs a reason); audited."""
        if status not in COMMENT_STATUSES:
            raise BadRequest(
                f"Unknown status {status!r}; use one of {', '.join(COMMENT_STATUSES)}.",
                code="bad_status",
            )
        reason = (reason or "").strip() or None
        if status == "ej_åtgärdbar" and not reason:
            raise BadRequest(
                "Say why the comment cannot be acted on (field 'reason').", code="missing_reason"
            )
        if reason is not None and len(reason) > 500:
            raise BadRequest("The reason is too long: at most 500 characters.", code="too_long")
        at = self.clock().isoformat(timespec="seconds")

        async def run(conn: aiosqlite.Connection) -> None:
            cursor = await conn.execute(
                "UPDATE comments SET status = ?, status_reason = ? WHERE id = ?",
                (status, reason, comment_id),
            )
            if cursor.rowcount == 0:
                raise NotFound("There is no comment with this id.", code="unknown_comment")
            await conn.execute(
                "INSERT INTO audit (at, action, detail) VALUES (?, 'comment_status', ?)",
                (at, json.dumps({"comment": comment_id, "status": status, "reason": reason})),
            )

        await self._submit("status", run)

    async def purge(
        self, *, comment_days: int, vote_days: int, always_audit: bool = True
    ) -> PurgeResult:
        """Delete comments and raw votes older than the retention periods; audited.

        Daily totals stay. The audit entry is written when anything was deleted,
        or always when ``always_audit`` is set (a run on demand).
        """
        today = self.today()
        comments_before = today - timedelta(days=comment_days)
        votes_before = today - timedelta(days=vote_days)
        at = self.clock().isoformat(timespec="seconds")

        async def run(conn: aiosqlite.Connection) -> PurgeResult:
            cursor = await conn.execute(
                "DELETE FROM comments WHERE day < ?", (comments_before.isoformat(),)
            )
            comments = cursor.rowcount
            cursor = await conn.execute(
                "DELETE FROM votes WHERE day < ?", (votes_before.isoformat(),)
            )
            votes = cursor.rowcount
            result = PurgeResult(comments, votes, comments_before, votes_before)
            if comments or votes or always_audit:
                detail = {
                    "comments_deleted": comments,
                    "votes_deleted": votes,
                    "comments_before": comments_before.isoformat(),
                    "votes_before": votes_before.isoformat(),
                }
                await conn.execute(
                    "INSERT INTO audit (at, action, detail) VALUES (?, 'retention', ?)",
                    (at, json.dumps(detail)),
                )
            return result

        return await self._submit("purge", run)

    async def note_page_change(self, url: str, day: date) -> None:
        """Record that the page at (normalised) ``url`` says it was changed on ``day``."""
        seen = self.clock().isoformat(timespec="seconds")

        async def run(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT OR IGNORE INTO page_changes (url, day, seen) VALUES (?, ?, ?)",
                (url, day.isoformat(), seen),
            )

        await self._submit("page_change", run)

    async def page_changes(self, url: str) -> list[date]:
        """The dates the page has said it was changed on, newest first."""
        rows = await self.fetchall(
            "SELECT day FROM page_changes WHERE url = ? ORDER BY day DESC", (url,)
        )
        return [date.fromisoformat(row["day"]) for row in rows]

    async def check_writable(self) -> None:
        """Prove a write would be stored now; raises (OSError or the database's error) if not.

        The writer queue takes the write lock (a batch is ``BEGIN IMMEDIATE … COMMIT``). A
        transaction that changes nothing writes nothing, so for SQLite a few bytes are also
        written and synced beside the database file: a full disk or a read-only or immutable
        folder fails there, as the next vote would. PostgreSQL must be in read-write mode.
        """
        postgres = self._pg is not None

        async def run(conn: aiosqlite.Connection) -> None:
            if not postgres:
                return
            async with conn.execute("SHOW transaction_read_only") as cursor:
                row = await cursor.fetchone()
            if row is not None and str(row[0]).lower() == "on":
                raise OSError("the PostgreSQL server takes no writes (read-only)")

        await asyncio.wait_for(self._submit("check", run), timeout=1.5)
        if not postgres:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(loop.run_in_executor(None, _probe_write, self.path), 1.5)

    async def put_clip_records(self, items: list[tuple[str, str]]) -> None:
        """Record what clip keys stand for (``(key, spec JSON)``), so every copy can render them.

        Used by the speaker when TTS_DATABASE_URL is set (see
        :class:`ttsservice.speech.clips.ClipRecords`); a key already recorded is kept.
        """
        if not items:
            return
        day = self.today().isoformat()

        async def run(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT OR IGNORE INTO clip_records (key, spec, day) VALUES (?, ?, ?)",
                [(key, spec, day) for key, spec in items],
            )

        await self._submit("clip_records", run)

    async def clip_record(self, key: str) -> str | None:
        """The spec JSON recorded for a clip key, or None."""
        rows = await self.fetchall("SELECT spec FROM clip_records WHERE key = ?", (key,))
        return str(rows[0]["spec"]) if rows else None

    async def put_reading_record(self, ident: str, record: str) -> None:
        """Record which clips reading ``ident`` is made of (its JSON record); kept if present."""
        day = self.today().isoformat()

        async def run(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT OR IGNORE INTO reading_records (id, record, day) VALUES (?, ?, ?)",
                (ident, record, day),
            )

        await self._submit("clip_records", run)

    async def reading_record(self, ident: str) -> str | None:
        """The JSON record of reading ``ident``, or None."""
        rows = await self.fetchall("SELECT record FROM reading_records WHERE id = ?", (ident,))
        return str(rows[0]["record"]) if rows else None

    async def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit entries, newest first."""
        rows = await self.fetchall(
            "SELECT at, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            {"at": row["at"], "action": row["action"], "detail": json.loads(row["detail"])}
            for row in rows
        ]


FEEDBACK: web.AppKey[FeedbackStore] = web.AppKey("feedback")
"""The open feedback store (votes, comments, totals); pass it to feedback.stats functions."""


def _probe_write(database: Path) -> None:
    """Write and sync a few bytes beside ``database`` (raises OSError if the disk will not)."""
    probe = database.with_name(f".{database.name}.write-check")
    try:
        with probe.open("wb") as f:
            f.write(b"ok\n" * 1024)
            f.flush()
            os.fsync(f.fileno())
    finally:
        probe.unlink(missing_ok=True)
