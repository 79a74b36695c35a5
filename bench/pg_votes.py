"""Votes per second that one PostgreSQL core commits, for docs/scaling.md.

A throwaway server (initdb in a temporary folder, Debian's ``postgresql``
binaries) is pinned to one CPU with ``taskset``; ``pgbench`` on another CPU
sends the service's vote transaction: the vote row plus the daily-total
upsert, and for a third of the votes a reason upsert, in one transaction with
``synchronous_commit=on`` (an acknowledged vote is on disk). The tables are
feedback/schema.py's, in PostgreSQL types. This measures the database alone,
not the service in front of it (bench/feedback.py does that).

    python bench/pg_votes.py [--seconds 20] [--clients 8] [--cpu 0]

As root the server runs as the ``postgres`` user. Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SCHEMA = """
CREATE TABLE votes (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, answer TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    reasons TEXT NOT NULL DEFAULT '', token_key TEXT, day TEXT NOT NULL);
CREATE UNIQUE INDEX votes_token ON votes (token_key) WHERE token_key IS NOT NULL;
CREATE INDEX votes_day ON votes (day);
CREATE TABLE page_daily (
    day TEXT NOT NULL, url TEXT NOT NULL, yes INTEGER NOT NULL DEFAULT 0,
    no INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, url));
CREATE INDEX page_daily_url ON page_daily (url, day);
CREATE TABLE reason_daily (
    day TEXT NOT NULL, url TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, url, reason));
"""

# One vote, as the service writes it: a third are "no" with a reason.
VOTE = r"""
\set page random(1, 5000)
\set no random(0, 2)
BEGIN;
INSERT INTO votes (id, url, answer, reasons, token_key, day)
  VALUES (md5(random()::text || clock_timestamp()::text), 'https://www.example.se/sida/' || :page,
          CASE WHEN :no = 0 THEN 'no' ELSE 'yes' END,
          CASE WHEN :no = 0 THEN 'hittade_inte' ELSE '' END,
          md5(random()::text), current_date::text);
INSERT INTO page_daily (day, url, yes, no)
  VALUES (current_date::text, 'https://www.example.se/sida/' || :page,
          CASE WHEN :no = 0 THEN 0 ELSE 1 END, CASE WHEN :no = 0 THEN 1 ELSE 0 END)
  ON CONFLICT (day, url) DO UPDATE
  SET yes = page_daily.yes + excluded.yes, no = page_daily.no + excluded.no;
INSERT INTO reason_daily (day, url, reason, n)
  SELECT current_date::text, 'https://www.example.se/sida/' || :page, 'hittade_inte', 1
  WHERE :no = 0
  ON CONFLICT (day, url, reason) DO UPDATE SET n = reason_daily.n + 1;
END;
"""


def _bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise SystemExit(f"{name} is missing: install Debian's postgresql package")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="pgbench run time")
    parser.add_argument("--clients", type=int, default=8, help="pgbench connections")
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU the server may use")
    args = parser.parse_args()
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    cpus = os.sched_getaffinity(0)
    bench_cpus = ",".join(str(c) for c in sorted(cpus - {args.cpu}) or [args.cpu])
    with tempfile.TemporaryDirectory(prefix="pg-votes-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        if as_user:
            shutil.chown(folder, "postgres", "postgres")
        run = subprocess.run
        run(
            [*as_user, _bin("initdb"), "-D", str(data), "-A", "trust", "-U", "bench"],
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses='' -k {folder} -c max_connections=50 -c fsync=on"
        server = [
            *as_user,
            "taskset",
            "-c",
            str(args.cpu),
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ]
        run(server, check=True, capture_output=True)
        try:
            psql = [_bin("psql"), "-h", str(folder), "-U", "bench", "-q", "-v", "ON_ERROR_STOP=1"]
            run([*psql, "-d", "postgres", "-c", "CREATE DATABASE votes"], check=True)
            run([*psql, "-d", "votes", "-c", SCHEMA], check=True)
            script = folder / "vote.sql"
            script.write_text(VOTE)
            script.chmod(0o644)
            out = run(
                [
                    "taskset",
                    "-c",
                    bench_cpus,
                    _bin("pgbench"),
                    "-h",
                    str(folder),
                    "-U",
                    "bench",
                    "-n",
                    "-M",
                    "prepared",
                    "-c",
                    str(args.clients),
                    "-j",
                    "1",
                    "-T",
                    str(args.seconds),
                    "-f",
                    str(script),
                    "-r",
                    "votes",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            run(
                [*as_user, _bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                check=False,
                capture_output=True,
            )
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    print(
        json.dumps(
            {
                "votes_per_second": float(tps.group(1)) if tps else None,
                "latency_ms_avg": float(latency.group(1)) if latency else None,
                "clients": args.clients,
                "seconds": args.seconds,
                "server_cpu": args.cpu,
                "synchronous_commit": "on",
            }
        )
    )


if __name__ == "__main__":
    main()
