"""Pieces every normalisation rule shares: character classes, the shield for finished
text, and small look-around helpers (sentence ends, neighbouring words, number words)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon

_PUA_FIRST = 0xE000
_PUA_LAST = 0xF8FF
_PUA = re.compile("[\ue000-\uf8ff]")

_UP = "A-ZÅÄÖÉÜ"
_LO = "a-zåäöéü"
_NUM = r"\d{1,3}(?: \d{3}){1,4}(?!\d)|\d+"
_NUM_DEC = rf"(?:{_NUM})(?:,\d+)?"
_DASH = r"\s?[-–—‒]\s?"


def _alternation(words: Iterable[str]) -> str:
    """One regex alternative per word, longest first so "sept" wins over "sep"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MONTH_ALT = _alternation(tb.MONTHS)
_WEEKDAY_ALT = _alternation(tb.WEEKDAYS)
_UNIT_ALT = _alternation(k for k in tb.UNITS if k not in (":-",))


class _Shield:
    """Placeholders for finished text, so later passes leave it alone."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def __call__(self, spoken: str) -> str:
        index = len(self.items)
        if _PUA_FIRST + index > _PUA_LAST:
            return spoken  # very long input: the rest is simply not shielded
        self.items.append(spoken)
        return chr(_PUA_FIRST + index)

    def restore(self, text: str) -> str:
        if not self.items:
            return text
        items = self.items
        for _ in range(3):  # a shielded text may hold an earlier placeholder
            text = _PUA.sub(lambda m: items[ord(m.group(0)) - _PUA_FIRST], text)
            if not _PUA.search(text):
                break
        return _PUA.sub("", text)


def _ends_sentence(text: str, end: int) -> bool:
    """Whether the dot just before ``end`` also closes the sentence."""
    rest = text[end : end + 3]
    if not rest.strip():
        return True
    if rest[:1] == "\n":
        return True
    return bool(re.match(rf"\s+[{_UP}\d\"'”»(]", text[end : end + 3]))


def _kept_dot(text: str, m: re.Match[str]) -> str:
    """A full stop when the match swallowed a final dot that also ends the sentence."""
    return "." if m.group(0).endswith(".") and _ends_sentence(text, m.end()) else ""


def _next_word(text: str, end: int) -> str:
    m = re.match(rf"\s*([{_UP}{_LO}]+)", text[end : end + 40])
    return m.group(1) if m else ""


def _prev_word(text: str, start: int) -> str:
    m = re.search(rf"([{_UP}{_LO}]+)[\s(]*$", text[max(0, start - 40) : start])
    return m.group(1) if m else ""


def _gender_before(word: str) -> num.Gender:
    """Form of "one" before ``word`` ("en krona", "ett år", "ett och två")."""
    w = word.lower()
    if not w or w in tb.FUNCTION_WORDS or not word[:1].islower():
        return "ett"
    if w in tb.NEUTER_NOUNS or w.endswith(("ande", "ende", "eri", "tek", "um")):
        return "ett"
    return "en"


def _number(text: str, gender: num.Gender = "ett") -> str:
    """A number as written (thousands spaces, comma decimals, leading zeros) in words."""
    text = text.strip()
    if "," in text:
        whole, _, dec = text.partition(",")
        whole = whole.replace(" ", "")
        return num.decimal(whole or "0", dec, gender)
    plain = text.replace(" ", "")
    if len(plain) > 1 and plain.startswith("0"):
        return num.digits(plain)
    if len(plain) > 15:
        return num.digits(plain)
    return num.cardinal(int(plain), gender)


def _is_year(written: str) -> bool:
    return len(written) == 4 and written.isdecimal() and 1100 <= int(written) <= 2099


def _spell(acronym: str) -> str:
    return " ".join(
        tb.LETTER_NAMES.get(c) or (num.digits(c) if c.isdecimal() else c.lower()) for c in acronym
    )


# --- passes -------------------------------------------------------------------------

Step = Callable[[str, Lexicon], str]
