"""Readings: a page (or a selection) as ordered sentences with audio addresses.

``POST /api/v1/readings`` extracts an allow-listed page (``ttsservice.reading``),
splits each block into sentences and normalises them (``ttsservice.swedish``),
registers a clip per sentence and starts synthesising the first few at once,
a bounded number more as prefetch: nobody waits for a page nobody listens to.
``GET /api/v1/readings/{id}.mp3`` streams the whole page as one MP3.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import BadRequest, NotFound, Overloaded
from ttsservice.reading import read_page
from ttsservice.reading.model import Block, Reading
from ttsservice.speech.api import format_from_ext, normalizer_of
from ttsservice.speech.audio import FORMATS, AudioFormat
from ttsservice.speech.speaker import ClipSpec, Speaker
from ttsservice.speech.state import SPEECH, TextNormalizer, normalizer_version
from ttsservice.speech.synthesizer import Priority
from ttsservice.swedish import split_sentences
from ttsservice.web.openapi import error_ref, json_body, json_response, operation
from ttsservice.web.requests import field_str, read_json_object
from voices.engine import SpeechVoice
from voices.registry import VOICES

__all__ = [
    "FIRST_SENTENCES",
    "PREFETCH_AHEAD",
    "PreparedReading",
    "Sentence",
    "plan_sentences",
    "prepare_reading",
    "readings_download_handler",
    "readings_get_handler",
    "readings_post_handler",
]

logger = logging.getLogger(__name__)

FIRST_SENTENCES = 3
"""Sentences synthesised at visitor priority as soon as a reading is made."""

PREFETCH_AHEAD = 5
"""Sentences after those synthesised ahead at prefetch priority."""

DOWNLOAD_PATIENCE = 300.0
"""Seconds a whole-page download may wait in total for a busy queue."""

DOWNLOAD_AHEAD = 2
"""Sentences a page download keeps queued beyond the one it waits for."""

_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a reading."""

    index: int
    """Position in the reading, from 0."""
    block: int
    """Index of the block it belongs to."""
    start: int
    """Offset of its first character in the block's text."""
    end: int
    """Offset just past its last character in the block's text."""
    text: str
    """The sentence as written (what the widget highlights)."""
    spoken: str
    """The normalised text the voice reads."""
    lang: str
    """Language of the block."""


def plan_sentences(reading: Reading, normalizer: TextNormalizer) -> list[Sentence]:
    """Split and normalise every block (blocking: run in the executor).

    Sentences with nothing to say (only punctuation or symbols) are left out.
    """
    sentences: list[Sentence] = []
    for block in reading.blocks:
        lang = block.lang or reading.lang or "sv"
        for span in split_sentences(block.text, lang):
            spoken = normalizer.normalize(span.text, lang)
            if not any(ch.isalnum() for ch in spoken):
                continue
            sentences.append(
                Sentence(len(sentences), block.index, span.start, span.end, span.text, spoken, lang)
            )
    return sentences


def reading_id(voice: SpeechVoice, clip_keys: list[str]) -> str:
    """The same sentences by the same voice give the same id."""
    digest = hashlib.sha256(f"{voice.name}\0{voice.fingerprint}".encode())
    for key in clip_keys:
        digest.update(b"\n" + key.encode())
    return digest.hexdigest()[:32]


def _record_path(reading: str) -> str:
    return f"readings/{reading}.json"


def _audio_urls(key: str) -> dict[str, str]:
    return {ext: f"/api/v1/audio/{key}.{ext}" for ext in ("mp3", "ogg", "json")}


@dataclass(frozen=True, slots=True)
class PreparedReading:
    """A reading's sentences with their registered clips."""

    id: str
    reading: Reading
    voice: SpeechVoice
    sentences: list[Sentence]
    keys: list[str]
    specs: list[ClipSpec]
    attribution: str | None = None
    """The voice's licence credit, shown by the player (see ``VoiceRegistry.attribution``)."""

    def to_json(self) -> dict[str, Any]:
        """The body of ``POST /api/v1/readings``."""
        reading, voice = self.reading, self.voice
        return {
            "id": self.id,
            "url": reading.url,
            "title": reading.title,
            "lang": reading.lang,
            "voice": {
                "name": voice.name,
                "fallback": voice.fallback,
                "attribution": self.attribution,
            },
            "blocks": [b.to_json() for b in reading.blocks],
            "sentences": [
                {
                    "index": s.index,
                    "block": s.block,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "audio": _audio_urls(key),
                }
                for s, key in zip(self.sentences, self.keys, strict=True)
            ],
            "download": f"/api/v1/readings/{self.id}.mp3",
        }


async def prepare_reading(
    app: web.Application,
    reading: Reading,
    voice: SpeechVoice,
    *,
    start_in: AudioFormat | None = None,
) -> PreparedReading:
    """Split, normalise and register a reading's sentences.

    With ``start_in``, the first sentences start synthesising (in that format)
    before anything is written to disk: a listener is waiting for them.
    """
    speaker = app[SPEECH].speaker
    normalizer = normalizer_of(app)
    version = normalizer_version(normalizer)
    loop = asyncio.get_running_loop()
    sentences = await loop.run_in_executor(
        app[keys.CPU_EXECUTOR], plan_sentences, reading, normalizer
    )
    specs = [
        dataclasses.replace(speaker.spec(s.spoken, s.lang, voice, version), written=s.text)
        for s in sentences
    ]
    if start_in is not None:
        slack = app[keys.SETTINGS].admission_slack
        start_synthesis(speaker, speaker.remember(specs), specs, start_in, admission_slack=slack)
    clip_keys = await speaker.register(specs)
    ident = reading_id(voice, clip_keys)
    record = {"url": reading.url, "title": reading.title, "voice": voice.name, "keys": clip_keys}
    path = _record_path(ident)
    if path in speaker.cache:
        speaker.cache.touch([path])
    else:
        await speaker.cache.write(path, json.dumps(record, ensure_ascii=False).encode("utf-8"))
    attribution = app[VOICES].attribution(voice.name)
    return PreparedReading(ident, reading, voice, sentences, clip_keys, specs, attribution)


def start_synthesis(
    speaker: Speaker,
    clip_keys: list[str],
    specs: list[ClipSpec],
    hint: AudioFormat,
    *,
    admission_slack: float | None = None,
) -> None:
    """Queue the first sentences for a waiting visitor and a few more as prefetch.

    When even the first sentence finds no room, the reading is refused with 503
    (the visitor would hear nothing); later ones are simply not prefetched.
    Each sentence's deadline is now plus the estimated spoken length of the
    sentences before it, so the first sentence of every reading goes first.
    With ``admission_slack``, a new listener whose sentences would make anyone's
    sentence (theirs included) later than that many seconds past its deadline
    is refused with 503 at once: those already listening keep playing.
    """
    synthesizer = speaker.synthesizer
    ahead = list(zip(clip_keys, specs, strict=True))[: FIRST_SENTENCES + PREFETCH_AHEAD]
    deadlines = []
    deadline = synthesizer.clock()
    for _, spec in ahead:
        deadlines.append(deadline)
        deadline += synthesizer.speech_seconds(len(spec.text)) * spec.length_scale
    if admission_slack is not None:
        new = [
            d
            for (key, _), d in zip(ahead, deadlines, strict=True)
            if not synthesizer.in_flight(key) and not speaker.is_cached(key, hint)
        ]
        if new and not synthesizer.admits(new, admission_slack):
            synthesizer.reject()
            raise Overloaded(
                "Too many listeners right now for this server to read aloud without pauses; "
                "try again in a moment.",
                retry_after=max(1, math.ceil(synthesizer.backlog_seconds())),
            )
    for position, ((key, spec), deadline) in enumerate(zip(ahead, deadlines, strict=True)):
        priority = Priority.VISITOR if position < FIRST_SENTENCES else Priority.PREFETCH
        queued = speaker.prefetch(key, spec, hint, priority, deadline=deadline)
        if not queued and position == 0:
            synthesizer.reject()
            raise Overloaded(
                "Speech synthesis is busy right now; try again in a moment.",
                retry_after=synthesizer.retry_after(),
            )
        if not queued:
            break


_READING_BODY = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "An allow-listed page to read."},
        "text": {"type": "string", "description": "Or: a selection to read."},
        "lang": {"type": "string", "default": "sv", "description": "Language of text."},
        "voice": {"type": "string", "description": "Voice name; the default if absent."},
        "format": {
            "type": "string",
            "enum": ["mp3", "ogg"],
            "default": "mp3",
            "description": "The format the first sentences are prepared in.",
        },
    },
}

_READING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "url", "title", "lang", "voice", "blocks", "sentences", "download"],
    "properties": {
        "id": {"type": "string"},
        "url": {"type": ["string", "null"]},
        "title": {"type": "string"},
        "lang": {"type": "string"},
        "voice": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "fallback": {"type": "boolean"},
                "attribution": {
                    "type": ["string", "null"],
                    "description": "Credit the voice's licence asks to be shown where it "
                    "speaks (CC BY voices); show it in the player.",
                },
            },
        },
        "blocks": {"type": "array", "items": {"type": "object"}},
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "block", "start", "end", "text", "audio"],
                "properties": {
                    "index": {"type": "integer"},
                    "block": {"type": "integer"},
                    "start": {"type": "integer", "description": "Offset in the block's text."},
                    "end": {"type": "integer"},
                    "text": {"type": "string"},
                    "audio": {
                        "type": "object",
                        "properties": {
                            "mp3": {"type": "string"},
                            "ogg": {"type": "string"},
                            "json": {
                                "type": "string",
                                "description": "The sentence's word timings (see "
                                "GET /api/v1/audio/{key}.json).",
                            },
                        },
                    },
                },
            },
        },
        "download": {"type": "string", "description": "The whole page as one MP3."},
    },
}

_READING_ERRORS = {
    "400": error_ref(
        "bad_url, missing_field, invalid_field, too_long, empty_text, unsupported_format."
    ),
    "403": error_ref("page_not_allowed: the page's origin is not in TTS_ALLOWED_ORIGINS."),
    "404": error_ref("unknown_voice: the voice is not installed (the message lists them)."),
    "413": error_ref("page_too_large."),
    "415": error_ref("not_html, or unsupported_media_type for a body that is not JSON."),
    "502": error_ref("upstream_error: the page could not be fetched."),
    "503": error_ref("overloaded: synthesis queue full; see Retry-After."),
    "504": error_ref("upstream_timeout."),
}


async def _reading_for(
    request: web.Request,
    *,
    url: str | None,
    text: str | None,
    lang: str | None,
    voice_name: str | None,
    ext: str | None,
) -> web.Response:
    app = request.app
    hint = format_from_ext("mp3" if ext is None else ext)
    voice = app[VOICES].get(voice_name)
    if (url is None) == (text is None):
        raise BadRequest(
            'Send either "url" (a page to read) or "text" (a selection), not both.',
            code="missing_field",
        )
    if url is not None:
        reading = await read_page(app, url)
    else:
        assert text is not None
        if not any(ch.isalnum() for ch in text):  # the same rule as /speak
            raise BadRequest(
                "There is nothing to read aloud: send text with words in it.", code="empty_text"
            )
        language = lang or "sv"
        block = Block(0, "paragraph", text, language, None, "")
        reading = Reading(url=None, title="", lang=language, blocks=(block,))
    prepared = await prepare_reading(app, reading, voice, start_in=hint)
    return web.json_response(prepared.to_json(), headers={"Cache-Control": "no-cache"})


@operation(
    summary="Read a page (or a selection) aloud: its sentences with audio addresses",
    description="Extracts the page, splits it into sentences, normalises them for speech "
    "and starts synthesising the first ones at once. Sentence offsets are into their block's "
    "text.",
    tags=["read-aloud"],
    requestBody=json_body(_READING_BODY),
    responses={"200": json_response("The reading.", _READING_SCHEMA), **_READING_ERRORS},
)
async def readings_post_handler(request: web.Request) -> web.Response:
    """Create a reading from a JSON body."""
    settings = request.app[keys.SETTINGS]
    body = await read_json_object(request)
    return await _reading_for(
        request,
        url=field_str(body, "url", required=False, max_length=4096),
        text=field_str(body, "text", required=False, max_length=settings.speak_max_chars),
        lang=field_str(body, "lang", required=False, max_length=16),
        voice_name=field_str(body, "voice", required=False, max_length=200),
        ext=field_str(body, "format", required=False, max_length=10),
    )


@operation(
    summary="Read a page aloud (the same as POST, for CDN-friendly links)",
    tags=["read-aloud"],
    parameters=[
        {"name": "url", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "voice", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}},
    ],
    responses={"200": json_response("The reading.", _READING_SCHEMA), **_READING_ERRORS},
)
async def readings_get_handler(request: web.Request) -> web.Response:
    """Create a reading of ``?url=``."""
    query = dict(request.query)
    if not query.get("url"):
        raise BadRequest("Add ?url= with the page to read.", code="missing_field")
    return await _reading_for(
        request,
        url=field_str(query, "url", max_length=4096),
        text=None,
        lang=None,
        voice_name=field_str(query, "voice", required=False, max_length=200),
        ext=field_str(query, "format", required=False, max_length=10),
    )


@operation(
    summary="A whole reading as one MP3 (the download button), streamed as sentences complete",
    tags=["read-aloud"],
    responses={
        "200": {
            "description": "The page's sentences as one MP3 stream.",
            "content": {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        "404": error_ref("not_found: no reading with this id (create it again)."),
        "503": error_ref("overloaded: synthesis queue full; see Retry-After."),
    },
)
async def readings_download_handler(request: web.Request) -> web.StreamResponse:
    """Stream every sentence's MP3, in order, as one file."""
    speaker = request.app[SPEECH].speaker
    name = request.match_info["name"]
    ident, _, ext = name.partition(".")
    if ext != "mp3" or not _ID.fullmatch(ident):
        raise NotFound("There is no reading here: ask for /api/v1/readings/ID.mp3.")
    stored = await speaker.cache.read(_record_path(ident))
    if stored is None:
        raise NotFound("This reading is not known here (it may have expired): create it again.")
    try:
        record = json.loads(stored.data)
        clip_keys = [str(k) for k in record["keys"]]
        title = str(record.get("title") or "uppläsning")
    except (ValueError, KeyError, TypeError):
        raise NotFound("This reading's record is damaged: create it again.") from None
    mp3 = FORMATS["mp3"]
    specs = [await speaker.lookup(key) for key in clip_keys]
    deadline = time.monotonic() + DOWNLOAD_PATIENCE
    # The first sentence before the headers, so a busy service can still answer 503.
    first = (
        await speaker.audio(clip_keys[0], specs[0], mp3, Priority.PREFETCH) if clip_keys else None
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": mp3.content_type,
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Disposition": f'attachment; filename="{_filename(title)}.mp3"',
        }
    )
    await response.prepare(request)
    if first is not None:
        await response.write(first.data)
    for position, (key, spec) in enumerate(zip(clip_keys[1:], specs[1:], strict=True), 1):
        # Keep the next sentences queued, so synthesis runs on while this one is encoded,
        # stored and sent (where the queue has room; otherwise they are made in turn).
        for ahead in range(position + 1, min(position + 1 + DOWNLOAD_AHEAD, len(clip_keys))):
            if not speaker.prefetch(clip_keys[ahead], specs[ahead], mp3, Priority.PREFETCH):
                break
        clip = None
        while clip is None:
            try:
                clip = await speaker.audio(key, spec, mp3, Priority.PREFETCH)
            except Overloaded as busy:
                if time.monotonic() + busy.retry_after > deadline:
                    # Headers are sent: cut the connection so the file is not taken as whole.
                    logger.warning("download of reading %s given up: synthesis too busy", ident)
                    if request.transport is not None:
                        request.transport.close()
                    return response
                await asyncio.sleep(min(busy.retry_after, 5))
        await response.write(clip.data)
    await response.write_eof()
    return response


def _filename(title: str) -> str:
    """A safe ASCII file name from a title."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O"})
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title.translate(table)).strip("-").lower()
    return slug[:60] or "upplasning"
