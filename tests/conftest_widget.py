"""Widget fixtures: the real app on a real port, headless Chromium and axe-core.

Use with ``pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]``.
The browser is Debian's Chromium (``/usr/bin/chromium``), never a downloaded one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Request, async_playwright

from tests.procutil import free_port
from tests.widgetpage import DemoPage, LiveService
from ttsservice.app import create_app
from ttsservice.settings import load_settings
from ttsservice.speech import front

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live_env(tmp_path: Path, tiny_voice_env: dict[str, str]) -> dict[str, str]:
    """Settings for the live service: tiny voice, fresh data folder, a free port."""
    port = free_port()
    return {
        **tiny_voice_env,
        "TTS_DATA_DIR": str(tmp_path / "var"),
        "TTS_HOST": "127.0.0.1",
        "TTS_PORT": str(port),
    }


@pytest.fixture
async def live_service(live_env: dict[str, str]) -> AsyncIterator[LiveService]:
    """The real app served by aiohttp on 127.0.0.1 (not a test client: a browser calls it)."""
    settings = load_settings(live_env)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    front.install(runner)  # served as ``ttsservice serve`` serves it
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    try:
        yield LiveService(settings.base_url, app, settings)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture
async def demo(browser: Browser, live_service: LiveService) -> AsyncIterator[DemoPage]:
    """A fresh browser profile with one tab, recording requests and console errors."""
    context = await browser.new_context(
        viewport={"width": 1000, "height": 900}, locale="sv-SE", reduced_motion="reduce"
    )
    page = await context.new_page()
    watched = DemoPage(page, context, live_service)

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            watched.console_errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.console_errors.append(f"page error: {error}"))
    try:
        yield watched
    finally:
        await context.close()
