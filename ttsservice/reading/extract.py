"""Main-content extraction: from an HTML string to a :class:`Reading`.

:func:`extract_reading` is pure and synchronous; the service runs it in the CPU
executor. It works in three steps on one parsed tree (the tree is never
changed, so locators point at the page as served):

1. find the content root: the configured selector, else ``main``,
   ``[role=main]``, ``article``, else the element that holds most of the page's
   paragraph text (a text-density descent from ``body``);
2. walk the tree in document order, skipping what a reader would not want read
   (navigation, page header and footer, forms, dialogs and cookie banners,
   hidden elements, ``.rs_skip`` and ``[data-tts-skip]``, configured
   selectors, link lists, boilerplate by class name); ``[data-tts-read]``
   forces an element in, wherever it is;
3. cut the text into blocks (headings, paragraphs, list items, table rows,
   captions, quotes, image descriptions), each with its language and a CSS
   path locator.

The tree is built by libxml2 through lxml's HTML parser rather than through
BeautifulSoup's tree builder: the result is the same tree, but BeautifulSoup's
builder alone takes longer than a whole extraction here, and pages are parsed
on every read. BeautifulSoup's encoding detector decodes fetched bytes
(:mod:`ttsservice.reading.fetch`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from ttsservice.reading.model import Block, ExtractOptions, Reading

__all__ = ["compile_selector", "extract_reading", "extract_text"]


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Never read, wherever they are (no text a reader sees, or controls).
_NEVER_TAGS = _set(
    "head script style noscript template svg math iframe frame frameset object embed "
    "applet canvas video audio source track map area button input select option "
    "optgroup textarea datalist output progress meter dialog nav label"
)
_SKIP_ROLES = _set(
    "navigation banner contentinfo search dialog alertdialog menu menubar toolbar tablist tooltip"
)
# Block-level elements: they end the running paragraph of their parent.
_BLOCK_TAGS = _set(
    "address article aside blockquote body center dd details dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu ol p "
    "pre section summary table tbody thead tfoot tr td th caption ul html"
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SECTIONING = frozenset(("article", "main", "section", "aside", "nav", "dialog"))
# Containers whose text is dropped when it is mostly link text (menus, tag and link lists).
_LINK_LIST_TAGS = frozenset(("ul", "ol", "dl", "div", "section", "table", "menu", "p"))

# Class or id words that mark boilerplate (compared with whole words of the attribute).
_BOILERPLATE_WORDS = _set(
    "nav navbar navigation menu breadcrumb breadcrumbs sidebar share sharing social "
    "related newsletter subscribe subscription signup promo advert advertisement ads ad "
    "sponsor sponsored cookie cookies consent gdpr popup modal footer masthead byline "
    "meta pagination pager skip readspeaker feedback rating toolbar disqus comments "
    "author"
)
# Class or id fragments that mark boilerplate wherever they appear in the attribute.
_BOILERPLATE_PARTS = (
    "cookie",
    "consent",
    "gdpr",
    "breadcrumb",
    "readspeaker",
    "read-aloud",
    "readaloud",
    "rsbtn",
    "newsletter",
    "visually-hidden",
    "visuallyhidden",
    "sr-only",
    "screen-reader",
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_HAS_WORD = re.compile(r"[^\W_]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONSENT_NOTICE = re.compile(
    r"(kräver|requires?|need).{0,80}(cookie|kakor)|"
    r"(accepter|godkän|samtyck|accept|consent).{0,60}(cookie|kakor)",
    re.IGNORECASE,
)
_FILENAME = re.compile(r"^\S+\.(jpe?g|png|gif|webp|svg|avif|bmp)$", re.IGNORECASE)
_LANG = re.compile(r"^([A-Za-z]{2,8})(?:[-_].*)?$")
_CSS_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_CSS_TAG = re.compile(r"^[a-z][a-z0-9-]*$")


def compile_selector(selector: str) -> CSSSelector:
    """Compile a CSS selector for the extractor; ValueError names a selector that is not CSS."""
    try:
        return CSSSelector(selector)
    except (SelectorError, lxml.etree.XPathError) as exc:
        raise ValueError(f"not a CSS selector: {selector!r} ({exc})") from None


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


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_INVISIBLE)).strip()


def _lang_of(value: str | None) -> str | None:
    if not value:
        return None
    m = _LANG.match(value.strip())
    return m.group(1).lower() if m else None


def _words(el: HtmlElement) -> tuple[set[str], str]:
    """The class and id of ``el`` as a set of lower-case words, and as one string."""
    raw = (el.get("class") or "") + " " + (el.get("id") or "")
    low = raw.lower()
    return set(_WORD_SPLIT.split(low)), low


@dataclass(slots=True)
class _Flow:
    """Inline text collected for one block-level element until the next block starts."""

    owner: HtmlElement
    kind: str
    level: int | None
    lang: str
    parts: list[str] = field(default_factory=list)


class _Extractor:
    """One extraction: the parsed page, the chosen root and the blocks found so far."""

    def __init__(self, doc: HtmlElement, options: ExtractOptions) -> None:
        self.doc = doc
        self.options = options
        self.blocks: list[Block] = []
        self.selected_skip: set[HtmlElement] = set()
        for selector in options.skip_selectors:
            self.selected_skip.update(compile_selector(selector)(doc))
        self.forced: set[HtmlElement] = set(doc.xpath("//*[@data-tts-read]"))
        self.id_counts = Counter(doc.xpath("//@id"))
        self.link_text: dict[HtmlElement, tuple[int, int]] = {}
        self.body = self._body()
        self.root = self._content_root()
        # Elements to walk into while not yet reading: ancestors of the root and of forced ones.
        self.paths: set[HtmlElement] = set()
        for target in [self.root, *self.forced]:
            if target is None:
                continue
            self.paths.update(target.iterancestors())
            self.paths.add(target)
        self.path_cache: dict[HtmlElement, str] = {}

    # ---------------------------------------------------------------- finding the root

    def _body(self) -> HtmlElement:
        body = self.doc.find("body")
        return body if body is not None else self.doc

    def _content_root(self) -> HtmlElement | None:
        doc = self.doc
        if self.options.content_selector:
            found = compile_selector(self.options.content_selector)(doc)
            if found:
                return found[0]
        for path in ("//main", "//*[@role='main']"):
            candidates = [e for e in doc.xpath(path) if not self._hidden(e)]
            if candidates:
                return max(candidates, key=self._text_len)
        articles = [e for e in doc.xpath("//article") if not self._hidden(e)]
        if articles:
            best = max(articles, key=self._text_len)
            total = sum(self._text_len(a) for a in articles)
            if len(articles) == 1 or self._text_len(best) >= 0.6 * total:
                return best
            return self._common_ancestor(articles)
        return self._densest(self.body)

    def _hidden(self, el: HtmlElement) -> bool:
        return "hidden" in el.attrib or el.get("aria-hidden", "").lower() == "true"

    def _text_len(self, el: HtmlElement) -> int:
        return len(_clean(el.text_content()))

    @staticmethod
    def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
        chain = [elements[0], *elements[0].iterancestors()]
        others = [{e, *e.iterancestors()} for e in elements[1:]]
        for candidate in chain:
            if all(candidate in o for o in others):
                return candidate
        return chain[-1]

    def _densest(self, body: HtmlElement) -> HtmlElement:
        """Descend from ``body`` while one child holds most of the paragraph text."""
        scores: dict[HtmlElement, int] = {}
        self._score(body, scores, sectioned=False)
        node = body
        while True:
            total = scores.get(node, 0)
            if total <= 0:
                return node
            best = max(
                (c for c in node if isinstance(c.tag, str)),
                key=lambda c: scores.get(c, 0),
                default=None,
            )
            if best is None or scores.get(best, 0) < 0.7 * total:
                return node
            node = best

    def _score(self, el: HtmlElement, scores: dict[HtmlElement, int], sectioned: bool) -> int:
        """Paragraph text (runs of 25+ characters outside links) under ``el``."""
        total = 0
        text = el.text
        if text and el.tag != "a":
            n = len(text.strip())
            if n >= 25:
                total += n
        sectioned = sectioned or el.tag in _SECTIONING
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if not self._skipped(child, sectioned):
                total += self._score(child, scores, sectioned)
            tail = child.tail
            if tail and el.tag != "a":
                n = len(tail.strip())
                if n >= 25:
                    total += n
        scores[el] = total
        return total

    # ---------------------------------------------------------------- skip rules

    def _skipped(self, el: HtmlElement, sectioned: bool) -> bool:
        """Whether ``el`` (and all it holds) is left unread by the rules."""
        tag = el.tag
        if tag in _NEVER_TAGS:
            return True
        attrib = el.attrib
        if "hidden" in attrib or "data-tts-skip" in attrib:
            return True
        if attrib.get("aria-hidden", "").strip().lower() == "true":
            return True
        style = attrib.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
        role = attrib.get("role")
        if role and role.strip().lower() in _SKIP_ROLES:
            return True
        if role == "complementary" and not self.options.read_asides:
            return True
        if el in self.selected_skip:
            return True
        if tag == "aside" and not self.options.read_asides:
            return True
        if tag in ("header", "footer") and not sectioned:
            return True
        if tag == "form" and len(el.xpath(".//p|.//article|.//main")) < 3:
            return True
        if "class" in attrib or "id" in attrib:
            words, low = _words(el)
            if "rs" in words and "rs_skip" in low.split():
                return True
            if tag not in ("html", "body", "main", "article") and (
                words & _BOILERPLATE_WORDS or any(p in low for p in _BOILERPLATE_PARTS)
            ):
                # A wrapper of the whole content is not boilerplate, whatever its class says.
                return not el.xpath(".//h1|.//main|.//article")
        return False

    def _link_list(self, el: HtmlElement) -> bool:
        """A container whose text is mostly link text (a menu, tag list, related links)."""
        text = _clean(el.text_content())
        if not text:
            return False
        links = 0
        count = 0
        for a in el.iter("a"):
            links += len(_clean(a.text_content()))
            count += 1
        if el.tag == "p":
            return count >= 3 and links >= 0.8 * len(text)
        return count >= 2 and links >= 0.5 * len(text)

    # ---------------------------------------------------------------- walking

    def run(self) -> list[Block]:
        lang = _lang_of(
            self.doc.get("lang") or self.doc.get("{http://www.w3.org/XML/1998/namespace}lang")
        )
        self.page_lang = lang or self.options.default_lang
        self._visit(self.body, None, emit=False, sectioned=False, quote=False, lang=self.page_lang)
        return self.blocks

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
        lang = _lang_of(el.get("lang")) or lang
        if el in self.forced:
            if not emit:
                flow = None
            emit = True
        elif el is self.root:
            emit = True
            flow = None
        elif emit and (
            self._skipped(el, sectioned)
            or (tag in _LINK_LIST_TAGS and el not in self.paths and self._link_list(el))
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
            self._children(el, flow, sectioned=sectioned, quote=quote, lang=lang)
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
        if not alt or _FILENAME.match(alt) or len(alt) < 3:
            return
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
                sub = _Flow(cell, "table_row", None, lang)
                self._children(cell, sub, sectioned=sectioned, quote=False, lang=lang)
                text = _clean("".join(sub.parts))
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
        text = _clean("".join(flow.parts))
        flow.parts.clear()
        self._add(flow.owner, flow.kind, text, flow.level, flow.lang)

    def _add(self, el: HtmlElement, kind: str, text: str, level: int | None, lang: str) -> None:
        if not text or not _HAS_WORD.search(text):
            return
        if len(text) < 250 and _CONSENT_NOTICE.search(text):
            return
        self.blocks.append(Block(len(self.blocks), kind, text, lang, level, self._locator(el)))

    # ---------------------------------------------------------------- locators

    def _locator(self, el: HtmlElement) -> str:
        """A CSS selector for ``el`` on the live page (ids where unique, else nth-of-type)."""
        cached = self.path_cache.get(el)
        if cached is not None:
            return cached
        steps: list[str] = []
        node: HtmlElement | None = el
        while node is not None:
            tag = node.tag
            ident = node.get("id")
            if ident and _CSS_IDENT.match(ident) and self.id_counts[ident] == 1:
                steps.append(f"#{ident}")
                break
            if tag in ("html", "body"):
                steps.append(tag)
                break
            parent = node.getparent()
            if parent is None:
                steps.append(tag if _CSS_TAG.match(tag) else "*")
                break
            if _CSS_TAG.match(tag):
                same = [s for s in parent if s.tag == tag]
                step = tag if len(same) == 1 else f"{tag}:nth-of-type({same.index(node) + 1})"
            else:
                kids = [s for s in parent if isinstance(s.tag, str)]
                step = f"*:nth-child({kids.index(node) + 1})"
            steps.append(step)
            if tag == "tr" and parent.tag == "table":
                steps.append("tbody")  # browsers wrap bare rows in a tbody
            node = parent
        path = " > ".join(reversed(steps))
        self.path_cache[el] = path
        return path

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
    return Reading(
        url=base_url, title=extractor.title(), lang=extractor.page_lang, blocks=tuple(blocks)
    )


def extract_text(html: str) -> str:
    """The readable text of ``html``, one block per paragraph (for scorers and the CLI)."""
    return extract_reading(html).text
