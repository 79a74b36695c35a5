"""``ttsservice db migrate|copy``: update the feedback database's schema, move it to PostgreSQL.

``db migrate`` applies the store's pending migrations to the database the
settings name (the SQLite file, or TTS_DATABASE_URL) and lists them; the
service does the same at start, so this is for running it ahead of a
deployment.

``db copy --to postgresql://…`` copies an existing SQLite installation into
PostgreSQL. It is idempotent and resumable: rows are copied in chunks, each
chunk in one transaction; rows with a key (votes, comments, page changes,
audit entries) are skipped when already there, and daily totals are set to
the source's values, so running it again, or again after an interruption,
neither loses nor duplicates a vote. Clip records (what audio keys stand
for) are copied too. Stop the service (or point it at the
new database) before the last run, so no vote lands in the SQLite file
after it.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm  # type: ignore[import-untyped]

from feedback import pg
from feedback.records import DATABASE_ERRORS
from feedback.store import FeedbackStore
from ttsservice.settingsflags import add_settings_flags, settings_from_args

__all__ = ["COPIED_TABLES", "copy_to_postgres", "register"]

_SETTINGS = ["data_dir", "database_url"]
_FAILURES: tuple[type[BaseException], ...] = (RuntimeError, *DATABASE_ERRORS)


@dataclass(frozen=True, slots=True)
class Table:
    """How one table is copied."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    overwrite: tuple[str, ...] = ()
    """Columns set to the source's value when the key exists (counters); else skip the row."""

    def insert(self) -> str:
        marks = ", ".join("?" for _ in self.columns)
        conflict = ", ".join(self.key)
        sql = f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks}) "  # noqa: S608
        if self.overwrite:
            sets = ", ".join(f"{c} = excluded.{c}" for c in self.overwrite)
            return sql + f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
        # Without a target: a token vote the source replaced since the last run must not
        # stop the copy on the unique token index.
        return sql + "ON CONFLICT DO NOTHING"


COPIED_TABLES = (
    Table("votes", ("id", "url", "answer", "reasons", "token_key", "day"), ("id",)),
    Table(
        "comments",
        (
            "id",
            "vote_id",
            "url",
            "answer",
            "reasons",
            "text",
            "scrubbed",
            "status",
            "status_reason",
            "day",
        ),
        ("id",),
    ),
    Table("page_daily", ("day", "url", "yes", "no"), ("day", "url"), ("yes", "no")),
    Table("reason_daily", ("day", "url", "reason", "n"), ("day", "url", "reason"), ("n",)),
    Table("page_changes", ("url", "day", "seen"), ("url", "day")),
    Table("audit", ("id", "at", "action", "detail"), ("id",)),
    Table("clip_records", ("key", "spec", "day"), ("key",)),
    Table("reading_records", ("id", "record", "day"), ("id",)),
)
"""Every table of the feedback store, in copy order (``rate_limits`` holds only live
counts of the last minutes, unused on SQLite: nothing to copy)."""


def _count(source: sqlite3.Connection, table: Table) -> int:
    row = source.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()  # noqa: S608
    return int(row[0])


async def copy_to_postgres(
    sqlite_path: Path,
    url: str,
    *,
    chunk_rows: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every row of the SQLite store at ``sqlite_path`` into the PostgreSQL at ``url``.

    Migrates the target first. Each chunk of ``chunk_rows`` rows is one
    transaction; ``progress(table, rows)`` is called after each committed
    chunk. Returns the number of rows read per table.
    """
    async with FeedbackStore(sqlite_path):  # brings an old SQLite file to the current schema
        pass
    async with FeedbackStore(sqlite_path, database_url=url):  # creates the target schema
        pass
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    target = await pg.connect(url, max_size=1)
    copied: dict[str, int] = {}
    try:
        for table in COPIED_TABLES:
            order = ", ".join(table.key)
            cursor = source.execute(
                f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {order}"  # noqa: S608
            )
            copied[table.name] = 0
            while rows := cursor.fetchmany(chunk_rows):
                await target.execute("BEGIN")
                try:
                    await target.executemany(table.insert(), rows)
                    await target.execute("COMMIT")
                except BaseException:
                    await target.execute("ROLLBACK")
                    raise
                copied[table.name] += len(rows)
                if progress is not None:
                    progress(table.name, len(rows))
        # audit ids were copied explicitly: move the sequence past them
        await target.execute(
            "SELECT setval(pg_get_serial_sequence('audit', 'id'), "
            "COALESCE((SELECT MAX(id) FROM audit), 0) + 1, false)"
        )
    finally:
        source.close()
        await target.close()
    return copied


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``db`` command and its actions."""
    parser = sub.add_parser(
        "db",
        help="migrate the feedback database, copy it from SQLite to PostgreSQL",
        description="Work on the feedback database: the SQLite file under TTS_DATA_DIR, or "
        "PostgreSQL when TTS_DATABASE_URL is set.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate",
        help="apply pending schema migrations now (the service also does at start)",
        description="Apply the feedback database's pending migrations and list the applied ones.",
    )
    add_settings_flags(migrate, names=_SETTINGS)
    migrate.set_defaults(run=_migrate)
    copy = actions.add_parser(
        "copy",
        help="copy the SQLite feedback database into PostgreSQL (safe to run again)",
        description="Copy votes, comments, totals, page changes and audit entries from "
        "TTS_DATA_DIR/feedback.sqlite3 into PostgreSQL. Idempotent and resumable: run it "
        "again after an interruption, nothing is lost or duplicated. Run it a last time "
        "after stopping the service, then set TTS_DATABASE_URL.",
    )
    copy.add_argument(
        "--to", required=True, metavar="postgresql://…", help="the PostgreSQL database to fill"
    )
    add_settings_flags(copy, names=["data_dir"])
    copy.set_defaults(run=_copy)


def _migrate(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)

    async def run() -> list[str]:
        store = FeedbackStore(settings.db_path, database_url=settings.database_url)
        async with store:
            return await store.migrations()

    try:
        names = asyncio.run(run())
    except _FAILURES as exc:
        print(f"ttsservice: error: cannot migrate the feedback database: {exc}", file=sys.stderr)
        return 1
    where = "PostgreSQL (TTS_DATABASE_URL)" if settings.database_url else str(settings.db_path)
    print(f"Feedback database {where} is up to date: {', '.join(names)}.")
    return 0


def _copy(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not args.to.startswith(("postgresql://", "postgres://")):
        print("ttsservice: error: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    path = settings.db_path
    if not path.exists():
        print(f"ttsservice: error: no feedback database at {path}", file=sys.stderr)
        return 1
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
        try:
            total = sum(_count(source, table) for table in COPIED_TABLES)
        except sqlite3.Error:
            total = 0  # an old file without every table: counted as it is migrated
    with tqdm(total=total or None, unit="rows", desc="copying", file=sys.stderr) as bar:
        try:
            copied = asyncio.run(
                copy_to_postgres(path, args.to, progress=lambda _t, n: bar.update(n))
            )
        except _FAILURES as exc:
            print(f"ttsservice: error: the copy stopped: {exc}; run it again", file=sys.stderr)
            return 1
    summary = ", ".join(f"{n} {name}" for name, n in copied.items())
    print(f"Copied {summary} into PostgreSQL; running it again changes nothing.")
    return 0
