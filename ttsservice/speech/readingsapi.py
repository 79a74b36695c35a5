"""The readings API: create a reading (POST, or GET for CDN-friendly links) and download it.

The reading itself is planned and prepared in :mod:`ttsservice.speech.readings`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import BadRequest, Overloaded
from ttsservice.reading import read_page
from ttsservice.reading.model import Block, Reading
from ttsservice.speech.api import WORDS_PATTERN, client_address, format_from_ext
from ttsservice.speech.audio import FORMATS, AudioFormat
from ttsservice.speech.budget import EXTRACTION_COST, Charge, SpeechBudget
from ttsservice.speech.readingrecords import reading_keys
from ttsservice.speech.readings import (
    DOWNLOAD_AHEAD,
    DOWNLOAD_PATIENCE,
    FIRST_SENTENCES,
    PREFETCH_AHEAD,
    PreparedReading,
    capacity_refusal,
    over_capacity,
    prepare_reading,
)
from ttsservice.speech.recentpages import reading_source
from ttsservice.speech.state import SPEECH, SpeechState
from ttsservice.speech.synthesizer import Priority
from ttsservice.web.openapi import (
    error_ref,
    json_body,
    json_response,
    operation,
    page_url_schema,
)
from ttsservice.web.origins import is_allowed_url
from ttsservice.web.requests import field_str, read_json_object
from voices.engine import SpeechVoice
from voices.registry import VOICES

logger = logging.getLogger(__name__)

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
        "voices",
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
            "description": "The voice of the reading's own language (the one asked for, if "
            "any); passages in other languages are spoken by theirs (each sentence's voice).",
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
        "voices": {
            "type": "array",
            "description": "Every voice the reading speaks with (its sentences' and notices').",
            "items": {
                "type": "object",
                "required": ["name", "lang", "fallback", "attribution"],
                "properties": {
                    "name": {"type": "string"},
                    "lang": {"type": "string", "description": "The language it speaks."},
                    "fallback": {
                        "type": "boolean",
                        "description": "The robotic espeak-ng voice of that language.",
                    },
                    "attribution": {"type": ["string", "null"]},
                },
            },
        },
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "index",
                    "block",
                    "start",
                    "end",
                    "text",
                    "lang",
                    "voice",
                    "unreadable",
                    "audio",
                ],
                "properties": {
                    "index": {"type": "integer"},
                    "block": {"type": "integer"},
                    "start": {"type": "integer", "description": "Offset in the block's text."},
                    "end": {"type": "integer"},
                    "text": {"type": "string"},
                    "lang": {
                        "type": "string",
                        "description": "Language of the sentence: its block's, or that of "
                        "a passage in another language inside the block.",
                    },
                    "voice": {
                        "type": ["string", "null"],
                        "description": "Name of the voice that speaks it (see voices); null "
                        "for an unreadable passage.",
                    },
                    "unreadable": {
                        "type": "boolean",
                        "description": "True for a passage no voice here can read (a run of "
                        "sentences in a language without a voice): this one entry stands for "
                        "the whole run; block, start and end are those of its first sentence, "
                        "text that sentence as written, and audio speaks the notice.",
                    },
                    "notice": {
                        "type": "string",
                        "description": "Only when unreadable: what audio says, in the "
                        "reading's language (Swedish, or English on an English page), e.g. "
                        "'Här följer ett avsnitt på arabiska som inte kan läsas upp.'",
                    },
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
        "overloaded: as many listeners as synthesis keeps playing without pauses (refused "
        "before the page is fetched, unless its first sentences are made already), or the "
        "synthesis queue full; storage_unavailable: the audio store cannot be read. See "
        "Retry-After."
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
    # A named voice reads the page's own language; otherwise each language's voice does.
    voice = app[VOICES].get(voice_name) if voice_name else None
    if (url is None) == (text is None):
        raise BadRequest(
            'Send either "url" (a page to read) or "text" (a selection), not both.',
            code="missing_field",
        )
    if text is not None and not any(ch.isalnum() for ch in text):  # the same rule as /speak
        raise BadRequest(
            "There is nothing to read aloud: send text with words in it.", code="empty_text"
        )
    # A full service refuses a reading that needs synthesis before its page is read: the
    # work of reading it would go to waste and slow those already listening. (An address
    # not allowed is left to the fetcher, which answers why at once, without fetching.)
    if url is None or is_allowed_url(url, app[keys.SETTINGS]):
        _refuse_when_full(app[SPEECH], reading_source(url, text, lang, voice_name), hint)
    budget = app[SPEECH].budget
    address = client_address(request)
    # Fetching and parsing a page, or splitting and normalising a text, is work too:
    # charged before it is done, so a client over its budget costs nothing more.
    budget.charge(address, EXTRACTION_COST, "page extraction" if url else "reading")
    with app[SPEECH].speaker.synthesizer.beside():  # not counted in its measured speed
        prepared = await _prepare(app, budget, address, url, text, lang, voice, hint)
    source = reading_source(url, text, lang, voice_name)
    app[SPEECH].pages.read(source, prepared.keys[: FIRST_SENTENCES + PREFETCH_AHEAD])
    return web.json_response(prepared.to_json(), headers={"Cache-Control": "no-cache"})


def _refuse_when_full(state: SpeechState, source: str, hint: AudioFormat) -> None:
    """503 at once when the listeners fill the capacity and ``source``'s reading would need
    synthesis: not read lately, or its first sentences neither made nor being made."""
    synthesizer = state.speaker.synthesizer
    playing = state.listeners.active()
    if not over_capacity(synthesizer, playing):
        return
    known = state.pages.first_keys(source)
    if known is not None and all(
        synthesizer.in_flight(key) or state.speaker.is_cached(key, hint) for key in known
    ):
        return  # shared with those already listening: costs no synthesis
    raise capacity_refusal(synthesizer, playing, state.listeners.next_end())


async def _prepare(
    app: web.Application,
    budget: SpeechBudget,
    address: str,
    url: str | None,
    text: str | None,
    lang: str | None,
    voice: SpeechVoice | None,
    hint: AudioFormat,
) -> PreparedReading:
    if url is not None:
        reading = await read_page(app, url)
    else:
        assert text is not None
        language = lang or "sv"
        block = Block(0, "paragraph", text, language, None, "")
        reading = Reading(url=None, title="", lang=language, blocks=(block,))
    charges: list[Charge] = []

    def charge(cost: float) -> float:
        charges.append(budget.charge(address, cost, "reading"))
        return charges[-1].delay

    try:
        return await prepare_reading(app, reading, voice, start_in=hint, charge=charge)
    except Overloaded:
        for paid in charges:  # refused for the service's load: the client made nothing
            budget.refund(paid)
        raise


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
    clip_keys, title = await reading_keys(speaker, ident)
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
