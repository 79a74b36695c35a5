"""Roman numerals: read as numbers after regents' names and numbering words, never otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttsservice.swedish import Lexicon, Normalizer
from ttsservice.swedish.romans import (
    NUMBERED_WORDS,
    REGNAL_NAMES_FEMALE,
    REGNAL_NAMES_MALE,
    _roman_numerals,
    roman_value,
)

NORMALIZER = Normalizer()
EMPTY = Lexicon.build({})


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Karl XII dog 1718.", "Karl den tolfte dog sjuttonhundraarton."),
        ("Gustav II Adolf", "Gustav den andre Adolf"),
        ("Erik XIV", "Erik den fjortonde"),
        ("Elisabet II", "Elisabet den andra"),
        ("Margareta I", "Margareta den första"),
        ("Drottning Margrethe II", "Drottning Margrethe den andra"),
        ("Johannes Paulus II", "Johannes Paulus den andre"),
        ("Under Gustav III:s tid", "Under Gustav den tredjes tid"),
        ("Napoleon III och Ludvig XIV", "Napoleon den tredje och Ludvig den fjortonde"),
        ("avsnitt III", "avsnitt tre"),
        ("del II", "del två"),
        ("Läs del I och del II.", "Läs del ett och del två."),
        ("bilaga IV", "bilaga fyra"),
        ("Studien är i fas III.", "Studien är i fas tre."),
        ("typ II-diabetes", "typ två-diabetes"),
        ("etapp II", "etapp två"),
        ("nivå IV", "nivå fyra"),
        ("volym III", "volym tre"),
        ("akt II, scen III", "akt två, scen tre"),
        ("KAPITEL IV", "kapitel fyra"),
        ("I BILAGA II FINNS TABELLERNA", "I bilaga två finns tabellerna"),
        ("DEL I VÅR SERIE", "del I vår serie"),
        ("Se kap. IV.", "Se kapitel fyra."),
        ("III kap. 2 §", "tredje kapitlet andra paragrafen"),
        ("enligt IV kap. lagen", "enligt fjärde kapitlet lagen"),
        # never a number
        ("I Sverige finns 290 kommuner.", "I Sverige finns tvåhundranittio kommuner."),
        ("Handläggare är Maria V. Lind.", "Handläggare är Maria V. Lind."),
        ("Kontakta Anna C. Ek.", "Kontakta Anna C. Ek."),
        ("Köp en CD i butiken.", "Köp en se dé i butiken."),
        ("LIV OCH HÄLSA", "liv och hälsa"),
        ("MIX DIN EGEN MUSIK", "mix din egen musik"),
        ('Hon sa "I love it" på engelska.', 'Hon sa "I love it" på engelska.'),
        ("Gustav Vasa blev kung 1523.", "Gustav Vasa blev kung femtonhundratjugotre."),
        ("Liv Ullmann och Vi Ek", "Liv Ullmann och Vi Ek"),
    ],
)
def test_roman_numerals(written: str, spoken: str) -> None:
    assert NORMALIZER.normalize(written) == spoken


def test_roman_values() -> None:
    assert [roman_value(t) for t in ("I", "IV", "IX", "XIV", "XL")] == [1, 4, 9, 14, 40]
    # not well formed, or too large to be a number in running text
    assert [roman_value(t) for t in ("IIII", "VX", "IC", "CD", "LIV", "MIX", "DIV")] == [None] * 7


# Words that are words, spelled only with Roman-looking letters or looking like a name + numeral
ROMAN_LOOKING = [
    "I",
    "VI",
    "LIV",
    "MIX",
    "DIV",
    "CD",
    "MC",
    "CV",
    "IV",
    "XL",
    "XXL",
    "CIVIL",
    "VILL",
]
ORDINARY = [
    "Vi",
    "Liv",
    "Ivar",
    "Mix",
    "Civil",
    "Stockholm",
    "Region",
    "Biblioteket",
    "Sverige",
    "Ring",
    "Om",
    "Ek",
    "Lind",
    "Nya",
]
CAPS = ["OCH", "SES", "VÅR", "MUSIK", "HÄLSA", "NYHETER", "DU", "KONTAKT", "OM", "SOM"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ORDINARY + ROMAN_LOOKING), min_size=1, max_size=12))
def test_ordinary_capitalised_words_are_untouched(words: list[str]) -> None:
    text = " ".join(words)
    assert _roman_numerals(text, EMPTY) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CAPS + ROMAN_LOOKING), min_size=2, max_size=8))
def test_headings_in_capitals_are_untouched(words: list[str]) -> None:
    text = " ".join(words)
    assert _roman_numerals(text, EMPTY) == text


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(REGNAL_NAMES_MALE | REGNAL_NAMES_FEMALE)),
    st.sampled_from(["V", "I", "X", "C", "L"]),
    st.sampled_from(["Lind", "Ek", "Berg", "Andersson"]),
)
def test_an_initial_after_a_first_name_is_untouched(first: str, initial: str, last: str) -> None:
    text = f"Kontakta {first} {initial}. {last} på kansliet."
    assert _roman_numerals(text, EMPTY) == text


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(NUMBERED_WORDS)), st.integers(1, 40))
def test_every_numbering_word_reads_its_numeral_as_a_number(word: str, n: int) -> None:
    from ttsservice.swedish import numbers as num
    from ttsservice.swedish.romans import _to_roman

    out = _roman_numerals(f"Se {word} {_to_roman(n)} nedan.", EMPTY)
    assert out == f"Se {word} {num.cardinal(n)} nedan."
