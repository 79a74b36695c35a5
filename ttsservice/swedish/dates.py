"""Rules for dates and weekdays: ISO and slash dates, day and month, month
ranges, weekday ranges.
"""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import (
    _DASH,
    _MONTH_ALT,
    _WEEKDAY_ALT,
    _ends_sentence,
    _kept_dot,
    _prev_word,
)

_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_SLASH_DATE = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{1,2})(?:(\s|/)(\d{4}|\d{2})(?!\d))?(?![\d/])")
_DAY_MONTH_RANGE = re.compile(
    rf"(?<![\d,.])(\d{{1,2}})(?:\.|:e|:a)?{_DASH}(\d{{1,2}})(?:\.|:e|:a)?\s+({_MONTH_ALT})\b(\.)?",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(
    rf"(?<![\d,.])(\d{{1,2}})(?:\.|:e|:a)?\s+({_MONTH_ALT})\b(\.)?", re.IGNORECASE
)
_DEN_DAY = re.compile(r"\b([Dd]en)\s+(\d{1,2})(?:\.|:e|:a)?(?=\s*(?:och|till|[-–,.;)]|$))")
_DATE_BEFORE = re.compile(
    r"(?:\b(?:[Dd]en|[Ff]rån|[Ss]enast|[Ee]fter|[Ff]öre|[Tt]ill och med|[Ff]rån och med))\s*$"
)
_MONTH_YEAR = re.compile(
    r"\b(jan|febr?|mar|apr|jun|jul|aug|sept?|okt|nov|dec)\.?\s+(?=\d{4}(?!\d))", re.IGNORECASE
)
_MONTH_DASH = re.compile(
    r"\b(" + "|".join(tb.MONTH_NAMES) + r")\s?[-–—]\s?(?=\w)(?!minus\b)", re.IGNORECASE
)
_MONTH_RANGE = re.compile(rf"\b({_MONTH_ALT})\.?{_DASH}({_MONTH_ALT})\b\.?", re.IGNORECASE)
_WEEKDAY_RANGE = re.compile(
    rf"(?<![\w])({_WEEKDAY_ALT})\.?{_DASH}({_WEEKDAY_ALT})\b\.?(?!\w)", re.IGNORECASE
)
_WEEKDAY_BEFORE_TIME = re.compile(
    r"(?<![\w])(mån|tis|ons|tors|tor|fre|lör|sön)\.?(?=\s*\d)", re.IGNORECASE
)
# "tis", "ons", "tors"… are no Swedish words; "mån" is ("i mån av plats"), so only in a list
_WEEKDAY_ALONE = re.compile(
    r"(?<![\w-])(tis|ons|tors|fre|lör|sön|mån(?=\.?\s*(?:[-–,:]|och\s|samt\s)))\.?(?![\w-])",
    re.IGNORECASE,
)


def _month(name: str) -> str:
    return tb.MONTHS.get(name.lower().rstrip("."), name)


def _dates(text: str, lexicon: Lexicon) -> str:
    def iso(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return m.group(0)
        den = "" if _prev_word(text, m.start()).lower() == "den" else "den "
        return f"{den}{num.ordinal(d)} {tb.MONTH_NAMES[mo - 1]} {num.year(y)}"

    text = _ISO_DATE.sub(iso, text)

    def day_range(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if not (1 <= a <= 31 and 1 <= b <= 31):
            return m.group(0)
        dot = "." if m.group(4) and _ends_sentence(text, m.end()) else ""
        return f"{num.ordinal(a)} till {num.ordinal(b)} {_month(m.group(3))}{dot}"

    text = _DAY_MONTH_RANGE.sub(day_range, text)

    def day_month(m: re.Match[str]) -> str:
        d = int(m.group(1))
        if not 1 <= d <= 31:
            return m.group(0)
        month = m.group(2)
        if month.lower() in ("mar", "jan") and not month.islower():
            return m.group(0)  # "Mar", "Jan": more likely names than months
        dot = "." if m.group(3) and _ends_sentence(text, m.end()) else ""
        if dot and re.match(r"\s+\d", text[m.end() : m.end() + 2]):
            dot = ""  # "12 dec. 2023": the year follows
        return f"{num.ordinal(d)} {_month(month)}{dot}"

    text = _DAY_MONTH.sub(day_month, text)
    text = _DEN_DAY.sub(
        lambda m: (
            f"{m.group(1)} {num.ordinal(int(m.group(2)))}"
            if 1 <= int(m.group(2)) <= 31
            else m.group(0)
        ),
        text,
    )

    def slash(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        year = m.group(4)
        prev = _prev_word(text, m.start()).lower()
        if m.group(0) == "24/7":
            return "dygnet runt"
        dated = (
            year is not None
            or prev in tb.WEEKDAYS
            or _DATE_BEFORE.search(text, max(0, m.start() - 20), m.start()) is not None
        )
        if 1 <= a <= 31 and 1 <= b <= 12 and (dated or a >= b):
            out = f"{num.ordinal(a)} {tb.MONTH_NAMES[b - 1]}"
            if year is not None:
                out += " " + (num.year(int(year)) if len(year) == 4 else num.cardinal(int(year)))
            return out
        return m.group(0)

    text = _SLASH_DATE.sub(slash, text)
    text = _MONTH_YEAR.sub(lambda m: f"{_month(m.group(1))} ", text)
    text = _MONTH_RANGE.sub(
        lambda m: f"{_month(m.group(1))} till {_month(m.group(2))}{_kept_dot(text, m)}", text
    )
    text = _MONTH_DASH.sub(r"\1 till ", text)
    return text


def _weekdays(text: str, lexicon: Lexicon) -> str:
    text = _WEEKDAY_RANGE.sub(
        lambda m: (
            f"{tb.WEEKDAYS[m.group(1).lower()]} till {tb.WEEKDAYS[m.group(2).lower()]}"
            + _kept_dot(text, m)
        ),
        text,
    )
    text = _WEEKDAY_BEFORE_TIME.sub(lambda m: tb.WEEKDAYS[m.group(1).lower()], text)

    def weekday(m: re.Match[str]) -> str:
        full = tb.WEEKDAYS[m.group(1).lower()]
        if m.group(1)[0].isupper():
            full = full.capitalize()
        return full + _kept_dot(text, m)

    return _WEEKDAY_ALONE.sub(weekday, text)
