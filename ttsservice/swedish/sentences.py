"""Swedish sentence splitting with offsets into the original text.

The widget highlights the sentence being read by these offsets, so every
:class:`Span` is a slice of the text exactly as given (``text[start:end]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ttsservice.swedish.abbrevlist import BEFORE_NUMBER_ABBREVIATIONS, NON_FINAL_ABBREVIATIONS

__all__ = ["MAX_SENTENCE", "Span", "split_sentences"]

MAX_SENTENCE = 200
"""Sentences longer than this (characters) are split at clause boundaries."""
MIN_PART = 30
"""No part of a split long sentence is shorter than this, if it can be helped."""


@dataclass(frozen=True, slots=True)
class Span:
    """One sentence: ``text == original[start:end]``."""

    start: int
    """Offset of the first character in the original text."""
    end: int
    """Offset just after the last character."""
    text: str
    """The sentence as written."""


_UP = "A-ZÅÄÖÉÜ"
# A sentence ends at . ! ? … (possibly repeated), then closing quotes or
# brackets, then white space; or at a line break.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|\n")
_NEXT_START = re.compile(rf"\s*(?:[{_UP}\d\"'“”«»(\[•–—-]|[^\w\s])")
_TOKEN_BEFORE = re.compile(r"([\w.:]+)$")
_INITIAL = re.compile(rf"(?:[{_UP}]\.)+$")
_LIST_NUMBER = re.compile(r"(?:^|\n)[ \t]*\(?\d{1,3}[.)]$")
_FINAL_OK = frozenset(
    {"osv.", "o.s.v.", "etc.", "m.m.", "m.fl.", "e.d.", "o.d.", "f.n.", "t.v.", "f.kr.", "e.kr."}
)
_CLAUSE_BREAKS = (
    re.compile(r"[;:]\s"),
    re.compile(r",\s(?=(?:men|och|samt|eller|som|vilket|vilka|där|när|eftersom|så|för|om|att)\b)"),
    re.compile(r",\s"),
    re.compile(r"\s[–—-]\s"),
    re.compile(r"\s(?=(?:och|men|samt|eller|som|vilket|där|när|eftersom)\s)"),
    re.compile(r"\s"),
)


def split_sentences(text: str, lang: str = "sv") -> list[Span]:
    """Split ``text`` into sentences; each :class:`Span` gives offsets into ``text``.

    No split after abbreviations ("t.ex.", "bl.a.", "kl."), initials ("A. Lindgren"),
    list numbers ("1. …" at the start of a line) or inside decimals and web addresses
    (no white space there). Line breaks always end a sentence. Sentences over
    :data:`MAX_SENTENCE` characters are split at clause boundaries (``;``, ``:``,
    a comma before a conjunction, a comma, a dash, a conjunction, white space).
    Spans with nothing to say (only punctuation or symbols) are left out.
    """
    spans: list[Span] = []
    start = 0
    for m in _END.finditer(text):
        if m.group(0) != "\n" and not _is_boundary(text, m.start(), m.end()):
            continue
        _emit(text, start, m.end(), spans)
        start = m.end()
    _emit(text, start, len(text), spans)
    return spans


def _is_boundary(text: str, dot: int, end: int) -> bool:
    if not _NEXT_START.match(text, end):
        return False  # next word in lower case: not a new sentence
    if text[dot] != ".":
        return True
    if end - dot > 1 and text[dot : dot + 3] == "...":
        return True
    token_match = _TOKEN_BEFORE.search(text, max(0, dot - 30), dot + 1)
    token = token_match.group(1) if token_match else ""
    low = token.lower()
    # "(t.ex." / "Kl." → the last abbreviation-like part decides
    if low in NON_FINAL_ABBREVIATIONS and low not in _FINAL_OK:
        return False
    if low in BEFORE_NUMBER_ABBREVIATIONS and text[end : end + 2].strip()[:1].isdecimal():
        return False  # "Se bil. 3": the number belongs to the abbreviation
    if any(
        low.endswith(a) and (len(low) == len(a) or not low[-len(a) - 1].isalnum())
        for a in ("t.ex.", "bl.a.", "s.k.", "p.g.a.", "d.v.s.", "fr.o.m.", "t.o.m.")
    ):
        return False
    if _INITIAL.search(token) and len(token) <= 8 and token[:1].isupper():
        # initials before a name: "A. Lindgren", "J.R.R. Tolkien"
        nxt = text[end : end + 2].strip()[:1]
        if nxt.isupper():
            return False
    # "1." opening a list item is not the end of a sentence
    return _LIST_NUMBER.search(text, max(0, dot - 12), dot + 1) is None


def _emit(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    for a, b in _split_long(text, start, end):
        piece = text[a:b]
        if any(c.isalnum() for c in piece):
            spans.append(Span(a, b, piece))


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE:
        cut = _clause_cut(text, start, end)
        a, b = start, cut
        while b > a and text[b - 1].isspace():
            b -= 1
        parts.append((a, b))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        parts.append((start, end))
    return parts


def _clause_cut(text: str, start: int, end: int) -> int:
    """Where to cut: the latest best-ranked clause boundary within the limit."""
    window_end = start + MAX_SENTENCE
    for pattern in _CLAUSE_BREAKS:
        best = -1
        for m in pattern.finditer(text, start + MIN_PART, window_end):
            cut = m.end()
            if cut <= window_end and end - cut >= MIN_PART:
                best = cut
        if best > 0:
            return best
    return window_end
