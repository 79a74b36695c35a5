"""The read-aloud state one app holds (behind ``SPEECH``, its app key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from ttsservice.speech.budget import SpeechBudget
from ttsservice.speech.listeners import ListenerBook
from ttsservice.speech.metrics import SpeechMetrics
from ttsservice.speech.playback import PlaybackPlans
from ttsservice.speech.ratelimit import ClientLimiter
from ttsservice.speech.recentpages import RecentPages
from ttsservice.speech.speaker import Speaker

__all__ = ["SpeechState", "TextNormalizer", "normalizer_version"]


class TextNormalizer(Protocol):
    """Turns written Swedish into what a voice should read (``ttsservice.swedish``)."""

    def normalize(self, text: str, lang: str = "sv") -> str:
        """The text as it is to be spoken."""
        ...


def normalizer_version(normalizer: object) -> str:
    """A normaliser's version, whether it offers it as an attribute or a method."""
    version = getattr(normalizer, "version", "unknown")
    if callable(version):
        version = version()
    return str(version)


@dataclass
class SpeechState:
    """Everything the read-aloud handlers use."""

    speaker: Speaker
    """Clips: cache, synthesis queue, encoding."""
    limiter: ClientLimiter
    """Per-client limit of the read-selection endpoint."""
    metrics: SpeechMetrics
    """This app's speech metrics."""
    budget: SpeechBudget
    """Per-client seconds of speech for readings, extraction and read-selection."""
    listeners: ListenerBook
    """Readings being listened to, and their time to first audio."""
    plans: PlaybackPlans
    """When each sentence of a reading being listened to will be needed."""
    pages: RecentPages
    """The first sentences of the pages read lately (a full service refuses the others)."""


SPEECH: web.AppKey[SpeechState] = web.AppKey("speech")
"""The read-aloud machinery (synthesis queue, audio cache, limits); set when the app starts."""
