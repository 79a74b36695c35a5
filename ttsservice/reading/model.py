"""What a page reads as: the :class:`Reading`, its :class:`Block` s, and the extraction options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from aiohttp import web

from ttsservice.settings import Settings

BlockKind = Literal[
    "heading", "paragraph", "list_item", "table_row", "caption", "quote", "image_alt"
]
"""The kinds of block a reading is made of."""

BLOCK_KINDS: tuple[str, ...] = (
    "heading",
    "paragraph",
    "list_item",
    "table_row",
    "caption",
    "quote",
    "image_alt",
)


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of text read aloud as a unit, in reading order."""

    index: int
    """Position in the reading, from 0."""
    kind: str
    """One of :data:`BLOCK_KINDS`."""
    text: str
    """The text, whitespace collapsed and soft hyphens removed."""
    lang: str
    """Primary language subtag from the nearest ``lang`` attribute (e.g. ``sv``)."""
    level: int | None
    """Heading level 1-6 for headings, otherwise None."""
    locator: str
    """CSS selector of the element on the live page (for ``document.querySelector``)."""
    passages: tuple[tuple[int, int, str], ...] = ()
    """Inline passages in another language: (start, end) offsets into ``text`` and the
    passage's language subtag (see :mod:`ttsservice.reading.passages`)."""

    def to_json(self) -> dict[str, Any]:
        """The block as a JSON-ready dict."""
        return {
            "index": self.index,
            "kind": self.kind,
            "text": self.text,
            "lang": self.lang,
            "level": self.level,
            "locator": self.locator,
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """The readable content of one page."""

    url: str | None
    """The page's URL (after redirects), or None for HTML given directly."""
    title: str
    """The page title: the content's first ``h1``, else ``og:title``, else ``<title>``."""
    lang: str
    """The page's primary language subtag (``sv`` when the page does not say)."""
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    """The blocks in reading order."""
    modified: date | None = None
    """When the page says it was last changed (see :mod:`ttsservice.reading.modified`)."""

    def to_json(self) -> dict[str, Any]:
        """The reading as a JSON-ready dict."""
        return {
            "url": self.url,
            "title": self.title,
            "lang": self.lang,
            "modified": self.modified.isoformat() if self.modified else None,
            "blocks": [b.to_json() for b in self.blocks],
        }

    @property
    def text(self) -> str:
        """All blocks' text, one block per paragraph (separated by a blank line)."""
        return "\n\n".join(b.text for b in self.blocks)


PAGE_OBSERVERS: web.AppKey[list[Callable[[Reading], Awaitable[None]]]] = web.AppKey(
    "page_observers"
)
"""Called with every page reading the service extracts (feedback notes change dates)."""


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """How to find and trim a page's readable content."""

    content_selector: str = ""
    """CSS selector of the content root; empty: main, [role=main], article, else density."""
    skip_selectors: tuple[str, ...] = ()
    """CSS selectors of elements never read (besides the built-in rules)."""
    read_asides: bool = False
    """Read ``aside`` elements inside the content root."""
    read_image_alt: bool = True
    """Read the alt text of meaningful images that have no caption."""
    default_lang: str = "sv"
    """Language assumed when the page declares none."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractOptions:
        """The options the service's settings ask for."""
        return cls(
            content_selector=settings.content_selector,
            skip_selectors=settings.skip_selectors,
            read_asides=settings.read_asides,
            read_image_alt=settings.read_image_alt,
        )


EXTRACT_OPTIONS: web.AppKey[ExtractOptions] = web.AppKey("extract_options")
"""How pages are trimmed to their readable content (from the settings)."""
