"""The player tells the service what it no longer needs: stop and leaving the page.

Headless Chromium on /demo with the real service and the tiny voice. The
release goes by navigator.sendBeacon as text/plain (no CORS preflight).
"""

from __future__ import annotations

import json

import pytest

from tests.widgetpage import DemoPage, wait_sentence_playing

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser


def _is_release(request: object) -> bool:
    return str(getattr(request, "url", "")).endswith("/api/v1/release")


async def test_stop_and_leaving_release_the_sentences_ahead(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    reading = await demo.listen()
    sentences = reading["sentences"]
    await wait_sentence_playing(page, 0)

    async with page.expect_request(_is_release) as sent:
        await page.locator(".tts-player").get_by_role("button", name="Stoppa").click()
    request = await sent.value
    assert request.method == "POST"
    assert request.headers["content-type"].startswith("text/plain")
    released = json.loads(request.post_data or "")["audio"]
    assert released[0] == sentences[0]["audio"]["mp3"]
    assert set(released) <= {s["audio"]["mp3"] for s in sentences}
    response = await request.response()
    assert response is not None and response.status == 204

    # Listening again and leaving the page: the beacon goes as the page is hidden.
    # (Playwright does not report a beacon sent while the page unloads, so the
    # browser's pagehide event is raised in the page itself.)
    await page.locator(".tts-player").get_by_role("button", name="Lyssna").click()
    await wait_sentence_playing(page, 0)
    async with page.expect_request(_is_release) as left:
        await page.evaluate("() => window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert json.loads((await left.value).post_data or "")["audio"]
    assert demo.console_errors == []
