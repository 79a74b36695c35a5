"""Rules for acronyms and letters: spelled or said as a word, shouting
capitals (Roman numerals are :mod:`.romans`).
"""

from __future__ import annotations

import re

from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _LO, _UP, _spell

_VOWELS = frozenset("AEIOUYÅÄÖÉÜ")
_ONSETS = frozenset(
    [
        "BL",
        "BR",
        "DR",
        "FL",
        "FR",
        "GL",
        "GN",
        "GR",
        "KL",
        "KN",
        "KR",
        "KV",
        "PL",
        "PR",
        "SK",
        "SL",
        "SM",
        "SN",
        "SP",
        "ST",
        "SV",
        "TR",
        "TV",
    ]
)


def _pronounceable(word: str) -> bool:
    """Whether capitals can be read as a word: "NATO", "VÅRA", "SKOLA"; not "SMHI", "ADHD"."""
    if len(word) < 4 or not any(c in _VOWELS for c in word):
        return False
    run = 0
    for c in word:
        run = 0 if c in _VOWELS else run + 1
        if run >= 3:
            return False
    return word[0] in _VOWELS or word[1] in _VOWELS or word[:2] in _ONSETS


def _looks_like_a_word(word: str) -> bool:
    """Capitals that are more likely a word than an acronym (acronyms are short)."""
    if len(word) >= 6:
        return sum(c in _VOWELS for c in word) * 4 >= len(word)
    return _pronounceable(word)


_ACRONYM = re.compile(rf"(?<![\w])([{_UP}]{{2,}})(?::([{_LO}]+))?(?![\w])")
_SHOUTING = re.compile(
    rf"\b[{_UP}]{{2,}}\b(?:[\s,:;!?&-]+\b[{_UP}]+\b)+[\s,:;!?&-]+\b[{_UP}]{{2,}}\b"
)
_LETTER_COMPOUND = re.compile(rf"(?<![\w-])([{_UP}])-(?=[{_LO}])")


def _names_and_acronyms(text: str, lexicon: Lexicon) -> str:
    spell, say = lexicon.spell, lexicon.say
    # Three or more words in capitals in a row is a heading in capitals, not acronyms.
    shouted = [(r.start(), r.end()) for r in _SHOUTING.finditer(text)]

    def acronym(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if word in say:
            return word.lower() + suffix
        if word in spell or word in tb.SPELLED_ACRONYMS:
            return _spell(word) + suffix
        if word in tb.WORD_ACRONYMS:
            return tb.WORD_ACRONYMS[word] + suffix
        if word in tb.CAPS_WORDS or _looks_like_a_word(word):
            return word.lower() + suffix
        if any(a <= m.start() < b for a, b in shouted):
            return word.lower() + suffix
        return _spell(word) + suffix

    text = _ACRONYM.sub(acronym, text)
    return _LETTER_COMPOUND.sub(lambda m: tb.LETTER_NAMES.get(m.group(1), m.group(1)) + "-", text)
