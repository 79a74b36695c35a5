"""What a clip is: the spec that decides how it sounds, its key, its chunks and records.

A :class:`ClipSpec` says everything that decides how a clip sounds; its
:meth:`~ClipSpec.key` (sha256) names the clip in URLs and on disk. Long texts are
spoken in chunks (:func:`speech_chunks`); a reading records its clips in one
group record (:func:`group_clips`). The :class:`~ttsservice.speech.speaker.Speaker`
turns keys into audio.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ttsservice.errors import NotFound, ServiceError
from ttsservice.speech.audio import ENCODER_REVISION, AudioFormat, encode
from voices.engine import SpeechVoice, WordTimes

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

LONG_TEXTS_AT_ONCE = 2
"""Long texts assembled part by part at the same time (each holds its parts until joined)."""

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
        # The fields by hand, not dataclasses.asdict (which deep-copies each one and was most
        # of the time a reading of a long page took on the event loop); the same JSON.
        fields: dict[str, Any] = {
            "text": self.text,
            "lang": self.lang,
            "voice": self.voice,
            "fingerprint": self.fingerprint,
            "normalizer": self.normalizer,
            "length_scale": self.length_scale,
        }
        if self.written:
            fields["written"] = self.written
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
