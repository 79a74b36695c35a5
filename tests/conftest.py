"""Fixtures shared by every test module. Area-specific fixtures live in conftest_<area>.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ttsservice.app import create_app
from ttsservice.settings import Settings, load_settings
from ttsservice.speech import front

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


@pytest.fixture
def aiohttp_client(aiohttp_client: Callable[..., Any]) -> Callable[..., Any]:
    """pytest-aiohttp's client, with the app served the way ``ttsservice serve`` serves it.

    The server's handler is the hot clip front (:mod:`ttsservice.speech.front`)
    in front of the app, so every test request takes the production path.
    """

    async def start(target: Any, **kwargs: Any) -> Any:
        client = await aiohttp_client(target, **kwargs)
        if isinstance(target, web.Application):
            front.install(client.server.runner)
        return client

    return start
