"""Memory under a burst: long read-selections are assembled a few at a time.

A long /speak is made part by part and held until its last part is made. Made
in step, forty of them would each hold most of their parts at once (the issue
measured 757 MB for 40 concurrent 3,000-character speaks); the real app on the
tiny voice must work on at most ``LONG_TEXTS_AT_ONCE`` of them at a time, and
every one of them is still answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ttsservice.speech.clips import LONG_TEXTS_AT_ONCE, MAX_CHUNK_CHARS, PARTS_AS_JOBS
from ttsservice.speech.state import SPEECH

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]


def _long_text(n: int) -> str:
    sentence = f"Text {n} handlar om bibliotekets öppettider under hösten och vintern i länet. "
    text = sentence * (MAX_CHUNK_CHARS * (PARTS_AS_JOBS + 3) // len(sentence) + 1)
    return text.strip()


async def test_long_speaks_are_assembled_a_few_at_a_time(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    app = speech_app(
        TTS_TRUSTED_PROXIES="127.0.0.1",
        TTS_SYNTHESIS_QUEUE_SIZE="1000",
        TTS_ADMISSION_SLACK="600",
    )
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    most = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal most
        while not done.is_set():
            texts = {key.split("/part")[0] for key in synthesizer._jobs if "/part" in key}
            most = max(most, len(texts))
            await asyncio.sleep(0.005)

    async def speak(n: int) -> int:
        response = await client.post(
            "/api/v1/speak",
            json={"text": _long_text(n), "format": "wav"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        await response.read()
        return int(response.status)

    watcher = asyncio.create_task(watch())
    try:
        statuses = await asyncio.gather(*(speak(n) for n in range(8)))
    finally:
        done.set()
        await watcher
    assert statuses == [200] * 8, statuses
    assert 1 <= most <= LONG_TEXTS_AT_ONCE, most


async def test_a_long_texts_samples_are_not_kept_in_memory(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    """Recent clips' samples are kept for encoding other formats, but not a long text's:
    it would push out dozens of sentences (and forty long speaks would hold one each)."""
    client = await aiohttp_client(speech_app())
    speaker = client.app[SPEECH].speaker
    sentence = await client.post("/api/v1/speak", json={"text": "En kort mening."})
    assert sentence.status == 200
    assert len(speaker._samples) == 1
    long = await client.post("/api/v1/speak", json={"text": _long_text(6)})
    assert long.status == 200
    kept = sum(pcm.nbytes for pcm in speaker._samples.values())
    assert len(speaker._samples) == 1 and kept == speaker._samples_total
