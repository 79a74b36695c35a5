"""Swedish number words: cardinals, ordinals, years, fractions and digit strings.

Numbers below a million are written as one word (``tvåhundrafemtiotre``) with
a space after ``tusen`` when more follows (``tolvtusen trehundra``), which
speech engines pronounce more reliably than one very long compound.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "Gender",
    "cardinal",
    "decimal",
    "digits",
    "fraction",
    "groups",
    "ordinal",
    "year",
]

Gender = Literal["en", "ett"]
"""Form of "one": ``en`` before common-gender nouns, ``ett`` when counting or before neuters."""

_ONES = (
    "noll",
    "ett",
    "två",
    "tre",
    "fyra",
    "fem",
    "sex",
    "sju",
    "åtta",
    "nio",
    "tio",
    "elva",
    "tolv",
    "tretton",
    "fjorton",
    "femton",
    "sexton",
    "sjutton",
    "arton",
    "nitton",
)
_TENS = ("", "", "tjugo", "trettio", "fyrtio", "femtio", "sextio", "sjuttio", "åttio", "nittio")

_ORD_ONES = (
    "nollte",
    "första",
    "andra",
    "tredje",
    "fjärde",
    "femte",
    "sjätte",
    "sjunde",
    "åttonde",
    "nionde",
    "tionde",
    "elfte",
    "tolfte",
    "trettonde",
    "fjortonde",
    "femtonde",
    "sextonde",
    "sjuttonde",
    "artonde",
    "nittonde",
)
_ORD_TENS = (
    "",
    "",
    "tjugonde",
    "trettionde",
    "fyrtionde",
    "femtionde",
    "sextionde",
    "sjuttionde",
    "åttionde",
    "nittionde",
)

_BIG = (
    (10**12, "biljon", "biljoner"),
    (10**9, "miljard", "miljarder"),
    (10**6, "miljon", "miljoner"),
)

MAX_CARDINAL = 10**15 - 1
"""Largest number read as a number; longer digit strings are read digit by digit."""


def _below_hundred(n: int, gender: Gender) -> str:
    if n < 20:
        return "en" if n == 1 and gender == "en" else _ONES[n]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return _TENS[tens]
    return _TENS[tens] + ("en" if ones == 1 and gender == "en" else _ONES[ones])


def _below_thousand(n: int, gender: Gender, leading: bool) -> str:
    hundreds, rest = divmod(n, 100)
    out = ""
    if hundreds:
        out = ("" if hundreds == 1 and leading else _ONES[hundreds]) + "hundra"
    if rest:
        out += _below_hundred(rest, gender)
    return out


def _below_million(n: int, gender: Gender) -> str:
    thousands, rest = divmod(n, 1000)
    parts = []
    if thousands:
        head = "" if thousands == 1 else _below_thousand(thousands, "ett", leading=True)
        parts.append(head + "tusen")
    if rest or not thousands:
        parts.append(_below_thousand(rest, gender, leading=not thousands))
    return " ".join(parts).replace("etttusen", "ettusen")


def cardinal(n: int, gender: Gender = "ett") -> str:
    """Spell ``n`` as a Swedish cardinal (``1`` → ``ett``, ``21`` → ``tjugoett`` or ``tjugoen``).

    ``gender`` picks the form of a final "one" for the noun that follows.
    Negative numbers get ``minus``; numbers beyond :data:`MAX_CARDINAL` are
    read digit by digit.
    """
    if n < 0:
        return "minus " + cardinal(-n, gender)
    if n > MAX_CARDINAL:
        return digits(str(n))
    if n == 0:
        return "noll"
    parts: list[str] = []
    for size, one, many in _BIG:
        count, n = divmod(n, size)
        if count:
            parts.append(("en " + one) if count == 1 else f"{_below_million(count, 'en')} {many}")
    if n:
        parts.append(_below_million(n, gender))
    return " ".join(parts)


def ordinal(n: int, masculine: bool = False) -> str:
    """Spell ``n`` as an ordinal (``3`` → ``tredje``, ``21`` → ``tjugoförsta``).

    ``masculine`` gives ``förste``/``andre`` (used after men's names: "Gustav den förste").
    """
    if n < 0:
        return "minus " + ordinal(-n, masculine)
    if n > MAX_CARDINAL:
        return digits(str(n))
    last = n % 100
    head = n - last
    if last == 0:
        if n == 0:
            return _ORD_ONES[0]
        words = cardinal(n)
        if words.endswith(("miljon", "miljard", "biljon")):
            return words + "te"
        if words.endswith(("miljoner", "miljarder", "biljoner")):
            return words[:-2] + "te"
        return words + "de"  # hundrade, tusende, tvåhundrade
    if last < 20:
        word = _ORD_ONES[last]
    else:
        tens, ones = divmod(last, 10)
        word = _ORD_TENS[tens] if ones == 0 else _TENS[tens] + _ORD_ONES[ones]
    if masculine and word.endswith(("första", "andra")):
        word = word[:-1] + "e"
    if not head:
        return word
    prefix = cardinal(head)
    return prefix + ("" if prefix.endswith("hundra") else " ") + word


def year(n: int) -> str:
    """Read ``n`` as a year: 1990 → ``nittonhundranittio``, 2023 → ``tjugotjugotre``.

    Years 2000–2019 are read ``tvåtusen…`` (as most speakers do), from 2020 on
    ``tjugo…`` followed by the last two digits.
    """
    if 1100 <= n <= 1999:
        century, rest = divmod(n, 100)
        return _ONES[century] + "hundra" + (_below_hundred(rest, "ett") if rest else "")
    if 2020 <= n <= 2099:
        return "tjugo" + _below_hundred(n - 2000, "ett")
    if 2000 <= n <= 2019:
        return "tvåtusen" + (_below_hundred(n - 2000, "ett") if n > 2000 else "")
    return cardinal(n)


def digits(text: str) -> str:
    """Read a string of digits one by one: ``"112"`` → ``ett ett två``."""
    return " ".join(_ONES[int(c)] for c in text if c.isdecimal())


def pairs(text: str) -> str:
    """Read a digit group as people read phone numbers.

    Two digits are one number unless they start with 0 (``45`` → ``fyrtiofem``,
    ``05`` → ``noll fem``), four as two such pairs; other groups digit by digit.
    """
    if len(text) == 2 and text[0] != "0":
        return _below_hundred(int(text), "ett")
    if len(text) == 4 and text[0] != "0" and text[2] != "0":
        return _below_hundred(int(text[:2]), "ett") + " " + _below_hundred(int(text[2:]), "ett")
    return digits(text)


def groups(text: str) -> str:
    """Read a long identifier in pairs from the left, as people read ID and account numbers.

    ``"232100"`` → ``tjugotre tjugoett noll noll``; an odd digit starts it (``"12345"`` →
    ``ett tjugotre fyrtiofem``).
    """
    head = ""
    if len(text) % 2:
        head, text = _ONES[int(text[0])], text[1:]
    parts = [head] if head else []
    parts += [pairs(text[i : i + 2]) for i in range(0, len(text), 2)]
    return " ".join(parts)


def _denominator(n: int, plural: bool) -> str:
    if n == 2:
        return "halva" if plural else "halv"
    word = ordinal(n)
    if word.endswith("nde"):
        word = word[:-1] + "el"
    elif word.endswith("ade"):
        word = word + "l"
    else:
        word = word + "del"
    return word + ("ar" if plural else "")


def fraction(numerator: int, denominator: int) -> str:
    """Read a fraction: 1/3 → ``en tredjedel``, 3/4 → ``tre fjärdedelar``, 1/2 → ``en halv``."""
    if denominator <= 1 or denominator > 1000:
        return f"{cardinal(numerator)} delat med {cardinal(denominator)}"
    plural = numerator != 1
    return f"{cardinal(numerator, 'en')} {_denominator(denominator, plural)}"


def decimal(integer: str, decimals: str, gender: Gender = "ett") -> str:
    """Read a decimal number written with a comma: ``3,5`` → ``tre komma fem``.

    One or two decimals without a leading zero are read as a number
    (``3,25`` → ``tre komma tjugofem``), others digit by digit.
    """
    whole = cardinal(int(integer), gender) if len(integer) <= 15 else digits(integer)
    if len(decimals) <= 2 and not decimals.startswith("0"):
        tail = cardinal(int(decimals))
    else:
        tail = digits(decimals)
    return f"{whole} komma {tail}"
