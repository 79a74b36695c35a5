"""Fairness end to end: a client flooding readings and speak cannot delay a normal visitor.

The real app on the tiny voice behind a trusted proxy, so two clients can be
told apart by X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

FLOODER = {"X-Forwarded-For": "198.51.100.7"}
VISITOR = {"X-Forwarded-For": "203.0.113.20"}

WORDS = [
    "biblioteket",
    "regionen",
    "läsaren",
    "boken",
    "tidningen",
    "kursen",
    "utställningen",
    "samlingen",
    "låntagaren",
    "personalen",
    "kommunen",
    "hösten",
    "våren",
    "vintern",
    "sommaren",
    "staden",
]


def _long_text(n: int, chars: int = 2900) -> str:
    """A distinct text of about ``chars`` characters (nothing cached, nothing shared)."""
    sentences = []
    i = 0
    while sum(len(s) + 1 for s in sentences) < chars:
        a, b, c = WORDS[(n + i) % len(WORDS)], WORDS[(n * 3 + i) % len(WORDS)], WORDS[i % 7]
        sentences.append(f"Mening {i} av text {n} handlar om {a}, {b} och {c} i dag.")
        i += 1
    return " ".join(sentences)


async def _flood(client: Any, stop: asyncio.Event, statuses: list[int], n0: int) -> None:
    n = n0
    while not stop.is_set():
        n += 1
        if n % 4 == 0:
            response = await client.post(
                "/api/v1/speak", json={"text": _long_text(n), "format": "wav"}, headers=FLOODER
            )
        else:
            response = await client.post(
                "/api/v1/readings", json={"text": _long_text(n), "lang": "sv"}, headers=FLOODER
            )
        statuses.append(response.status)
        if response.status == 429:
            body = await response.json()
            assert body["error"]["code"] == "rate_limited"
            assert body["error"]["status"] == 429
            assert int(response.headers["Retry-After"]) >= 1
            # Retry-After is ignored, but not at full speed: the flood is of speech, not
            # of requests (the load generator shares this process and its 2 cores).
            await asyncio.sleep(0.1)
        else:
            await response.read()


async def test_a_flooding_client_cannot_delay_a_normal_visitors_first_audio(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    app = speech_app(
        TTS_TRUSTED_PROXIES="127.0.0.1",
        TTS_SPEAK_PER_MINUTE="100000",  # only the speech budget stands in the flood's way
        TTS_SYNTHESIS_QUEUE_SIZE="100000",
        TTS_ADMISSION_SLACK="600",
        TTS_CLIENT_SPEECH_BURST="300",
        TTS_CLIENT_SPEECH_RATE="2",
    )
    client = await aiohttp_client(app)
    stop = asyncio.Event()
    statuses: list[int] = []
    flood = [asyncio.create_task(_flood(client, stop, statuses, 1000 * k)) for k in range(8)]
    waits: list[float] = []
    try:
        await asyncio.sleep(1.0)  # the flood is well under way
        for n in range(5):
            started = time.monotonic()
            text = f"Besökare {n} läser om öppettiderna. Biblioteket öppnar klockan nio."
            response = await client.post(
                "/api/v1/readings", json={"text": text, "lang": "sv"}, headers=VISITOR
            )
            assert response.status == 200, await response.text()
            first = (await response.json())["sentences"][0]["audio"]["mp3"]
            audio = await client.get(first + "?priority=high", headers=VISITOR)
            assert audio.status == 200, await audio.text()
            await audio.read()
            waits.append(time.monotonic() - started)
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.gather(*flood)
    assert 429 in statuses, statuses  # the flood was refused, not the visitor
    assert max(waits) <= 2.0, waits
