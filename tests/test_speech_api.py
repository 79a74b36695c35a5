"""Sentence audio and read-selection through the real app on the tiny voice."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

from tests.speechutil import ffprobe, metric_value
from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Priority

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

TINY = "sv_SE-test-tiny"
TEXT = "Regionbiblioteket stöder folkbiblioteken. Vi har öppet i dag."


async def _speak(client: Any, **body: Any) -> Any:
    return await client.post("/api/v1/speak", json={"text": TEXT, **body})


async def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return dict(body["error"])


async def test_speak_returns_valid_audio_in_each_format(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], tmp_path: Path
) -> None:
    client = await aiohttp_client(speech_app())
    durations: dict[str, float] = {}
    for ext, content_type, codec in (
        ("wav", "audio/wav", "pcm_s16le"),
        ("mp3", "audio/mpeg", "mp3"),
        ("ogg", "audio/ogg", "opus"),
    ):
        response = await _speak(client, format=ext)
        assert response.status == 200
        assert response.content_type == content_type
        assert response.headers["Cache-Control"] == "no-store"
        info = ffprobe(await response.read(), tmp_path, f"speak.{ext}")
        assert info["stream"]["codec_name"] == codec
        durations[ext] = float(info["format"]["duration"])
        assert response.headers["Content-Location"].endswith(f".{ext}")
    # Two sentences of the tiny voice (about 70 ms per phoneme id), the same in each format.
    assert 4.0 < durations["wav"] < 25.0
    assert abs(durations["mp3"] - durations["wav"]) < 0.1
    assert abs(durations["ogg"] - durations["wav"]) < 0.1
    # One synthesis served all three formats.
    assert await metric_value(client, "tts_synthesis_seconds_count", f'voice="{TINY}"') == 1


async def test_cached_clip_is_served_without_synthesis_and_is_immutable(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app())
    first = await _speak(client)
    audio = await first.read()
    location = first.headers["Content-Location"]
    synthesised = await metric_value(client, "tts_synthesis_seconds_count", f'voice="{TINY}"')
    hits = await metric_value(client, "tts_audio_cache_hits_total")

    again = await _speak(client)
    assert await again.read() == audio
    cached = await client.get(location)
    assert cached.status == 200
    assert await cached.read() == audio
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = cached.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")

    assert await metric_value(client, "tts_synthesis_seconds_count", f'voice="{TINY}"') == (
        synthesised
    )
    assert await metric_value(client, "tts_audio_cache_hits_total") == hits + 2

    not_modified = await client.get(location, headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert await not_modified.read() == b""

    part = await client.get(location, headers={"Range": "bytes=0-99"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(audio)}"
    assert await part.read() == audio[:100]
    beyond = await client.get(location, headers={"Range": f"bytes={len(audio) + 10}-"})
    assert beyond.status == 416


async def test_accept_header_chooses_the_format(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app())
    key = (await _speak(client)).headers["Content-Location"].split("/")[-1].split(".")[0]
    ogg = await client.get(f"/api/v1/audio/{key}", headers={"Accept": "audio/ogg, audio/*;q=0.5"})
    assert (ogg.status, ogg.content_type) == (200, "audio/ogg")
    assert ogg.headers["Vary"] == "Accept"
    mp3 = await client.get(f"/api/v1/audio/{key}", headers={"Accept": "*/*"})
    assert mp3.content_type == "audio/mpeg"
    await _error(
        await client.get(f"/api/v1/audio/{key}", headers={"Accept": "text/html"}),
        406,
        "not_acceptable",
    )


async def test_bad_requests_get_the_canonical_error(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app(TTS_SPEAK_MAX_CHARS="80"))
    await _error(await client.get("/api/v1/audio/" + "0" * 64 + ".mp3"), 404, "not_found")
    await _error(await client.get("/api/v1/audio/nothex.mp3"), 404, "not_found")
    await _error(await client.get("/api/v1/audio/" + "a" * 64 + ".flac"), 400, "unsupported_format")
    await _error(
        await client.get("/api/v1/audio/" + "a" * 64 + ".mp3?priority=urgent"), 400, "bad_priority"
    )
    error = await _error(await _speak(client, voice="sv_SE-nobody-medium"), 404, "unknown_voice")
    assert TINY in error["message"]
    error = await _error(await _speak(client, text="x" * 81), 400, "too_long")
    assert "80" in error["message"]
    await _error(await _speak(client, text=" … "), 400, "empty_text")
    await _error(await client.post("/api/v1/speak", json={}), 400, "missing_field")
    await _error(await _speak(client, text=42), 400, "invalid_field")
    await _error(await _speak(client, format="flac"), 400, "unsupported_format")
    await _error(await client.post("/api/v1/speak", data="text"), 415, "unsupported_media_type")


async def test_speak_is_rate_limited_per_client(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app(TTS_SPEAK_PER_MINUTE="3"))
    for _ in range(3):
        assert (await _speak(client)).status == 200
    refused = await _speak(client)
    await _error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_full_queue_answers_503_with_retry_after(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    app = speech_app(TTS_SYNTHESIS_QUEUE_SIZE="1")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    release, started = threading.Event(), threading.Event()

    def slow() -> tuple[np.ndarray, int]:
        started.set()
        release.wait(10)
        return np.zeros(10, dtype=np.float32), 22050

    running = synthesizer.submit("running", TINY, slow, Priority.VISITOR)
    await asyncio.to_thread(started.wait, 10)
    waiting = synthesizer.submit("waiting", TINY, slow, Priority.VISITOR)
    try:
        refused = await _speak(client)
        await _error(refused, 503, "overloaded")
        assert int(refused.headers["Retry-After"]) >= 1
        assert await metric_value(client, "tts_overload_rejections_total") == 1
        assert await metric_value(client, "tts_synthesis_queue_depth") == 1
        ready = await (await client.get("/readyz")).json()
        speech = next(c for c in ready["checks"] if c["name"] == "speech")
        assert speech["status"] == "degraded"
        assert (await client.get("/healthz")).status == 200
    finally:
        release.set()
        await asyncio.gather(running, waiting)
    assert (await _speak(client)).status == 200


async def test_audio_keys_resolve_after_a_restart(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    first = await aiohttp_client(speech_app())
    response = await _speak(first, format="mp3")
    mp3 = await response.read()
    key = response.headers["Content-Location"].split("/")[-1].removesuffix(".mp3")
    await first.close()

    second = await aiohttp_client(speech_app())
    cached = await second.get(f"/api/v1/audio/{key}.mp3")
    assert await cached.read() == mp3
    # Not yet made as Opus: the sidecar says what to speak, so it is made now.
    ogg = await second.get(f"/api/v1/audio/{key}.ogg?priority=high")
    assert ogg.status == 200
    assert ogg.content_type == "audio/ogg"
    assert await metric_value(second, "tts_synthesis_seconds_count", f'voice="{TINY}"') == 1
    assert await metric_value(second, "tts_audio_cache_bytes") > len(mp3)


async def test_corrupt_voice_speaks_with_the_fallback_and_old_keys_expire(
    aiohttp_client: Any,
    speech_app: Callable[..., web.Application],
    tiny_voice_env: dict[str, str],
) -> None:
    first = await aiohttp_client(speech_app())
    old = (await _speak(first)).headers["Content-Location"].removesuffix(".mp3")
    await first.close()

    model = Path(tiny_voice_env["TTS_VOICES_DIR"]) / f"{TINY}.onnx"
    model.write_bytes(model.read_bytes()[:-40] + b"\0" * 40)
    client = await aiohttp_client(speech_app())
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "degraded"
    spoken = await _speak(client)
    assert spoken.status == 200
    assert len(await spoken.read()) > 1000
    assert await metric_value(client, "tts_synthesis_seconds_count", 'voice="espeak-ng-sv"') == 1
    # A clip of the tiny voice cannot be remade any more: 404, not a crash.
    error = await _error(await client.get(f"{old}.ogg"), 404, "not_found")
    assert "no longer installed" in error["message"]


async def test_speech_routes_are_documented(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    from openapi_spec_validator import validate

    client = await aiohttp_client(speech_app())
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    assert "503" in document["paths"]["/api/v1/audio/{name}"]["get"]["responses"]
    assert "429" in document["paths"]["/api/v1/speak"]["post"]["responses"]
