"""Render time of every dashboard page with 10,000 votes over 500 pages, next to baselines.

10,000 votes (and about 500 comments) over 500 pages and 90 days are inserted
through :class:`feedback.store.FeedbackStore`, the real service is started on
that database in its own process (``python -m ttsservice serve``), a client
signs in, and each dashboard page is fetched N times over HTTP, one request
at a time. Printed: the median and p90 per page, and the same for baselines
measured in the same run: ``/healthz`` (no work at all), the stylesheet (a
static answer through the dashboard's routes) and the sign-in form (a small
template render). The goal is a median under 300 ms for every page.

    python bench/dashboard.py [--renders 30] [--votes 10000] [--pages 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from feedback import stats  # noqa: E402
from feedback.store import REASONS, FeedbackStore  # noqa: E402
from feedback.urls import Sections  # noqa: E402
from ttsservice.dashboard.auth import hash_password  # noqa: E402

SITE = "https://www.regionstockholm.se"
SECTIONS = ["vard", "kultur=/kultur-och-fritid", "trafik", "utbildning"]
FIRST_SEGMENTS = ["vard", "kultur-och-fritid", "trafik", "utbildning", "om-oss", "jobb"]
USER, PASSWORD = "bench", "en lång lösenfras för mätningen"
GOAL_MS = 300.0
TODAY = datetime.now(UTC).date()  # the service counts "today" by its own clock
DAYS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def fill(path: Path, votes: int, pages: int, seed: int = 8) -> list[str]:
    """Insert the votes through the store; return the page URLs."""
    rng = random.Random(seed)
    urls = [f"{SITE}/{FIRST_SEGMENTS[i % len(FIRST_SEGMENTS)]}/sida-{i:04d}/" for i in range(pages)]
    # Some pages are read (and rated) far more than others, so some have "för få svar".
    weights = [1 / (rank + 1) ** 0.8 for rank in range(pages)]
    helpful = {url: rng.betavariate(4, 2) for url in urls}
    now = [datetime(2026, 1, 1, 12, tzinfo=UTC)]
    store = FeedbackStore(path, sections=Sections.parse(SECTIONS), clock=lambda: now[0])
    await store.open()
    try:
        per_day = votes // DAYS
        done = 0
        for offset in range(DAYS):
            day = TODAY - timedelta(days=DAYS - 1 - offset)
            now[0] = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            count = per_day if offset < DAYS - 1 else votes - done
            jobs = []
            for _ in range(count):
                url = rng.choices(urls, weights)[0]
                if rng.random() < helpful[url]:
                    jobs.append(store.add_vote(url, "yes"))
                else:
                    reasons = rng.sample(list(REASONS), rng.randint(0, 2))
                    comment = "Jag hittade inte det jag sökte." if rng.random() < 0.15 else None
                    jobs.append(store.add_vote(url, "no", reasons, comment=comment))
            await asyncio.gather(*jobs)  # many votes share one group commit
            done += count
    finally:
        await store.close()
    return urls


def start_service(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TTS_DATA_DIR": str(data_dir),
        "TTS_PORT": str(port),
        "TTS_OFFLINE": "1",
        "TTS_LOG_LEVEL": "warning",
        "TTS_SECTIONS": ",".join(SECTIONS),
        "TTS_DASHBOARD_USERS": f"{USER}:{hash_password(PASSWORD)}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ttsservice", "serve"], cwd=REPO, env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the service did not answer /healthz in time")


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    form = await (await session.get(f"{base}/dashboard/login")).text()
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    async with session.post(
        f"{base}/dashboard/login",
        data={"user": USER, "password": PASSWORD, "csrf": token, "next": "/dashboard"},
        allow_redirects=False,
    ) as response:
        if response.status != 303:
            raise RuntimeError(f"sign-in failed: {response.status}")


async def time_page(session: aiohttp.ClientSession, url: str, renders: int) -> list[float]:
    for _ in range(3):  # warm-up
        async with session.get(url, allow_redirects=False) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}")
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        async with session.get(url, allow_redirects=False) as response:
            await response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=30, help="timed requests per page")
    parser.add_argument("--votes", type=int, default=10_000, help="votes to insert")
    parser.add_argument("--pages", type=int, default=500, help="pages the votes are spread over")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    proc = None
    try:
        started = time.perf_counter()
        urls = await fill(work / "feedback.sqlite3", args.votes, args.pages)
        print(
            f"inserted {args.votes} votes over {len(urls)} pages and {DAYS} days through the "
            f"store in {time.perf_counter() - started:.1f} s"
        )
        check = FeedbackStore(work / "feedback.sqlite3", sections=Sections.parse(SECTIONS))
        async with check:
            ranked = await stats.page_stats(check, min_responses=10)
            worst = ranked[0].url
            total = sum(p.n for p in ranked)
            comments = len(await stats.list_comments(check, url=worst, limit=10_000))
        print(f"{len(ranked)} pages with votes, {total} votes")
        print(f"worst page {worst} ({comments} comments)")
        port = free_port()
        proc = start_service(work, port)
        base = f"http://127.0.0.1:{port}"
        since = (TODAY - timedelta(days=DAYS - 1)).isoformat()
        period = f"since={since}&until={TODAY.isoformat()}"
        targets = [
            ("baseline: /healthz", f"{base}/healthz"),
            ("baseline: stylesheet", f"{base}/dashboard/static/dashboard.css"),
            ("baseline: sign-in form", f"{base}/dashboard/login"),
            ("overview (90 days)", f"{base}/dashboard?{period}"),
            ("overview (default 30 days)", f"{base}/dashboard"),
            ("worst pages (90 days)", f"{base}/dashboard/pages?{period}"),
            ("worst pages, one section", f"{base}/dashboard/pages?{period}&section=vard"),
            ("one page (worst, 90 days)", f"{base}/dashboard/page?url={quote(worst)}&{period}"),
            (
                "one page + before/after",
                f"{base}/dashboard/page?url={quote(worst)}&{period}&changed=2026-03-01",
            ),
            ("sections (90 days)", f"{base}/dashboard/sections?{period}"),
            ("CSV: pages (90 days)", f"{base}/dashboard/csv/pages.csv?{period}"),
        ]
        jar = aiohttp.CookieJar(unsafe=True)
        async with (
            aiohttp.ClientSession(cookie_jar=jar) as session,
            aiohttp.ClientSession() as anonymous,
        ):
            await sign_in(session, base)
            rows = []
            for name, url in targets:
                client = anonymous if url.endswith("/dashboard/login") else session
                times = await time_page(client, url, args.renders)
                rows.append((name, statistics.median(times), statistics.quantiles(times, n=10)[-1]))
        print(f"\nmedian of {args.renders} renders per page over HTTP (one at a time; the machine")
        print("is shared with other work, so absolute figures vary between runs)")
        print(f"{'page':<32} {'median ms':>10} {'p90 ms':>8}  goal < {GOAL_MS:.0f} ms")
        failed = False
        for name, median, p90 in rows:
            verdict = "" if name.startswith("baseline") else ("ok" if median < GOAL_MS else "SLOW")
            failed |= verdict == "SLOW"
            print(f"{name:<32} {median:>10.1f} {p90:>8.1f}  {verdict}")
        return 1 if failed else 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
