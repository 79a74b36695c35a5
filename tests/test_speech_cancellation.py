"""Cancellation: work for listeners who went away is dropped, not synthesised.

The queue's drop (fake work, no voice), then the real app on the tiny voice:
abandoned /speak requests and the widget's release beacon.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from tests.speechutil import hold_lanes, metric_value
from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Abandoned, Priority, Synthesizer

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

TINY = "sv_SE-test-tiny"
SYNTHESISED = ("tts_synthesis_seconds_count", f'voice="{TINY}"')


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


async def test_drop_takes_a_waiting_sentence_out_but_lets_a_running_one_finish() -> None:
    executor = ThreadPoolExecutor(max_workers=2)
    synthesizer = Synthesizer(executor, queue_size=8, concurrency=1)
    await synthesizer.start()
    try:
        release, blockers = hold_lanes(synthesizer)
        await _until(lambda: synthesizer.waiting == 0, "the blocker did not start")
        ran: list[str] = []

        def job(name: str) -> Callable[[], tuple[np.ndarray, int]]:
            def run() -> tuple[np.ndarray, int]:
                ran.append(name)
                return np.zeros(10, dtype=np.float32), 1000

            return run

        kept = synthesizer.submit("kept", "v", job("kept"), Priority.VISITOR)
        gone = synthesizer.submit("gone", "v", job("gone"), Priority.VISITOR)
        assert synthesizer.waiting == 2
        assert synthesizer.drop("gone")
        assert not synthesizer.drop("gone")  # already gone
        assert not synthesizer.drop("block0")  # running: it finishes
        assert synthesizer.waiting == 1 and not synthesizer.in_flight("gone")
        with pytest.raises(Abandoned) as dropped:
            await gone
        assert dropped.value.status == 503 and dropped.value.retry_after == 1
        release.set()
        await asyncio.gather(*blockers, kept)
        assert ran == ["kept"]
        # Asked for again, a dropped sentence is made as any other.
        again = synthesizer.submit("gone", "v", job("gone"), Priority.VISITOR)
        await again
        assert ran == ["kept", "gone"]
    finally:
        await synthesizer.close()
        executor.shutdown(wait=True)


@pytest.mark.parametrize("cancels", [False, True], ids=["as-served", "handler-cancellation"])
async def test_forty_abandoned_speaks_are_not_all_synthesised(
    speech_app: Callable[..., web.Application], cancels: bool
) -> None:
    """40 concurrent /speak whose clients give up: their queued synthesis is dropped.

    Served as ``ttsservice serve`` does (aiohttp does not cancel the handler when
    the client goes away: the wait notices the closed connection), and with
    handler cancellation on (as aiohttp's test server has it).
    """
    app = speech_app(
        TTS_SPEAK_PER_MINUTE="1000",
        TTS_CLIENT_SPEECH_BURST="100000",
        TTS_SYNTHESIS_QUEUE_SIZE="200",
    )
    runner = web.AppRunner(app, handler_cancellation=cancels)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(base) as client:
            synthesizer = app[SPEECH].speaker.synthesizer
            before = await metric_value(client, *SYNTHESISED)
            release, blockers = hold_lanes(synthesizer)

            async def speak(n: int) -> None:
                text = f"Meddelande nummer {n} om bibliotekets öppettider under hösten."
                with pytest.raises(asyncio.TimeoutError):
                    await client.post(
                        "/api/v1/speak",
                        json={"text": text, "format": "wav"},
                        timeout=aiohttp.ClientTimeout(total=1.0),
                    )

            await asyncio.gather(*(speak(n) for n in range(40)))
            # Every client has gone; the server notices within a poll and empties the queue.
            await _until(lambda: synthesizer.waiting == 0, "abandoned speaks are still queued")
            release.set()
            await asyncio.gather(*blockers)
            await asyncio.sleep(0.5)
            made = await metric_value(client, *SYNTHESISED) - before
            assert made <= 1, made  # the blockers are counted under voice "v"
            dropped = await metric_value(client, "tts_synthesis_dropped_total")
            assert dropped >= 39, dropped
            # The service is free at once for someone who stays.
            response = await client.post("/api/v1/speak", json={"text": "Hej och välkommen."})
            assert response.status == 200, await response.text()
    finally:
        await runner.cleanup()


async def test_release_beacon_drops_a_stopped_readings_queued_sentences(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    app = speech_app()
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    release, blockers = hold_lanes(synthesizer)
    try:
        text = " ".join(f"Mening {n} av en lång text om biblioteket." for n in range(12))
        response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
        assert response.status == 200, await response.text()
        sentences = (await response.json())["sentences"]
        queued = synthesizer.waiting
        assert queued >= 4, queued
        # What navigator.sendBeacon sends: a text/plain body.
        audio = [s["audio"]["mp3"] for s in sentences]
        beacon = await client.post(
            "/api/v1/release",
            data=json.dumps({"audio": audio}),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        assert beacon.status == 204, await beacon.text()
        assert synthesizer.waiting == 0
        assert await metric_value(client, "tts_synthesis_dropped_total") == queued
    finally:
        release.set()
        await asyncio.gather(*blockers)
    # Asked for later, a released sentence is made again.
    again = await client.get(sentences[0]["audio"]["mp3"] + "?priority=high")
    assert again.status == 200


async def test_release_keeps_a_sentence_another_request_waits_for(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    app = speech_app()
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    release, blockers = hold_lanes(synthesizer)
    response = await client.post(
        "/api/v1/readings", json={"text": "En mening. En annan mening.", "lang": "sv"}
    )
    first = (await response.json())["sentences"][0]["audio"]["mp3"]
    waiting = asyncio.create_task(client.get(first + "?priority=high"))
    await asyncio.sleep(0.3)
    beacon = await client.post("/api/v1/release", json={"audio": [first]})
    assert beacon.status == 204
    release.set()
    await asyncio.gather(*blockers)
    answer = await waiting
    assert answer.status == 200  # the other listener still gets it


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("not json", "text/plain", 400, "bad_json"),
        ('{"audio": "x"}', "application/json", 400, "missing_field"),
        ('{"audio": ["/etc/passwd"]}', "application/json", 400, "invalid_field"),
        (json.dumps({"audio": ["a" * 64] * 65}), "text/plain", 400, "too_many"),
        ('{"audio": []}', "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
async def test_bad_release_requests_get_the_canonical_error(
    aiohttp_client: Any,
    speech_app: Callable[..., web.Application],
    body: str,
    content_type: str,
    status: int,
    code: str,
) -> None:
    client = await aiohttp_client(speech_app())
    response = await client.post(
        "/api/v1/release", data=body, headers={"Content-Type": content_type}
    )
    assert response.status == status, await response.text()
    error = (await response.json())["error"]
    assert (error["code"], error["status"]) == (code, status)
    assert error["message"]
