"""No page read as silence: fallbacks when the main-content rules miss, listings read as their
items, and a page with no text at all (issue 19). Hand-written pages, through the real extractor
and through ``POST /api/v1/readings`` with the tiny voice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ttsservice.reading import extract_reading

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

# Opening hours in short lines (no run of paragraph text), beside a <main> that holds only a
# heading: the main-content rules take the landmark and find one word in it.
HOURS = (
    "<!DOCTYPE html><html lang='sv'><head><title>Öppettider</title></head><body>"
    "<nav><a href='/'>Startsida</a> <a href='/om'>Om oss</a></nav>"
    "<main><h1>Öppettider</h1></main>"
    "<div class='info'>Måndag 8–17<br>Tisdag 8–17<br>Onsdag 8–19<br>Torsdag 8–17<br>"
    "Fredag 8–15<br>Lördag stängt<br>Söndag stängt<br>Ring oss på<br>08-123 45 67</div>"
    "<footer><p>Region Stockholm, Box 22550, 104 22 Stockholm</p></footer></body></html>"
)

NEWS = [
    (
        "Nya öppettider på Vårdcentral Norr",
        "12 mars 2025",
        "Från april har vi öppet till 19 på onsdagar.",
    ),
    (
        "Vaccination mot influensa startar",
        "3 mars 2025",
        "Boka tid i appen eller ring vårdcentralen.",
    ),
    (
        "Parkeringen byggs om i sommar",
        "20 februari 2025",
        "Under juni och juli hänvisar vi till garaget.",
    ),
    (
        "Ny barnmorskemottagning i Söder",
        "14 februari 2025",
        "Mottagningen tar emot gravida från vecka åtta.",
    ),
]


def _news_list(*, read_more: str = "Läs mer") -> str:
    items = "".join(
        f"<li class='nyhet'><h2><a href='/nyheter/{i}'>{title}</a></h2>"
        f"<span class='datum'>{date}</span><p>{summary}</p>"
        f"<a class='mer' href='/nyheter/{i}'>{read_more}</a></li>"
        for i, (title, date, summary) in enumerate(NEWS)
    )
    return (
        "<!DOCTYPE html><html lang='sv'><head><title>Nyheter</title></head><body>"
        "<header><nav><a href='/'>Hem</a><a href='/kontakt'>Kontakt</a></nav></header>"
        f"<main><h1>Nyheter</h1><ul class='nyhetslista'>{items}</ul></main>"
        "<footer><p>Vårdcentral Norr, Storgatan 1</p></footer></body></html>"
    )


def _expected_news() -> list[tuple[str, str]]:
    return [("heading", "Nyheter")] + [
        block
        for title, date, summary in NEWS
        for block in [("heading", title), ("paragraph", date), ("paragraph", summary)]
    ]


def test_a_page_whose_main_content_the_rules_miss_reads_its_text() -> None:
    reading = extract_reading(HOURS)
    text = reading.text
    for line in ("Måndag 8–17", "Onsdag 8–19", "Söndag stängt", "08-123 45 67"):
        assert line in text
    assert "Startsida" not in text and "Box 22550" not in text  # navigation and footer stay out
    assert [b.index for b in reading.blocks] == list(range(len(reading.blocks)))


def test_a_page_filled_by_its_scripts_reads_its_title_and_description() -> None:
    html = (
        "<html lang='sv'><head><title>Fråga om ledighet - Forum</title>"
        "<meta property='og:description' content='Hur ansöker jag om föräldraledighet "
        "när jag har två arbetsgivare?'></head>"
        "<body><div id='app'></div><script>render()</script></body></html>"
    )
    reading = extract_reading(html)
    assert [(b.kind, b.text) for b in reading.blocks] == [
        ("heading", "Fråga om ledighet - Forum"),
        ("paragraph", "Hur ansöker jag om föräldraledighet när jag har två arbetsgivare?"),
    ]


def test_a_news_list_reads_as_title_date_and_summary_of_each_item_without_read_more() -> None:
    reading = extract_reading(_news_list())
    assert [(b.kind, b.text) for b in reading.blocks] == _expected_news()
    assert "Läs mer" not in reading.text and "Hem" not in reading.text
    title = reading.blocks[1]
    assert title.level == 2
    assert title.locator == "body > main > ul > li:nth-of-type(1) > h2 > a"


def test_cards_without_headings_read_their_link_as_the_title() -> None:
    # A "find a clinic" grid: each card a linked name, an address and a line of text.
    clinics = [("Vårdcentral Norr", "Storgatan 1"), ("Vårdcentral Söder", "Södra vägen 9")]
    clinics += [("Vårdcentral Väster", "Västra gatan 4")]
    cards = "".join(
        f"<div class='kort'><a href='/v/{i}'>{name}</a><div>{street}, Stockholm</div>"
        f"<div>Öppet vardagar 8–17, drop-in på förmiddagen.</div>"
        f"<a href='/v/{i}'>Read more</a></div>"
        for i, (name, street) in enumerate(clinics)
    )
    html = (
        "<html lang='sv'><body><div class='sidhuvud'><a href='/'>Hem</a></div>"
        f"<div class='sok'><h1>Hitta vårdcentral</h1><div class='resultat'>{cards}</div></div>"
        "</body></html>"
    )
    reading = extract_reading(html)
    assert [(b.kind, b.text) for b in reading.blocks] == [("heading", "Hitta vårdcentral")] + [
        block
        for name, street in clinics
        for block in [
            ("heading", name),
            ("paragraph", f"{street}, Stockholm"),
            ("paragraph", "Öppet vardagar 8–17, drop-in på förmiddagen."),
        ]
    ]


def test_an_article_keeps_its_text_and_leaves_its_more_stories_box_out() -> None:
    body = "".join(
        f"<p>Stycke {i} om hur vården i länet planeras för de kommande åren, "
        "med nya vårdcentraler och längre öppettider för alla som bor här.</p>"
        for i in range(12)
    )
    more = "".join(
        f"<li class='puff'><h3><a href='/n/{i}'>{title}</a></h3><p>{summary}</p></li>"
        for i, (title, _, summary) in enumerate(NEWS)
    )
    html = (
        f"<html lang='sv'><body><article><h1>Vården planeras</h1>{body}</article>"
        f"<div class='fler'><h2>Fler nyheter</h2><ul>{more}</ul></div></body></html>"
    )
    text = extract_reading(html).text
    assert text.startswith("Vården planeras\n\nStycke 0 om")
    assert NEWS[0][0] not in text


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Tom sida</title></head><body></body></html>",
        "<html><body><nav><a href='/'>Hem</a></nav><div class='bild'><img src='a.jpg'></div>"
        "<script>var x = 'inte text';</script></body></html>",
    ],
)
def test_a_page_without_text_has_nothing_to_read(html: str) -> None:
    assert extract_reading(html).blocks == ()


@pytest.fixture
async def silence_site(aiohttp_server: Any) -> Any:
    """A local site with the pages above: /hours, /news and /empty."""
    pages = {
        "/hours": HOURS,
        "/news": _news_list(),
        "/empty": "<html lang='sv'><head><title>Tom</title></head><body><div></div></body></html>",
    }

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=pages[request.path], content_type="text/html")

    site = web.Application()
    for path in pages:
        site.router.add_get(path, page)
    return await aiohttp_server(site, host="127.0.0.1")


@pytest.fixture
def silence_app(speech_app: Callable[..., web.Application], silence_site: Any) -> web.Application:
    origin = str(silence_site.make_url("/")).rstrip("/")
    return speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true")


async def _reading(client: Any, site: Any, path: str) -> dict[str, Any]:
    response = await client.post("/api/v1/readings", json={"url": str(site.make_url(path))})
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_readings_api_speaks_the_fallback_text_and_the_listing_items(
    aiohttp_client: Any, silence_app: web.Application, silence_site: Any
) -> None:
    client = await aiohttp_client(silence_app)
    hours = await _reading(client, silence_site, "/hours")
    assert hours["sentences"], "a page with text was read as silence"
    spoken = " ".join(s["text"] for s in hours["sentences"])
    assert "Onsdag 8–19" in spoken
    news = await _reading(client, silence_site, "/news")
    assert [(b["kind"], b["text"]) for b in news["blocks"]] == _expected_news()
    spoken = " ".join(s["text"] for s in news["sentences"])
    assert "Läs mer" not in spoken and "12 mars 2025" in spoken
    audio = await client.get(news["sentences"][0]["audio"]["mp3"])
    assert audio.status == 200


async def test_readings_api_gives_a_page_without_text_no_sentences(
    aiohttp_client: Any, silence_app: web.Application, silence_site: Any
) -> None:
    """The existing answer for a page with nothing to read: no blocks, no sentences (the
    player then says the page cannot be read)."""
    client = await aiohttp_client(silence_app)
    empty = await _reading(client, silence_site, "/empty")
    assert (empty["blocks"], empty["sentences"]) == ([], [])


def test_a_hub_of_sections_reads_each_section_with_its_items_title_first() -> None:
    # A topic hub: sections of the same cards, each card's date before its title in the markup.
    def section(name: str, entries: list[tuple[str, str, str]]) -> str:
        cards = "".join(
            f"<div class='kort'><span class='datum'>{date}</span>"
            f"<h3><a href='/{title}'>{title}</a></h3><p>{summary}</p></div>"
            for title, date, summary in entries
        )
        return f"<section><h2>{name}</h2><div class='kortlista'>{cards}</div></section>"

    html = (
        "<html lang='sv'><body><nav><a href='/'>Hem</a></nav><main><h1>Vård och hälsa</h1>"
        + section("Vårdcentraler", NEWS[:3])
        + section("Vaccinationer", NEWS[1:])
        + "</main></body></html>"
    )
    reading = extract_reading(html)

    def items(entries: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
        return [
            block
            for title, date, summary in entries
            for block in [("heading", title), ("paragraph", date), ("paragraph", summary)]
        ]

    assert [(b.kind, b.text) for b in reading.blocks] == [
        ("heading", "Vård och hälsa"),
        ("heading", "Vårdcentraler"),
        *items(NEWS[:3]),
        ("heading", "Vaccinationer"),
        *items(NEWS[1:]),
    ]


STORY = [
    "Vårdcentralen i Norr får nya lokaler under hösten och flyttar till Storgatan 12.",
    "Under flytten har mottagningen stängt i två dagar, och akuta ärenden hänvisas till Söder.",
    "Barnavårdscentralen flyttar med och öppnar i samma hus redan i september.",
    "Alla som har en bokad tid får ett brev med den nya adressen och en karta.",
]


def test_a_page_streamed_in_hidden_parts_is_read() -> None:
    # Streamed rendering sends the content in hidden parts that scripts move into place; no
    # part holds most of the text, all of them together do.
    parts = "".join(f"<div hidden id='S:{i}'><p>{text}</p></div>" for i, text in enumerate(STORY))
    html = (
        "<html lang='sv'><body><main><h1>Nya lokaler</h1><div>Laddar …</div></main>"
        f"{parts}<div hidden><p>En dold ruta som inte hör till texten alls.</p></div></body></html>"
    )
    text = extract_reading(html).text
    assert all(sentence in text for sentence in STORY)


def test_a_hidden_copy_of_the_shown_text_stays_unread() -> None:
    # Structured-data copies of an article, hidden, beside the article itself.
    shown = "".join(f"<p>{text}</p>" for text in STORY)
    copy = f"<div style='display:none' itemscope><p>{' '.join(STORY)}</p></div>"
    html = (
        f"<html lang='sv'><body><article><h1>Nya lokaler</h1>{shown}{copy * 3}</article>"
        "</body></html>"
    )
    assert extract_reading(html).text.split("\n\n") == ["Nya lokaler", *STORY]
