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


def _csrf(base: str, path: str, cookie: str | None = None) -> str:
    status, _, html = _call(base + path, headers={"Cookie": cookie} if cookie else {})
    assert status == 200
    found = re.search(rb'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1).decode()


def _sign_in(base: str) -> tuple[str, str]:
    """A new dashboard session: its cookie and the CSRF token of its forms."""
    body = urllib.parse.urlencode(
        {
            "user": USER,
            "password": PASSWORD,
            "csrf": _csrf(base, "/dashboard/login"),
            "next": "/dashboard",
        }
    ).encode()
    status, headers, _ = _call(
        base + "/dashboard/login",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    cookie = re.search(r"(tts_dashboard=[^;]+)", headers["Set-Cookie"])
    assert cookie
    return cookie.group(1), _csrf(base, "/dashboard", cookie.group(1))


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
        "TTS_CLIENT_SPEECH_RATE": "10000",
        "TTS_CLIENT_SPEECH_BURST": "1000000",
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


def contract_config(base: str) -> str:
    """Seed the running service with data and return the schemathesis configuration for it."""
    cookie, csrf = _sign_in(base)
    # Signing out ends a session: the sign-out operation gets a session of its own.
    leaving, leaving_csrf = _sign_in(base)
    login_csrf = _csrf(base, "/dashboard/login")
    page = base + "/demo"
    vote = _post_json(base + "/api/v1/votes", {"url": page, "answer": "no"})
    comment = _post_json(
        base + f"/api/v1/votes/{vote['id']}/comment", {"comment": "Texten är svår."}
    )
    reading = _post_json(base + "/api/v1/readings", {"text": "Hej. Det här är en text."})
    clip = reading["sentences"][0]["audio"]["mp3"]
    key = clip.rsplit("/", 1)[1].split(".")[0]
    return f"""
seed = {SEED}
workers = 1
continue-on-failure = true
max-failures = 1000
[generation]
max-examples = {EXAMPLES}
database = "none"
# The service ignores query parameters it does not list (the OpenAPI document says so).
allow-extra-parameters = false
# Responses are not a source of test data: schemathesis would put a value it saw in an answer
# in place of the one it generated for a negative case, and then judge the wrong request.
[phases.coverage.extra-data-sources]
responses = false
[phases.fuzzing.extra-data-sources]
responses = false
[headers]
Authorization = "Bearer {TOKEN}"
Cookie = "{cookie}"
X-CSRF-Token = "{csrf}"
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
# Existing things to work on, so no operation is only ever answered 404. (One filter per
# block: several include-* filters in a block match an operation that passes any of them.)
[[operations]]
include-path-regex = 'comments/\\{{id\\}}'
parameters = {{ "path.id" = "{comment["id"]}" }}
[[operations]]
include-name = "GET /api/v1/audio/{{name}}"
parameters = {{ "path.name" = "{key}.mp3" }}
# Half the pages asked for are the service's own demo page, the only one it may read here;
# the rest are generated addresses (refused: not allow-listed).
[dictionaries]
pages = {{ values = ["{page}"] }}
users = {{ values = ["{USER}"] }}
passwords = {{ values = ["{PASSWORD}"] }}
[[operations]]
include-name = "GET /api/v1/extract"
parameters = {{ "query.url" = {{ dictionary = "pages", probability = 0.5 }} }}
[[operations]]
include-name = "GET /api/v1/readings"
parameters = {{ "query.url" = {{ dictionary = "pages", probability = 0.5 }} }}
[[operations]]
include-name = "POST /dashboard/login"
headers = {{ Authorization = "Bearer {TOKEN}", "X-CSRF-Token" = "{login_csrf}" }}
[operations.parameters]
"body.user" = {{ dictionary = "users", probability = 0.5 }}
"body.password" = {{ dictionary = "passwords", probability = 0.5 }}
[[operations]]
include-name = "POST /dashboard/logout"
headers = {{ Cookie = "{leaving}", "X-CSRF-Token" = "{leaving_csrf}" }}
[parameters]
"query.voice" = "sv_SE-test-tiny"
"path.id" = "{vote["id"]}"
"path.key" = "{key}"
"path.ident" = "{reading["id"]}"
"""


@pytest.mark.slow
def test_the_service_does_what_its_openapi_document_says(service: str, tmp_path: Path) -> None:
    base = service
    config = tmp_path / "schemathesis.toml"
    config.write_text(contract_config(base), encoding="utf-8")
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
        ],
        cwd=tmp_path,  # schemathesis keeps its own files in the working folder
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-4000:]
    # Every operation reached past its 401/403/404/429: none left untested.
    for warning in ("Authentication failed", "Missing test data", "Rate limited"):
        assert warning not in run.stdout, run.stdout[-20000:]
