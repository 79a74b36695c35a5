"""``ttsservice voices …`` as a person runs it: a subprocess of ``python -m ttsservice``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.procutil import run_ttsservice
from voices.catalog import load_catalog

pytest_plugins = ["tests.conftest_voices"]

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, voices_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TTS_VOICES_DIR": str(voices_dir), **env}
    return run_ttsservice("voices", *args, env=environment)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("ttsservice: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_install_from_verify_remove_round_trip(tiny_voice_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "voices"
    installed = _run("install", "--from", str(tiny_voice_path), "--name", "sv-x", voices_dir=folder)
    assert installed.returncode == 0, installed.stderr
    assert "Installed sv-x" in installed.stdout

    listing = _run("list", voices_dir=folder)
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.startswith("sv-x "))
    assert "yes" in row
    assert "sv_SE-nst-medium" in listing.stdout
    alma = load_catalog().voices["sv_SE-alma-medium"].attribution
    assert f"sv_SE-alma-medium must be credited where it speaks: {alma}" in listing.stdout

    verified = _run("verify", voices_dir=folder)
    assert (verified.returncode, verified.stdout.strip()) == (0, "sv-x: ok")

    model = folder / "sv-x.onnx"
    model.write_bytes(model.read_bytes()[:-1])
    corrupt = _run("verify", voices_dir=folder)
    assert "sv-x: corrupt" in corrupt.stdout
    assert "corrupt: sv-x" in _one_line_error(corrupt)

    removed = _run("remove", "sv-x", voices_dir=folder)
    assert removed.returncode == 0, removed.stderr
    assert sorted(folder.iterdir()) == []
    assert "not installed" in _one_line_error(_run("remove", "sv-x", voices_dir=folder))


def test_unknown_name_lists_known_names(tmp_path: Path) -> None:
    error = _one_line_error(_run("install", "sv_SE-nobody-medium", voices_dir=tmp_path))
    assert "unknown voice 'sv_SE-nobody-medium'" in error
    assert "sv_SE-nst-medium" in error
    assert "sv_SE-alma-medium" in error


def test_no_network_says_how_to_install_from_a_file(tmp_path: Path, unused_tcp_port: int) -> None:
    result = _run(
        "install",
        "sv_SE-nst-medium",
        "--timeout",
        "5",
        voices_dir=tmp_path / "voices",
        TTS_VOICES_URL=f"http://127.0.0.1:{unused_tcp_port}/repo",
    )
    error = _one_line_error(result)
    assert "cannot download" in error
    assert "ttsservice voices install --from sv_SE-nst-medium.onnx" in error
    assert not (tmp_path / "voices").exists() or list((tmp_path / "voices").iterdir()) == []


def test_install_by_name_skips_an_intact_voice(
    tiny_voice_path: Path, tmp_path: Path, unused_tcp_port: int
) -> None:
    folder = tmp_path / "voices"
    name = "sv_SE-nst-medium"
    copied = _run("install", "--from", str(tiny_voice_path), "--name", name, voices_dir=folder)
    assert copied.returncode == 0, copied.stderr
    unreachable = {"TTS_VOICES_URL": f"http://127.0.0.1:{unused_tcp_port}/repo"}
    again = _run("install", name, voices_dir=folder, **unreachable)
    assert again.returncode == 0, again.stderr
    assert "already installed and intact" in again.stdout
    forced = _run("install", name, "--force", "--timeout", "5", voices_dir=folder, **unreachable)
    assert "cannot download" in _one_line_error(forced)
    assert (folder / f"{name}.onnx").read_bytes() == tiny_voice_path.read_bytes()


@pytest.mark.parametrize(
    ("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
async def test_interrupted_download_leaves_nothing(
    aiohttp_server: Any, tmp_path: Path, stop: signal.Signals, code: int
) -> None:
    started = asyncio.Event()

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "4157"})
        await response.prepare(request)
        started.set()
        for _ in range(200):
            await response.write(b"x" * 20)
            await asyncio.sleep(0.05)
        return response

    upstream = web.Application()
    upstream.router.add_get("/{tail:.*}", trickle)
    server = await aiohttp_server(upstream, host="127.0.0.1")
    folder = tmp_path / "voices"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ttsservice",
        "voices",
        "install",
        "sv_SE-nst-medium",
        cwd=ROOT,
        env={
            **os.environ,
            "TTS_VOICES_DIR": str(folder),
            "TTS_VOICES_URL": str(server.make_url("/repo")),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(started.wait(), timeout=60)
        partial = await _wait_for_partial_file(folder)
        assert partial.name.startswith(".sv_SE-nst-medium.onnx")
        await asyncio.sleep(0.3)  # well inside the trickling download
        process.send_signal(stop)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert sorted(folder.iterdir()) == []


def _partial_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


async def _wait_for_partial_file(folder: Path) -> Path:
    for _ in range(400):
        parts = await asyncio.to_thread(_partial_files, folder)
        if parts:
            return parts[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the download never made its temporary files")
