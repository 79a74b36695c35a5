"""The site lexicon in the real ``ttsservice serve`` process: SIGHUP reloads it."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.procutil import start_service

BROKEN = '[words]\n"Tiohundra" = tio hundra\n'
FIXED = '[words]\n"Tiohundra" = "tiohundra"\n'


def _lexicon_check(base: str) -> dict[str, str]:
    with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
        body = json.loads(response.read())
    check: dict[str, str] = next(c for c in body["checks"] if c["name"] == "lexicon")
    return check


def test_sighup_makes_the_running_service_read_the_lexicon_again(tmp_path: Path) -> None:
    site = tmp_path / "lexicon.toml"
    # same length and, below, same modification time: only SIGHUP can reveal the change
    broken = BROKEN + "#" * (len(FIXED) - len(BROKEN) - 1) + "\n"
    assert len(broken) == len(FIXED)
    site.write_text(broken, "utf-8")
    env = {"TTS_DATA_DIR": str(tmp_path / "var"), "TTS_LEXICON_PATH": str(site)}
    proc, base = start_service(env)
    try:
        check = _lexicon_check(base)
        assert check["status"] == "degraded" and str(site) in check["detail"]

        stat = site.stat()
        site.write_text(FIXED, "utf-8")
        os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        time.sleep(2.5)  # a poll has run: it saw no change
        assert _lexicon_check(base)["status"] == "degraded"

        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while _lexicon_check(base)["status"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _lexicon_check(base)["status"] == "ok"
        assert proc.poll() is None  # SIGHUP did not stop the service
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert err.count("site lexicon not loaded") == 1  # one clear line for the broken file


def test_sighup_without_a_site_lexicon_does_not_stop_the_service(tmp_path: Path) -> None:
    """SIGHUP means reload; with nothing to reload it is a logged no-op, never a stop."""
    proc, base = start_service({"TTS_DATA_DIR": str(tmp_path / "var")})
    try:
        os.kill(proc.pid, signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None, "SIGHUP stopped the service"
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "SIGHUP: no site lexicon" in err
