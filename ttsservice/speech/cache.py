"""The audio cache: content-addressed files on disk under a size bound, hot clips in memory.

Files live under ``settings.cache_dir`` as ``clips/AB/KEY.EXT`` (the audio in
each format and a small ``KEY.json`` sidecar that says what the key speaks)
and ``readings/ID.json``. Writes are atomic (a temporary file, then
``os.replace``), so a crash never leaves half a clip. The index of files and
their last use is rebuilt by scanning the folder at start, so the cache
survives restarts; when it grows past ``max_bytes`` the least recently used
files go first. Sizes are what each file really takes on disk (allocated
blocks, so a 300-byte sidecar counts as the 4 KiB it occupies), for every file
in the folder. A clip's sidecars (``KEY.json``, ``KEY.words.json``) go with the
last of its audio files, and its audio with its ``KEY.json``.

A disk that is full or read-only never fails a request: a file that cannot be
written is kept in memory only (served uncached), and the fault is logged once
until writing works again. A file that cannot be *read* (an I/O error) is
:class:`StorageUnavailable`, 503 with Retry-After.

All file work happens in the executor; the index is only touched on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ttsservice.errors import ServiceError

__all__ = ["AudioCache", "CacheMetrics", "CachedFile", "StorageUnavailable", "disk_usage"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_TMP_SUFFIX = ".tmp"


_AUDIO_EXTS = frozenset({"mp3", "ogg", "wav"})
_SIDECAR_EXTS = ("json", "words.json")

STORAGE_RETRY_AFTER = 30
"""Seconds a client is told to wait when the cache's disk cannot be read."""


class StorageUnavailable(ServiceError):
    """The audio cache's disk failed a read (not a missing file): try again later."""

    status = 503
    code = "storage_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": str(STORAGE_RETRY_AFTER)})


def disk_usage(path: Path | str) -> int:
    """Bytes ``path`` occupies on disk (allocated blocks; what ``du`` counts)."""
    return os.stat(path).st_blocks * 512


def _clip_parts(rel: str) -> tuple[str, str] | None:
    """``(KEY path stem, extension)`` of a file under ``clips/``, else None."""
    if not rel.startswith("clips/"):
        return None
    folder, _, name = rel.rpartition("/")
    stem, dot, ext = name.partition(".")
    return (f"{folder}/{stem}", ext) if dot else None


_AUDIO_HEADERS: dict[str, bytes] = {".ogg": b"OggS", ".wav": b"RIFF"}
"""How a whole clip of these formats starts."""


def looks_whole(rel: str, data: bytes) -> bool:
    """False for an empty file, or an audio file whose first bytes are not its format's."""
    if not data:
        return False
    suffix = Path(rel).suffix
    if suffix == ".mp3":  # an ID3 tag or an MPEG audio frame (11 sync bits)
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] >= 0xE0)
    header = _AUDIO_HEADERS.get(suffix)
    return header is None or data.startswith(header)


@dataclass(frozen=True, slots=True)
class CachedFile:
    """Bytes read from the cache with their strong validator."""

    data: bytes
    etag: str
    """Strong ETag (quoted): sha256 of the bytes."""
    stored: bool = True
    """False when the disk refused the file: it is held in memory only."""


class CacheMetrics:
    """Hooks the cache reports to; the defaults do nothing."""

    def size(self, total_bytes: int) -> None:
        """The cache now holds ``total_bytes`` on disk."""

    def evicted(self, count: int) -> None:
        """``count`` files were evicted to keep under the bound."""


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:40] + '"'


class AudioCache:
    """Size-bounded LRU file cache with an in-memory layer for hot files."""

    def __init__(
        self,
        folder: Path,
        executor: Executor,
        *,
        max_bytes: int,
        memory_bytes: int = 8 * 1024 * 1024,
        memory_item_bytes: int = 2 * 1024 * 1024,
        metrics: CacheMetrics | None = None,
        flush_interval: float = 30.0,
    ) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._executor = executor
        self._metrics = metrics or CacheMetrics()
        self._index: OrderedDict[str, int] = OrderedDict()  # relative path -> size, oldest first
        self._total = 0
        self._memory: OrderedDict[str, CachedFile] = OrderedDict()
        self._memory_total = 0
        self._memory_bytes = memory_bytes
        self._memory_item_bytes = memory_item_bytes
        self._touched: set[str] = set()
        self._flush_interval = flush_interval
        self._flusher: asyncio.Task[None] | None = None
        self._write_fault: str | None = None  # why writes fail now (logged once per episode)
        self._read_fault: str | None = None

    # --- lifecycle ------------------------------------------------------------------
    async def open(self) -> None:
        """Create the folder, rebuild the index from disk (in the executor), start flushing."""
        entries = await self._run(self._scan)
        for rel, size, _ in entries:
            self._index[rel] = size
            self._total += size
        logger.info("audio cache %s: %d files, %d bytes", self.folder, len(entries), self._total)
        await self._evict()
        self._metrics.size(self._total)
        self._flusher = asyncio.create_task(self._flush_loop(), name="tts-cache-flush")

    async def close(self) -> None:
        """Persist last-use times and stop."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        await self._flush()

    # --- queries -------------------------------------------------------------------
    @property
    def total_bytes(self) -> int:
        """Bytes on disk of all files the index knows."""
        return self._total

    @property
    def write_fault(self) -> str | None:
        """Why the last write failed (disk full, read-only…), or None while writes work."""
        return self._write_fault

    def __contains__(self, rel: str) -> bool:
        return rel in self._index

    def paths(self, prefix: str) -> list[str]:
        """Relative paths of the files under ``prefix``, least recently used first."""
        return [rel for rel in self._index if rel.startswith(prefix)]

    async def peek(self, rel: str) -> bytes | None:
        """The bytes of the file at ``rel`` without counting a use (None if unreadable)."""

        def load() -> bytes | None:
            try:
                return (self.folder / rel).read_bytes()
            except OSError:
                return None

        return await self._run(load)

    def __len__(self) -> int:
        return len(self._index)

    # --- reading and writing -------------------------------------------------------------
    def hot(self, rel: str) -> CachedFile | None:
        """The file at ``rel`` if it is held in memory, or None; counts as a use."""
        hot = self._memory.get(rel)
        if hot is not None:
            self._memory.move_to_end(rel)
            self._use(rel)
        return hot

    async def read(self, rel: str) -> CachedFile | None:
        """The file at ``rel``, or None; counts as a use."""
        hot = self.hot(rel)
        if hot is not None:
            return hot
        try:
            found = await self._run(self._read_file, rel)
        except OSError as exc:
            if self._read_fault is None:
                logger.error(
                    "audio cache: cannot read %s (%s); answering 503 until reads work again",
                    self.folder,
                    exc.strerror or exc,
                )
            self._read_fault = str(exc.strerror or exc)
            raise StorageUnavailable(
                "The audio store cannot be read just now; try again in a minute."
            ) from exc
        if self._read_fault is not None:
            logger.info("audio cache: reads from %s work again", self.folder)
            self._read_fault = None
        if found is None:
            self._forget(rel)
            return None
        data, size = found
        if rel not in self._index:  # written by another process (``ttsservice warm``)
            self._index[rel] = size
            self._total += size
            self._metrics.size(self._total)
        self._use(rel)
        cached = CachedFile(data, _etag(data))
        self._remember(rel, cached)
        await self._evict()
        return cached

    async def write(self, rel: str, data: bytes) -> CachedFile:
        """Store ``data`` at ``rel`` atomically and evict old files past the bound.

        When the disk refuses it (full, read-only, no permission), the file is
        held in memory only and returned with ``stored=False``: never an error.
        """
        try:
            size = await self._run(self._write_file, rel, data)
        except OSError as exc:
            self._note_write_fault(exc)
            cached = CachedFile(data, _etag(data), stored=False)
            self._remember(rel, cached, any_file=True)
            return cached
        self._note_write_ok()
        self._account(rel, size)
        cached = CachedFile(data, _etag(data))
        self._remember(rel, cached)
        await self._evict(keep=rel)
        self._metrics.size(self._total)
        return cached

    async def write_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store several small files in one trip to the executor (those the disk takes)."""
        if not items:
            return
        written, fault = await self._run(self._write_files, items)
        for rel, size in written:
            self._account(rel, size)
        if fault is not None:
            self._note_write_fault(fault)
        elif written:
            self._note_write_ok()
        if written:
            await self._evict(keep=written[-1][0])
        self._metrics.size(self._total)

    def touch(self, rels: Iterable[str]) -> None:
        """Mark ``rels`` as just used (no disk work now)."""
        for rel in rels:
            if rel in self._index:
                self._use(rel)

    # --- internals -------------------------------------------------------------------------
    def _account(self, rel: str, size: int) -> None:
        old = self._index.pop(rel, None)
        if old is not None:
            self._total -= old
        self._index[rel] = size
        self._total += size

    def _note_write_fault(self, exc: OSError) -> None:
        reason = str(exc.strerror or exc)
        if self._write_fault is None:  # once per episode, not once per request
            logger.warning(
                "audio cache: cannot write in %s (%s); audio is served without caching "
                "until writing works again",
                self.folder,
                reason,
            )
        self._write_fault = reason

    def _note_write_ok(self) -> None:
        if self._write_fault is not None:
            logger.info("audio cache: writing in %s works again", self.folder)
            self._write_fault = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _use(self, rel: str) -> None:
        if rel in self._index:
            self._index.move_to_end(rel)
            self._touched.add(rel)
            dot = rel.find(".", rel.rfind("/"))
            if rel.startswith("clips/") and dot > 0 and not rel.endswith(".json"):
                # The clip's sidecar is used with it, so it goes after the clip's audio.
                sidecar = rel[:dot] + ".json"
                if sidecar in self._index:
                    self._index.move_to_end(sidecar)
                    self._touched.add(sidecar)

    def _remember(self, rel: str, cached: CachedFile, *, any_file: bool = False) -> None:
        if len(cached.data) > self._memory_item_bytes:
            return
        if not any_file and not rel.startswith("clips/"):
            return
        old = self._memory.pop(rel, None)
        if old is not None:
            self._memory_total -= len(old.data)
        self._memory[rel] = cached
        self._memory_total += len(cached.data)
        while self._memory_total > self._memory_bytes and self._memory:
            _, dropped = self._memory.popitem(last=False)
            self._memory_total -= len(dropped.data)

    def _forget(self, rel: str) -> None:
        size = self._index.pop(rel, None)
        if size is not None:
            self._total -= size
            self._metrics.size(self._total)
        hot = self._memory.pop(rel, None)
        if hot is not None:
            self._memory_total -= len(hot.data)
        self._touched.discard(rel)

    async def _evict(self, keep: str | None = None) -> None:
        victims: list[str] = []
        for rel in list(self._index):
            if self._total <= self.max_bytes:
                break
            if rel == keep or rel not in self._index:  # kept, or gone with its clip
                continue
            for victim in self._with_companions(rel, keep):
                victims.append(victim)
                self._forget(victim)
        if victims:
            self._metrics.evicted(len(victims))
            self._metrics.size(self._total)
            await self._run(self._unlink_all, victims)

    def _with_companions(self, rel: str, keep: str | None) -> list[str]:
        """``rel`` and the files of the same clip that must go with it.

        A clip's audio takes its sidecars along when it is the clip's last audio
        file; its ``KEY.json`` (what the key speaks) takes everything of the key.
        """
        parts = _clip_parts(rel)
        if parts is None:
            return [rel]
        stem, ext = parts
        family = [
            f"{stem}.{other}"
            for other in (*_AUDIO_EXTS, *_SIDECAR_EXTS)
            if f"{stem}.{other}" in self._index and f"{stem}.{other}" not in (rel, keep)
        ]
        if ext == "json":
            return [rel, *family]
        last_audio = not any(f.rpartition(".")[2] in _AUDIO_EXTS for f in family)
        kept_sibling = keep is not None and keep.startswith(f"{stem}.")
        if ext in _AUDIO_EXTS and last_audio and not kept_sibling:
            return [rel, *family]
        return [rel]

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            await self._flush()

    async def _flush(self) -> None:
        touched, self._touched = self._touched, set()
        if touched:
            # Oldest first, so the recorded modification times keep the LRU order.
            ordered = [rel for rel in self._index if rel in touched]
            await self._run(self._set_times, ordered)

    # --- blocking file work (executor) -------------------------------------------------------
    def _scan(self) -> list[tuple[str, int, float]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        found: list[tuple[str, int, float]] = []
        for root, _, files in os.walk(self.folder):
            for name in files:
                path = Path(root) / name
                if name.endswith(_TMP_SUFFIX):
                    path.unlink(missing_ok=True)  # left by a crash mid-write
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.append(
                    (path.relative_to(self.folder).as_posix(), stat.st_blocks * 512, stat.st_mtime)
                )
        found.sort(key=lambda item: item[2])
        return found

    def _read_file(self, rel: str) -> tuple[bytes, int] | None:
        path = self.folder / rel
        try:
            with path.open("rb") as f:
                data = f.read()
                size = os.fstat(f.fileno()).st_blocks * 512
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not looks_whole(rel, data):
            # An empty or foreign file (a power cut before the data reached the disk, a
            # stray write) must not be served as an immutable clip: drop it, make it again.
            logger.warning("audio cache: %s is empty or not what its name says; remaking it", rel)
            with contextlib.suppress(OSError):  # a read-only disk: it is remade in memory
                path.unlink(missing_ok=True)
            return None
        return data, size

    def _write_file(self, rel: str, data: bytes) -> int:
        """Write ``data`` atomically; the bytes it takes on disk."""
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=_TMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the data is on disk before the name points at it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return disk_usage(path)

    def _write_files(
        self, items: list[tuple[str, bytes]]
    ) -> tuple[list[tuple[str, int]], OSError | None]:
        written: list[tuple[str, int]] = []
        for rel, data in items:
            try:
                written.append((rel, self._write_file(rel, data)))
            except OSError as exc:
                return written, exc
        return written, None

    def _unlink_all(self, rels: list[str]) -> None:
        for rel in rels:
            try:
                (self.folder / rel).unlink(missing_ok=True)
            except OSError as exc:  # a read-only disk: forgotten here, found again at start
                logger.debug("audio cache: cannot remove %s: %s", rel, exc)

    def _set_times(self, rels: list[str]) -> None:
        now = time.time()
        # One microsecond apart, so the order survives a restart.
        for offset, rel in enumerate(rels):
            stamp = now + offset * 1e-6
            try:
                os.utime(self.folder / rel, (stamp, stamp))
            except FileNotFoundError:
                continue
            except OSError:  # a read-only disk: the order is kept in memory only
                return
