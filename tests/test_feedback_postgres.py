"""PostgreSQL-only behaviour of the feedback store: faults, reconnection, migrations.

The behaviour both backends share is tested by running the feedback and
dashboard suites on both (see tests/conftest_feedback.py). Here a server of
this module's own is stopped and started again, so the session's shared
server is never disturbed.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedback.pg import translate
from feedback.store import FEEDBACK, MIGRATIONS, FeedbackStore
from tests.backends import SHARED_SECRET
from tests.pgserver import PgServer, running_server
from tests.test_feedback_process import kill_9_under_vote_load
from ttsservice.app import create_app
from ttsservice.settings import Settings

pytest_plugins = ["tests.conftest_postgres"]

SITE = "https://www.regionstockholm.se"
PAGE = f"{SITE}/vard/akut/"


@pytest.fixture(scope="module")
def own_server() -> Iterator[PgServer]:
    """A PostgreSQL server only this module uses (the tests stop and restart it)."""
    with running_server() as server:
        yield server


def test_translation_of_the_sqlite_dialect() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c < ?") == (
        "SELECT a FROM t WHERE b = $1 AND c < $2"
    )
    assert translate("INSERT OR IGNORE INTO p (a) VALUES (?)") == (
        "INSERT INTO p (a) VALUES ($1) ON CONFLICT DO NOTHING"
    )
    assert "p.n + 1" in translate(
        "INSERT INTO p (a, n) VALUES (?, 1) ON CONFLICT (a) DO UPDATE SET n = n + 1"
    )
    assert translate("BEGIN IMMEDIATE") == "BEGIN"


async def test_schema_and_privacy_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url) as store:
        await store.add_vote(PAGE, "yes", token="abc" * 10)
        assert await store.migrations() == [name for name, _ in MIGRATIONS]
    assert not (tmp_path / "unused.sqlite3").exists()
    conn = await asyncpg.connect(pg_url)
    try:
        columns = [
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'votes' ORDER BY ordinal_position"
            )
        ]
        day, key = await conn.fetchrow("SELECT day, token_key FROM votes")
    finally:
        await conn.close()
    assert columns == ["id", "url", "answer", "reasons", "token_key", "day"]
    assert len(day) == 10  # a day (YYYY-MM-DD), never a time
    assert "abc" not in key and len(key) == 64


async def test_copies_starting_together_migrate_once(pg_url: str, tmp_path: Path) -> None:
    stores = [FeedbackStore(tmp_path / f"{i}.sqlite3", database_url=pg_url) for i in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        for s in stores:
            assert await s.migrations() == [name for name, _ in MIGRATIONS]
        await asyncio.gather(*(s.add_vote(PAGE, "no") for s in stores))
        rows = await stores[0].fetchall("SELECT SUM(no) AS n FROM page_daily")
        assert rows[0]["n"] == 4
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_unreachable_database_is_a_503_and_the_service_reconnects(
    own_server: PgServer,
    make_settings: Callable[..., Settings],
    aiohttp_client: Callable[..., Any],
) -> None:
    settings = make_settings(
        TTS_DATABASE_URL=own_server.url(),
        TTS_SECRET_KEY=SHARED_SECRET,
        TTS_STATS_TOKEN="s3cret-statistics-token-for-tests",
    )
    app: web.Application = create_app(settings)
    client: TestClient = await aiohttp_client(app)

    def vote(n: int) -> dict[str, str]:  # distinct pages: identical votes are deduplicated
        return {"url": f"{SITE}/vard/sida-{n}/", "answer": "yes"}

    assert (await client.post("/api/v1/votes", json=vote(1))).status == 201
    assert (await client.get("/readyz")).status == 200

    own_server.stop()
    try:
        response = await client.post("/api/v1/votes", json=vote(2))
        assert response.status == 503
        assert response.headers["Retry-After"] == "30"
        body = await response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"] == "database_unavailable"
        assert body["error"]["status"] == 503
        stats = await client.get(
            "/api/v1/stats/pages",
            headers={"Authorization": "Bearer s3cret-statistics-token-for-tests"},
        )
        assert stats.status == 503
        assert (await stats.json())["error"]["code"] == "database_unavailable"
        ready = await client.get("/readyz")
        assert ready.status == 503
        checks = (await ready.json())["checks"]
        (database,) = [c for c in checks if c["name"] == "database"]
        assert database["status"] == "failed"
        assert "TTS_DATABASE_URL" in database["detail"]
    finally:
        own_server.start_again()

    for _ in range(50):  # the pool reconnects on its own
        response = await client.post("/api/v1/votes", json=vote(3))
        if response.status == 201:
            break
        await asyncio.sleep(0.1)
    assert response.status == 201
    assert (await client.get("/readyz")).status == 200
    rows = await app[FEEDBACK].fetchall("SELECT SUM(yes) AS n FROM page_daily")
    assert rows[0]["n"] == 2  # the 503 vote was not stored, the two 201 votes were


def test_every_acknowledged_vote_survives_kill_9_on_postgresql(
    tmp_path: Path, pg_server: PgServer
) -> None:
    name = f"kill_{tmp_path.name[-20:]}".replace("-", "_").lower()
    subprocess.run(
        [
            str(pg_server.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(pg_server.port),
            "-U",
            pg_server.user,
            name,
        ],
        check=True,
    )
    url = pg_server.url(name)
    env = {
        "TTS_DATA_DIR": str(tmp_path),
        "TTS_VOTES_PER_MINUTE": "100000",
        "TTS_DATABASE_URL": url,
        "TTS_SECRET_KEY": SHARED_SECRET,
    }
    acked = kill_9_under_vote_load(env)

    async def stored() -> tuple[set[str], int, int]:
        conn = await asyncpg.connect(url)
        try:
            ids = {row[0] for row in await conn.fetch("SELECT id FROM votes")}
            totals = await conn.fetchval("SELECT SUM(yes) + SUM(no) FROM page_daily")
            comments = await conn.fetchval("SELECT COUNT(*) FROM comments")
            return ids, totals, comments
        finally:
            await conn.close()

    ids, totals, comments = asyncio.run(stored())
    missing = set(acked) - ids
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged votes were lost"
    assert totals == len(ids) == comments
