"""Word timings of a sentence's clip, and WebVTT captions for a whole reading.

``GET /api/v1/audio/{key}.json`` answers when each written word of the
sentence is spoken: ``{"duration": s, "words": [{"start", "end", "from",
"to"}, …]}``, ``from``/``to`` being character offsets into the sentence as
written (the reading's ``text``). The times come from the voice's own phoneme
alignments, made in the same synthesis as the audio (see
:meth:`~voices.engine.PiperSpeechVoice.synthesize_timed`), and the spoken
words are mapped to the written ones by :func:`~ttsservice.swedish.offsets.spoken_spans`.

Times are seconds of the MP3 clip as delivered: LAME's encoder and decoder delay
(:data:`MP3_DELAY_SECONDS`) comes before the first sample; the Opus clip's own
pre-skip is removed by its decoder, so it is ahead by that much (under 0.07 s).

``GET /api/v1/readings/{id}.vtt`` gives captions for the whole-page MP3 (one
cue per sentence, word timings as WebVTT timestamp tags).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.speech.api import IMMUTABLE, normalizer_of
from ttsservice.speech.audio import FORMATS
from ttsservice.speech.clips import ClipSpec, UnknownClip, is_clip_key
from ttsservice.speech.readingrecords import reading_keys
from ttsservice.speech.speaker import Speaker
from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Priority
from ttsservice.swedish.offsets import spoken_spans, spoken_words
from ttsservice.web.openapi import error_ref, operation
from voices.engine import WordTimes

__all__ = [
    "MP3_DELAY_SECONDS",
    "TIMINGS_ROUTE",
    "VTT_ROUTE",
    "mp3_seconds",
    "timings_handler",
    "vtt_handler",
    "written_words",
]

TIMINGS_ROUTE = "/api/v1/audio/{key:[0-9a-f]{64}}.json"
VTT_ROUTE = "/api/v1/readings/{ident:[0-9a-f]{32}}.vtt"

_MP3_RATE = FORMATS["mp3"].sample_rate or 16000
MP3_DELAY_SECONDS = (576 + 529) / _MP3_RATE
"""LAME's encoder delay plus the decoder's: silence before the first sample of an MP3 clip."""


def written_words(
    written: str, spoken: str, times: WordTimes | None, say: Any = None
) -> list[dict[str, float | int]]:
    """The written words with the time they are spoken (blocking: run in the executor).

    Spoken words that say one written span (an abbreviation, a number) become
    one entry from the first one's start to the last one's end. When the voice
    counted the words differently from the text (espeak-ng joined or split
    some), spoken words are matched to timings by position along the sentence.
    """
    if not times:
        return []
    words = spoken_words(spoken)
    spans = spoken_spans(written, spoken, say)
    if not words:
        return []
    # the span of each timed word
    if len(times) == len(words):
        timed_spans = spans
    else:
        timed_spans = [
            spans[min(len(words) - 1, i * len(words) // len(times))] for i in range(len(times))
        ]
    entries: list[dict[str, float | int]] = []
    for (start, end), (first, last) in zip(times, timed_spans, strict=True):
        start += MP3_DELAY_SECONDS
        end += MP3_DELAY_SECONDS
        if entries and entries[-1]["from"] == first and entries[-1]["to"] == last:
            entries[-1]["end"] = round(end, 3)
            continue
        if entries and first < entries[-1]["to"]:  # never overlap: join into the previous
            entries[-1]["end"] = round(end, 3)
            entries[-1]["to"] = max(int(entries[-1]["to"]), last)
            continue
        entries.append({"start": round(start, 3), "end": round(end, 3), "from": first, "to": last})
    return entries


async def _document(
    request: web.Request, speaker: Speaker, key: str, spec: ClipSpec
) -> dict[str, Any]:
    duration, times = await speaker.word_times(key, spec, Priority.PREFETCH)
    normalizer = normalizer_of(request.app)

    def build() -> list[dict[str, float | int]]:
        return written_words(
            spec.written, spec.text, times, lambda text: normalizer.normalize(text, spec.lang)
        )

    words = await asyncio.get_running_loop().run_in_executor(request.app[keys.CPU_EXECUTOR], build)
    return {"duration": round(duration + MP3_DELAY_SECONDS, 3), "words": words}


_TIMINGS_SCHEMA = {
    "type": "object",
    "required": ["duration", "words"],
    "properties": {
        "duration": {"type": "number", "description": "Seconds of the MP3 clip."},
        "words": {
            "type": "array",
            "description": "Written words in order; empty when the voice gives no timings.",
            "items": {
                "type": "object",
                "required": ["start", "end", "from", "to"],
                "properties": {
                    "start": {"type": "number"},
                    "end": {"type": "number"},
                    "from": {"type": "integer", "description": "Offset in the sentence's text."},
                    "to": {"type": "integer", "description": "Offset just past the word."},
                },
            },
        },
    },
}


def _immutable(request: web.Request, body: bytes, content_type: str) -> web.Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if "*" in tags or etag in tags:
            return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type=content_type, charset="utf-8")


@operation(
    summary="When each word of a sentence is spoken",
    description="KEY comes from a reading's sentences (their audio.json). Word timings come "
    "from the voice's own alignments, made with the audio; from/to are character offsets "
    "into the sentence's text. Times are seconds of the MP3 clip. A voice without timings "
    "(the espeak-ng fallback) gives no words. Immutable like the audio.",
    tags=["read-aloud"],
    responses={
        "200": {
            "description": "The word timings.",
            "content": {"application/json": {"schema": _TIMINGS_SCHEMA}},
        },
        "304": {"description": "Not modified (If-None-Match matched)."},
        "404": error_ref("not_found: no clip with this key (create the reading again)."),
        "503": error_ref(
            "overloaded: synthesis queue full; storage_unavailable: the audio store cannot "
            "be read. See Retry-After."
        ),
    },
)
async def timings_handler(request: web.Request) -> web.Response:
    """The sentence clip's word timings."""
    speaker = request.app[SPEECH].speaker
    key = request.match_info["key"]
    if not is_clip_key(key):
        raise UnknownClip("There is no clip at this address: a clip key is 64 hexadecimal digits.")
    spec = await speaker.lookup(key)
    document = await _document(request, speaker, key, spec)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _immutable(request, body, "application/json")


# --- captions ----------------------------------------------------------------------


_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_seconds(data: bytes) -> float:
    """How long an untagged Layer III stream plays (frames counted from their headers)."""
    position, seconds = 0, 0.0
    while position + 4 <= len(data):
        b1, b2, b3 = data[position + 1], data[position + 2], data[position + 3]
        version = (b1 >> 3) & 3
        if data[position] != 0xFF or (b1 & 0xE0) != 0xE0 or version == 1 or (b1 >> 1) & 3 != 1:
            position += 1  # not a frame header (should not happen in our own clips)
            continue
        index, rate_index = b2 >> 4, (b2 >> 2) & 3
        if index in (0, 15) or rate_index == 3 or b3 is None:
            position += 1
            continue
        rate = _RATES[version][rate_index]
        mpeg1 = version == 3
        kbps = (_MPEG1_L3_KBPS if mpeg1 else _MPEG2_L3_KBPS)[index]
        samples = 1152 if mpeg1 else 576
        size = (144 if mpeg1 else 72) * kbps * 1000 // rate + ((b2 >> 1) & 1)
        seconds += samples / rate
        position += max(size, 1)
    return seconds


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # a cue ends at a blank line and "-->" may not appear in its text
    return " ".join(text.splitlines()).replace("-->", "--&gt;")


def vtt_cue(offset: float, duration: float, written: str, words: list[dict[str, Any]]) -> str:
    """One sentence's cue: its text with a timestamp tag before each word after the first."""
    parts: list[str] = []
    cursor = 0
    for position, word in enumerate(words):
        start, frm = float(word["start"]) + offset, int(word["from"])
        if position and offset < start < offset + duration:
            parts.append(_escape(written[cursor:frm]))
            parts.append(f"<{_timestamp(start)}>")
            cursor = frm
    parts.append(_escape(written[cursor:]))
    text = "".join(parts).strip() or "…"
    return f"{_timestamp(offset)} --> {_timestamp(offset + duration)}\n{text}\n"


@operation(
    summary="Captions (WebVTT) for a whole reading's MP3",
    description="A cue per sentence, timed for GET /api/v1/readings/{id}.mp3, with each "
    "word's start as a WebVTT timestamp tag (karaoke-style highlighting in players that "
    "show them). Sentences not yet synthesised are synthesised first.",
    tags=["read-aloud"],
    responses={
        "200": {
            "description": "The captions.",
            "content": {"text/vtt": {"schema": {"type": "string"}}},
        },
        "304": {"description": "Not modified (If-None-Match matched)."},
        "404": error_ref("not_found: no reading with this id (create it again)."),
        "503": error_ref(
            "overloaded: synthesis queue full; storage_unavailable: the audio store cannot "
            "be read. See Retry-After."
        ),
    },
)
async def vtt_handler(request: web.Request) -> web.Response:
    """WebVTT captions for the reading's download."""
    speaker = request.app[SPEECH].speaker
    ident = request.match_info["ident"]
    clip_keys, _ = await reading_keys(speaker, ident)
    mp3 = FORMATS["mp3"]
    cues = ["WEBVTT", ""]
    offset = 0.0
    for number, key in enumerate(clip_keys, 1):
        spec = await speaker.lookup(key)
        clip = await speaker.audio(key, spec, mp3, Priority.PREFETCH)
        length = mp3_seconds(clip.data)
        document = await _document(request, speaker, key, spec)
        cues.append(str(number))
        cues.append(vtt_cue(offset, length, spec.written or spec.text, document["words"]))
        offset += length
    body = "\n".join(cues).encode("utf-8")
    return _immutable(request, body, "text/vtt")
