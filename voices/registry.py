"""The voices a running service can speak with, loaded once at start.

:func:`load_registry` (blocking: run it in the CPU executor) loads the
default voice ``settings.voice`` from the voices folder, downloading it first
when it is missing and downloads are allowed. When that fails, or the files
are corrupt, or the model will not run, it logs how to install the neural
voice and falls back to the espeak-ng voice: the service always starts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ttsservice.errors import NotFound
from ttsservice.settings import Settings, language_voices
from voices.catalog import Catalog, load_catalog
from voices.engine import FallbackVoice, PiperSpeechVoice, SpeechVoice, VoiceLoadError
from voices.store import VoiceStore, VoiceStoreError

__all__ = ["UnknownVoice", "VoiceRegistry", "load_registry"]

logger = logging.getLogger(__name__)

FALLBACK_LICENSE = "GPL-3.0-or-later (espeak-ng)"
ESPEAK_PREFIX = "espeak-ng-"
"""How the names of espeak-ng's voices start (``espeak-ng-sv``, ``espeak-ng-de``)."""
WARM_UP_TEXT = "Hej."
STARTUP_DOWNLOAD_TIMEOUT = 10.0
"""Seconds the start-up download may wait for the network at any one moment."""


class UnknownVoice(NotFound):
    """A request named a voice this service does not have."""

    status = 404
    code = "unknown_voice"


@dataclass
class VoiceRegistry:
    """The loaded voices: the default one and every other that loaded, by name."""

    default: SpeechVoice
    """The voice used when a request names none."""
    voices: dict[str, SpeechVoice]
    """Every usable voice by name, the fallback included."""
    catalogue: Catalog
    configured: str
    """The default voice the settings asked for (``settings.voice``)."""
    fallback_reason: str | None = None
    """Why the configured voice is not in use, when the fallback is."""
    problems: dict[str, str] = field(default_factory=dict)
    """Installed voices that could not be loaded, with the reason."""
    _espeak: dict[str, SpeechVoice | None] = field(default_factory=dict, repr=False)
    _espeak_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def using_fallback(self) -> bool:
        """True when the default voice is the espeak-ng fallback."""
        return self.default.fallback

    def get(self, name: str | None = None) -> SpeechVoice:
        """The voice called ``name`` (the default when None or empty).

        Raises :class:`UnknownVoice` (404 ``unknown_voice``) listing the
        available voices.
        """
        if not name:
            return self.default
        voice = self.voices.get(name)
        if voice is not None:
            return voice
        available = sorted(self.voices)
        listed = ", ".join(available)
        if name in self.catalogue.voices:
            message = (
                f"The voice {name!r} is not installed on this server. Available voices: {listed}."
            )
        else:
            message = f"There is no voice {name!r}. Available voices: {listed}."
        raise UnknownVoice(message, details={"available": available})

    def espeak(self, language: str) -> SpeechVoice | None:
        """espeak-ng's voice for ``language`` (its espeak-ng name, e.g. ``de``), loaded the
        first time it is asked for (blocking) and kept in :attr:`voices`; None when
        espeak-ng has no such voice."""
        name = f"{ESPEAK_PREFIX}{language}"
        with self._espeak_lock:
            if name in self.voices:
                return self.voices[name]
            if language in self._espeak:
                return self._espeak[language]
            voice: SpeechVoice | None = None
            if language.isascii() and language.isalpha():
                try:
                    voice = FallbackVoice.load(language)
                except (VoiceLoadError, OSError, ImportError) as exc:
                    logger.info("no espeak-ng voice for %r: %s", language, exc)
            self._espeak[language] = voice
            if voice is not None:
                self.voices[name] = voice
            return voice

    def attribution(self, name: str) -> str | None:
        """The credit a voice's licence asks to be shown where it speaks (CC BY), if any."""
        entry = self.catalogue.voices.get(name)
        return entry.attribution if entry is not None else None

    def install_hint(self) -> str:
        """The command that installs the configured voice."""
        name = self.configured
        if name in self.catalogue.voices:
            return f"`ttsservice voices install {name}`"
        return f"`ttsservice voices install --from {name}.onnx`"

    def catalog(self) -> dict[str, Any]:
        """The body of ``GET /api/v1/voices``."""
        entries: list[dict[str, Any]] = []
        for name in self.catalogue.names:
            entry = self.catalogue.voices[name]
            entries.append(
                {
                    "name": name,
                    "language": entry.language,
                    "quality": entry.quality,
                    "installed": name in self.voices,
                    "fallback": False,
                    "license": entry.license,
                    "attribution": entry.attribution,
                }
            )
        for name in sorted(self.voices):
            voice = self.voices[name]
            if name in self.catalogue.voices:
                continue
            entries.append(
                {
                    "name": name,
                    "language": voice.language,
                    "quality": "fallback"
                    if voice.fallback
                    else str(getattr(voice, "quality", None) or "unknown"),
                    "installed": True,
                    "fallback": voice.fallback,
                    "license": FALLBACK_LICENSE
                    if voice.fallback
                    else "installed from a file: see the voice's model card",
                    "attribution": None,
                }
            )
        return {"default": self.default.name, "voices": entries}


VOICES: web.AppKey[VoiceRegistry] = web.AppKey("voices")
"""The loaded voices (default, by name, catalogue); set when the app starts."""


def _load_installed(store: VoiceStore, name: str) -> PiperSpeechVoice:
    """Load installed voice ``name``, refusing files that differ from what was installed."""
    installed = store.find(name)
    if installed is None:
        raise VoiceLoadError(f"{name} is not installed in {store.folder}")
    check = store.verify_one(name)
    if check.status == "corrupt":
        raise VoiceLoadError(f"{name} is corrupt: {check.detail}")
    if check.status == "unrecorded":
        logger.warning("voice %s has no install record; its files are not checked", name)
    checked = installed.record.get("model_sha256") if check.ok and installed.record else None
    return PiperSpeechVoice.load(
        installed.model_path,
        installed.config_path,
        name=name,
        model_sha256=str(checked) if checked else None,
    )


def _warm_up(voice: SpeechVoice) -> None:
    samples = voice.synthesize(WARM_UP_TEXT)
    if samples.size == 0:
        raise VoiceLoadError(f"voice {voice.name} produced no audio for {WARM_UP_TEXT!r}")


def load_registry(
    settings: Settings,
    *,
    catalogue: Catalog | None = None,
    download_timeout: float = STARTUP_DOWNLOAD_TIMEOUT,
) -> VoiceRegistry:
    """Load the voices for ``settings`` (blocking). Never fails for a missing or bad model."""
    catalogue = catalogue if catalogue is not None else load_catalog()
    store = VoiceStore(settings.voices_dir, catalog=catalogue, base_url=settings.voices_url or None)
    voices: dict[str, SpeechVoice] = {}
    problems: dict[str, str] = {}
    name = settings.voice

    fallback: SpeechVoice | None = None
    try:
        fallback = FallbackVoice.load("sv")
        voices[fallback.name] = fallback
    except (VoiceLoadError, OSError, ImportError) as exc:
        logger.error("the espeak-ng fallback voice is unavailable: %s", exc)

    reason: str | None = None
    if fallback is not None and name == fallback.name:
        reason = f"{name} (the robotic fallback) is the configured default voice"
    elif store.find(name) is None:
        if name not in catalogue.voices:
            reason = f"{name} is not installed in {store.folder}"
        elif settings.offline:
            reason = f"{name} is not installed in {store.folder} and downloads are off (offline)"
        else:
            logger.info("voice %s is not installed; downloading it", name)
            try:
                store.install(name, timeout=download_timeout)
            except VoiceStoreError as exc:
                reason = f"{name} is not installed and could not be downloaded: {exc}"
    default: SpeechVoice | None = None
    if reason is None:
        try:
            loaded = _load_installed(store, name)
            _warm_up(loaded)
            voices[name] = default = loaded
        except VoiceLoadError as exc:
            reason = str(exc)
        except Exception as exc:  # onnxruntime errors while running a damaged model
            reason = f"{name} failed to speak: {exc}"

    for lang, wanted in language_voices(settings).items():  # TTS_LANGUAGE_VOICES
        if store.find(wanted) is not None or wanted == name:
            continue
        if wanted not in catalogue.voices or settings.offline:
            problems[wanted] = f"not installed in {store.folder}"
            continue
        logger.info("voice %s (for %r) is not installed; downloading it", wanted, lang)
        try:
            store.install(wanted, timeout=download_timeout)
        except VoiceStoreError as exc:
            problems[wanted] = f"not installed and could not be downloaded: {exc}"

    for other in store.installed():
        if other.name == name:
            continue
        try:
            extra = _load_installed(store, other.name)
            _warm_up(extra)
            voices[other.name] = extra
        except Exception as exc:  # one bad extra voice must not stop the service
            problems[other.name] = str(exc)
            logger.warning("voice %s is not available: %s", other.name, exc)

    if default is None:
        if fallback is None:
            raise RuntimeError(
                f"no voice can be used: {reason}; and the espeak-ng fallback failed to load"
            )
        default = fallback
        _warm_up(fallback)
    registry = VoiceRegistry(
        default=default,
        voices=voices,
        catalogue=catalogue,
        configured=name,
        fallback_reason=reason,
        problems=problems,
    )
    if reason is not None:
        logger.warning(
            "speaking with the robotic espeak-ng fallback voice because %s. "
            "Install the neural voice with %s (without network: copy NAME.onnx and "
            "NAME.onnx.json here and run `ttsservice voices install --from NAME.onnx`) "
            "and restart.",
            reason,
            registry.install_hint(),
        )
    else:
        logger.info("voice %s loaded (%d Hz)", default.name, default.sample_rate)
    return registry
