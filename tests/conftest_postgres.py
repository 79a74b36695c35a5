"""PostgreSQL fixtures: one real server per test session, a fresh database per test.

Use with ``pytest_plugins = ["tests.conftest_postgres"]``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import asyncpg
import pytest

from tests.pgserver import PgServer, running_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole test session."""
    with running_server() as server:
        yield server


@pytest.fixture
async def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh, empty database on the session's server."""
    name = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(pg_server.url())
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    return pg_server.url(name)
