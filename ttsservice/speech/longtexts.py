"""Long texts (a read selection, a long ``/speak``) made one queued part at a time.

One long text as a single synthesis job would hold a lane for seconds (8 s for
3,000 characters on a medium voice) while new listeners wait for their first
sentence. As parts, each due when it would be heard, other sentences with
earlier deadlines go between them; the joined clip is the same as
:func:`~ttsservice.speech.clips.speak_in_chunks_timed` makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ttsservice.speech.audio import AudioFormat, encode, level_loudness
from ttsservice.speech.clips import (
    CHUNK_PAUSE_SECONDS,
    PARTS_QUEUED,
    ClipSpec,
    Samples,
    _speak_timed,
    yield_to_event_loop,
)
from ttsservice.speech.synthesizer import Abandoned, Priority, Synthesizer
from voices.engine import SpeechVoice, WordTimes

__all__ = ["LongTextParts", "assemble"]


@dataclass(frozen=True, slots=True)
class LongTextParts:
    """The long texts being assembled, shared with the speaker that abandons them."""

    queued: dict[str, list[str]]
    """Clip key → the queue keys of its parts; a key taken out means nobody waits for it."""
    assembling: asyncio.Semaphore
    """How many long texts are assembled at once (each holds its parts until joined)."""


async def assemble(
    synthesizer: Synthesizer,
    long_texts: LongTextParts,
    key: str,
    spec: ClipSpec,
    voice: SpeechVoice,
    parts: list[str],
    priority: Priority,
    encode_as: AudioFormat | None,
    deadline: float | None,
) -> tuple[Samples, WordTimes | None, bytes | None]:
    """The levelled samples of ``parts`` joined, their word times, and the encoding.

    Raises :class:`Abandoned` when every listener has given the text up
    (``long_texts.queued`` no longer holds its parts).
    """
    # Parts kept as 16-bit PCM until joined: half the memory of float32.
    made: dict[int, tuple[npt.NDArray[np.int16], WordTimes | None]] = {}

    def part_job(index: int, text: str) -> Callable[[], tuple[Samples, int]]:
        def run() -> tuple[Samples, int]:
            yield_to_event_loop()
            samples, words = _speak_timed(voice, text, spec.length_scale)
            made[index] = ((np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16), words)
            return samples, voice.sample_rate

        return run

    due = synthesizer.clock() if deadline is None else deadline
    dues: list[float] = []
    for part in parts:
        dues.append(due)
        due += synthesizer.speech_seconds(len(part)) * spec.length_scale
    queued: list[tuple[str, asyncio.Future[Samples]]] = []
    part_keys = [f"{key}/part{index}" for index in range(len(parts))]
    waiting = long_texts.queued
    waiting[key] = part_keys
    try:
        # Only a few long texts are assembled at once: each holds its parts until the
        # last is made (18 MB for 3,000 characters), and forty in step would hold
        # them all (and every one would finish late); the others wait their turn.
        await long_texts.assembling.acquire()
    except BaseException:
        if waiting.get(key) is part_keys:
            del waiting[key]
        raise
    try:
        if waiting.get(key) is not part_keys:  # abandoned while waiting its turn
            raise Abandoned()
        for index in range(len(parts)):
            while len(queued) < PARTS_QUEUED and index + len(queued) < len(parts):
                ahead = index + len(queued)
                future = synthesizer.submit(
                    part_keys[ahead],
                    voice.name,
                    part_job(ahead, parts[ahead]),
                    priority,
                    # The first part is due now unless the caller said otherwise.
                    deadline=dues[ahead] if ahead or deadline is not None else None,
                    chars=round(len(parts[ahead]) * spec.length_scale),
                )
                queued.append((part_keys[ahead], future))
            await asyncio.shield(queued.pop(0)[1])
            if waiting.get(key) is not part_keys:  # abandoned by every listener
                raise Abandoned()
    finally:
        long_texts.assembling.release()
        if waiting.get(key) is part_keys:
            del waiting[key]
        for left, _ in queued:  # given up (an error, or shutting down): nobody needs them
            synthesizer.drop(left)
    rate = voice.sample_rate

    def join() -> tuple[Samples, WordTimes | None, bytes | None]:
        yield_to_event_loop()
        pause = int(rate * CHUNK_PAUSE_SECONDS)
        total = sum(made[index][0].size for index in range(len(parts)))
        # One array for the whole text, filled part by part and levelled in place: no list
        # of float copies beside it (3,000 characters are 19 MB of float32).
        joined = np.zeros(total + pause * (len(parts) - 1), dtype=np.float32)
        words: WordTimes | None = []
        at = 0
        offset = 0.0  # seconds, added up as speech.clips.speak_in_chunks_timed does
        for index in range(len(parts)):
            pcm, times = made.pop(index)
            if index:
                at += pause
                offset += pause / rate
            np.divide(pcm, np.float32(32767), out=joined[at : at + pcm.size], dtype=np.float32)
            if words is not None and times is not None:
                words.extend((start + offset, end + offset) for start, end in times)
            else:
                words = None
            at += pcm.size
            offset += pcm.size / rate
        levelled = level_loudness(joined, rate, in_place=True)
        data = encode(levelled, rate, encode_as) if encode_as is not None else None
        return levelled, words, data

    return await synthesizer.run_between(join, priority)
