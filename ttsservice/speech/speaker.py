"""Clips: one sentence (or selection) spoken by one voice, cached in each audio format.

A :class:`ClipSpec` says everything that decides how a clip sounds; its
:meth:`~ClipSpec.key` (sha256) names the clip in URLs and on disk. The
:class:`Speaker` turns keys into audio bytes: from the cache when it can,
otherwise by synthesising and levelling (through the :class:`Synthesizer`
queue), encoding (in the same lane, between sentences), then storing the result.

Nothing is written per sentence that nobody asked for: a reading's clips are
recorded in one file for the whole reading (:meth:`Speaker.register_group`), and
a clip's own sidecar (``KEY.json``, what it speaks) is written with its audio,
when the clip is made.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np
import numpy.typing as npt

from ttsservice.speech.audio import BLOCK_SAMPLES, AudioFormat, encode, level_loudness
from ttsservice.speech.cache import AudioCache, CachedFile, StorageUnavailable
from ttsservice.speech.clips import (
    GONE_POLL_SECONDS,
    LONG_TEXTS_AT_ONCE,
    MAX_GROUP_KEYS,
    MAX_REMEMBERED_SPECS,
    PARTS_AS_JOBS,
    ClientGone,
    ClipRecords,
    ClipSpec,
    Samples,
    UnknownClip,
    _encode_in_background,
    clip_path,
    clips_of_group,
    group_clips,
    is_clip_key,
    speak_in_chunks_timed,
    speech_chunks,
    yield_to_event_loop,
)
from ttsservice.speech.longtexts import LongTextParts, assemble
from ttsservice.speech.synthesizer import Priority, Synthesizer
from voices.engine import SpeechVoice, WordTimes
from voices.registry import ESPEAK_PREFIX, VoiceRegistry

__all__ = ["Speaker"]

logger = logging.getLogger(__name__)


class Speaker:
    """Turns clip keys into audio, making what the cache lacks."""

    def __init__(
        self,
        voices: VoiceRegistry,
        cache: AudioCache,
        synthesizer: Synthesizer,
        executor: Executor,
        *,
        samples_bytes: int = 16 * 1024 * 1024,
        on_cache: Callable[[bool], None] | None = None,
    ) -> None:
        self.voices = voices
        self.cache = cache
        self.synthesizer = synthesizer
        self._executor = executor
        # Recent clips' samples as 16-bit PCM (half of float32), for encoding other formats.
        self._samples: OrderedDict[str, npt.NDArray[np.int16]] = OrderedDict()
        self._samples_total = 0
        # Word timings of the clips whose samples are kept: (duration, words or None).
        self._timings: dict[str, tuple[float, WordTimes | None]] = {}
        self._samples_bytes = samples_bytes
        self._renders: dict[str, asyncio.Task[CachedFile]] = {}
        self._on_cache = on_cache or (lambda hit: None)
        self._specs: OrderedDict[str, ClipSpec] = OrderedDict()
        # The first 16 bytes of a key -> the cache file (a reading's record) that says what
        # it speaks, oldest first (a plain dict: about 90 bytes an entry).
        self._groups: dict[bytes, str] = {}
        self._last_group: tuple[str, dict[str, ClipSpec]] | None = None
        self.records: ClipRecords | None = None
        """Shared clip records (set by the feedback store when TTS_DATABASE_URL is set)."""
        self._wanted: dict[str, Priority] = {}  # most urgent priority asked for a render
        self._parts: dict[str, list[str]] = {}  # queue keys of a long text's parts
        self._waiters: dict[str, int] = {}  # requests waiting for a clip's audio now
        self._assembling = asyncio.Semaphore(LONG_TEXTS_AT_ONCE)

    @property
    def rendering(self) -> int:
        """Clips being made right now (queued, synthesising or encoding)."""
        return len(self._renders)

    async def close(self) -> None:
        """Stop making clips nobody will be able to fetch any more (at shutdown)."""
        tasks = list(self._renders.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- specs and keys -----------------------------------------------------------------
    def spec(
        self, text: str, lang: str, voice: SpeechVoice, normalizer: str, length_scale: float = 1.0
    ) -> ClipSpec:
        """The clip for already normalised ``text`` spoken by ``voice``."""
        return ClipSpec(text, lang, voice.name, voice.fingerprint, normalizer, length_scale)

    def remember(self, specs: list[ClipSpec]) -> list[str]:
        """The keys of ``specs``, resolvable in this process at once (no disk work)."""
        keys: list[str] = []
        for spec in specs:
            key = spec.key()
            keys.append(key)
            self._remember_spec(key, spec)
        return keys

    async def register(self, specs: list[ClipSpec]) -> list[str]:
        """The keys of ``specs``, resolvable here (and by every copy, with shared records).

        Nothing is written to disk: a clip's sidecar is written when it is made.
        """
        fresh = [spec for spec in specs if spec.key() not in self._specs]
        keys = self.remember(specs)
        await self._share(fresh)
        return keys

    async def _share(self, specs: list[ClipSpec]) -> None:
        if self.records is not None and specs:
            await self.records.put_clip_records(
                [(spec.key(), spec.to_json().decode("utf-8")) for spec in specs]
            )

    async def register_group(
        self, path: str, specs: list[ClipSpec], about: Callable[[list[str]], dict[str, Any]]
    ) -> list[str]:
        """Register ``specs`` with one record file at ``path`` for all of them; their keys.

        The record is ``about(keys)`` (e.g. a reading's title) with the keys and the
        specs under ``"clips"``; a key not in memory any more is found through it.
        Written once (touched when it exists).
        """
        keys = self.remember(specs)
        for key in keys:
            short = bytes.fromhex(key[:32])
            self._groups.pop(short, None)
            self._groups[short] = path
        while len(self._groups) > MAX_GROUP_KEYS:
            del self._groups[next(iter(self._groups))]
        if path in self.cache:
            self.cache.touch([path])
        else:
            record = {**about(keys), "keys": keys, "clips": group_clips(specs)}
            body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            await self.cache.write(path, body.encode("utf-8"))
            await self._share(specs)
        return keys

    async def lookup(self, key: str) -> ClipSpec:
        """The spec of a registered key; :class:`UnknownClip` (404) otherwise."""
        if not is_clip_key(key):
            raise UnknownClip(
                "There is no audio at this address: a clip key is 64 hexadecimal digits."
            )
        spec = self._specs.get(key)
        if spec is None:
            stored = await self.cache.read(clip_path(key, "json"))
            if stored is None:
                spec = await self._from_group(key)
            if spec is None and stored is None and self.records is not None:
                shared = await self.records.clip_record(key)  # made by another copy
                if shared is not None:
                    stored = CachedFile(shared.encode(), "")
            if spec is None and stored is None:
                raise UnknownClip(
                    "This audio clip is not known here (it may have expired): create the "
                    "reading again to get fresh audio addresses."
                )
            if spec is None:
                assert stored is not None
                try:
                    spec = ClipSpec.from_json(stored.data)
                except (ValueError, KeyError, TypeError):
                    logger.warning("clip sidecar %s is unreadable", key)
                    raise UnknownClip(
                        "This audio clip's record is damaged: create the reading again."
                    ) from None
            self._remember_spec(key, spec)
        else:
            self.cache.touch([clip_path(key, "json")])
        if spec.voice.startswith(ESPEAK_PREFIX) and spec.voice not in self.voices.voices:
            # espeak-ng's voice of a language, loaded when a reading first needed it: in
            # another copy, or before a restart
            language = spec.voice.removeprefix(ESPEAK_PREFIX)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self.voices.espeak, language)
        return spec

    async def recall_groups(
        self, prefix: str, learn: Callable[[dict[str, Any], list[str]], None] | None = None
    ) -> int:
        """Learn which keys the group records under ``prefix`` hold (at start: a reading made
        before a restart keeps its sentences playable); the most recent win. How many.

        ``learn`` is given each readable record and its keys."""
        for path in self.cache.paths(prefix):
            data = await self.cache.peek(path)
            try:
                record = json.loads(data or b"")
                keys = [str(key) for key in record["keys"]]
            except (ValueError, KeyError, TypeError):
                continue  # unreadable or from an older version: nothing to learn
            if learn is not None and isinstance(record, dict):
                learn(record, keys)
            for key in keys:
                if is_clip_key(key):
                    short = bytes.fromhex(key[:32])
                    self._groups.pop(short, None)
                    self._groups[short] = path
            while len(self._groups) > MAX_GROUP_KEYS:
                del self._groups[next(iter(self._groups))]
        return len(self._groups)

    async def _from_group(self, key: str) -> ClipSpec | None:
        """The spec of ``key`` from the group record it was registered with, if any."""
        path = self._groups.get(bytes.fromhex(key[:32]))
        if path is None:
            return None
        last = self._last_group
        if last is None or last[0] != path:
            stored = await self.cache.read(path)
            if stored is None:
                return None
            try:
                record = json.loads(stored.data)
                specs = clips_of_group(record["clips"])
                found = dict(zip((str(k) for k in record["keys"]), specs, strict=True))
            except (ValueError, KeyError, TypeError):
                logger.warning("clip record %s is unreadable", path)
                return None
            # Kept: a player (or a download) asks for one sentence after another.
            last = self._last_group = (path, found)
        spec = last[1].get(key)
        return spec if spec is not None and spec.key() == key else None

    def voice_for(self, spec: ClipSpec) -> SpeechVoice:
        """The loaded voice a spec names, if it is still the same voice."""
        voice = self.voices.voices.get(spec.voice)
        if voice is None or voice.fingerprint != spec.fingerprint:
            raise UnknownClip(
                f"This clip was made with a voice ({spec.voice}) that is no longer installed "
                "in that version: create the reading again."
            )
        return voice

    # --- audio -----------------------------------------------------------------------
    def hot(self, key: str, audio_format: AudioFormat) -> CachedFile | None:
        """The clip's audio if the cache holds it in memory (counted as a hit)."""
        found = self.cache.hot(clip_path(key, audio_format.ext))
        if found is not None:
            self._on_cache(True)
        return found

    async def cached(self, key: str, audio_format: AudioFormat) -> CachedFile | None:
        """The clip's audio if the cache has it (counted as a hit).

        A disk that fails the read counts as a miss: the clip can be made again.
        """
        try:
            found = await self.cache.read(clip_path(key, audio_format.ext))
        except StorageUnavailable:
            return None
        if found is not None:
            self._on_cache(True)
        return found

    async def audio(
        self,
        key: str,
        spec: ClipSpec,
        audio_format: AudioFormat,
        priority: Priority,
        *,
        deadline: float | None = None,
        gone: Callable[[], bool] | None = None,
    ) -> CachedFile:
        """The clip's audio in ``audio_format``: cached, or made now at ``priority``.

        ``deadline`` (on the synthesizer's clock) is when it is needed, if not now.
        ``gone`` says whether the caller has gone away (its connection closed):
        then :class:`ClientGone` is raised, and the clip's queued synthesis is
        dropped unless another request waits for it.
        Raises :class:`~ttsservice.errors.Overloaded` when synthesis is needed
        and the queue has no room.
        """
        found = await self.cached(key, audio_format)
        if found is not None:
            return found
        self._on_cache(False)
        task = self._render_task(key, spec, audio_format, priority, deadline=deadline)
        self._waiters[key] = self._waiters.get(key, 0) + 1
        left = False
        try:
            if gone is None:
                return await asyncio.shield(task)
            while True:
                done, _ = await asyncio.wait({task}, timeout=GONE_POLL_SECONDS)
                if done:
                    return task.result()
                if gone():
                    left = True
                    raise ClientGone("The client closed the connection before the audio was ready.")
        except asyncio.CancelledError:
            left = True  # a server run with handler_cancellation cancels instead
            raise
        finally:
            count = self._waiters.get(key, 1) - 1
            if count > 0:
                self._waiters[key] = count
            else:
                self._waiters.pop(key, None)
                if left:
                    self.abandon(key)

    def abandon(self, key: str) -> bool:
        """Drop the clip's queued synthesis if no request waits for it; True when dropped.

        For a listener that left, stopped or skipped: a sentence that is already
        being synthesised finishes (and is cached), one still waiting is removed.
        """
        if self._waiters.get(key):
            return False
        dropped = self.synthesizer.drop(key)
        parts = self._parts.pop(key, None)
        for part in parts or ():
            dropped = self.synthesizer.drop(part) or dropped
        return dropped

    def is_cached(self, key: str, audio_format: AudioFormat) -> bool:
        """Whether the clip needs no synthesis: on disk, being made, or its samples kept."""
        name = clip_path(key, audio_format.ext)
        return name in self.cache or name in self._renders or key in self._samples

    def prefetch(
        self,
        key: str,
        spec: ClipSpec,
        audio_format: AudioFormat,
        priority: Priority,
        *,
        deadline: float | None = None,
    ) -> bool:
        """Start making the clip in the background; False when the queue has no room.

        ``deadline`` is when (on the synthesizer's clock) a listener will need it.
        """
        name = clip_path(key, audio_format.ext)
        if name in self.cache or name in self._renders:
            self.synthesizer.raise_priority(key, priority, deadline=deadline)
            return True
        idle = key not in self._samples and not self.synthesizer.in_flight(key)
        if idle and not self.synthesizer.has_room(priority):
            return False
        self._render_task(key, spec, audio_format, priority, deadline=deadline)
        return True

    async def samples(
        self,
        key: str,
        spec: ClipSpec,
        priority: Priority,
        *,
        encode_as: AudioFormat | None = None,
        encoded: dict[str, bytes] | None = None,
        deadline: float | None = None,
    ) -> Samples:
        """The clip's levelled samples: kept in memory when recent, else synthesised.

        When this call starts the synthesis, the samples are also encoded as
        ``encode_as`` into ``encoded`` in the same step, so the listener's audio
        does not wait behind the next sentence.
        """
        kept = self._samples.get(key)
        if kept is not None:
            self._samples.move_to_end(key)
            return (kept.astype(np.float32) / np.float32(32767)).astype(np.float32)
        voice = self.voice_for(spec)
        parts = speech_chunks(spec.text)
        if len(parts) > PARTS_AS_JOBS:
            return await self._samples_in_parts(
                key, spec, voice, parts, priority, encode_as, encoded, deadline
            )
        made: dict[str, WordTimes | None] = {}

        def run() -> tuple[Samples, int]:
            yield_to_event_loop()
            samples, words = speak_in_chunks_timed(voice, spec.text, spec.length_scale)
            made["words"] = words
            levelled = level_loudness(samples, voice.sample_rate)
            if encode_as is not None and encoded is not None:
                encoded[encode_as.ext] = encode(levelled, voice.sample_rate, encode_as)
            return levelled, voice.sample_rate

        def done(samples: Samples) -> None:
            self._keep_samples(key, samples)
            if "words" in made:
                self._timings[key] = (samples.size / voice.sample_rate, made["words"])
                while len(self._timings) > 4096:
                    del self._timings[next(iter(self._timings))]

        return await self.synthesizer.synthesize(
            key,
            voice.name,
            run,
            priority,
            on_done=done,
            deadline=deadline,
            # Characters at normal speed: a slower length scale makes each one longer.
            chars=round(len(spec.text) * spec.length_scale),
        )

    async def _samples_in_parts(
        self,
        key: str,
        spec: ClipSpec,
        voice: SpeechVoice,
        parts: list[str],
        priority: Priority,
        encode_as: AudioFormat | None,
        encoded: dict[str, bytes] | None,
        deadline: float | None,
    ) -> Samples:
        """A long text made part by part (see :func:`~ttsservice.speech.longtexts.assemble`)."""
        levelled, words, data = await assemble(
            self.synthesizer,
            LongTextParts(self._parts, self._assembling),
            key,
            spec,
            voice,
            parts,
            priority,
            encode_as,
            deadline,
        )
        if encode_as is not None and encoded is not None and data is not None:
            encoded[encode_as.ext] = data
        self._keep_samples(key, levelled)
        self._timings[key] = (levelled.size / voice.sample_rate, words)
        while len(self._timings) > 4096:
            del self._timings[next(iter(self._timings))]
        return levelled

    async def word_times(
        self, key: str, spec: ClipSpec, priority: Priority
    ) -> tuple[float, WordTimes | None]:
        """The clip's duration and its spoken words' (start, end) times in seconds.

        Kept on disk beside the audio (``KEY.words.json``); when neither the
        cache nor memory has them, the clip is synthesised again. None for the
        words when the voice gives no timings.
        """
        name = clip_path(key, "words.json")
        stored = await self.cache.read(name)
        if stored is not None:
            try:
                raw = json.loads(stored.data)
                words = raw["words"]
                return float(raw["duration"]), (
                    None if words is None else [(float(a), float(b)) for a, b in words]
                )
            except (ValueError, KeyError, TypeError):
                logger.warning("word timings %s are unreadable; making them again", key)
        found = self._timings.get(key)
        if found is None:
            samples = await self.samples(key, spec, priority)
            found = self._timings.get(key)
            if found is None:  # kept samples made before timings were asked for
                rate = self.voice_for(spec).sample_rate
                found = (samples.size / rate, None)
        await self._store_timings(key, found)
        return found

    async def _store_timings(self, key: str, found: tuple[float, WordTimes | None]) -> None:
        name = clip_path(key, "words.json")
        if name in self.cache:
            return
        duration, words = found
        body = {
            "duration": round(duration, 4),
            "words": None if words is None else [[round(a, 4), round(b, 4)] for a, b in words],
        }
        await self.cache.write(name, json.dumps(body).encode("utf-8"))

    # --- internals -------------------------------------------------------------------
    def _render_task(
        self,
        key: str,
        spec: ClipSpec,
        audio_format: AudioFormat,
        priority: Priority,
        *,
        deadline: float | None = None,
    ) -> asyncio.Task[CachedFile]:
        name = clip_path(key, audio_format.ext)
        task = self._renders.get(name)
        if task is not None:
            self._wanted[key] = min(priority, self._wanted.get(key, priority))
            self.synthesizer.raise_priority(key, priority, deadline=deadline)
            return task
        self._wanted[key] = min(priority, self._wanted.get(key, priority))
        task = asyncio.get_running_loop().create_task(
            self._render(key, spec, audio_format, priority, deadline), name=f"tts-render-{name}"
        )
        self._renders[name] = task

        def done(finished: asyncio.Task[CachedFile]) -> None:
            if self._renders.get(name) is finished:
                del self._renders[name]
            if not any(n.startswith(f"clips/{key[:2]}/{key}.") for n in self._renders):
                self._wanted.pop(key, None)
            if not finished.cancelled():
                finished.exception()  # background prefetches may have nobody waiting

        task.add_done_callback(done)
        return task

    async def _render(
        self,
        key: str,
        spec: ClipSpec,
        audio_format: AudioFormat,
        priority: Priority,
        deadline: float | None = None,
    ) -> CachedFile:
        wanted = self._wanted.get(key, priority)
        encoded: dict[str, bytes] = {}
        # A listener waiting: encode in the synthesis step itself, before the next sentence.
        # Otherwise the spare thread encodes beside the next synthesis, which leaves a core
        # partly idle anyway: better throughput for prefetching and downloads.
        urgent = wanted == Priority.VISITOR
        samples = await self.samples(
            key,
            spec,
            wanted,
            encode_as=audio_format if urgent else None,
            encoded=encoded,
            deadline=deadline,
        )
        data = encoded.get(audio_format.ext)
        if data is None:
            rate = self.voice_for(spec).sample_rate
            job = functools.partial(_encode_in_background, samples, rate, audio_format)
            if urgent:
                data = await self.synthesizer.run_between(job, wanted)
            else:
                data = await asyncio.get_running_loop().run_in_executor(self._executor, job)
        written = await self.cache.write(clip_path(key, audio_format.ext), data)
        sidecar = clip_path(key, "json")
        if written.stored and sidecar not in self.cache:  # the clip exists: say what it speaks
            await self.cache.write(sidecar, spec.to_json())
        timings = self._timings.get(key)
        if timings is not None:  # word timings live as long as the audio they go with
            await self._store_timings(key, timings)
        return written

    def _keep_samples(self, key: str, samples: Samples) -> None:
        if key in self._samples:
            return
        if samples.size * 2 > self._samples_bytes // 4:
            # A long text (over 95 s at 22 kHz by default) would push out dozens of
            # sentences and hold megabytes per client while forty long speaks run; its
            # audio is on disk, and only another format of it needs synthesis again.
            return
        pcm = np.empty(samples.size, dtype=np.int16)
        for at in range(0, samples.size, BLOCK_SAMPLES):  # no whole-clip float copies
            block = samples[at : at + BLOCK_SAMPLES]
            pcm[at : at + block.size] = np.clip(block, -1.0, 1.0) * 32767
        self._samples[key] = pcm
        self._samples_total += pcm.nbytes
        while self._samples_total > self._samples_bytes and self._samples:
            dropped_key, dropped = self._samples.popitem(last=False)
            self._timings.pop(dropped_key, None)
            self._samples_total -= dropped.nbytes

    def _remember_spec(self, key: str, spec: ClipSpec) -> None:
        self._specs[key] = spec
        self._specs.move_to_end(key)
        while len(self._specs) > MAX_REMEMBERED_SPECS:
            self._specs.popitem(last=False)
