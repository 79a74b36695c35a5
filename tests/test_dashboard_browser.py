"""The dashboard in real headless Chromium against the real service and a real SQLite file.

Sign-in, the worst-pages order against ``feedback.stats.page_stats``, triage with the mouse
and with the keyboard alone, a CSV download, and axe-core's WCAG 2.1 A/AA check on every
page. The README's screenshots come from these tests (see tests/screenshots.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from feedback import stats
from feedback.store import FEEDBACK, FeedbackStore
from tests.dashboardkit import PASSWORD, SITE, USER, Clock, add_votes
from tests.procutil import free_port
from tests.screenshots import screenshot_path
from ttsservice.app import create_app
from ttsservice.settings import load_settings

pytest_plugins = ["tests.conftest_dashboard"]

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TODAY = date(2026, 3, 30)
PAGE_A = f"{SITE}/vard/akut/"


@dataclass
class Live:
    """The service on a real port."""

    base: str
    store: FeedbackStore
    comment_ids: list[str]


async def seed(store: FeedbackStore) -> list[str]:
    """Four weeks of votes on a handful of pages (and some before), and comments on one."""
    pages = {
        PAGE_A: (6, 18),
        f"{SITE}/vard/vardcentraler/": (14, 6),
        f"{SITE}/kultur-och-fritid/bibliotek/": (20, 3),
        f"{SITE}/kultur-och-fritid/museer/": (9, 9),
        f"{SITE}/om-oss/": (2, 1),
    }
    for week in range(4):
        day = date(2026, 3, 9 + 7 * week)
        for url, (yes, no) in pages.items():
            await add_votes(store, url, yes // 4 + week % 2, no // 4, day=day)
    # The month before (the trend arrows compare with it); /om-oss/ had no votes then.
    for url, (yes, no) in list(pages.items())[:4]:
        await add_votes(store, url, no // 2, yes // 2, day=date(2026, 2, 16))
    await store.note_page_change(PAGE_A, date(2026, 3, 2))  # "Senast uppdaterad" on the page
    ids = []
    for text, reasons in (
        ("Telefonnumret till akuten går inte fram.", ["incorrect"]),
        ("Jag hittar inte öppettiderna på helger.", ["not_found"]),
        ("Texten är svår att förstå för mig.", ["hard_to_understand"]),
    ):
        result = await store.add_vote(PAGE_A, "no", reasons, comment=text)
        assert result.comment_id is not None
        ids.append(result.comment_id)
    return ids


@pytest.fixture
async def live(tmp_path: Path, dashboard_env: dict[str, str]) -> AsyncIterator[Live]:
    settings = load_settings(
        {
            **dashboard_env,
            "TTS_DATA_DIR": str(tmp_path / "var"),
            "TTS_OFFLINE": "1",
            "TTS_HOST": "127.0.0.1",
            "TTS_PORT": str(free_port()),
        }
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    try:
        store = app[FEEDBACK]
        store.clock = Clock(TODAY)
        yield Live(settings.base_url, store, await seed(store))
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture
async def page(browser: Browser, live: Live) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="sv-SE", accept_downloads=True
    )
    tab = await context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        where = message.location.get("url", "")
        path = urlsplit(where).path
        expected = (
            path == "/favicon.ico"
            or (path == "/dashboard/login" and "401" in message.text)  # the wrong password
            or (path == "/dashboard/pages" and "400" in message.text)  # the bad filter
        )
        if message.type == "error" and not expected:
            errors.append(f"{message.text} ({where})")

    tab.on("console", on_console)
    try:
        yield tab
    finally:
        await context.close()
    assert errors == [], errors  # no CSP violation or anything else in the console


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --no-audit --no-fund` first"
    # Evaluated through the DevTools protocol, so the page's CSP (no script) does not block it.
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(
        [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations],
        ensure_ascii=False,
    )


async def assert_accessible(page: Page) -> None:
    # Open every "show as table" so the data tables are checked too.
    await page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def sign_in(page: Page, live: Live) -> None:
    await page.goto(live.base + "/dashboard")
    assert page.url.startswith(live.base + "/dashboard/login")
    await page.get_by_label("Användarnamn").fill(USER)
    await page.get_by_label("Lösenord").fill(PASSWORD)
    await page.get_by_role("button", name="Logga in").click()
    await page.wait_for_url(live.base + "/dashboard")


async def test_sign_in_overview_sections_and_accessibility(page: Page, live: Live) -> None:
    await page.goto(live.base + "/dashboard/login")
    await assert_accessible(page)
    await page.get_by_label("Användarnamn").fill(USER)
    await page.get_by_label("Lösenord").fill("fel lösenord")
    await page.get_by_role("button", name="Logga in").click()
    await page.get_by_role("alert").wait_for()
    assert "Fel användarnamn eller lösenord" in await page.get_by_role("alert").inner_text()
    await assert_accessible(page)
    await sign_in(page, live)
    assert await page.get_by_role("heading", level=1).inner_text() == "Översikt"
    assert await page.locator("svg.chart").count() == 2
    await page.screenshot(path=_shot("overview"), full_page=True)
    await assert_accessible(page)
    await page.get_by_role("link", name="Sektioner").click()
    await page.wait_for_url("**/dashboard/sections")
    rows = await page.locator("#sections tbody th").all_inner_texts()
    assert set(rows) == {"vard", "kultur", "other"}
    await assert_accessible(page)
    await page.get_by_role("link", name="English").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Sections"
    await assert_accessible(page)
    # A bad filter gets a page of its own that says what to do, accessible too.
    response = await page.goto(live.base + "/dashboard/pages?since=igår")
    assert response is not None and response.status == 400
    assert "Skriv datum som ÅÅÅÅ-MM-DD" in await page.get_by_role("alert").inner_text()
    await assert_accessible(page)


def _shot(name: str) -> Path:
    return screenshot_path(f"dashboard-{name}.png")


async def test_worst_pages_table_is_in_statistics_order(page: Page, live: Live) -> None:
    await sign_in(page, live)
    await page.get_by_role("link", name="Sämsta sidorna").click()
    await page.wait_for_url("**/dashboard/pages")
    shown = await page.locator("#worst-pages tbody th a").all_inner_texts()
    expected = await stats.page_stats(
        live.store, since=date(2026, 3, 1), until=TODAY, min_responses=5
    )
    assert shown == [p.url for p in expected]
    assert len(shown) == 5
    last_row = page.locator("#worst-pages tbody tr").last
    assert "för få svar" in await last_row.inner_text()  # /om-oss/ has under 5 votes
    await page.screenshot(path=_shot("pages"), full_page=True)
    await assert_accessible(page)
    # Filter by section with the form.
    await page.get_by_label("Sektion").select_option("kultur")
    await page.get_by_role("button", name="Visa").click()
    await page.wait_for_url("**section=kultur**")
    shown = await page.locator("#worst-pages tbody th a").all_inner_texts()
    assert all("/kultur-och-fritid/" in url for url in shown) and len(shown) == 2


async def test_triage_with_the_mouse_and_csv_download(page: Page, live: Live) -> None:
    await sign_in(page, live)
    await page.get_by_role("link", name="Sämsta sidorna").click()
    await page.get_by_role("link", name=PAGE_A).click()
    await page.wait_for_url("**/dashboard/page?**")
    first = live.comment_ids[0]
    comment = page.locator(f"#c-{first}")
    await comment.get_by_role("button", name="Läst").click()
    await page.wait_for_url(f"**triaged={first}**")
    comment = page.locator(f"#c-{first}")
    assert "Status sparad: Läst." in await comment.get_by_role("status").inner_text()
    assert await comment.get_by_role("button", name="Läst").get_attribute("aria-pressed") == "true"
    row = await stats.get_comment(live.store, first)
    assert row is not None and row.status == "läst"
    # "Ej åtgärdbar" without a reason is refused and says why, next to the comment.
    second = live.comment_ids[1]
    await page.locator(f"#c-{second}").get_by_role("button", name="Ej åtgärdbar").click()
    await page.wait_for_url("**error=missing_reason**")
    alert = page.locator(f"#c-{second}").get_by_role("alert")
    assert "Skriv en anledning" in await alert.inner_text()
    row = await stats.get_comment(live.store, second)
    assert row is not None and row.status == "ny"
    # The date the page stated is compared unaided; the web team can pick another.
    assert "Ändrad 2026-03-02" in await page.locator("#changed-h + p").inner_text()
    assert await page.get_by_label("Datum för ändringen").input_value() == "2026-03-02"
    await page.get_by_label("Datum för ändringen").fill("2026-03-20")
    await page.get_by_role("button", name="Jämför före och efter").click()
    await page.wait_for_url("**changed=2026-03-20**")
    assert "Ändrad 2026-03-20" in await page.locator("#changed-h + p").inner_text()
    await page.screenshot(path=_shot("page"), full_page=True)
    await assert_accessible(page)
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Ladda ner kommentarerna som CSV").click()
    download = await info.value
    body = await asyncio.to_thread(Path(await download.path()).read_bytes)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "url", "section"]
    assert {r[0] for r in rows[1:]} == set(live.comment_ids)
    assert download.suggested_filename == "comments-2026-03-01-2026-03-30.csv"


async def test_keyboard_only_triage(page: Page, live: Live) -> None:
    await sign_in(page, live)
    target = live.comment_ids[2]
    await page.goto(f"{live.base}/dashboard/page?url={PAGE_A}")
    reason_field = f"c-{target}-reason"
    for _ in range(200):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.id") == reason_field:
            break
    else:
        raise AssertionError("Tab never reached the reason field")
    await page.keyboard.type("Gäller en annan förvaltning")
    for _ in range(6):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.textContent") == "Ej åtgärdbar":
            break
    else:
        raise AssertionError("Tab never reached the Ej åtgärdbar button")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**triaged={target}**")
    row = await stats.get_comment(live.store, target)
    assert row is not None
    assert (row.status, row.status_reason) == ("ej_åtgärdbar", "Gäller en annan förvaltning")
    # The answer lands on the comment (#c-ID), so the next Tab stays where the editor was.
    assert "Status sparad: Ej åtgärdbar." in await page.locator(f"#c-{target}").inner_text()
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.id") == reason_field
