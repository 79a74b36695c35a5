"""Main-content extraction: the seed page, skip rules, blocks, locators and broken input."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttsservice.reading import ExtractOptions, extract_reading

DATA = Path(__file__).parent / "data"
SEED = DATA / "regionbibliotek-stockholm.html"
EXPECTED = DATA / "regionbibliotek-stockholm.expected.txt"
_HAS_LETTER = re.compile(r"[^\W_]")


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


def _page(main: str, *, outside: str = "", lang: str = "sv") -> str:
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><title>Sidans titel</title></head><body>"
        f"{outside}<main>{main}</main></body></html>"
    )


KEEP = "<h1>Rubrik</h1><p>Det här ska läsas upp.</p>"


@pytest.mark.parametrize(
    "unwanted",
    [
        "<p class='rs_skip'>Hoppa över</p>",
        "<div class='intro rs_skip'><p>Hoppa över</p></div>",
        "<div data-tts-skip><p>Hoppa över</p></div>",
        "<p hidden>Hoppa över</p>",
        "<p aria-hidden='true'>Hoppa över</p>",
        "<p style='color: red; display : none'>Hoppa över</p>",
        "<p style='visibility:hidden'>Hoppa över</p>",
        "<div role='dialog'><p>Hoppa över</p></div>",
        "<dialog open><p>Hoppa över</p></dialog>",
        "<div id='cookie-banner'><p>Hoppa över</p></div>",
        "<div class='CookieConsent'><p>Hoppa över</p></div>",
        "<form><label>Hoppa över</label><input value='Hoppa över'></form>",
        "<nav><ul><li><a href='/'>Hoppa över</a></li></ul></nav>",
        "<aside><p>Hoppa över</p></aside>",
        "<div role='navigation'><a href='/'>Hoppa över</a></div>",
        "<script>var x = 'Hoppa över';</script>",
        "<style>p::after { content: 'Hoppa över' }</style>",
        "<noscript><p>Hoppa över</p></noscript>",
        "<template><p>Hoppa över</p></template>",
        "<svg><text>Hoppa över</text></svg>",
        "<button>Hoppa över</button>",
        "<p>Funktionen kräver att du accepterar inställnings-cookies</p>",
        "<ul class='share'><li><a href='#'>Hoppa över</a></li><li><a href='#'>Dela</a></li></ul>",
        "<div class='breadcrumbs'><a href='/'>Hoppa över</a></div>",
    ],
)
def test_skip_rules(unwanted: str) -> None:
    reading = extract_reading(_page(KEEP + unwanted))
    assert [b.text for b in reading.blocks] == ["Rubrik", "Det här ska läsas upp."]


def test_page_header_footer_and_navigation_outside_main_are_skipped() -> None:
    html = (
        "<html><body><header><p>Sidhuvud med text</p></header>"
        "<div class='wrap'><main><article><header><h1>Artikelns rubrik</h1></header>"
        "<p>Brödtext i artikeln som ska läsas.</p></article></main></div>"
        "<footer><p>Sidfot med adress</p></footer></body></html>"
    )
    assert extract_reading(html).text == "Artikelns rubrik\n\nBrödtext i artikeln som ska läsas."


def test_configured_skip_selectors_and_asides() -> None:
    html = _page(KEEP + "<div class='puff'><p>Puff</p></div><aside><p>Fakta i rutan</p></aside>")
    plain = extract_reading(html, options=ExtractOptions(skip_selectors=(".puff",)))
    assert plain.text == "Rubrik\n\nDet här ska läsas upp."
    asides = extract_reading(html, options=ExtractOptions(read_asides=True))
    assert asides.text.endswith("Puff\n\nFakta i rutan")


def test_data_tts_read_forces_inclusion_in_place() -> None:
    html = _page(
        KEEP + "<aside data-tts-read><p>Viktig faktaruta</p></aside>",
        outside="<div class='notice' data-tts-read><p>Driftstörning i dag</p></div>",
    )
    texts = [b.text for b in extract_reading(html).blocks]
    assert texts == ["Driftstörning i dag", "Rubrik", "Det här ska läsas upp.", "Viktig faktaruta"]


def test_content_root_order_selector_main_role_article() -> None:
    body = (
        "<div id='innehall'><p>Utvald text i innehållet.</p></div>"
        "<div role='main'><p>Rollens huvudtext här.</p>"
        "<article><p>Artikelns text finns här.</p></article></div>"
    )
    html = f"<html><body>{body}</body></html>"
    chosen = ExtractOptions(content_selector="#innehall")
    assert extract_reading(html, options=chosen).text == "Utvald text i innehållet."
    assert extract_reading(html).text == "Rollens huvudtext här.\n\nArtikelns text finns här."
    no_role = html.replace(" role='main'", "")
    assert extract_reading(no_role).text == "Artikelns text finns här."
    main = html.replace("<div role='main'>", "<main>").replace("</div></body>", "</main></body>")
    assert extract_reading(main).text == "Rollens huvudtext här.\n\nArtikelns text finns här."


def test_landmark_with_little_of_the_text_is_not_the_root() -> None:
    teasers = "".join(
        f"<article><a href='/{i}'>Relaterad artikel {i}</a></article>" for i in range(3)
    )
    text = "".join(f"<p>Stycke {i} med brödtext som är lång nog att räknas.</p>" for i in range(4))
    html = f"<html><body><div class='text'>{text}</div><div>{teasers}</div></body></html>"
    reading = extract_reading(html)
    assert len(reading.blocks) == 4
    assert "Relaterad" not in reading.text


def test_boilerplate_class_on_the_content_wrapper_does_not_hide_it() -> None:
    text = "".join(f"<p>Stycke {i} med brödtext som är lång nog att räknas.</p>" for i in range(4))
    html = (
        f"<html><body><div class='hs_wrapper_meta_field'>{text}</div>"
        "<div class='meta'><p>Publicerad av redaktionen på webbplatsen i går.</p></div>"
        "</body></html>"
    )
    reading = extract_reading(html)
    assert len(reading.blocks) == 4
    assert "Publicerad" not in reading.text


def test_density_fallback_finds_the_text_without_landmarks() -> None:
    links = "".join(f"<a href='/{i}'>Länk nummer {i}</a> " for i in range(20))
    paragraphs = "".join(
        f"<p>Stycke {i} med en mening som är lång nog att räknas som brödtext.</p>"
        for i in range(6)
    )
    html = (
        f"<html><body><div class='top'>{links}</div><div class='x'><div class='y'>"
        f"<h2>Rubriken</h2>{paragraphs}</div></div><div>Kontakt 08-123 45 67</div></body></html>"
    )
    reading = extract_reading(html)
    assert reading.blocks[0].text == "Rubriken"
    assert len(reading.blocks) == 7
    assert "Länk nummer" not in reading.text and "Kontakt" not in reading.text


def test_tables_read_row_by_row_and_layout_tables_as_text() -> None:
    table = (
        "<table><caption>Öppettider</caption><thead><tr><th>Dag</th><th>Tid</th></tr></thead>"
        "<tbody><tr><td>Måndag</td><td>8–17</td></tr><tr><td>Tisdag</td><td>8–16</td></tr>"
        "</tbody></table>"
    )
    blocks = extract_reading(_page(table)).blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("caption", "Öppettider"),
        ("table_row", "Dag, Tid"),
        ("table_row", "Måndag, 8–17"),
        ("table_row", "Tisdag, 8–16"),
    ]
    assert blocks[2].locator == "body > main > table > tbody > tr:nth-of-type(1)"
    bare = extract_reading(_page("<table><tr><td>A1</td><td>B1</td></tr></table>"))
    assert bare.blocks[0].locator == "body > main > table > tbody > tr"
    layout = "<table><tr><td><h2>Avsnitt</h2><p>Text i en layouttabell.</p></td></tr></table>"
    assert [(b.kind, b.text) for b in extract_reading(_page(layout)).blocks] == [
        ("heading", "Avsnitt"),
        ("paragraph", "Text i en layouttabell."),
    ]


def test_image_alt_only_for_meaningful_images_without_caption() -> None:
    html = _page(
        "<p>Före bilden.</p><img src='a.jpg' alt='Karta över länet'>"
        "<figure><img src='b.jpg' alt='Ej uppläst'><figcaption>Bildtext</figcaption></figure>"
        "<a href='/'><img src='c.png' alt='Till startsidan'></a>"
        "<img src='d.png' alt=''><img src='e.png' alt='bild.png'>"
    )
    blocks = extract_reading(html).blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Före bilden."),
        ("image_alt", "Karta över länet"),
        ("caption", "Bildtext"),
    ]
    no_alt = extract_reading(html, options=ExtractOptions(read_image_alt=False))
    assert [b.kind for b in no_alt.blocks] == ["paragraph", "caption"]


def test_language_from_nearest_lang_attribute() -> None:
    html = _page(
        "<p>Svensk text här.</p><p lang='en-GB'>English text here.</p>"
        "<div lang='fi'><p>Suomenkielinen teksti.</p></div>"
    )
    reading = extract_reading(html)
    assert reading.lang == "sv"
    assert [b.lang for b in reading.blocks] == ["sv", "en", "fi"]
    assert extract_reading(_page("<p>Utan språk</p>", lang="")).lang == "sv"


def test_whitespace_soft_hyphens_and_punctuation_only_blocks() -> None:
    html = _page(
        "<p>Stock&shy;holms\u00adregionen\u200b  har\n\t många&nbsp;bibliotek.</p>"
        "<p>* * *</p><p>—</p><p> </p><h2>Rubrik  med <em>betoning</em></h2>"
        "<p>Text<br>på två rader</p>"
    )
    assert [b.text for b in extract_reading(html).blocks] == [
        "Stockholmsregionen har många bibliotek.",
        "Rubrik med betoning",
        "Text på två rader",
    ]


def test_quotes_headings_and_lists() -> None:
    html = _page(
        "<h3>Tredje nivå</h3><blockquote><p>Ett citat.</p><p>Två stycken.</p></blockquote>"
        "<ul><li>Punkt ett<ul><li>Underpunkt</li></ul></li></ul>"
        "<div role='heading' aria-level='4'>Rollrubrik</div><div>Löptext i en div.</div>"
    )
    blocks = extract_reading(html).blocks
    assert [(b.kind, b.level, b.text) for b in blocks] == [
        ("heading", 3, "Tredje nivå"),
        ("quote", None, "Ett citat."),
        ("quote", None, "Två stycken."),
        ("list_item", None, "Punkt ett"),
        ("list_item", None, "Underpunkt"),
        ("heading", 4, "Rollrubrik"),
        ("paragraph", None, "Löptext i en div."),
    ]


def test_every_locator_finds_its_block_on_the_page() -> None:
    html = SEED.read_text("utf-8")
    doc = lxml.html.document_fromstring(html)
    for block in extract_reading(html).blocks:
        found = doc.cssselect(block.locator)
        assert found, block.locator
        assert block.text in " ".join(found[0].text_content().split())


def test_ids_are_used_only_when_unique() -> None:
    html = _page("<div id='dubbel'><p>Ett</p></div><div id='dubbel'><p>Två</p></div>")
    assert [b.locator for b in extract_reading(html).blocks] == [
        "body > main > div:nth-of-type(1) > p",
        "body > main > div:nth-of-type(2) > p",
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html></html>",
        "<html><body></body></html>",
        "\x00\x00<p>\x00</p>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>XML-deklaration</p></body></html>",
        "<<<>>><p<p<p>>>",
        "</body></html><p>",
        "<main><main><main>",
        "<table><tr><td><table><tr><td>" * 50,
        "<div>" * 5000 + "djupt" + "</div>" * 5000,
        "\ufeff<p>BOM</p>",
        "<p>" + "ord " * 500_000 + "</p>",
        "<main>" + ("<p>Ett stycke med några ord i. " + "ord " * 40 + "</p>") * 25_000 + "</main>",
    ],
)
def test_broken_empty_deep_and_huge_pages_do_not_crash(html: str) -> None:
    reading = extract_reading(html)
    assert all(b.text.strip() for b in reading.blocks)


_FRAGMENTS = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<main>",
    "</main>",
    "<article>",
    "<table>",
    "<tr>",
    "<td>",
    "</td>",
    "<th>",
    "<ul>",
    "<li>",
    "<h2>",
    "</h2>",
    "<blockquote>",
    "<br>",
    "<img alt='En bild'>",
    "<a href='/'>",
    "</a>",
    "<nav>",
    "<aside>",
    "<form>",
    "<figure>",
    "<figcaption>",
    "<div class='rs_skip'>",
    "<p hidden>",
    "<span lang='en'>",
    "<script>",
    "<header>",
    "<footer>",
    "<![CDATA[",
    "<!--",
    "-->",
    "&shy;",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "Text med ord",
    " ",
    "\n",
    "—",
    "<?xml version='1.0'?>",
    "<html lang='sv'>",
    "<body>",
    "<data-tts-read>",
    "<div data-tts-read>",
    "<svg>",
    "<math>",
    "<select><option>Val",
]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>/=\"' abpdivmantcl&;#x0\n\u00ad-")))
    | st.text()
    | st.lists(st.sampled_from(_FRAGMENTS), max_size=60).map("".join)
)
def test_any_text_gives_a_reading(html: str) -> None:
    reading = extract_reading(html)
    assert [b.index for b in reading.blocks] == list(range(len(reading.blocks)))
    assert all(_HAS_LETTER.search(b.text) for b in reading.blocks)


def test_link_lists_teasers_repeats_and_furniture_lines_are_dropped() -> None:
    body = "".join(f"<p>Stycke {i} med brödtext som är lång nog att räknas.</p>" for i in range(6))
    links = "".join(f"<p><a href='/{i}'>Annan artikel nummer {i}</a></p>" for i in range(3))
    teasers = "".join(
        f"<div class='kort'><img src='{i}.jpg' alt='Bild {i} till puffen'>"
        f"<h3><a href='/{i}'>Puff {i}</a></h3></div>"
        for i in range(4)
    )
    html = _page(
        "<h1>Rubrik</h1>"
        + body
        + "<p><a href='/mer'>Läs mer om biblioteken</a></p>"
        + "<figure><img src='g.jpg'><figcaption>Bildtext som upprepas i galleriet."
        + "</figcaption></figure><p>Bildtext som upprepas i galleriet.</p>"
        + "<p>Ät var tredje timme.</p><p>Ät var tredje timme.</p>"
        + "<p>https://www.regionstockholm.se/kultur/</p><p>Publicerad 11 maj 2023</p>"
        + "<p>Dela</p><p>Stäng</p>"
        + links
        + f"<div>{teasers}</div>"
    )
    texts = [b.text for b in extract_reading(html).blocks]
    assert texts == [
        "Rubrik",
        *(f"Stycke {i} med brödtext som är lång nog att räknas." for i in range(6)),
        "Läs mer om biblioteken",
        "Bildtext som upprepas i galleriet.",
        "Ät var tredje timme.",
        "Ät var tredje timme.",
    ]


def test_swedish_portal_furniture_is_left_out() -> None:
    body = "".join(
        f"<p>Stycke {i} om vård och kollektivtrafik i Stockholms län, skrivet för alla.</p>"
        for i in range(4)
    )
    html = (
        "<html lang='sv'><body><div class='sidhuvud'><a href='/'>Startsida</a></div>"
        "<div class='brodsmulor'><a href='/'>Start</a> / <a href='/vard'>Vård</a></div>"
        "<div class='sv-layout'><div class='innehall'><h1>Vård i länet</h1>"
        "<div class='rs_skip rsbtn'><a href='#'>Lyssna</a></div>"
        + body
        + "<p>Sidansvarig: Webbredaktionen</p><p>Granskad: 3 mars 2024</p>"
        "<div class='dela'><a href='#'>Dela på Facebook</a></div>"
        "<div class='feedback'><p>Hittade du det du sökte?</p></div></div>"
        "<div class='relaterat'><h2>Relaterat</h2><ul><li><a href='/a'>A-sidan</a></li>"
        "<li><a href='/b'>B-sidan</a></li></ul></div></div>"
        "<div class='sidfot'><p>Region Stockholm, Box 22550, 104 22 Stockholm</p></div>"
        "</body></html>"
    )
    reading = extract_reading(html)
    assert reading.text.split("\n\n") == [
        "Vård i länet",
        *(
            f"Stycke {i} om vård och kollektivtrafik i Stockholms län, skrivet för alla."
            for i in range(4)
        ),
    ]


def test_a_page_hidden_until_its_scripts_run_is_still_read() -> None:
    # Anti-flicker snippets and streamed rendering hide the whole content in the served HTML;
    # the visitor sees it once scripts run, so it is read. Small hidden parts stay unread.
    body = "".join(f"<p>Stycke {i} med brödtext som är lång nog att räknas.</p>" for i in range(4))
    html = (
        "<html><body><div style='visibility:hidden;min-height:100vh'><div class='text'>"
        f"{body}<p hidden>Dold rad som inte ska läsas upp alls.</p></div></div></body></html>"
    )
    texts = [b.text for b in extract_reading(html).blocks]
    assert texts == [f"Stycke {i} med brödtext som är lång nog att räknas." for i in range(4)]


def test_sitevision_layout_classes_are_not_mistaken_for_boilerplate() -> None:
    html = (
        "<html lang='sv'><body><a class='skip-link' href='#c'>Till innehållet</a>"
        "<div class='sv-layout sv-skip-spacer sv-template-layout' id='svid10_1'>"
        "<div class='sv-text-portlet sv-use-margins sv-skip-spacer'><h1>Parkering</h1></div>"
        "<div class='sv-text-portlet sv-use-margins sv-skip-spacer'>"
        "<p class='normal'>Här kan du läsa om parkering i kommunen och om avgifterna.</p>"
        "</div></div></body></html>"
    )
    assert extract_reading(html).text == (
        "Parkering\n\nHär kan du läsa om parkering i kommunen och om avgifterna."
    )


def test_a_page_of_links_only_is_not_read_as_silence() -> None:
    """A main landmark holding only a list of links (a news list) gave no text at all."""
    items = "".join(
        f'<li><a href="/n{i}">Nyhet {i}: biblioteket ändrar sina öppettider</a></li>'
        for i in range(4)
    )
    html = f'<html lang="sv"><body><nav><a href="/">Hem</a></nav><main><ul>{items}</ul></main>'
    html += "<footer>Kontakt: 08-123 45 67</footer></body></html>"
    assert extract_reading(html).text == "\n\n".join(
        f"Nyhet {i}: biblioteket ändrar sina öppettider" for i in range(4)
    )


def test_a_listing_page_reads_as_its_items() -> None:
    """Cards of a linked title and a linked summary (a "find a clinic" list) read as title then
    summary of each item, in page order, without the navigation."""
    cards = "".join(
        f'<div class="card"><h3><a href="/k{i}">Vårdcentral {name}</a></h3>'
        f'<a href="/k{i}">Vi tar emot patienter på vardagar i {name}.</a></div>'
        for i, name in enumerate(["Norr", "Söder", "Väster"])
    )
    html = (
        '<html lang="sv"><body><header><nav><a href="/">Hem</a><a href="/a">Om oss</a></nav>'
        f'</header><div class="teaser-list">{cards}</div></body></html>'
    )
    reading = extract_reading(html)
    assert [(b.kind, b.text) for b in reading.blocks] == [
        item
        for name in ["Norr", "Söder", "Väster"]
        for item in [
            ("heading", f"Vårdcentral {name}"),
            ("paragraph", f"Vi tar emot patienter på vardagar i {name}."),
        ]
    ]
