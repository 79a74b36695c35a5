"""The read-aloud HTTP API: sentence audio, read-selection and readings of pages."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import BadRequest, NotFound, ServiceError
from ttsservice.speech.audio import FORMATS, AudioFormat, format_for
from ttsservice.speech.cache import CachedFile
from ttsservice.speech.clips import is_clip_key
from ttsservice.speech.languages import normalizer_version_for, spoken_text
from ttsservice.speech.state import SPEECH, TextNormalizer
from ttsservice.speech.synthesizer import Priority
from ttsservice.swedish.normalizer import NORMALIZER
from ttsservice.web.openapi import error_ref, json_body, operation
from ttsservice.web.requests import field_str, read_json_object
from voices.engine import SpeechVoice
from voices.languages import LANGUAGE_VOICES
from voices.registry import VOICES

__all__ = ["audio_handler", "speak_handler"]

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"

AUDIO_ROUTE = "/api/v1/audio/{name}"
AUDIO_NAME_PATTERN = r"^[0-9a-f]{64}(\.(mp3|ogg|wav))?$"
"""What an audio name is: a clip key, with or without a format's extension."""
LANG_PATTERN = r"^(?:[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*)?$"
"""What a text's ``lang`` is: a language tag (``sv``, ``en-GB``, ``nb_NO``), or empty."""
WORDS_PATTERN = r"[^\W_]"
"""Text with something to read: a letter or digit (Python's ``str.isalnum``) in it."""
"""The sentence audio route's template (the router's and the metrics' name for it)."""

_ACCEPTED_TYPES: dict[str, str] = {
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
}

_AUDIO_CONTENT = {
    fmt.content_type: {"schema": {"type": "string", "format": "binary"}} for fmt in FORMATS.values()
}


def normalizer_of(app: web.Application) -> TextNormalizer:
    """The app's Swedish text normaliser (its site lexicon may change while running)."""
    return app[NORMALIZER]


def format_from_ext(ext: str) -> AudioFormat:
    """The format for a URL extension, or a 400 naming the ones there are."""
    found = format_for(ext)
    if found is None:
        raise BadRequest(
            f"Audio comes as {', '.join(FORMATS)}; {ext!r} is not one of them.",
            code="unsupported_format",
        )
    return found


def negotiate(accept: str | None) -> AudioFormat:
    """Pick a format from an ``Accept`` header (MP3 when it allows anything)."""
    if not accept:
        return FORMATS["mp3"]
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if quality <= 0:
            continue
        if media in _ACCEPTED_TYPES:
            ext = _ACCEPTED_TYPES[media]
        elif media in ("audio/*", "*/*"):
            ext = "mp3"
        else:
            continue
        candidate = (quality, -position, ext)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        raise ServiceError(
            "This address serves audio/mpeg, audio/ogg or audio/wav; the Accept header "
            "allows none of them.",
            code="not_acceptable",
            status=406,
        )
    return FORMATS[best[2]]


PRIORITIES: dict[str, Priority] = {
    "": Priority.PREFETCH,
    "low": Priority.PREFETCH,
    "prefetch": Priority.PREFETCH,
    "high": Priority.VISITOR,
}
"""Values of the audio route's ``?priority=`` and what they mean."""


def priority_of(request: web.Request) -> Priority:
    """``?priority=high`` for sentences a visitor waits for now, else prefetch."""
    if not request.query_string:  # the usual case; skips parsing a query
        return Priority.PREFETCH
    value = request.query.get("priority", "")
    found = PRIORITIES.get(value)
    if found is None:
        raise BadRequest(f"priority must be 'high' or 'low', got {value!r}.", code="bad_priority")
    return found


def audio_response(
    request: web.Request,
    cached: CachedFile,
    audio_format: AudioFormat,
    *,
    cache_control: str = IMMUTABLE,
    vary_accept: bool = False,
) -> web.Response:
    """Audio bytes with validators: 304 on a matching If-None-Match, 206 for one range."""
    headers = {
        "ETag": cached.etag,
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if vary_accept:
        headers["Vary"] = "Accept"
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if "*" in tags or cached.etag in tags:
            return web.Response(status=304, headers=headers)
    data = cached.data
    if request.headers.get("Range") and request.headers.get("If-Range", cached.etag) == cached.etag:
        try:
            wanted = request.http_range
        except ValueError:
            wanted = slice(None)
        start, stop, _ = wanted.indices(len(data))
        if wanted.start is not None or wanted.stop is not None:
            if start >= len(data) or start >= stop:
                headers["Content-Range"] = f"bytes */{len(data)}"
                return web.Response(status=416, headers=headers)
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
            return web.Response(
                status=206,
                body=data[start:stop],
                headers=headers,
                content_type=audio_format.content_type,
            )
    return web.Response(body=data, headers=headers, content_type=audio_format.content_type)


@operation(
    summary="One sentence's audio (synthesised on demand, then cached)",
    description="KEY comes from a reading's sentences. Ask for KEY.mp3, KEY.ogg (Opus) or "
    "KEY.wav, or for KEY with an Accept header. The bytes for a key never change in "
    "meaning, so the response is immutable-cacheable with a strong ETag; conditional and "
    "range requests are answered. Add ?priority=high for a sentence a listener waits for now.",
    tags=["read-aloud"],
    parameters=[
        {
            "name": "priority",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": list(PRIORITIES)},
        },
        {
            "name": "name",
            "in": "path",
            "required": True,
            "description": "KEY, KEY.mp3, KEY.ogg or KEY.wav; KEY is 64 hex digits.",
            "schema": {"type": "string", "pattern": AUDIO_NAME_PATTERN},
        },
    ],
    responses={
        "200": {"description": "The audio.", "content": _AUDIO_CONTENT},
        "206": {"description": "The requested byte range.", "content": _AUDIO_CONTENT},
        "304": {"description": "Not modified (If-None-Match matched)."},
        "400": error_ref("unsupported_format or bad_priority."),
        "404": error_ref("not_found: no clip with this key (create the reading again)."),
        "406": error_ref("not_acceptable: the Accept header allows no audio format we make."),
        "503": error_ref(
            "overloaded: synthesis queue full; storage_unavailable: the audio store cannot "
            "be read. See Retry-After."
        ),
    },
)
async def audio_handler(request: web.Request) -> web.Response:
    """Serve a clip from the cache, making it first when needed."""
    state = request.app[SPEECH]
    name = request.match_info["name"]
    key, dot, ext = name.partition(".")
    if not is_clip_key(key):
        raise NotFound("There is no audio at this address: a clip key is 64 hexadecimal digits.")
    audio_format = format_from_ext(ext) if dot else negotiate(request.headers.get("Accept"))
    priority = priority_of(request)
    speaker = state.speaker
    cached = await speaker.cached(key, audio_format)
    if cached is None:
        spec = await speaker.lookup(key)
        cached = await speaker.audio(
            key,
            spec,
            audio_format,
            priority,
            # When its listener will need it (its reading's playback start + its offset).
            deadline=state.plans.deadline(key),
            gone=lambda: client_gone(request),
        )
    state.listeners.served(key)  # the first audio of a reading waiting for it, if any
    state.plans.played(key, speaker.synthesizer.clock())
    return audio_response(request, cached, audio_format, vary_accept=not dot)


def client_gone(request: web.Request) -> bool:
    """Whether the client closed its connection (aiohttp runs the handler on regardless)."""
    transport = request.transport
    return transport is None or transport.is_closing()


def client_address(request: web.Request) -> str:
    """The address a request came from (only ever used hashed)."""
    return request.remote or "unknown"


@operation(
    summary="Read a selection aloud: text in, audio out",
    description="For text a visitor selected on a page. Limited per client (see "
    "TTS_SPEAK_PER_MINUTE) without storing addresses, and to TTS_SPEAK_MAX_CHARS characters.",
    tags=["read-aloud"],
    requestBody=json_body(
        {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {
                    "type": "string",
                    "pattern": WORDS_PATTERN,
                    "description": "The text: with at least one letter or digit in it, at most "
                    "TTS_SPEAK_MAX_CHARS characters.",
                },
                "lang": {
                    "type": ["string", "null"],
                    "default": "sv",
                    "maxLength": 16,
                    "pattern": LANG_PATTERN,
                    "description": "Language of the text (a language tag such as sv or "
                    "en-GB): it is normalised by that language's rules and, unless voice is "
                    "given, spoken by its voice (TTS_LANGUAGE_VOICES, else espeak-ng's).",
                },
                "voice": {
                    "type": ["string", "null"],
                    "maxLength": 200,
                    "description": "A voice name; the default voice if absent or empty.",
                },
                "format": {
                    "type": ["string", "null"],
                    "enum": [*FORMATS, None],
                    "default": "mp3",
                },
            },
        }
    ),
    responses={
        "200": {"description": "The audio.", "content": _AUDIO_CONTENT},
        "400": error_ref("missing_field, invalid_field, too_long, empty_text, unsupported_format."),
        "404": error_ref(
            "unknown_voice: the voice is not installed (the message lists them); "
            "unreadable_language: no voice here speaks lang."
        ),
        "415": error_ref("unsupported_media_type: send application/json."),
        "429": error_ref(
            "rate_limited: too many requests, or too much speech for one client "
            "(TTS_CLIENT_SPEECH_RATE); see Retry-After."
        ),
        "503": error_ref(
            "overloaded: synthesis queue full; storage_unavailable: the audio store cannot "
            "be read. See Retry-After."
        ),
    },
)
async def speak_handler(request: web.Request) -> web.Response:
    """Synthesise the posted text (cached like any clip) and answer with the audio."""
    app = request.app
    state = app[SPEECH]
    settings = app[keys.SETTINGS]
    asked = time.monotonic()
    await state.limiter.admit(client_address(request))
    body = await read_json_object(request)
    text = field_str(body, "text", max_length=settings.speak_max_chars) or ""
    lang = field_str(body, "lang", required=False, max_length=16) or "sv"
    if not re.match(LANG_PATTERN, lang):
        raise BadRequest(
            f"lang must be a language tag such as sv or en-GB, got {lang!r}.",
            code="invalid_field",
        )
    voice_name = field_str(body, "voice", required=False, max_length=200)
    ext = field_str(body, "format", required=False, max_length=10)
    if ext is None:  # "" is not a format: 400 like any other unknown one
        ext = "mp3"
    audio_format = format_from_ext(ext)
    voice = app[VOICES].get(voice_name) if voice_name else await _voice_of(request, lang)
    speaker = state.speaker
    # Charged by the text's estimated spoken length before any work is done for it;
    # given back below when its audio is already made.
    charge = state.budget.charge(
        client_address(request), speaker.synthesizer.speech_seconds(len(text)), "read-selection"
    )
    normalizer = normalizer_of(app)
    spoken = await _normalize(request, normalizer, text, lang)
    if not any(ch.isalnum() for ch in spoken):
        raise BadRequest(
            "There is nothing to read aloud: send text with words in it.", code="empty_text"
        )
    spec = speaker.spec(spoken, lang, voice, normalizer_version_for(normalizer, lang))
    deadline = None
    if speaker.is_cached(spec.key(), audio_format):  # audio already made costs nothing
        state.budget.refund(charge)
    elif charge.delay > 0:  # a client that asked for much lately waits behind the others
        deadline = speaker.synthesizer.clock() + charge.delay
    (key,) = await speaker.register([spec])
    cached = await speaker.audio(
        key,
        spec,
        audio_format,
        Priority.VISITOR,
        deadline=deadline,
        gone=lambda: client_gone(request),
    )
    state.metrics.first_audio("speak", time.monotonic() - asked)
    response = audio_response(request, cached, audio_format, cache_control="no-store")
    response.headers["Content-Location"] = f"/api/v1/audio/{key}.{audio_format.ext}"
    return response


async def _normalize(request: web.Request, normalizer: TextNormalizer, text: str, lang: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(
        request.app[keys.CPU_EXECUTOR], spoken_text, normalizer, text, lang
    )


async def _voice_of(request: web.Request, lang: str) -> SpeechVoice:
    """The voice of ``lang`` (TTS_LANGUAGE_VOICES, else espeak-ng's); 400 when none."""
    languages = request.app[LANGUAGE_VOICES]
    found = await asyncio.get_running_loop().run_in_executor(
        request.app[keys.CPU_EXECUTOR], languages.voice_for, lang
    )
    if found is None:
        raise NotFound(
            f"No voice here can read the language {lang!r} (neither a voice installed here "
            "nor espeak-ng speaks it): name a voice, or send text in another language.",
            code="unreadable_language",
        )
    return found


def reading_id(voice: str, clip_keys: list[str]) -> str:
    """A reading's id: the same sentences by the same voice give the same id."""
    digest = hashlib.sha256(voice.encode())
    for key in clip_keys:
        digest.update(b"\n" + key.encode())
    return digest.hexdigest()[:32]
