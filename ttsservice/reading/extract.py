"""Main-content extraction: from an HTML string to a :class:`Reading`.

:func:`extract_reading` is pure and synchronous; the service runs it in the CPU
executor. It works in three steps on one parsed tree (the tree is never
changed, so locators point at the page as served):

1. score every element by the paragraph text it holds (runs of 25+ characters
   outside links), then find the content root: the configured selector, else
   ``main``, ``[role=main]``, ``article`` (a landmark must hold a quarter of the
   paragraph text, so a row of teaser cards is not taken for the content), else
   the element that holds most of the paragraph text (a descent from ``body``);
2. walk the tree in document order, skipping what a reader would not want read
   (navigation, page header and footer, forms, dialogs and cookie banners,
   hidden elements, ``.rs_skip`` and ``[data-tts-skip]``, configured
   selectors, link lists, teaser cards, boilerplate by class or id name);
   ``[data-tts-read]`` forces an element in, wherever it is. Rules that guess
   (hidden elements, page furniture names such as ``sidebar``) give way when the
   element holds most of the page's text: some pages hide everything until their
   scripts run, some wrap their article in a box named like furniture;
3. cut the text into blocks (headings, paragraphs, list items, table rows,
   captions, quotes, image descriptions), each with its language and a CSS
   path locator, and drop what is noise when heard: runs of link-only blocks,
   repeated captions, bare URLs, date and byline lines, widget labels.

The tree is built by libxml2 through lxml's HTML parser rather than through
BeautifulSoup's tree builder: the result is the same tree, but BeautifulSoup's
builder alone takes longer than a whole extraction here, and pages are parsed
on every read. BeautifulSoup's encoding detector decodes fetched bytes
(:mod:`ttsservice.reading.fetch`).

The rules and thresholds, the scores and the skip rules (step 1) are in
:mod:`ttsservice.reading.scoring`; the walk and the blocks (steps 2 and 3) here.
Then a listing page is read as its items (:mod:`ttsservice.reading.listing`), and a
reading of next to nothing gives way to the fallbacks of
:mod:`ttsservice.reading.fallback`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from ttsservice.reading.fallback import never_silent
from ttsservice.reading.listing import merge_listing
from ttsservice.reading.model import Block, ExtractOptions, Reading
from ttsservice.reading.modified import page_modified
from ttsservice.reading.passages import CLOSE, open_marker, split_passages
from ttsservice.reading.scoring import (
    _BARE_URL,
    _BLOCK_TAGS,
    _BOILERPLATE_LINE,
    _BYLINE,
    _CONSENT_NOTICE,
    _CSS_IDENT,
    _CSS_TAG,
    _DECORATIVE_ALT,
    _FILENAME,
    _HAS_WORD,
    _HEADINGS,
    _ICON_PIXELS,
    _LETTER,
    _LINK_LIST_TAGS,
    _LINK_RUN,
    _LINKED_BLOCK,
    _REPEAT_MIN,
    _REPEAT_PARAGRAPH_MIN,
    _SECTIONING,
    _UI_LINE,
    _XML_DECL,
    _clean,
    _dateline,
    _Flow,
    _lang_of,
    _PageScores,
    compile_selector,
)

__all__ = ["compile_selector", "extract_reading", "extract_text"]


_FALLBACK_BLOCKS = ("p", "li", "dd", "dt", "blockquote", "td", "th", "div", *_HEADINGS)
_FALLBACK_SKIP = frozenset(("script", "style", "noscript", "template", "button"))
# Skipped unless they hold most of the page (a whole page in one <form>, as ASP.NET lays it
# out, or inside an unclosed <nav>).
_FALLBACK_SKIP_SMALL = frozenset(("nav", "header", "footer", "form", "aside"))


def _parse(html: str) -> HtmlElement | None:
    """The document element, or None when there is nothing to parse."""
    text = _XML_DECL.sub("", html, count=1).replace("\x00", "")
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    return root if isinstance(root, HtmlElement) else None


class _Extractor(_PageScores):
    """One extraction: the parsed page, the chosen root and the blocks found so far."""

    # ---------------------------------------------------------------- walking

    def run(self) -> list[Block]:
        lang = _lang_of(
            self.doc.get("lang") or self.doc.get("{http://www.w3.org/XML/1998/namespace}lang")
        )
        self.page_lang = lang or self.options.default_lang
        self._visit(self.body, None, emit=False, sectioned=False, quote=False, lang=self.page_lang)
        return self._without_link_runs()

    def _visit(
        self,
        el: HtmlElement,
        flow: _Flow | None,
        *,
        emit: bool,
        sectioned: bool,
        quote: bool,
        lang: str,
    ) -> None:
        """Read ``el``: as part of ``flow`` if inline, else as a block of its own."""
        tag = el.tag
        outer_lang, lang = lang, _lang_of(el.get("lang")) or lang
        if el in self.forced:
            if not emit:
                flow = None
            emit = True
        elif el is self.root:
            emit = True
            flow = None
        elif emit and (
            self._skipped(el, sectioned)
            or (
                tag in _LINK_LIST_TAGS
                and el not in self.paths
                and (self._link_list(el) or self._teaser_list(el))
            )
        ):
            emit = False
        if not emit:
            if el in self.paths:
                for child in el:
                    if isinstance(child.tag, str):
                        self._visit(
                            child,
                            None,
                            emit=False,
                            sectioned=sectioned or tag in _SECTIONING,
                            quote=quote,
                            lang=lang,
                        )
            return
        sectioned = sectioned or tag in _SECTIONING
        if tag == "br":
            if flow is not None:
                flow.parts.append(" ")
            return
        if tag == "img":
            self._image(el, flow, lang)
            return
        if flow is not None and tag not in _BLOCK_TAGS:
            if lang != outer_lang:  # a passage in another language (see reading.passages)
                flow.parts.append(open_marker(lang))
            if tag == "a":
                before = len(flow.parts)
                self._children(el, flow, sectioned=sectioned, quote=quote, lang=lang)
                flow.link_chars += sum(len(p) for p in flow.parts[before:])
            else:
                self._children(el, flow, sectioned=sectioned, quote=quote, lang=lang)
            if lang != outer_lang:
                flow.parts.append(CLOSE)
            return
        if flow is not None:
            self._flush(flow)
        if tag == "table" and not self._layout_table(el):
            self._table(el, sectioned=sectioned, lang=lang)
            return
        if tag in _HEADINGS:
            own = _Flow(el, "heading", _HEADINGS[tag], lang)
        elif tag == "li":
            own = _Flow(el, "list_item", None, lang)
        elif tag in ("figcaption", "caption"):
            own = _Flow(el, "caption", None, lang)
        elif tag == "blockquote" or quote:
            quote = True
            own = _Flow(el, "quote", None, lang)
        elif el.get("role") == "heading":
            level = el.get("aria-level", "2")
            own = _Flow(el, "heading", int(level) if level.isdigit() else 2, lang)
        else:
            own = _Flow(el, "paragraph", None, lang)
        self._children(el, own, sectioned=sectioned, quote=quote, lang=lang)
        self._flush(own)
        if flow is not None:
            flow.parts.clear()

    def _children(
        self, el: HtmlElement, flow: _Flow, *, sectioned: bool, quote: bool, lang: str
    ) -> None:
        if el.text:
            flow.parts.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self._visit(child, flow, emit=True, sectioned=sectioned, quote=quote, lang=lang)
            if child.tail:
                flow.parts.append(child.tail)

    def _image(self, el: HtmlElement, flow: _Flow | None, lang: str) -> None:
        if not self.options.read_image_alt or el.get("role") in ("presentation", "none"):
            return
        alt = _clean(el.get("alt") or "")
        if not alt or _FILENAME.match(alt) or len(alt) < 3 or _DECORATIVE_ALT.search(alt):
            return
        for size in (el.get("width"), el.get("height")):
            if size and size.strip().isdigit() and int(size) < _ICON_PIXELS:
                return  # icons, spacers and tracking pixels
        for ancestor in el.iterancestors():
            if ancestor.tag == "a":
                return  # a link's image names the link, not the content
            if ancestor.tag == "figure":
                if ancestor.find(".//figcaption") is not None:
                    return  # the caption says it
                break
        if flow is not None:
            self._flush(flow)
        self._add(el, "image_alt", alt, None, lang)

    def _layout_table(self, table: HtmlElement) -> bool:
        """A table used for page layout: its cells hold blocks, not values."""
        return bool(
            table.xpath(
                ".//td//table|.//td//p|.//td//div|.//td//ul|.//td//h1|.//td//h2|.//td//h3"
                "|.//th//p|.//th//div"
            )
        )

    def _table(self, table: HtmlElement, *, sectioned: bool, lang: str) -> None:
        for el in table.iter("caption", "tr"):
            if any(self._skipped(a, sectioned) for a in self._between(el, table)):
                continue
            if el.tag == "caption":
                own = _Flow(el, "caption", None, lang)
                self._children(el, own, sectioned=sectioned, quote=False, lang=lang)
                self._flush(own)
                continue
            cells: list[str] = []
            for cell in el:
                if cell.tag not in ("td", "th") or self._skipped(cell, sectioned):
                    continue
                cell_lang = _lang_of(cell.get("lang")) or lang
                sub = _Flow(cell, "table_row", None, cell_lang)
                self._children(cell, sub, sectioned=sectioned, quote=False, lang=cell_lang)
                text = _clean("".join(sub.parts))
                if text and cell_lang != lang:
                    text = f"{open_marker(cell_lang)}{text}{CLOSE}"
                if text:
                    cells.append(text)
            if cells:
                self._add(el, "table_row", ", ".join(cells), None, lang)

    @staticmethod
    def _between(el: HtmlElement, top: HtmlElement) -> Iterable[HtmlElement]:
        yield el
        for ancestor in el.iterancestors():
            if ancestor is top:
                return
            yield ancestor

    def _flush(self, flow: _Flow) -> None:
        raw = "".join(flow.parts)
        linked = bool(raw.strip()) and flow.link_chars >= _LINKED_BLOCK * len(raw.strip())
        flow.parts.clear()
        flow.link_chars = 0
        self._add(flow.owner, flow.kind, _clean(raw), flow.level, flow.lang, linked=linked)

    def _add(
        self,
        el: HtmlElement,
        kind: str,
        text: str,
        level: int | None,
        lang: str,
        *,
        linked: bool = False,
    ) -> None:
        text, passages = split_passages(text, lang)
        if not text or not _HAS_WORD.search(text):
            return
        if kind == "paragraph" and len(text) < 12 and not _LETTER.search(text):
            return  # slide counters and stray numbers
        if len(text) < 250 and _CONSENT_NOTICE.search(text):
            return
        if len(text) < 100 and (_BOILERPLATE_LINE.match(text) or _UI_LINE.match(text)):
            return
        if _BARE_URL.match(text):
            return  # an address spelled out is noise when read aloud
        if len(text) < 60 and kind == "paragraph" and (_BYLINE.match(text) or _dateline(text)):
            return
        if kind in ("caption", "image_alt", "paragraph") and len(text) >= _REPEAT_MIN:
            if text in self.seen:
                return  # galleries and sliders repeat their captions
            if kind != "paragraph" or len(text) >= _REPEAT_PARAGRAPH_MIN:
                self.seen.add(text)
        self.blocks.append(
            Block(len(self.blocks), kind, text, lang, level, self._locator(el), passages)
        )
        self.linked.append(linked)
        self.owners.append(el)

    def fallback(self, region: HtmlElement | None = None) -> list[Block]:
        """The body (or ``region`` of it) minus navigation, one block per text-bearing element:
        read when the main-content rules found (next to) nothing, so that a page with text is
        never read as silence (see :mod:`ttsservice.reading.fallback`)."""
        self.blocks, self.linked, self.owners, self.seen = [], [], [], set()
        order = {e: i for i, e in enumerate(self.body.iter())}
        found: list[tuple[int, HtmlElement, str]] = []
        half = len(self.body.text_content()) / 2
        skip = set(self.selected_skip)
        skip.update(e for e in self.body.iter(*_FALLBACK_SKIP))
        skip.update(
            e for e in self.body.iter(*_FALLBACK_SKIP_SMALL) if len(e.text_content()) < half
        )
        for el in (self.body if region is None else region).iter(*_FALLBACK_BLOCKS):
            if any(a in skip or self._hidden(a) for a in (el, *el.iterancestors())):
                continue
            at, text = self._own_text(el)
            found.append((order.get(at, order[el]), el, _clean(text)))
        for _, el, text in sorted(found, key=lambda f: f[0]):
            if el.tag in _HEADINGS:
                self._add(el, "heading", text, _HEADINGS[el.tag], self.page_lang)
            else:
                self._add(el, "paragraph", text, None, self.page_lang)
        return self.blocks

    @staticmethod
    def _own_text(div: HtmlElement) -> tuple[HtmlElement, str]:
        """An element's text outside the blocks inside it (those are read on their own), and the
        element where that text starts."""
        parts = [div.text or ""]
        start = div if (div.text or "").strip() else None
        for child in div:
            inner = isinstance(child.tag, str) and (
                child.tag in _FALLBACK_BLOCKS
                or any(isinstance(c.tag, str) and c.tag in _FALLBACK_BLOCKS for c in child.iter())
            )
            if not inner and isinstance(child.tag, str):
                text = child.text_content()
                if start is None and text.strip():
                    start = child
                parts.append(text)
            if start is None and (child.tail or "").strip():
                start = child
            parts.append(child.tail or "")
        return (start if start is not None else div), " ".join(parts)

    def _without_link_runs(self) -> list[Block]:
        """The blocks without runs of link-only blocks (menus, teaser lists, tag clouds); a
        lone link, like "Read more on …", stays."""
        keep = [True] * len(self.blocks)
        start = 0
        while start < len(self.blocks):
            end = start
            while end < len(self.blocks) and self.linked[end]:
                end += 1
            if end - start >= _LINK_RUN:
                keep[start:end] = [False] * (end - start)
            start = end + 1
        kept = [b for b, k in zip(self.blocks, keep, strict=True) if k]
        self.owners = [o for o, k in zip(self.owners, keep, strict=True) if k]
        return [dataclasses.replace(b, index=i) for i, b in enumerate(kept)]

    # ---------------------------------------------------------------- locators

    def _locator(self, el: HtmlElement) -> str:
        """A CSS selector for ``el`` on the live page (ids where unique, else nth-of-type)."""
        chain: list[HtmlElement] = []
        node: HtmlElement | None = el
        prefix = ""
        while node is not None:
            cached = self.path_cache.get(node)
            if cached is not None:
                prefix = cached
                break
            ident = node.get("id")
            if ident and _CSS_IDENT.match(ident) and self.id_counts[ident] == 1:
                prefix = self.path_cache[node] = f"#{ident}"
                break
            if node.tag in ("html", "body") or node.getparent() is None:
                prefix = self.path_cache[node] = node.tag if node.tag in ("html", "body") else "*"
                break
            chain.append(node)
            node = node.getparent()
        for node in reversed(chain):
            parent = node.getparent()
            prefix = f"{prefix} > {self._step(parent, node)}"
            self.path_cache[node] = prefix
        return prefix

    def _step(self, parent: HtmlElement, node: HtmlElement) -> str:
        """The selector step from ``parent`` to its child ``node`` (siblings counted once)."""
        steps = self.step_cache.get(parent)
        if steps is None:
            steps = self.step_cache[parent] = {}
            counts = Counter(c.tag for c in parent if isinstance(c.tag, str))
            seen: Counter[str] = Counter()
            for position, child in enumerate((c for c in parent if isinstance(c.tag, str)), 1):
                tag = child.tag
                seen[tag] += 1
                if not _CSS_TAG.match(tag):
                    step = f"*:nth-child({position})"
                elif counts[tag] == 1:
                    step = tag
                else:
                    step = f"{tag}:nth-of-type({seen[tag]})"
                if tag == "tr" and parent.tag == "table":
                    step = "tbody > " + step  # browsers wrap bare rows in a tbody
                steps[child] = step
        return steps[node]

    def title(self) -> str:
        for block in self.blocks:
            if block.kind == "heading" and block.level == 1:
                return block.text
        og = self.doc.xpath("//meta[@property='og:title']/@content")
        if og and _clean(str(og[0])):
            return _clean(str(og[0]))
        title = self.doc.find(".//title")
        if title is not None:
            return _clean(title.text_content())
        return ""


def extract_reading(
    html: str, base_url: str | None = None, options: ExtractOptions | None = None
) -> Reading:
    """Extract the readable content of an HTML page.

    ``html`` is the page as text (decode bytes first, e.g. with the fetcher's
    charset rules); ``base_url`` is recorded as the reading's URL; ``options``
    default to :class:`ExtractOptions` ``()``. Never raises on bad HTML:
    garbage, empty pages and pages without text give a reading with no blocks.
    A ValueError means a configured selector is not valid CSS.
    """
    options = options or ExtractOptions()
    doc = _parse(html)
    if doc is None:
        return Reading(url=base_url, title="", lang=options.default_lang, blocks=())
    extractor = _Extractor(doc, options)
    blocks = extractor.run()
    listed = merge_listing(extractor, blocks, extractor.owners, extractor._locator)
    if listed is not None:
        blocks = listed
    blocks = never_silent(extractor, blocks, extractor.fallback)
    return Reading(
        url=base_url,
        title=extractor.title(),
        lang=extractor.page_lang,
        blocks=tuple(blocks),
        modified=page_modified(doc),
    )


def extract_text(html: str) -> str:
    """The readable text of ``html``, one block per paragraph (for scorers and the CLI)."""
    return extract_reading(html).text
