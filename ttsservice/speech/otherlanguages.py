"""Normalisation for speech of languages other than Swedish, through ``num2words``.

The Swedish rules (:mod:`ttsservice.swedish`) are for Swedish only. For other
languages a passage is cleaned up by the same normaliser (control characters,
spacing) and then its numbers are written out by ``num2words``, where it
supports the language: currency amounts (``€12.50``, ``$5``, ``£3``, ``100 kr``),
percentages, ordinals (English ``21st``, French ``2e``, Spanish ``1.º``), dates
(ISO ``2024-05-03``, and ``3.5.2024`` where the language writes dates so),
years and plain numbers with the language's decimal comma or point and
thousands separators. Abbreviations are left to the voice: espeak-ng, which
phonemises for every Piper voice, knows the common ones of its languages.

Month names are the only words written here: ``num2words`` has none, and a
date read as three numbers is worse than one read with its month.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from num2words import CONVERTER_CLASSES, num2words

__all__ = ["OTHER_LANGUAGES_VERSION", "normalize_other", "supported"]

RULES_REVISION = "1"
"""Bump when these rules change what is spoken (it is part of every clip key)."""

OTHER_LANGUAGES_VERSION = (
    f"other-{RULES_REVISION}+num2words-{importlib.metadata.version('num2words')}"
)
"""The normaliser version of every clip of a language other than Swedish."""

_NUM2WORDS_LANG = {"nb": "no", "nn": "no"}

_DECIMAL_COMMA = frozenset({"de", "fr", "es", "fi", "da", "no", "pl", "uk", "ru", "it", "nl", "pt"})
"""Languages that write 3,5 for three and a half (and 1.000 or 1 000 for a thousand)."""

_NO_DECIMALS = frozenset({"ar"})
"""Languages whose num2words decimals are wrong: their decimals are left to the voice."""

_CURRENCY_CODES = {"€": "EUR", "$": "USD", "£": "GBP", "EUR": "EUR", "USD": "USD", "GBP": "GBP"}
_CURRENCY_LANGS = frozenset({"en", "fi", "de", "fr", "es", "pl", "uk"})
"""Languages whose num2words currency amounts were checked (others read number and symbol)."""
_KRONA = {"en": "SEK", "fi": "SEK", "es": "SEK", "uk": "SEK"}
"""What "kr" is in a passage of that language on a Swedish portal."""

_PERCENT = {
    "en": "percent",
    "de": "Prozent",
    "fr": "pour cent",
    "es": "por ciento",
    "fi": "prosenttia",
    "da": "procent",
    "no": "prosent",
    "pl": "procent",
    "uk": "відсотків",
    "fa": "درصد",
    "ar": "بالمئة",
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "fi": "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta "
    "elokuuta syyskuuta lokakuuta marraskuuta joulukuuta",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
}
"""Month names as said after a day (Finnish in the partitive: "kolmas toukokuuta")."""

_DOTTED_DATES = frozenset({"de", "fi", "da", "no", "pl", "uk"})
"""Languages that write 3.5.2024 for 3 May 2024."""
_SLASHED_DATES = frozenset({"fr", "es"})
"""Languages that write 3/5/2024 for 3 May 2024 (not English: US and UK differ)."""

_ISO_DATE = re.compile(r"(?<![\w.-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")
_DOTTED_DATE = re.compile(r"(?<![\w.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\w])")
_SLASHED_DATE = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\w/])")
_CURRENCY_BEFORE = re.compile(r"(€|\$|£)\s?(\d[\d,.\u00a0 ]*\d|\d)")
_CURRENCY_AFTER = re.compile(r"(?<![\w.,])(\d[\d,.\u00a0 ]*\d|\d)\s?(€|EUR|USD|GBP|kr)(?!\w)")
_PERCENT_SIGN = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?%")
_EN_ORDINAL = re.compile(r"(?<![\w.,])(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_FR_ORDINAL = re.compile(r"(?<![\w.,])(\d+)(er|re|e|ème|eme)\b")
_ES_ORDINAL = re.compile(r"(?<![\w.,])(\d+)\.?(º|ª|°)")
_EN_DAY_MONTH = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b"
)
_EN_MONTH_DAY = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December) (\d{1,2})\b(?!:)"
)
_YEAR = re.compile(r"(?<![\w.,:/-])(1[1-9]\d\d|20\d\d)(?![\w:/%-]|[.,]\d|\s?(?:€|\$|£|%))")
_DIGIT_GROUPS = re.compile(r"((?<![\w.,])(?:\+\d{1,3}|0\d*)(?:[- ]\d+){2,}(?!\w))")
"""Phone numbers: groups of digits after a 0 or a +country code, "08-123 45 67", "+46 8 123"."""
_NUMBER = re.compile(
    r"(?<![\w.,:])(?:\d{1,3}(?:[,.\u00a0 ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\w:])"
)


def supported(lang: str) -> bool:
    """Whether ``num2words`` writes numbers out in ``lang``."""
    return _NUM2WORDS_LANG.get(lang, lang) in CONVERTER_CLASSES


def _words(number: int | Decimal, lang: str, to: str = "cardinal", **kwargs: str) -> str | None:
    try:
        return str(num2words(number, lang=lang, to=to, **kwargs))
    except (NotImplementedError, TypeError, ValueError, OverflowError, InvalidOperation):
        return None


def _amount(written: str, lang: str) -> Decimal | None:
    """``written`` ("1,000.50", "1.000,50", "1 000") as a number in ``lang``'s way of writing."""
    text = written.replace("\u00a0", " ").strip()
    if lang in _DECIMAL_COMMA:
        text = text.replace(" ", "").replace(".", "").replace(",", ".")
    else:
        text = text.replace(" ", "").replace(",", "")
    if text.count(".") > 1:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _number(m: re.Match[str], lang: str) -> str:
    written = m.group(0)
    amount = _amount(written, lang)
    if amount is None or (amount != amount.to_integral_value() and lang in _NO_DECIMALS):
        return written
    if amount > 10**15:
        return written
    value: int | Decimal = int(amount) if amount == amount.to_integral_value() else amount
    if isinstance(value, int) and len(written) > 1 and written.startswith("0"):
        return written  # codes and times, not quantities: the voice reads the digits
    return _words(value, lang) or written


def _date(day: int, month: int, year: int | None, lang: str) -> str | None:
    months = _MONTHS.get(lang)
    if months is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    name = months.split()[month - 1]
    said_year = _words(year, lang, "year") if year is not None else ""
    if lang in ("fr", "es"):
        said_day = "premier" if lang == "fr" and day == 1 else _words(day, lang)
    else:
        said_day = _words(day, lang, "ordinal")
    if said_day is None or said_year is None:
        return None
    if lang == "en":
        said = f"the {said_day} of {name}"
    elif lang == "es":
        said = f"{said_day} de {name}" + (" de" if year is not None else "")
    else:
        said = f"{said_day} {name}"
    return f"{said} {said_year}".strip()


def _sub(pattern: re.Pattern[str], text: str, say: Callable[[re.Match[str]], str | None]) -> str:
    return pattern.sub(lambda m: say(m) or m.group(0), text)


def normalize_other(text: str, lang: str) -> str:
    """``text`` (already cleaned up) as a voice of ``lang`` should read it; unchanged where
    ``num2words`` does not know ``lang``. Never raises on any string."""
    lang = _NUM2WORDS_LANG.get(lang, lang)
    if lang not in CONVERTER_CLASSES or not any(ch.isdigit() for ch in text):
        return text

    def iso(m: re.Match[str]) -> str | None:
        return _date(int(m.group(3)), int(m.group(2)), int(m.group(1)), lang)

    def day_first(m: re.Match[str]) -> str | None:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), lang)

    text = _sub(_ISO_DATE, text, iso)
    if lang in _DOTTED_DATES:
        text = _sub(_DOTTED_DATE, text, day_first)
    if lang in _SLASHED_DATES:
        text = _sub(_SLASHED_DATE, text, day_first)
    if lang == "en":
        text = _sub(
            _EN_DAY_MONTH,
            text,
            lambda m: f"the {_words(int(m.group(1)), lang, 'ordinal')} of {m.group(2)}",
        )
        text = _sub(
            _EN_MONTH_DAY,
            text,
            lambda m: f"{m.group(1)} {_words(int(m.group(2)), lang, 'ordinal')}",
        )
    text = _sub(_CURRENCY_BEFORE, text, lambda m: _money(m.group(2), m.group(1), lang))
    text = _sub(_CURRENCY_AFTER, text, lambda m: _money(m.group(1), m.group(2), lang))
    percent = _PERCENT.get(lang)
    if percent is not None:
        text = _sub(_PERCENT_SIGN, text, lambda m: _percent(m.group(1), percent, lang))
    if lang == "en":
        text = _sub(_EN_ORDINAL, text, lambda m: _words(int(m.group(1)), lang, "ordinal"))
    elif lang == "fr":
        text = _sub(_FR_ORDINAL, text, lambda m: _words(int(m.group(1)), lang, "ordinal"))
    elif lang == "es":
        text = _sub(_ES_ORDINAL, text, lambda m: _words(int(m.group(1)), lang, "ordinal"))
    # Phone numbers and other digit strings in groups are read digit by digit by the voice.
    parts = _DIGIT_GROUPS.split(text)
    for at in range(0, len(parts), 2):
        parts[at] = _sub(_YEAR, parts[at], lambda m: _words(int(m.group(1)), lang, "year"))
        parts[at] = _NUMBER.sub(lambda m: _number(m, lang), parts[at])
    return "".join(parts)


def _money(written: str, symbol: str, lang: str) -> str | None:
    amount = _amount(written, lang)
    if amount is None:
        return None
    code = _KRONA.get(lang) if symbol == "kr" else _CURRENCY_CODES.get(symbol)
    if code is not None and lang in _CURRENCY_LANGS:
        if amount == amount.to_integral_value():  # "five euro", not "five euro, zero cents"
            said = _words(amount, lang, "currency", currency=code, separator="\x00")
            return said.split("\x00")[0] if said is not None else None
        said = _words(amount, lang, "currency", currency=code)
        if said is not None:
            return said.replace(",", "")  # "twelve euro, fifty cents": no pause inside
    return None  # the number is written out below; the voice reads the symbol


def _percent(written: str, word: str, lang: str) -> str | None:
    amount = _amount(written, lang)
    if amount is None:
        return None
    value: int | Decimal = int(amount) if amount == amount.to_integral_value() else amount
    said = _words(value, lang)
    return f"{said} {word}" if said is not None else None
