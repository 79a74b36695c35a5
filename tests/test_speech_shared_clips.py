"""Clip records in the database: a reading made on one copy is heard from another copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.backends import SHARED_SECRET
from ttsservice.app import create_app
from ttsservice.settings import load_settings

pytest_plugins = ["tests.conftest_voices", "tests.conftest_postgres"]

TEXT = "Biblioteket har öppet i dag. Välkommen in!"


def _copy(env: dict[str, str], data: Path, database_url: str) -> Any:
    return create_app(
        load_settings(
            {
                **env,
                "TTS_DATA_DIR": str(data),
                "TTS_DATABASE_URL": database_url,
                "TTS_SECRET_KEY": SHARED_SECRET,
            }
        )
    )


async def test_another_copy_renders_a_key_it_has_never_seen(
    aiohttp_client: Any, tiny_voice_env: dict[str, str], tmp_path: Path, pg_url: str
) -> None:
    first = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "a", pg_url))
    second = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "b", pg_url))
    response = await first.post("/api/v1/readings", json={"text": TEXT, "lang": "sv"})
    assert response.status == 200
    reading = await response.json()
    for sentence in reading["sentences"]:
        audio = await second.get(sentence["audio"]["mp3"])  # the second copy never saw it
        assert audio.status == 200, await audio.text()
        assert audio.content_type == "audio/mpeg"
        assert len(await audio.read()) > 100


async def test_another_copy_serves_a_readings_captions_timings_and_download(
    aiohttp_client: Any, tiny_voice_env: dict[str, str], tmp_path: Path, pg_url: str
) -> None:
    first = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "a", pg_url))
    second = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "b", pg_url))
    reading = await (await first.post("/api/v1/readings", json={"text": TEXT})).json()
    captions = await second.get(f"/api/v1/readings/{reading['id']}.vtt")
    assert captions.status == 200, await captions.text()
    assert (await captions.text()).startswith("WEBVTT")
    timings = await second.get(reading["sentences"][0]["audio"]["json"])
    assert timings.status == 200, await timings.text()
    download = await second.get(reading["download"])
    assert download.status == 200, await download.text()
    assert download.content_type == "audio/mpeg"
    assert len(await download.read()) > 100
    unknown = await second.get("/api/v1/readings/" + "0" * 32 + ".mp3")
    assert unknown.status == 404
    assert (await unknown.json())["error"]["code"] == "not_found"


async def test_without_a_database_the_other_copy_does_not_know_the_key(
    aiohttp_client: Any, tiny_voice_env: dict[str, str], tmp_path: Path
) -> None:
    first = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "a", ""))
    second = await aiohttp_client(_copy(tiny_voice_env, tmp_path / "b", ""))
    reading = await (await first.post("/api/v1/readings", json={"text": TEXT})).json()
    audio = await second.get(reading["sentences"][0]["audio"]["mp3"])
    assert audio.status == 404
    assert (await audio.json())["error"]["code"] == "not_found"
