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
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import Overloaded
from ttsservice.reading.model import Block, Reading
from ttsservice.speech.api import normalizer_of
from ttsservice.speech.audio import AudioFormat
from ttsservice.speech.clips import ClipSpec
from ttsservice.speech.languages import (
    block_sentences,
    main_voice,
    normalizer_version_for,
    spoken_text,
)
from ttsservice.speech.leadin import LEAD_PART_CHARS, first_clause_end, in_lead_in
from ttsservice.speech.notices import notice_language, unreadable_notice
from ttsservice.speech.pacing import cut_points, part_limits
from ttsservice.speech.playback import PlaybackPlans
from ttsservice.speech.readingrecords import record_path, share_reading_record
from ttsservice.speech.speaker import Speaker
from ttsservice.speech.state import SPEECH, TextNormalizer
from ttsservice.speech.synthesizer import Priority, Synthesizer
from voices.engine import SpeechVoice
from voices.languages import LANGUAGE_VOICES, LanguageVoices, language_key
from voices.registry import VOICES

__all__ = [
    "CAPACITY_SHARE",
    "FIRST_AUDIO_ALLOWANCES",
    "FIRST_SENTENCES",
    "PREFETCH_AHEAD",
    "PreparedReading",
    "ReadingPlan",
    "Sentence",
    "plan_reading",
    "plan_sentences",
    "prepare_reading",
]

logger = logging.getLogger(__name__)

FIRST_SENTENCES = 3
"""Sentences synthesised at visitor priority as soon as a reading is made."""

PREFETCH_AHEAD = 5
"""Sentences after those synthesised ahead at prefetch priority."""

CAPACITY_SHARE = 0.95
"""Share of the measured synthesis capacity (listeners it can keep playing) that admission
fills: the rest absorbs the estimate's error and the work of page extraction and encoding."""

FIRST_AUDIO_ALLOWANCES = tuple(step / 10 for step in range(19))
"""Seconds a new listener's first clip may be due after the request while others listen,
tried in turn (0 to 1.8 s by tenths): the first with which every queued clip (theirs and the
new listener's) is estimated ready :data:`ON_TIME_MARGIN` early; the longest when none is
(admission then decides). Without it a crowd pressing Lyssna together would each wait for
everyone's first clip before their own second one, and the first of them would stall. Up to
1.2 s, 24 listeners pressing within a second still left the first two stalling at their
second clip; steps of 0.3 s made waits longer than needed (16 listeners: p95 1.54-1.65 s
against 1.29-1.45 s by tenths)."""

ON_TIME_MARGIN = 0.3
"""Seconds before its deadline a clip must be estimated ready to count as on time when
choosing a wait: the estimate errs in a burst, when page parsing and requests take CPU."""

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
    """Language of the sentence: its block's, or its passage's (see reading.passages)."""
    voice: str | None = None
    """Name of the voice that speaks it; None for an unreadable passage's notice."""
    unreadable: bool = False
    """A passage no voice here can read: ``spoken`` is a notice saying so, ``text`` the
    first of its sentences as written (the others of the run have no entry)."""
    notice: str | None = None
    """The notice (as written) when ``unreadable``."""
    notice_lang: str | None = None
    """The language of the notice when ``unreadable``."""


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
    lead_in: bool = False,
    part_limit: Callable[[int], int] | None = None,
) -> ReadingPlan:
    """Split and normalise blocks until the reading's limits (blocking: run in the executor).

    With ``lead_in`` (see :mod:`ttsservice.speech.leadin`), a long first sentence
    with an early clause boundary is two entries, its first clause and the rest,
    and the sentences (and that rest) starting in the lead-in window are cut into
    parts of at most ``LEAD_PART_CHARS``. With ``part_limit`` (others are
    listening), every sentence longer than ``part_limit(characters spoken before
    it)`` is cut into parts instead, each an entry (see
    :mod:`ttsservice.speech.pacing`); only the first sentence's clause cut stays.

    Stops at ``max_sentences`` sentences as written (not their parts) or
    ``max_chars`` characters of text (those of sentences with nothing to say
    count too), so a huge page costs no more than the limits; a sentence that
    does not fit whole is cut after a word when nothing has been read yet.
    """
    sentences: list[Sentence] = []
    whole_sentences = 0  # sentences as written (an entry may be a part of one)
    chars = 0
    spoken_chars = 0
    truncated = False
    last_block: Block | None = None
    for block in reading.blocks:
        for span, lang in block_sentences(block, block.lang or reading.lang or "sv"):
            text, end = span.text, span.end
            full = (max_sentences is not None and whole_sentences >= max_sentences) or (
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
            spoken = spoken_text(normalizer, text, lang)
            cuts: list[tuple[int, int]] | None = None
            if lead_in and not sentences:
                cut = first_clause_end(text)
                if cut is not None:
                    # Faster first sound (speech.leadin): its first clause, then the rest.
                    rest = cut + len(text[cut:]) - len(text[cut:].lstrip())
                    cuts = [(0, cut), (rest, len(text))]
                    if part_limit is None and in_lead_in(len(text[:cut])):
                        tail = cut_points(text[rest:], LEAD_PART_CHARS)
                        cuts[1:] = [(rest + a, rest + b) for a, b in tail]
            elif lead_in and part_limit is None and in_lead_in(spoken_chars):
                # The first seconds in short parts, for a listener alone too (speech.leadin).
                cuts = cut_points(text, LEAD_PART_CHARS)
            if cuts is None and part_limit is not None:
                # Paced parts (speech.pacing): short at the start, longer as playback goes on.
                cuts = cut_points(text, part_limit(spoken_chars))
            if any(ch.isalnum() for ch in spoken):
                whole_sentences += 1
            if cuts is not None and len(cuts) > 1 and any(ch.isalnum() for ch in spoken):
                for a, b in cuts:
                    part = text[a:b]
                    said = spoken_text(normalizer, part, lang)
                    spoken_chars += len(said)
                    sentences.append(
                        Sentence(
                            len(sentences),
                            block.index,
                            span.start + a,
                            span.start + b,
                            part,
                            said,
                            lang,
                        )
                    )
            elif any(ch.isalnum() for ch in spoken):
                spoken_chars += len(spoken)
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


def voice_sentences(
    sentences: list[Sentence],
    main_lang: str,
    voice: SpeechVoice | None,
    languages: LanguageVoices,
    normalizer: TextNormalizer,
) -> list[tuple[Sentence, SpeechVoice]]:
    """Each sentence with the voice that speaks it (blocking: may load espeak-ng voices).

    Sentences in ``main_lang`` are spoken by ``voice`` (None: no voice speaks it); the
    others by their language's voice. Each run of consecutive sentences in one language
    no voice can speak becomes one sentence, ``unreadable``, where the first of them is,
    its ``spoken`` text a notice in the reading's language (see ``speech.notices``),
    spoken by that language's voice. Indexes are counted again.
    """
    main = language_key(main_lang)
    chosen: dict[str, SpeechVoice | None] = {main: voice}
    voiced: list[tuple[Sentence, SpeechVoice]] = []
    for sentence in sentences:
        key = language_key(sentence.lang)
        if key not in chosen:
            chosen[key] = languages.voice_for(key)
        speaker = chosen[key]
        if speaker is not None:
            voiced.append((dataclasses.replace(sentence, voice=speaker.name), speaker))
            continue
        if voiced and voiced[-1][0].unreadable and language_key(voiced[-1][0].lang) == key:
            continue  # one notice for the whole run
        in_lang = notice_language(main)
        notice_voice = (voice if main == in_lang else None) or main_voice(languages, in_lang)
        notice = unreadable_notice(key, in_lang)
        entry = dataclasses.replace(
            sentence,
            spoken=spoken_text(normalizer, notice, in_lang),
            voice=None,
            unreadable=True,
            notice=notice,
            notice_lang=in_lang,
        )
        voiced.append((entry, notice_voice))
    return [(dataclasses.replace(s, index=i), v) for i, (s, v) in enumerate(voiced)]


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
    voices: tuple[dict[str, Any], ...] = ()
    """Every voice the reading speaks with: name, lang, fallback, attribution."""

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
            "voices": list(self.voices),
            "sentences": [
                _sentence_json(s, key) for s, key in zip(self.sentences, self.keys, strict=True)
            ],
            "download": f"/api/v1/readings/{self.id}.mp3",
            "truncated": self.truncated,
        }


def _sentence_json(s: Sentence, key: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": s.index,
        "block": s.block,
        "start": s.start,
        "end": s.end,
        "text": s.text,
        "lang": s.lang,
        "voice": s.voice,
        "unreadable": s.unreadable,
        "audio": _audio_urls(key),
    }
    if s.unreadable:
        entry["notice"] = s.notice
    return entry


async def prepare_reading(
    app: web.Application,
    reading: Reading,
    voice: SpeechVoice | None,
    *,
    start_in: AudioFormat | None = None,
    charge: Callable[[float], float] | None = None,
) -> PreparedReading:
    """Split, normalise and register a reading's sentences.

    With ``start_in``, the first sentences start synthesising (in that format)
    before anything is written to disk: a listener is waiting for them.
    ``charge`` takes the seconds of speech that starts from the client's
    budget (429 when it has not got them) and says how much later its deadlines go.
    ``voice`` speaks the reading's own language (None: that language's voice); the
    sentences of other languages are spoken by theirs.
    """
    speaker = app[SPEECH].speaker
    settings = app[keys.SETTINGS]
    normalizer = normalizer_of(app)
    languages = app[LANGUAGE_VOICES]
    loop = asyncio.get_running_loop()
    executor = app[keys.CPU_EXECUTOR]
    given_voice = voice

    async def planned(
        part_limit: Callable[[int], int] | None,
    ) -> tuple[ReadingPlan, SpeechVoice, list[tuple[Sentence, SpeechVoice]], list[ClipSpec]]:
        plan = await loop.run_in_executor(
            executor,
            functools.partial(
                plan_reading,
                reading,
                normalizer,
                max_sentences=settings.max_reading_sentences,
                max_chars=settings.max_reading_chars,
                lead_in=True,
                part_limit=part_limit,
            ),
        )
        lang = plan.reading.lang
        speaks_main = given_voice or await loop.run_in_executor(executor, languages.voice_for, lang)
        voiced = await loop.run_in_executor(
            executor, voice_sentences, plan.sentences, lang, speaks_main, languages, normalizer
        )
        # The reading's voice: the one asked for, its language's, or its notices' when none.
        main = speaks_main
        if main is None:
            main = await loop.run_in_executor(
                executor, main_voice, languages, notice_language(lang)
            )
        specs = [
            dataclasses.replace(
                speaker.spec(
                    s.spoken,
                    s.notice_lang or s.lang,
                    speaking,
                    normalizer_version_for(normalizer, s.notice_lang or s.lang),
                ),
                written=s.notice or s.text,
            )
            for s, speaking in voiced
        ]
        return plan, main, voiced, specs

    plan, voice, voiced, specs = await planned(None)
    synthesizer = speaker.synthesizer
    if start_in is not None and synthesizer.scheduler == "deadline":
        # With others listening, paced parts keep everyone's next clip in time, unless
        # this page's first sentences are made or being made already (someone else is
        # reading it: sharing their clips costs no synthesis at all).
        part_limit = part_limits(
            app[SPEECH].listeners.active(),
            synthesizer.capacity(),
            synthesizer.speech_seconds(1),
        )
        shared = all(speaker.is_cached(spec.key(), start_in) for spec in specs[:FIRST_SENTENCES])
        if part_limit is not None and not shared:
            plan, voice, voiced, specs = await planned(part_limit)
    listener: str | None = None
    if start_in is not None:
        slack = app[keys.SETTINGS].admission_slack
        listeners = app[SPEECH].listeners
        first_keys = speaker.remember(specs)
        spoken = start_synthesis(
            speaker,
            first_keys,
            specs,
            start_in,
            admission_slack=slack,
            charge=charge,
            plans=app[SPEECH].plans,
            listening=(listeners.active(), listeners.next_end()),
        )
        if first_keys:
            # Counted at once, with no await since the admission check: readings admitted
            # in the same moment each see the others (the capacity holds under a burst).
            listener = first_keys[0]
            listeners.started(listener, spoken)
    try:
        return await _registered(app, plan, voice, voiced, specs)
    except BaseException:
        if listener is not None:
            app[SPEECH].listeners.stopped(listener)  # not served: not listening
        raise


async def _registered(
    app: web.Application,
    plan: ReadingPlan,
    voice: SpeechVoice,
    voiced: list[tuple[Sentence, SpeechVoice]],
    specs: list[ClipSpec],
) -> PreparedReading:
    """Record a planned reading (for downloads and every copy) and describe it."""
    speaker = app[SPEECH].speaker
    reading = plan.reading
    sentences = [s for s, _ in voiced]
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
    registry = app[VOICES]
    used = {voice.name: voice, **{speaking.name: speaking for _, speaking in voiced}}
    voices = tuple(
        {
            "name": name,
            "lang": language_key(speaking.language),
            "fallback": speaking.fallback,
            "attribution": registry.attribution(name),
        }
        for name, speaking in used.items()
    )
    return PreparedReading(
        ident,
        reading,
        voice,
        sentences,
        clip_keys,
        specs,
        registry.attribution(voice.name),
        plan.truncated,
        voices,
    )


def over_capacity(synthesizer: Synthesizer, playing: int) -> bool:
    """Whether one more listener needing synthesis would take ``playing`` listeners beyond
    :data:`CAPACITY_SHARE` of the synthesis capacity (their later sentences would come late).

    One listener is always served: the capacity is about crowds, not one visitor.
    """
    return bool(playing) and playing + 1 > CAPACITY_SHARE * synthesizer.capacity()


def capacity_refusal(synthesizer: Synthesizer, playing: int, next_end: float | None) -> Overloaded:
    """The 503 for a listener :func:`over_capacity` refuses (counted as a refusal)."""
    synthesizer.reject()
    return Overloaded(
        f"This server reads aloud to {playing} listeners now, as many as it can "
        "without pauses; try again in a moment.",
        retry_after=max(1, math.ceil(next_end or synthesizer.backlog_seconds())),
    )


def start_synthesis(
    speaker: Speaker,
    clip_keys: list[str],
    specs: list[ClipSpec],
    hint: AudioFormat,
    *,
    admission_slack: float | None = None,
    charge: Callable[[float], float] | None = None,
    plans: PlaybackPlans | None = None,
    listening: tuple[int, float | None] | None = None,
) -> float:
    """Queue the first sentences for a waiting visitor and a few more as prefetch; the
    estimated spoken length of the whole reading (seconds).

    When even the first sentence finds no room, the reading is refused with 503
    (the visitor would hear nothing); later ones are simply not prefetched.
    The first sentence is due now; playback starts when it is estimated to be
    ready (after the first sentences of the readings before it), and each later
    sentence is due at that start plus the estimated spoken length of the
    sentences before it: the first sentence of every reading goes first, and a
    listener who starts later needs their later sentences later. ``plans``
    keeps those offsets for every sentence of the reading, so the sentences the
    widget asks for later carry their deadlines too.
    With ``admission_slack``, a new listener whose sentences would make anyone's
    sentence (theirs included) later than that many seconds past its deadline
    is refused with 503 at once: those already listening keep playing.
    ``listening`` is (listeners playing now, seconds until the soonest ends): a
    new listener needing synthesis is also refused when it would take the
    listeners beyond :data:`CAPACITY_SHARE` of the synthesis capacity (each
    hears one second of speech a second; the queue makes ``capacity()``), as
    their later sentences would then come late, however the first ones are ordered.
    ``charge`` is given the estimated seconds of speech of the sentences that
    need synthesis; it raises 429 for a client over its budget, or returns how
    many seconds later this client's deadlines go (see ``speech.budget``).
    """
    synthesizer = speaker.synthesizer
    lengths = [synthesizer.speech_seconds(len(spec.text)) * spec.length_scale for spec in specs]
    ahead = list(zip(clip_keys, specs, strict=True))[: FIRST_SENTENCES + PREFETCH_AHEAD]
    costs = [synthesizer.synthesis_seconds(round(len(s.text) * s.length_scale)) for _, s in ahead]
    fresh = [
        not synthesizer.in_flight(key) and not speaker.is_cached(key, hint) for key, _ in ahead
    ]
    delay = 0.0
    if charge is not None:
        delay = charge(sum(length for length, new in zip(lengths, fresh, strict=False) if new))
    offsets: list[float] = []
    spoken = 0.0
    for length in lengths:
        offsets.append(spoken)
        spoken += length

    def schedule(wait: float) -> tuple[float, list[float]]:
        due = synthesizer.clock() + delay + wait
        start = synthesizer.ready_at(due, costs[0]) if ahead and fresh[0] else due
        deadlines = [due] + [start + offset for offset in offsets[1 : len(ahead)]]
        return start, deadlines[: len(ahead)]

    start, deadlines = schedule(0.0)
    if listening is not None and listening[0]:
        # Others are listening: their clips due sooner go before this first one, which
        # waits as little as keeps everyone on time (a crowd pressing Lyssna together
        # then starts over a second or so; see FIRST_AUDIO_ALLOWANCES).
        for wait in FIRST_AUDIO_ALLOWANCES:
            start, deadlines = schedule(wait)
            if not fresh[0]:
                break  # the first clip is made or being made: nothing to choose
            new = [(d, c) for d, c, is_new in zip(deadlines, costs, fresh, strict=True) if is_new]
            if synthesizer.admits(
                [d for d, _ in new], -ON_TIME_MARGIN, [c for _, c in new], check_first=False
            ):
                break
    if admission_slack is not None and listening is not None and any(fresh):
        playing, next_end = listening
        if over_capacity(synthesizer, playing):
            raise capacity_refusal(synthesizer, playing, next_end)
    # Alone (nobody playing, nothing due queued), a listener is always served: refusing
    # would keep no one else from stalling.
    alone = listening is not None and not listening[0] and synthesizer.backlog_seconds() == 0
    if admission_slack is not None and not alone:
        new = [(d, c) for d, c, is_new in zip(deadlines, costs, fresh, strict=True) if is_new]
        if new and not synthesizer.admits(
            [d for d, _ in new], admission_slack, [c for _, c in new]
        ):
            synthesizer.reject()
            raise Overloaded(
                "Too many listeners right now for this server to read aloud without pauses; "
                "try again in a moment.",
                retry_after=max(1, math.ceil(synthesizer.backlog_seconds())),
            )
    if plans is not None:
        plans.plan(clip_keys, offsets, start)
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
    return spoken
