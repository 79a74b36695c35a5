"""Per-client limits shared by copies through PostgreSQL (issue 16).

Two real apps in one process share a real PostgreSQL database and the
secret, as two copies behind a load balancer do; requests from one client
are spread over both, in parallel. Each limit must hold across both: N
copies must not allow N times the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedback.guard import FEEDBACK_GUARD
from feedback.store import FEEDBACK, FeedbackStore
from tests.backends import SHARED_SECRET
from tests.dashboardkit import USER, csrf_of
from tests.pgserver import PgServer, running_server
from ttsservice.app import create_app
from ttsservice.settings import load_settings
from ttsservice.web.ratecounters import STATEMENT_TIMEOUT, CountersUnavailable, SharedRateCounters

pytest_plugins = ["tests.conftest_postgres", "tests.conftest_voices", "tests.conftest_dashboard"]

SITE = "https://www.regionstockholm.se"


@pytest.fixture
def copy_app(tiny_voice_env: dict[str, str], tmp_path: Path) -> Callable[..., web.Application]:
    """A copy of the service on the tiny voice: ``build(n, url, **env)``, data of its own."""

    def build(n: int, url: str, **env: str) -> web.Application:
        return create_app(
            load_settings(
                {
                    **tiny_voice_env,
                    "TTS_DATA_DIR": str(tmp_path / f"copy{n}"),
                    "TTS_DATABASE_URL": url,
                    "TTS_SECRET_KEY": SHARED_SECRET,
                    "TTS_ALLOWED_ORIGINS": SITE,
                    **env,
                }
            )
        )

    return build


async def two_copies(
    copy_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    url: str,
    **env: str,
) -> list[TestClient[Any, Any]]:
    return [await aiohttp_client(copy_app(n, url, **env)) for n in range(2)]


def statuses(responses: list[Any]) -> Counter[int]:
    return Counter(r.status for r in responses)


async def test_read_aloud_limit_holds_across_two_copies_under_parallel_requests(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any], pg_url: str
) -> None:
    copies = await two_copies(copy_app, aiohttp_client, pg_url, TTS_SPEAK_PER_MINUTE="3")
    # An empty body is refused (400) after it was counted: the limit is what is measured.
    responses = await asyncio.gather(
        *(copies[n % 2].post("/api/v1/speak", json={}) for n in range(10))
    )
    assert statuses(responses) == {400: 3, 429: 7}
    refused = [r for r in responses if r.status == 429]
    body = await refused[0].json()
    assert body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused[0].headers["Retry-After"]) <= 60
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT scope, client, cardinality(hits) AS n FROM rate_limits")
    finally:
        await conn.close()
    assert [(r["scope"], r["n"]) for r in rows] == [("speak", 3)]  # one client, both copies
    assert "127.0.0.1" not in rows[0]["client"] and len(rows[0]["client"]) == 32


async def test_vote_limit_holds_across_two_copies_under_parallel_votes(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any], pg_url: str
) -> None:
    copies = await two_copies(copy_app, aiohttp_client, pg_url, TTS_VOTES_PER_MINUTE="4")
    responses = await asyncio.gather(
        *(
            copies[n % 2].post(
                "/api/v1/votes", json={"url": f"{SITE}/vard/sida-{n}/", "answer": "yes"}
            )
            for n in range(12)
        )
    )
    assert statuses(responses) == {201: 4, 429: 8}
    store: FeedbackStore = copies[0].server.app[FEEDBACK]  # type: ignore[union-attr]
    rows = await store.fetchall("SELECT COUNT(*) AS n FROM votes")
    assert rows[0]["n"] == 4


async def test_plain_votes_are_counted_by_the_statement_that_stores_them(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any], pg_url: str
) -> None:
    """No round trip of its own for the count: a crowd of visitors voting in parallel on two
    copies sends the shared counters no statement, and each visitor still gets the limit."""
    copies = await two_copies(
        copy_app, aiohttp_client, pg_url, TTS_VOTES_PER_MINUTE="3", TTS_TRUSTED_PROXIES="127.0.0.1"
    )
    statements = 0
    for copy in copies:
        counters = copy.server.app[FEEDBACK_GUARD].shared  # type: ignore[union-attr]
        assert counters is not None
        fetch = counters._fetch

        async def counted(sql: str, *args: Any, fetch: Any = fetch) -> list[Any]:
            nonlocal statements
            statements += 1
            return list(await fetch(sql, *args))

        counters._fetch = counted  # type: ignore[method-assign]
    responses = await asyncio.gather(
        *(
            copies[n % 2].post(
                "/api/v1/votes",
                json={"url": f"{SITE}/vard/sida-{n}/", "answer": "yes"},
                headers={"X-Forwarded-For": f"192.0.2.{n % 5 + 1}"},
            )
            for n in range(20)
        )
    )
    assert statuses(responses) == {201: 15, 429: 5}
    assert statements == 0
    refused = [r for r in responses if r.status == 429]
    assert all(1 <= int(r.headers["Retry-After"]) <= 20 for r in refused)
    assert (await refused[0].json())["error"]["code"] == "rate_limited"
    store: FeedbackStore = copies[0].server.app[FEEDBACK]  # type: ignore[union-attr]
    rows = await store.fetchall("SELECT scope, COUNT(*) AS n FROM rate_limits GROUP BY scope")
    assert [(r["scope"], r["n"]) for r in rows] == [("vote", 5)]
    rows = await store.fetchall("SELECT COUNT(*) AS n FROM votes")
    assert rows[0]["n"] == 15


async def test_refused_votes_count_too_whichever_way_a_vote_is_counted(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any], pg_url: str
) -> None:
    """Invalid votes are counted before they are refused (through the shared counters), and
    the plain vote after them, counted as it is stored, finds the same bucket empty."""
    (client,) = [await aiohttp_client(copy_app(0, pg_url, TTS_VOTES_PER_MINUTE="2"))]
    bad = [
        await client.post("/api/v1/votes", json={"url": f"{SITE}/vard/", "answer": "kanske"})
        for _ in range(2)
    ]
    assert [r.status for r in bad] == [400, 400]
    good = await client.post("/api/v1/votes", json={"url": f"{SITE}/vard/", "answer": "yes"})
    assert good.status == 429
    worse = await client.post("/api/v1/votes", json={"url": f"{SITE}/vard/", "answer": "kanske"})
    assert worse.status == 429  # over the limit, the refusal for the limit comes first


async def test_failed_sign_ins_count_across_two_copies(
    copy_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    pg_url: str,
    user_entry: str,
) -> None:
    copies = await two_copies(
        copy_app,
        aiohttp_client,
        pg_url,
        TTS_DASHBOARD_USERS=user_entry,
        TTS_DASHBOARD_LOGIN_ATTEMPTS="3",
    )
    token = csrf_of(await (await copies[0].get("/dashboard/login")).text())

    async def attempt(n: int, password: str) -> Any:
        return await copies[n % 2].post(
            "/dashboard/login",
            data={"user": USER, "password": password, "csrf": token},
            allow_redirects=False,
        )

    wrong = await asyncio.gather(*(attempt(n, "fel lösenord") for n in range(8)))
    assert statuses(wrong) == {401: 3, 429: 5}
    for n in range(2):  # even the right password waits now, on either copy
        right = await attempt(n, "rätt häst batteri häftklammer")
        assert right.status == 429
        assert int(right.headers["Retry-After"]) > 800


async def test_counters_slide_refill_and_expired_rows_are_deleted(
    pg_url: str, tmp_path: Path
) -> None:
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url):
        pass  # the migrations create the table
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    now = [1_000_000.0]
    counters = SharedRateCounters(pool, clock=lambda: now[0])
    try:
        assert await counters.window_hit("speak", "a", 2, 60) is None
        now[0] += 20
        assert await counters.window_hit("speak", "a", 2, 60) is None
        assert await counters.window_hit("speak", "a", 2, 60) == pytest.approx(40)
        assert await counters.window_hit("speak", "b", 2, 60) is None  # another client
        assert await counters.window_wait("speak", "a", 2, 60) == pytest.approx(40)
        now[0] += 40.5  # the first hit has left the window
        assert await counters.window_wait("speak", "a", 2, 60) is None
        assert await counters.window_hit("speak", "a", 2, 60) is None
        assert await counters.window_hit("speak", "a", 2, 60) == pytest.approx(19.5)

        # A bucket of 2 refilled at one token a second.
        assert await counters.bucket_take("vote", "a", 2, 1.0) is None
        assert await counters.bucket_take("vote", "a", 2, 1.0) is None
        assert await counters.bucket_take("vote", "a", 2, 1.0) == pytest.approx(1.0)
        now[0] += 0.5
        assert await counters.bucket_take("vote", "a", 2, 1.0) == pytest.approx(0.5)
        now[0] += 0.5
        assert await counters.bucket_take("vote", "a", 2, 1.0) is None

        await counters.forget("speak", "b")
        assert await pool.fetchval("SELECT COUNT(*) FROM rate_limits") == 2
        now[0] += 59  # "a"'s last speak hit is still in its window, the bucket is full
        assert await counters.purge() == 1
        assert await pool.fetchval("SELECT scope FROM rate_limits") == "speak"
        now[0] += 2
        assert await counters.purge() == 1
        assert await pool.fetchval("SELECT COUNT(*) FROM rate_limits") == 0
    finally:
        await pool.close()


async def test_parallel_counts_are_batched_and_exact(pg_url: str, tmp_path: Path) -> None:
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url):
        pass
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    now = [2_000_000.0]
    counters = SharedRateCounters(pool, clock=lambda: now[0])
    try:
        hits = await asyncio.gather(
            *(counters.window_hit("speak", f"c{n % 3}", 7, 60) for n in range(60))
        )
        takes = await asyncio.gather(
            *(counters.bucket_take("vote", "c0", 5, 0.5) for _ in range(20))
        )
    finally:
        await pool.close()
    for client in range(3):  # 20 asked each: 7 counted, 13 told to wait a minute
        mine = [wait for n, wait in enumerate(hits) if n % 3 == client]
        assert mine.count(None) == 7
        assert all(wait == pytest.approx(60) for wait in mine if wait is not None)
    assert takes.count(None) == 5
    assert all(wait == pytest.approx(2.0) for wait in takes if wait is not None)


async def test_a_count_stuck_on_the_database_gives_up_and_the_copy_counts_alone(
    pg_url: str, tmp_path: Path
) -> None:
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url):
        pass
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    counters = SharedRateCounters(pool)
    blocker = await asyncpg.connect(pg_url)
    try:
        assert await counters.window_hit("speak", "a", 5, 60) is None
        held = blocker.transaction()
        await held.start()  # another session holds the client's row: the count cannot finish
        await blocker.execute("SELECT * FROM rate_limits WHERE client = 'a' FOR UPDATE")
        started = time.monotonic()
        with pytest.raises(CountersUnavailable):
            await counters.window_hit("speak", "a", 5, 60)
        assert time.monotonic() - started < STATEMENT_TIMEOUT + 1
        started = time.monotonic()
        with pytest.raises(CountersUnavailable):  # for a while it does not even ask
            await counters.window_hit("speak", "b", 5, 60)
        assert time.monotonic() - started < 0.1
        await held.rollback()
    finally:
        await blocker.close()
        await pool.close()


@pytest.fixture(scope="module")
def own_server() -> Iterator[PgServer]:
    """A PostgreSQL server only this module uses (a test stops and restarts it)."""
    with running_server() as server:
        yield server


async def test_unreachable_counters_count_in_this_copy_meanwhile(
    own_server: PgServer,
    copy_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
) -> None:
    client = await aiohttp_client(copy_app(0, own_server.url(), TTS_SPEAK_PER_MINUTE="2"))
    assert (await client.post("/api/v1/speak", json={})).status == 400  # counted in PostgreSQL
    own_server.stop()
    try:
        first = await client.post("/api/v1/speak", json={})
        second = await client.post("/api/v1/speak", json={})
        third = await client.post("/api/v1/speak", json={})
    finally:
        own_server.start_again()
    # Not a 500, and not unlimited: this copy counts on its own until the database is back.
    assert [first.status, second.status, third.status] == [400, 400, 429]
    assert (await third.json())["error"]["code"] == "rate_limited"


async def test_leased_vote_tokens_spare_round_trips_and_never_exceed_the_limit(
    pg_url: str, tmp_path: Path
) -> None:
    """A client far from its limit is counted in leases (a statement per several votes);
    two copies spending their leases together still never give more than the bucket."""
    async with FeedbackStore(tmp_path / "unused.sqlite3", database_url=pg_url):
        pass
    pools = [await asyncpg.create_pool(pg_url, min_size=1, max_size=2) for _ in range(2)]
    now = [3_000_000.0]
    copies = [SharedRateCounters(pool, clock=lambda: now[0]) for pool in pools]
    statements = [0, 0]
    for n, counters in enumerate(copies):
        fetch = counters._fetch

        async def counted(sql: str, *args: Any, n: int = n, fetch: Any = fetch) -> list[Any]:
            statements[n] += 1
            return list(await fetch(sql, *args))

        counters._fetch = counted  # type: ignore[method-assign]
    try:
        # One copy, a roomy bucket (1000 tokens): 300 votes one after the other.
        alone = [await copies[0].bucket_take("vote", "roomy", 1000, 1000 / 60) for _ in range(300)]
        alone_statements = statements[0]
        # Two copies, a bucket of 60: 200 votes over both, one after the other and parallel.
        both: list[float | None] = []
        for n in range(100):
            both.append(await copies[n % 2].bucket_take("vote", "tight", 60, 1.0))
        both += await asyncio.gather(
            *(copies[n % 2].bucket_take("vote", "tight", 60, 1.0) for n in range(100))
        )
    finally:
        for pool in pools:
            await pool.close()
    assert alone.count(None) == 300
    assert alone_statements < 300 // 10  # leases: far fewer statements than votes
    granted = both.count(None)
    assert granted <= 60  # never more than the bucket gave, whichever copy spent it
    assert granted >= 60 - 2 * (60 // 8)  # and at most a lease per copy left unspent
