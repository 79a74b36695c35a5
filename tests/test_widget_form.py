"""The feedback form on /demo in headless Chromium, against the real service and database.

Ja and Nej are real buttons in a fieldset; after Nej come the reasons and an
optional comment with its counter and privacy warning; votes and comments reach
the database; the thank-you comes through a status region. By mouse and keyboard.
"""

from __future__ import annotations

import re

import pytest

from tests.widgetpage import (
    DemoPage,
    axe_violations,
    database_rows,
    describe_violations,
    tab_to,
)

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

REASON_CODES = ["not_found", "hard_to_understand", "incorrect", "outdated", "other"]
COMMENT = "Texten var svår att förstå, särskilt stycket om biblioteksplanen."


async def _reason_labels(demo: DemoPage) -> dict[str, str]:
    response = await demo.page.request.get(
        demo.service.base_url + "/api/v1/feedback/reasons?lang=sv"
    )
    return {r["code"]: r["label"] for r in (await response.json())["reasons"]}


async def test_no_with_reasons_and_comment_with_the_mouse(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    form = page.locator(".tts-feedback")
    question = form.get_by_role("group", name="Hjälpte den här informationen dig?")
    assert await question.evaluate("e => e.tagName") == "FIELDSET"
    await question.get_by_role("button", name="Nej").click()

    reasons = form.get_by_role("group", name="Vad var problemet? (frivilligt)")
    await reasons.get_by_role("checkbox").first.wait_for()
    labels = await _reason_labels(demo)
    assert await reasons.get_by_role("checkbox").count() == len(REASON_CODES)
    comment = form.get_by_label("Kommentar (frivilligt)")
    described = await comment.evaluate(
        "e => e.getAttribute('aria-describedby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' | ')"
    )
    assert "Skriv inte personuppgifter" in described and "0 av 1000 tecken" in described
    assert await comment.get_attribute("maxlength") == "1000"

    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)

    await reasons.get_by_label(labels["hard_to_understand"]).check()
    await comment.fill(COMMENT)
    assert f"{len(COMMENT)} av 1000 tecken" in await form.inner_text()
    await demo.screenshot("form-after-consent", ".page-feedback")
    await form.get_by_role("button", name="Skicka").click()
    status = form.get_by_role("status")
    await status.get_by_text("Tack! Vi har tagit emot dina synpunkter.").wait_for()

    votes = await database_rows(demo.service, "SELECT id, url, answer, reasons FROM votes")
    # The service stores the page address normalised (TTS_TRAILING_SLASH=add by default).
    assert [(v[1], v[2], v[3]) for v in votes] == [
        (demo.service.base_url + "/demo/", "no", "hard_to_understand")
    ]
    comments = await database_rows(demo.service, "SELECT vote_id, text, reasons FROM comments")
    assert comments == [(votes[0][0], COMMENT, "hard_to_understand")]
    # The visitor's token exists only now, after consent, in localStorage alone.
    stored = await demo.stored()
    assert re.search(r'"token":"[0-9a-f]{32}"', stored["localStorage"]["ttsWidget"])
    assert stored["sessionStorage"] == {}
    assert demo.console_errors == []


async def test_no_with_comment_by_keyboard_alone(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await tab_to(page, "Acceptera alla")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".tts-feedback fieldset")
    await tab_to(page, "Nej")
    await page.keyboard.press("Enter")
    # Focus moves to the first reason; Space ticks it, Tab moves on to the comment.
    await page.wait_for_function("() => document.activeElement.name === 'reason'")
    await page.keyboard.press("Space")
    await tab_to(page, "Kommentar (frivilligt)", limit=8)
    await page.keyboard.type("Jag saknar öppettider.")
    await tab_to(page, "Skicka", limit=4)
    await page.keyboard.press("Enter")
    status = page.locator(".tts-feedback [role=status]")
    await status.get_by_text("Tack! Vi har tagit emot dina synpunkter.").wait_for()
    # Focus lands on the thank-you so a screen reader user hears it.
    assert await page.evaluate("() => document.activeElement.getAttribute('role')") == "status"
    votes = await database_rows(demo.service, "SELECT answer, reasons FROM votes")
    assert votes == [("no", "not_found")]
    comments = await database_rows(demo.service, "SELECT text FROM comments")
    assert comments == [("Jag saknar öppettider.",)]
    assert demo.console_errors == []


async def test_yes_by_keyboard_and_reasons_alone_by_mouse(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await tab_to(page, "Acceptera alla")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".tts-feedback fieldset")
    await tab_to(page, "Ja")
    await page.keyboard.press("Enter")
    status = page.locator(".tts-feedback [role=status]")
    await status.get_by_text("Tack för ditt svar!").wait_for()
    assert await database_rows(demo.service, "SELECT answer FROM votes") == [("yes",)]

    # A second visit: the visitor now says Nej and ticks a reason without a comment.
    # Their token makes it replace the earlier vote instead of adding one.
    await demo.open()
    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name="Nej").click()
    labels = await _reason_labels(demo)
    await form.get_by_label(labels["outdated"]).check()
    await form.get_by_role("button", name="Skicka").click()
    await form.get_by_role("status").get_by_text("Tack!").wait_for()
    assert await database_rows(demo.service, "SELECT answer, reasons FROM votes") == [
        ("no", "outdated")
    ]
    assert await database_rows(demo.service, "SELECT count(*) FROM comments") == [(0,)]
    assert demo.console_errors == []
