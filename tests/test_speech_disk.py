"""A full or read-only data folder never makes speech fail (issue 15 item 8).

Synthesis still works when the disk will not take the result, so the audio is
served uncached (held in memory), and the fault is logged once, not once per
request. Real file-system faults: a tmpfs of its own, filled or remounted
read-only.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.procutil import fill_disk, tmpfs
from ttsservice.speech.state import SPEECH

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

CANNOT_WRITE = "audio cache: cannot write"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs of its own (the probe's size), so the test can fill it for real."""
    with tmpfs(tmp_path / "disk", "size=4m") as folder:
        yield folder


def _is_mp3(data: bytes) -> bool:
    return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] >= 0xE0)


async def _speech_works(client: Any, seed_site: Any, words: str) -> None:
    """/speak, a reading of a page, its sentences' audio and timings, a selection's download."""
    for n in range(3):
        spoken = await client.post("/api/v1/speak", json={"text": f"{words} nummer {n}."})
        assert spoken.status == 200, await spoken.text()
        assert _is_mp3(await spoken.read())
    made = await client.post("/api/v1/readings", json={"url": str(seed_site.make_url("/page"))})
    assert made.status == 200, await made.text()
    reading = await made.json()
    for sentence in (reading["sentences"][0], reading["sentences"][-1]):
        audio = await client.get(sentence["audio"]["mp3"] + "?priority=high")
        assert audio.status == 200, await audio.text()
        assert _is_mp3(await audio.read())
        timings = await client.get(sentence["audio"]["json"])
        assert timings.status == 200, await timings.text()
    selection = await client.post(
        "/api/v1/readings", json={"text": f"{words}. Biblioteket har öppet i dag."}
    )
    assert selection.status == 200, await selection.text()
    download = await client.get((await selection.json())["download"])
    assert download.status == 200, await download.text()
    assert _is_mp3(await download.read())


async def _remount(folder: Path, mode: str) -> None:
    await asyncio.to_thread(
        subprocess.run, ["mount", "-o", f"remount,{mode}", str(folder)], check=True
    )


def _cannot_write_lines(caplog: pytest.LogCaptureFixture) -> int:
    return sum(CANNOT_WRITE in r.getMessage() for r in caplog.records)


async def test_a_full_disk_serves_audio_uncached_and_logs_once(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    seed_site: Any,
    small_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ttsservice.speech.cache")
    app = reading_app(TTS_DATA_DIR=str(small_disk / "var"))
    client = await aiohttp_client(app)
    filler = fill_disk(small_disk)

    await _speech_works(client, seed_site, "Disken är full")
    assert _cannot_write_lines(caplog) == 1
    ready = await (await client.get("/readyz")).json()
    speech = next(c for c in ready["checks"] if c["name"] == "speech")
    assert speech["status"] == "degraded" and "not writable" in speech["detail"], speech

    filler.unlink()
    again = await client.post("/api/v1/speak", json={"text": "Nu finns det plats igen."})
    assert again.status == 200
    key = again.headers["Content-Location"].rsplit("/", 1)[-1].removesuffix(".mp3")
    assert list((small_disk / "var").rglob(f"{key}.mp3")), "the clip is cached again"
    assert any("works again" in r.getMessage() for r in caplog.records)
    assert _cannot_write_lines(caplog) == 1
    speech = next(
        c for c in (await (await client.get("/readyz")).json())["checks"] if c["name"] == "speech"
    )
    assert speech["status"] == "ok", speech
    assert app[SPEECH].speaker.cache.write_fault is None


async def test_a_read_only_disk_serves_audio_uncached_and_logs_once(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    seed_site: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ttsservice.speech.cache")
    data = tmp_path / "data"
    # The audio cache on a disk of its own: the database beside it keeps files open,
    # which a remount would wait for.
    with tmpfs(data / "audio-cache", "size=4m") as cache_disk:
        client = await aiohttp_client(reading_app(TTS_DATA_DIR=str(data)))
        before = await client.post("/api/v1/speak", json={"text": "Innan disken låstes."})
        assert before.status == 200
        await _remount(cache_disk, "ro")
        try:
            await _speech_works(client, seed_site, "Disken är skrivskyddad")
            # What was cached before is still served.
            old = await client.get(before.headers["Content-Location"])
            assert old.status == 200
            assert _cannot_write_lines(caplog) == 1
        finally:
            await client.close()
            await _remount(cache_disk, "rw")


async def test_a_record_the_disk_cannot_read_is_503_with_retry_after(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], tmp_path: Path
) -> None:
    """When nothing can be done (what a key speaks cannot be read), 503, never 500."""
    first = await aiohttp_client(speech_app())
    spoken = await first.post("/api/v1/speak", json={"text": "Vad säger den här nyckeln?"})
    key = spoken.headers["Content-Location"].rsplit("/", 1)[-1].removesuffix(".mp3")
    await first.close()
    (sidecar,) = (tmp_path / "var").rglob(f"{key}.json")
    sidecar.unlink()
    sidecar.mkdir()  # a read of it fails (EISDIR), as a failing disk's would (EIO)

    second = await aiohttp_client(speech_app())  # a restart: nothing in memory
    for _ in range(2):
        response = await second.get(f"/api/v1/audio/{key}.ogg")
        assert response.status == 503, await response.text()
        assert int(response.headers["Retry-After"]) >= 1
        error = (await response.json())["error"]
        assert error["code"] == "storage_unavailable" and error["message"]
    # The clip that is on disk is still served.
    assert (await second.get(f"/api/v1/audio/{key}.mp3")).status == 200
