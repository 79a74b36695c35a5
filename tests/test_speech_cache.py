"""The audio cache on disk: size bound with LRU eviction, atomic writes, restarts."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ttsservice.speech.cache import AudioCache, CacheMetrics
from ttsservice.speech.clips import clip_path

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

OGG_1000 = b"OggS" + b"x" * 996
"""1,000 bytes that begin as an Ogg file does (the cache checks what it reads)."""


class Counts(CacheMetrics):
    def __init__(self) -> None:
        self.bytes = 0
        self.evictions = 0

    def size(self, total_bytes: int) -> None:
        self.bytes = total_bytes

    def evicted(self, count: int) -> None:
        self.evictions += count


@pytest.fixture
async def executor() -> AsyncIterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True)


def _disk_bytes(folder: Path) -> int:
    """What the files under ``folder`` really take on disk (allocated blocks, as du counts)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def _block(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    return os.statvfs(folder).f_frsize


async def test_cache_stays_under_its_bound_evicting_least_recently_used(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    block = _block(tmp_path)  # files of one block each: their size is what they take
    counts = Counts()
    cache = AudioCache(tmp_path / "c", executor, max_bytes=5 * block, metrics=counts)
    await cache.open()
    for i in range(5):
        await cache.write(f"clips/aa/{i}.mp3", bytes([i]) * block)
    assert await cache.read("clips/aa/0.mp3") is not None  # 0 is now the most recent
    for i in range(5, 9):
        await cache.write(f"clips/aa/{i}.mp3", bytes([i]) * block)
        assert _disk_bytes(tmp_path / "c") <= 5 * block
        assert cache.total_bytes <= 5 * block
    kept = sorted(p.name for p in (tmp_path / "c" / "clips" / "aa").iterdir())
    assert kept == ["0.mp3", "5.mp3", "6.mp3", "7.mp3", "8.mp3"]
    assert counts.evictions == 4
    assert counts.bytes == cache.total_bytes == 5 * block == _disk_bytes(tmp_path / "c")
    assert await cache.read("clips/aa/1.mp3") is None
    await cache.close()


async def test_index_and_order_survive_a_restart(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    folder = tmp_path / "c"
    block = _block(tmp_path)
    cache = AudioCache(folder, executor, max_bytes=100 * block)
    await cache.open()
    for i in range(3):
        await cache.write(f"clips/bb/{i}.ogg", OGG_1000)
    await cache.read("clips/bb/0.ogg")
    await cache.close()
    (folder / "clips" / "bb" / ".half.tmp").write_bytes(b"crashed mid-write")

    again = AudioCache(folder, executor, max_bytes=2 * block + 10)  # smaller than before
    await again.open()
    assert again.total_bytes == 2 * block == _disk_bytes(folder)
    assert not (folder / "clips" / "bb" / ".half.tmp").exists()
    # 1 was the least recently used before the restart, so it went.
    assert sorted(p.name for p in (folder / "clips" / "bb").iterdir()) == ["0.ogg", "2.ogg"]
    found = await again.read("clips/bb/0.ogg")
    assert found is not None and found.data == OGG_1000
    await again.close()


async def test_writes_are_atomic_and_etags_follow_the_bytes(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    cache = AudioCache(tmp_path / "c", executor, max_bytes=100_000)
    await cache.open()
    first = await cache.write("clips/cc/k.mp3", b"one")
    second = await cache.write("clips/cc/k.mp3", b"two")
    assert first.etag != second.etag
    assert first.etag.startswith('"') and first.etag.endswith('"')
    assert (tmp_path / "c" / "clips" / "cc" / "k.mp3").read_bytes() == b"two"
    assert not [p for p in (tmp_path / "c").rglob("*") if p.name.endswith(".tmp")]
    assert cache.total_bytes == _disk_bytes(tmp_path / "c") > 0
    await cache.close()


async def test_files_written_by_another_process_are_found(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    cache = AudioCache(tmp_path / "c", executor, max_bytes=100_000)
    await cache.open()
    path = tmp_path / "c" / "clips" / "dd" / "w.mp3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"ID3warm")  # reads are checked: an MP3 starts with a tag or a frame
    found = await cache.read("clips/dd/w.mp3")
    assert found is not None and found.data == b"ID3warm"
    assert cache.total_bytes == _disk_bytes(tmp_path / "c") > 0
    os.unlink(path)
    # Served from memory now, but the index still counts the file until it is evicted.
    assert await cache.read("clips/dd/w.mp3") is not None
    await cache.close()


@pytest.mark.parametrize("damage", [b"", b"<html>not audio</html>"])
async def test_an_empty_or_foreign_clip_on_disk_is_remade_not_served(
    aiohttp_client: Any,
    speech_app: Callable[..., web.Application],
    tmp_path: Path,
    damage: bytes,
) -> None:
    """A clip left empty by a power cut (or overwritten) is never served as immutable audio."""
    first = await aiohttp_client(speech_app())
    made = await first.post("/api/v1/readings", json={"text": "Hej och välkommen.", "lang": "sv"})
    assert made.status == 200, await made.text()
    url = (await made.json())["sentences"][0]["audio"]["mp3"]
    good = await first.get(url)
    assert good.status == 200
    whole = await good.read()
    await first.close()

    key = url.rsplit("/", 1)[-1].split(".")[0]
    clip = tmp_path / "var" / "cache" / clip_path(key, "mp3")
    if not clip.is_file():
        clip = next((tmp_path / "var").rglob(f"{key}.mp3"))
    clip.write_bytes(damage)

    second = await aiohttp_client(speech_app())  # a restart: nothing in memory
    again = await second.get(url)
    assert again.status == 200
    body = await again.read()
    assert body[:1] == b"\xff" or body.startswith(b"ID3")
    assert len(body) == len(whole)
    assert clip.read_bytes() == body  # remade on disk too
