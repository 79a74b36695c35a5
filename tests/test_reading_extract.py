"""Main-content extraction: the seed page, skip rules, blocks, locators and broken input."""

from __future__ import annotations

from pathlib import Path

from ttsservice.reading import extract_reading

DATA = Path(__file__).parent / "data"
SEED = DATA / "regionbibliotek-stockholm.html"
EXPECTED = DATA / "regionbibliotek-stockholm.expected.txt"


def test_seed_page_reads_exactly_the_expected_text() -> None:
    reading = extract_reading(SEED.read_text("utf-8"), "https://www.regionstockholm.se/x/")
    assert reading.text + "\n" == EXPECTED.read_text("utf-8")
    assert reading.title == "Regionbibliotek Stockholm"
    assert reading.lang == "sv"
    assert reading.url == "https://www.regionstockholm.se/x/"


def test_seed_page_leaves_out_banner_notice_form_navigation_and_footer() -> None:
    text = extract_reading(SEED.read_text("utf-8")).text
    for unwanted in (
        "Vi använder kakor",
        "Uppläsnings-funktionen kräver",
        "Hjälpte den här informationen dig",
        "Formuläret kräver",
        "Hälsa och vård",
        "Startsida",
        "Relaterade sidor",
        "Box 22550",
        "Senast uppdaterad",
        "Gå direkt till innehållet",
    ):
        assert unwanted not in text


def test_seed_blocks_have_kinds_levels_and_locators() -> None:
    blocks = extract_reading(SEED.read_text("utf-8")).blocks
    assert [b.index for b in blocks] == list(range(len(blocks)))
    assert blocks[0].kind == "heading" and blocks[0].level == 1
    assert blocks[0].locator == "#main-content > article > h1"
    assert blocks[2].kind == "caption"
    assert blocks[2].locator == "#main-content > article > figure > figcaption"
    items = [b for b in blocks if b.kind == "list_item"]
    assert len(items) == 6
    assert (
        items[0].locator == "#main-content > article > div:nth-of-type(3) > ol > li:nth-of-type(1)"
    )
    assert {b.lang for b in blocks} == {"sv"}
    assert all(b.level is None for b in blocks if b.kind != "heading")
