"""``ttsservice voices …`` as a person runs it: a subprocess of ``python -m ttsservice``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

pytest_plugins = ["tests.conftest_voices"]

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, voices_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TTS_VOICES_DIR": str(voices_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "ttsservice", "voices", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )


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
