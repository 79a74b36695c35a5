"""The widget on /demo in real headless Chromium, against the real service and tiny voice.

Every flow is done with the mouse and again with the keyboard alone. axe-core checks
WCAG 2.1 A and AA before consent, after consent and with the feedback form open.
Screenshots for the README come from these tests (see tests/screenshots.py).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Route

from tests.widgetpage import (
    DemoPage,
    axe_violations,
    describe_violations,
    highlighted,
    tab_to,
    wait_sentence_playing,
)
from ttsservice.reading import extract_reading

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

PLAYER_NOTICE = "Uppläsnings-funktionen kräver att du accepterar inställnings-cookies"
FORM_NOTICE = "Formuläret kräver att du accepterar inställnings-cookies"


async def test_before_consent_notices_and_nothing_stored_or_sent(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    player = page.locator(".tts-player")
    form = page.locator(".tts-feedback")
    assert PLAYER_NOTICE in await player.inner_text()
    assert FORM_NOTICE in await form.inner_text()
    assert await form.get_by_role("heading").inner_text() == (
        "Hjälp oss att förbättra regionstockholm.se!"
    )
    assert await player.get_by_role("button", name="Lyssna").is_disabled()
    for part in (player, form):
        assert await part.get_by_role("button", name="Ändra cookie-inställningar").is_enabled()
    # Shortcuts and selections do nothing before consent either.
    await page.evaluate(
        "() => { const r = document.createRange();"
        " r.selectNodeContents(document.querySelector('.article__lead p'));"
        " getSelection().removeAllRanges(); getSelection().addRange(r); }"
    )
    await page.keyboard.press("Alt+Shift+L")
    await page.keyboard.press("Alt+Shift+M")
    await page.wait_for_timeout(500)
    assert demo.api_requests() == []
    assert await demo.stored() == {"cookies": {}, "localStorage": {}, "sessionStorage": {}}
    assert await page.evaluate("() => TTSWidget.hasConsent()") is False
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    assert demo.console_errors == []
    await page.evaluate("() => getSelection().removeAllRanges()")
    await demo.screenshot("player-before-consent", ".read-aloud")
    await demo.screenshot("form-before-consent", ".page-feedback")


async def test_strings_exist_in_swedish_and_english(demo: DemoPage) -> None:
    await demo.open()
    keys = await demo.page.evaluate(
        "() => [Object.keys(TTSWidget.strings.sv).sort(), Object.keys(TTSWidget.strings.en).sort()]"
    )
    assert keys[0] == keys[1]
    empty = await demo.page.evaluate(
        "() => Object.entries(TTSWidget.strings).flatMap(([l, s]) =>"
        " Object.entries(s).filter(([, v]) => !v.trim()).map(([k]) => l + '.' + k))"
    )
    assert empty == []


async def test_consent_by_keyboard_from_the_notice(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await tab_to(page, "Ändra cookie-inställningar")
    await page.keyboard.press("Enter")
    banner = page.locator("#cookie-consent")
    assert await banner.is_visible()
    assert await page.evaluate("() => document.activeElement.id") == "cookie-consent"
    await tab_to(page, "Acceptera alla", limit=5)
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".tts-player .tts-main")
    assert not await banner.is_visible()
    # Focus comes back to the player, now working, where the visitor was.
    assert await page.evaluate("() => document.activeElement.textContent") == "Lyssna"
    assert await page.evaluate("() => TTSWidget.hasConsent()") is True
    # Consent itself stores nothing of the widget's (the cookie is the consent manager's).
    assert await demo.stored() == {
        "cookies": {"demo_consent": "settings"},
        "localStorage": {},
        "sessionStorage": {},
    }
    assert demo.api_requests() == []
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    assert demo.console_errors == []


async def test_consent_api_event_and_cookie(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await page.evaluate("() => TTSWidget.setConsent(true)")
    await page.wait_for_selector(".tts-player .tts-main")
    await page.evaluate(
        "() => document.dispatchEvent(new CustomEvent('tts:consent', {detail: {settings: false}}))"
    )
    await page.wait_for_selector(".tts-player--off")
    # A consent cookie set by the portal's tool is honoured when the page loads.
    await demo.context.add_cookies(
        [{"name": "demo_consent", "value": "settings", "url": demo.service.base_url}]
    )
    await demo.open()
    await page.wait_for_selector(".tts-player .tts-main")
    await page.wait_for_selector(".tts-feedback fieldset")


async def test_withdrawing_consent_stops_clears_and_disables(demo: DemoPage) -> None:
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    player = page.locator(".tts-player")
    await player.get_by_label("Hastighet").select_option("1.25")
    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name="Ja").click()
    await form.get_by_role("status").get_by_text("Tack för ditt svar!").wait_for()
    stored = (await demo.stored())["localStorage"]["ttsWidget"]
    assert '"speed":1.25' in stored and '"token":' in stored
    await player.get_by_role("button", name="Lyssna").click()
    await wait_sentence_playing(page, 0)
    audio = await page.query_selector(".tts-player audio")
    assert audio is not None

    await page.get_by_role("button", name="Cookie-inställningar").click()
    await page.get_by_role("button", name="Endast nödvändiga").click()
    await page.wait_for_selector(".tts-player--off")
    assert PLAYER_NOTICE in await player.inner_text()
    assert FORM_NOTICE in await form.inner_text()
    assert await demo.stored() == {
        "cookies": {"demo_consent": "necessary"},
        "localStorage": {},
        "sessionStorage": {},
    }
    assert await audio.evaluate("a => a.paused && !a.getAttribute('src')")
    assert (await page.evaluate("() => TTSWidget.status()"))["state"] == "idle"
    assert await highlighted(page) is None
    sent = len(demo.api_requests())
    await page.keyboard.press("Alt+Shift+L")
    await page.wait_for_timeout(500)
    assert len(demo.api_requests()) == sent
    # Consent given again starts from nothing: the old speed is not remembered.
    await page.evaluate("() => TTSWidget.setConsent(true)")
    assert await player.get_by_label("Hastighet").input_value() == "1"
    assert await demo.stored() == {
        "cookies": {"demo_consent": "necessary"},
        "localStorage": {},
        "sessionStorage": {},
    }


async def test_block_locators_find_the_text_on_the_live_page(demo: DemoPage) -> None:
    """The service's locators still point at the right elements once the widget is in.

    Here the page has no mount points, so the widget places itself (player after the
    h1, form at the end of main) without shifting the elements the locators count.
    """
    page = demo.page

    async def without_mount_points(route: Route) -> None:
        response = await route.fetch()
        html = await response.text()
        html = html.replace(" data-tts-player", "").replace(" data-tts-feedback", "")
        await route.fulfill(response=response, body=html)

    await page.route("**/demo", without_mount_points)
    await demo.open()
    await demo.accept_cookies()
    assert await page.evaluate(
        "() => document.querySelector('article h1').nextElementSibling.matches('tts-widget')"
    )
    assert await page.evaluate("() => document.querySelector('main').lastElementChild.tagName") == (
        "TTS-WIDGET"
    )
    html = await (await page.request.get(demo.service.base_url + "/demo")).text()
    reading = extract_reading(html, demo.service.base_url + "/demo")
    assert len(reading.blocks) > 10
    found = await page.evaluate(
        "locators => locators.map(l => { const e = document.querySelector(l);"
        " return e ? e.textContent.replace(/\\s+/g, ' ').trim() : null })",
        [block.locator for block in reading.blocks],
    )
    assert found == [" ".join(block.text.split()) for block in reading.blocks]


async def test_english_strings(demo: DemoPage) -> None:
    async def english(route: Route) -> None:
        response = await route.fetch()
        html = (await response.text()).replace("data-site=", 'data-lang="en" data-site=', 1)
        await route.fulfill(response=response, body=html)

    await demo.page.route("**/demo", english)
    await demo.open()
    player = demo.page.locator(".tts-player")
    assert "Read-aloud requires that you accept settings cookies" in await player.inner_text()
    form = demo.page.locator(".tts-feedback")
    assert await form.get_by_role("heading").inner_text() == "Help us improve regionstockholm.se!"
    await demo.accept_cookies()
    assert await player.get_by_role("button", name="Listen").is_enabled()
    assert await form.get_by_role("group", name="Did this information help you?").is_visible()


@pytest.mark.parametrize(
    "callback",
    [
        "",  # no callback: the widget dispatches tts:open-cookie-settings
        "demoConsent.open",  # a method of the consent tool, named by a dotted path
    ],
)
async def test_notice_button_opens_cookie_settings(demo: DemoPage, callback: str) -> None:
    async def configured(route: Route) -> None:
        response = await route.fetch()
        html = (await response.text()).replace(
            'data-consent-callback="openCookieSettings"', f'data-consent-callback="{callback}"'
        )
        await route.fulfill(response=response, body=html)

    page = demo.page
    await page.route("**/demo", configured)
    await page.add_init_script(
        "window.demoConsent = {opened: 0, open() { this.opened++; window.openCookieSettings(); }}"
    )
    await demo.open()
    banner = page.locator("#cookie-consent")
    await page.get_by_role("button", name="Endast nödvändiga").click()
    assert await banner.is_hidden()
    await (
        page.locator(".tts-feedback")
        .get_by_role("button", name="Ändra cookie-inställningar")
        .click()
    )
    await banner.wait_for()
    opened = await page.evaluate("() => window.demoConsent.opened")
    assert opened == (1 if callback else 0)
    assert demo.api_requests() == []
