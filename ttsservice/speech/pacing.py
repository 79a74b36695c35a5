"""Paced parts: under load, a reading's sentences are served in parts that grow with playback.

Listeners who press Lyssna in the same second play in step: their long
sentences come due together. A clip is made whole before it plays, so every
listener's next clip must be ready when their current one ends: when N
listeners take the share ``u`` of the synthesis capacity, a clip of ``L``
seconds due after ``S`` seconds of playback can be made in time only if
``u * (S + L) <= A + S`` (the work of everyone's clips up to it, against the
time until it is due; ``A`` is the head start the first clip gives). So
``L <= (A + (1 - u) * S) / u``: short clips at the start, longer ones as the
listeners' lead grows. A whole sentence of 10 s after a heading of 2 s (the
seed page) needs ``u <= 0.2``; in parts (never shorter than
:data:`MIN_PART_CHARS`, which is more than the limit for the first seconds)
listeners in step at ``u`` of 0.8 to 0.9 are at most about a second behind at
the start, which the spread of a crowd's first audio takes up.

So while others listen, a new reading's sentences longer than that limit are
cut into parts (for the load with the new listener, at least
:data:`CROWD_LOAD`), each an entry of the reading (the widget plays and
highlights it as it does any sentence, as with :mod:`ttsservice.speech.leadin`). Cuts
are made in the written text, as a long sentence's speech chunks are (after
clause punctuation, else between words, before a phrase's first word such as
"och" or a preposition where that takes no more parts; see
``speech.clips.speech_chunks``), never next to a number, after an abbreviation's
dot, before a regnal numeral or after a word that begins a phrase (a preposition,
an article, a conjunction, an auxiliary), and no part is shorter than
:data:`MIN_PIECE_CHARS`. A listener alone hears whole sentences as before, and
their clips are shared with every other reading of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from ttsservice.speech.clips import MAX_CHUNK_CHARS

__all__ = [
    "CROWD_LOAD",
    "HEAD_START_SECONDS",
    "MAX_LOAD",
    "MIN_PART_CHARS",
    "MIN_PIECE_CHARS",
    "cut_points",
    "part_limits",
]

CROWD_LOAD = 0.8
"""The share of the synthesis capacity readings are paced for when others listen."""

HEAD_START_SECONDS = 0.6
"""``A`` above: the lead a listener's first clip gives (a short first part plays this long)."""

MIN_PART_CHARS = 30
"""The limit is never below this: a heading stays whole, and parts are not a word or two."""

MIN_PIECE_CHARS = 15
"""No part is shorter than this (the end of a sentence is not left alone as a word or two)."""

MAX_LOAD = 0.9
"""The load the limits are computed for at most: above it the parts stay short for minutes,
and every part costs a request, an encoding and a timings file of its own."""

_CLAUSE = re.compile(r"[,;:]$")
_WORD = re.compile(r"\S+")


def _words(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


_NO_END_WORDS = _words(
    # Swedish: prepositions, articles and determiners, possessives, conjunctions and
    # subjunctions, the infinitive marker and auxiliaries: a part ending on one of them
    # ("arbetar med att i | samråd") breaks a phrase that belongs to the next part.
    "i på av för till med om från vid under över efter mot genom utan hos mellan bland",
    "inom enligt kring åt ur bakom framför inför före via per",
    "en ett den det de denna detta dessa min mitt mina din ditt dina sin sitt sina vår",
    "vårt våra ert deras hans hennes dess varje",
    "och eller men samt att som när eftersom medan innan än",
    "är har hade kan kunde ska skall skulle vill ville måste bör borde får blir blev kommer",
    # English
    "the a an of to in on at by for with from into and or but that as is are was were be",
    "has have will can our your their its his her my",
)
"""Words a part never ends on: they begin a phrase that goes on in the next words."""

_PHRASE_STARTS = _words(
    "i på av för till med om från vid under över efter mot genom hos mellan bland inom",
    "enligt och eller men samt att som när eftersom medan innan där vilket vilka vilken",
    "and or but that which who when where because in on at for with from to of by",
)
"""Words a phrase starts with: a part may well end just before one (after the phrase)."""


def part_limits(
    listening: int, capacity: float, seconds_per_char: float
) -> Callable[[int], int] | None:
    """The longest part (characters) after ``n`` characters of speech; None to read whole.

    ``listening`` is how many listen now (the new one not counted), ``capacity`` how
    many the synthesis keeps playing, ``seconds_per_char`` the voice's speaking rate.
    Alone, a listener hears whole sentences. With others listening, the pace is for
    their share with the new one, and at least :data:`CROWD_LOAD`: a crowd comes
    within seconds, and a reading cannot be cut again once its listener has it.
    """
    if listening <= 0 or capacity <= 0 or seconds_per_char <= 0:
        return None
    load = max(CROWD_LOAD, (listening + 1) / capacity)
    u = min(load, MAX_LOAD)

    def limit(chars_before: int) -> int:
        seconds = (HEAD_START_SECONDS + (1 - u) * chars_before * seconds_per_char) / u
        return max(MIN_PART_CHARS, min(MAX_CHUNK_CHARS, int(seconds / seconds_per_char)))

    return limit


def cut_points(text: str, limit: int) -> list[tuple[int, int]]:
    """``text`` as (start, end) offsets of parts of at most about ``limit`` characters.

    Parts of about equal length, from the start: each ends at the allowed space
    within ``limit`` nearest that length (after clause punctuation when there is
    one past half of it, else before a word a phrase starts with, such as "och",
    "som" or a preposition, where that takes no more parts), or at the first allowed one beyond
    when none is within. No part ends on such a word, an article or an auxiliary.
    Spaces between parts belong to neither. A text of at most ``limit`` characters, or one with no
    allowed cut, is one part.
    """
    if len(text) <= limit:
        return [(0, len(text))]
    gaps = [m for m in re.finditer(r"\s+", text) if _may_cut(text, m.start(), m.end())]
    target = len(text) / math.ceil(len(text) / limit)  # parts of about equal length
    parts: list[tuple[int, int]] = []
    begin = 0
    while len(text) - begin > limit:
        allowed = [
            g
            for g in gaps
            if g.start() - begin >= MIN_PIECE_CHARS and len(text) - g.end() >= MIN_PIECE_CHARS
        ]
        if not allowed:
            break
        within = [g for g in allowed if g.start() - begin <= limit]
        if within:
            late = [g for g in within if g.start() - begin >= target / 2]
            clause = [g for g in late if _CLAUSE.search(text, 0, g.start())]
            # Before a phrase, unless that takes more parts than the text needs from here.
            needed = math.ceil((len(text) - begin) / limit) - 1
            phrase = [
                g
                for g in late
                if _word_after(text, g.end()) in _PHRASE_STARTS
                and math.ceil((len(text) - g.end()) / limit) <= needed
            ]
            gap = min(clause or phrase or within, key=lambda g: abs(g.start() - begin - target))
        else:
            gap = allowed[0]
        parts.append((begin, gap.start()))
        begin = gap.end()
        gaps = [g for g in gaps if g.start() >= begin]
    parts.append((begin, len(text)))
    return parts


def _may_cut(text: str, start: int, end: int) -> bool:
    """Whether the space ``text[start:end]`` may end a part."""
    left = text[:start].rsplit(None, 1)[-1] if text[:start].strip() else ""
    right = text[end:].split(None, 1)[0] if text[end:].strip() else ""
    if not left or not right:
        return False
    if left.endswith("."):  # an abbreviation ("t.ex.", "bl.a."): read with what follows
        return False
    if any(ch.isdigit() for ch in left + right):
        return False  # a number is read with its neighbours ("10 000", "den 5 maj", "5 km")
    if right.isupper() and len(right) > 1:
        return False  # "Karl XII:s", "EU-kommissionen": read with the word before
    if right[0] in "–—-/%)»”" or left[-1] in "(«“":
        return False
    if left.lower() in _NO_END_WORDS:
        return False  # "med att i | samråd": the phrase goes on
    return any(ch.isalnum() for ch in left) and any(ch.isalnum() for ch in right)


def _word_after(text: str, at: int) -> str:
    """The word starting at ``at``, lower-case, without punctuation around it."""
    found = _WORD.match(text, at)  # no copy of the rest of the text for every gap tried
    return found.group().strip(".,;:!?()«»\"'”“").lower() if found else ""
