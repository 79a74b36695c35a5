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
"""

from __future__ import annotations

import re

__all__ = ["MIN_PART_CHARS", "MIN_SPLIT_CHARS", "first_clause_end"]

MIN_SPLIT_CHARS = 60
"""A first sentence shorter than this is made whole (it is quick enough as it is)."""

MIN_PART_CHARS = 15
"""Neither part may be shorter than this: a clip of one or two words sounds clipped."""

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


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
