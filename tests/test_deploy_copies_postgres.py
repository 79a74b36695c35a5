"""End to end: PostgreSQL, two real copies and nginx with the shipped copies config (issue 16).

What a portal running several copies relies on, checked across process
boundaries: a reading made through one copy is heard, captioned and
downloaded through the other; a vote through one is in the other's
dashboard; a sign-in works on both; a rate limit counts across both; and a
copy killed with -9 under vote load through nginx loses no acknowledged vote.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.nginxfront import run_nginx
from tests.procutil import free_port, start_service
from tests.test_deploy_copies import PASSWORD, SECRET, SHIPPED, USER, copies_site
from tests.test_deploy_copies import _request as request
from tests.test_deploy_copies import _sign_in as sign_in
from ttsservice.dashboard.auth import hash_password

pytest_plugins = ["tests.conftest_postgres"]

SITE = "https://www.regionstockholm.se"
TEXT = "Biblioteket har öppet i dag. Välkommen in till oss! Vi har många böcker."


class Copies:
    """Two copies of the service on one PostgreSQL database, nginx in front."""

    def __init__(self, procs: list[subprocess.Popen[str]], bases: list[str], front: str) -> None:
        self.procs = procs
        self.bases = bases
        self.front = front


@pytest.fixture
def copies(tmp_path: Path, pg_url: str) -> Iterator[Copies]:
    env = {
        "TTS_DATABASE_URL": pg_url,
        "TTS_SECRET_KEY": SECRET,
        "TTS_TRUSTED_PROXIES": "127.0.0.1",
        "TTS_LOG_LEVEL": "warning",
        "TTS_ALLOWED_ORIGINS": SITE,
        "TTS_DASHBOARD_USERS": f"{USER}:{hash_password(PASSWORD)}",
        "TTS_MIN_RESPONSES": "1",
        "TTS_SPEAK_PER_MINUTE": "5",
        "TTS_VOTES_PER_MINUTE": "100000",
    }
    procs: list[subprocess.Popen[str]] = []
    try:
        bases = []
        for n in range(2):
            proc, base = start_service({**env, "TTS_DATA_DIR": str(tmp_path / f"copy{n}")})
            procs.append(proc)
            bases.append(base)
        port = free_port()
        site = copies_site(
            SHIPPED.read_text(),
            port=port,
            copies=[base.removeprefix("http://") for base in bases],
            cache=tmp_path / "nginx-cache",
        )
        with run_nginx(tmp_path / "nginx", port, site, "/healthz") as front:
            yield Copies(procs, bases, front)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def post_json(url: str, body: dict[str, Any], **headers: str) -> tuple[int, Any, bytes]:
    return request(url, body=json.dumps(body).encode(), headers=headers)


def test_a_reading_made_through_one_copy_is_served_by_the_other(copies: Copies) -> None:
    first, second = copies.bases
    status, _, body = post_json(first + "/api/v1/readings", {"text": TEXT})
    assert status == 200, body
    reading = json.loads(body)
    assert len(reading["sentences"]) == 3
    for sentence in reading["sentences"]:
        for kind in ("mp3", "json"):
            status, _, body = request(second + sentence["audio"][kind])
            assert status == 200, (kind, body[:200])
    status, headers, body = request(second + f"/api/v1/readings/{reading['id']}.vtt")
    assert status == 200, body[:200]
    assert body.startswith(b"WEBVTT") and body.count(b" --> ") == 3
    status, headers, body = request(second + reading["download"])
    assert status == 200, body[:200]
    assert headers["Content-Type"] == "audio/mpeg" and len(body) > 1000
    # And through nginx, whichever copy each address goes to.
    for sentence in reading["sentences"]:
        assert request(copies.front + sentence["audio"]["ogg"])[0] == 200


def test_votes_sign_ins_and_rate_limits_span_both_copies(copies: Copies) -> None:
    first, second = copies.bases
    page = f"{SITE}/vard/e2e-{time.time_ns()}/"
    status, _, body = post_json(first + "/api/v1/votes", {"url": page, "answer": "no"})
    assert status == 201, body

    # Signed in on either copy, the session is good on both, and the vote is on the other.
    for signed_in_on, other in ((first, second), (second, first)):
        cookie = {"Cookie": f"tts_dashboard={sign_in(signed_in_on)}"}
        status, _, html = request(other + "/dashboard/pages", headers=cookie)
        assert status == 200
        assert page.encode() in html

    # One client through nginx (least_conn spreads it over both copies): 5 a minute in all.
    # An empty body is refused after it was counted; the count is what is measured.
    client = {"X-Forwarded-For": "198.51.100.77"}
    outcomes = Counter(
        post_json(copies.front + "/api/v1/speak", {}, **client)[0] for _ in range(12)
    )
    assert outcomes == {400: 5, 429: 7}
    assert all(_speak_requests(base) > 0 for base in copies.bases)  # both answered some
    other_client = {"X-Forwarded-For": "198.51.100.78"}  # is counted apart
    assert post_json(copies.front + "/api/v1/speak", {}, **other_client)[0] == 400


def _speak_requests(base: str) -> float:
    """How many read-selection requests a copy answered (from its own /metrics)."""
    _, _, metrics = request(base + "/metrics")
    total = 0.0
    for line in metrics.decode().splitlines():
        if line.startswith("tts_http_requests_total{") and 'route="/api/v1/speak"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _post_votes(front: str, acked: list[str], stop: threading.Event, worker: int) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        status, _, body = post_json(
            front + "/api/v1/votes",
            {"url": f"{SITE}/vard/last-{worker}/", "answer": "yes", "comment": f"w{worker} n{i}"},
            **{"X-Forwarded-For": f"198.51.100.{worker + 1}"},
        )
        if status == 201:
            acked.append(json.loads(body)["id"])
        elif status not in (502, 503, 504):
            raise AssertionError(f"vote answered {status}: {body[:200]!r}")


def test_kill_9_of_one_copy_under_vote_load_through_nginx_loses_no_acknowledged_vote(
    copies: Copies, pg_url: str
) -> None:
    acked: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            _post_votes(copies.front, acked, stop, n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(6)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(acked) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        copies.procs[0].send_signal(signal.SIGKILL)  # while the workers are still voting
        copies.procs[0].wait(10)
        before = len(acked)
        deadline = time.monotonic() + 60
        while len(acked) < before + 200 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors
    assert copies.procs[0].returncode == -signal.SIGKILL
    assert len(acked) >= before + 200  # the other copy took over the votes

    async def stored() -> tuple[set[str], int, int]:
        conn = await asyncpg.connect(pg_url)
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
    assert totals == len(ids) == comments  # totals and comments committed with their votes
