"""Fixtures for the speech tests.

Use with ``pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from ttsservice.app import create_app
from ttsservice.settings import load_settings


@pytest.fixture
def speech_app(tiny_voice_env: dict[str, str], tmp_path: Path) -> Callable[..., web.Application]:
    """The real app on the tiny voice, data in ``tmp_path/var``; extra TTS_* as keywords."""

    def build(**env: str) -> web.Application:
        return create_app(
            load_settings({**tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var"), **env})
        )

    return build
