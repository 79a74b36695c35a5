"""Sentence splitting: where Swedish sentences end, and offsets into the original text."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ttsservice.swedish import Span, split_sentences
from ttsservice.swedish.sentences import MAX_SENTENCE

SEED = Path(__file__).parent / "data" / "regionbibliotek-stockholm.txt"


def _texts(text: str) -> list[str]:
    spans = split_sentences(text)
    for span in spans:
        assert text[span.start : span.end] == span.text
    return [s.text for s in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hej. Hur mår du?", ["Hej.", "Hur mår du?"]),
        ("Vi ses t.ex. kl. 9. Sedan går vi hem.", ["Vi ses t.ex. kl. 9.", "Sedan går vi hem."]),
        (
            "Vi läser bl.a. Strindberg. Det är roligt.",
            ["Vi läser bl.a. Strindberg.", "Det är roligt."],
        ),
        ("Öppet kl. 8.00 varje dag.", ["Öppet kl. 8.00 varje dag."]),
        ("Det händer den 3. Maj är fin.", ["Det händer den 3.", "Maj är fin."]),
        ("Det händer den 3. maj i år.", ["Det händer den 3. maj i år."]),
        ("Boken av A. Lindgren är bra.", ["Boken av A. Lindgren är bra."]),
        ("J.R.R. Tolkien skrev den.", ["J.R.R. Tolkien skrev den."]),
        ("Räntan är 3,5 procent. Det är högt.", ["Räntan är 3,5 procent.", "Det är högt."]),
        (
            "Läs på regionstockholm.se. Där finns mer.",
            ["Läs på regionstockholm.se.", "Där finns mer."],
        ),
        ("Se www.1177.se/vard. Ring sedan.", ["Se www.1177.se/vard.", "Ring sedan."]),
        (
            "Vi har böcker, filmer osv. Sedan kom spelen.",
            ["Vi har böcker, filmer osv.", "Sedan kom spelen."],
        ),
        ("Kontakta oss fr.o.m. Måndag.", ["Kontakta oss fr.o.m. Måndag."]),
        ("Det gäller t.o.m. December.", ["Det gäller t.o.m. December."]),
        ("Vad? Ja! Nej.", ["Vad?", "Ja!", "Nej."]),
        ("Han sa: ”Kom hit.” Sedan gick han.", ["Han sa: ”Kom hit.”", "Sedan gick han."]),
        ("Det var bra (se s. 12). Nästa del.", ["Det var bra (se s. 12).", "Nästa del."]),
        ("Det var 2020. Sedan kom 2021.", ["Det var 2020.", "Sedan kom 2021."]),
        ("Vänta... Nu!", ["Vänta...", "Nu!"]),
        ("Vänta... nu kommer det.", ["Vänta... nu kommer det."]),
        ("S:t Eriksgatan 5. Där bor vi.", ["S:t Eriksgatan 5.", "Där bor vi."]),
        ("Ring tel. 08-123 45 67. Vi svarar.", ["Ring tel. 08-123 45 67.", "Vi svarar."]),
        ("Kostar ca. 100 kr. Billigt!", ["Kostar ca. 100 kr.", "Billigt!"]),
        ("Rubrik\nText här.", ["Rubrik", "Text här."]),
        ("1. Första punkten\n2. Andra punkten", ["1. Första punkten", "2. Andra punkten"]),
        ("  1. ett brett utbud\n  2. tjänster", ["1. ett brett utbud", "2. tjänster"]),
        ("• Stärka samverkan.\n• Stödja läsning.", ["• Stärka samverkan.", "• Stödja läsning."]),
        ("Se nr. 5 i listan. Klart.", ["Se nr. 5 i listan.", "Klart."]),
        ("Det gäller inkl. Moms. Klart.", ["Det gäller inkl. Moms.", "Klart."]),
        ("Vi köpte 5 st. Sedan gick vi.", ["Vi köpte 5 st.", "Sedan gick vi."]),
        ("Dr. Svensson tar emot. Prof. Ek också.", ["Dr. Svensson tar emot.", "Prof. Ek också."]),
        ("Gäller fr.o.m. Januari.", ["Gäller fr.o.m. Januari."]),
        ("", []),
        ("   \n  ", []),
        ("• \n»", []),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_long_sentences_are_split_at_clause_boundaries() -> None:
    text = (
        "Att främja intresset för bildning, upplysning, utbildning och forskning kan bidra "
        "till ökad livskvalitet och delaktighet, men också ökad sysselsättning i samhället, "
        "samt öka den enskildas möjlighet till fri åsiktsbildning och ett livslångt lärande."
    )
    assert len(text) > MAX_SENTENCE
    parts = _texts(text)
    assert parts == [
        "Att främja intresset för bildning, upplysning, utbildning och forskning kan bidra "
        "till ökad livskvalitet och delaktighet, men också ökad sysselsättning i samhället,",
        "samt öka den enskildas möjlighet till fri åsiktsbildning och ett livslångt lärande.",
    ]


def test_a_long_run_without_punctuation_is_cut_at_white_space() -> None:
    text = " ".join(["ord"] * 200)
    parts = _texts(text)
    assert len(parts) > 1
    assert all(len(p) <= MAX_SENTENCE for p in parts)
    assert " ".join(parts) == text


def test_a_semicolon_beats_a_comma() -> None:
    text = ("a" * 60 + ", ") + ("b" * 60 + "; ") + ("c" * 50 + ", ") + "d" * 60 + "."
    assert _texts(text)[0].endswith(";")


def test_seed_page_sentences() -> None:
    text = SEED.read_text("utf-8")
    spans = split_sentences(text)
    assert all(isinstance(s, Span) and text[s.start : s.end] == s.text for s in spans)
    assert all(len(s.text) <= MAX_SENTENCE for s in spans)
    texts = [s.text for s in spans]
    assert "(Ur Regional biblioteksplan 2020-2023)" in texts
    assert "1. ett brett, kvalitetssäkrat och kostnadsfritt medieutbud" in texts
    assert "Hjälp oss att förbättra regionstockholm.se!" in texts
    assert texts[:2] == [
        "Regionbibliotek Stockholm",
        "Uppläsnings-funktionen kräver att du accepterar inställnings-cookies",
    ]
    assert 30 <= len(spans) <= 45


def test_offsets_are_in_order_and_do_not_overlap() -> None:
    text = SEED.read_text("utf-8")
    spans = split_sentences(text)
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
