"""A voice whose licence asks for credit (CC BY) is credited in the player while it speaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procutil import free_port
from tests.widgetpage import DemoPage, axe_violations, describe_violations, wait_sentence_playing
from voices.catalog import load_catalog
from voices.store import VoiceStore

pytest_plugins = ["tests.conftest_voices", "tests.conftest_widget"]

pytestmark = pytest.mark.browser

ALMA = "sv_SE-alma-medium"


@pytest.fixture
def live_env(tmp_path: Path, tiny_voice_path: Path) -> dict[str, str]:
    """The live service speaking with the tiny model installed under alma's catalogue name."""
    folder = tmp_path / "voices"
    VoiceStore(folder).install_from(tiny_voice_path, name=ALMA)
    return {
        "TTS_VOICES_DIR": str(folder),
        "TTS_VOICE": ALMA,
        "TTS_OFFLINE": "true",
        "TTS_DATA_DIR": str(tmp_path / "var"),
        "TTS_HOST": "127.0.0.1",
        "TTS_PORT": str(free_port()),
    }


async def test_a_cc_by_voice_is_credited_in_the_player(demo: DemoPage) -> None:
    credit = load_catalog().voices[ALMA].attribution
    assert credit and "CC BY 4.0" in credit
    page = demo.page
    await demo.open()
    await demo.accept_cookies()
    reading = await demo.listen()
    assert reading["voice"] == {"name": ALMA, "fallback": False, "attribution": credit}

    await wait_sentence_playing(page, 0)
    shown = page.locator(".tts-player .tts-credit")
    assert await shown.is_visible()
    assert await shown.inner_text() == credit
    violations = await axe_violations(page)
    assert violations == [], describe_violations(violations)
    assert demo.console_errors == []
