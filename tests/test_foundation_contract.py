"""The service does exactly what its OpenAPI document says: schemathesis against the real service.

The real ``ttsservice serve`` (tiny test voice, SQLite in a temporary folder, the dashboard
and the statistics API on) is probed by schemathesis with every check, a fixed seed and every
phase (examples, coverage, fuzzing, stateful). The limits are raised so that no operation is
left untested behind a 429, and the run is seeded with data (a vote with a comment, a reading,
a clip) whose identifiers are handed to schemathesis, so the operations on existing resources
are reached too. A failure prints schemathesis' own report with a ``curl`` line to reproduce it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procutil import start_service
from tests.tinyvoice import make_tiny_voice
from ttsservice.dashboard.auth import hash_password

USER = "redaktor"
PASSWORD = "korrekt-häst-batteri-kontrakt"
TOKEN = "statistik-token-for-kontraktstestet-0123456789"
SEED = int(os.environ.get("TTS_CONTRACT_SEED", "20261204"))
EXAMPLES = int(os.environ.get("TTS_CONTRACT_EXAMPLES", "40"))
"""Cases per operation and phase: enough for every check to see each operation many times.
A deeper run: ``TTS_CONTRACT_EXAMPLES=500 TTS_CONTRACT_SEED=N pytest FILE`` (N any seed).
"""


def _call(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    status, _, data = _call(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    assert status in (200, 201), (url, status, data[:300])
    answer: dict[str, Any] = json.loads(data)
    return answer


def _sign_in(base: str) -> str:
    status, headers, form = _call(base + "/dashboard/login")
    assert status == 200
    csrf = re.search(rb'name="csrf" value="([^"]+)"', form)
    assert csrf
    body = urllib.parse.urlencode(
        {"user": USER, "password": PASSWORD, "csrf": csrf.group(1).decode(), "next": "/dashboard"}
    ).encode()
    status, headers, _ = _call(
        base + "/dashboard/login",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    cookie = re.search(r"(tts_dashboard=[^;]+)", headers["Set-Cookie"])
    assert cookie
    return cookie.group(1)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("contract")
    make_tiny_voice(root / "voices")
    env = {
        "TTS_DATA_DIR": str(root / "data"),
        "TTS_VOICES_DIR": str(root / "voices"),
        "TTS_VOICE": "sv_SE-test-tiny",
        "TTS_LOG_LEVEL": "warning",
        "TTS_SPEAK_PER_MINUTE": "100000",
        "TTS_VOTES_PER_MINUTE": "100000",
        "TTS_DASHBOARD_LOGIN_ATTEMPTS": "1000",
        "TTS_STATS_TOKEN": TOKEN,
        "TTS_DASHBOARD_USERS": f"{USER}:{hash_password(PASSWORD)}",
    }
    proc, base = start_service(env)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.mark.slow
def test_the_service_does_what_its_openapi_document_says(service: str, tmp_path: Path) -> None:
    base = service
    cookie = _sign_in(base)
    page = base + "/demo"
    vote = _post_json(base + "/api/v1/votes", {"url": page, "answer": "no"})
    _post_json(base + f"/api/v1/votes/{vote['id']}/comment", {"comment": "Texten är svår."})
    reading = _post_json(base + "/api/v1/readings", {"text": "Hej. Det här är en text."})
    clip = reading["sentences"][0]["audio"]["mp3"]
    key = clip.rsplit("/", 1)[1].split(".")[0]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"""
seed = {SEED}
workers = 1
continue-on-failure = true
max-failures = 1000
[generation]
max-examples = {EXAMPLES}
database = "none"
[checks]
enabled = true
# Rules JSON Schema cannot state, so a request inside the schema may still be refused:
# the dashboard's "since" must not be after "until" (and some CSV tables need ?url=);
# whether a page can be read depends on what its address answers (not HTML: 415, too big:
# 413, unreachable or failing: 502, too slow: 504), and those are the documented answers.
[[operations]]
include-path-regex = "^/dashboard(/pages|/page|/sections|/csv/.*)?$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404"]
[[operations]]
include-path-regex = "^/api/v1/(extract|readings)$"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "403", "404", "413", "415", "429", "5xx"
]
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]
[parameters]
"path.id" = "{vote["id"]}"
"path.key" = "{key}"
"path.ident" = "{reading["id"]}"
""",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            base + "/openapi.json",
            "--checks",
            "all",
            "--no-color",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--header",
            f"Cookie: {cookie}",
        ],
        cwd=tmp_path,  # schemathesis keeps its own files in the working folder
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-4000:]
