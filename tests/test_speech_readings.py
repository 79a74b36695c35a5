"""Readings of the seed page through the real app: sentences, audio, prefetch, download."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from tests.speechutil import ffprobe, hold_lanes, metric_value, settle
from ttsservice import keys
from ttsservice.speech.readings import FIRST_SENTENCES, PREFETCH_AHEAD
from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Priority

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

TINY = "sv_SE-test-tiny"
SYNTHESISED = ("tts_synthesis_seconds_count", f'voice="{TINY}"')


async def _read(client: Any, seed_site: Any, path: str = "/page") -> dict[str, Any]:
    response = await client.post("/api/v1/readings", json={"url": str(seed_site.make_url(path))})
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def _error(response: Any, status: int, code: str) -> None:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body) == {"error"}
    assert (body["error"]["code"], body["error"]["status"]) == (code, status)
    assert body["error"]["message"]


async def test_seed_page_reads_in_order_with_valid_audio(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    seed_site: Any,
    tmp_path: Path,
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    reading = await _read(client, seed_site)
    assert reading["title"] == "Regionbibliotek Stockholm"
    assert reading["lang"] == "sv"
    assert reading["voice"] == {"name": TINY, "fallback": False, "attribution": None}
    assert reading["voices"] == [
        {"name": TINY, "lang": "sv", "fallback": False, "attribution": None}
    ]
    assert reading["download"] == f"/api/v1/readings/{reading['id']}.mp3"
    blocks = {b["index"]: b for b in reading["blocks"]}
    sentences = reading["sentences"]
    assert len(sentences) > 20
    assert [s["index"] for s in sentences] == list(range(len(sentences)))
    order = [(s["block"], s["start"]) for s in sentences]
    assert order == sorted(order)
    for sentence in sentences:
        assert set(sentence) == {
            "index",
            "block",
            "start",
            "end",
            "text",
            "lang",
            "voice",
            "unreadable",
            "audio",
        }
        assert (sentence["lang"], sentence["voice"], sentence["unreadable"]) == ("sv", TINY, False)
        block_text = blocks[sentence["block"]]["text"]
        assert block_text[sentence["start"] : sentence["end"]] == sentence["text"]
    # Every block is read: the sentences of each block cover its words.
    assert {s["block"] for s in sentences} == set(blocks)
    assert sentences[0]["text"] == "Regionbibliotek Stockholm"

    for sentence in sentences[:3]:
        response = await client.get(sentence["audio"]["mp3"] + "?priority=high")
        assert response.status == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        info = ffprobe(await response.read(), tmp_path, f"s{sentence['index']}.mp3")
        assert info["stream"]["codec_name"] == "mp3"
        # The tiny voice speaks ~70 ms per phoneme id: roughly 0.05-0.4 s per character.
        seconds = float(info["format"]["duration"])
        assert 0.05 * len(sentence["text"]) < seconds < 0.4 * len(sentence["text"])
    ogg = await client.get(sentences[1]["audio"]["ogg"])
    assert ffprobe(await ogg.read(), tmp_path, "s1.ogg")["stream"]["codec_name"] == "opus"
    await settle(app)


async def test_only_the_first_sentences_are_synthesised_ahead(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    reading = await _read(client, seed_site)
    await settle(app)
    ahead = FIRST_SENTENCES + PREFETCH_AHEAD
    assert len(reading["sentences"]) > ahead
    assert await metric_value(client, *SYNTHESISED) == ahead
    # The prepared sentences are cache hits; the one after them is not.
    hits = await metric_value(client, "tts_audio_cache_hits_total")
    for sentence in reading["sentences"][:ahead]:
        assert (await client.get(sentence["audio"]["mp3"])).status == 200
    assert await metric_value(client, "tts_audio_cache_hits_total") == hits + ahead
    assert await metric_value(client, *SYNTHESISED) == ahead
    assert (await client.get(reading["sentences"][ahead]["audio"]["mp3"])).status == 200
    assert await metric_value(client, *SYNTHESISED) == ahead + 1


async def test_reading_again_is_the_same_reading_and_synthesises_nothing(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    first = await _read(client, seed_site)
    await settle(app)
    count = await metric_value(client, *SYNTHESISED)
    second = await _read(client, seed_site)
    await settle(app)
    assert second["id"] == first["id"]
    assert second["sentences"] == first["sentences"]
    assert await metric_value(client, *SYNTHESISED) == count


async def test_selection_reading_and_whole_download(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    tmp_path: Path,
) -> None:
    client = await aiohttp_client(reading_app())
    text = "Biblioteket har öppet i dag. Välkommen in! Vi stänger kl. 18."
    response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
    assert response.status == 200
    reading = await response.json()
    assert reading["url"] is None
    assert [s["text"] for s in reading["sentences"]] == [
        "Biblioteket har öppet i dag.",
        "Välkommen in!",
        "Vi stänger kl. 18.",
    ]
    assert reading["blocks"] == [
        {"index": 0, "kind": "paragraph", "text": text, "lang": "sv", "level": None, "locator": ""}
    ]
    total = 0.0
    for sentence in reading["sentences"]:
        clip = await (await client.get(sentence["audio"]["mp3"])).read()
        total += float(ffprobe(clip, tmp_path, "part.mp3")["format"]["duration"])
    download = await client.get(reading["download"])
    assert download.status == 200
    assert download.content_type == "audio/mpeg"
    assert "attachment" in download.headers["Content-Disposition"]
    info = ffprobe(await download.read(), tmp_path, "whole.mp3")
    assert abs(float(info["format"]["duration"]) - total) < 0.3


@pytest.mark.slow
async def test_whole_seed_page_download_keeps_the_cache_under_its_bound(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    seed_site: Any,
    tmp_path: Path,
) -> None:
    app = reading_app(TTS_CACHE_MAX_BYTES="1000000")
    client = await aiohttp_client(app)
    reading = await _read(client, seed_site)
    download = await client.get(reading["download"])
    data = await download.read()
    assert len(data) > 1_000_000  # the page is bigger than the whole cache
    info = ffprobe(data, tmp_path, "page.mp3")
    assert float(info["format"]["duration"]) > 60
    await settle(app)
    cache_dir = app[keys.SETTINGS].cache_dir
    on_disk = sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file())
    assert on_disk <= 1_000_000
    assert await metric_value(client, "tts_audio_cache_bytes") <= 1_000_000
    assert await metric_value(client, "tts_audio_cache_evictions_total") > 0
    # Evicted audio is made again on demand: its text is still known.
    first = await client.get(reading["sentences"][0]["audio"]["mp3"])
    assert first.status == 200


async def test_healthz_answers_within_50_ms_while_the_seed_page_is_synthesised(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    reading = await _read(client, seed_site)

    async def whole_page() -> bytes:
        response = await client.get(reading["download"])
        return await response.read()

    download = asyncio.create_task(whole_page())
    await asyncio.sleep(0.1)
    before = await metric_value(client, *SYNTHESISED)
    worst = 0.0
    polled = 0
    # A full collection of this test process's heap (every collected test item) takes
    # about 100 ms on its own; the service's own heap is small. Freezing what exists
    # now keeps the harness's garbage collection out of what the test measures.
    gc.collect()
    gc.freeze()
    try:
        until = time.perf_counter() + 3.0
        while time.perf_counter() < until and not download.done():
            polled += 1
            started = time.perf_counter()
            response = await client.get("/healthz")
            worst = max(worst, time.perf_counter() - started)
            assert response.status == 200
            await asyncio.sleep(0.02)
    finally:
        gc.unfreeze()
    during = await metric_value(client, *SYNTHESISED) - before
    download.cancel()
    await asyncio.gather(download, return_exceptions=True)
    assert during >= 5, "the page was not being synthesised while /healthz was polled"
    assert polled > 30, f"only {polled} polls while the page was synthesised"
    assert worst < 0.05, f"/healthz took {worst * 1000:.0f} ms"


async def test_bad_reading_requests_get_the_canonical_error(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    client = await aiohttp_client(reading_app(TTS_SPEAK_MAX_CHARS="100"))
    post = client.post
    await _error(
        await post("/api/v1/readings", json={"url": "https://elsewhere.example/page"}),
        403,
        "page_not_allowed",
    )
    await _error(await post("/api/v1/readings", json={}), 400, "missing_field")
    url = str(seed_site.make_url("/page"))
    await _error(
        await post("/api/v1/readings", json={"url": url, "text": "Hej."}), 400, "missing_field"
    )
    await _error(
        await post("/api/v1/readings", json={"url": url, "voice": "sv_SE-nobody-medium"}),
        404,
        "unknown_voice",
    )
    await _error(await post("/api/v1/readings", json={"text": "x" * 101}), 400, "too_long")
    await _error(await post("/api/v1/readings", json={"url": 5}), 400, "invalid_field")
    await _error(
        await post("/api/v1/readings", json={"url": url, "format": "flac"}),
        400,
        "unsupported_format",
    )
    await _error(await client.get("/api/v1/readings"), 400, "missing_field")
    await _error(await client.get("/api/v1/readings/" + "0" * 32 + ".mp3"), 404, "not_found")
    await _error(await client.get("/api/v1/readings/whatever.ogg"), 404, "not_found")


async def test_reading_when_the_queue_is_full_is_503(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app(TTS_SYNTHESIS_QUEUE_SIZE="1")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    release, started = threading.Event(), threading.Event()

    def slow() -> tuple[np.ndarray, int]:
        started.set()
        release.wait(10)
        return np.zeros(10, dtype=np.float32), 22050

    jobs = [synthesizer.submit("running", TINY, slow, Priority.VISITOR)]
    await asyncio.to_thread(started.wait, 10)
    jobs.append(synthesizer.submit("waiting", TINY, slow, Priority.VISITOR))
    try:
        response = await client.post(
            "/api/v1/readings", json={"url": str(seed_site.make_url("/page"))}
        )
        await _error(response, 503, "overloaded")
        assert int(response.headers["Retry-After"]) >= 1
        assert await metric_value(client, "tts_overload_rejections_total") == 1
    finally:
        release.set()
        await asyncio.gather(*jobs)


async def test_get_reading_by_query_matches_post(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    posted = await _read(client, seed_site, "/short")
    response = await client.get(
        "/api/v1/readings", params={"url": str(seed_site.make_url("/short"))}
    )
    assert response.status == 200
    assert await response.json() == posted
    await settle(app)


async def test_a_selection_without_words_is_400_like_speak(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    """{"text": ""} is refused as /speak refuses it, not a reading of 0 sentences."""
    client = await aiohttp_client(reading_app())
    for text in ("", "   ", "…!?"):
        for path in ("/api/v1/readings", "/api/v1/speak"):
            response = await client.post(path, json={"text": text})
            assert response.status == 400, (path, text)
            assert (await response.json())["error"]["code"] == "empty_text"


async def test_an_empty_format_is_400_like_any_unknown_one(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    """format: "" is outside the documented enum, so it is refused, not taken as mp3."""
    client = await aiohttp_client(reading_app())
    for path in ("/api/v1/readings", "/api/v1/speak"):
        response = await client.post(path, json={"text": "Hej och välkommen.", "format": ""})
        assert response.status == 400, path
        assert (await response.json())["error"]["code"] == "unsupported_format"


@pytest.mark.parametrize(("scheduler", "overtakes"), [("deadline", True), ("fifo", False)])
async def test_first_sentence_of_every_reading_before_second_of_any(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    scheduler: str,
    overtakes: bool,
) -> None:
    """Deadline scheduling end to end: a later reading's first sentence overtakes.

    FIFO (the old order, kept for comparison) finishes the first reading's
    visitor sentences first.
    """
    app = reading_app(TTS_SCHEDULER=scheduler)
    client = await aiohttp_client(app)
    speaker = app[SPEECH].speaker
    synthesizer = speaker.synthesizer
    done: list[str] = []
    keep = speaker._keep_samples

    def record(key: str, samples: Any) -> None:
        done.append(key)
        keep(key, samples)

    speaker._keep_samples = record
    release, blockers = hold_lanes(synthesizer)
    texts = {
        "a": "Första läsningen börjar här. Den har en andra mening. Och en tredje mening.",
        "b": "Andra läsningen kommer sedan. Även den har mer text. Och ännu en mening.",
    }
    readings = {}
    for name, text in texts.items():
        response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
        assert response.status == 200, await response.text()
        readings[name] = await response.json()
    release.set()
    await asyncio.gather(*blockers)
    await settle(app)
    keys_of = {
        name: [s["audio"]["mp3"].rsplit("/", 1)[-1].split(".")[0] for s in r["sentences"]]
        for name, r in readings.items()
    }
    order = [k for k in done if not k.startswith("block")]
    assert keys_of["a"][0] in order and keys_of["b"][0] in order, (order, keys_of)
    first_b_before_second_a = order.index(keys_of["b"][0]) < order.index(keys_of["a"][1])
    assert first_b_before_second_a == overtakes, (order, keys_of)


async def test_new_listeners_get_503_when_they_would_make_others_stall(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    """Admission by capacity: the lane is held, so readings pile up until one is refused."""
    app = reading_app(TTS_ADMISSION_SLACK="2")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    # Admission estimates each sentence from the measured speed; the tiny voice is so fast
    # that it would take dozens of readings to fill 2 s. Measured as a slow medium voice:
    # 1 s of synthesis for 5 s of speech (a capacity of 5 listeners).
    synthesizer.calibrate(1.0, 5.0)
    release, blockers = hold_lanes(synthesizer)
    admitted: list[dict[str, Any]] = []
    refused = None
    for n in range(40):
        text = f"Läsning nummer {n} börjar här. Den har en andra mening om ämne {n}."
        response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
        if response.status == 503:
            refused = response
            break
        assert response.status == 200, await response.text()
        admitted.append(await response.json())
    try:
        assert refused is not None, "no reading was refused"
        # Refused long before the queue (64 sentences) is full, the first listener served.
        assert 1 <= len(admitted) <= 8, len(admitted)
        await _error(refused, 503, "overloaded")
        assert int(refused.headers["Retry-After"]) >= 1
        assert "listeners" in (await refused.json())["error"]["message"]
    finally:
        release.set()
        await asyncio.gather(*blockers)
    # Those already admitted keep playing: their first sentence is served.
    first = admitted[0]["sentences"][0]["audio"]["mp3"]
    assert (await client.get(first + "?priority=high")).status == 200
    await settle(app)
    response = await client.post(
        "/api/v1/readings", json={"text": "Nu finns det plats igen.", "lang": "sv"}
    )
    assert response.status == 200, await response.text()
