"""Plain votes written to PostgreSQL one batch per statement (feedback.pgvotes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from feedback.pgvotes import VoteRefused, VoteTake
from feedback.records import VoteResult
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


async def test_a_batch_held_up_by_another_copy_does_not_hold_up_other_votes(
    pg_url: str, tmp_path: Path
) -> None:
    """Batches of plain votes commit side by side: a page's totals locked elsewhere (another
    copy's transaction, a slow disk) delay only the votes that wait for that page."""
    locked, other = f"{SITE}/vard/last/", f"{SITE}/vard/annan/"
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url) as store:
        await store.add_vote(locked, "yes")
        blocker = await asyncpg.connect(pg_url)
        try:
            held = blocker.transaction()
            await held.start()
            await blocker.execute("UPDATE page_daily SET yes = yes WHERE url = $1", locked)
            waiting = asyncio.create_task(store.add_vote(locked, "no"))
            await asyncio.sleep(0.3)  # its batch is in flight, waiting for the row
            assert not waiting.done()
            # Without side-by-side batches this vote would queue behind the blocked one.
            await asyncio.wait_for(store.add_vote(other, "yes"), timeout=3)
            assert not waiting.done()
            await held.rollback()
            await asyncio.wait_for(waiting, timeout=5)
        finally:
            await blocker.close()
        rows = await store.fetchall("SELECT url, yes, no FROM page_daily ORDER BY url")
    assert [(r["url"], r["yes"], r["no"]) for r in rows] == [(other, 1, 0), (locked, 1, 1)]


async def test_votes_counted_as_they_are_stored_keep_only_what_the_bucket_gives(
    pg_url: str, tmp_path: Path
) -> None:
    """A vote with a take is counted by the statement that stores it: beyond the client's
    tokens nothing of it is stored (vote, totals, reasons, comment), the rest of the batch is."""
    take = VoteTake("vote", "ab" * 16, 3.0, 60.0)  # three votes a minute
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url) as store:
        outcomes = await asyncio.gather(
            *(
                store.add_vote(
                    f"{SITE}/vard/sida-{n}/", "no", ["outdated"], comment=f"Text {n}", take=take
                )
                for n in range(6)
            ),
            *(store.add_vote(f"{SITE}/vard/fri-{n}/", "yes") for n in range(2)),
            return_exceptions=True,
        )
        with pytest.raises(ValueError, match="without token"):
            await store.add_vote(f"{SITE}/vard/x/", "yes", token="t" * 20, take=take)
    stored = [o for o in outcomes if isinstance(o, VoteResult)]
    refused = [o for o in outcomes[:6] if isinstance(o, VoteRefused)]
    assert len(stored) == 5 and len(refused) == 3
    assert all(19 < r.wait <= 20 for r in refused)  # one token every 20 s
    conn = await asyncpg.connect(pg_url)
    try:
        votes = {r["id"] for r in await conn.fetch("SELECT id FROM votes")}
        noes = await conn.fetchval("SELECT sum(no) FROM page_daily")
        reasons = await conn.fetchval("SELECT sum(n) FROM reason_daily")
        commented = {r["vote_id"] for r in await conn.fetch("SELECT vote_id FROM comments")}
        bucket = await conn.fetchrow("SELECT tokens, granted FROM rate_limits")
    finally:
        await conn.close()
    assert votes == {o.id for o in stored}
    assert (noes, reasons) == (3, 3)
    assert commented == {o.id for o in outcomes[:6] if isinstance(o, VoteResult)}
    assert bucket["tokens"] < 1
