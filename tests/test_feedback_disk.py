"""/readyz tells the truth about the database when the disk is full."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.procutil import fill_disk, tmpfs


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of its own, so the test can fill it for real."""
    with tmpfs(tmp_path / "disk", "size=2m") as folder:
        yield folder


async def test_readiness_fails_when_the_data_disk_is_full_and_recovers(
    aiohttp_client: Any, make_app: Callable[..., web.Application], small_disk: Path
) -> None:
    client = await aiohttp_client(make_app(TTS_DATA_DIR=str(small_disk / "var")))

    async def database() -> tuple[int, dict[str, str]]:
        response = await client.get("/readyz")
        body = await response.json()
        return response.status, next(c for c in body["checks"] if c["name"] == "database")

    status, check = await database()
    assert status == 200 and check["status"] == "ok", check
    filler = fill_disk(small_disk)
    status, check = await database()
    assert status == 503 and check["status"] == "failed", check
    assert "not writable" in check["detail"] and "free space" in check["detail"]
    filler.unlink()
    status, check = await database()
    assert status == 200 and check["status"] == "ok", check
