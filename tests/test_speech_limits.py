"""A huge allow-listed page makes a bounded reading (issue 15 item 3).

The probe's page of 250,000 short paragraphs gave a 104.6 MB answer and wrote a
file per sentence; these tests hold the limits: sentences and characters per
reading, nothing written for sentences nobody asked for, and the cache's size
metric equal to what its files really take on disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.speechutil import metric_value, settle
from ttsservice import keys
from ttsservice.speech.cache import AudioCache
from ttsservice.speech.readings import FIRST_SENTENCES, PREFETCH_AHEAD
from ttsservice.speech.state import SPEECH

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

PARAGRAPHS = 100_000


def _big_page() -> bytes:
    """About 2 MB of HTML: 100,000 short paragraphs of two sentences."""
    body = "".join(f"<p>Stycke {i}. Det är kort.</p>" for i in range(PARAGRAPHS))
    html = f"<html lang='sv'><head><title>Stor</title></head><body><main><h1>Stor sida</h1>{body}"
    return (html + "</main></body></html>").encode("utf-8")


async def _big_site(aiohttp_server: Any) -> Any:
    page = _big_page()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    site = web.Application()
    site.router.add_get("/big", handler)
    return await aiohttp_server(site, host="127.0.0.1")


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _disk_bytes(folder: Path) -> int:
    """What the files under ``folder`` take on disk (allocated blocks, as du counts them)."""
    return sum(p.stat().st_blocks * 512 for p in _files(folder))


async def test_a_huge_page_makes_a_bounded_truncated_reading(
    aiohttp_client: Any,
    aiohttp_server: Any,
    speech_app: Callable[..., web.Application],
) -> None:
    site = await _big_site(aiohttp_server)
    origin = str(site.make_url("/")).rstrip("/")
    app = speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true")
    client = await aiohttp_client(app)
    started = time.monotonic()
    response = await client.post("/api/v1/readings", json={"url": f"{origin}/big"})
    body = await response.read()
    elapsed = time.monotonic() - started
    assert response.status == 200, body[:500]
    reading = json.loads(body)
    limit = app[keys.SETTINGS].max_reading_sentences
    assert reading["truncated"] is True
    assert len(reading["sentences"]) == limit
    assert len(body) < 1_000_000, f"{len(body)} bytes of JSON"
    # The blocks stop where the reading stops, so the highlight offsets still hold.
    last = reading["sentences"][-1]
    blocks = {b["index"]: b for b in reading["blocks"]}
    assert max(blocks) == last["block"]
    assert blocks[last["block"]]["text"][last["start"] : last["end"]] == last["text"]
    # Parsing the 2 MB page is most of it; the probe's 250,000 paragraphs took 38.7 s.
    assert elapsed < 20, f"the reading took {elapsed:.1f} s"

    await settle(app)
    cache_dir = app[keys.SETTINGS].cache_dir
    files = _files(cache_dir)
    ahead = FIRST_SENTENCES + PREFETCH_AHEAD
    # One record for the reading; per sentence only what was made: audio, sidecar, timings.
    assert len(files) <= 1 + 3 * ahead, sorted(p.name for p in files)
    assert len([p for p in files if p.parent.name == "readings"]) == 1
    assert await metric_value(client, "tts_audio_cache_bytes") == _disk_bytes(cache_dir)

    # A sentence past those made is still made on demand (its text is in the reading's record).
    late = await client.get(reading["sentences"][limit - 1]["audio"]["mp3"])
    assert late.status == 200
    data = await late.read()
    assert data.startswith(b"ID3") or (data[0] == 0xFF and data[1] >= 0xE0)  # an MPEG frame
    assert await metric_value(client, "tts_audio_cache_bytes") == _disk_bytes(cache_dir)


async def test_a_reading_stops_at_its_character_limit(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    url = str(seed_site.make_url("/page"))
    whole = await aiohttp_client(reading_app())
    full = await (await whole.post("/api/v1/readings", json={"url": url})).json()
    assert full["truncated"] is False
    total = sum(len(s["text"]) for s in full["sentences"])
    await whole.close()

    client = await aiohttp_client(reading_app(TTS_MAX_READING_CHARS="400"))
    cut = await (await client.post("/api/v1/readings", json={"url": url})).json()
    assert cut["truncated"] is True
    assert total > 400 >= sum(len(s["text"]) for s in cut["sentences"])
    assert cut["sentences"] == full["sentences"][: len(cut["sentences"])]
    assert cut["id"] != full["id"]


async def test_one_sentence_longer_than_a_reading_is_cut_after_a_word(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(reading_app(TTS_MAX_READING_CHARS="100"))
    text = " ".join(["biblioteket"] * 30)  # one sentence of 359 characters
    response = await client.post("/api/v1/readings", json={"text": text})
    assert response.status == 200, await response.text()
    reading = await response.json()
    assert reading["truncated"] is True
    (sentence,) = reading["sentences"]
    assert len(sentence["text"]) <= 100
    assert sentence["text"] == " ".join(["biblioteket"] * 8)
    assert reading["blocks"][0]["text"] == sentence["text"]


async def test_sentences_nobody_asked_for_leave_nothing_on_disk(
    aiohttp_client: Any, reading_app: Callable[..., web.Application], seed_site: Any
) -> None:
    app = reading_app()
    client = await aiohttp_client(app)
    response = await client.post("/api/v1/readings", json={"url": str(seed_site.make_url("/page"))})
    reading = await response.json()
    await settle(app)
    ahead = FIRST_SENTENCES + PREFETCH_AHEAD
    assert len(reading["sentences"]) > 3 * ahead
    cache_dir = app[keys.SETTINGS].cache_dir
    made = {p.name.split(".")[0] for p in _files(cache_dir) if p.parent.parent.name == "clips"}
    assert len(made) == ahead  # the sentences prepared for the listener, no others
    speaker = app[SPEECH].speaker
    speaker._specs.clear()  # as when many other readings have pushed them out of memory
    for sentence in reading["sentences"][-2:]:
        audio = await client.get(sentence["audio"]["mp3"])
        assert audio.status == 200
        timings = await client.get(sentence["audio"]["json"])
        assert timings.status == 200
    download = await client.get(reading["download"])
    assert download.status == 200
    assert len(await download.read()) > 10_000


async def test_evicting_a_clip_takes_its_sidecars_along(tmp_path: Path) -> None:
    block = os.statvfs(tmp_path).f_frsize
    key = "ab" + "0" * 62
    other = "cd" + "0" * 62
    with ThreadPoolExecutor(max_workers=2) as executor:
        cache = AudioCache(tmp_path / "c", executor, max_bytes=6 * block)
        await cache.open()
        await cache.write(f"clips/ab/{key}.mp3", b"ID3" + b"a" * 100)
        await cache.write(f"clips/ab/{key}.ogg", b"OggS" + b"a" * 100)
        await cache.write(f"clips/ab/{key}.json", b"{}")
        await cache.write(f"clips/ab/{key}.words.json", b"{}")
        await cache.read(f"clips/ab/{key}.ogg")  # the Opus clip is in use; the MP3 is not
        for i in range(3):
            await cache.write(f"clips/cd/{other}{i}.mp3", b"ID3" + b"b" * 100)
        names = {p.name for p in _files(tmp_path / "c")}
        # The MP3 went alone: the Opus clip still needs the sidecars.
        assert f"{key}.mp3" not in names
        assert {f"{key}.ogg", f"{key}.json", f"{key}.words.json"} <= names
        for i in range(3, 6):
            await cache.write(f"clips/cd/{other}{i}.mp3", b"ID3" + b"b" * 100)
        names = {p.name for p in _files(tmp_path / "c")}
        assert not [n for n in names if n.startswith(key)], names
        assert cache.total_bytes == _disk_bytes(tmp_path / "c") <= 6 * block
        await cache.close()


async def test_truncated_is_documented_in_the_reading_schema(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app())
    document = await (await client.get("/openapi.json")).json()
    for method, path in (("post", "/api/v1/readings"), ("get", "/api/v1/readings")):
        answer = document["paths"][path][method]["responses"]["200"]
        schema = answer["content"]["application/json"]["schema"]
        assert schema["properties"]["truncated"]["type"] == "boolean"
        assert "TTS_MAX_READING_SENTENCES" in schema["properties"]["truncated"]["description"]
        assert "truncated" in schema["required"]


async def test_a_reading_made_before_a_restart_plays_on_after_it(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    """Only the reading's one record is on disk for the sentences nobody asked for yet; a
    restarted service learns their keys from it, so the listener's next sentence still
    plays (single copy, SQLite: no shared records to fall back on)."""
    text = " ".join(f"Mening nummer {n} i texten." for n in range(1, 21))
    first = await aiohttp_client(speech_app())
    reading = await (await first.post("/api/v1/readings", json={"text": text})).json()
    last = reading["sentences"][-1]["audio"]["mp3"]
    await settle(first.app)
    await first.close()

    again = speech_app()
    second = await aiohttp_client(again)
    for _ in range(100):  # the recall runs in the background after the start
        answer = await second.get(last)
        if answer.status != 404:
            break
        await asyncio.sleep(0.05)
    assert answer.status == 200, await answer.text()
    assert answer.content_type == "audio/mpeg"
    timings = await second.get(last.removesuffix(".mp3") + ".json")
    assert timings.status == 200
