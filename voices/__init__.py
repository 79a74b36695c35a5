"""Voices: the neural Piper voices, the espeak-ng fallback, their catalogue and store.

:func:`setup` wires them into the app: the voices are loaded at start (in the
CPU executor), ``GET /api/v1/voices`` lists them, ``/readyz`` says
``degraded`` while the fallback speaks, and two gauges tell the same to
Prometheus.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import Gauge

from ttsservice import keys
from ttsservice.settings import language_voices
from ttsservice.web.health import READINESS_CHECKS, Check
from ttsservice.web.openapi import error_ref, json_response, operation
from voices.languages import LANGUAGE_VOICES, LanguageVoices
from voices.registry import VOICES, VoiceRegistry, load_registry

__all__ = ["setup", "voice_handler", "voices_handler"]

_VOICE_SCHEMA = {
    "type": "object",
    "required": ["default", "voices"],
    "properties": {
        "default": {"type": "string", "description": "Voice used when a request names none."},
        "voices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "language",
                    "quality",
                    "installed",
                    "fallback",
                    "license",
                    "attribution",
                ],
                "properties": {
                    "name": {"type": "string"},
                    "language": {"type": "string"},
                    "quality": {"type": ["string", "null"]},
                    "installed": {"type": "boolean"},
                    "fallback": {"type": "boolean"},
                    "license": {"type": "string"},
                    "attribution": {
                        "type": ["string", "null"],
                        "description": "Text to show with this voice's audio (CC BY voices).",
                    },
                },
            },
        },
    },
}


@operation(
    summary="Voices: the default, what is installed, licences and attributions",
    tags=["read-aloud"],
    responses={"200": json_response("The voice catalogue.", _VOICE_SCHEMA)},
)
async def voices_handler(request: web.Request) -> web.Response:
    """List the catalogue and installed voices."""
    registry = request.app[VOICES]
    return web.json_response(registry.catalog(), headers={"Cache-Control": "no-cache"})


@operation(
    summary="One voice, if this server can speak with it",
    tags=["read-aloud"],
    responses={
        "200": json_response("The voice's catalogue entry."),
        "404": error_ref("unknown_voice: not installed here; the message lists the voices."),
    },
)
async def voice_handler(request: web.Request) -> web.Response:
    """Describe one usable voice; 404 ``unknown_voice`` (listing the voices) otherwise."""
    registry = request.app[VOICES]
    voice = registry.get(request.match_info["name"])
    entry = next(e for e in registry.catalog()["voices"] if e["name"] == voice.name)
    body = {**entry, "default": voice is registry.default, "sample_rate": voice.sample_rate}
    return web.json_response(body, headers={"Cache-Control": "no-cache"})


def setup(app: web.Application) -> None:
    """Load voices at start, add ``GET /api/v1/voices``, a readiness check and voice gauges."""
    registry = app[keys.REGISTRY]
    fallback_active = Gauge(
        "tts_voice_fallback_active",
        "1 while the robotic espeak-ng fallback is the default voice, else 0.",
        registry=registry,
    )
    voice_info = Gauge(
        "tts_voice_info",
        "1 for every loaded voice; labels say which is the default and which the fallback.",
        ["voice", "default", "fallback"],
        registry=registry,
    )

    async def voices_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        loop = asyncio.get_running_loop()
        loaded: VoiceRegistry = await loop.run_in_executor(
            app[keys.CPU_EXECUTOR], functools.partial(load_registry, settings)
        )
        app[VOICES] = loaded
        app[LANGUAGE_VOICES] = LanguageVoices.build(loaded, language_voices(settings))
        fallback_active.set(1 if loaded.using_fallback else 0)
        for name, voice in loaded.voices.items():
            is_default = "true" if voice is loaded.default else "false"
            voice_info.labels(name, is_default, str(voice.fallback).lower()).set(1)
        yield

    async def voice_check() -> Check:
        loaded = app.get(VOICES)
        if loaded is None:
            return Check("voice", "failed", "voices are still loading")
        if loaded.using_fallback:
            return Check(
                "voice",
                "degraded",
                f"fallback voice in use: install {loaded.configured} with "
                f"{loaded.install_hint()} ({loaded.fallback_reason})",
            )
        return Check("voice", "ok", loaded.default.name)

    async def languages_check() -> Check:
        languages = app.get(LANGUAGE_VOICES)
        if languages is None:
            return Check("languages", "failed", "voices are still loading")
        if languages.problems:
            problems = sorted(languages.problems.items())
            missing = "; ".join(f"{lang}: {why}" for lang, why in problems)
            return Check(
                "languages",
                "degraded",
                f"read by espeak-ng (robotic) or not at all, as their voice is missing: {missing}",
            )
        named = ", ".join(f"{lang}={voice}" for lang, voice in sorted(languages.configured.items()))
        return Check("languages", "ok", named or "sv only")

    app.cleanup_ctx.append(voices_ctx)
    app[READINESS_CHECKS].append(voice_check)
    app[READINESS_CHECKS].append(languages_check)
    app.router.add_get("/api/v1/voices", voices_handler)
    app.router.add_get("/api/v1/voices/{name}", voice_handler)
