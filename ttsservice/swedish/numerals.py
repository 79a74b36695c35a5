"""Rules for numbers in running text: ordinals, decades, money and units,
fractions, plain numbers and years.
"""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.ranges import compound_head
from ttsservice.swedish.textbits import (
    _DASH,
    _LO,
    _NUM,
    _NUM_DEC,
    _UNIT_ALT,
    _ends_sentence,
    _gender_before,
    _is_year,
    _next_word,
    _number,
    _prev_word,
)

_ORDINAL = re.compile(r"(?<![\d,.])(\d+):(?:a|e|sta|dra|nde|de|te)\b")
_DECADE = re.compile(r"(?<![\d,.])(\d{2}|\d{4})-tal(\w*)")
_NUM_WORD = re.compile(rf"(?<![\d,.:/])(\d+)-([{_LO}]\w*)")
_PRICE = re.compile(r"(?<![\d,.])(" + _NUM + r"):-")
_PERCENT_COMPOUND = re.compile(rf"\s?%-(?=[{_LO}])")
_CURRENCY_BEFORE = re.compile(r"([€$£])\s?(" + _NUM_DEC + r")")
_RANGE = re.compile(
    rf"(?<![\w,.:/-])([-−]?{_NUM_DEC}){_DASH}([-−]?{_NUM_DEC})(?![\d])(?:\s?({_UNIT_ALT})(?![\w²³]))?"
)
_UNIT = re.compile(rf"(?<![\w,.:/])([-−]?)({_NUM_DEC})\s?({_UNIT_ALT})(?![\w²³])")
_VULGAR = {
    "½": (1, 2),
    "⅓": (1, 3),
    "⅔": (2, 3),
    "¼": (1, 4),
    "¾": (3, 4),
    "⅕": (1, 5),
    "⅖": (2, 5),
    "⅗": (3, 5),
    "⅘": (4, 5),
    "⅙": (1, 6),
    "⅚": (5, 6),
    "⅛": (1, 8),
    "⅜": (3, 8),
    "⅝": (5, 8),
    "⅞": (7, 8),
    "⅒": (1, 10),
}
_VULGAR_RE = re.compile(r"(?:(\d+)\s?)?([" + "".join(_VULGAR) + "])")
_SLASH_FRACTION = re.compile(r"(?<![\d/.,])(\d{1,4})/(\d{1,4})(?![\d/])")
_PLAIN = re.compile(r"(?<![\d])([-−](?=\d))?(" + _NUM + r")(,\d+)?")
_DIGITS = re.compile(r"\d+")
_DOTTED = re.compile(r"(?<![\d.,])\d+(?:\.\d+)+(?![\d])")


def _ordinals(text: str, lexicon: Lexicon) -> str:
    text = _ORDINAL.sub(lambda m: num.ordinal(int(m.group(1))), text)

    def decade(m: re.Match[str]) -> str:
        n, written = int(m.group(1)), m.group(1)
        if len(written) == 4:
            head = num.year(n)
        elif written == "00":
            head = "nollnoll"
        else:
            head = num.cardinal(n)
        return f"{head}tal{m.group(2)}"

    text = _DECADE.sub(decade, text)

    def num_word(m: re.Match[str]) -> str:
        written, word = m.group(1), m.group(2)
        n = int(written)
        if _is_year(written):
            return f"{num.year(n)} {word}"
        if written == "1":
            return compound_head(1, word) + word  # "enrumslägenhet", "ettårig"
        return _number(written) + word

    return _NUM_WORD.sub(num_word, text)


def _unit_words(unit: str, value: str) -> str:
    singular, plural, _gender = tb.UNITS[unit]
    one = value.replace(" ", "").lstrip("-−") == "1"
    return singular if one else plural


def _money_and_units(text: str, lexicon: Lexicon) -> str:
    text = _PERCENT_COMPOUND.sub(" procent", text)
    text = _PRICE.sub(lambda m: f"{m.group(1)} kr", text)
    text = _CURRENCY_BEFORE.sub(lambda m: f"{m.group(2)} {m.group(1)}", text)

    def speak(value: str, unit: str | None, next_word: str) -> str:
        gender: num.Gender
        if unit is not None:
            gender = "en" if tb.UNITS[unit][2] == "en" else "ett"
        else:
            gender = _gender_before(next_word)
        negative = value[:1] in "-−"
        value = value.lstrip("-−")
        words = _number(value, gender)
        return ("minus " + words) if negative else words

    def range_(m: re.Match[str]) -> str:
        a, b, unit = m.group(1), m.group(2), m.group(3)
        nxt = _next_word(text, m.end())
        a_plain, b_plain = a.replace(" ", ""), b.replace(" ", "")
        whole = a_plain.isdecimal() and b_plain.isdecimal() and a == a_plain and b == b_plain
        if (
            unit is None
            and whole
            and _is_year(a_plain)
            and ((_is_year(b_plain) and b_plain > a_plain) or len(b_plain) == 2)
            and nxt.lower() not in tb.COUNT_NOUNS
        ):
            second = num.year(int(b_plain)) if len(b_plain) == 4 else num.cardinal(int(b_plain))
            return f"{num.year(int(a_plain))} till {second}"
        if a.startswith("0") and len(a_plain) > 1:
            return m.group(0)
        if (
            unit is None
            and whole
            and (
                min(len(a), len(b)) >= 4
                or max(len(a), len(b)) >= 5
                or b[:1] == "0"
                or (len(b) == 4 and len(a) < 4 and not b.endswith("00"))  # "123-4567"
            )
        ):
            # an identity, account or case number ("232100-0016", "5050-1055"): pairs
            return f"{num.groups(a)}, {num.groups(b)}"
        if unit is None and whole and len(b) <= 15 and len(a) <= 15 and int(b) <= int(a):
            return f"{speak(a, unit, nxt)} {speak(b, unit, nxt)}"  # "3-1": not a range
        out = f"{speak(a, unit, nxt)} till {speak(b, unit, nxt)}"
        if unit is not None:
            out += " " + tb.UNITS[unit][1]
            if unit.endswith(".") and _ends_sentence(text, m.end()):
                out += "."
        return out

    text = _RANGE.sub(range_, text)

    def unit(m: re.Match[str]) -> str:
        sign, value, unit_ = m.group(1), m.group(2), m.group(3)
        if unit_ in ("kr", "kr.", "SEK", "kronor") and "," in value:
            whole, _, ore = value.partition(",")
            if len(ore) == 2:
                kr = _number(whole, "en")
                kronor = "krona" if whole == "1" else "kronor"
                dot = "." if unit_.endswith(".") and _ends_sentence(text, m.end()) else ""
                if int(ore) == 0:
                    return f"{kr} {kronor}{dot}"
                return f"{kr} {kronor} och {num.cardinal(int(ore))} öre{dot}"
        words = speak(sign + value, unit_, "")
        dot = "." if unit_.endswith(".") and _ends_sentence(text, m.end()) else ""
        return f"{words} {_unit_words(unit_, value)}{dot}"

    return _UNIT.sub(unit, text)


def _fractions(text: str, lexicon: Lexicon) -> str:
    def vulgar(m: re.Match[str]) -> str:
        a, b = _VULGAR[m.group(2)]
        words = num.fraction(a, b)
        if (a, b) == (1, 2) and _gender_before(_next_word(text, m.end())) == "ett":
            nxt = _next_word(text, m.end())
            if nxt and nxt[:1].islower() and nxt not in tb.FUNCTION_WORDS:
                words = "ett halvt"  # "ett halvt år"
        if m.group(1):
            return f"{_number(m.group(1), 'en')} och {words}"
        return words

    text = _VULGAR_RE.sub(vulgar, text)

    def slash(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if _is_year(m.group(1)):
            second = num.year(b) if len(m.group(2)) == 4 else num.cardinal(b)
            return f"{num.year(a)} {second}"
        if 2 <= b <= 12 or (b in (100, 1000) and a < b):
            return num.fraction(a, b)
        # "säsong 20/21", "ärende 123/45": not a fraction anyone would say
        return f"{num.cardinal(a)} snedstreck {num.cardinal(b)}"

    return _SLASH_FRACTION.sub(slash, text)


def _plain_numbers(text: str, lexicon: Lexicon) -> str:
    def value(m: re.Match[str]) -> str:
        written, dec = m.group(2), m.group(3)
        nxt = _next_word(text, m.end())
        if dec:
            return _number(written + dec, _gender_before(nxt))
        compact = written.replace(" ", "")
        is_year = compact == written and _is_year(written)
        if is_year and _year_context(text, m, nxt):
            return num.year(int(compact))
        return _number(written, _gender_before(nxt))

    def plain(m: re.Match[str]) -> str:
        if not m.group(1):
            return value(m)
        before = text[m.start() - 1 : m.start()]
        if before and not (before.isspace() or before in "(["):
            return "-" + value(m)  # a hyphen inside a word ("COVID-19"), not a minus
        return "minus " + value(m)

    text = _DOTTED.sub(lambda m: " punkt ".join(_number(p) for p in m.group(0).split(".")), text)
    text = _PLAIN.sub(plain, text)
    return _DIGITS.sub(lambda m: num.digits(m.group(0)), text)


def _year_context(text: str, m: re.Match[str], nxt: str) -> bool:
    if nxt.lower() in tb.COUNT_NOUNS:
        return False
    prev = _prev_word(text, m.start())
    if prev.lower() in tb.YEAR_BEFORE or nxt.lower() in tb.FUNCTION_WORDS:
        return True
    after = text[m.end() : m.end() + 2]
    return not (nxt and nxt[:1].islower() and after[:1] == " ")
