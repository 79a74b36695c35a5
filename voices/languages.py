"""Which voice speaks which language (``TTS_LANGUAGE_VOICES``), and which languages none can.

A language is spoken by, in this order: the voice ``TTS_LANGUAGE_VOICES`` names
for it (when it is loaded); for Swedish the default voice (``TTS_VOICE``); an
installed neural voice of that language; espeak-ng's voice for it (robotic: the
``languages`` readiness check says ``degraded`` when a language named in the
settings falls back to it). A language none of them speaks is unreadable: its
passages are skipped with a notice (:mod:`ttsservice.speech.passages`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web

from voices.engine import SpeechVoice
from voices.registry import VoiceRegistry

__all__ = ["LANGUAGE_VOICES", "LanguageVoices", "language_key"]

logger = logging.getLogger(__name__)

_SAME_LANGUAGE = {"nb": "no", "nn": "no", "fil": "tl", "iw": "he", "in": "id", "ji": "yi"}
"""Subtags that name the same language for choosing a voice (Norwegian Bokmål and Nynorsk
are read by Norwegian voices; old ISO codes that pages still use)."""

_ESPEAK_NAMES = {"no": "nb"}
"""espeak-ng's name for a language where it differs from :func:`language_key`'s."""


def language_key(lang: str) -> str:
    """The subtag a language's voice is looked up by: primary subtag, lower case, aliases
    joined (``nb-NO`` → ``no``)."""
    primary = lang.strip().lower().replace("_", "-").split("-")[0]
    return _SAME_LANGUAGE.get(primary, primary)


@dataclass
class LanguageVoices:
    """The voice of each language, espeak-ng voices loaded when a language first needs one."""

    registry: VoiceRegistry
    configured: dict[str, str]
    """Language to voice name, from ``TTS_LANGUAGE_VOICES``."""
    problems: dict[str, str] = field(default_factory=dict)
    """Languages of the settings whose voice is not loaded, with the reason."""

    @classmethod
    def build(cls, registry: VoiceRegistry, configured: dict[str, str]) -> LanguageVoices:
        """The languages of ``configured`` checked against the voices ``registry`` loaded."""
        problems: dict[str, str] = {}
        wanted = {language_key(lang): name for lang, name in configured.items()}
        for lang, name in wanted.items():
            if name not in registry.voices:
                reason = registry.problems.get(name) or "not installed"
                problems[lang] = f"{name} ({reason})"
                logger.warning(
                    "voice %s for language %r is not available (%s); that language is read "
                    "by espeak-ng if it can: install it with `ttsservice voices install %s`",
                    name,
                    lang,
                    reason,
                    name,
                )
        return cls(registry, wanted, problems)

    def neural(self, lang: str) -> SpeechVoice | None:
        """The loaded voice the settings, the default or the installed voices give ``lang``."""
        key = language_key(lang)
        named = self.configured.get(key)
        if named is not None and named in self.registry.voices:
            return self.registry.voices[named]
        if key == "sv" and language_key(self.registry.default.language) == "sv":
            return self.registry.default
        candidates = sorted(
            name
            for name, voice in self.registry.voices.items()
            if not voice.fallback and language_key(voice.language) == key
        )
        return self.registry.voices[candidates[0]] if candidates else None

    def voice_for(self, lang: str) -> SpeechVoice | None:
        """The voice that speaks ``lang``, or None when no voice here can (blocking: the
        first use of a language may load espeak-ng's voice for it)."""
        found = self.neural(lang)
        if found is not None:
            return found
        return self.espeak(lang)

    def espeak(self, lang: str) -> SpeechVoice | None:
        """espeak-ng's voice for ``lang``, or None when espeak-ng has none (blocking)."""
        key = language_key(lang)
        return self.registry.espeak(_ESPEAK_NAMES.get(key, key))


LANGUAGE_VOICES: web.AppKey[LanguageVoices] = web.AppKey("language_voices")
"""The voice of each language; set when the voices are loaded."""
