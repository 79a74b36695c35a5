"""Run a test module's app on both feedback backends (SQLite and PostgreSQL).

In a module that uses ``pytest_plugins = ["tests.conftest_feedback"]``::

    @pytest.fixture
    def make_settings(make_settings, database_url):
        return on_both_backends(make_settings, database_url)
"""

from __future__ import annotations

from collections.abc import Callable

from ttsservice.settings import Settings

SHARED_SECRET = "a-secret-the-copies-of-a-test-share-0123456789"
"""TTS_SECRET_KEY for tests with a database URL (copies sharing state need one secret)."""


def on_both_backends(
    make_settings: Callable[..., Settings], database_url: str
) -> Callable[..., Settings]:
    """Settings with TTS_DATABASE_URL set from ``database_url`` (SQLite, then PostgreSQL)."""

    def build(**env: str) -> Settings:
        shared = {"TTS_SECRET_KEY": SHARED_SECRET} if database_url else {}
        return make_settings(**{"TTS_DATABASE_URL": database_url, **shared, **env})

    return build
