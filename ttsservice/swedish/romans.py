"""Roman numerals, read only where Swedish reads them as numbers.

A Roman numeral is read as a number in three places, and nowhere else:

- after a regent's (or pope's) name, as an ordinal with "den": "Karl XII" → "Karl den
  tolfte", "Gustav II Adolf" → "Gustav den andre Adolf" (men: "förste", "andre"),
  "Elisabet II" → "Elisabet den andra";
- after a word that numbers the parts of something (kapitel, del, avsnitt, bilaga, fas, typ
  …), as a cardinal: "avsnitt III" → "avsnitt tre", "typ II-diabetes" → "typ två-diabetes";
- before "kap." or "avd." in law texts, as an ordinal, the way "3 kap." is read: "III kap."
  → "tredje kapitlet".

Everything else that looks Roman is left alone: the pronoun "I" in an English quote, "VI" or
"LIV" in a heading in capitals, "CD", "MIX", "DIV", and a person's initial ("Maria V. Lind").
This pass runs first, before abbreviations and acronyms see the letters.
"""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _LO, _UP


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


REGNAL_NAMES_MALE: frozenset[str] = _words(
    """Gustav Gustaf Karl Carl Erik Johan Magnus Kristian Christian Fredrik Frederik
    Oscar Oskar Adolf Ludvig Louis Henrik Henry Olof Olav Sigismund Sverker Knut Birger
    Valdemar Håkan Haakon Albrekt Stenkil Inge Filip Philip Harald Johannes Paulus Pius
    Benedictus Benedikt Leo Napoleon Georg George Edvard Edward Wilhelm Vilhelm Richard
    Rikard Jakob James Peter Alexander Nikolaj Ivan Frans Franciskus Sixtus Clemens
    Gregorius Innocentius Bonifatius Urban Martin Pedro Juan Felipe Carlos Ferdinand
    Leopold Otto Fredrik Frederick Friedrich Mikael Michael Konstantin Justinianus
    Ludwig Karl-Johan Umberto Vittorio Emanuel Manuel Alfonso Ramses Tutankhamon Stefan
    Sancho Baldvin Albert Rudolf Maximilian Heinrich Kasimir Vladislav Boleslav Johann
    Josef Joseph Sigurd Eirik Erland Anund Emund Halsten Filippo Luigi Giovanni
    Ptolemaios Antiochos Seleukos Herodes"""
)
"""Men's names of regents and popes in Swedish and European history."""

REGNAL_NAMES_FEMALE: frozenset[str] = _words(
    """Kristina Christina Margareta Margrethe Margaret Elisabet Elizabeth Elisabeth Victoria
    Viktoria Ulrika Eleonora Katarina Catherine Anna Anne Maria Mary Sofia Isabella
    Isabel Lovisa Beatrix Juliana Wilhelmina Maria-Theresia Kleopatra Ingrid Blanka
    Hedvig Birgitta Ragnhild"""
)
"""Women's names of regents ("den andra", not "den andre")."""

NUMBERED_WORDS: frozenset[str] = _words(
    """del delen bilaga bilagan fas fasen kapitel kapitlet avsnitt avsnittet volym volymen
    band bandet akt akten scen scenen nivå nivån steg steget typ klass klassen etapp etappen
    avdelning avdelningen bok boken division grupp omgång säsong rum sal hus plan artikel
    tabell figur serie kategori sektion moment zon världskriget stadium stadiet grad
    graden sektor block kurs kursen paragraf punkt bilden kvartal"""
)
"""Words after which a Roman numeral is read as a plain number ("del II" → "del två")."""

ORDINAL_BEFORE: dict[str, str] = {
    "kap.": "kapitlet",
    "kap": "kapitlet",
    "kapitlet": "kapitlet",
    "avd.": "avdelningen",
    "avdelningen": "avdelningen",
    "boken": "boken",
    "delen": "delen",
    "akten": "akten",
    "bandet": "bandet",
}
"""Words before which a Roman numeral is an ordinal, as in law texts: "III kap." → "tredje
kapitlet" (read as "3 kap." is)."""

_ABBREVIATED = frozenset({"kap", "avd", "bil", "vol", "fig", "tab"})
"""Abbreviations (written with their dot) that number like NUMBERED_WORDS: "kap. IV"."""
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ROMAN = r"[IVXLC]{1,8}"
_NAMES = "|".join(sorted(REGNAL_NAMES_MALE | REGNAL_NAMES_FEMALE, key=len, reverse=True))
_AFTER_NAME = re.compile(rf"\b({_NAMES})\s+({_ROMAN})(:s|:e)?(?![\w-]|\.\w)")
_AFTER_WORD = re.compile(rf"(?<![\w-])([{_UP}{_LO}]+)(\.?)\s+({_ROMAN})(:s)?(?![\w]|\.\w)")
_BEFORE_WORD = re.compile(
    rf"(?<![\w-])({_ROMAN})\s+(kap\.|kap\b|kapitlet\b|avd\.|avdelningen\b|boken\b|delen\b"
    r"|akten\b|bandet\b)"
)
_INITIAL_AFTER = re.compile(rf"\.\s+[{_UP}]")
HINT = re.compile(r"(?<![\w])[IVXLC]{1,8}(?![\w])")
"""A quick test of whether a text may hold a Roman numeral at all."""


def roman_value(token: str) -> int | None:
    """The value of a well-formed Roman numeral from 1 to 40 ("XIV" → 14), else None.

    Larger numerals are left alone: in running text they are far more often words or
    acronyms ("CD", "LIV", "MIX") than numbers.
    """
    total = 0
    for i, c in enumerate(token):
        v = _VALUES.get(c)
        if v is None:
            return None
        nxt = _VALUES.get(token[i + 1], 0) if i + 1 < len(token) else 0
        total += -v if v < nxt else v
    if not 0 < total <= 40 or _to_roman(total) != token:
        return None
    return total


def _to_roman(n: int) -> str:
    out = ""
    for value, letters in ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def _is_initial(text: str, m: re.Match[str], token: str) -> bool:
    """ "Maria V. Lind": one letter, a dot and a capitalised word is a person's initial."""
    return len(token) == 1 and _INITIAL_AFTER.match(text, m.end()) is not None


def _roman_numerals(text: str, lexicon: Lexicon) -> str:
    def after_name(m: re.Match[str]) -> str:
        name, token, tail = m.group(1), m.group(2), m.group(3) or ""
        value = roman_value(token)
        if value is None or _is_initial(text, m, token):
            return m.group(0)
        male = name in REGNAL_NAMES_MALE
        s = "s" if tail == ":s" else ""
        return f"{name} den {num.ordinal(value, masculine=male)}{s}"

    text = _AFTER_NAME.sub(after_name, text)

    def after_word(m: re.Match[str]) -> str:
        word, dot, token, genitive = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        low = word.lower()
        if low not in (_ABBREVIATED if dot else NUMBERED_WORDS):
            return m.group(0)
        if token in ("I", "VI") and re.match(rf"\s+[{_UP}]{{2,}}", text[m.end() :]):
            return m.group(0)  # "DEL I VÅR SERIE": the words "i" and "vi" in a heading
        value = roman_value(token)
        if value is None or _is_initial(text, m, token):
            return m.group(0)
        said = num.cardinal(value)
        if word.isupper() and len(word) > 1:
            said = said.upper()  # "BILAGA II FINNS": stays a heading in capitals
        return f"{word}{dot} {said}{'s' if genitive else ''}"

    text = _AFTER_WORD.sub(after_word, text)

    def before_word(m: re.Match[str]) -> str:
        value = roman_value(m.group(1))
        if value is None:
            return m.group(0)
        return f"{num.ordinal(value)} {ORDINAL_BEFORE[m.group(2)]}"

    return _BEFORE_WORD.sub(before_word, text)
