"""Passages in another language inside a block: ``<p>Boken <span lang="en">…</span> kom ut</p>``.

A block is one element on the page (the widget highlights by block and offsets
into its text), so a passage in another language does not become a block of
its own: the block keeps its text and records the passage as a
:data:`Passage`, ``(start, end, lang)`` offsets into that text. Planning cuts
sentences at passage edges, so each passage is spoken by its own language's
voice (:mod:`ttsservice.speech.readings`).

While the extractor collects a block's inline text it wraps an inline element
whose ``lang`` differs from its parent's in markers (:func:`open_marker`,
:data:`CLOSE`); :func:`split_passages` takes them out again and says where the
passages are. The markers are Unicode noncharacters (U+FDD0-U+FDD2), which
never stand for text in a page.
"""

from __future__ import annotations

import re

from ttsservice.reading.scoring import _INVISIBLE, _SPACE

__all__ = ["CLOSE", "Passage", "open_marker", "passages_of", "split_passages"]

Passage = tuple[int, int, str]
"""A passage: start and end offsets into its block's text, and its language subtag."""

_OPEN = "\ufdd0"
_OPEN_END = "\ufdd1"
CLOSE = "\ufdd2"
"""Ends the passage opened last."""

_MARKER = re.compile(f"{_OPEN}([a-z]{{2,8}}){_OPEN_END}|{CLOSE}|[{_OPEN}{_OPEN_END}]")


def open_marker(lang: str) -> str:
    """Starts a passage in ``lang`` (a primary language subtag, lower case)."""
    return f"{_OPEN}{lang}{_OPEN_END}"


def split_passages(raw: str, lang: str) -> tuple[str, tuple[Passage, ...]]:
    """``raw`` without markers, cleaned like any block text, and its passages not in ``lang``.

    The text is what the extractor's clean-up (invisible characters out, white
    space collapsed, ends stripped) gives for ``raw`` without its markers. A
    passage left open runs to the end; a stray close is ignored. White space
    at a passage's edge belongs to the text around it.
    """
    if _OPEN not in raw and CLOSE not in raw and _OPEN_END not in raw:
        return _SPACE.sub(" ", _INVISIBLE.sub("", raw)).strip(), ()
    chars: list[str] = []
    langs: list[str] = []
    stack = [lang]
    position = 0
    for m in _MARKER.finditer(raw):
        piece = _INVISIBLE.sub("", raw[position : m.start()])
        chars.extend(piece)
        langs.extend(stack[-1] for _ in piece)
        if m.group(1):
            stack.append(m.group(1))
        elif m.group(0) == CLOSE and len(stack) > 1:
            stack.pop()
        position = m.end()
    piece = _INVISIBLE.sub("", raw[position:])
    chars.extend(piece)
    langs.extend(stack[-1] for _ in piece)
    # Collapse white space as the clean-up does, keeping each kept character's language.
    text: list[str] = []
    text_langs: list[str] = []
    joined = "".join(chars)
    at = 0
    for m in _SPACE.finditer(joined):
        text.extend(joined[at : m.start()])
        text_langs.extend(langs[at : m.start()])
        text.append(" ")
        inside = set(langs[m.start() : m.end()])
        # a space inside a passage is the passage's; one between two is the block's
        text_langs.append(inside.pop() if len(inside) == 1 else lang)
        at = m.end()
    text.extend(joined[at:])
    text_langs.extend(langs[at:])
    start = 0
    end = len(text)
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    cleaned = "".join(text[start:end])
    return cleaned, _runs(text_langs[start:end], lang)


def _runs(langs: list[str], lang: str) -> tuple[Passage, ...]:
    found: list[Passage] = []
    start = 0
    while start < len(langs):
        end = start
        while end < len(langs) and langs[end] == langs[start]:
            end += 1
        if langs[start] != lang:
            found.append((start, end, langs[start]))
        start = end
    return tuple(found)


def passages_of(text: str, lang: str, passages: tuple[Passage, ...]) -> list[Passage]:
    """The whole of ``text`` as consecutive runs: the passages and the block's ``lang`` between."""
    runs: list[Passage] = []
    at = 0
    for start, end, other in sorted(passages):
        if start < at or end > len(text) or start >= end:
            continue  # not from split_passages: ignored rather than read twice
        if start > at:
            runs.append((at, start, lang))
        runs.append((start, end, other))
        at = end
    if at < len(text) or not runs:
        runs.append((at, len(text), lang))
    return runs
