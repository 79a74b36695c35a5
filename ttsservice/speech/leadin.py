"""Faster first sound: a reading may start with the first clause of its first sentence.

A listener hears nothing until the first clip is made, and a clip is made
whole: a long first sentence (a 160-character one takes 0.6 s on a medium voice
on two cores, many times that when many listeners start at once) keeps
everyone waiting. So when the first sentence has a clause boundary (a comma,
semicolon, colon or a dash) early enough, it is read as two clips: its first
clause, then the rest. The second is made while the first plays.

The choice for the reading's JSON: the two parts are two entries of
``sentences``, each with its own text and offsets in the block (the widget
highlights and plays them as it does any sentence; nothing changes for it). The
cut is after the punctuation, so the first clip ends on it, as the voice
pauses there in the whole sentence; the space after it belongs to neither.

A listener alone when pressing Lyssna may not stay alone: when a crowd presses
it in the next second, the service makes every newcomer's first clip while
this listener's second clip is due after only the first one's length (about
2 s for a heading). A whole long sentence then (0.5 s of synthesis, more while
pages are being parsed) does not fit between those first clips, and the first
listener of a crowd stalls (``bench/listeners.py``: at 16 and 24 listeners it was
always the first one or two, at their second clip). So the entries that start
within the first :data:`LEAD_IN_SECONDS` of speech are cut as paced parts are
(:func:`ttsservice.speech.pacing.cut_points`: after clause punctuation where
there is some, else between words, before a phrase where one fits, never within
a number, after an abbreviation or after a word that begins a phrase) into
parts of at most :data:`LEAD_PART_CHARS`. After them a listener alone hears
whole sentences. The window is measured at a fixed speaking rate, so every
reading of a page by a listener alone is cut the same way and shares its clips
(with each other and with cache warming).
"""

from __future__ import annotations

import re

__all__ = [
    "LEAD_IN_SECONDS",
    "LEAD_PART_CHARS",
    "MIN_PART_CHARS",
    "MIN_SPLIT_CHARS",
    "NOMINAL_SECONDS_PER_CHAR",
    "first_clause_end",
    "in_lead_in",
]

MIN_SPLIT_CHARS = 60
"""A first sentence shorter than this is made whole (it is quick enough as it is)."""

MIN_PART_CHARS = 15
"""Neither part may be shorter than this: a clip of one or two words sounds clipped."""

LEAD_IN_SECONDS = 5.0
"""Entries starting within this much speech are cut into parts of at most
:data:`LEAD_PART_CHARS` characters, for a listener alone too."""

LEAD_PART_CHARS = 45
"""About 3 s of speech, made in about 0.17 s by a medium voice on two cores: short enough
to be made between a crowd's first clips."""

NOMINAL_SECONDS_PER_CHAR = 0.07
"""The speaking rate the lead-in window is measured at: a fixed one, not the measured one,
so that the cuts of a page depend on its text alone."""

_BOUNDARY = re.compile(r"[,;:](?=\s)|\s[–—](?=\s)")


def first_clause_end(text: str) -> int | None:
    """Where to cut ``text`` after its first clause (an offset), or None to keep it whole.

    The cut is just after the first clause punctuation (``,;:`` or a spaced
    dash, which ends the first part) that leaves at least
    :data:`MIN_PART_CHARS` letters on both sides; only in sentences of at
    least :data:`MIN_SPLIT_CHARS` characters.
    """
    if len(text) < MIN_SPLIT_CHARS:
        return None
    for match in _BOUNDARY.finditer(text):
        cut = match.end() if match.group(0)[0] in ",;:" else match.start()
        head, tail = text[:cut], text[cut:]
        if _letters(head) < MIN_PART_CHARS:
            continue
        if _letters(tail) < MIN_PART_CHARS:
            return None
        return cut
    return None


def in_lead_in(spoken_chars: int) -> bool:
    """Whether an entry after ``spoken_chars`` characters of speech is in the lead-in window."""
    return spoken_chars * NOMINAL_SECONDS_PER_CHAR < LEAD_IN_SECONDS


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
