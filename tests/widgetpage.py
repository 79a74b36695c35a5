"""Helpers for the widget's browser tests: the page under test, axe-core, keyboard moves."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import BrowserContext, Page

from tests.screenshots import screenshot_path
from ttsservice.settings import Settings

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class LiveService:
    """The real service listening on 127.0.0.1."""

    base_url: str
    app: web.Application
    settings: Settings


@dataclass
class DemoPage:
    """A browser tab on /demo with everything it asked for and complained about."""

    page: Page
    context: BrowserContext
    service: LiveService
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def api_requests(self) -> list[str]:
        """Requests the page made to the service's API."""
        return [url for url in self.requests if "/api/" in url]

    async def open(self, path: str = "/demo") -> None:
        """Load the page and wait until the widget has drawn itself."""
        await self.page.goto(self.service.base_url + path)
        await self.page.wait_for_selector(".tts-player")
        await self.page.wait_for_selector(".tts-feedback")

    async def stored(self) -> dict[str, Any]:
        """Everything on the visitor's device for this page: cookies and both storages."""
        storages = await self.page.evaluate(
            "() => [Object.assign({}, localStorage), Object.assign({}, sessionStorage)]"
        )
        cookies = await self.context.cookies()
        return {
            "cookies": {c["name"]: c["value"] for c in cookies},
            "localStorage": storages[0],
            "sessionStorage": storages[1],
        }

    async def accept_cookies(self) -> None:
        """Accept settings cookies in the demo's banner, with the mouse."""
        await self.page.get_by_role("button", name="Acceptera alla").click()
        await self.page.wait_for_selector(".tts-player .tts-main")

    async def listen(self) -> dict[str, Any]:
        """Press Lyssna with the mouse; the reading the widget was given for the page."""
        async with self.page.expect_response(is_reading_post) as answer:
            await self.page.locator(".tts-player").get_by_role("button", name="Lyssna").click()
        return dict(await (await answer.value).json())

    async def screenshot(self, name: str, selector: str) -> None:
        """Write widget-NAME.png of one part of the page (see tests/screenshots.py)."""
        await self.page.locator(selector).screenshot(path=screenshot_path(f"widget-{name}.png"))


def is_reading_post(response: Any) -> bool:
    """True for the widget's POST /api/v1/readings (for ``page.expect_response``)."""
    return bool(response.url.endswith("/api/v1/readings") and response.request.method == "POST")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page, as it looks now."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `npm ci --no-audit --no-fund` first")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's CSP does not block it.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """A readable summary for assertion messages."""
    return json.dumps(
        [
            {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in violations
        ],
        indent=1,
        ensure_ascii=False,
    )


async def tab_to(page: Page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text is ``name`` (keyboard only)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " const label = e.labels && e.labels.length ? e.labels[0].textContent : null;"
            " return (label || e.getAttribute('aria-label') || e.textContent || '').trim() }"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


HIGHLIGHTED_JS = """() => {
  const h = CSS.highlights.get('tts-sentence');
  const range = h ? [...h][0] : null;
  return range ? range.toString().replace(/\\s+/g, ' ').trim() : null;
}"""

AUDIO_JS = "() => document.querySelector('.tts-player audio')"


def spoken(text: str) -> str:
    """Sentence text with white space as the page shows it."""
    return " ".join(text.split())


async def highlighted(page: Page) -> str | None:
    """The text the widget highlights in the page right now."""
    text: str | None = await page.evaluate(HIGHLIGHTED_JS)
    return text


async def widget_status(page: Page) -> dict[str, Any]:
    """The player's state as the widget reports it."""
    status: dict[str, Any] = await page.evaluate("() => TTSWidget.status()")
    return status


async def audio_time(page: Page) -> float:
    """Playback position of the player's audio element, in seconds."""
    value: float = await page.evaluate(
        "() => document.querySelector('.tts-player audio').currentTime"
    )
    return value


PLAYING_JS = """i => {
  const s = TTSWidget.status();
  const a = document.querySelector('.tts-player audio');
  return s.state === 'playing' && s.index === i && a && !a.paused && a.currentTime > 0.05;
}"""


async def wait_sentence_playing(page: Page, index: int) -> None:
    """Wait until sentence ``index`` plays and its audio time advances."""
    await page.wait_for_function(PLAYING_JS, arg=index, timeout=30_000)


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


async def database_rows(service: LiveService, sql: str) -> list[tuple[Any, ...]]:
    """Rows from the service's own SQLite file (read in a thread, as the service would)."""
    return await asyncio.to_thread(_rows, service.settings.db_path, sql)
