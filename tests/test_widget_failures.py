"""The widget when the service is down, slow or overloaded (503 with Retry-After).

The failures are made at the network layer of the real browser (Playwright's
routing) in front of the real service: a clear message in words, no frozen
button, and a retry after the time the service asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from playwright.async_api import Route

from tests.widgetpage import DemoPage, database_rows, wait_sentence_playing, widget_status

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

DOWN = "Det gick inte att nå tjänsten."
SLOW = "Tjänsten svarar inte i tid just nu."
BUSY = "Tjänsten har mycket att göra. Försöker igen om 1 sekund …"


async def _abort(route: Route) -> None:
    await route.abort("connectionrefused")


async def test_service_down(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    await page.route("**/api/v1/**", _abort)
    player = page.locator(".tts-player")
    await player.get_by_role("button", name="Lyssna").click()
    await player.get_by_role("alert").get_by_text(DOWN).wait_for()
    listen = player.get_by_role("button", name="Lyssna")
    assert await listen.is_enabled()
    assert (await widget_status(page))["state"] == "idle"

    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name="Ja").click()
    await form.get_by_role("alert").get_by_text(DOWN).wait_for()
    assert await form.get_by_role("button", name="Ja").is_enabled()
    assert await form.get_by_role("button", name="Nej").is_enabled()

    # When the service is back, the same buttons work.
    await page.unroute("**/api/v1/**", _abort)
    await form.get_by_role("button", name="Ja").click()
    await form.get_by_role("status").get_by_text("Tack för ditt svar!").wait_for()
    assert await form.get_by_role("alert").is_hidden()
    await listen.click()
    await wait_sentence_playing(page, 0)
    assert await player.get_by_role("alert").is_hidden()


async def test_service_slow(demo: DemoPage) -> None:
    page = demo.page

    async def short_timeout(route: Route) -> None:
        # The portal can shorten the widget's time limit (data-timeout, milliseconds).
        response = await route.fetch()
        body = (await response.text()).replace("data-site=", 'data-timeout="1500" data-site=', 1)
        await route.fulfill(response=response, body=body)

    async def hang(route: Route) -> None:
        await asyncio.sleep(4)
        with contextlib.suppress(Exception):  # the widget gave up first, as it should
            await route.abort()

    await page.route("**/demo", short_timeout)
    await demo.open()
    await demo.accept_cookies()
    await page.route("**/api/v1/**", hang)
    player = page.locator(".tts-player")
    await player.get_by_role("button", name="Lyssna").click()
    await player.get_by_role("alert").get_by_text(SLOW).wait_for(timeout=3500)
    assert await player.get_by_role("button", name="Lyssna").is_enabled()
    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name="Nej").click()
    await form.get_by_role("alert").get_by_text(SLOW).wait_for(timeout=3500)
    assert await form.get_by_role("button", name="Nej").is_enabled()


async def test_overloaded_503_is_retried_after_retry_after(demo: DemoPage) -> None:
    page = demo.page
    refused: list[str] = []

    def overloaded_once(path: str):  # type: ignore[no-untyped-def]
        async def handler(route: Route) -> None:
            if path not in refused:
                refused.append(path)
                await route.fulfill(
                    status=503,
                    headers={"Retry-After": "1", "Content-Type": "application/json"},
                    body=json.dumps(
                        {
                            "error": {
                                "code": "overloaded",
                                "message": "Synthesis queue full.",
                                "status": 503,
                            }
                        }
                    ),
                )
            else:
                await route.continue_()

        return handler

    await demo.open()
    await demo.accept_cookies()
    await page.route("**/api/v1/readings", overloaded_once("readings"))
    await page.route("**/api/v1/audio/**", overloaded_once("audio"))
    await page.route("**/api/v1/votes", overloaded_once("votes"))
    player = page.locator(".tts-player")
    await player.get_by_role("button", name="Lyssna").click()
    await player.get_by_role("alert").get_by_text(BUSY).wait_for()
    await wait_sentence_playing(page, 0)
    assert await player.get_by_role("alert").is_hidden()
    assert refused[:2] == ["readings", "audio"]

    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name="Ja").click()
    await form.get_by_role("status").get_by_text(BUSY).wait_for()
    await form.get_by_role("status").get_by_text("Tack för ditt svar!").wait_for()
    assert await database_rows(demo.service, "SELECT answer FROM votes") == [("yes",)]
