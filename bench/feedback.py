"""Votes per second and p99 of POST /api/v1/votes, next to a naive aiohttp + aiosqlite endpoint.

Both run as separate processes on real SQLite files and are driven by the
same wrk Lua script (unique page per vote, a third of them "no" with a
reason), interleaved: each round measures both, in alternating order, and
the median of the rounds' ratios is the figure. Then the service is killed
with SIGKILL under load, restarted, and every vote that got a 201 must be in
the database. Last, ``promtool check metrics`` runs on the service's /metrics.

    python bench/feedback.py [--rounds 7] [--duration 8] [--connections 16]
                             [--visitor-votes 2] [--votes-per-minute 30]
                             [--backend sqlite|postgresql|both] [--out bench/out/feedback.json]

With ``--backend postgresql`` (or ``both``) the same runs are made on
PostgreSQL (TTS_DATABASE_URL): a server is started in a temporary folder
from Debian's ``postgresql`` package (as in the tests), and the baseline
is a naive aiohttp + asyncpg endpoint, one INSERT (autocommit) per request
on a pool.

The load is a crowd, as behind nginx: the service trusts 127.0.0.1 as its
proxy (TTS_TRUSTED_PROXIES) and every simulated visitor has an address of its
own in X-Forwarded-For and casts ``--visitor-votes`` votes (no two runs share
a visitor). The rate limit stays at the service's default of 30 votes a
minute per visitor, so it is enforced and counted for every vote (on
PostgreSQL in the shared ``rate_limits`` table, as with several copies) yet
no honest visitor hits it: any answer but 201 is reported and fails the run.
The figures are also written as JSON to ``--out``.

Needs Debian's ``wrk`` and ``prometheus`` (for promtool).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LUA = r"""
wrk.method = "POST"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local run, per_visitor = 0, 2
function init(args)
  run = tonumber(args[1]) or 0
  per_visitor = tonumber(args[2]) or 2
end
-- Visitor number -> an IPv4 address of its own (from 1.0.0.0 up): 2^20 visitors per
-- thread and run, 16 threads per run, so no two runs of one bench share a visitor.
local function address(v)
  v = v + 16777216
  return string.format("%d.%d.%d.%d", math.floor(v / 16777216) % 256,
    math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256)
end
local n = 0
request = function()
  n = n + 1
  local visitor = (run * 16 + tid - 1) * 1048576 + math.floor((n - 1) / per_visitor)
  -- wrk.format sends these headers instead of wrk.headers, not beside them
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address(visitor)}
  local page = string.format("https://www.regionstockholm.se/sida-%d-%d-%d/", run, tid, n)
  local body
  if n % 3 == 0 then
    body = '{"url":"' .. page .. '","answer":"no","reasons":["not_found"]}'
  else
    body = '{"url":"' .. page .. '","answer":"yes"}'
  end
  return wrk.format(nil, "/api/v1/votes", headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in time")


def start_service(
    data_dir: Path, port: int, database_url: str = "", votes_per_minute: int = 30
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TTS_DATABASE_URL": database_url,
        # copies sharing a database need one secret; a throwaway one for the bench
        "TTS_SECRET_KEY": "bench-secret-" + "0" * 32 if database_url else "",
        "TTS_DATA_DIR": str(data_dir),
        "TTS_PORT": str(port),
        "TTS_OFFLINE": "1",
        "TTS_VOTES_PER_MINUTE": str(votes_per_minute),
        # wrk and the kill test stand for nginx: each visitor is named in X-Forwarded-For
        "TTS_TRUSTED_PROXIES": "127.0.0.1",
        "TTS_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ttsservice", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def start_naive(db: Path | str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--naive-server", str(port), str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def naive_pg_server(port: int, url: str) -> None:
    """The PostgreSQL baseline: parse JSON, one INSERT (autocommit) on an asyncpg pool, 201."""
    import asyncpg
    from aiohttp import web

    pool_key = web.AppKey("pool", asyncpg.Pool)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(url, min_size=4, max_size=16)
        await pool.execute(
            "CREATE TABLE IF NOT EXISTS votes (id TEXT PRIMARY KEY, url TEXT, answer TEXT, "
            "reasons TEXT, day TEXT)"
        )
        app[pool_key] = pool
        yield
        await pool.close()

    async def vote(request: web.Request) -> web.Response:
        data = await request.json()
        vote_id = secrets.token_urlsafe(16)
        await request.app[pool_key].execute(
            "INSERT INTO votes VALUES ($1, $2, $3, $4, $5)",
            vote_id,
            data["url"],
            data["answer"],
            ",".join(data.get("reasons", [])),
            datetime.now(UTC).date().isoformat(),
        )
        return web.json_response({"id": vote_id}, status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.router.add_post("/api/v1/votes", vote)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def naive_server(port: int, db_path: str) -> None:
    """The baseline: parse JSON, INSERT, COMMIT, answer 201 (aiosqlite defaults)."""
    if db_path.startswith("postgresql://"):
        naive_pg_server(port, db_path)
        return
    import aiosqlite
    from aiohttp import web

    db_key = web.AppKey("db", aiosqlite.Connection)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = await aiosqlite.connect(db_path)
        await db.execute(
            "CREATE TABLE IF NOT EXISTS votes (id TEXT PRIMARY KEY, url TEXT, answer TEXT, "
            "reasons TEXT, day TEXT)"
        )
        await db.commit()
        app[db_key] = db
        yield
        await db.close()

    async def vote(request: web.Request) -> web.Response:
        data = await request.json()
        vote_id = secrets.token_urlsafe(16)
        db = request.app[db_key]
        await db.execute(
            "INSERT INTO votes VALUES (?, ?, ?, ?, ?)",
            (
                vote_id,
                data["url"],
                data["answer"],
                ",".join(data.get("reasons", [])),
                datetime.now(UTC).date().isoformat(),
            ),
        )
        await db.commit()
        return web.json_response({"id": vote_id}, status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.router.add_post("/api/v1/votes", vote)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def run_wrk(
    script: Path, base: str, duration: int, connections: int, run: int, visitor_votes: int
) -> dict[str, float]:
    """One wrk run; ``run`` numbers it so that its visitors are new ones."""
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            base + "/api/v1/votes",
            "--",
            str(run),
            str(visitor_votes),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if match is None:
        raise RuntimeError("wrk printed no result:\n" + output)
    requests, micros, status_errors, socket_errors, p50, p99 = map(int, match.groups())
    return {
        "votes_per_s": (requests - status_errors) / (micros / 1e6),
        "non_2xx": status_errors,
        "socket_errors": socket_errors,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
    }


async def _hammer(base: str, acked: list[str], stop: asyncio.Event, workers: int) -> int:
    import aiohttp

    errors = 0

    async def worker(w: int) -> None:
        nonlocal errors
        i = 0
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                i += 1
                body = {"url": f"https://www.regionstockholm.se/kill-{w}-{i}/", "answer": "yes"}
                visitor = {"X-Forwarded-For": f"192.0.{w}.{i % 250 + 1}"}
                try:
                    async with session.post(
                        base + "/api/v1/votes", json=body, headers=visitor
                    ) as response:
                        if response.status == 201:
                            acked.append((await response.json())["id"])
                except (aiohttp.ClientError, ConnectionError):
                    errors += 1
                    await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(worker(w)) for w in range(workers)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return errors


def _stored_ids(data_dir: Path, database_url: str) -> set[str]:
    if not database_url:
        with sqlite3.connect(data_dir / "feedback.sqlite3") as conn:
            return {row[0] for row in conn.execute("SELECT id FROM votes")}
    import asyncpg

    async def fetch() -> set[str]:
        conn = await asyncpg.connect(database_url)
        try:
            return {row[0] for row in await conn.fetch("SELECT id FROM votes")}
        finally:
            await conn.close()

    return asyncio.run(fetch())


def kill_test(
    data_dir: Path,
    port: int,
    load_seconds: float,
    database_url: str = "",
    votes_per_minute: int = 30,
) -> tuple[int, int, int]:
    """SIGKILL under load; (acknowledged, lost, stored after restart)."""
    proc = start_service(data_dir, port, database_url, votes_per_minute)
    base = f"http://127.0.0.1:{port}"
    acked: list[str] = []

    async def drive() -> None:
        stop = asyncio.Event()
        hammer = asyncio.create_task(_hammer(base, acked, stop, 16))
        await asyncio.sleep(load_seconds)
        proc.send_signal(signal.SIGKILL)  # the load is still running
        await asyncio.sleep(0.5)
        stop.set()
        await hammer

    asyncio.run(drive())
    proc.wait(timeout=10)
    restarted = start_service(data_dir, port, database_url, votes_per_minute)
    try:
        stored = _stored_ids(data_dir, database_url)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    lost = len(set(acked) - stored)
    return len(acked), lost, len(stored)


def promtool_check(base: str) -> tuple[bool, str, int]:
    with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
        text = response.read()
    series = [ln for ln in text.decode().splitlines() if ln and not ln.startswith("#")]
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, check=False
    )
    output = (result.stdout + result.stderr).decode().strip()
    return result.returncode == 0, output, len(series)


def main() -> int:
    """Run the comparison, the kill test and the metrics check; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="rounds, each measuring both servers (median)"
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--visitor-votes", type=int, default=2, help="votes each simulated visitor casts"
    )
    parser.add_argument(
        "--votes-per-minute",
        type=int,
        default=30,
        help="the service's TTS_VOTES_PER_MINUTE (per visitor; 30 is its default)",
    )
    parser.add_argument(
        "--kill-after", type=float, default=3.0, help="seconds of load before SIGKILL"
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="sqlite",
        help="which feedback store to measure",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "out" / "feedback.json", help="JSON output"
    )
    parser.add_argument("--naive-server", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_server:
        naive_server(int(args.naive_server[0]), args.naive_server[1])
        return 0
    for tool in ("wrk", "promtool"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install wrk prometheus", file=sys.stderr)
            return 2

    print(f"feedback bench: {os.cpu_count()} CPUs (shared machine: figures are indicative)")
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} rounds, each both "
        "servers in alternating order; unique page per vote, 1/3 'no' with a reason"
    )
    print(
        f"crowd: a new address (X-Forwarded-For, trusted proxy 127.0.0.1) every "
        f"{args.visitor_votes} votes; service TTS_VOTES_PER_MINUTE={args.votes_per_minute} "
        "per visitor, TTS_LOG_LEVEL=warning (no access log, like the baseline)"
    )
    report: dict[str, object] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "duration_s": args.duration,
        "connections": args.connections,
        "visitor_votes": args.visitor_votes,
        "votes_per_minute": args.votes_per_minute,
        "backends": {},
    }
    ok = True
    with tempfile.TemporaryDirectory(prefix="feedback-bench-") as folder:
        tmp = Path(folder)
        if args.backend in ("sqlite", "both"):
            ok = bench_backend(args, tmp / "sqlite", "", "", report=report) and ok
        if args.backend in ("postgresql", "both"):
            from tests.pgserver import PgServer

            server = PgServer()
            try:
                server.start()
                urls = {}
                for name in ("service", "naive", "kill"):
                    subprocess.run(
                        [
                            str(server.bindir / "createdb"),
                            "-h",
                            "127.0.0.1",
                            "-p",
                            str(server.port),
                            "-U",
                            server.user,
                            name,
                        ],
                        check=True,
                    )
                    urls[name] = server.url(name)
                ok = (
                    bench_backend(
                        args,
                        tmp / "postgresql",
                        urls["service"],
                        urls["naive"],
                        urls["kill"],
                        report=report,
                    )
                    and ok
                )
            finally:
                server.cleanup()
    report["ok"] = ok
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfigures written to {args.out}")
    return 0 if ok else 1


def bench_backend(
    args: argparse.Namespace,
    tmp: Path,
    service_url: str,
    naive_url: str,
    kill_url: str = "",
    *,
    report: dict[str, object],
) -> bool:
    """The comparison, metrics check and kill test on one backend; True when all is well."""
    tmp.mkdir(parents=True, exist_ok=True)
    postgres = bool(service_url)
    print()
    print(f"=== backend: {'PostgreSQL (TTS_DATABASE_URL)' if postgres else 'SQLite'} ===")
    if postgres:
        print("baseline: aiohttp + asyncpg pool, one INSERT (autocommit) per request")
    else:
        print(
            "baseline: aiohttp + aiosqlite, INSERT + COMMIT per request, SQLite defaults "
            "(rollback journal, synchronous=FULL)"
        )
    goal = 0.8 if postgres else 1.0
    script = tmp / "vote.lua"
    script.write_text(LUA)
    service_port, naive_port = free_port(), free_port()
    service = start_service(tmp / "service", service_port, service_url, args.votes_per_minute)
    naive = start_naive(naive_url or tmp / "naive.sqlite3", naive_port)
    bases = {
        "service": f"http://127.0.0.1:{service_port}",
        "naive": f"http://127.0.0.1:{naive_port}",
    }
    results: dict[str, list[dict[str, float]]] = {"service": [], "naive": []}
    runs = iter(range(1, 1000))

    def measure(name: str, duration: int) -> dict[str, float]:
        return run_wrk(
            script, bases[name], duration, args.connections, next(runs), args.visitor_votes
        )

    try:
        measure("service", 2)  # warm-up
        measure("naive", 2)
        for round_ in range(args.rounds):
            # Alternate who goes first, so neither always follows the other's load.
            order = ("naive", "service") if round_ % 2 == 0 else ("service", "naive")
            for name in order:
                figures = measure(name, args.duration)
                results[name].append(figures)
                print(
                    f"  round {round_ + 1} {name:8s} {figures['votes_per_s']:8.0f} votes/s  "
                    f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
                    f"non-2xx {figures['non_2xx']:.0f}  socket errors "
                    f"{figures['socket_errors']:.0f}"
                )
        ok, promtool_output, series = promtool_check(bases["service"])
    finally:
        for proc in (service, naive):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    ratios = [
        s["votes_per_s"] / n["votes_per_s"]
        for s, n in zip(results["service"], results["naive"], strict=True)
    ]
    ratio = statistics.median(ratios)
    ours, base_rate = median("service", "votes_per_s"), median("naive", "votes_per_s")
    p99, naive_p99 = median("service", "p99_ms"), median("naive", "p99_ms")
    rejected = sum(r["non_2xx"] + r["socket_errors"] for rs in results.values() for r in rs)
    print()
    print(
        f"median of the {args.rounds} rounds' ratios: {ratio:.2f}x the naive baseline "
        f"(goal >= {goal}x: {'met' if ratio >= goal else 'NOT met'}); rounds: "
        + " ".join(f"{r:.2f}" for r in ratios)
    )
    print(f"median votes/s: service {ours:.0f}, naive baseline {base_rate:.0f}")
    print(
        f"median p99: service {p99:.2f} ms, naive baseline {naive_p99:.2f} ms "
        f"(goal <= 25 ms: {'met' if p99 <= 25 else 'NOT met'})"
    )
    print(
        f"answers other than 201 (429s included) or socket errors: {rejected:.0f} "
        f"({'none: clean' if rejected == 0 else 'CONTAMINATED'})"
    )
    print(
        f"promtool check metrics after the load: {'passed' if ok else 'FAILED'}; "
        f"{series} series in /metrics"
    )
    if not ok:
        print(promtool_output)

    acknowledged, lost, stored = kill_test(
        tmp / "kill", free_port(), args.kill_after, kill_url, args.votes_per_minute
    )
    print(
        f"kill -9 under load: {acknowledged} votes acknowledged with 201, {stored} in the "
        f"database after restart, {lost} lost ({'OK' if lost == 0 else 'FAILED'})"
    )
    backends = report["backends"]
    assert isinstance(backends, dict)
    backends["postgresql" if postgres else "sqlite"] = {
        "goal_ratio": goal,
        "median_ratio": round(ratio, 3),
        "round_ratios": [round(r, 3) for r in ratios],
        "service_votes_per_s": round(ours, 1),
        "naive_votes_per_s": round(base_rate, 1),
        "service_p99_ms": p99,
        "naive_p99_ms": naive_p99,
        "not_201": rejected,
        "rounds": results,
        "promtool_ok": ok,
        "kill": {"acknowledged": acknowledged, "stored": stored, "lost": lost},
    }
    return ok and lost == 0 and rejected == 0


if __name__ == "__main__":
    raise SystemExit(main())
