"""The feedback path as processes: acknowledged votes survive kill -9; purge and export CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from feedback.store import FeedbackStore
from tests.procutil import REPO, start_service

PAGE = "https://www.regionstockholm.se/vard/akut/"


def _post_votes(base: str, acked: list[str], stop: threading.Event, worker: int) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        body = json.dumps(
            {"url": PAGE, "answer": "yes" if i % 2 else "no", "comment": f"w{worker} n{i}"}
        ).encode()
        request = urllib.request.Request(
            base + "/api/v1/votes", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 201:
                    acked.append(json.loads(response.read())["id"])
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return  # the server is gone


def kill_9_under_vote_load(env: dict[str, str]) -> list[str]:
    """Start the service, post votes from six clients, kill -9 it after 300 are acknowledged.

    Returns the ids of the acknowledged votes (the caller checks they are stored).
    """
    proc, base = start_service(env)
    acked: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=_post_votes, args=(base, acked, stop, n), daemon=True)
        for n in range(6)
    ]
    try:
        for worker in workers:
            worker.start()
        deadline = datetime.now(UTC).timestamp() + 60
        while len(acked) < 300 and datetime.now(UTC).timestamp() < deadline:
            threading.Event().wait(0.02)
        proc.send_signal(signal.SIGKILL)  # while the workers are still posting
        proc.wait(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        for worker in workers:
            worker.join(timeout=10)
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 300
    return acked


def test_every_acknowledged_vote_survives_kill_9(tmp_path: Path) -> None:
    env = {"TTS_DATA_DIR": str(tmp_path), "TTS_VOTES_PER_MINUTE": "100000"}
    acked = kill_9_under_vote_load(env)
    restarted, base = start_service(env)
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
            ready = json.loads(response.read())
        assert {"name": "database", "status": "ok", "detail": "writable"} in ready["checks"]
        with sqlite3.connect(tmp_path / "feedback.sqlite3") as conn:
            stored = {row[0] for row in conn.execute("SELECT id FROM votes")}
            totals = conn.execute("SELECT SUM(yes) + SUM(no) FROM page_daily").fetchone()[0]
            comments = conn.execute("SELECT COUNT(*) FROM comments").fetchone()[0]
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.communicate(timeout=30)
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged votes were lost"
    assert totals == len(stored) == comments  # totals and comments committed with their votes


def _old_data(path: Path) -> None:
    async def fill() -> None:
        old = datetime(2020, 1, 15, 12, tzinfo=UTC)
        async with FeedbackStore(path, clock=lambda: old) as store:
            await store.add_vote(PAGE, "no", ["outdated"], comment="Gammal — Åsa")
        async with FeedbackStore(path) as store:
            await store.add_vote(PAGE, "yes", comment="Ny kommentar; bra")

    asyncio.run(fill())


def test_purge_command_deletes_expired_feedback_and_audits(tmp_path: Path) -> None:
    _old_data(tmp_path / "feedback.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "ttsservice", "feedback", "purge", "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 comments" in result.stdout and "1 raw votes" in result.stdout
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM comments").fetchone()[0] == 1
        assert conn.execute("SELECT SUM(yes), SUM(no) FROM page_daily").fetchone() == (1, 1)
        action, detail = conn.execute("SELECT action, detail FROM audit").fetchone()
    assert action == "retention"
    assert json.loads(detail)["comments_deleted"] == 1


def test_export_command_writes_csv_for_excel(tmp_path: Path) -> None:
    _old_data(tmp_path / "feedback.sqlite3")
    out = tmp_path / "kommentarer.csv"
    command = [sys.executable, "-m", "ttsservice", "feedback", "export", "comments"]
    result = subprocess.run(
        [*command, "--data-dir", str(tmp_path), "--since", "2021-01-01", "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert [r["text"] for r in rows] == ["Ny kommentar; bra"]
    missing = subprocess.run(
        [*command, "--data-dir", str(tmp_path / "nothing")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert "no feedback database" in missing.stderr
