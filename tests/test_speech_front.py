"""The hot clip front: clips in memory answered ahead of the router, exactly as routed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from tests.speechutil import metric_value
from ttsservice.speech.front import HotClipFront

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

PORTAL = "https://www.regionstockholm.se"
ROUTED = "?via=router"  # any query the front does not know sends a request the usual way


def front_of(client: Any) -> HotClipFront:
    handler = client.server.runner.server.request_handler
    assert isinstance(handler, HotClipFront)
    return handler


async def spoken_clip(client: Any) -> str:
    """The audio address of a freshly spoken sentence (now in the cache's memory)."""
    response = await client.post("/api/v1/speak", json={"text": "Vi har öppet i dag."})
    assert response.status == 200, await response.text()
    return str(response.headers["Content-Location"])


@dataclass
class Hot:
    """A client of the tiny-voice app with one clip in the cache's memory."""

    client: Any
    location: str
    front: HotClipFront


@pytest.fixture
async def hot(aiohttp_client: Any, speech_app: Callable[..., web.Application]) -> Hot:
    client = await aiohttp_client(speech_app(TTS_ALLOWED_ORIGINS=PORTAL))
    return Hot(client, await spoken_clip(client), front_of(client))


def comparable(response: Any) -> tuple[int, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("Date", "Server")}
    return response.status, headers


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Range": "bytes=0-99"},
        {"Range": "bytes=999999-"},
        {"Origin": PORTAL},
        {"Origin": "https://elsewhere.example"},
    ],
    ids=["plain", "range", "unsatisfiable-range", "allowed-origin", "other-origin"],
)
async def test_front_answers_a_hot_clip_as_the_routed_handler_does(
    hot: Hot, headers: dict[str, str]
) -> None:
    answered = hot.front.answered
    fast = await hot.client.get(hot.location, headers=headers)
    assert hot.front.answered == answered + 1
    routed = await hot.client.get(hot.location + ROUTED, headers=headers)
    assert hot.front.answered == answered + 1

    assert comparable(fast) == comparable(routed)
    assert await fast.read() == await routed.read()
    assert fast.status in (200, 206, 416)
    if "Origin" in headers and headers["Origin"] == PORTAL:
        assert fast.headers["Access-Control-Allow-Origin"] == PORTAL
    else:
        assert "Access-Control-Allow-Origin" not in fast.headers


async def test_front_answers_conditional_requests_and_the_widgets_priority(hot: Hot) -> None:
    etag = (await hot.client.get(hot.location)).headers["ETag"]
    answered = hot.front.answered

    not_modified = await hot.client.get(hot.location, headers={"If-None-Match": etag})
    assert not_modified.status == 304
    high = await hot.client.get(hot.location + "?priority=high")
    assert high.status == 200 and high.headers["ETag"] == etag
    assert hot.front.answered == answered + 2


async def test_front_counts_its_answers_in_the_http_and_cache_metrics(hot: Hot) -> None:
    client, location = hot.client, hot.location
    labels = 'method="GET",route="/api/v1/audio/{name}",status="200"'
    requests = await metric_value(client, "tts_http_requests_total", labels)
    hits = await metric_value(client, "tts_audio_cache_hits_total")
    answered = hot.front.answered

    for _ in range(3):
        assert (await client.get(location)).status == 200
    assert hot.front.answered == answered + 3
    assert await metric_value(client, "tts_http_requests_total", labels) == requests + 3
    assert await metric_value(client, "tts_audio_cache_hits_total") == hits + 3
    latency = 'method="GET",route="/api/v1/audio/{name}"'
    assert await metric_value(client, "tts_http_request_duration_seconds_count", latency) >= 3


@pytest.mark.parametrize(
    ("suffix", "method", "status"),
    [
        ("?priority=urgent", "GET", 400),  # the routed handler names the bad value
        ("", "HEAD", 200),
        ("/more", "GET", 404),
    ],
)
async def test_what_the_front_does_not_know_goes_to_the_router(
    hot: Hot, suffix: str, method: str, status: int
) -> None:
    answered = hot.front.answered
    response = await hot.client.request(method, hot.location + suffix)
    assert response.status == status
    if status >= 400:
        body = await response.json()
        assert body["error"]["status"] == status and body["error"]["message"]
    assert hot.front.answered == answered


async def test_negotiated_format_goes_to_the_router_with_vary_accept(hot: Hot) -> None:
    answered = hot.front.answered
    bare_key = hot.location.rsplit(".", 1)[0]
    response = await hot.client.get(bare_key, headers={"Accept": "audio/ogg"})
    assert response.status == 200
    assert response.content_type == "audio/ogg"
    assert response.headers["Vary"] == "Accept"
    assert hot.front.answered == answered


async def test_a_clip_only_on_disk_is_routed_once_then_answered_in_front(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    first = await aiohttp_client(speech_app())
    location = await spoken_clip(first)
    audio = await (await first.get(location)).read()
    await first.close()

    client = await aiohttp_client(speech_app())  # same data folder, empty memory
    front = front_of(client)
    answered = front.answered
    from_disk = await client.get(location)
    assert from_disk.status == 200 and await from_disk.read() == audio
    assert front.answered == answered
    from_memory = await client.get(location)
    assert await from_memory.read() == audio
    assert front.answered == answered + 1


async def test_a_failure_in_the_front_is_answered_by_the_router(
    hot: Hot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, location = hot.client, hot.location
    expected = await (await client.get(location)).read()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("front broken for the test")

    monkeypatch.setattr("ttsservice.speech.front.audio_response", broken)
    response = await client.get(location)
    assert response.status == 200
    assert await response.read() == expected
    assert "hot clip front failed" in caplog.text
