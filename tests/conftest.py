"""Fixtures shared by every test module. Area-specific fixtures live in conftest_<area>.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from ttsservice.app import create_app
from ttsservice.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings from a mapping of TTS_* variables, with data in a fresh tmp folder."""

    def build(**env: str) -> Settings:
        base = {"TTS_DATA_DIR": str(tmp_path / "data"), "TTS_OFFLINE": "1"}
        base.update(env)
        return load_settings(base)

    return build


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Callable[..., web.Application]:
    """The real application for the given TTS_* variables."""

    def build(**env: str) -> web.Application:
        return create_app(make_settings(**env))

    return build
