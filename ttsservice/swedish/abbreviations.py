"""Rules for abbreviations ("t.ex.", "kl"), letter ranges and symbols (&, %, arrows, "/mån")."""

from __future__ import annotations

import re

from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _UP, _ends_sentence

_ARROW_BETWEEN = re.compile(r"(?<=\w)\s*[→⇒➔➜⟶]\s*(?=\w)")
_DECORATION = re.compile(r"[→⇒➔➜⟶»«›‹•◦▪▸►▶·‣⁃●○■□✓✔✗✘☐☑★☆*†‡¶|]")


def _abbreviation_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, bool]]]:
    table: dict[str, tuple[str, bool]] = {}
    for forms, spoken, final in tb.ABBREVIATIONS:
        for form in forms:
            for variant in {form, form[:1].upper() + form[1:]}:
                table[variant] = (spoken, final)
    alts = []
    for variant in sorted(table, key=len, reverse=True):
        pattern = re.escape(variant).replace(r"\.\ ", r"\.\s?").replace(r"\ ", " ")
        if variant.count(".") >= 2 and variant.endswith("."):
            pattern += "?"  # "fr.o.m" as often as "fr.o.m."
        alts.append(pattern)
    body = "|".join(alts)
    return re.compile(rf"(?<![\w.@/-])(?:{body})(?![\w]|\.\w)"), table


_ABBR_RE, _ABBR_TABLE = _abbreviation_pattern()
_LETTERS_RANGE = re.compile(rf"(?<![\w-])([{_UP}])\s?[–—]\s?([{_UP}])(?![\w-])")
_KL_BARE = re.compile(r"(?<![\w.])([Kk])l(?=\s?\d)")


def _abbreviations(text: str, lexicon: Lexicon) -> str:
    def expand(m: re.Match[str]) -> str:
        found = m.group(0)
        key = found if found in _ABBR_TABLE else re.sub(r"\.\s", ".", found)
        if key not in _ABBR_TABLE and key + "." in _ABBR_TABLE:
            key += "."
        spoken, final = _ABBR_TABLE.get(key, (found, False))
        if key in ("ex.", "Ex.") and re.search(r"\d\s?$", text[max(0, m.start() - 2) : m.start()]):
            spoken = "exemplar"  # "10 000 ex."
        starts = m.start() == 0 or text[: m.start()].rstrip()[-1:] in (".", "!", "?", "\n", "")
        capital = found[:1].isupper() and (starts or not found.isupper())  # "Bl.a.", not "HT"
        if capital and spoken[:1].islower():
            spoken = spoken[:1].upper() + spoken[1:]
        if found.endswith(".") and final and _ends_sentence(text, m.end()):
            spoken += "."
        elif found.endswith("!"):
            spoken += "!"
        return spoken

    text = _ABBR_RE.sub(expand, text)
    text = _LETTERS_RANGE.sub(r"\1 till \2", text)  # "A–Ö"
    return _KL_BARE.sub(lambda m: "Klockan" if m.group(1) == "K" else "klockan", text)


_SYMBOLS = (
    (re.compile(r"\s*&\s*"), " och "),
    (re.compile(r"\s?\+\s?"), " plus "),
    (re.compile(r"\s?=\s?"), " är lika med "),
    (re.compile(r"~\s?"), "cirka "),
    (re.compile(r"±\s?"), "plus minus "),
    (re.compile(r"\s?×\s?"), " gånger "),
    (re.compile(r"\s?÷\s?"), " delat med "),
    (re.compile(r"≤\s?"), "högst "),
    (re.compile(r"≥\s?"), "minst "),
    (re.compile(r"(?<=\s)<\s?|^<\s?"), "mindre än "),
    (re.compile(r"(?<=\s)>\s?|^>\s?"), "mer än "),
    (re.compile(r"%"), " procent"),
    (re.compile(r"‰"), " promille"),
    (re.compile(r"°"), " grader"),
    (re.compile(r"§"), "paragraf"),
    (re.compile(r"@"), " snabel-a "),
    (re.compile(r"€"), " euro"),
    (re.compile(r"\$"), " dollar"),
    (re.compile(r"£"), " pund"),
    (re.compile(r"©"), "copyright "),
    (re.compile(r"[®™]"), ""),
    (re.compile(r"#(?=\w)"), "nummer "),
    (re.compile(r"#"), ""),
    (re.compile(r"(?<=\w)/(?=\w)"), " "),
    (re.compile(r"[\\_^]"), " "),
    (re.compile(r"(?<![\w])kr(?![\w])"), "kronor"),
)


_PER = re.compile(
    r"(?<=\w)\s?/\s?(dag|dygn|år|mån\.?|månad|vecka|v\.|st\.?|styck|person|tim\.?|timme|h)(?!\w)"
)
_PER_AFTER_UNIT = re.compile(
    r"\b(kronor|krona|euro|dollar|gånger|timmar|minuter|kilo|gram|liter|kilometer|meter"
    r"|stycken|styck|procent)\s?/\s?(?=[a-zåäö])"
)
_PER_WORDS = {"mån": "månad", "v": "vecka", "st": "styck", "tim": "timme", "h": "timme"}


def _symbols(text: str, lexicon: Lexicon) -> str:
    def per(m: re.Match[str]) -> str:
        word = m.group(1)
        dot = "." if word.endswith(".") and _ends_sentence(text, m.end()) else ""
        return " per " + _PER_WORDS.get(word.rstrip("."), word) + dot

    text = _PER.sub(per, text)
    text = _PER_AFTER_UNIT.sub(r"\1 per ", text)
    text = _ARROW_BETWEEN.sub(" till ", text)
    text = _DECORATION.sub(" ", text)
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text
