"""Passages in another language inside a block (issue 19): found with their offsets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ttsservice.reading.extract import extract_reading
from ttsservice.reading.passages import CLOSE, open_marker, passages_of, split_passages

SEED = Path(__file__).parent / "data" / "regionbibliotek-stockholm.html"


def _page(body: str, lang: str = "sv") -> str:
    return f"<html lang='{lang}'><body><main><h1>Rubrik</h1>{body}</main></body></html>"


def test_an_inline_passage_is_a_run_of_its_block_with_offsets_into_its_text() -> None:
    reading = extract_reading(
        _page(
            '<p>Boken <span lang="en-GB">The Long <b>Way</b> Home</span> kom ut 2020. '
            "Den handlar om en resa.</p>"
        )
    )
    block = reading.blocks[1]
    assert block.text == "Boken The Long Way Home kom ut 2020. Den handlar om en resa."
    assert block.lang == "sv"
    assert [(block.text[s:e], lang) for s, e, lang in block.passages] == [
        ("The Long Way Home", "en")
    ]


def test_nested_passages_come_back_to_the_outer_language() -> None:
    reading = extract_reading(
        _page('<p>Hon sa <q lang="fi">Hyvää <i lang="sv">god</i> päivää</q> och gick.</p>')
    )
    block = reading.blocks[1]
    runs = [(block.text[s:e], lang) for s, e, lang in passages_of(block.text, "sv", block.passages)]
    assert runs == [
        ("Hon sa ", "sv"),
        ("Hyvää ", "fi"),
        ("god", "sv"),
        (" päivää", "fi"),
        (" och gick.", "sv"),
    ]


def test_a_table_cell_in_another_language_is_a_passage_of_its_row() -> None:
    reading = extract_reading(
        _page("<p>En text.</p><table><tr><td>Titel</td><td lang='en'>Hello there</td></tr></table>")
    )
    row = reading.blocks[-1]
    assert row.text == "Titel, Hello there"
    assert [(row.text[s:e], lang) for s, e, lang in row.passages] == [("Hello there", "en")]


def test_the_same_language_or_a_whole_block_gives_no_passage() -> None:
    reading = extract_reading(
        _page('<p>Ett <span lang="sv-SE">svenskt</span> ord.</p><p lang="en">All English.</p>')
    )
    assert [(b.lang, b.passages) for b in reading.blocks[1:]] == [("sv", ()), ("en", ())]


def test_blocks_have_the_same_text_with_passages_as_without() -> None:
    html = SEED.read_text(encoding="utf-8")
    # Every inline element of the seed page in English.
    marked = re.sub(r"<(a|span|strong|em|b|i)(?=[\s>])", r'<\1 lang="en"', html)
    plain = extract_reading(html)
    with_passages = extract_reading(marked)
    assert [b.text for b in with_passages.blocks] == [b.text for b in plain.blocks]
    assert any(b.passages for b in with_passages.blocks)
    for block in with_passages.blocks:
        for start, end, _ in block.passages:
            assert 0 <= start < end <= len(block.text)


@pytest.mark.parametrize(
    "raw",
    [
        f"  Boken {open_marker('en')} The  Long\u00ad Way {CLOSE} kom  ",
        f"{open_marker('en')}unclosed passage",
        f"stray {CLOSE} close \ufdd1 and half \ufdd0 markers",
        f"{open_marker('en')}{CLOSE}",
    ],
)
def test_split_passages_cleans_like_the_extractor(raw: str) -> None:
    text, passages = split_passages(raw, "sv")
    plain = re.sub("[\ufdd0-\ufdd2]|\ufdd0[a-z]+\ufdd1", "", re.sub("\ufdd0[a-z]+\ufdd1", "", raw))
    assert text == re.sub(r"\s+", " ", plain.replace("\u00ad", "")).strip()
    assert all(0 <= s < e <= len(text) and lang == "en" for s, e, lang in passages)
