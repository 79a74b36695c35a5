"""Plain votes written to PostgreSQL one batch per statement (feedback.pgvotes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from feedback.store import FeedbackStore

pytest_plugins = ["tests.conftest_postgres"]

SITE = "https://www.regionstockholm.se"


async def test_a_batch_with_repeated_pages_and_reasons_adds_up(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pages = [f"{SITE}/vard/sida-{n}/" for n in range(3)]
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url) as store:
        # All at once: the writer takes them as one batch, the same pages many times over.
        results = await asyncio.gather(
            *(
                store.add_vote(
                    pages[n % 3],
                    "no" if n % 2 else "yes",
                    ["outdated", "incorrect"] if n % 2 else [],
                    comment=f"Kommentar {n}" if n % 5 == 0 else None,
                )
                for n in range(60)
            )
        )
    conn = await asyncpg.connect(pg_url)
    try:
        votes = await conn.fetchval("SELECT COUNT(*) FROM votes")
        totals = {
            r["url"]: (r["yes"], r["no"])
            for r in await conn.fetch("SELECT url, yes, no FROM page_daily")
        }
        reasons = await conn.fetch("SELECT url, reason, n FROM reason_daily ORDER BY url, reason")
        comments = await conn.fetch("SELECT vote_id, text FROM comments")
    finally:
        await conn.close()
    # Written as batches, none of which failed and had to be retried vote by vote.
    assert not [r for r in caplog.records if "retrying one by one" in r.getMessage()]
    assert votes == 60
    assert totals == {page: (10, 10) for page in pages}
    assert [(r["reason"], r["n"]) for r in reasons] == [("incorrect", 10), ("outdated", 10)] * 3
    assert {r["vote_id"] for r in comments} == {
        result.id for n, result in enumerate(results) if n % 5 == 0
    }
    assert all(r.comment_id is not None for n, r in enumerate(results) if n % 5 == 0)
