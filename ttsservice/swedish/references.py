"""Rules for references: sections (§), chapters, pages, numbers (nr), weeks,
quarters, statutes, list numbers.
"""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _DASH, _LO, _UP, _number, _spell

_LETTER_RANGE = re.compile(rf"(?<![\w-])([{_UP}]\s?–|F-)\s?(?=\d)")
_TIMES_SIGN = re.compile(r"(?<=\d)\s?[x×]\s?(?=\d)")
_DEFINITE_NUMBER = re.compile(r"(?<![\d,.])(\d{1,3}):an\b")
_QUARTER = re.compile(r"(?<![\w-])Q([1-4])(?![\w])")
_LETTERS_DIGITS = re.compile(rf"(?<![\w-])([{_UP}{_LO}]{{1,10}})(\d+)(?![\d,.]\d)")
_DIGITS_CAPITAL = re.compile(rf"(?<![\w-])(\d+)([{_UP}])(?=[{_UP}\W]|$)")
_STATUTE = re.compile(r"(?<![\d,.:])(1[89]\d\d|20\d\d):(\d{1,4})(?![\d:])")
_SESSION_DOCUMENT = re.compile(r"(?<![\d,.:/])(1[89]\d\d|20\d\d)/(\d\d):(?=\w)")
_PAGE = re.compile(r"(?<![\w.])([Ss])(?:id)?\.\s?(?=\d)")
_NR = re.compile(r"(?<![\w.])([Nn])r\.?\s?(?=\d)")
_WEEK = re.compile(
    r"(?<![\w.])([Vv])(?:\.|ecka)?\s?(\d{1,2})(?:" + _DASH + r"(\d{1,2}))?(?![\d,.]\d)"
)
_CHAPTER_AFTER = re.compile(r"(?<![\d,.])(\d+)\s?kap\.")
_PARAGRAPH_AFTER = re.compile(r"(?<![\d,.])(\d+)(\s?[a-z])?\s?§(?!§)")
_SUBSECTION = re.compile(r"(paragrafen,? )(\d{1,2})\s?st(?:\.|ycket)")
_PARAGRAPHS = re.compile(r"§§\s?")
_PARAGRAPH_BEFORE = re.compile(r"§\s?(?=\d)")
_LIST_NUMBER = re.compile(r"^([ \t]*)\(?(\d{1,3})[.)](?=[ \t]+\S)", re.MULTILINE)


def _definite(n: int) -> str:
    """ "4:an" → "fyran", "1:an" → "ettan", "15:an" → "femtonan"."""
    if n % 10 == 5 and n % 100 != 15:
        return num.cardinal(n) + "man"
    words = num.cardinal(n)
    return (words[:-1] if words.endswith(("a", "o")) else words) + "an"


def _letters_then_digits(m: re.Match[str]) -> str:
    """ "E18" → "E 18", "mp3" → "emm pe 3", "CO2" → "CO 2": letters and digits apart."""
    letters, digits_ = m.group(1), m.group(2)
    if m.group(0) in tb.UNITS:
        return m.group(0)  # "m2", "km2"
    if letters.islower() and len(letters) <= 3 and not any(c in "aeiouyåäö" for c in letters):
        letters = _spell(letters.upper())
    return f"{letters} {digits_}"


def _references(text: str, lexicon: Lexicon) -> str:
    """List numbers; page, number, week, chapter and section references."""
    text = _LIST_NUMBER.sub(lambda m: f"{m.group(1)}{num.cardinal(int(m.group(2)))},", text)
    text = _TIMES_SIGN.sub(" gånger ", text)
    text = _LETTER_RANGE.sub(lambda m: m.group(1)[0] + " till ", text)  # "åk F–9"
    text = _QUARTER.sub(lambda m: f"kvartal {num.cardinal(int(m.group(1)))}", text)
    text = _LETTERS_DIGITS.sub(_letters_then_digits, text)
    text = _DIGITS_CAPITAL.sub(r"\1 \2", text)
    text = _DEFINITE_NUMBER.sub(lambda m: _definite(int(m.group(1))), text)
    # "prop. 2017/18:1", "bet. 2023/24:SoU5": the Riksdag's session year, then the number
    text = _SESSION_DOCUMENT.sub(
        lambda m: f"{num.year(int(m.group(1)))} {num.cardinal(int(m.group(2)))} kolon ", text
    )
    text = _STATUTE.sub(lambda m: f"{num.year(int(m.group(1)))} kolon {_number(m.group(2))}", text)
    text = _PAGE.sub(lambda m: "Sidan " if m.group(1) == "S" else "sidan ", text)
    text = _NR.sub(lambda m: "Nummer " if m.group(1) == "N" else "nummer ", text)
    text = _WEEK.sub(
        lambda m: (
            ("Vecka " if m.group(1) == "V" else "vecka ")
            + num.cardinal(int(m.group(2)))
            + (f" till {num.cardinal(int(m.group(3)))}" if m.group(3) else "")
        ),
        text,
    )
    text = _CHAPTER_AFTER.sub(lambda m: f"{num.ordinal(int(m.group(1)))} kapitlet", text)

    def paragraph(m: re.Match[str]) -> str:
        letter = f" {m.group(2).strip()}" if m.group(2) else ""
        return f"{num.ordinal(int(m.group(1)))}{letter} paragrafen"

    text = _PARAGRAPH_AFTER.sub(paragraph, text)
    text = _SUBSECTION.sub(lambda m: f"{m.group(1)}{num.ordinal(int(m.group(2)))} stycket", text)
    text = _PARAGRAPHS.sub("paragraferna ", text)
    return _PARAGRAPH_BEFORE.sub("paragraf ", text)
