"""Voices in the running app: default voice, fallback on trouble, /readyz, /api/v1/voices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ttsservice.app import create_app
from ttsservice.settings import load_settings
from voices.registry import VOICES

pytest_plugins = ["tests.conftest_voices"]

TINY = "sv_SE-test-tiny"


def _settings(voices_dir: Path, tmp_path: Path, **extra: str) -> Any:
    env = {
        "TTS_VOICES_DIR": str(voices_dir),
        "TTS_DATA_DIR": str(tmp_path / "var"),
        "TTS_VOICE": TINY,
        "TTS_OFFLINE": "true",
        **extra,
    }
    return load_settings(env)


def _damage(model: Path) -> None:
    """Zero the last bytes: the sha256 recorded at install no longer matches."""
    data = bytearray(model.read_bytes())
    data[-40:] = b"\0" * 40
    model.write_bytes(bytes(data))


def _unrecorded_garbage_voice(folder: Path, tiny_voice_path: Path) -> Path:
    """A folder with a model that is not ONNX, a valid config and no install record."""
    folder.mkdir()
    (folder / f"{TINY}.onnx").write_bytes(b"this is not an onnx model")
    (folder / f"{TINY}.onnx.json").write_text(
        Path(f"{tiny_voice_path}.json").read_text("utf-8"), "utf-8"
    )
    return folder


def _add_broken_voice(folder: Path, name: str) -> None:
    (folder / f"{name}.onnx").write_bytes(b"junk")
    (folder / f"{name}.onnx.json").write_text("{}")


async def _voice_check(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = await client.get("/readyz")
    body = await response.json()
    check = next(c for c in body["checks"] if c["name"] == "voice")
    return response.status, body, check


async def _metric(client: TestClient[Any, Any], name: str) -> str:
    text = await (await client.get("/metrics")).text()
    return "\n".join(line for line in text.splitlines() if line.startswith(name))


async def test_installed_voice_is_default_and_ready(
    aiohttp_client: Any, voices_dir_with_tiny: Path, tmp_path: Path
) -> None:
    app = create_app(_settings(voices_dir_with_tiny, tmp_path))
    client = await aiohttp_client(app)
    registry = app[VOICES]
    assert registry.default.name == TINY
    assert not registry.using_fallback
    status, _, check = await _voice_check(client)
    assert (status, check["status"], check["detail"]) == (200, "ok", TINY)

    response = await client.get("/api/v1/voices")
    assert response.status == 200
    body = await response.json()
    assert body["default"] == TINY
    by_name = {v["name"]: v for v in body["voices"]}
    assert by_name[TINY]["installed"] is True
    assert by_name[TINY]["fallback"] is False
    assert by_name["espeak-ng-sv"]["fallback"] is True
    assert by_name["sv_SE-nst-medium"]["installed"] is False
    assert by_name["sv_SE-alma-medium"]["attribution"]
    assert "CC BY 4.0" in by_name["sv_SE-alma-medium"]["license"]
    for entry in body["voices"]:
        assert set(entry) == {
            "name",
            "language",
            "quality",
            "installed",
            "fallback",
            "license",
            "attribution",
        }
    assert await _metric(client, "tts_voice_fallback_active") == "tts_voice_fallback_active 0.0"
    info = await _metric(client, "tts_voice_info")
    assert f'tts_voice_info{{default="true",fallback="false",voice="{TINY}"}} 1.0' in info


async def test_corrupt_model_falls_back_and_readyz_is_degraded(
    aiohttp_client: Any, voices_dir_with_tiny: Path, tmp_path: Path
) -> None:
    _damage(voices_dir_with_tiny / f"{TINY}.onnx")
    app = create_app(_settings(voices_dir_with_tiny, tmp_path))
    client = await aiohttp_client(app)
    status, body, check = await _voice_check(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert check["status"] == "degraded"
    assert check["detail"].startswith(
        f"fallback voice in use: install {TINY} with `ttsservice voices install --from {TINY}.onnx`"
    )
    assert "corrupt" in check["detail"]
    assert app[VOICES].default.name == "espeak-ng-sv"
    assert (await (await client.get("/api/v1/voices")).json())["default"] == "espeak-ng-sv"
    assert await _metric(client, "tts_voice_fallback_active") == "tts_voice_fallback_active 1.0"
    # The fallback really speaks.
    assert app[VOICES].default.synthesize("Hej").size > 1000


async def test_unloadable_model_without_record_falls_back(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_path: Path
) -> None:
    folder = _unrecorded_garbage_voice(tmp_path / "voices", tiny_voice_path)
    app = create_app(_settings(folder, tmp_path))
    client = await aiohttp_client(app)
    _, body, check = await _voice_check(client)
    assert body["status"] == "degraded"
    assert "cannot load voice model" in check["detail"]
    assert (await client.get("/healthz")).status == 200


async def test_missing_voice_offline_falls_back(aiohttp_client: Any, tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path / "empty", tmp_path, TTS_VOICE="sv_SE-nst-medium"))
    client = await aiohttp_client(app)
    _, body, check = await _voice_check(client)
    assert body["status"] == "degraded"
    assert check["detail"].startswith(
        "fallback voice in use: install sv_SE-nst-medium with "
        "`ttsservice voices install sv_SE-nst-medium`"
    )
    assert "offline" in check["detail"]


async def test_failed_start_up_download_falls_back_and_leaves_nothing(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    requested: list[str] = []

    async def wrong_bytes(request: web.Request) -> web.Response:
        requested.append(request.path)
        return web.Response(body=b"not the voice you are looking for")

    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", wrong_bytes)
    async with TestServer(upstream, host="127.0.0.1") as server:
        folder = tmp_path / "voices"
        settings = _settings(
            folder,
            tmp_path,
            TTS_VOICE="sv_SE-nst-medium",
            TTS_OFFLINE="false",
            TTS_VOICES_URL=str(server.make_url("/mirror")),
        )
        app = create_app(settings)
        client = await aiohttp_client(app)
        _, body, check = await _voice_check(client)
    assert requested == ["/mirror/v1.0.0/sv/sv_SE/nst/medium/sv_SE-nst-medium.onnx.json"]
    assert body["status"] == "degraded"
    assert "could not be downloaded" in check["detail"]
    assert "nothing was installed" in check["detail"]
    assert list(folder.iterdir()) == []


async def test_unknown_voice_is_canonical_404(
    aiohttp_client: Any, voices_dir_with_tiny: Path, tmp_path: Path
) -> None:
    client = await aiohttp_client(create_app(_settings(voices_dir_with_tiny, tmp_path)))
    response = await client.get("/api/v1/voices/sv_SE-nobody-medium")
    assert response.status == 404
    body = await response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert (error["code"], error["status"]) == ("unknown_voice", 404)
    assert "espeak-ng-sv" in error["message"]
    assert TINY in error["message"]
    assert sorted(error["details"]["available"]) == ["espeak-ng-sv", TINY]

    not_installed = await client.get("/api/v1/voices/sv_SE-nst-medium")
    assert not_installed.status == 404
    assert "not installed" in (await not_installed.json())["error"]["message"]

    known = await client.get(f"/api/v1/voices/{TINY}")
    assert known.status == 200
    entry = await known.json()
    assert (entry["name"], entry["default"], entry["sample_rate"]) == (TINY, True, 22050)


async def test_voice_routes_are_documented(
    aiohttp_client: Any, voices_dir_with_tiny: Path, tmp_path: Path
) -> None:
    from openapi_spec_validator import validate

    client = await aiohttp_client(create_app(_settings(voices_dir_with_tiny, tmp_path)))
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    assert "404" in document["paths"]["/api/v1/voices/{name}"]["get"]["responses"]
    assert document["paths"]["/api/v1/voices"]["get"]["summary"] != "(undocumented)"


async def test_fallback_chosen_as_default_is_still_degraded(
    aiohttp_client: Any, voices_dir_with_tiny: Path, tmp_path: Path
) -> None:
    app = create_app(_settings(voices_dir_with_tiny, tmp_path, TTS_VOICE="espeak-ng-sv"))
    client = await aiohttp_client(app)
    _, body, check = await _voice_check(client)
    assert body["status"] == "degraded"
    assert "configured default" in check["detail"]
    assert app[VOICES].get(TINY).name == TINY


async def test_tiny_voice_env_fixture_gives_an_app_on_the_tiny_voice(
    aiohttp_client: Any, tiny_voice_env: dict[str, str], tmp_path: Path
) -> None:
    _add_broken_voice(Path(tiny_voice_env["TTS_VOICES_DIR"]), "sv-broken")
    app = create_app(load_settings({**tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var")}))
    client = await aiohttp_client(app)
    registry = app[VOICES]
    assert registry.default.name == TINY
    # A broken extra voice is reported, not fatal, and not offered.
    assert "sv-broken" in registry.problems
    assert "sv-broken" not in registry.voices
    assert (await client.get("/readyz")).status == 200
