"""Two real copies behind the shipped deploy/nginx/ttsservice-copies.conf.

Audio goes by clip key to one copy and fails over when that copy dies; a
dashboard sign-in made on one copy is good on the other (shared secret).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.nginxfront import run_nginx
from tests.procutil import REPO, free_port, start_service
from ttsservice.dashboard.auth import hash_password

SHIPPED = REPO / "deploy" / "nginx" / "ttsservice-copies.conf"
SECRET = "delad-hemlighet-för-alla-kopior-0123456789"
USER, PASSWORD = "redaktor", "rätt häst batteri häftklammer"
SENTENCES = [
    f"Mening nummer {n} om {topic}."
    for n, topic in enumerate(
        ["vården", "tandvården", "bussarna", "kulturen", "skolan", "vaccinet", "parkerna"], 1
    )
]


def copies_site(text: str, *, port: int, copies: list[str], cache: Path) -> str:
    """The shipped config on plain HTTP, with the test's copies, cache and an upstream header."""
    changes = [
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{port};\n", 1),
        ("    ssl_certificate /etc/ssl/certs/tts.example.se.pem;\n", "", 1),
        ("    ssl_certificate_key /etc/ssl/private/tts.example.se.key;\n", "", 1),
        ("/var/cache/nginx/ttsservice", str(cache), 1),
        ("10.0.0.11:8080", copies[0], 2),
        ("10.0.0.12:8080", copies[1], 2),
        (
            "        add_header X-Cache-Status $upstream_cache_status always;\n",
            "        add_header X-Cache-Status $upstream_cache_status always;\n"
            "        add_header X-Test-Upstream $upstream_addr always;\n",
            1,
        ),
    ]
    for old, new, count in changes:
        if text.count(old) != count:
            raise AssertionError(f"{SHIPPED.name} no longer has {old.strip()!r} {count}×")
        text = text.replace(old, new)
    return text


def _request(
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", content_type)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _speak(base: str, text: str) -> str:
    status, headers, _ = _request(base + "/api/v1/speak", body=json.dumps({"text": text}).encode())
    assert status == 200
    return str(headers["Content-Location"])


def _sign_in(base: str) -> str:
    _, _, form = _request(base + "/dashboard/login")
    token = re.search(rb'name="csrf" value="([^"]+)"', form)
    assert token
    body = urllib.parse.urlencode(
        {"user": USER, "password": PASSWORD, "csrf": token.group(1).decode()}
    ).encode()
    status, headers, text = _request(
        base + "/dashboard/login", body=body, content_type="application/x-www-form-urlencoded"
    )
    assert status == 303, text
    cookie = re.search(r"tts_dashboard=([^;]+)", headers["Set-Cookie"])
    assert cookie
    return cookie.group(1)


def test_audio_goes_by_clip_key_fails_over_and_sign_in_works_on_both(tmp_path: Path) -> None:
    env = {
        "TTS_TRUSTED_PROXIES": "127.0.0.1",
        "TTS_LOG_LEVEL": "warning",
        "TTS_SPEAK_PER_MINUTE": "100",
        "TTS_SECRET_KEY": SECRET,
        "TTS_DASHBOARD_USERS": f"{USER}:{hash_password(PASSWORD)}",
    }
    procs: list[subprocess.Popen[str]] = []
    try:
        bases = []
        for n in range(2):
            proc, base = start_service({**env, "TTS_DATA_DIR": str(tmp_path / f"copy{n}")})
            procs.append(proc)
            bases.append(base)
        copies = [base.removeprefix("http://") for base in bases]
        # Until clip records are shared (the database backend), a copy knows a clip key
        # once it made that clip's record itself: give both copies every sentence.
        paths = [[_speak(base, text) for text in SENTENCES] for base in bases]
        assert paths[0] == paths[1]  # content-addressed: the same key on every copy
        keys = [re.sub(r"\.\w+$", "", path) for path in paths[0]]

        port = free_port()
        site = copies_site(SHIPPED.read_text(), port=port, copies=copies, cache=tmp_path / "c")
        with run_nginx(tmp_path / "nginx", port, site, "/healthz") as front:
            owner: dict[str, str] = {}
            for key in keys:
                served = set()
                for ext in ("mp3", "wav", "mp3"):
                    status, headers, _ = _request(front + f"{key}.{ext}")
                    assert status == 200
                    if headers["X-Cache-Status"] == "HIT":
                        assert ext == "mp3"  # the repeat: from nginx's cache, no copy asked
                        continue
                    served.add(headers["X-Test-Upstream"])
                assert len(served) == 1, (key, served)  # every format of a clip: one copy
                owner[key] = served.pop()
            assert set(owner.values()) == set(copies), owner  # and the keys spread over both

            # A sign-in on one copy is valid on the other, directly and through nginx.
            cookie = {"Cookie": f"tts_dashboard={_sign_in(bases[0])}"}
            assert _request(bases[1] + "/dashboard", headers=cookie)[0] == 200
            for _ in range(4):  # least_conn: the requests land on both copies
                assert _request(front + "/dashboard", headers=cookie)[0] == 200

            # Kill -9 the copy that owns the first key: nginx answers from the other.
            victim = copies.index(owner[keys[0]])
            procs[victim].kill()
            procs[victim].wait(10)
            survivor = copies[1 - victim]
            status, headers, body = _request(front + f"{keys[0]}.mp3?priority=high")
            assert status == 200 and headers["X-Cache-Status"] == "HIT"  # cache still in front
            for key in keys:  # a format not cached yet: a copy must make it
                status, headers, body = _request(front + f"{key}.ogg")
                assert status == 200, body
                assert headers["X-Cache-Status"] == "MISS"
                assert headers["X-Test-Upstream"].split(", ")[-1] == survivor
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
