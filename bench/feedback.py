"""Votes per second and p99 of POST /api/v1/votes, next to a naive aiohttp + aiosqlite endpoint.

Both run as separate processes on real SQLite files and are driven by the
same wrk Lua script (unique page per vote, a third of them "no" with a
reason), alternating, several rounds; the medians are printed. Then the
service is killed with SIGKILL under load, restarted, and every vote that
got a 201 must be in the database. Last, ``promtool check metrics`` runs on
the service's /metrics.

    python bench/feedback.py [--rounds 3] [--duration 8] [--connections 16]
                             [--backend sqlite|postgresql|both]

With ``--backend postgresql`` (or ``both``) the same runs are made on
PostgreSQL (TTS_DATABASE_URL): a server is started in a temporary folder
from Debian's ``postgresql`` package (as in the tests), and the baseline
is a naive aiohttp + asyncpg endpoint, one INSERT (autocommit) per request
on a pool.

Needs Debian's ``wrk`` and ``prometheus`` (for promtool). The rate limit
(TTS_VOTES_PER_MINUTE) is raised to its maximum for the run: wrk posts from
one address. On PostgreSQL every vote is still counted in the shared
``rate_limits`` table (as with several copies), so that cost is measured.
"""

from __future__ import annotations

import argparse
import asyncio
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
wrk.headers["Content-Type"] = "application/json"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  local body
  if n % 3 == 0 then
    body = string.format(
      '{"url":"https://www.regionstockholm.se/sida-%d-%d/","answer":"no","reasons":["not_found"]}',
      tid, n)
  else
    body = string.format(
      '{"url":"https://www.regionstockholm.se/sida-%d-%d/","answer":"yes"}', tid, n)
  end
  return wrk.format(nil, "/api/v1/votes", nil, body)
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


def start_service(data_dir: Path, port: int, database_url: str = "") -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TTS_DATABASE_URL": database_url,
        # copies sharing a database need one secret; a throwaway one for the bench
        "TTS_SECRET_KEY": "bench-secret-" + "0" * 32 if database_url else "",
        "TTS_DATA_DIR": str(data_dir),
        "TTS_PORT": str(port),
        "TTS_OFFLINE": "1",
        "TTS_VOTES_PER_MINUTE": "100000",
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


def run_wrk(script: Path, base: str, duration: int, connections: int) -> dict[str, float]:
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
                try:
                    async with session.post(base + "/api/v1/votes", json=body) as response:
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
    data_dir: Path, port: int, load_seconds: float, database_url: str = ""
) -> tuple[int, int, int]:
    """SIGKILL under load; (acknowledged, lost, stored after restart)."""
    proc = start_service(data_dir, port, database_url)
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
    restarted = start_service(data_dir, port, database_url)
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
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per server (median)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--kill-after", type=float, default=3.0, help="seconds of load before SIGKILL"
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="sqlite",
        help="which feedback store to measure",
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
        f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} rounds alternating; "
        "unique page per vote, 1/3 'no' with a reason"
    )
    print(
        "service: TTS_VOTES_PER_MINUTE=100000 (rate limit raised: wrk posts from one address), "
        "TTS_LOG_LEVEL=warning (no access log, like the baseline)"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="feedback-bench-") as folder:
        tmp = Path(folder)
        if args.backend in ("sqlite", "both"):
            ok = bench_backend(args, tmp / "sqlite", "", "") and ok
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
                        args, tmp / "postgresql", urls["service"], urls["naive"], urls["kill"]
                    )
                    and ok
                )
            finally:
                server.cleanup()
    return 0 if ok else 1


def bench_backend(
    args: argparse.Namespace, tmp: Path, service_url: str, naive_url: str, kill_url: str = ""
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
    service = start_service(tmp / "service", service_port, service_url)
    naive = start_naive(naive_url or tmp / "naive.sqlite3", naive_port)
    service_base = f"http://127.0.0.1:{service_port}"
    naive_base = f"http://127.0.0.1:{naive_port}"
    results: dict[str, list[dict[str, float]]] = {"service": [], "naive": []}
    try:
        run_wrk(script, service_base, 2, args.connections)  # warm-up
        run_wrk(script, naive_base, 2, args.connections)
        for round_ in range(args.rounds):
            for name, base in (("naive", naive_base), ("service", service_base)):
                figures = run_wrk(script, base, args.duration, args.connections)
                results[name].append(figures)
                print(
                    f"  round {round_ + 1} {name:8s} {figures['votes_per_s']:8.0f} votes/s  "
                    f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
                    f"non-2xx {figures['non_2xx']:.0f}  socket errors "
                    f"{figures['socket_errors']:.0f}"
                )
        ok, promtool_output, series = promtool_check(service_base)
    finally:
        for proc in (service, naive):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    ours, base_rate = median("service", "votes_per_s"), median("naive", "votes_per_s")
    p99 = median("service", "p99_ms")
    print()
    print(
        f"median votes/s: service {ours:.0f}, naive baseline {base_rate:.0f} "
        f"({ours / base_rate:.2f}x; goal >= {goal}x: "
        f"{'met' if ours >= goal * base_rate else 'NOT met'})"
    )
    print(
        f"median p99: service {p99:.2f} ms, naive baseline {median('naive', 'p99_ms'):.2f} ms "
        f"(goal <= 25 ms: {'met' if p99 <= 25 else 'NOT met'})"
    )
    print(
        f"promtool check metrics after the load: {'passed' if ok else 'FAILED'}; "
        f"{series} series in /metrics"
    )
    if not ok:
        print(promtool_output)

    acknowledged, lost, stored = kill_test(tmp / "kill", free_port(), args.kill_after, kill_url)
    print(
        f"kill -9 under load: {acknowledged} votes acknowledged with 201, {stored} in the "
        f"database after restart, {lost} lost ({'OK' if lost == 0 else 'FAILED'})"
    )
    return ok and lost == 0


if __name__ == "__main__":
    raise SystemExit(main())
