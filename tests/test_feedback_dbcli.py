"""``ttsservice db migrate|copy`` against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from feedback.dbcli import copy_to_postgres
from feedback.store import MIGRATIONS, FeedbackStore
from ttsservice.cli import main

pytest_plugins = ["tests.conftest_postgres"]

SITE = "https://www.regionstockholm.se"


async def _fill(path: Path) -> None:
    """An SQLite installation: 60 votes over 3 pages and 2 days, comments, tokens, an audit."""
    day = datetime(2026, 3, 2, 12, tzinfo=UTC)
    async with FeedbackStore(path, clock=lambda: day) as store:
        for i in range(60):
            await store.add_vote(
                f"{SITE}/vard/sida-{i % 3}/",
                "no" if i % 4 == 0 else "yes",
                ["outdated"] if i % 4 == 0 else [],
                comment=f"kommentar {i}" if i % 10 == 0 else None,
                token=f"token-{i}" if i % 7 == 0 else None,
            )
        await store.purge(comment_days=365, vote_days=365)


async def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "votes": [tuple(r) for r in await conn.fetch("SELECT * FROM votes ORDER BY id")],
            "comments": [tuple(r) for r in await conn.fetch("SELECT * FROM comments ORDER BY id")],
            "page_daily": [
                tuple(r) for r in await conn.fetch("SELECT * FROM page_daily ORDER BY day, url")
            ],
            "reason_daily": [
                tuple(r) for r in await conn.fetch("SELECT * FROM reason_daily ORDER BY url")
            ],
            "audit": [tuple(r) for r in await conn.fetch("SELECT * FROM audit ORDER BY id")],
        }
    finally:
        await conn.close()


def _source(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return {
            "votes": conn.execute("SELECT * FROM votes ORDER BY id").fetchall(),
            "comments": conn.execute("SELECT * FROM comments ORDER BY id").fetchall(),
            "page_daily": conn.execute("SELECT * FROM page_daily ORDER BY day, url").fetchall(),
            "reason_daily": conn.execute("SELECT * FROM reason_daily ORDER BY url").fetchall(),
            "audit": conn.execute("SELECT * FROM audit ORDER BY id").fetchall(),
        }


async def test_copy_twice_moves_every_row_once(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "feedback.sqlite3"
    await _fill(path)
    first = await copy_to_postgres(path, pg_url, chunk_rows=7)
    assert first["votes"] == 60
    copied = await _snapshot(pg_url)
    assert copied == _source(path)
    await copy_to_postgres(path, pg_url, chunk_rows=7)
    assert await _snapshot(pg_url) == copied  # run again: nothing duplicated
    # the copied store works: a new audit entry gets a fresh id
    async with FeedbackStore(tmp_path / "x.sqlite3", database_url=pg_url) as store:
        await store.purge(comment_days=365, vote_days=365)
        assert len(await store.audit_entries()) == 2


async def test_an_interrupted_copy_resumes(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "feedback.sqlite3"
    await _fill(path)
    chunks = 0

    def interrupt(table: str, rows: int) -> None:
        nonlocal chunks
        chunks += 1
        if chunks == 3:  # in the middle of the votes
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await copy_to_postgres(path, pg_url, chunk_rows=7, progress=interrupt)
    partial = await _snapshot(pg_url)
    assert len(partial["votes"]) == 21  # three committed chunks
    await copy_to_postgres(path, pg_url, chunk_rows=7)
    assert await _snapshot(pg_url) == _source(path)


def test_db_copy_and_migrate_commands(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    data = tmp_path / "data"
    asyncio.run(_fill(data / "feedback.sqlite3"))
    monkeypatch.setenv("TTS_DATA_DIR", str(data))
    assert main(["db", "copy", "--to", pg_url]) == 0
    out = capsys.readouterr()
    assert "Copied 60 votes" in out.out
    assert "rows" in out.err  # the tqdm progress bar
    assert main(["db", "migrate", "--database-url", pg_url]) == 0
    assert ", ".join(name for name, _ in MIGRATIONS) in capsys.readouterr().out
    assert main(["db", "migrate"]) == 0
    assert str(data / "feedback.sqlite3") in capsys.readouterr().out
    assert main(["db", "copy", "--to", "mysql://x/y"]) == 2
    assert "postgresql://" in capsys.readouterr().err
