"""Passages the service cannot read aloud, and readings spoken by several voices (issue 19).

A reading's sentence may say ``"unreadable": true`` with a ``"notice"`` (in the
reading's language) whose spoken form is its audio; every sentence carries ``lang`` and
``voice``, and the reading lists its ``voices`` with their attributions. The real app
makes the reading; the browser's network layer adds these fields to it, so the test
holds whether or not the service in this branch writes them itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Page, Route

from tests.widgetpage import (
    DemoPage,
    axe_violations,
    describe_violations,
    highlighted,
    is_reading_post,
    spoken,
    wait_sentence_playing,
)

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

NOTICE = "Det här stycket är på somaliska och kan inte läsas upp."
CREDIT_SV = "Rösten sv_SE-alma-medium: Alma (CC BY 4.0)"
CREDIT_EN = "Voice en_GB-alba-medium: Alba (CC BY 4.0)"

Change = Callable[[dict[str, Any]], None]


def _readings_changed_by(change: Change):  # type: ignore[no-untyped-def]
    """A route handler passing the real reading through ``change`` on its way to the widget."""

    async def handler(route: Route) -> None:
        response = await route.fetch()
        reading = await response.json()
        change(reading)
        await route.fulfill(response=response, body=json.dumps(reading))

    return handler


def _with_languages(reading: dict[str, Any]) -> None:
    """The fields of issue 19 as the server gives them: each sentence's lang and voice."""
    name = reading["voice"]["name"]
    for sentence in reading["sentences"]:
        sentence.setdefault("lang", "sv")
        sentence.setdefault("voice", name)


def _unreadable(sentence: dict[str, Any], notice: str | None) -> None:
    sentence.update(unreadable=True, lang="so", voice=None)
    if notice is not None:
        sentence["notice"] = notice


async def _passage(page: Page) -> dict[str, Any]:
    """The player's live status region as shown, and whether it holds a passage notice."""
    shown: dict[str, Any] = await page.evaluate(
        "() => { const live = document.querySelector('.tts-player [role=status]');"
        " return {notice: live.matches('.tts-passage'), visible: live.checkVisibility(),"
        " live: live.textContent, lang: live.getAttribute('lang'),"
        " dir: live.getAttribute('dir'), word: CSS.highlights.has('tts-word'),"
        " border: getComputedStyle(live).borderInlineStartWidth} }"
    )
    return shown


async def test_an_unreadable_passage_is_played_highlighted_and_its_notice_shown(
    demo: DemoPage,
) -> None:
    page = demo.page

    def change(reading: dict[str, Any]) -> None:
        _with_languages(reading)
        _unreadable(reading["sentences"][1], NOTICE)
        reading["voices"] = [
            {
                "name": "sv_SE-alma-medium",
                "lang": "sv",
                "fallback": False,
                "attribution": CREDIT_SV,
            },
            {
                "name": "en_GB-alba-medium",
                "lang": "en",
                "fallback": False,
                "attribution": CREDIT_EN,
            },
            {"name": "espeak-ng:so", "lang": "so", "fallback": True, "attribution": None},
            {
                "name": "sv_SE-alma-medium",
                "lang": "sv",
                "fallback": False,
                "attribution": CREDIT_SV,
            },
        ]

    await demo.open()
    await demo.accept_cookies()
    # At 2×: what is shown is the subject here, not the pace (half the test's time).
    await page.locator(".tts-player").get_by_label("Hastighet").select_option("2")
    await page.route("**/api/v1/readings", _readings_changed_by(change))
    reading = await demo.listen()
    sentences = reading["sentences"]
    player = page.locator(".tts-player")

    await wait_sentence_playing(page, 0)
    first = await _passage(page)
    assert first["notice"] is False and first["live"] == "Läser upp"
    assert first["border"] == "0px"
    # Every voice's credit, each once; the reserve voice is mentioned as it is in use.
    credit = player.locator(".tts-credit")
    assert await credit.inner_text() == f"{CREDIT_SV}\n{CREDIT_EN}"
    assert await player.get_by_text("Reservrösten används just nu").is_visible()

    await wait_sentence_playing(page, 1)
    during = await _passage(page)
    assert during["notice"] is True and during["visible"] is True
    assert during["live"] == NOTICE
    assert during["border"] == "4px"  # set apart from the ordinary status
    assert during["lang"] is None  # written in the widget's language, Swedish
    assert during["word"] is False  # its audio's words are the notice's, not the passage's
    assert await highlighted(page) == spoken(sentences[1]["text"])
    assert await player.get_by_text(NOTICE).is_visible()
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    await demo.screenshot("unreadable-passage", ".read-aloud")

    await wait_sentence_playing(page, 2)
    after = await _passage(page)
    assert after["notice"] is False and after["live"] == "Läser upp"
    assert await highlighted(page) == spoken(sentences[2]["text"])
    assert not any(url.endswith(sentences[1]["audio"]["json"]) for url in demo.requests)
    assert demo.console_errors == []


async def test_a_notice_in_another_language_and_one_without_text(demo: DemoPage) -> None:
    """An English widget on a Swedish reading: the notice is marked as Swedish; a passage
    without a notice gets the widget's own words. Pause, resume and stop keep it right."""
    page = demo.page

    async def english(route: Route) -> None:
        response = await route.fetch()
        html = (await response.text()).replace("data-site=", 'data-lang="en" data-site=', 1)
        await route.fulfill(response=response, body=html)

    def change(reading: dict[str, Any]) -> None:
        _with_languages(reading)
        _unreadable(reading["sentences"][0], None)
        _unreadable(reading["sentences"][1], NOTICE)

    await page.route("**/demo", english)
    await demo.open()
    await demo.accept_cookies()
    await page.route("**/api/v1/readings", _readings_changed_by(change))
    async with page.expect_response(is_reading_post):
        await page.locator(".tts-player").get_by_role("button", name="Listen").click()
    player = page.locator(".tts-player")

    await wait_sentence_playing(page, 0)
    own = await _passage(page)
    assert own["notice"] is True and own["visible"] is True
    assert own["live"] == "This part of the text cannot be read aloud."
    assert own["lang"] is None

    await wait_sentence_playing(page, 1)
    swedish = await _passage(page)
    assert swedish["notice"] is True and swedish["live"] == NOTICE
    assert swedish["lang"] == "sv" and swedish["dir"] == "auto"
    await player.get_by_role("button", name="Pause").click()
    paused = await _passage(page)
    assert paused["live"] == "Paused" and paused["notice"] is False and paused["lang"] is None
    await player.get_by_role("button", name="Resume").click()
    resumed = await _passage(page)
    assert resumed["live"] == NOTICE and resumed["notice"] is True and resumed["lang"] == "sv"
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)

    await player.get_by_role("button", name="Stop").click()
    stopped = await _passage(page)
    assert stopped["notice"] is False and stopped["live"] == "Reading stopped"
    assert stopped["lang"] is None
    assert demo.console_errors == []
