"""When a page says it was last changed: meta data, a labelled ``<time>``, or its text.

Swedish portal pages end their articles with "Senast uppdaterad: 11 maj 2023"
(often as ``<time datetime="2023-05-11">``); many also carry the date as meta
data for search engines. The dashboard marks that date on the page's trend and
compares the answers before and after it, so the web team sees whether an edit
helped without typing the date in.

The HTTP ``Last-Modified`` header is not used: content management systems
that render pages on request send the time of the request there.
"""

from __future__ import annotations

import re
from datetime import date

from lxml.html import HtmlElement

from ttsservice.swedish.tables import MONTH_NAMES, MONTHS

__all__ = ["page_modified"]

# Meta data that names the last change, most explicit first (names compared lower-case).
_META_KEYS = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
)
_LABEL = (
    r"(?:senast\s+(?:uppdaterad|ändrad|granskad|reviderad)|uppdaterad|ändrad|"
    r"last\s+(?:updated|modified|reviewed)|updated|modified)"
)
_LABEL_AT_END = re.compile(_LABEL + r"\s*(?:den\s+)?:?\s*$", re.IGNORECASE)
# A part of every label word, in any case of its first letter: the labelled-date pattern
# is only tried around these (searching the whole text with it is slower than extraction).
_LABEL_STEMS = ("pdaterad", "ndrad", "ranskad", "eviderad", "pdated", "odified", "eviewed")

_MONTHS = {name: MONTH_NAMES.index(full) + 1 for name, full in MONTHS.items()}
"""Swedish month names and abbreviations (the normaliser's table) → month number."""
_ISO = r"(\d{4})-(\d{2})-(\d{2})"
_WRITTEN = r"(\d{1,2})\s+(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})"
_LABELLED_TEXT = re.compile(
    _LABEL + r"\s*(?:den\s+)?:?\s*(?:" + _ISO + "|" + _WRITTEN + r")\b", re.IGNORECASE
)


def _iso_date(value: str) -> date | None:
    """The date at the start of an ISO 8601 date or date-time, else None."""
    found = re.match(r"\s*" + _ISO, value)
    if found is None:
        return None
    return _date(int(found[1]), int(found[2]), int(found[3]))


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _text_before(el: HtmlElement, limit: int = 80) -> str:
    """The parent's text up to ``el`` (the label in "Senast uppdaterad: <time>")."""
    parent = el.getparent()
    if parent is None:
        return ""
    parts = [parent.text or ""]
    for sibling in parent:
        if sibling is el:
            break
        parts.append(sibling.text_content())
        parts.append(sibling.tail or "")
    return "".join(parts)[-limit:]


def page_modified(doc: HtmlElement) -> date | None:
    """The date the page says it was last changed, or None when it does not say."""
    stated: dict[str, date] = {}
    times: list[HtmlElement] = []
    for el in doc.iter("meta", "time"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in _META_KEYS and key not in stated:
            found = _iso_date(el.get("content") or el.get("datetime") or "")
            if found is not None:
                stated[key] = found
        if el.tag == "time":
            times.append(el)
    for key in _META_KEYS:
        if key in stated:
            return stated[key]
    for time_el in times:
        stamp = time_el.get("datetime") or time_el.text_content()
        if _LABEL_AT_END.search(_text_before(time_el)):
            found = _iso_date(stamp) or _written_date(stamp)
            if found is not None:
                return found
    body = doc.find("body")
    return _labelled_in_text((body if body is not None else doc).text_content())


def _labelled_in_text(text: str) -> date | None:
    """The first "Senast uppdaterad: 11 maj 2023" (or ISO date) in ``text``."""
    starts = []
    for stem in _LABEL_STEMS:
        at = text.find(stem)
        while at != -1:
            starts.append(at)
            at = text.find(stem, at + 1)
    for at in sorted(starts):
        window = " ".join(text[max(0, at - 12) : at + 60].split())
        match = _LABELLED_TEXT.search(window)
        if match is None:
            continue
        if match[1]:
            found = _date(int(match[1]), int(match[2]), int(match[3]))
        else:
            found = _date(int(match[6]), _MONTHS[match[5].lower()], int(match[4]))
        if found is not None:
            return found
    return None


def _written_date(text: str) -> date | None:
    """A Swedish written date ("11 maj 2023", "3 okt. 2024"), else None."""
    found = re.search(_WRITTEN, text, re.IGNORECASE)
    if found is None:
        return None
    return _date(int(found[3]), _MONTHS[found[2].lower()], int(found[1]))
