"""Listing and collection pages read as their items: a title and a summary each.

News lists, "find a clinic" lists, topic hubs, product grids and search results
hold their content in many small items rather than in one body of paragraphs,
so the main-content rules of :mod:`ttsservice.reading.scoring` (which look for
runs of paragraph text outside links) find little there, or read the item
titles as a menu and drop them. A listing is recognised by its structure, never
by its address: one parent with at least :data:`_MIN_ITEMS` children of the same
shape (tag and first class name), each holding a link and some text. The
largest such listing outside the page furniture is read item by item, each
item's title (its heading, else its first link) as a heading block and the rest
of its text (summary, date, price) as paragraphs, without "Read more" links.

:func:`find_listing` finds it; :func:`merge_listing` decides whether it is what
the page is about (it holds more text than the main-content rules found outside
it, and they did not already read it) and puts its items in the blocks in page
order, in place of what was read inside it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

from ttsservice.reading.model import Block
from ttsservice.reading.scoring import (
    _BLOCK_TAGS,
    _HAS_WORD,
    _HEADINGS,
    _NEVER_TAGS,
    _clean,
    _lang_of,
    _PageScores,
)

__all__ = ["Listing", "find_listing", "merge_listing"]

_MIN_ITEMS = 3  # same-shaped siblings that make a listing
_SAME_SHAPE_SHARE = 0.5  # of a parent's children the items must be (a list, not a page column)
_ITEM_MIN_CHARS = 12  # an item with less text is a link or an icon, not an entry
_ITEM_MAX_CHARS = 1000  # an item with more text is a section of the page, not an entry
_MIN_LISTING_CHARS = 150  # a listing holding less text is a menu or a pager
_OVER_READ = 1.0  # the listing is the content when it holds this much more than the rest read
_CONTENT_CHARS = 1000  # read from a root beside the listing: the page is about that text
_ALREADY_READ = 0.5  # of the items' text found in the blocks: the rules read the listing
_TEASER_CHARS = 300  # an item holding less on average is a teaser: read as an item even then
# Link texts that lead on to the item rather than say something about it.
_READ_MORE = re.compile(
    r"^\W*(?:(?:läs mer|läs hela|läs vidare|mer info(?:rmation)?|se mer|visa mer|read more|"
    r"read the full|continue reading|learn more|find out more|see more|view more|view details|"
    r"lire la suite|en savoir plus)\b.{0,40}|(?:mer|more|details|mehr|gå till|till sidan)\W*)$",
    re.IGNORECASE,
)
_ITEM_TAGS = frozenset(("li", "article", "div", "section", "a", "tr", "figure", "dl"))
"""Tags of list items and cards (not paragraphs: an article's paragraphs with a link each are
not a listing)."""
_SPACES = re.compile(r"\s+")
_ITEM_MARK = ".//h2|.//h3|.//h4|.//h5|.//h6|.//img|.//*[@role='heading']"
_ITEM_SKIP = frozenset(("button", "select", "input", "label", "form", "nav", "aside"))


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing found on a page: its parent element and its items in page order."""

    parent: HtmlElement
    items: tuple[HtmlElement, ...]
    chars: int
    """Characters of text the items hold."""


def _shape(el: HtmlElement) -> tuple[str, str]:
    classes = (el.get("class") or "").split()
    return (el.tag, classes[0] if classes else "")


def _entry(el: HtmlElement, lengths: dict[HtmlElement, tuple[int, int]]) -> bool:
    """Whether ``el`` has the shape of an entry: a link, and text of its own besides the link
    or a heading or a picture (a bare link is a menu's entry, not a listing's)."""
    chars, link_chars = lengths[el]
    if not _ITEM_MIN_CHARS <= chars <= _ITEM_MAX_CHARS:
        return False
    if not (el.tag == "a" and el.get("href") is not None) and not el.xpath(".//a[@href]"):
        return False
    return chars - link_chars >= _ITEM_MIN_CHARS or bool(el.xpath(_ITEM_MARK))


def find_listing(page: _PageScores) -> Listing | None:
    """The page's largest listing outside its furniture (navigation, header, footer, forms,
    hidden and boilerplate-named parts), or None when it has none.

    Its items hold the content root of the main-content rules nowhere (the root's wrappers
    repeat like items on some pages), nor a listing of their own (a page's columns of teaser
    lists are not items: their teasers are).
    """
    lengths = page.text_lengths  # hard-skipped elements (navigation, forms ...) have none
    found: list[Listing] = []
    stack: list[HtmlElement] = [page.body]
    while stack:
        el = stack.pop()
        children = [c for c in el if isinstance(c.tag, str)]
        groups: dict[tuple[str, str], list[HtmlElement]] = defaultdict(list)
        for child in children:
            chars = lengths.get(child, (0, 0))[0]
            if chars < _ITEM_MIN_CHARS or (
                chars < _MIN_LISTING_CHARS and child.tag not in _ITEM_TAGS
            ):
                continue  # too little text to hold a listing, and not the tag of an item
            if page._soft_skipped(child):
                continue
            if chars >= _MIN_LISTING_CHARS:
                stack.append(child)
            if child.tag in _ITEM_TAGS and child not in page.paths:
                groups[_shape(child)].append(child)
        for members in groups.values():
            if len(members) < _MIN_ITEMS or len(members) < _SAME_SHAPE_SHARE * len(children):
                continue
            items = [m for m in members if _entry(m, lengths)]
            if len(items) < _MIN_ITEMS or len(items) < 0.6 * len(members):
                continue
            chars = sum(lengths[m][0] for m in items)
            if chars >= _MIN_LISTING_CHARS:
                found.append(Listing(el, tuple(items), chars))
    holders = {a for listing in found for a in listing.parent.iterancestors()}
    holders.update(listing.parent for listing in found)
    listings = [f for f in found if not any(item in holders for item in f.items)]
    if not listings:
        return None
    best = max(listings, key=lambda f: f.chars)
    # A page of sections, each with its listing of the same cards (a recipe site's "top
    # rated", "chicken", "vegetarian"), is one listing read section by section.
    shape = _shape(best.items[0])
    alike = [f for f in listings if _shape(f.items[0]) == shape]
    if len(alike) == 1:
        return best
    order = {e: n for n, e in enumerate(page.body.iter())}
    items = sorted((i for f in alike for i in f.items), key=lambda i: order.get(i, 0))
    return Listing(best.parent, tuple(items), sum(f.chars for f in alike))


@dataclass(slots=True)
class _Piece:
    """A run of an item's text: what one block-level element or one link says."""

    owner: HtmlElement
    parts: list[str]
    heading: int | None
    link: bool


def _pieces(item: HtmlElement) -> list[_Piece]:
    """An item's text cut at block-level elements and links, in page order."""
    out: list[_Piece] = []

    def visit(el: HtmlElement, current: _Piece) -> _Piece:
        tag = el.tag
        if not isinstance(tag, str) or tag in _NEVER_TAGS or tag in _ITEM_SKIP:
            return current
        if tag == "br":
            current.parts.append(" ")
            return current
        if "hidden" in el.attrib or el.get("aria-hidden", "").lower() == "true":
            return current
        level = _HEADINGS.get(tag)
        if level is None and el.get("role") == "heading":
            level = 3
        own = current
        if tag in _BLOCK_TAGS or tag == "a" or level is not None:
            own = _Piece(el, [], level if level is not None else current.heading, tag == "a")
            out.append(own)
        if el.text:
            own.parts.append(el.text)
        for child in el:
            own = visit(child, own)
            if child.tail:
                own.parts.append(child.tail)
        if own is not current:
            # Text after a nested block or link belongs to the element around it again.
            rest = _Piece(current.owner, [], current.heading, current.link)
            out.append(rest)
            return rest
        return current

    top = _Piece(item, [], None, item.tag == "a")
    out.append(top)
    if item.text:
        top.parts.append(item.text)
    current = top
    for child in item:
        current = visit(child, current)
        if child.tail:
            current.parts.append(child.tail)
    return out


def _item_blocks(
    item: HtmlElement, lang: str, locate: Callable[[HtmlElement], str]
) -> Iterator[tuple[str, str, int | None, str, str]]:
    """(kind, text, level, lang, locator) of an item: its title, then the rest of its text."""
    pieces = [(p, _clean("".join(p.parts))) for p in _pieces(item)]
    pieces = [(p, t) for p, t in pieces if t and _HAS_WORD.search(t) and not _READ_MORE.match(t)]
    if not pieces:
        return
    title = next((pt for pt in pieces if pt[0].heading is not None), None)
    if title is None:
        title = next((pt for pt in pieces if pt[0].link), pieces[0])
    piece, text = title
    level = piece.heading if piece.heading is not None else 3
    yield "heading", text, level, _lang_at(piece.owner, lang), locate(piece.owner)
    said = {text.casefold()}
    for piece, text in pieces:  # the rest in page order (a date or a rating may come first)
        if piece is title[0] or text.casefold() in said:
            continue  # cards repeat their title in a link around the picture
        said.add(text.casefold())
        yield "paragraph", text, None, _lang_at(piece.owner, lang), locate(piece.owner)


def _lang_at(el: HtmlElement, page_lang: str) -> str:
    for node in (el, *el.iterancestors()):
        lang = _lang_of(node.get("lang"))
        if lang:
            return lang
    return page_lang


def merge_listing(
    page: _PageScores,
    blocks: list[Block],
    owners: list[HtmlElement],
    locate: Callable[[HtmlElement], str],
) -> list[Block] | None:
    """The blocks with the page's listing read as its items, or None to keep them as they are.

    ``owners`` are the elements the blocks were read from. The listing is read when it holds
    more text than the blocks outside its items and the blocks do not already say most of
    it; the blocks outside its items keep their places, those inside give way to the items.
    """
    listing = find_listing(page)
    if listing is None:
        return None
    items = set(listing.items)
    inside = [any(a in items for a in (o, *o.iterancestors())) for o in owners]
    outside_chars = sum(len(b.text) for b, i in zip(blocks, inside, strict=True) if not i)
    if listing.chars < _OVER_READ * outside_chars:
        return None
    root = page.root
    if (
        outside_chars >= _CONTENT_CHARS
        and root is not None
        and root not in set(listing.parent.iterancestors())
        and root is not listing.parent
    ):
        return None  # the page's text is elsewhere: this is its "more stories" box
    entries = [list(_item_blocks(item, page.page_lang, locate)) for item in listing.items]
    # Compared without spaces: the walk and the items may cut and join text differently.
    said = _SPACES.sub("", "".join(b.text for b in blocks).casefold())
    texts = [_SPACES.sub("", text.casefold()) for entry in entries for _, text, *_ in entry]
    total = sum(len(text) for text in texts)
    known = sum(len(text) for text in texts if text in said)
    short = listing.chars <= _TEASER_CHARS * len(listing.items)
    if not total or (known >= _ALREADY_READ * total and not short):
        return None  # read already, and its entries are posts or sections rather than teasers
    order = {e: n for n, e in enumerate(page.body.iter())}
    placed = [(order.get(o, 0), b) for b, o, i in zip(blocks, owners, inside, strict=True) if not i]
    for item, entry in zip(listing.items, entries, strict=True):
        at = order.get(item, 0)
        placed.extend(
            (at, Block(0, kind, text, lang, level, locator))
            for kind, text, level, lang, locator in entry
        )
    placed.sort(key=lambda p: p[0])  # stable: an item's blocks keep their order
    return [Block(n, b.kind, b.text, b.lang, b.level, b.locator) for n, (_, b) in enumerate(placed)]
