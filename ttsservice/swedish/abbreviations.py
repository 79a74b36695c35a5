"""Rules for abbreviations ("t.ex.", "kl"), letter ranges and symbols (&, %, arrows, "/mån").

The abbreviations are the reference list of :mod:`.abbrevlist`, matched in every spelling
it derives; an adjective among them agrees with its noun (:mod:`.agreement`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ttsservice.swedish import tables as tb
from ttsservice.swedish.abbrevlist import SPELLINGS, Abbreviation
from ttsservice.swedish.agreement import form_between
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _UP, _ends_sentence

_ARROW_BETWEEN = re.compile(r"(?<=\w)\s*[→⇒➔➜⟶]\s*(?=\w)")
_DECORATION = re.compile(r"[→⇒➔➜⟶»«›‹•◦▪▸►▶·‣⁃●○■□✓✔✗✘☐☑★☆*†‡¶|]")


_Trie = dict[str, "_Trie"]


def trie_pattern(words: Iterable[str]) -> str:
    """One regular expression for many literal words, as a trie ("t\\.(?:ex|o\\.m)…").

    Python's ``re`` tries the alternatives of ``a|b|c`` one by one at every position; a
    trie shares their prefixes, so matching hundreds of spellings costs about as much as
    matching one. The longest spelling wins (an optional tail is greedy).
    """
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return build(root)


_ABBR_RE = re.compile(rf"(?<![\w.@/-])(?:{trie_pattern(SPELLINGS)})(?![\w]|\.\w)")
_LETTERS_RANGE = re.compile(rf"(?<![\w-])([{_UP}])\s?[–—]\s?([{_UP}])(?![\w-])")
_KL_BARE = re.compile(r"(?<![\w.])([Kk])l(?=\s?\d)")
_NUMBER_AFTER = re.compile(r"\s?(?:[\d(]|F\s?[-–])")
_YEAR_AFTER = re.compile(r"\s?(?:1[0-9]|20)\d\d(?!\d)")
_NUMBER_BEFORE = re.compile(r"\d\s?$")
_SENTENCE_AFTER = re.compile(rf"\s*(?:$|\n|\s[{_UP}\"'”»])")
_FORM_INDEX = {"en": 0, "ett": 1, "plural": 2, "adverb": 1, "alone": 3}


def _say(entry: Abbreviation, found: str, text: str, start: int, end: int) -> str | None:
    """What to say for ``found`` at ``start:end``, or None to leave it as written."""
    before_number = _NUMBER_AFTER.match(text, end) is not None
    if "N" in entry.flags and not before_number:
        return None
    if "Y" in entry.flags and not _YEAR_AFTER.match(text, end):
        return None
    if (
        "W" in entry.flags
        and not before_number
        and _SENTENCE_AFTER.match(text, end)
        and text[:start].rstrip(" \t")[-1:] not in ("", "\n")
    ):
        return None  # "Vi tog en bil." is a car, not an appendix
    if (found in tb.UNITS or found.rstrip(".") in tb.UNITS) and _NUMBER_BEFORE.search(
        text, max(0, start - 2), start
    ):
        return None  # "5 mm" is millimetres: the unit rules say it
    if entry.spoken == "exempel" and _NUMBER_BEFORE.search(text, max(0, start - 2), start):
        return "exemplar"  # "10 000 ex."
    if before_number and entry.before_number:
        return entry.before_number
    if entry.inflected is not None:
        return entry.inflected[
            _FORM_INDEX[form_between(text[max(0, start - 40) : start], text[end:])]
        ]
    return entry.spoken


_NUMBERED = trie_pattern(f for f, e in SPELLINGS.items() if e.before_number or "N" in e.flags)
_BEFORE_NUMBER_RE = re.compile(rf"(?<![\w.@/-])({_NUMBERED})(?=\s?(?:\d|F\s?[-–]))")


def _abbreviations_before_numbers(text: str, lexicon: Lexicon) -> str:
    """Abbreviations whose reading depends on a number after them ("dir. 2022:45" → "direktiv",
    "f. 1594" → "född"), said before the number rules turn the number into words."""

    def expand(m: re.Match[str]) -> str:
        entry = SPELLINGS[m.group(1)]
        if "Y" in entry.flags and not _YEAR_AFTER.match(text, m.end()):
            return m.group(0)
        spoken = entry.before_number or entry.spoken
        return spoken[:1].upper() + spoken[1:] if m.group(1)[:1].isupper() else spoken

    return _BEFORE_NUMBER_RE.sub(expand, text)


def _abbreviations(text: str, lexicon: Lexicon) -> str:
    def expand(m: re.Match[str]) -> str:
        found = m.group(0)
        entry = SPELLINGS[found]
        spoken = _say(entry, found, text, m.start(), m.end())
        if spoken is None:
            return found
        starts = m.start() == 0 or text[: m.start()].rstrip()[-1:] in (".", "!", "?", "\n", "")
        capital = found[:1].isupper() and (starts or not found.isupper())  # "Bl.a.", not "HT"
        if capital and spoken[:1].islower():
            spoken = spoken[:1].upper() + spoken[1:]
        if (
            found.endswith(".")
            and "F" in entry.flags
            and _ends_sentence(text, m.end())
            and not _NUMBER_AFTER.match(text, m.end())
            and not ("T" in entry.flags and text[m.end() : m.end() + 1].isspace())
        ):
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
