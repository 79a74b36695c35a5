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
  each commit is durable there before the vote is answered. A database
  that cannot be reached answers 503 ``database_unavailable`` with
  Retry-After; the pool reconnects by itself when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
from aiohttp import web

from feedback import pg
from feedback.records import (
    _INSERT_COMMENT,
    _INSERT_VOTE,
    _UPSERT_DAILY,
    _UPSERT_REASON,
    DATABASE_ERRORS,
    CommentExists,
    PurgeResult,
    UnknownVote,
    VoteResult,
    _Job,
    _reasons_text,
    _VoteRows,
    database_unavailable,
    new_id,
    reasons_list,
    token_key,
    utcnow,
)
from feedback.schema import ANSWERS, COMMENT_STATUSES, MIGRATIONS, REASONS
from feedback.urls import Sections
from ttsservice.errors import BadRequest, NotFound, Overloaded, ServiceError

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

T = TypeVar("T")


class FeedbackStore:
    """Votes, comments, daily totals and audit entries in one SQLite file.

    Open with :meth:`open` (or ``async with``), close with :meth:`close`
    (idempotent). Statistics are read with :meth:`fetchall`; the public
    statistics functions are in :mod:`feedback.stats`.
    """

    def __init__(
        self,
        path: Path,
        *,
        sections: Sections | None = None,
        clock: Callable[[], datetime] = utcnow,
        observe: Callable[[str, float], None] | None = None,
        queue_max: int = 4096,
        batch_max: int = 256,
        database_url: str = "",
    ) -> None:
        self.path = Path(path)
        self.database_url = database_url
        """``postgresql://…`` to use PostgreSQL instead of the SQLite file at ``path``."""
        self.sections = sections or Sections()
        """How pages are grouped into sections for statistics."""
        self.clock = clock
        """Where "now" comes from (tests inject a fixed day)."""
        self.batch_max = batch_max
        self._observe = observe
        self._queue_max = queue_max
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._pg: pg.PgConnection | None = None

    # --- lifecycle ---------------------------------------------------------
    async def open(self) -> FeedbackStore:
        """Create the file if needed, apply migrations, start the writer."""
        if self.database_url:
            await self._open_postgres()
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA busy_timeout=5000",
                "PRAGMA foreign_keys=ON",
            ):
                await self._writer.execute(pragma)
            await self._migrate(self._writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            self._reader.row_factory = sqlite3.Row
            await self._reader.execute("PRAGMA busy_timeout=5000")
            await self._reader.execute("PRAGMA query_only=ON")
        except BaseException:
            await self.close()
            raise
        self._start_writer()
        return self

    def _start_writer(self) -> None:
        self._queue = asyncio.Queue(self._queue_max)
        self._task = asyncio.create_task(self._write_loop(), name="feedback-writer")

    async def _open_postgres(self) -> None:
        try:
            writer = await pg.connect(self.database_url)
        except pg.DATABASE_ERRORS as exc:
            raise RuntimeError(
                f"cannot reach the PostgreSQL database of TTS_DATABASE_URL: {exc}"
            ) from exc
        # Two views of one pool: the writer holds a connection for each batch's
        # transaction, the reader borrows one per query. Both speak aiosqlite's API.
        self._pg = writer
        self._writer = cast(aiosqlite.Connection, writer)
        self._reader = cast(aiosqlite.Connection, pg.PgConnection(writer.pool))
        try:
            await self._migrate(self._writer)
        except BaseException:
            await self.close()
            raise
        self._start_writer()

    async def close(self) -> None:
        """Finish queued writes, stop the writer, close both connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None and self._queue is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=10)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pg is not None:
            with contextlib.suppress(Exception):
                await self._pg.close()
            self._pg = None
        else:
            for conn in (self._reader, self._writer):
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> FeedbackStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        if self._pg is not None:
            await self._migrate_postgres(self._pg)
            return
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with conn.execute("SELECT name FROM migrations") as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
        for name, statements in MIGRATIONS:
            if name in applied:
                continue
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (name, self.clock().isoformat(timespec="seconds")),
                )
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            logger.info("feedback database: applied migration %s", name)

    async def _migrate_postgres(self, conn: pg.PgConnection) -> None:
        # One transaction under an advisory lock: copies starting together migrate once.
        await conn.execute("BEGIN")
        try:
            await conn.migration_lock()
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            async with conn.execute("SELECT name FROM migrations") as cursor:
                applied = {row[0] for row in await cursor.fetchall()}
            for name, statements in MIGRATIONS:
                if name in applied:
                    continue
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (name, self.clock().isoformat(timespec="seconds")),
                )
                logger.info("feedback database: applied migration %s", name)
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(*DATABASE_ERRORS):
                await conn.execute("ROLLBACK")
            raise

    async def migrations(self) -> list[str]:
        """Names of the applied migrations, in order."""
        rows = await self.fetchall("SELECT name FROM migrations ORDER BY name")
        return [row["name"] for row in rows]

    # --- the writer --------------------------------------------------------
    async def _submit(
        self,
        operation: str,
        run: Callable[[aiosqlite.Connection], Awaitable[T]] | None,
        rows: _VoteRows | None = None,
    ) -> T:
        if self._queue is None or self._closed:
            raise RuntimeError("the feedback store is not open")
        job = _Job(operation, run, asyncio.get_running_loop().create_future(), rows)
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise Overloaded(
                "Too many votes are waiting to be saved. Try again in a second.",
                retry_after=1,
            ) from None
        try:
            result: T = await job.future
        except DATABASE_ERRORS as exc:
            logger.error("feedback database write failed: %s", exc)
            raise ServiceError(
                "The feedback could not be saved just now. Please try again in a minute.",
                code="database_unavailable",
                status=503,
                headers={"Retry-After": "30"},
            ) from exc
        return result

    async def _write_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self.batch_max and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._run_batch(batch)
            except Exception as exc:  # never let the writer die
                logger.exception("feedback writer failed a batch")
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
            finally:
                for _ in batch:
                    queue.task_done()

    async def _run_batch(self, batch: list[_Job]) -> None:
        conn = self._writer
        assert conn is not None
        outcomes: list[tuple[_Job, bool, Any]] = []
        live = [job for job in batch if not job.future.done()]  # done: the caller went away
        plain = [job.rows for job in live if job.rows is not None]
        try:
            await conn.execute("BEGIN IMMEDIATE")
            if plain:
                # Votes without a token touch no row another job reads: one statement each
                # for the whole batch instead of one per vote.
                await conn.executemany(_INSERT_VOTE, [r.vote for r in plain])
                await conn.executemany(_UPSERT_DAILY, [r.daily for r in plain])
                reason_rows = [row for r in plain for row in r.reasons]
                if reason_rows:
                    await conn.executemany(_UPSERT_REASON, reason_rows)
                comment_rows = [r.comment for r in plain if r.comment is not None]
                if comment_rows:
                    await conn.executemany(_INSERT_COMMENT, comment_rows)
            for job in live:
                if job.rows is not None:
                    outcomes.append((job, True, job.rows.result))
                    continue
                assert job.run is not None
                try:
                    outcomes.append((job, True, await job.run(conn)))
                except ServiceError as exc:  # raised before the job wrote anything
                    outcomes.append((job, False, exc))
            await conn.execute("COMMIT")
        except DATABASE_ERRORS:
            with contextlib.suppress(*DATABASE_ERRORS):
                await conn.execute("ROLLBACK")
            if len(batch) == 1:
                raise
            logger.warning("feedback write batch of %d failed; retrying one by one", len(batch))
            for job in batch:
                try:
                    await self._run_batch([job])
                except Exception as exc:
                    if not job.future.done():
                        job.future.set_exception(exc)
            return
        done = time.perf_counter()
        for job, ok, value in outcomes:
            if self._observe is not None:
                self._observe(job.operation, done - job.queued)
            if job.future.done():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    # --- reading -----------------------------------------------------------
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only query on the reader connection."""
        if self._reader is None:
            raise RuntimeError("the feedback store is not open")
        started = time.perf_counter()
        try:
            async with self._reader.execute(sql, params) as cursor:
                rows = list(await cursor.fetchall())
        except DATABASE_ERRORS as exc:
            logger.error("feedback database read failed: %s", exc)
            raise database_unavailable() from exc
        if self._observe is not None:
            self._observe("read", time.perf_counter() - started)
        return rows

    def today(self) -> date:
        """Today's date (UTC) by the store's clock."""
        return self.clock().astimezone(UTC).date()

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
    ) -> VoteResult:
        """Store a vote (and its comment); with ``token``, replace this visitor's earlier vote.

        ``url`` must be normalised and allowed, ``comment`` already cleaned and
        scrubbed (see :mod:`feedback.scrub`).
        """
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
                vote_row, daily_row, reason_rows, comment_row, VoteResult(vote_id, comment_id, None)
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
        :class:`ttsservice.speech.speaker.ClipRecords`); a key already recorded is kept.
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
