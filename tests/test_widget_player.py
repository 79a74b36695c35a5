"""The read-aloud player on /demo in headless Chromium: real service, real tiny voice.

Lyssna plays the page sentence by sentence with the sentence highlighted in the
page; pause, resume, skip, speed, stop, download and read-selection work, with
the mouse and with the keyboard alone.
"""

from __future__ import annotations

import pytest

from tests.screenshots import screenshot_path
from tests.widgetpage import (
    DemoPage,
    audio_time,
    axe_violations,
    describe_violations,
    highlighted,
    is_reading_post,
    spoken,
    tab_to,
    wait_sentence_playing,
    widget_status,
)

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser


async def _stays_put(demo: DemoPage) -> None:
    before = await audio_time(demo.page)
    await demo.page.wait_for_timeout(400)
    assert await audio_time(demo.page) == before


async def _advances(demo: DemoPage) -> None:
    before = await audio_time(demo.page)
    await demo.page.wait_for_function(
        "t => document.querySelector('.tts-player audio').currentTime > t", arg=before
    )


async def test_listen_highlight_pause_resume_skip_speed_with_the_mouse(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    player = page.locator(".tts-player")
    reading = await demo.listen()
    sentences = reading["sentences"]
    assert len(sentences) > 3

    await wait_sentence_playing(page, 0)
    assert await highlighted(page) == spoken(sentences[0]["text"])
    assert "Mening 1 av" in await player.inner_text()
    assert reading["voice"]["attribution"] is None
    assert await player.locator(".tts-credit").is_hidden()  # the credit is for CC BY voices
    # The next sentences are fetched while the first one plays, so there is no gap.
    for ahead in sentences[1:4]:
        path = ahead["audio"]["mp3"]
        await page.wait_for_function(
            "p => performance.getEntriesByType('resource').some(e => e.name.includes(p))",
            arg=path,
        )
    # The first sentence ends and the next is read and highlighted without a click.
    await wait_sentence_playing(page, 1)
    assert await highlighted(page) == spoken(sentences[1]["text"])
    top = await page.locator(".read-aloud").bounding_box()
    lead = await page.locator(".article__lead").bounding_box()
    assert top and lead
    await page.screenshot(
        path=screenshot_path("widget-player-after-consent.png"),
        clip={
            "x": lead["x"] - 16,
            "y": top["y"] - 16,
            "width": lead["width"] + 32,
            "height": lead["y"] + lead["height"] - top["y"] + 32,
        },
    )

    await player.get_by_role("button", name="Pausa").click()
    assert (await widget_status(page))["state"] == "paused"
    assert await page.evaluate("() => document.querySelector('.tts-player audio').paused")
    await _stays_put(demo)
    await player.get_by_role("button", name="Fortsätt").click()
    await _advances(demo)

    current = (await widget_status(page))["index"]
    await player.get_by_role("button", name="Nästa mening").click()
    await wait_sentence_playing(page, current + 1)
    assert await highlighted(page) == spoken(sentences[current + 1]["text"])
    await player.get_by_role("button", name="Föregående mening").click()
    await wait_sentence_playing(page, current)
    assert await highlighted(page) == spoken(sentences[current]["text"])

    await player.get_by_label("Hastighet").select_option("1.5")
    rate = await page.evaluate(
        "() => { const a = document.querySelector('.tts-player audio');"
        " return [a.playbackRate, a.preservesPitch] }"
    )
    assert rate == [1.5, True]
    await _advances(demo)
    assert "Hastighet 1,5×" in await player.get_by_role("status").inner_text()
    # Settings are kept once there is consent.
    assert '"speed":1.5' in (await demo.stored())["localStorage"]["ttsWidget"]

    download = player.get_by_role("link", name="Ladda ner sidan som MP3")
    href = await download.get_attribute("href")
    assert href and href.endswith(reading["download"])
    mp3 = await page.request.get(href)
    assert mp3.status == 200 and mp3.headers["content-type"] == "audio/mpeg"

    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    await player.get_by_role("button", name="Stoppa").click()
    assert (await widget_status(page))["state"] == "idle"
    assert await highlighted(page) is None
    assert await page.evaluate("() => document.querySelector('.tts-player audio').paused")
    assert demo.console_errors == []

    # The speed chosen is still there on the next page view.
    await demo.open()
    assert await page.locator(".tts-player").get_by_label("Hastighet").input_value() == "1.5"


async def test_listen_pause_resume_skip_speed_stop_by_keyboard_alone(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await tab_to(page, "Acceptera alla")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".tts-player .tts-main")
    await tab_to(page, "Lyssna")
    async with page.expect_response(is_reading_post) as answer:
        await page.keyboard.press("Enter")
    sentences = (await (await answer.value).json())["sentences"]
    await wait_sentence_playing(page, 0)
    assert await highlighted(page) == spoken(sentences[0]["text"])

    # The focused main button pauses and resumes.
    await page.keyboard.press("Enter")
    assert (await widget_status(page))["state"] == "paused"
    await _stays_put(demo)
    await page.keyboard.press("Space")
    await _advances(demo)

    # Shortcuts, documented in the player, work from anywhere in the page.
    await page.keyboard.press("Alt+Shift+P")
    assert (await widget_status(page))["state"] == "paused"
    await page.keyboard.press("Alt+Shift+P")
    await _advances(demo)
    current = (await widget_status(page))["index"]
    await page.keyboard.press("Alt+Shift+N")
    await wait_sentence_playing(page, current + 1)
    assert await highlighted(page) == spoken(sentences[current + 1]["text"])
    await page.keyboard.press("Alt+Shift+B")
    await wait_sentence_playing(page, current)
    await page.keyboard.press("Alt+Shift+Period")
    assert (await widget_status(page))["speed"] == 1.25
    await page.keyboard.press("Alt+Shift+Comma")
    await page.keyboard.press("Alt+Shift+Comma")
    assert (await widget_status(page))["speed"] == 0.75
    assert (
        await page.evaluate("() => document.querySelector('.tts-player audio').playbackRate")
        == 0.75
    )

    # The speed list and the shortcut list are reachable by Tab too.
    await tab_to(page, "Hastighet")
    await page.keyboard.press("ArrowDown")
    assert (await widget_status(page))["speed"] == 1
    await tab_to(page, "Kortkommandon")
    await page.keyboard.press("Enter")
    shortcuts = await page.locator(".tts-shortcuts").inner_text()
    for key in ("Alt+Shift+L", "Alt+Shift+P", "Alt+Shift+S", "Alt+Shift+N", "Alt+Shift+B"):
        assert key in shortcuts

    # The page follows the sentence being read, unless the visitor turns that off.
    at_bottom = "() => { window.scrollTo(0, document.body.scrollHeight); return window.scrollY; }"
    in_view = (
        "() => { const b = CSS.highlights.get('tts-sentence').values().next().value"
        ".getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight; }"
    )
    bottom = await page.evaluate(at_bottom)
    await page.keyboard.press("Alt+Shift+N")
    await page.wait_for_function(in_view)
    await tab_to(page, "Rulla till texten som läses")
    await page.keyboard.press("Space")
    assert (
        not await page.locator(".tts-player")
        .get_by_label("Rulla till texten som läses")
        .is_checked()
    )
    assert await page.evaluate(at_bottom) == bottom
    current = (await widget_status(page))["index"]
    await page.keyboard.press("Alt+Shift+N")
    await wait_sentence_playing(page, current + 1)
    assert await page.evaluate("() => window.scrollY") == bottom
    assert not await page.evaluate(in_view)

    await page.keyboard.press("Alt+Shift+S")
    assert (await widget_status(page))["state"] == "idle"
    assert await highlighted(page) is None
    assert "Uppläsningen är stoppad" in await page.locator(".tts-player [role=status]").inner_text()
    assert demo.console_errors == []


async def test_highlight_falls_back_to_mark_without_the_highlight_api(demo: DemoPage) -> None:
    page = demo.page
    # A browser without the CSS Custom Highlight API.
    await page.add_init_script("Object.defineProperty(CSS, 'highlights', {value: undefined})")
    await demo.open()
    await demo.accept_cookies()
    sentences = (await demo.listen())["sentences"]
    await wait_sentence_playing(page, 0)
    mark = page.locator("mark.tts-mark")
    assert spoken(await mark.inner_text()) == spoken(sentences[0]["text"])
    await wait_sentence_playing(page, 1)
    assert await mark.count() == 1
    assert spoken(await mark.inner_text()) == spoken(sentences[1]["text"])
    await page.keyboard.press("Alt+Shift+S")
    assert await mark.count() == 0
    # The page's text is whole again after the marks are gone.
    html = await (await page.request.get(demo.service.base_url + "/demo")).text()
    assert "Regionbibliotek Stockholm arbetar med att" in html
    assert spoken(await page.locator(".article__lead p").inner_text()).startswith(
        spoken(sentences[1]["text"])
    )


async def test_read_selection(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    paragraph = page.locator(".article__body p").nth(2)
    await paragraph.click(click_count=3)  # select the paragraph, as a visitor would
    wanted = spoken(await paragraph.inner_text())
    async with page.expect_request(
        lambda r: r.url.endswith("/api/v1/readings") and r.method == "POST"
    ) as sent:
        await page.get_by_role("button", name="Läs markerad text").click()
    body = (await sent.value).post_data_json
    assert spoken(body["text"]) == wanted and body["lang"] == "sv"
    await wait_sentence_playing(page, 0)
    shown = await highlighted(page)
    assert shown and shown in wanted
    await page.keyboard.press("Alt+Shift+S")

    assert (await widget_status(page))["state"] == "idle"

    # The same with the keyboard shortcut, the selection still in place (the reading
    # is kept, so it starts again without asking the service).
    await page.keyboard.press("Alt+Shift+M")
    await wait_sentence_playing(page, 0)
    assert await highlighted(page) == shown
    assert demo.console_errors == []
