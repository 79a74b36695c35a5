"""What a page reads as when the main-content rules find nothing, or next to nothing.

A visitor who presses Lyssna on a page with text must never hear silence. The
rules of :mod:`ttsservice.reading.scoring` look for paragraph text; a page made
of short lines, link-dense cards or text in page furniture gives them nothing
to hold on to. Then, in turn:

1. the densest text region: descending from ``body`` while one child holds most
   of the page's text (link text included), read minus navigation;
2. the whole body minus navigation, header, footer, forms and cookie banners;
3. for a page whose body holds no text at all (one its scripts fill in), the
   description it gives of itself in its head (``og:description`` or
   ``description``), after its title.

A page with none of these really has nothing to read: its reading has no
blocks, and the player says so.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml.html import HtmlElement

from ttsservice.reading.model import Block
from ttsservice.reading.scoring import _HAS_WORD, _WORD, _clean, _PageScores

__all__ = ["never_silent"]

_FEW_WORDS = 12  # a reading of fewer words than this is next to nothing ...
_MUCH_MORE = 5  # ... when the page holds this many times more text to read
_REGION_SHARE = 0.7  # of its parent's text a child must hold to be descended into
_DESCRIPTIONS = (
    "//meta[@property='og:description']/@content",
    "//meta[@name='description']/@content",
    "//meta[@name='twitter:description']/@content",
)


def _words(blocks: list[Block], enough: int | None = None) -> int:
    """The words in ``blocks``, counted up to ``enough`` (a long reading is not counted out)."""
    words = 0
    for block in blocks:
        words += len(_WORD.findall(block.text))
        if enough is not None and words >= enough:
            break
    return words


def _densest_region(page: _PageScores) -> HtmlElement:
    """Descend from ``body`` while one child holds most of its text (links included), never
    into a child whose text is mostly links (a menu)."""
    lengths = page.text_lengths
    node = page.body
    while True:
        children = [
            c
            for c in node
            if isinstance(c.tag, str) and c in lengths and lengths[c][1] * 2 < lengths[c][0]
        ]
        if not children:
            return node
        best = max(children, key=lambda c: lengths[c][0])
        if lengths[best][0] < _REGION_SHARE * lengths[node][0]:
            return node
        node = best


def _description(page: _PageScores) -> list[Block]:
    """The page's title and the description in its head, when it gives one."""
    doc = page.doc
    for path in _DESCRIPTIONS:
        found = doc.xpath(path)
        text = _clean(str(found[0])) if found else ""
        if text and _HAS_WORD.search(text):
            break
    else:
        return []
    lang = page.page_lang
    blocks: list[Block] = []  # no locator: nothing on the page shows this text
    title = doc.find(".//title")
    heading = _clean(title.text_content()) if title is not None else ""
    if heading and _HAS_WORD.search(heading):
        blocks.append(Block(0, "heading", heading, lang, 1, ""))
    blocks.append(Block(len(blocks), "paragraph", text, lang, None, ""))
    return blocks


def never_silent(
    page: _PageScores,
    blocks: list[Block],
    read: Callable[[HtmlElement | None], list[Block]],
) -> list[Block]:
    """``blocks`` if they say something, else the first fallback that does (the module's
    docstring says which, in turn). ``page`` is the extractor that read ``blocks``; ``read``
    reads a region of its body (the whole body for None) minus navigation."""
    words = _words(blocks, _FEW_WORDS)
    if blocks and words >= _FEW_WORDS:
        return blocks
    region = _densest_region(page)
    for candidate in (region, None) if region is not page.body else (None,):
        found = read(candidate)
        if found and _words(found) >= max(1, _MUCH_MORE * words):
            return found
    if blocks:
        return blocks
    return _description(page)
