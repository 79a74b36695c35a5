"""Prometheus metrics of the read-aloud path, registered in the app's own registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ttsservice.speech.cache import CacheMetrics
from ttsservice.speech.synthesizer import SynthesisMetrics

__all__ = ["SpeechMetrics"]


class SpeechMetrics(SynthesisMetrics, CacheMetrics):
    """Synthesis time, audio produced, cache use and overload, for one app.

    Whether the fallback voice is in use is ``tts_voice_fallback_active``,
    exported by the voices part.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.synthesis_seconds = Histogram(
            "tts_synthesis_seconds",
            "Time to synthesise one sentence (and encode it for the listener who asked), by voice.",
            ["voice"],
            buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.audio_seconds = Counter(
            "tts_audio_seconds",
            "Seconds of speech synthesised, by voice.",
            ["voice"],
            registry=registry,
        )
        self.cache_hits = Counter(
            "tts_audio_cache_hits", "Audio requests answered from the cache.", registry=registry
        )
        self.cache_misses = Counter(
            "tts_audio_cache_misses",
            "Audio requests that needed synthesis or encoding.",
            registry=registry,
        )
        self.cache_bytes = Gauge(
            "tts_audio_cache_bytes", "Bytes held by the on-disk audio cache.", registry=registry
        )
        self.cache_evictions = Counter(
            "tts_audio_cache_evictions",
            "Files evicted from the audio cache to stay under its size bound.",
            registry=registry,
        )
        self.queue_depth = Gauge(
            "tts_synthesis_queue_depth",
            "Sentences waiting for synthesis.",
            registry=registry,
        )
        self.overload_rejections = Counter(
            "tts_overload_rejections",
            "Requests refused with 503 because the synthesis queue was full.",
            registry=registry,
        )

        self.first_audio_seconds = Histogram(
            "tts_first_audio_seconds",
            "Time from a reading being asked for to its first sentence's audio being answered "
            "(kind=reading), or from a read-selection request to its audio (kind=speak).",
            ["kind"],
            buckets=(0.1, 0.15, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 5, 10, 30),
            registry=registry,
        )
        self.listeners_active = Gauge(
            "tts_listeners_active",
            "Listeners whose reading has not yet been spoken to its end (estimated from "
            "when each started and the reading's spoken length).",
            registry=registry,
        )
        self.speech_demand = Gauge(
            "tts_speech_demand_seconds_per_second",
            "Seconds of speech the active listeners need per second (one each).",
            registry=registry,
        )
        self.speech_capacity = Gauge(
            "tts_speech_capacity_seconds_per_second",
            "Seconds of speech the service can synthesise per second (synthesis lanes over the "
            "measured real-time factor); demand above it makes listeners wait.",
            registry=registry,
        )
        self.synthesis_dropped = Counter(
            "tts_synthesis_dropped",
            "Queued sentences dropped unsynthesised: the listener went away, stopped or "
            "left the page, and nobody else waited for them.",
            registry=registry,
        )
        self.deadline_misses = Counter(
            "tts_deadline_misses",
            "Sentences synthesised after their playback deadline (a listener likely waited).",
            registry=registry,
        )

    def watch(self, active: Callable[[], int], capacity: Callable[[], float]) -> None:
        """Read the listener and capacity gauges from these when /metrics is scraped."""
        self.listeners_active.set_function(active)
        self.speech_demand.set_function(lambda: float(active()))
        self.speech_capacity.set_function(capacity)

    def first_audio(self, kind: str, seconds: float) -> None:
        """Record one time to first audio."""
        self.first_audio_seconds.labels(kind).observe(seconds)

    def dropped(self) -> None:
        """Record a queued sentence dropped because nobody needed it any more."""
        self.synthesis_dropped.inc()

    def synthesized(self, voice: str, seconds: float, audio_seconds: float) -> None:
        """Record one synthesis."""
        self.synthesis_seconds.labels(voice).observe(seconds)
        self.audio_seconds.labels(voice).inc(audio_seconds)

    def depth(self, waiting: int) -> None:
        """Record the queue depth."""
        self.queue_depth.set(waiting)

    def rejected(self) -> None:
        """Record a 503."""
        self.overload_rejections.inc()

    def deadline_missed(self, late_seconds: float) -> None:
        """Record a sentence ready after its playback deadline."""
        self.deadline_misses.inc()

    def size(self, total_bytes: int) -> None:
        """Record the cache size."""
        self.cache_bytes.set(total_bytes)

    def evicted(self, count: int) -> None:
        """Record evictions."""
        self.cache_evictions.inc(count)

    def cache_result(self, hit: bool) -> None:
        """Record a cache hit or miss for an audio request."""
        (self.cache_hits if hit else self.cache_misses).inc()
