"""PostgreSQL for the feedback store: an asyncpg pool behind the small connection API it uses.

:class:`feedback.store.FeedbackStore` is written against aiosqlite's
``execute`` / ``executemany`` / cursor API with ``?`` placeholders and
SQL that both SQLite and PostgreSQL understand. :class:`PgConnection`
offers that same API on an asyncpg pool, translating the few things that
differ (placeholders, ``INSERT OR IGNORE``, ``BEGIN IMMEDIATE``, SQLite's
``WITHOUT ROWID`` and rowid keys in the migrations), so the store keeps
one code path and one set of statements for both backends.

A transaction (``BEGIN`` … ``COMMIT``/``ROLLBACK``) holds one pooled
connection from ``BEGIN`` to its end; anything outside a transaction
borrows a connection for one statement. The pool replaces connections
that broke, so when the database comes back the next statement works.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from ttsservice.web.postgres import QuietConnection

__all__ = ["DATABASE_ERRORS", "PgConnection", "connect", "translate"]

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)
"""What a PostgreSQL statement raises when the database fails (not a bug in the caller)."""

_MIGRATION_LOCK = 0x7454_5356  # "tTSV": one advisory lock so copies migrate one at a time


def translate(sql: str) -> str:
    """SQLite-dialect SQL as the store writes it → the PostgreSQL equivalent."""
    stripped = sql.strip()
    if stripped.upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    if stripped.upper().startswith("INSERT OR IGNORE INTO"):
        sql = "INSERT INTO" + stripped[len("INSERT OR IGNORE INTO") :] + " ON CONFLICT DO NOTHING"
    sql = sql.replace(") WITHOUT ROWID", ")")
    sql = re.sub(r"\bid INTEGER PRIMARY KEY\b", "id BIGSERIAL PRIMARY KEY", sql)
    # Upserts: PostgreSQL wants the target column qualified in "SET x = x + …".
    match = re.match(r"\s*INSERT INTO (\w+)", sql)
    if match and "ON CONFLICT" in sql and "DO UPDATE SET" in sql:
        table = match.group(1)
        head, _, tail = sql.partition("DO UPDATE SET")
        tail = re.sub(r"= (\w+) \+", lambda m: f"= {table}.{m.group(1)} +", tail)
        sql = head + "DO UPDATE SET" + tail
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    # No statement of the store has a "?" inside a string literal.
    return re.sub(r"\?", number, sql)


def _rowcount(status: str) -> int:
    """The row count of a command status such as ``DELETE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class _Result:
    """What :meth:`PgConnection.execute` returns: awaitable, or usable with ``async with``."""

    def __init__(self, conn: PgConnection, sql: str, params: Sequence[Any]) -> None:
        self._conn = conn
        self._sql = sql
        self._params = params
        self._rows: list[asyncpg.Record] = []
        self.rowcount = -1

    async def _run(self) -> _Result:
        self._rows, self.rowcount = await self._conn._run(self._sql, self._params)
        return self

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> _Result:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        return list(self._rows)


class PgConnection:
    """The aiosqlite-like API of the store on an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._held: asyncpg.pool.PoolConnectionProxy | None = None

    async def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[asyncpg.Record], int]:
        word = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            if self._held is not None:
                raise RuntimeError("a transaction is already open on this connection")
            held = await self.pool.acquire()
            try:
                await held.execute("BEGIN")
            except BaseException:
                await self.pool.release(held)
                raise
            self._held = held
            return [], -1
        if word in ("COMMIT", "ROLLBACK"):
            held, self._held = self._held, None
            if held is None:
                return [], -1
            try:
                await held.execute(word)
            finally:
                await self.pool.release(held)
            return [], -1
        query = translate(sql)
        if self._held is not None:
            return await self._statement(self._held, query, params)
        async with self.pool.acquire() as conn:
            return await self._statement(conn, query, params)

    @staticmethod
    async def _statement(
        conn: Any, query: str, params: Sequence[Any]
    ) -> tuple[list[asyncpg.Record], int]:
        stripped = query.lstrip().upper()
        if stripped.startswith(("SELECT", "WITH")) or " RETURNING " in stripped:
            rows = await conn.fetch(query, *params)
            return list(rows), len(rows)
        status = await conn.execute(query, *params)
        return [], _rowcount(status)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        """Run one statement (``?`` placeholders); await it or use it with ``async with``."""
        return _Result(self, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        rows = list(rows)
        if not rows:
            return
        query = translate(sql)
        if self._held is not None:
            await self._held.executemany(query, rows)
            return
        async with self.pool.acquire() as conn:
            await conn.executemany(query, rows)

    async def migration_lock(self) -> None:
        """Inside a transaction: wait until no other copy is migrating (released at its end)."""
        await self.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")

    async def close(self, *, pool: bool = True) -> None:
        """Give back a held connection (rolling back); close the pool unless ``pool=False``."""
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(Exception):  # the connection may already be broken
                await held.execute("ROLLBACK")
            await self.pool.release(held)
        if pool:
            await self.pool.close()


async def connect(url: str, *, min_size: int = 1, max_size: int = 8) -> PgConnection:
    """A :class:`PgConnection` on a new pool for ``url`` (raises if the database is unreachable)."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=5,
        command_timeout=10,
        connection_class=QuietConnection,
    )
    return PgConnection(pool)
