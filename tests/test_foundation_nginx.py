"""The shipped nginx config in front of the real service: cached audio, visitors told apart."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.nginxfront import nginx_in_front
from tests.procutil import start_service


def _request(
    url: str, *, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_caches_sentence_audio_and_passes_the_visitor_on(tmp_path: Path) -> None:
    proc, base = start_service(
        {
            "TTS_DATA_DIR": str(tmp_path / "var"),
            "TTS_TRUSTED_PROXIES": "127.0.0.1",
            "TTS_SPEAK_PER_MINUTE": "1",
            "TTS_LOG_LEVEL": "warning",
        }
    )
    try:
        with nginx_in_front(base.removeprefix("http://"), tmp_path / "nginx") as front:
            text = {"text": "Hej och välkommen till vården i länet."}
            visitor = {"X-Forwarded-For": "192.0.2.1"}
            status, headers, _ = _request(front + "/api/v1/speak", body=text, headers=visitor)
            assert status == 200
            audio = front + headers["Content-Location"]

            first = _request(audio)
            again = _request(audio + "?priority=high")
            assert first[0] == again[0] == 200
            assert first[1]["X-Cache-Status"] == "MISS"
            assert again[1]["X-Cache-Status"] == "HIT"  # the query only orders synthesis
            assert again[2] == first[2] and again[1]["ETag"] == first[1]["ETag"]
            assert "immutable" in again[1]["Cache-Control"]
            hsts = "max-age=31536000; includeSubDomains"
            assert first[1]["Strict-Transport-Security"] == hsts
            assert again[1]["Strict-Transport-Security"] == hsts
            assert first[1]["X-Content-Type-Options"] == "nosniff"

            # The service sees the visitor nginx names, not nginx: one budget each.
            refused = _request(front + "/api/v1/speak", body=text, headers=visitor)
            assert refused[0] == 429
            assert json.loads(refused[2])["error"]["code"] == "rate_limited"
            other = {"X-Forwarded-For": "192.0.2.2"}
            assert _request(front + "/api/v1/speak", body=text, headers=other)[0] == 200

            # Errors pass through untouched, in the canonical JSON body.
            missing = _request(front + "/api/v1/audio/" + "0" * 64 + ".mp3")
            assert missing[0] == 404
            assert json.loads(missing[2])["error"]["code"] == "not_found"
            assert missing[1]["Strict-Transport-Security"] == hsts
            assert missing[1]["X-Content-Type-Options"] == "nosniff"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
