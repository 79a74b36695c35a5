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
import hashlib
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ttsservice.errors import NotFound, ServiceError
from ttsservice.speech.audio import ENCODER_REVISION, AudioFormat, encode, level_loudness
from ttsservice.speech.cache import AudioCache, CachedFile, StorageUnavailable
from ttsservice.speech.synthesizer import Abandoned, Priority, Synthesizer
from voices.engine import SpeechVoice, WordTimes
from voices.registry import VoiceRegistry

__all__ = ["CLIP_REVISION", "ClientGone", "ClipSpec", "Speaker", "UnknownClip", "clip_path"]

logger = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]

MAX_CHUNK_CHARS = 90
"""Longest text given to the voice in one go. A VITS voice needs about 20 MB of memory
per second of speech it makes at once, so long sentences are spoken in clause-sized parts."""

CHUNK_PAUSE_SECONDS = 0.12
"""Silence put where a long sentence was cut (about a comma's pause)."""

PARTS_AS_JOBS = 3
"""A text cut into more parts than this (a long selection, not a sentence) is queued
part by part, so listeners' sentences can be synthesised between its parts."""

PARTS_QUEUED = 2
"""Parts of one long text that wait in the synthesis queue at a time."""

CLIP_REVISION = f"2;chunk={MAX_CHUNK_CHARS};pause={CHUNK_PAUSE_SECONDS}"
"""Bump when the meaning of a clip key changes."""

_CLAUSE_END = re.compile(r"(?<=[.!?,;:])\s+|\s+(?=[–—]\s)")

_KEY = re.compile(r"[0-9a-f]{64}")

MAX_REMEMBERED_SPECS = 4096
"""Clip specs held in memory (the most recently used)."""

MAX_GROUP_KEYS = 200_000
"""Keys whose group record (a reading's one file) this process remembers (about 20 MB)."""


GONE_POLL_SECONDS = 0.25
"""How often a request waiting for audio checks that its client is still connected
(aiohttp does not cancel a handler when the client goes away)."""


class ClientGone(ServiceError):
    """The client went away before its answer was ready (nobody reads this answer)."""

    status = 499
    code = "client_closed_request"


class UnknownClip(NotFound):
    """No clip with this key is known here (never made, evicted, or its voice is gone)."""

    code = "not_found"


class ClipRecords(Protocol):
    """Where clip keys are recorded beside the local cache, shared by every copy of the service.

    The feedback store (:class:`feedback.store.FeedbackStore`) is one when
    TTS_DATABASE_URL is set: a reading made on one copy gives audio addresses
    any other copy can render.
    """

    async def put_clip_records(self, items: list[tuple[str, str]]) -> None:
        """Record ``(key, spec JSON)`` pairs."""

    async def clip_record(self, key: str) -> str | None:
        """The spec JSON of ``key``, or None."""

    async def put_reading_record(self, ident: str, record: str) -> None:
        """Record reading ``ident``'s JSON record (which clips it is made of)."""

    async def reading_record(self, ident: str) -> str | None:
        """The JSON record of reading ``ident``, or None."""


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """What a clip speaks and how: every field is part of its key."""

    text: str
    """The normalised text, exactly as the voice reads it."""
    lang: str
    """Language of the text (``sv``)."""
    voice: str
    """Voice name."""
    fingerprint: str
    """The voice's fingerprint: model and config checksums, engine versions."""
    normalizer: str
    """Version of the normaliser's rules; a site lexicon's effect is already in ``text``."""
    length_scale: float = 1.0
    """Speaking pace relative to the voice's own (above 1 is slower)."""
    written: str = ""
    """The sentence as written, when word timings must point into it (a reading's
    sentence); part of the key only when set, so other clips keep their keys."""

    def key(self) -> str:
        """sha256 over every field and the encoder settings: the clip's name."""
        fields = asdict(self)
        if not self.written:
            del fields["written"]
        payload = json.dumps(
            {**fields, "encoder": ENCODER_REVISION, "clip": CLIP_REVISION},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_json(self) -> bytes:
        """The sidecar stored next to the clip's audio."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> ClipSpec:
        """Read a sidecar (raises ValueError when it is not one)."""
        raw: Any = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("clip sidecar is not an object")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ClipSpec:
        """A spec from its fields (raises KeyError, TypeError or ValueError when it is not one)."""
        return cls(
            text=str(raw["text"]),
            lang=str(raw["lang"]),
            voice=str(raw["voice"]),
            fingerprint=str(raw["fingerprint"]),
            normalizer=str(raw["normalizer"]),
            length_scale=float(raw.get("length_scale", 1.0)),
            written=str(raw.get("written", "")),
        )


BACKGROUND_NICENESS = 5
"""Niceness of threads that synthesise and encode, so the event loop thread goes first."""


def yield_to_event_loop() -> None:
    """Lower the calling worker thread's CPU priority (Linux: niceness is per thread).

    The event loop thread keeps its priority, so /healthz, metrics and votes are
    answered at once however busy synthesis is. Only ever lowered: a thread that
    is already nicer is left alone.
    """
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: keep the priority
        return


def speech_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """``text`` in parts of at most ``max_chars``, cut after clause punctuation if possible.

    Parts are joined back greedily, so a sentence is cut only as often as needed;
    a clause longer than the limit is cut between words.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(text):
        words = clause.split()
        current = ""
        for word in words:
            if current and len(current) + 1 + len(word) > max_chars:
                pieces.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        if current:
            pieces.append(current)
    parts: list[str] = []
    for piece in pieces:
        if parts and len(parts[-1]) + 1 + len(piece) <= max_chars:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts


def speak_in_chunks(voice: SpeechVoice, text: str, length_scale: float) -> Samples:
    """Synthesise ``text`` part by part (see :func:`speech_chunks`), joined by short pauses."""
    return speak_in_chunks_timed(voice, text, length_scale)[0]


def _speak_timed(
    voice: SpeechVoice, text: str, length_scale: float
) -> tuple[Samples, WordTimes | None]:
    timed: Callable[..., tuple[Samples, WordTimes | None]] | None = getattr(
        voice, "synthesize_timed", None
    )
    if timed is None:  # the espeak-ng fallback: no word timings
        return voice.synthesize(text, length_scale=length_scale), None
    return timed(text, length_scale=length_scale)


def speak_in_chunks_timed(
    voice: SpeechVoice, text: str, length_scale: float
) -> tuple[Samples, WordTimes | None]:
    """:func:`speak_in_chunks`, plus each spoken word's (start, end) in seconds of the clip.

    The timings come from the same synthesis (None when the voice gives none).
    """
    parts = speech_chunks(text)
    if len(parts) <= 1:
        return _speak_timed(voice, text, length_scale)
    pause = np.zeros(int(voice.sample_rate * CHUNK_PAUSE_SECONDS), dtype=np.float32)
    pieces: list[Samples] = []
    words: WordTimes | None = []
    offset = 0.0
    for part in parts:
        if pieces:
            pieces.append(pause)
            offset += pause.size / voice.sample_rate
        samples, times = _speak_timed(voice, part, length_scale)
        pieces.append(samples)
        if words is not None and times is not None:
            words.extend((start + offset, end + offset) for start, end in times)
        else:
            words = None
        offset += samples.size / voice.sample_rate
    return np.concatenate(pieces).astype(np.float32, copy=False), words


def _encode_in_background(samples: Samples, rate: int, audio_format: AudioFormat) -> bytes:
    yield_to_event_loop()
    return encode(samples, rate, audio_format)


def is_clip_key(text: str) -> bool:
    """True when ``text`` looks like a clip key (64 lowercase hex digits)."""
    return _KEY.fullmatch(text) is not None


def clip_path(key: str, ext: str) -> str:
    """The cache-relative path of a clip's file (``json`` for its sidecar)."""
    return f"clips/{key[:2]}/{key}.{ext}"


_SHARED_FIELDS = ("voice", "fingerprint", "normalizer", "length_scale")


def group_clips(specs: list[ClipSpec]) -> dict[str, Any]:
    """Several specs as one compact JSON-ready record (the fields they share said once)."""
    shared = {name: getattr(specs[0], name) for name in _SHARED_FIELDS} if specs else {}
    if any(getattr(spec, name) != value for spec in specs for name, value in shared.items()):
        return {"specs": [asdict(spec) for spec in specs]}
    return {**shared, "sentences": [[spec.text, spec.lang, spec.written] for spec in specs]}


def clips_of_group(record: dict[str, Any]) -> list[ClipSpec]:
    """The specs of a :func:`group_clips` record (raises KeyError, TypeError, ValueError)."""
    if "specs" in record:
        return [ClipSpec.from_dict(raw) for raw in record["specs"]]
    shared = {name: record[name] for name in _SHARED_FIELDS}
    return [
        ClipSpec.from_dict({**shared, "text": text, "lang": lang, "written": written})
        for text, lang, written in record["sentences"]
    ]


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
        return spec

    async def recall_groups(self, prefix: str) -> int:
        """Learn which keys the group records under ``prefix`` hold (at start: a reading made
        before a restart keeps its sentences playable); the most recent win. How many."""
        for path in self.cache.paths(prefix):
            data = await self.cache.peek(path)
            try:
                keys = [str(key) for key in json.loads(data or b"")["keys"]]
            except (ValueError, KeyError, TypeError):
                continue  # unreadable or from an older version: nothing to learn
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
        """A long text synthesised one queued part at a time, then joined and levelled.

        One long selection as a single job would hold a synthesis lane for seconds
        (8 s for 3,000 characters on a medium voice) while new listeners wait for
        their first sentence. As parts, each due when it would be heard, other
        sentences with earlier deadlines go between them. The joined clip is the
        same as :func:`speak_in_chunks_timed` makes.
        """
        synthesizer = self.synthesizer
        made: dict[int, tuple[Samples, WordTimes | None]] = {}

        def part_job(index: int, text: str) -> Callable[[], tuple[Samples, int]]:
            def run() -> tuple[Samples, int]:
                yield_to_event_loop()
                samples, words = _speak_timed(voice, text, spec.length_scale)
                made[index] = (samples, words)
                return samples, voice.sample_rate

            return run

        due = synthesizer.clock() if deadline is None else deadline
        dues: list[float] = []
        for part in parts:
            dues.append(due)
            due += synthesizer.speech_seconds(len(part)) * spec.length_scale
        queued: list[tuple[str, asyncio.Future[Samples]]] = []
        part_keys = [f"{key}/part{index}" for index in range(len(parts))]
        self._parts[key] = part_keys
        try:
            for index in range(len(parts)):
                while len(queued) < PARTS_QUEUED and index + len(queued) < len(parts):
                    ahead = index + len(queued)
                    future = synthesizer.submit(
                        part_keys[ahead],
                        voice.name,
                        part_job(ahead, parts[ahead]),
                        priority,
                        # The first part is due now unless the caller said otherwise.
                        deadline=dues[ahead] if ahead or deadline is not None else None,
                        chars=round(len(parts[ahead]) * spec.length_scale),
                    )
                    queued.append((part_keys[ahead], future))
                await asyncio.shield(queued.pop(0)[1])
                if self._parts.get(key) is not part_keys:  # abandoned by every listener
                    raise Abandoned()
        finally:
            if self._parts.get(key) is part_keys:
                del self._parts[key]
            for left, _ in queued:  # given up (an error, or shutting down): nobody needs them
                synthesizer.drop(left)
        rate = voice.sample_rate

        def join() -> tuple[Samples, WordTimes | None, bytes | None]:
            yield_to_event_loop()
            pause = np.zeros(int(rate * CHUNK_PAUSE_SECONDS), dtype=np.float32)
            pieces: list[Samples] = []
            words: WordTimes | None = []
            offset = 0.0
            for index in range(len(parts)):
                samples, times = made[index]
                if pieces:
                    pieces.append(pause)
                    offset += pause.size / rate
                pieces.append(samples)
                if words is not None and times is not None:
                    words.extend((start + offset, end + offset) for start, end in times)
                else:
                    words = None
                offset += samples.size / rate
            joined = np.concatenate(pieces).astype(np.float32, copy=False)
            levelled = level_loudness(joined, rate)
            data = encode(levelled, rate, encode_as) if encode_as is not None else None
            return levelled, words, data

        levelled, words, data = await synthesizer.run_between(join, priority)
        if encode_as is not None and encoded is not None and data is not None:
            encoded[encode_as.ext] = data
        self._keep_samples(key, levelled)
        self._timings[key] = (levelled.size / rate, words)
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
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
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
