"""The feedback database itself: its connections (SQLite, or PostgreSQL through
:mod:`feedback.pg`), the named migrations applied at open, and the one writer that
groups waiting jobs into one transaction. :class:`feedback.store.FeedbackStore`
adds the queries; the design is described in :mod:`feedback.store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import aiosqlite

from feedback import pg, pgvotes
from feedback.records import (
    _INSERT_COMMENT,
    _INSERT_VOTE,
    _UPSERT_DAILY,
    _UPSERT_REASON,
    DATABASE_ERRORS,
    _Job,
    _VoteRows,
    database_unavailable,
    utcnow,
)
from feedback.schema import MIGRATIONS
from feedback.urls import Sections
from ttsservice.errors import Overloaded, ServiceError

logger = logging.getLogger(__name__)


T = TypeVar("T")

PG_PLAIN_BATCHES = 4
"""Batches of plain votes one copy commits on PostgreSQL at the same time.

SQLite has one writer, so one batch at a time is all it can do. On PostgreSQL
a batch that waits for its commit (the WAL flush) would otherwise hold up
every vote that arrives meanwhile, and a batch blocked on a row another copy
holds would hold up all of them; PostgreSQL flushes concurrent commits
together. Plain-vote batches touch shared rows (daily totals) only through
upserts in sorted key order, so they cannot deadlock each other. Less than
the pool's size, so reads always find a connection."""


class _Database:
    """The feedback database's connections, migrations and its one writer (see the module)."""

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
        self._in_flight: set[asyncio.Task[None]] = set()
        self._closed = False
        self._pg: pg.PgConnection | None = None

    # --- lifecycle ---------------------------------------------------------
    async def open(self) -> Self:
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
            for task in list(self._in_flight):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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

    async def __aenter__(self) -> Self:
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
        # On PostgreSQL, batches of plain votes run side by side (see PG_PLAIN_BATCHES); a
        # free slot is awaited before a batch is taken, so batches grow while all are busy.
        slots = asyncio.Semaphore(PG_PLAIN_BATCHES if self._pg is not None else 1)
        while True:
            await slots.acquire()
            batch = [await queue.get()]
            while len(batch) < self.batch_max and not queue.empty():
                batch.append(queue.get_nowait())
            if self._pg is None:
                await self._finish_batch(batch, slots)
                continue
            # Plain votes (counted in their own statement, see feedback.pgvotes) go apart.
            plain = [job for job in batch if job.rows is not None]
            others = [job for job in batch if job.rows is None]
            if plain:
                task = asyncio.create_task(self._finish_batch(plain, slots), name="feedback-votes")
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            else:
                slots.release()
            if others:
                # The rest (token votes, comments, triage, purge) runs alone, as on SQLite.
                if self._in_flight:
                    await asyncio.wait(set(self._in_flight))
                await self._finish_batch(others, None)

    async def _finish_batch(self, batch: list[_Job], slot: asyncio.Semaphore | None) -> None:
        """Run ``batch``, answer its jobs whatever happens, then free its slot."""
        assert self._queue is not None
        try:
            await self._run_batch(batch)
        except Exception as exc:  # never let the writer die
            logger.exception("feedback writer failed a batch")
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
        finally:
            if slot is not None:
                slot.release()
            for _ in batch:
                self._queue.task_done()

    async def _run_batch(self, batch: list[_Job]) -> None:
        conn = self._writer
        assert conn is not None
        outcomes: list[tuple[_Job, bool, Any]] = []
        live = [job for job in batch if not job.future.done()]  # done: the caller went away
        if not live:
            return
        plain = [job.rows for job in live if job.rows is not None]
        if self._pg is not None and plain and len(plain) == len(live):
            # Only plain votes: one statement, one round trip (see feedback.pgvotes).
            try:
                refused = await pgvotes.insert_plain_votes(self._pg.pool, plain)
            except DATABASE_ERRORS:
                if len(batch) == 1:
                    raise
                await self._run_one_by_one(batch)
                return
            self._resolve(
                [
                    (job, True, job.rows.result)
                    if wait is None
                    else (job, False, pgvotes.VoteRefused(wait))
                    for job, wait in zip(live, refused, strict=True)
                    if job.rows is not None
                ]
            )
            return
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
            await self._run_one_by_one(batch)
            return
        self._resolve(outcomes)

    async def _run_one_by_one(self, batch: list[_Job]) -> None:
        logger.warning("feedback write batch of %d failed; retrying one by one", len(batch))
        for job in batch:
            try:
                await self._run_batch([job])
            except Exception as exc:
                if not job.future.done():
                    job.future.set_exception(exc)

    def _resolve(self, outcomes: list[tuple[_Job, bool, Any]]) -> None:
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
