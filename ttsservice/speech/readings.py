"""Readings: a page (or a selection) as ordered sentences with audio addresses.

``POST /api/v1/readings`` extracts an allow-listed page (``ttsservice.reading``),
splits each block into sentences and normalises them (``ttsservice.swedish``),
registers a clip per sentence and starts synthesising the first few at once,
a bounded number more as prefetch: nobody waits for a page nobody listens to.
A reading holds at most ``TTS_MAX_READING_SENTENCES`` sentences and
``TTS_MAX_READING_CHARS`` characters: a longer page is read from its start up to
there and the reading says ``truncated: true`` (a visitor hears the first two
hours rather than an error). Its sentences are recorded in one file,
``readings/ID.json``; nothing is written per sentence until it is made.
``GET /api/v1/readings/{id}.mp3`` streams the whole page as one MP3.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import BadRequest, NotFound, Overloaded
from ttsservice.reading import read_page
from ttsservice.reading.model import Block, Reading
from ttsservice.speech.api import WORDS_PATTERN, client_address, format_from_ext, normalizer_of
from ttsservice.speech.audio import FORMATS, AudioFormat
from ttsservice.speech.budget import EXTRACTION_COST, Charge
from ttsservice.speech.readingrecords import load_reading_record, record_path, share_reading_record
from ttsservice.speech.speaker import ClipSpec, Speaker
from ttsservice.speech.state import SPEECH, TextNormalizer, normalizer_version
from ttsservice.speech.synthesizer import Priority
from ttsservice.swedish import split_sentences
from ttsservice.web.openapi import (
    error_ref,
    json_body,
    json_response,
    operation,
    page_url_schema,
)
from ttsservice.web.requests import field_str, read_json_object
from voices.engine import SpeechVoice
from voices.registry import VOICES

__all__ = [
    "FIRST_SENTENCES",
    "PREFETCH_AHEAD",
    "PreparedReading",
    "ReadingPlan",
    "Sentence",
    "plan_reading",
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

DOWNLOAD_ROUTE = "/api/v1/readings/{ident:[0-9a-f]{32}}.mp3"
"""A whole reading as one MP3: the address a reading gives as ``download``."""


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
    return plan_reading(reading, normalizer).sentences


@dataclass(frozen=True, slots=True)
class ReadingPlan:
    """The sentences of a reading, cut at its limits."""

    reading: Reading
    """The reading, its blocks cut after the last one read (and that one's text after the
    last sentence read) when truncated."""
    sentences: list[Sentence]
    truncated: bool
    """True when the page goes on past the limits."""


def _cut_at_word(text: str, room: int) -> str:
    """The start of ``text``, at most ``room`` characters, ending at a word's end if it can."""
    head = text[:room]
    if len(text) > room and not text[room].isspace() and " " in head.strip():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip()


def plan_reading(
    reading: Reading,
    normalizer: TextNormalizer,
    *,
    max_sentences: int | None = None,
    max_chars: int | None = None,
) -> ReadingPlan:
    """Split and normalise blocks until the reading's limits (blocking: run in the executor).

    Stops at ``max_sentences`` sentences or ``max_chars`` characters of text
    (sentences with nothing to say count towards it too), so a huge page costs
    no more than the limits; a sentence that does not fit whole is cut after a
    word when nothing has been read yet.
    """
    sentences: list[Sentence] = []
    chars = 0
    truncated = False
    last_block: Block | None = None
    for block in reading.blocks:
        lang = block.lang or reading.lang or "sv"
        for span in split_sentences(block.text, lang):
            text, end = span.text, span.end
            full = (max_sentences is not None and len(sentences) >= max_sentences) or (
                max_chars is not None and chars + len(text) > max_chars
            )
            if full:
                room = 0 if max_chars is None else max_chars - chars
                if sentences or room <= 0:
                    truncated = True
                    break
                text = _cut_at_word(text, room)  # one sentence longer than a whole reading
                end = span.start + len(text)
                truncated = True
            chars += len(text)
            last_block = block
            spoken = normalizer.normalize(text, lang)
            if any(ch.isalnum() for ch in spoken):
                sentences.append(
                    Sentence(len(sentences), block.index, span.start, end, text, spoken, lang)
                )
            if truncated:
                break
        if truncated:
            break
    if truncated and last_block is not None:
        kept = [b for b in reading.blocks if b.index < last_block.index]
        cut = sentences[-1].end if sentences and sentences[-1].block == last_block.index else 0
        kept.append(dataclasses.replace(last_block, text=last_block.text[:cut]))
        reading = dataclasses.replace(reading, blocks=tuple(kept))
    elif truncated:
        reading = dataclasses.replace(reading, blocks=())
    return ReadingPlan(reading, sentences, truncated)


RECORD_REVISION = 2
"""Part of a reading's id: records of revision 2 hold their clips' specs (older ones did
not, as every sentence had a sidecar then), so an older record is never taken for one."""


def reading_id(voice: SpeechVoice, clip_keys: list[str]) -> str:
    """The same sentences by the same voice give the same id."""
    digest = hashlib.sha256(f"{voice.name}\0{voice.fingerprint}\0{RECORD_REVISION}".encode())
    for key in clip_keys:
        digest.update(b"\n" + key.encode())
    return digest.hexdigest()[:32]


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
    truncated: bool = False
    """The page goes on past the reading's limits (TTS_MAX_READING_SENTENCES/_CHARS)."""

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
            "truncated": self.truncated,
        }


async def prepare_reading(
    app: web.Application,
    reading: Reading,
    voice: SpeechVoice,
    *,
    start_in: AudioFormat | None = None,
    charge: Callable[[float], float] | None = None,
) -> PreparedReading:
    """Split, normalise and register a reading's sentences.

    With ``start_in``, the first sentences start synthesising (in that format)
    before anything is written to disk: a listener is waiting for them.
    ``charge`` takes the seconds of speech that starts from the client's
    budget (429 when it has not got them) and says how much later its deadlines go.
    """
    speaker = app[SPEECH].speaker
    settings = app[keys.SETTINGS]
    normalizer = normalizer_of(app)
    version = normalizer_version(normalizer)
    loop = asyncio.get_running_loop()
    plan = await loop.run_in_executor(
        app[keys.CPU_EXECUTOR],
        functools.partial(
            plan_reading,
            reading,
            normalizer,
            max_sentences=settings.max_reading_sentences,
            max_chars=settings.max_reading_chars,
        ),
    )
    reading, sentences = plan.reading, plan.sentences
    specs = [
        dataclasses.replace(speaker.spec(s.spoken, s.lang, voice, version), written=s.text)
        for s in sentences
    ]
    if start_in is not None:
        slack = app[keys.SETTINGS].admission_slack
        start_synthesis(
            speaker,
            speaker.remember(specs),
            specs,
            start_in,
            admission_slack=slack,
            charge=charge,
        )
    ident = reading_id(voice, speaker.remember(specs))

    def about(clip_keys: list[str]) -> dict[str, Any]:
        return {"url": reading.url, "title": reading.title, "voice": voice.name}

    # One file for the whole reading: its sentences' keys and what each speaks;
    # shared with the other copies when records are (a database URL is set).
    path = record_path(ident)
    known = path in speaker.cache
    clip_keys = await speaker.register_group(path, specs, about)
    if not known:
        await share_reading_record(speaker, ident)
    attribution = app[VOICES].attribution(voice.name)
    return PreparedReading(
        ident, reading, voice, sentences, clip_keys, specs, attribution, plan.truncated
    )


def start_synthesis(
    speaker: Speaker,
    clip_keys: list[str],
    specs: list[ClipSpec],
    hint: AudioFormat,
    *,
    admission_slack: float | None = None,
    charge: Callable[[float], float] | None = None,
) -> None:
    """Queue the first sentences for a waiting visitor and a few more as prefetch.

    When even the first sentence finds no room, the reading is refused with 503
    (the visitor would hear nothing); later ones are simply not prefetched.
    Each sentence's deadline is now plus the estimated spoken length of the
    sentences before it, so the first sentence of every reading goes first.
    With ``admission_slack``, a new listener whose sentences would make anyone's
    sentence (theirs included) later than that many seconds past its deadline
    is refused with 503 at once: those already listening keep playing.
    ``charge`` is given the estimated seconds of speech of the sentences that
    need synthesis; it raises 429 for a client over its budget, or returns how
    many seconds later this client's deadlines go (see ``speech.budget``).
    """
    synthesizer = speaker.synthesizer
    ahead = list(zip(clip_keys, specs, strict=True))[: FIRST_SENTENCES + PREFETCH_AHEAD]
    deadlines = []
    lengths = [synthesizer.speech_seconds(len(spec.text)) * spec.length_scale for _, spec in ahead]
    fresh = [
        not synthesizer.in_flight(key) and not speaker.is_cached(key, hint) for key, _ in ahead
    ]
    delay = 0.0
    if charge is not None:
        delay = charge(sum(length for length, new in zip(lengths, fresh, strict=True) if new))
    deadline = synthesizer.clock() + delay
    for length in lengths:
        deadlines.append(deadline)
        deadline += length
    if admission_slack is not None:
        new = [d for d, is_new in zip(deadlines, fresh, strict=True) if is_new]
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


_PAGE_URL = page_url_schema("An allow-listed page to read.", 4096)
_VOICE = {
    "type": "string",
    "maxLength": 200,
    "description": "Voice name; the default voice if absent or empty.",
}
_FORMAT = {
    "type": "string",
    "enum": list(FORMATS),
    "default": "mp3",
    "description": "The format the first sentences are prepared in.",
}
_READING_BODY = {
    "type": "object",
    "description": 'Either "url" or "text", not both.',
    "properties": {
        "url": {**_PAGE_URL, "type": ["string", "null"]},
        "text": {
            "type": ["string", "null"],
            "pattern": WORDS_PATTERN,
            "description": "Or: a selection to read, with at least one letter or digit in "
            "it, at most TTS_SPEAK_MAX_CHARS characters.",
        },
        "lang": {
            "type": ["string", "null"],
            "maxLength": 16,
            "default": "sv",
            "description": "Language of text.",
        },
        "voice": {**_VOICE, "type": ["string", "null"]},
        "format": {**_FORMAT, "type": ["string", "null"], "enum": [*FORMATS, None]},
    },
    "oneOf": [
        {"required": ["url"], "properties": {"url": {"type": "string"}, "text": {"type": "null"}}},
        {"required": ["text"], "properties": {"text": {"type": "string"}, "url": {"type": "null"}}},
    ],
}

_READING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "url",
        "title",
        "lang",
        "voice",
        "blocks",
        "sentences",
        "download",
        "truncated",
    ],
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
        "truncated": {
            "type": "boolean",
            "description": "True when the page is longer than one reading may be "
            "(TTS_MAX_READING_SENTENCES, TTS_MAX_READING_CHARS): the sentences and blocks are "
            "its start, up to there. Tell the listener the rest is not read.",
        },
    },
}

_READING_OK = {
    **json_response("The reading.", _READING_SCHEMA),
    "links": {
        "download": {
            "operationRef": "#/paths/~1api~1v1~1readings~1{ident}.mp3/get",
            "parameters": {"ident": "$response.body#/id"},
            "description": "The whole reading as one MP3 (the reading's 'download').",
        },
        "captions": {
            "operationRef": "#/paths/~1api~1v1~1readings~1{ident}.vtt/get",
            "parameters": {"ident": "$response.body#/id"},
            "description": "Its captions (WebVTT).",
        },
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
    "429": error_ref(
        "rate_limited: this client asked for more speech than TTS_CLIENT_SPEECH_RATE allows; "
        "see Retry-After."
    ),
    "502": error_ref("upstream_error: the page could not be fetched."),
    "503": error_ref(
        "overloaded: synthesis queue full; storage_unavailable: the audio store cannot be "
        "read. See Retry-After."
    ),
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
    budget = app[SPEECH].budget
    address = client_address(request)
    # Fetching and parsing a page, or splitting and normalising a text, is work too:
    # charged before it is done, so a client over its budget costs nothing more.
    budget.charge(address, EXTRACTION_COST, "page extraction" if url else "reading")
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
    charges: list[Charge] = []

    def charge(cost: float) -> float:
        charges.append(budget.charge(address, cost, "reading"))
        return charges[-1].delay

    try:
        prepared = await prepare_reading(app, reading, voice, start_in=hint, charge=charge)
    except Overloaded:
        for paid in charges:  # refused for the service's load: the client made nothing
            budget.refund(paid)
        raise
    if prepared.keys:
        synthesizer = app[SPEECH].speaker.synthesizer
        spoken = sum(
            synthesizer.speech_seconds(len(spec.text)) * spec.length_scale
            for spec in prepared.specs
        )
        app[SPEECH].listeners.started(prepared.keys[0], spoken)
    return web.json_response(prepared.to_json(), headers={"Cache-Control": "no-cache"})


@operation(
    summary="Read a page (or a selection) aloud: its sentences with audio addresses",
    description="Extracts the page, splits it into sentences, normalises them for speech "
    "and starts synthesising the first ones at once. Sentence offsets are into their block's "
    "text.",
    tags=["read-aloud"],
    requestBody=json_body(_READING_BODY),
    responses={"200": _READING_OK, **_READING_ERRORS},
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
        {"name": "url", "in": "query", "required": True, "schema": _PAGE_URL},
        {"name": "voice", "in": "query", "required": False, "schema": _VOICE},
        {"name": "format", "in": "query", "required": False, "schema": _FORMAT},
    ],
    responses={"200": _READING_OK, **_READING_ERRORS},
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
        "503": error_ref(
            "overloaded: synthesis queue full; storage_unavailable: the audio store cannot "
            "be read. See Retry-After."
        ),
    },
)
async def readings_download_handler(request: web.Request) -> web.StreamResponse:
    """Stream every sentence's MP3, in order, as one file."""
    speaker = request.app[SPEECH].speaker
    ident = request.match_info["ident"]
    stored = await load_reading_record(speaker, ident)
    if stored is None:
        raise NotFound("This reading is not known here (it may have expired): create it again.")
    try:
        record = json.loads(stored)
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
