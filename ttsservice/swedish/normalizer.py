"""Written Swedish → the words a Swedish newsreader would say.

The :class:`Normalizer` runs a fixed sequence of rewriting passes over the
text. Each pass turns one kind of written form (a web address, a date, a
phone number, a unit…) into words. Text a pass has produced and that later
passes must not touch (lexicon entries, phonemes, addresses) is shielded by a
placeholder character from Unicode's private use area until the end.

The passes live in one module per kind of rule: :mod:`.abbreviations` (and
symbols), :mod:`.romans` (Roman numerals), :mod:`.references` (§, chapters, pages), :mod:`.dates`,
:mod:`.times`, :mod:`.addresses` (web, e-mail, phone, postcode),
:mod:`.ranges` (a range before a compound), :mod:`.numerals` (ordinals, money and units,
fractions, plain numbers) and
:mod:`.acronyms`; :mod:`.textbits` holds what they share.
"""

from __future__ import annotations

import re
import unicodedata

from aiohttp import web

from ttsservice.swedish import numbers as num
from ttsservice.swedish.abbreviations import (
    _abbreviations,
    _abbreviations_before_numbers,
    _symbols,
)
from ttsservice.swedish.acronyms import _names_and_acronyms
from ttsservice.swedish.addresses import (
    _EMAIL,
    _URL,
    _URL_HINT,
    _phones,
    _say_email,
    _url_with_tail,
)
from ttsservice.swedish.dates import _dates, _weekdays
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.numerals import (
    _VULGAR,
    _fractions,
    _money_and_units,
    _ordinals,
    _plain_numbers,
)
from ttsservice.swedish.ranges import _compound_ranges
from ttsservice.swedish.references import _references
from ttsservice.swedish.romans import HINT as _ROMAN_HINT
from ttsservice.swedish.romans import _roman_numerals
from ttsservice.swedish.textbits import _PUA, _UP, Step, _Shield
from ttsservice.swedish.times import _times

__all__ = ["NORMALIZER_VERSION", "Normalizer"]

NORMALIZER_VERSION = "sv-3"
"""Revision of the normalisation rules. Change it whenever any rule's output changes:
speech caches key audio by (normalised text, this version)."""
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SOFT_HYPHEN = "\u00ad"


# --- compiled patterns (immutable) -------------------------------------------------

_PHONEME_BLOCK = re.compile(r"\[\[[^\[\]\d]{1,480}\]\]")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _PUA.sub("", text)
    text = text.replace(_SOFT_HYPHEN, "")
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    return text.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-")


class Normalizer:
    """Turns written Swedish into its spoken form, using a site lexicon.

    ``normalize`` is pure given the lexicon and safe to call from many
    threads at once: the lexicon is an immutable object swapped atomically
    by :meth:`use` when the site file changes.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self._lexicon = lexicon if lexicon is not None else Lexicon.build({}, source="(none)")

    @property
    def version(self) -> str:
        """The rules' revision (:data:`NORMALIZER_VERSION`)."""
        return NORMALIZER_VERSION

    @property
    def lexicon(self) -> Lexicon:
        """The lexicon in use."""
        return self._lexicon

    def use(self, lexicon: Lexicon) -> None:
        """Switch to ``lexicon`` (atomic: a running ``normalize`` keeps the one it started with)."""
        self._lexicon = lexicon

    def normalize(self, text: str, lang: str = "sv") -> str:
        """Return ``text`` as it should be spoken.

        For Swedish (``sv``, ``sv-SE``…) every rule applies; other languages
        only get clean-up (control characters, spacing) so the voice reads
        them as written. Never raises on any string.
        """
        lexicon = self._lexicon
        text = _clean(text)
        if not text.strip():
            return ""
        if lang.lower().replace("_", "-").split("-")[0] not in ("sv", "swe", ""):
            return _squeeze(text)
        if len(text) > _CHUNK:
            return "\n".join(self._normalize_sv(chunk, lexicon) for chunk in _chunks(text))
        return self._normalize_sv(text, lexicon)

    @staticmethod
    def _normalize_sv(text: str, lexicon: Lexicon) -> str:
        text = _LONG_DIGITS.sub(lambda m: f" {num.digits(m.group(0))} ", text)
        shield = _Shield()
        text = _PHONEME_BLOCK.sub(lambda m: shield(m.group(0)), text)
        text = lexicon.apply(text, shield)
        if "@" in text:
            text = _EMAIL.sub(lambda m: shield(_say_email(m.group(0))), text)
        if _URL_HINT.search(text):
            text = _URL.sub(lambda m: _url_with_tail(m.group(0), shield), text)
        for step, hint in _STEPS:
            if hint is None or hint.search(text):
                text = step(text, lexicon)
        return _squeeze(shield.restore(text))


NORMALIZER: web.AppKey[Normalizer] = web.AppKey("normalizer")
"""Swedish text normaliser (spoken forms, site lexicon); thread-safe, use it in the executor."""


_CHUNK = 1200
_LONG_DIGITS = re.compile(r"\d{16,}")


def _chunks(text: str) -> list[str]:
    """Cut long text at line breaks, sentence ends or spaces into pieces of at most _CHUNK.

    Every rule looks at a few words around a match, so pieces this size lose
    nothing in practice, and no input can make a pass slower than linear.
    """
    pieces = []
    while len(text) > _CHUNK:
        cut = text.rfind("\n", 0, _CHUNK)
        if cut < _CHUNK // 2:
            cut = text.rfind(". ", 0, _CHUNK) + 1
        if cut < _CHUNK // 2:
            cut = text.rfind(" ", 0, _CHUNK)
        if cut <= 0:
            cut = _CHUNK
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def _squeeze(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out = "\n".join(line for line in lines if line)
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    return out.strip()


_DIGIT = re.compile(r"\d")
_WEEKDAY_HINT = re.compile(
    r"(?<!\w)(?:mån|tis|ons|tors?|fre|lör|sön|må|ti|on|to|fr|lö|sö)\b|dag\s?[-–—‒]",
    re.IGNORECASE,
)
_DATE_HINT = re.compile(
    r"\d|(?<!\w)(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*\.?\s?[-–—‒]",
    re.IGNORECASE,
)
_DIGIT_OR_SECTION = re.compile(r"[\d§]")
_DIGIT_OR_FRACTION = re.compile("[\\d" + "".join(_VULGAR) + "]")
_CAPITALS = re.compile(rf"[{_UP}][{_UP}-]|\s[IVXLC]")
_SYMBOL_HINT = re.compile(
    r"[&+=~±×÷≤≥<>%‰°§@€$£©®™#/\\_^→⇒➔➜⟶»«›‹•◦▪▸►▶·‣⁃●○■□✓✔✗✘☐☑★☆*†‡¶|]|\bkr\b"
)

# Each pass with a quick test of whether it can match at all: most sentences
# have no digits, and skipping the number passes for them halves the work.
_STEPS: tuple[tuple[Step, re.Pattern[str] | None], ...] = (
    (_roman_numerals, _ROMAN_HINT),
    (_abbreviations_before_numbers, _DIGIT),
    (_references, _DIGIT_OR_SECTION),
    (_abbreviations, None),
    (_dates, _DATE_HINT),
    (_weekdays, _WEEKDAY_HINT),
    (_times, _DIGIT),
    (_phones, _DIGIT),
    (_compound_ranges, _DIGIT),
    (_ordinals, _DIGIT),
    (_money_and_units, _DIGIT),
    (_fractions, _DIGIT_OR_FRACTION),
    (_plain_numbers, _DIGIT),
    (_names_and_acronyms, _CAPITALS),
    (_symbols, _SYMBOL_HINT),
)
