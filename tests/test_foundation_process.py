"""The service as a process: start-up message, request logs, SIGTERM, container lint."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procutil import REPO, run_ttsservice, start_service, tmpfs
from ttsservice.cli import freeze_startup_objects


def test_serve_prints_demo_url_logs_without_ip_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc, base = start_service({"TTS_DATA_DIR": str(tmp_path), "TTS_LOG_FORMAT": "json"})
    try:
        with urllib.request.urlopen(base + "/demo?secret=page", timeout=5) as response:
            assert response.status == 200
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert f"Demo page: {base}/demo" in out
    request_lines = [
        json.loads(line)
        for line in err.splitlines()
        if line.startswith("{") and json.loads(line).get("logger") == "ttsservice.access"
    ]
    routes = [entry["route"] for entry in request_lines]
    assert "/demo" in routes and "/healthz" in routes
    assert "127.0.0.1" not in err.replace(base, "")
    assert "secret=page" not in err
    assert "Traceback" not in err
    assert "TTS_DEMO is on" not in err  # no public URL: a laptop demo, nothing to warn about


def test_demo_with_a_public_url_is_warned_about_at_start(tmp_path: Path) -> None:
    """The demo exempts the own origin from the private-address check: say so loudly."""
    proc, _base = start_service(
        {"TTS_DATA_DIR": str(tmp_path), "TTS_PUBLIC_URL": "https://tts.example.se"}
    )
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    warning = [line for line in err.splitlines() if "TTS_DEMO is on" in line]
    assert len(warning) == 1 and "WARNING" in warning[0].upper()
    assert "TTS_DEMO=0" in warning[0]


def test_a_port_in_use_is_named_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "TTS_DATA_DIR": str(tmp_path), "TTS_OFFLINE": "1"}
        env |= {"TTS_HOST": "127.0.0.1", "TTS_PORT": str(port)}
        done = run_ttsservice("serve", env=env)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "TTS_PORT" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system (a tmpfs mounted ro; root can write through chmod, not this)."""
    with tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        yield folder


def _serve_with_data_dir(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TTS_DATA_DIR": str(data_dir), "TTS_OFFLINE": "1"}
    return run_ttsservice("serve", env=env, timeout=60)


def test_a_read_only_data_folder_is_one_line_naming_the_setting(read_only_folder: Path) -> None:
    done = _serve_with_data_dir(read_only_folder / "var")
    assert done.returncode == 2, done.stderr
    assert "TTS_DATA_DIR" in done.stderr and "Read-only file system" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_data_folder_that_cannot_be_made_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = _serve_with_data_dir(blocker / "var")
    assert done.returncode == 2, done.stderr
    assert "TTS_DATA_DIR" in done.stderr and "Traceback" not in done.stderr


def test_client_ip_is_logged_only_when_enabled(tmp_path: Path) -> None:
    proc, base = start_service({"TTS_DATA_DIR": str(tmp_path), "TTS_LOG_CLIENT_IP": "true"})
    try:
        urllib.request.urlopen(base + "/healthz", timeout=5).close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    access = [line for line in err.splitlines() if "ttsservice.access" in line]
    assert access, err
    # The text format keeps the line short; the IP travels as a structured field, so check JSON.
    proc, base = start_service(
        {"TTS_DATA_DIR": str(tmp_path), "TTS_LOG_CLIENT_IP": "true", "TTS_LOG_FORMAT": "json"}
    )
    try:
        urllib.request.urlopen(base + "/healthz", timeout=5).close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(entry.get("client_ip") == "127.0.0.1" for entry in entries)


def test_client_ip_behind_a_trusted_proxy_is_the_forwarded_one(tmp_path: Path) -> None:
    env = {
        "TTS_DATA_DIR": str(tmp_path),
        "TTS_LOG_CLIENT_IP": "true",
        "TTS_LOG_FORMAT": "json",
        "TTS_TRUSTED_PROXIES": "127.0.0.1",
    }
    forwarded = {"X-Forwarded-For": "198.51.100.9, 192.0.2.7"}
    proc, base = start_service(env)
    try:
        request = urllib.request.Request(base + "/healthz", headers=forwarded)
        urllib.request.urlopen(request, timeout=5).close()
        # A sentence's audio, once routed (unknown query) and once from the hot clip front.
        speak = urllib.request.Request(
            base + "/api/v1/speak",
            data=json.dumps({"text": "Hej och välkommen."}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(speak, timeout=60) as response:
            audio = response.headers["Content-Location"]
        for url in (base + audio + "?via=router", base + audio):
            fetch = urllib.request.Request(url, headers=forwarded)
            urllib.request.urlopen(fetch, timeout=5).close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    logged = [e["client_ip"] for e in entries if e.get("route") == "/healthz"]
    # Start-up polling came straight from 127.0.0.1; the proxied request was 192.0.2.7's.
    assert logged[-1] == "192.0.2.7" and set(logged[:-1]) <= {"127.0.0.1"}, err
    audio_lines = [e for e in entries if e.get("route") == "/api/v1/audio/{name}"]
    assert [(e["status"], e["client_ip"]) for e in audio_lines] == [(200, "192.0.2.7")] * 2, err


def test_dockerfile_passes_hadolint() -> None:
    # The virtual environment's bin folder is not on PATH when pytest runs as .venv/bin/python.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    hadolint = shutil.which("hadolint", path=search)
    if hadolint is None:
        pytest.fail("hadolint is missing: install the test extras (pip install -e '.[test]')")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_with_healthcheck_and_exec_entry() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2, "multi-stage build"
    assert "\nUSER 10001" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["ttsservice"]' in text
    assert "ARG TTS_VOICE" in text


def test_slow_headers_are_cut_off_and_connections_per_client_are_bounded(
    tmp_path: Path,
) -> None:
    """Partial headers do not hold a connection for minutes, nor can one client hold many."""
    proc, base = start_service(
        {
            "TTS_DATA_DIR": str(tmp_path),
            "TTS_HEADER_TIMEOUT": "1",
            "TTS_MAX_CONNECTIONS_PER_CLIENT": "5",
        }
    )
    port = int(base.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
            held.append(sock)
        extra = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert extra.recv(100) == b""  # over the per-client limit: closed at once
        extra.close()
        started = time.monotonic()
        for sock in held:
            assert sock.recv(100) == b""  # closed by the header deadline
        assert time.monotonic() - started < 8
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        for sock in held:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert "too many open connections from one client" in err


def test_a_request_aiohttp_cannot_read_gets_the_json_error_and_no_traceback(
    tmp_path: Path,
) -> None:
    """A request line over 8190 bytes or broken HTTP: the canonical JSON 400, one log line."""
    proc, base = start_service({"TTS_DATA_DIR": str(tmp_path), "TTS_LOG_LEVEL": "info"})
    port = int(base.rsplit(":", 1)[1])
    answers = []
    try:
        for request in (
            b"GET /api/v1/stats/pages?url=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 9000 + b"\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(request)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            answers.append(data)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    for data in answers:
        head, _, body = data.partition(b"\r\n\r\n")
        assert re.match(rb"HTTP/1\.[01] 400 ", head), head[:200]
        assert b"Content-Type: application/json" in head
        assert b"X-Content-Type-Options: nosniff" in head
        error = json.loads(body)["error"]
        assert error["code"] == "bad_http" and error["status"] == 400
        assert "8190" in error["message"]
    assert "Traceback" not in err
    assert err.count("an unreadable HTTP request was refused") == 3


class _Node:
    other: _Node | None = None


def test_start_up_objects_are_left_out_of_full_collections_and_its_garbage_is_not() -> None:
    """What start-up keeps is frozen (a full collection no longer walks it, see
    ``freeze_startup_objects``); what it dropped is collected first, not frozen for good."""
    kept = {"voice": [_Node() for _ in range(100)]}
    garbage = _Node()
    garbage.other = _Node()
    garbage.other.other = garbage  # a cycle only the collector can free
    gone = weakref.ref(garbage)
    del garbage
    try:
        frozen = freeze_startup_objects()
        assert frozen > 100 and gc.get_freeze_count() == frozen
        assert gone() is None
        assert all(o is not kept for o in gc.get_objects())  # frozen: not walked any more
    finally:
        gc.unfreeze()
