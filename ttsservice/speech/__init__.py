"""Speech: the synthesis queue, audio encoding, the audio cache and the read-aloud API.

:func:`setup` wires it into the app. At start (after the voices load) it
opens the audio cache (scanning the folder in the executor), starts the
synthesis queue and puts both, behind a :class:`~ttsservice.speech.speaker.Speaker`,
at ``app[SPEECH]``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import statistics
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from ttsservice import keys, sharedkeys
from ttsservice.speech.api import AUDIO_ROUTE, audio_handler, speak_handler
from ttsservice.speech.audio import FORMATS, encode, level_loudness
from ttsservice.speech.budget import SpeechBudget
from ttsservice.speech.cache import AudioCache
from ttsservice.speech.listeners import ListenerBook
from ttsservice.speech.metrics import SpeechMetrics
from ttsservice.speech.playback import PlaybackPlans
from ttsservice.speech.ratelimit import ClientLimiter
from ttsservice.speech.readings import DOWNLOAD_ROUTE, FIRST_SENTENCES, PREFETCH_AHEAD
from ttsservice.speech.readingsapi import (
    readings_download_handler,
    readings_get_handler,
    readings_post_handler,
)
from ttsservice.speech.recentpages import RecentPages, reading_source
from ttsservice.speech.release import release_handler
from ttsservice.speech.speaker import Speaker
from ttsservice.speech.state import SPEECH, SpeechState
from ttsservice.speech.synthesizer import Priority, Synthesizer
from ttsservice.speech.timings import TIMINGS_ROUTE, VTT_ROUTE, timings_handler, vtt_handler
from ttsservice.web.health import READINESS_CHECKS, Check
from voices.engine import SpeechVoice
from voices.registry import VOICES

__all__ = ["setup", "synthesis_concurrency", "warm_up"]

logger = logging.getLogger(__name__)


def synthesis_concurrency(cpu_workers: int) -> int:
    """Sentences synthesised at once: one thread is left for files and page parsing.

    onnxruntime already spreads one sentence over the cores, so running them
    one by one loses no throughput and lets the most urgent sentence go first.
    """
    return max(1, cpu_workers - 1)


WARM_UP_SENTENCE = "Välkommen till biblioteket, vi har öppet alla dagar i veckan."
"""Spoken once at start, so the first visitor's sentence does not pay for first use."""

TIMED_SENTENCE = "Välkommen till biblioteket, vi har öppet idag."
"""Timed at start for the synthesis speed admission starts from: as long as the parts a
crowd is read in (speech.leadin, speech.pacing). Per second of speech, short clips take
longer than long ones (the stand-in medium voice: 25 characters 0.060 s, 43 characters
0.054 s, 62 characters 0.049 s): timed on a whole sentence, the capacity was a tenth above
the one a crowd then measured."""

WARM_UP_TIMINGS = 5
"""Times :data:`TIMED_SENTENCE` is spoken and timed at start (about 0.15 s each)."""


def warm_up(voice: SpeechVoice) -> tuple[float, float] | None:
    """Load the encoders and run the voice on a sentence of ordinary length (blocking).

    The voices are warmed up on a word when they load; a full sentence also
    settles onnxruntime's memory plan, and the first MP3 and Opus encodes load
    libsndfile's codecs: time a first listener would otherwise wait for. Then
    :data:`TIMED_SENTENCE` is spoken :data:`WARM_UP_TIMINGS` times: the median
    seconds of synthesis per second of speech is the synthesis speed
    admission starts from (None when it failed). One timing alone was off by a
    sixth from one start to the next (a capacity of 16.7 to 19.7 listeners).
    A failure is logged, never fatal (the voice already spoke when it loaded).
    """
    try:
        samples = level_loudness(voice.synthesize(WARM_UP_SENTENCE), voice.sample_rate)
        for audio_format in FORMATS.values():
            encode(samples[: voice.sample_rate // 10], voice.sample_rate, audio_format)
        factors = []  # seconds of synthesis per second of speech (its length varies a little)
        for _ in range(WARM_UP_TIMINGS):
            started = time.perf_counter()  # as a listener's sentence is made: levelled, encoded
            samples = level_loudness(voice.synthesize(TIMED_SENTENCE), voice.sample_rate)
            encode(samples, voice.sample_rate, FORMATS["mp3"])
            factors.append((time.perf_counter() - started) / (samples.size / voice.sample_rate))
        speech = samples.size / voice.sample_rate
        return statistics.median(factors) * speech, speech
    except Exception:
        logger.exception("warming up speech with voice %s failed", voice.name)
        return None


async def _recall_readings(speaker: Speaker, pages: RecentPages) -> None:
    def learn(record: dict[str, Any], keys: list[str]) -> None:
        # A page read (or warmed) before the start is known to admission as read lately.
        url, voice = record.get("url"), record.get("voice")
        if isinstance(url, str):
            first = keys[: FIRST_SENTENCES + PREFETCH_AHEAD]
            pages.read(reading_source(url, None, None, None), first)
            if isinstance(voice, str):
                pages.read(reading_source(url, None, None, voice), first)

    try:
        known = await speaker.recall_groups("readings/", learn)
    except Exception:  # a damaged cache costs the recall, not the service
        logger.exception("recalling the readings in the audio cache failed")
        return
    if known:
        logger.info("audio cache: %d sentences of earlier readings can be played again", known)


def setup(app: web.Application) -> None:
    """Register the read-aloud routes, metrics, readiness check and start-up."""
    metrics = SpeechMetrics(app[keys.REGISTRY])

    async def speech_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        executor = app[keys.CPU_EXECUTOR]
        cache = AudioCache(
            settings.cache_dir, executor, max_bytes=settings.cache_max_bytes, metrics=metrics
        )
        await cache.open()
        concurrency = synthesis_concurrency(settings.cpu_workers)
        # The synthesis lanes have threads of their own: in the shared pool a sentence
        # would queue behind file writes (each with an fsync) and page parsing, and the
        # lane would stand idle meanwhile (a sixth of its time with a crowd listening).
        lanes = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tts-synthesis")
        synthesizer = Synthesizer(
            lanes,
            queue_size=settings.synthesis_queue_size,
            concurrency=concurrency,
            metrics=metrics,
            scheduler=settings.scheduler,
        )
        await synthesizer.start()
        timed = await asyncio.get_running_loop().run_in_executor(
            lanes, warm_up, app[VOICES].default
        )
        if timed is not None:
            synthesizer.calibrate(*timed)
        speaker = Speaker(app[VOICES], cache, synthesizer, executor, on_cache=metrics.cache_result)
        limiter = ClientLimiter(
            settings.speak_per_minute,
            daily_salt=functools.partial(
                app[keys.SHARED_KEYS].daily_salt, sharedkeys.SPEAK_LIMIT_SALT
            ),
        )
        listeners = ListenerBook(
            lambda seconds: metrics.first_audio("reading", seconds), clock=synthesizer.clock
        )
        metrics.watch(listeners.active, synthesizer.capacity)
        app[SPEECH] = SpeechState(
            speaker=speaker,
            limiter=limiter,
            metrics=metrics,
            # Keyed by the same daily pseudonym as the request limit: no address is kept.
            budget=SpeechBudget(
                settings.client_speech_rate, settings.client_speech_burst, limiter.client_id
            ),
            listeners=listeners,
            plans=PlaybackPlans(),
            pages=RecentPages(),
        )
        # Readings made before a restart: their sentences stay playable (in the background,
        # so a large cache does not hold up the start).
        recall = asyncio.create_task(
            _recall_readings(speaker, app[SPEECH].pages), name="tts-recall-readings"
        )
        try:
            yield
        finally:
            recall.cancel()
            await asyncio.gather(recall, return_exceptions=True)
            await speaker.close()
            await synthesizer.close()
            await asyncio.to_thread(lanes.shutdown, wait=True, cancel_futures=True)
            await cache.close()

    async def speech_check() -> Check:
        state = app.get(SPEECH)
        if state is None:
            return Check("speech", "failed", "the audio cache is still opening")
        synthesizer = state.speaker.synthesizer
        fault = state.speaker.cache.write_fault
        if fault is not None:
            return Check(
                "speech",
                "degraded",
                f"audio cache not writable ({fault}): audio is served without caching",
            )
        if not synthesizer.has_room(Priority.VISITOR):
            return Check(
                "speech",
                "degraded",
                f"synthesis queue full ({synthesizer.waiting} sentences waiting)",
            )
        return Check("speech", "ok", f"{synthesizer.waiting} sentences waiting")

    app.cleanup_ctx.append(speech_ctx)
    app[READINESS_CHECKS].append(speech_check)
    app.router.add_get(TIMINGS_ROUTE, timings_handler)  # before the audio route matches it
    app.router.add_get(AUDIO_ROUTE, audio_handler)
    app.router.add_post("/api/v1/speak", speak_handler)
    app.router.add_post("/api/v1/release", release_handler)
    app.router.add_post("/api/v1/readings", readings_post_handler)
    app.router.add_get("/api/v1/readings", readings_get_handler)
    app.router.add_get(VTT_ROUTE, vtt_handler)
    app.router.add_get(DOWNLOAD_ROUTE, readings_download_handler)
