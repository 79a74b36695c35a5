"""Word highlighting in headless Chromium: the marked word follows the audio's time.

The real service speaks the demo page with the tiny voice; the page asks each
sentence's audio.json and marks, inside the highlighted sentence, the word
whose timing covers the audio element's current time, at 1× and at 1.5×.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.screenshots import screenshot_path
from tests.widgetpage import (
    DemoPage,
    axe_violations,
    describe_violations,
    highlighted,
    spoken,
    wait_sentence_playing,
    widget_status,
)

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

TOLERANCE = 0.1
"""Seconds the marked word may be off the audio's time."""

SAMPLE_JS = """() => {
  const a = document.querySelector('.tts-player audio');
  const h = CSS.highlights.get('tts-word');
  const range = h ? [...h][0] : null;
  return {
    t: a.currentTime,
    index: TTSWidget.status().index,
    playing: !a.paused,
    word: range ? range.toString().replace(/\\s+/g, ' ').trim() : null,
  };
}"""


async def _timings(demo: DemoPage, sentence: dict[str, Any]) -> list[dict[str, Any]]:
    response = await demo.page.request.get(demo.service.base_url + sentence["audio"]["json"])
    assert response.status == 200
    words: list[dict[str, Any]] = (await response.json())["words"]
    assert words
    return words


async def _check_in_step(
    demo: DemoPage, sentences: list[dict[str, Any]], samples: int = 24
) -> None:
    """Sample the page: each marked word is the one timed at the audio's current time."""
    page = demo.page
    timings: dict[int, list[dict[str, Any]]] = {}
    marked = 0
    for _ in range(samples):
        await page.wait_for_timeout(90)
        sample = await page.evaluate(SAMPLE_JS)
        if not sample["playing"]:
            continue
        index, t = sample["index"], sample["t"]
        if index not in timings:
            timings[index] = await _timings(demo, sentences[index])
        text = sentences[index]["text"]
        covering = [
            spoken(text[w["from"] : w["to"]])
            for w in timings[index]
            if w["start"] - TOLERANCE <= t <= w["end"] + TOLERANCE
        ]
        if sample["word"] is None:
            # between words: no word's timing is (strictly) at this time
            strict = [w for w in timings[index] if w["start"] + TOLERANCE < t < w["end"]]
            assert strict == [], (t, strict)
            continue
        marked += 1
        assert sample["word"] in covering, (t, sample["word"], covering)
    assert marked >= samples // 3, f"only {marked} of {samples} samples had a word marked"


async def test_marked_word_follows_the_audio_at_1x_and_1_5x(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    player = page.locator(".tts-player")
    reading = await demo.listen()
    sentences = reading["sentences"]
    assert all("json" in s["audio"] for s in sentences)
    await wait_sentence_playing(page, 0)
    await _check_in_step(demo, sentences)

    # the marked word lies inside the marked sentence, and marking changes no layout
    sentence_text = await highlighted(page)
    box_before = await page.locator(".tts-block-active").bounding_box()
    await page.wait_for_function("() => CSS.highlights.has('tts-word')")
    word = await page.evaluate(SAMPLE_JS)
    if word["word"]:
        assert sentence_text is not None and word["word"] in sentence_text
    assert await page.locator(".tts-block-active").bounding_box() == box_before
    block = await page.locator(".tts-block-active").bounding_box()
    widget = await player.bounding_box()
    if word["word"] and block and widget:  # the README's picture: a word marked
        top = min(block["y"], widget["y"]) - 16
        bottom = max(block["y"] + block["height"], widget["y"] + widget["height"]) + 16
        await page.screenshot(
            path=screenshot_path("widget-word-highlight.png"),
            clip={
                "x": block["x"] - 16,
                "y": top,
                "width": block["width"] + 32,
                "height": bottom - top,
            },
        )

    await player.get_by_label("Hastighet").select_option("1.5")
    await _check_in_step(demo, sentences)

    # pause keeps the word; resume and skip keep it in step
    await player.get_by_role("button", name="Pausa").click()
    paused = await page.evaluate(SAMPLE_JS)
    await page.wait_for_timeout(300)
    assert (await page.evaluate(SAMPLE_JS))["word"] == paused["word"]
    await player.get_by_role("button", name="Fortsätt").click()
    await _check_in_step(demo, sentences, samples=10)
    current = (await widget_status(page))["index"]
    if current + 1 < len(sentences):
        await player.get_by_role("button", name="Nästa mening").click()
        await wait_sentence_playing(page, current + 1)
        await _check_in_step(demo, sentences, samples=10)

    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)

    # the visitor can turn word marking off; kept with consent like the speed
    await player.get_by_label("Markera ordet som läses").uncheck()
    await page.wait_for_timeout(200)
    assert not await page.evaluate("() => CSS.highlights.has('tts-word')")
    assert (await highlighted(page)) is not None  # the sentence stays highlighted
    assert '"words":false' in (await demo.stored())["localStorage"]["ttsWidget"]

    captions = player.get_by_role("link", name="Ladda ner textning (WebVTT)")
    href = await captions.get_attribute("href")
    assert href and href.endswith(reading["download"].removesuffix(".mp3") + ".vtt")
    vtt = await page.request.get(href)
    assert vtt.status == 200
    assert (await vtt.text()).startswith("WEBVTT")
    assert demo.console_errors == []
