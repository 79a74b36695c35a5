"""Extraction, step 1: the rules and thresholds, and a parsed page scored.

:class:`_PageScores` finds where the page's paragraph text is, its content root
and what a reader would not want read; :mod:`ttsservice.reading.extract` walks
the page with it (steps 2 and 3).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from ttsservice.reading.model import Block, ExtractOptions


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
_BOILERPLATE = re.compile(
    r"(?<![a-z0-9])(?:comments|commentlist|comment-list|respond|disqus|share|sharing|social|"
    r"related|newsletter|subscribe|subscription|signup|popup|modal|skiplinks?|skipnav|"
    r"breadcrumbs?|feedback|brodsmulor|brodsmula|kakor|dela|relaterat|relaterade|tipsa)(?![a-z0-9])|"
    r"cookie|consent|gdpr|breadcrumb|readspeaker|read-aloud|readaloud|rsbtn|newsletter|signup|"
    r"visually-?hidden|sr-only|screen-reader|skip-link|skip-to|skip-nav"
)
"""Class or id words and fragments that mark boilerplate (unless it wraps the heading)."""
_LAYOUT_BOILERPLATE = re.compile(
    r"(?<![a-z0-9])(?:nav|navbar|navigation|menu|sidebar|footer|masthead|toolbar|pagination|"
    r"pager|sidfot|sidhuvud|meny|navigering)(?![a-z0-9])"
)
"""Class or id words of page furniture, sometimes used for layout wrappers of the content."""
_WEAK_BOILERPLATE = re.compile(
    r"(?<![a-z0-9])(?:promo|advert|advertisement|ads|ad|sponsor|sponsored|byline|meta|author|"
    r"rating)(?![a-z0-9])"
)
"""Class or id words that often, not always, mark boilerplate."""
_LINKED_BLOCK = 0.8  # of a block's text in links: the block is a link
_LINK_RUN = 3  # consecutive link blocks make a link list
_BOILERPLATE_LINE = re.compile(
    r"(share|dela|tweet|follow us|följ oss|print|skriv ut|email|e-post|advertisement|annons|"
    r"published|updated|posted|publicerad|uppdaterad|senast uppdaterad|back to top|"
    r"till toppen|scroll back to top|you may also like|related articles|relaterade|"
    r"sidansvarig|granskad|lyssna|tipsa|hittade du|var (den här )?sidan|hjälpte (den|sidan)|"
    r"click here|sign up|subscribe|chat with us|also read|don't miss|recommended|läs också)\b|"
    r"(read more|related|see also|citation|more on this|läs mer|relaterat|se även):",
    re.IGNORECASE,
)
"""Short blocks starting like this are page furniture, not content."""
_ARTICLE_BODY_SHARE = 0.3  # of the paragraph text in one element's <p> children: an article
_TEASERS = 3  # cards that make a teaser list
_TEASER_CHARS = 300  # a card holds less text than this
_TEASER_ARTICLE_CHARS = 1000  # an <article> card (heading and excerpt) less than this
_CARD_TAGS = frozenset(("div", "li", "article", "section"))
_CARD_MARK = ".//h2|.//h3|.//h4|.//h5|.//h6|.//img"
_UI_LINE = re.compile(
    r"(caption|close|stäng|advert|video|comments?|comments \(\+\)|kommentarer|loading\W*|"
    r"like this:?|like loading\W*|leave a (reply|comment)|lämna en kommentar|back to gallery|"
    r"continue reading.*|image copyright.*|media playback is unsupported.*|explore further)$",
    re.IGNORECASE,
)
"""Whole blocks that are labels of page widgets."""
_BARE_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_BYLINE = re.compile(
    r"^(by|av)\s+\S+(\s+\S+){0,3}$|^\([^()]*\)$|^(photo|foto|bild|image|credit)s?\s*:",
    re.IGNORECASE,
)
"""Short author lines ("By Jane Doe", "Av Anna Svensson") and photo credits."""
_DATE_WORDS = _set(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june "
    "july august september october november december januari februari mars maj juni juli "
    "augusti oktober mon tue wed thu fri sat sun monday tuesday wednesday thursday friday "
    "saturday sunday måndag tisdag onsdag torsdag fredag lördag söndag am pm utc gmt cet cest "
    "est edt pst pdt kl at published updated posted publicerad uppdaterad senast on den"
)
_DECORATIVE_ALT = re.compile(
    r"\b(logo(type)?|logga|icon|ikon|avatar|banner|spacer|placeholder)\b", re.IGNORECASE
)
"""Alt texts of images that decorate or brand rather than inform."""
_ICON_PIXELS = 48  # an image narrower or lower than this is an icon
_REPEAT_MIN = 15  # characters: a repeated caption this long is read once
_REPEAT_PARAGRAPH_MIN = 40  # a repeated paragraph this long is read once (short ones recur)
_RUN = 25  # characters: shorter text runs are labels and links, not paragraphs
_HEADING_WIDEN = 1.05  # the h1 is read only if its box adds next to no paragraph text
_LANDMARK_SHARE = 0.25  # of the page's paragraph text a landmark must hold to be the root
_DESCEND_SHARE = 0.7  # of its parent's paragraph text a child must hold to be descended into
_BOILERPLATE_MAX_SHARE = 0.5  # a boilerplate-named element holding more is content after all
_WEAK_BOILERPLATE_MAX_SHARE = 0.3
_NEVER_BOILERPLATE = frozenset(("html", "body", "main", "article"))
_HIDDEN_MAX_SHARE = 0.6  # a hidden element holding more is the page waiting for its scripts
_LINK_LIST_MAX_SHARE = 0.25  # a link-dense element holding more paragraph text is content
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_HAS_WORD = re.compile(r"[^\W_]")
_WORD = re.compile(r"\d+|[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
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


def _clean(text: str) -> str:
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def _precedes(a: HtmlElement, b: HtmlElement) -> bool:
    """Whether ``a`` comes before ``b`` in document order (neither contains the other)."""
    return _order(a) < _order(b)


def _order(el: HtmlElement) -> tuple[int, ...]:
    """Position of ``el`` as child indexes from the root: sorts in document order."""
    path: list[int] = []
    node = el
    parent = node.getparent()
    while parent is not None:
        path.append(parent.index(node))
        node, parent = parent, parent.getparent()
    return tuple(reversed(path))


def _dateline(text: str) -> bool:
    """A line that is only a date and time ("Nov. 19, 2019, 8:41 AM UTC", "11 maj 2023")."""
    words = _WORD.findall(text.lower())
    digits = sum(1 for w in words if w.isdigit())
    rest = [w for w in words if not w.isdigit() and w not in _DATE_WORDS]
    return digits >= 1 and len(words) >= 2 and len(rest) == 0


def _lang_of(value: str | None) -> str | None:
    if not value:
        return None
    m = _LANG.match(value.strip())
    return m.group(1).lower() if m else None


@dataclass(slots=True)
class _Flow:
    """Inline text collected for one block-level element until the next block starts."""

    owner: HtmlElement
    kind: str
    level: int | None
    lang: str
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    """Characters of ``parts`` that are link text."""


class _PageScores:
    """A parsed page scored: where its paragraph text is, its content root, what to skip."""

    def __init__(self, doc: HtmlElement, options: ExtractOptions) -> None:
        self.doc = doc
        self.options = options
        self.blocks: list[Block] = []
        self.linked: list[bool] = []
        self.owners: list[HtmlElement] = []
        """The element each block was read from (for placing a listing's items among them)."""
        self.seen: set[str] = set()
        self.page_lang = options.default_lang
        self.selected_skip: set[HtmlElement] = set()
        for selector in options.skip_selectors:
            self.selected_skip.update(compile_selector(selector)(doc))
        self.forced: set[HtmlElement] = set(doc.xpath("//*[@data-tts-read]"))
        self.id_counts = Counter(doc.xpath("//@id"))
        self.body = self._body()
        # Paragraph text under each element, by the hard rules only (no class-name guesses).
        self.scores: dict[HtmlElement, int] = {}
        self.text_lengths: dict[HtmlElement, tuple[int, int]] = {}
        # The most paragraph text in the <p> children of one element: an article body.
        self.most_paragraphs = 0
        self.total = self._score(self.body, sectioned=False)
        # An article page (one body of paragraphs) rather than a listing of many items.
        self.article_like = self.most_paragraphs >= _ARTICLE_BODY_SHARE * self.total > 0
        # Most of the paragraph text hidden, in one element or in many (streamed rendering
        # moves hidden parts into place): the page shows those parts once its scripts run.
        self.shown_by_scripts = self._hidden_parts()
        self.root = self._content_root()
        # Elements to walk into while not yet reading: ancestors of the root and of forced ones.
        self.paths: set[HtmlElement] = set()
        for target in [self.root, *self.forced]:
            if target is None:
                continue
            self.paths.update(target.iterancestors())
            self.paths.add(target)
        self.path_cache: dict[HtmlElement, str] = {}
        self.step_cache: dict[HtmlElement, dict[HtmlElement, str]] = {}

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
                best = max(candidates, key=self._score_of)
                if self._holds_the_text(best):
                    return best
        articles = [e for e in doc.xpath("//article") if not self._hidden(e)]
        if articles:
            best = max(articles, key=self._score_of)
            total = sum(self._score_of(a) for a in articles)
            if len(articles) > 1 and self._score_of(best) < 0.6 * total:
                best = self._common_ancestor(articles)
            if self._holds_the_text(best):
                return best
        return self._with_heading(self._densest(self.body))

    def _with_heading(self, root: HtmlElement) -> HtmlElement:
        """Read the page's ``h1`` with a root found by text density when the root lacks it and
        the heading comes just before (a title in a sibling box of the text, as page builders
        such as Sitevision lay them out)."""
        if root.tag in ("html", "body") or root.find(".//h1") is not None:
            return root
        h1 = next(self.body.iter("h1"), None)
        if h1 is None or not _precedes(h1, root):
            return root
        common = self._common_ancestor([root, h1])
        if self._score_of(common) <= _HEADING_WIDEN * self._score_of(root):
            self.forced.add(h1)
        return root

    def _score_of(self, el: HtmlElement) -> int:
        return self.scores.get(el, 0)

    def _holds_the_text(self, el: HtmlElement) -> bool:
        """Whether a landmark holds most of the page's paragraph text (not a teaser list)."""
        return self.total == 0 or self._score_of(el) >= _LANDMARK_SHARE * self.total

    def _hidden(self, el: HtmlElement) -> bool:
        return "hidden" in el.attrib or el.get("aria-hidden", "").lower() == "true"

    @staticmethod
    def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
        chain = [elements[0], *elements[0].iterancestors()]
        others = [{e, *e.iterancestors()} for e in elements[1:]]
        for candidate in chain:
            if all(candidate in o for o in others):
                return candidate
        return chain[-1]

    def _densest(self, body: HtmlElement) -> HtmlElement:
        """Descend from ``body`` while one child holds most of the paragraph text (children
        named like page furniture, e.g. a footer, are not counted)."""
        scores = self.scores
        node = body
        while True:
            children = [c for c in node if isinstance(c.tag, str) and scores.get(c, 0) > 0]
            if not children:
                return node
            furniture = sum(scores.get(c, 0) for c in children if self._furniture(c))
            children = [c for c in children if not self._furniture(c)]
            # The node's own text counts too: text beside the children is not theirs.
            total = scores.get(node, 0) - furniture
            if total <= 0 or not children:
                return node
            best = max(children, key=lambda c: scores.get(c, 0))
            if scores.get(best, 0) < _DESCEND_SHARE * total:
                return node
            node = best

    @staticmethod
    def _furniture(el: HtmlElement) -> bool:
        names = ((el.get("class") or "") + " " + (el.get("id") or "")).lower()
        return bool(names.strip()) and bool(
            _LAYOUT_BOILERPLATE.search(names) or _WEAK_BOILERPLATE.search(names)
        )

    def _score(self, el: HtmlElement, sectioned: bool, in_link: bool = False) -> int:
        """Paragraph text (runs of 25+ characters outside links) under ``el``; records it in
        ``scores`` and the element's text and link text lengths in ``text_lengths``."""
        para = 0
        chars = 0
        link_chars = 0
        paragraphs = 0
        tag = el.tag
        in_link = in_link or tag == "a"
        text = el.text
        if text:
            n = len(text.strip())
            chars += n
            if in_link:
                link_chars += n
            elif n >= _RUN:
                para += n
        sectioned = sectioned or tag in _SECTIONING
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if not self._hard_skipped(child, sectioned):
                child_para = self._score(child, sectioned, in_link)
                para += child_para
                if child.tag == "p":
                    paragraphs += child_para
                c, lc = self.text_lengths[child]
                chars += c
                link_chars += lc
            tail = child.tail
            if tail:
                n = len(tail.strip())
                chars += n
                if in_link:
                    link_chars += n
                elif n >= _RUN:
                    para += n
        self.scores[el] = para
        self.text_lengths[el] = (chars, link_chars)
        self.most_paragraphs = max(self.most_paragraphs, paragraphs)
        return para

    # ---------------------------------------------------------------- skip rules

    def _skipped(self, el: HtmlElement, sectioned: bool) -> bool:
        """Whether ``el`` (and all it holds) is left unread."""
        return self._hard_skipped(el, sectioned) or self._soft_skipped(el)

    def _hard_skipped(self, el: HtmlElement, sectioned: bool) -> bool:
        """The rules that hold whatever the element contains (the scoring pass uses these)."""
        tag = el.tag
        if tag in _NEVER_TAGS:
            return True
        attrib = el.attrib
        if "data-tts-skip" in attrib:
            return True
        role = attrib.get("role")
        if role:
            role = role.strip().lower()
            if role in _SKIP_ROLES or (role == "complementary" and not self.options.read_asides):
                return True
        if el in self.selected_skip:
            return True
        if tag == "aside" and not self.options.read_asides:
            return True
        if tag in ("header", "footer") and not sectioned:
            return True
        if tag == "form" and len(el.xpath(".//p|.//article|.//main")) < 3:
            return True
        if "class" not in attrib and "id" not in attrib:
            return False
        cls = attrib.get("class") or ""
        if "rs_skip" in cls.split():
            return True
        if tag in _NEVER_BOILERPLATE:
            return False
        if _BOILERPLATE.search((cls + " " + (attrib.get("id") or "")).lower()):
            # A wrapper of the whole content is not boilerplate, whatever its class says.
            return not el.xpath(".//h1|.//main|.//article")
        return False

    def _hidden_parts(self) -> set[HtmlElement]:
        """The outermost hidden elements when together they hold most of the paragraph text,
        and none is a hidden copy of text the page shows (structured-data duplicates); else
        none. What is hidden inside them stays hidden."""
        # Only elements holding paragraph text can hide it: walk down those alone.
        scores = self.scores
        outermost: list[HtmlElement] = []
        stack = [self.body]
        while stack:
            for child in stack.pop():
                if not scores.get(child):
                    continue
                attrib = child.attrib
                style = attrib.get("style")
                if (
                    "hidden" in attrib
                    or attrib.get("aria-hidden", "").strip().lower() == "true"
                    or (style and _HIDDEN_STYLE.search(style))
                ):
                    outermost.append(child)
                else:
                    stack.append(child)
        share = sum(self._share(el) for el in outermost)
        if share < _HIDDEN_MAX_SHARE:
            return set()
        page_text: str | None = None
        for el in outermost:
            if self._share(el) < 0.05:
                continue
            sample = max(el.itertext(), key=len, default="").strip()
            if len(sample) < _RUN:
                continue
            page_text = page_text if page_text is not None else self.body.text_content()
            if page_text.count(sample) > 1:
                return set()
        return set(outermost)

    def _soft_skipped(self, el: HtmlElement) -> bool:
        """Hidden elements and boilerplate by class or id, unless they hold most of the text:
        a page that hides everything until its scripts run, or whose content wrapper has a
        class like ``l-sidebar-fixed``, is still read."""
        attrib = el.attrib
        style = attrib.get("style")
        if (
            "hidden" in attrib
            or attrib.get("aria-hidden", "").strip().lower() == "true"
            or (style and _HIDDEN_STYLE.search(style))
        ):
            return el not in self.shown_by_scripts and self._share(el) < _HIDDEN_MAX_SHARE
        if ("class" not in attrib and "id" not in attrib) or el.tag in _NEVER_BOILERPLATE:
            return False
        names = ((attrib.get("class") or "") + " " + (attrib.get("id") or "")).lower()
        if _LAYOUT_BOILERPLATE.search(names):
            return self._share(el) < _BOILERPLATE_MAX_SHARE
        if _WEAK_BOILERPLATE.search(names):
            return self._share(el) < _WEAK_BOILERPLATE_MAX_SHARE
        return False

    def _teaser_list(self, el: HtmlElement) -> bool:
        """A list or grid of teaser cards (heading or picture, link, a line of text each):
        "more stories" blocks. Not when it holds much of the page's text (a listing page)."""
        if not self.article_like or len(el) < _TEASERS:
            return False
        if self._share(el) >= _WEAK_BOILERPLATE_MAX_SHARE:
            return False
        cards = 0
        children = 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            children += 1
            if (
                child.tag in _CARD_TAGS
                and self.text_lengths.get(child, (0, 0))[0]
                < (_TEASER_ARTICLE_CHARS if child.tag == "article" else _TEASER_CHARS)
                and child.find(".//a") is not None
                and child.xpath(_CARD_MARK) != []
            ):
                cards += 1
        return cards >= _TEASERS and cards >= 0.6 * children

    def _share(self, el: HtmlElement) -> float:
        """The part of the page's paragraph text ``el`` holds."""
        return self.scores.get(el, 0) / self.total if self.total else 0.0

    def _link_list(self, el: HtmlElement) -> bool:
        """A container whose text is mostly link text (a menu, tag list, related links)."""
        chars, link_chars = self.text_lengths.get(el, (0, 0))
        if not chars or not link_chars:
            return False
        if self.scores.get(el, 0) >= _LINK_LIST_MAX_SHARE * self.total > 0:
            return False
        if el.tag == "p":
            return link_chars >= 0.8 * chars and len(el.findall(".//a")) >= 3
        return link_chars >= 0.5 * chars and len(el.findall(".//a")) >= 2
