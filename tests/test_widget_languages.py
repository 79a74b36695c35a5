"""The widget in Swedish, English, Finnish and Arabic, chosen from the page's language.

Real headless Chromium on /demo against the real service: every string exists in the
four languages with the same placeholders, the language comes from data-lang (on the
script, then on the widget's elements) or else <html lang>, anything else is Swedish,
axe-core finds nothing in any language, and in Arabic the widget is laid out right to
left: its controls, arrows, progress bar and borders mirrored, numbers still readable.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Locator, Page, Route

from tests.pngpixels import png_rows
from tests.screenshots import screenshot_path
from tests.widgetpage import DemoPage, axe_violations, describe_violations, wait_sentence_playing

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

LANGUAGES = ("sv", "en", "fi", "ar")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")

# What a visitor sees first and after consent, per language.
SEEN = {
    "sv": ("Uppläsnings-funktionen kräver att du accepterar inställnings-cookies", "Lyssna"),
    "en": ("Read-aloud requires that you accept settings cookies", "Listen"),
    "fi": ("Ääneenluku edellyttää, että hyväksyt asetusevästeet", "Kuuntele"),
    "ar": (
        "تتطلب القراءة الصوتية أن توافق على ملفات تعريف الارتباط الخاصة بالإعدادات",
        "استمع",
    ),
}
NO = {"sv": "Nej", "en": "No", "fi": "Ei", "ar": "لا"}
HARD = {
    "sv": "Svårt att förstå",
    "en": "Hard to understand",
    "fi": "Vaikea ymmärtää",
    "ar": "صعب الفهم",
}


def _assert_drawn(name: str) -> None:
    """The screenshot widget-NAME.png shows something: not one blank colour."""
    rows = png_rows(screenshot_path(f"widget-{name}.png").read_bytes())
    colours = {pixel for row in rows[:: max(1, len(rows) // 40)] for pixel in row}
    assert len(colours) > 20, f"widget-{name}.png is blank"


AppFactory = Callable[..., web.Application]
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]


def _rewrite(html_lang: str | None, script_lang: str | None = None, mount_lang: str | None = None):  # type: ignore[no-untyped-def]
    """A route handler serving /demo with other language attributes."""

    async def handler(route: Route) -> None:
        response = await route.fetch()
        html = await response.text()
        if html_lang is not None:
            dir_attr = ' dir="rtl"' if html_lang.startswith("ar") else ""
            html = html.replace('<html lang="sv">', f'<html lang="{html_lang}"{dir_attr}>', 1)
        if script_lang is not None:
            html = html.replace("data-site=", f'data-lang="{script_lang}" data-site=', 1)
        if mount_lang is not None:
            html = html.replace(" data-tts-player", f' data-tts-player data-lang="{mount_lang}"', 1)
        await route.fulfill(response=response, body=html)

    return handler


async def _roots(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(
        "() => [...document.querySelectorAll('.tts-player, .tts-feedback')].map(e =>"
        " ({lang: e.getAttribute('lang'), dir: e.getAttribute('dir'),"
        " direction: getComputedStyle(e).direction}))"
    )
    return result


@pytest.mark.browser
async def test_every_string_in_four_languages_with_the_same_placeholders(demo: DemoPage) -> None:
    await demo.open()
    strings: dict[str, dict[str, str]] = await demo.page.evaluate("() => TTSWidget.strings")
    assert sorted(strings) == sorted(LANGUAGES)
    swedish = strings["sv"]
    for lang in LANGUAGES:
        assert sorted(strings[lang]) == sorted(swedish), lang
        for key, text in strings[lang].items():
            assert text.strip(), f"{lang}.{key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(swedish[key])), (
                f"{lang}.{key} has other placeholders than sv.{key}"
            )
    # Translated, not copied: no Finnish or Arabic text is the Swedish or English one.
    for lang in ("fi", "ar"):
        copied = [k for k, v in strings[lang].items() if v in (swedish[k], strings["en"][k])]
        assert copied == [], f"{lang} copies {copied}"
    # Arabic is written in Arabic letters (Latin only for names such as MP3, Alt, WebVTT).
    latin_only = [k for k, v in strings["ar"].items() if not ARABIC_LETTER.search(v)]
    assert latin_only == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("html_lang", "script_lang", "mount_lang", "expected"),
    [
        ("fi-FI", None, None, "fi"),
        ("ar-SE", None, None, "ar"),
        ("EN-gb", None, None, "en"),
        ("sv-SE", None, None, "sv"),
        ("de", None, None, "sv"),  # a language without strings: Swedish
        ("", None, None, "sv"),
        ("sv", "ar", None, "ar"),  # data-lang on the script first
        ("fi", "so", None, "sv"),  # ... and it decides even when it has no strings
        ("en", None, "fi-FI", "fi"),  # data-lang on the widget's own element
        ("fi", "en", "ar", "en"),
    ],
)
async def test_the_language_comes_from_the_page(
    demo: DemoPage, html_lang: str, script_lang: str | None, mount_lang: str | None, expected: str
) -> None:
    page = demo.page
    await page.route("**/demo", _rewrite(html_lang, script_lang, mount_lang))
    await demo.open()
    direction = "rtl" if expected == "ar" else "ltr"
    assert await _roots(page) == [{"lang": expected, "dir": direction, "direction": direction}] * 2
    notice, listen = SEEN[expected]
    assert notice in await page.locator(".tts-player").inner_text()
    await demo.accept_cookies()
    assert await page.locator(".tts-player .tts-main").inner_text() == listen
    assert await _roots(page) == [{"lang": expected, "dir": direction, "direction": direction}] * 2
    assert demo.console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_axe_finds_nothing_in_each_language(demo: DemoPage, lang: str) -> None:
    """Before consent, while reading (shortcut help open) and with the follow-up form open."""
    page = demo.page
    await page.route("**/demo", _rewrite(lang))
    await demo.open()
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)

    await demo.accept_cookies()
    player = page.locator(".tts-player")
    await player.locator(".tts-main").click()
    await wait_sentence_playing(page, 0)
    await player.locator(".tts-shortcuts summary").click()
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    await demo.screenshot(f"player-{lang}", ".read-aloud")
    _assert_drawn(f"player-{lang}")

    form = page.locator(".tts-feedback")
    await form.get_by_role("button", name=NO[lang], exact=True).click()
    # The reasons come from the service in the widget's language.
    await form.get_by_label(HARD[lang]).wait_for()
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    await demo.screenshot(f"form-{lang}", ".page-feedback")
    _assert_drawn(f"form-{lang}")
    assert demo.console_errors == []


async def _box(locator: Locator) -> dict[str, float]:
    box = await locator.bounding_box()
    assert box is not None
    return {
        "left": box["x"],
        "right": box["x"] + box["width"],
        "mid": box["x"] + box["width"] / 2,
        "top": box["y"],
    }


def _in_reading_order(boxes: list[dict[str, float]], rtl: bool) -> bool:
    """Each box comes after the one before: further along its row, or on a row below."""
    for a, b in itertools.pairwise(boxes):
        if abs(a["top"] - b["top"]) < 5:
            if (b["right"] > a["left"]) if rtl else (b["left"] < a["right"]):
                return False
        elif b["top"] < a["top"]:
            return False
    return True


def _filled_columns(png: bytes) -> tuple[list[int], int]:
    """Columns of the bar's middle row painted in the dark blue accent, and the width."""
    rows = png_rows(png)
    middle = rows[len(rows) // 2]
    blue = [x for x, (r, g, b) in enumerate(middle) if b > 90 and r < 60 and b - g > 40]
    return blue, len(middle)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["sv", "ar"])
async def test_arabic_is_laid_out_right_to_left(demo: DemoPage, lang: str) -> None:
    """The mirror of the Swedish layout, on a left-to-right page (data-lang="ar")."""
    page = demo.page
    await page.route("**/demo", _rewrite(None, lang))
    await demo.open()
    await demo.accept_cookies()
    player = page.locator(".tts-player")
    rtl = lang == "ar"
    await player.locator(".tts-main").click()
    await wait_sentence_playing(page, 0)
    await page.evaluate("() => document.querySelector('.tts-player .tts-main').click()")  # pause
    await page.wait_for_function("() => TTSWidget.status().state === 'paused'")

    controls = [await _box(b) for b in await player.locator(".tts-controls .tts-button").all()]
    assert len(controls) == 5
    main = controls[0]
    speed = await _box(player.locator(".tts-select"))
    speed_label = await _box(player.locator(".tts-settings label").first)
    bar = await _box(player.locator(".tts-progress__bar"))
    bar_text = await _box(player.locator(".tts-progress__text"))
    frame = await _box(player)
    if rtl:
        # The first control sits at the right edge, and the rest follow leftwards.
        assert frame["right"] - main["right"] < frame["mid"] - frame["left"]
        assert speed_label["left"] > speed["right"]
        assert bar_text["left"] > bar["right"]
        assert main["right"] > speed["right"]
    else:
        assert main["left"] - frame["left"] < frame["right"] - frame["mid"]
        assert speed_label["right"] < speed["left"]
        assert bar_text["right"] < bar["left"]
        assert main["left"] < speed["left"]

    assert _in_reading_order(controls, rtl)
    assert not _in_reading_order(controls, not rtl)
    # The arrows point the way of reading: "previous" towards where the line starts.
    arrows = await page.evaluate(
        "() => [getComputedStyle(document.querySelector('.tts-prev'), '::before').content,"
        " getComputedStyle(document.querySelector('.tts-next'), '::after').content]"
    )
    assert arrows[0].startswith('"→"' if rtl else '"←"')
    assert arrows[1].startswith('"←"' if rtl else '"→"')
    # ... and they are not part of the buttons' names.
    assert await player.get_by_role("button", name=SEEN_PREV[lang], exact=True).count() == 1

    # The progress bar fills from the right in Arabic (sentence 1 of many: a short fill).
    await page.wait_for_timeout(300)
    filled, width = _filled_columns(await player.locator(".tts-progress__bar").screenshot())
    assert filled, "no filled part of the progress bar found"
    if rtl:
        assert min(filled) > width / 2 and max(filled) >= width - 3
    else:
        assert max(filled) < width / 2 and min(filled) <= 2

    # Numbers stay in digits 0-9 and in their order; the speed factor has no format marks.
    progress = await player.locator(".tts-progress__text").inner_text()
    assert re.fullmatch(r"الجملة 1 من \d+" if rtl else r"Mening 1 av \d+", progress), progress
    option = await player.locator(".tts-select option[value='1.25']").inner_text()
    assert option == ("1.25×" if rtl else "1,25×")

    # Borders on the line's start side: the right in Arabic.
    error_border = await page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('.tts-player .tts-error'));"
        " return [s.borderLeftWidth, s.borderRightWidth] }"
    )
    assert error_border == (["0px", "4px"] if rtl else ["4px", "0px"])
    # Shortcut keys stay written left to right inside the Arabic help.
    assert await page.evaluate(
        "() => [...document.querySelectorAll('.tts-shortcuts kbd')].every(k =>"
        " getComputedStyle(k).direction === 'ltr')"
    )
    await demo.screenshot(f"layout-{lang}", ".read-aloud")
    _assert_drawn(f"layout-{lang}")
    assert demo.console_errors == []


SEEN_PREV = {"sv": "Föregående mening", "ar": "الجملة السابقة"}


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "retry_after", "said"),
    [
        ("sv", "2", "Tjänsten har mycket att göra. Försöker igen om 2 sekunder …"),
        ("fi", "2", "Palvelu on ruuhkautunut. Yritetään uudelleen, odota 2 sekuntia …"),
        # Arabic has six number forms; two is a word of its own ("two seconds").
        ("ar", "2", "الخدمة مشغولة. ستُعاد المحاولة بعد قليل (ثانيتان) …"),
        ("ar", "5", "الخدمة مشغولة. ستُعاد المحاولة بعد قليل (5 ثوان) …"),
    ],
)
async def test_waiting_times_in_each_languages_number_forms(
    demo: DemoPage, lang: str, retry_after: str, said: str
) -> None:
    page = demo.page
    await page.route("**/demo", _rewrite(lang))
    await demo.open()
    await demo.accept_cookies()

    async def busy(route: Route) -> None:
        await route.fulfill(
            status=503,
            headers={"Retry-After": retry_after, "Content-Type": "application/json"},
            body='{"error": {"code": "overloaded", "message": "Busy.", "status": 503}}',
        )

    await page.route("**/api/v1/readings", busy)
    player = page.locator(".tts-player")
    await player.locator(".tts-main").click()
    await player.get_by_role("alert").get_by_text(said, exact=True).wait_for()


async def test_reason_labels_in_the_widgets_languages(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app())
    for lang, label in HARD.items():
        body = await (await client.get(f"/api/v1/feedback/reasons?lang={lang}")).json()
        assert body["lang"] == lang
        labels = {r["code"]: r["label"] for r in body["reasons"]}
        assert labels["hard_to_understand"] == label
        assert len(set(labels.values())) == 5
    bad = await client.get("/api/v1/feedback/reasons?lang=so")
    assert bad.status == 400
    error = (await bad.json())["error"]
    assert error["code"] == "bad_lang" and "sv, en, fi, ar" in error["message"]


@pytest.mark.browser
async def test_a_selection_is_read_in_its_own_language(demo: DemoPage) -> None:
    """Text selected in a Finnish passage of a page shown with an English widget is sent
    as Finnish: the passage's language, not the widget's."""
    page = demo.page

    async def finnish_paragraph(route: Route) -> None:
        response = await route.fetch()
        html = (await response.text()).replace("data-site=", 'data-lang="en" data-site=', 1)
        html = html.replace(
            '<div class="article__body">', '<div class="article__body" lang="fi-FI">', 1
        )
        await route.fulfill(response=response, body=html)

    await page.route("**/demo", finnish_paragraph)
    await demo.open()
    await demo.accept_cookies()
    paragraph = page.locator(".article__body p").nth(2)
    assert await paragraph.evaluate("p => p.closest('[lang]').lang") == "fi-FI"
    await paragraph.click(click_count=3)
    async with page.expect_request(
        lambda r: r.url.endswith("/api/v1/readings") and r.method == "POST"
    ) as sent:
        await page.get_by_role("button", name="Read selected text").click()
    assert (await sent.value).post_data_json["lang"] == "fi"
