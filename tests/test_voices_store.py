"""Installing voices: downloads checked by size and md5, install from a file, verify, remove."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from voices.catalog import Catalog, load_catalog, parse_catalog
from voices.engine import PiperSpeechVoice, file_sha256
from voices.store import (
    ChecksumMismatch,
    DownloadError,
    NotInstalled,
    UnknownCatalogVoice,
    VoiceStore,
    VoiceStoreError,
)

pytest_plugins = ["tests.conftest_voices"]

NAME = "sv_SE-fake-medium"
MODEL_PATH = f"sv/sv_SE/fake/medium/{NAME}.onnx"


def _catalog(model: bytes, config: bytes, *, md5: str | None = None) -> Catalog:
    return parse_catalog(
        {
            "base_url": "http://unused.invalid",
            "default": NAME,
            "voices": [
                {
                    "name": NAME,
                    "language": "sv",
                    "locale": "sv_SE",
                    "quality": "medium",
                    "revision": "rev1",
                    "model": {
                        "path": MODEL_PATH,
                        "size": len(model),
                        "md5": md5 or hashlib.md5(model).hexdigest(),
                    },
                    "config": {
                        "path": MODEL_PATH + ".json",
                        "size": len(config),
                        "md5": hashlib.md5(config).hexdigest(),
                    },
                    "license": "test",
                    "attribution": None,
                }
            ],
        }
    )


async def _serve(aiohttp_server: Any, files: dict[str, bytes]) -> tuple[str, list[str]]:
    """A local voices repository serving ``files`` at /repo/REVISION/PATH."""
    requested: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        path = request.match_info["path"]
        requested.append(path)
        if path not in files:
            raise web.HTTPNotFound()
        return web.Response(body=files[path], content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/repo/rev1/{path:.*}", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return str(server.make_url("/repo")), requested


def _tiny_files(tiny_voice_path: Path) -> tuple[bytes, bytes]:
    return tiny_voice_path.read_bytes(), Path(f"{tiny_voice_path}.json").read_bytes()


def _everything_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_download_installs_checked_voice(
    aiohttp_server: Any, tiny_voice_path: Path, tmp_path: Path
) -> None:
    model, config = await asyncio.to_thread(_tiny_files, tiny_voice_path)
    base, requested = await _serve(
        aiohttp_server, {MODEL_PATH: model, MODEL_PATH + ".json": config}
    )
    store = VoiceStore(tmp_path / "voices", catalog=_catalog(model, config), base_url=base)
    installed = await asyncio.to_thread(store.install, NAME, timeout=5)
    assert requested == [MODEL_PATH + ".json", MODEL_PATH]
    assert _everything_in(store.folder) == [
        f"{NAME}.install.json",
        f"{NAME}.onnx",
        # Loading it to check it found that Piper's alignment patch cannot patch the
        # tiny model; the note goes with it, so the service does not try again at start.
        f"{NAME}.onnx.aligned.failed",
        f"{NAME}.onnx.json",
    ]
    assert installed.record is not None
    assert installed.record["model_sha256"] == hashlib.sha256(model).hexdigest()
    assert installed.record["source"] == f"{base}/rev1/{MODEL_PATH}"
    assert (await asyncio.to_thread(store.verify_one, NAME)).ok
    voice = await asyncio.to_thread(PiperSpeechVoice.load, installed.model_path)
    assert voice.synthesize("Hej").size > 0


async def test_wrong_md5_leaves_no_file_behind(
    aiohttp_server: Any, tiny_voice_path: Path, tmp_path: Path
) -> None:
    model, config = await asyncio.to_thread(_tiny_files, tiny_voice_path)
    base, _ = await _serve(aiohttp_server, {MODEL_PATH: model, MODEL_PATH + ".json": config})
    catalog = _catalog(model, config, md5="0" * 32)
    store = VoiceStore(tmp_path / "voices", catalog=catalog, base_url=base)
    with pytest.raises(ChecksumMismatch, match="md5"):
        await asyncio.to_thread(store.install, NAME, timeout=5)
    assert _everything_in(store.folder) == []


async def test_truncated_download_leaves_no_file_behind(
    aiohttp_server: Any, tiny_voice_path: Path, tmp_path: Path
) -> None:
    model, config = await asyncio.to_thread(_tiny_files, tiny_voice_path)
    base, _ = await _serve(aiohttp_server, {MODEL_PATH: model[:-100], MODEL_PATH + ".json": config})
    store = VoiceStore(tmp_path / "voices", catalog=_catalog(model, config), base_url=base)
    with pytest.raises(ChecksumMismatch, match="bytes"):
        await asyncio.to_thread(store.install, NAME, timeout=5)
    assert _everything_in(store.folder) == []


async def test_http_error_and_unreachable_host_are_download_errors(
    aiohttp_server: Any, tiny_voice_path: Path, tmp_path: Path, unused_tcp_port: int
) -> None:
    model, config = await asyncio.to_thread(_tiny_files, tiny_voice_path)
    base, _ = await _serve(aiohttp_server, {MODEL_PATH + ".json": config})
    store = VoiceStore(tmp_path / "voices", catalog=_catalog(model, config), base_url=base)
    with pytest.raises(DownloadError, match="HTTP 404"):
        await asyncio.to_thread(store.install, NAME, timeout=5)
    assert _everything_in(store.folder) == []

    closed = VoiceStore(
        tmp_path / "voices",
        catalog=_catalog(model, config),
        base_url=f"http://127.0.0.1:{unused_tcp_port}/repo",
    )
    with pytest.raises(DownloadError, match="cannot download"):
        await asyncio.to_thread(closed.install, NAME, timeout=5)
    assert _everything_in(store.folder) == []


async def test_download_that_does_not_load_is_refused(
    aiohttp_server: Any, tiny_voice_path: Path, tmp_path: Path
) -> None:
    _, config = await asyncio.to_thread(_tiny_files, tiny_voice_path)
    junk = b"\x08\x01" * 500
    base, _ = await _serve(aiohttp_server, {MODEL_PATH: junk, MODEL_PATH + ".json": config})
    store = VoiceStore(tmp_path / "voices", catalog=_catalog(junk, config), base_url=base)
    with pytest.raises(VoiceStoreError, match="not a working Piper voice"):
        await asyncio.to_thread(store.install, NAME, timeout=5)
    assert _everything_in(store.folder) == []


def test_unknown_catalogue_name_lists_known(tmp_path: Path) -> None:
    store = VoiceStore(tmp_path)
    with pytest.raises(UnknownCatalogVoice) as caught:
        store.install("sv_SE-nobody-medium")
    for name in ("sv_SE-nst-medium", "sv_SE-lisa-medium", "sv_SE-alma-medium"):
        assert name in str(caught.value)


def test_interrupted_install_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = VoiceStore(tmp_path)
    with pytest.raises(KeyboardInterrupt), store._temporary("sv_SE-x-medium") as (model, config):
        model.write_bytes(b"half a model")
        config.write_text("{}")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_install_from_file_verify_and_remove(tiny_voice_path: Path, tmp_path: Path) -> None:
    store = VoiceStore(tmp_path / "voices")
    installed = store.install_from(tiny_voice_path, name="sv-local", espeak_voice="sv")
    assert [v.name for v in store.installed()] == ["sv-local"]
    assert installed.model_path.read_bytes() == tiny_voice_path.read_bytes()
    assert json.loads(installed.config_path.read_text("utf-8"))["espeak"]["voice"] == "sv"
    assert installed.model_path.stat().st_mode & 0o777 == 0o644
    assert [r.status for r in store.verify()] == ["ok"]

    installed.model_path.write_bytes(installed.model_path.read_bytes() + b"\0")
    (result,) = store.verify()
    assert result.status == "corrupt"
    assert "sv-local.onnx" in result.detail

    plain = store.install_from(tiny_voice_path, name="sv-plain")
    assert plain.config_path.read_bytes() == Path(f"{tiny_voice_path}.json").read_bytes()
    store.remove("sv-plain")

    store.remove("sv-local")
    assert _everything_in(store.folder) == []
    with pytest.raises(NotInstalled, match="sv-local"):
        store.remove("sv-local")


def test_install_from_rewrites_espeak_voice_and_records_that_config(
    tiny_voice_path: Path, tmp_path: Path
) -> None:
    store = VoiceStore(tmp_path / "voices")
    installed = store.install_from(tiny_voice_path, name="en-as-sv", espeak_voice="en-us")
    assert installed.record is not None
    assert installed.record["config_sha256"] == file_sha256(installed.config_path)
    assert PiperSpeechVoice.load(installed.model_path).language == "en"


def test_install_from_refuses_bad_input(tiny_voice_path: Path, tmp_path: Path) -> None:
    store = VoiceStore(tmp_path / "voices")
    with pytest.raises(VoiceStoreError, match="no model file"):
        store.install_from(tmp_path / "missing.onnx")
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(tiny_voice_path.read_bytes())
    with pytest.raises(VoiceStoreError, match="--config"):
        store.install_from(lonely)
    with pytest.raises(VoiceStoreError, match="cannot be a voice name"):
        store.install_from(tiny_voice_path, name="../escape")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"garbage")
    with pytest.raises(VoiceStoreError, match="not a working Piper voice"):
        store.install_from(broken, config=Path(f"{tiny_voice_path}.json"))
    assert _everything_in(store.folder) == []


def test_shipped_catalogue_pins_nst_with_checksums() -> None:
    catalog = load_catalog()
    assert catalog.default == "sv_SE-nst-medium"
    nst = catalog.voices["sv_SE-nst-medium"]
    assert nst.revision == "v1.0.0"
    assert nst.model.md5 == "20266cf58e93ca2140444b77398aea04"
    assert nst.model.url(catalog.base_url, nst.revision) == (
        "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
        "sv/sv_SE/nst/medium/sv_SE-nst-medium.onnx"
    )
    assert catalog.voices["sv_SE-alma-medium"].attribution
