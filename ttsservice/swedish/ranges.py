"""Ranges written before a compound: "3–5-rumslägenheter", "2–3-åringar", "10–12-timmarspass".

Written Swedish puts the range in front of the compound with a hyphen ("3–5-rumslägenheter"
for "tre- till femrumslägenheter"); it is said as a range, the second number joined to the
compound as a single number would be ("3-rumslägenhet" → "trerumslägenhet"): "tre till
femrumslägenheter". With an en dash, a hyphen-minus or a dash between spaces alike.
"""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _LO

_COMPOUND_RANGE = re.compile(rf"(?<![\w,.:/-])(\d{{1,3}})\s?[-–—‒]\s?(\d{{1,3}})-([{_LO}][\w]*)")
_EN_HEADS = (
    "rum",
    "plan",
    "man",
    "person",
    "kron",
    "barns",
    "familj",
    "vånings",
    "roms",
    "sitsig",
    "sits",
)
"""Compound parts after which one is "en", not "ett": "enrumslägenhet", "enplansvilla"."""


def compound_head(n: int, word: str) -> str:
    """A number as the first part of ``word``: 3 → "tre", 1 → "ett" or, before "rum", "plan",
    "mans" …, "en" ("enrumslägenhet", "ettåring")."""
    if n == 1 and word.startswith(_EN_HEADS):
        return "en"
    return num.cardinal(n)


def _compound_ranges(text: str, lexicon: Lexicon) -> str:
    def say(m: re.Match[str]) -> str:
        a, b, word = int(m.group(1)), int(m.group(2)), m.group(3)
        if b <= a or m.group(1).startswith("0"):
            return m.group(0)  # "3-1-systemet": not a range
        return f"{compound_head(a, word)} till {compound_head(b, word)}{word}"

    return _COMPOUND_RANGE.sub(say, text)
