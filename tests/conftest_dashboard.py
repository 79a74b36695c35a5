"""Dashboard fixtures: the real app with an account and a signed-in client.

Use with ``pytest_plugins = ["tests.conftest_dashboard"]``; helpers are in
:mod:`tests.dashboardkit`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedback.store import FEEDBACK
from tests.dashboardkit import PASSWORD, SITE, USER, Clock, sign_in
from ttsservice.dashboard.auth import hash_password


@pytest.fixture(scope="session")
def user_entry() -> str:
    """``NAME:HASH`` for TTS_DASHBOARD_USERS (scrypt once per test session)."""
    return f"{USER}:{hash_password(PASSWORD)}"


@pytest.fixture
def dashboard_env(user_entry: str) -> dict[str, str]:
    """Settings for an app with one dashboard account and two sections."""
    return {
        "TTS_DASHBOARD_USERS": user_entry,
        "TTS_SECTIONS": "vard,kultur=/kultur-och-fritid",
        "TTS_ALLOWED_ORIGINS": SITE,
        "TTS_MIN_RESPONSES": "5",
    }


@pytest.fixture
async def dash(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> TestClient[Any, Any]:
    """A signed-in test client of the real app (store clock fixed on 2026-03-30, a Monday)."""
    app = make_app(**dashboard_env)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    app[FEEDBACK].clock = Clock(date(2026, 3, 30))
    response = await sign_in(client)
    assert response.status == 303, await response.text()
    return client
