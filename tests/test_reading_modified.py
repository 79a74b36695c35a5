"""When a page says it was last changed, and what the service does with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import lxml.html
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from feedback.store import FEEDBACK
from ttsservice.reading import extract_reading
from ttsservice.reading.modified import page_modified

pytest_plugins = ["tests.conftest_reading"]

SEED = "tests/data/regionbibliotek-stockholm.html"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<head><meta property="article:modified_time" content="2024-02-03T10:00:00+01:00">'
            "</head><p>Senast uppdaterad: 1 maj 2020</p>",
            date(2024, 2, 3),
        ),
        ('<head><meta name="DCTERMS.modified" content="2022-11-30"></head>', date(2022, 11, 30)),
        (
            '<p>Ändrad <time itemprop="dateModified" datetime="2021-06-01">1 juni</time></p>',
            date(2021, 6, 1),
        ),
        (
            '<p>Publicerad <time datetime="2020-01-01">1 jan</time>. '
            'Senast uppdaterad <time datetime="2023-05-11">11 maj</time></p>',
            date(2023, 5, 11),
        ),
        ('<p>Publicerad <time datetime="2020-01-01">1 januari 2020</time></p>', None),
        ("<p>Senast granskad: <time>5 mars 2022</time></p>", date(2022, 3, 5)),
        ("<footer>Sidan senast ändrad den 3 okt. 2024</footer>", date(2024, 10, 3)),
        ("<p>Last updated 2019-12-24 by the web team</p>", date(2019, 12, 24)),
        ("<p>Uppdaterad: 2024-13-40</p>", None),  # not a date
        ("<p>Vi uppdaterade sidan 2024-01-01 och 2024-02-02.</p>", None),  # no label before it
        ("<p>Inget datum här.</p>", None),
    ],
)
def test_the_change_date_a_page_states(html: str, expected: date | None) -> None:
    assert page_modified(lxml.html.document_fromstring(f"<html>{html}</html>")) == expected


def test_the_seed_page_was_last_updated_on_11_may_2023() -> None:
    with open(SEED, encoding="utf-8") as f:
        reading = extract_reading(f.read())
    assert reading.modified == date(2023, 5, 11)
    assert reading.to_json()["modified"] == "2023-05-11"
    assert "Senast uppdaterad" not in reading.text  # still not read aloud


async def test_reading_a_page_notes_its_change_date_for_the_dashboard(
    make_app: Callable[..., web.Application], aiohttp_client: Any, upstream: TestServer
) -> None:
    origin = f"http://127.0.0.1:{upstream.port}"
    app = make_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="1", TTS_DEMO="0")
    client = await aiohttp_client(app)
    for _ in range(2):
        response = await client.get("/api/v1/extract", params={"url": f"{origin}/page"})
        assert response.status == 200
        assert (await response.json())["modified"] == "2023-05-11"
    store = app[FEEDBACK]
    assert await store.page_changes(f"{origin}/page/") == [date(2023, 5, 11)]
    rows = await store.fetchall("SELECT url, day FROM page_changes")
    assert [tuple(r) for r in rows] == [(f"{origin}/page/", "2023-05-11")]
    # A page without a date notes nothing.
    response = await client.get("/api/v1/extract", params={"url": f"{origin}/xhtml"})
    assert (await response.json())["modified"] is None
    assert await store.page_changes(f"{origin}/xhtml/") == []


async def test_a_change_date_ahead_or_off_site_is_not_noted(
    make_app: Callable[..., web.Application], aiohttp_client: Any
) -> None:
    from feedback.web import PageChangeNotes
    from ttsservice.reading.model import Reading

    app = make_app(TTS_ALLOWED_ORIGINS="https://www.regionstockholm.se", TTS_DEMO="0")
    await aiohttp_client(app)
    notes = PageChangeNotes(app)
    page = "https://www.regionstockholm.se/vard"
    await notes(Reading(url=page, title="", lang="sv", modified=date(2999, 1, 1)))
    await notes(
        Reading(
            url="https://elsewhere.example/vard", title="", lang="sv", modified=date(2024, 1, 1)
        )
    )
    store = app[FEEDBACK]
    assert await store.fetchall("SELECT * FROM page_changes") == []
    await notes(Reading(url=page, title="", lang="sv", modified=date(2024, 1, 1)))
    assert await store.page_changes(page + "/") == [date(2024, 1, 1)]
