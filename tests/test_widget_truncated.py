"""The player tells the listener when a page is longer than one reading (issue 15 item 3)."""

from __future__ import annotations

import pytest

from tests.widgetpage import DemoPage, wait_sentence_playing

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

TRUNCATED_SV = "Texten är för lång för att läsas upp i sin helhet: bara början läses upp."


@pytest.fixture
def live_env(live_env: dict[str, str]) -> dict[str, str]:
    """The demo page is longer than a reading of two sentences."""
    return {**live_env, "TTS_MAX_READING_SENTENCES": "2"}


async def test_a_truncated_reading_is_announced_at_start_and_end(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    # At 2×: what is announced is the subject here, not the pace (half the test's time).
    await page.locator(".tts-player").get_by_label("Hastighet").select_option("2")
    reading = await demo.listen()
    assert reading["truncated"] is True
    # The heading and the first sentence (in lead-in parts: they count as one sentence).
    assert sorted({s["block"] for s in reading["sentences"]}) == [0, 1]
    live = page.locator(".tts-player .tts-live")
    await wait_sentence_playing(page, 0)
    assert await live.inner_text() == f"Läser upp. {TRUNCATED_SV}"
    await page.wait_for_function(
        "() => document.querySelector('.tts-player .tts-live').textContent"
        ".startsWith('Uppläsningen är klar')",
        timeout=30_000,
    )
    assert await live.inner_text() == f"Uppläsningen är klar. {TRUNCATED_SV}"
    assert demo.console_errors == []
