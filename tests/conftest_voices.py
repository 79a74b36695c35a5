"""Shared voice fixtures. Use with ``pytest_plugins = ["tests.conftest_voices"]``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tinyvoice import make_tiny_voice

TINY_VOICE_NAME = "sv_SE-test-tiny"
"""Name under which :func:`tiny_voice_dir` writes the tiny voice."""


@pytest.fixture(scope="session")
def tiny_voice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``sv_SE-test-tiny.onnx`` and its ``.onnx.json``, made once per session."""
    folder = tmp_path_factory.mktemp("tiny-voice")
    make_tiny_voice(folder, TINY_VOICE_NAME, "sv")
    return folder


@pytest.fixture(scope="session")
def tiny_voice_path(tiny_voice_dir: Path) -> Path:
    """Path of the tiny voice's ``.onnx`` model."""
    return tiny_voice_dir / f"{TINY_VOICE_NAME}.onnx"


@pytest.fixture(scope="session")
def tiny_voice_installed(tmp_path_factory: pytest.TempPathFactory, tiny_voice_path: Path) -> Path:
    """A voices folder with the tiny voice installed by the store, made once per session.

    Installing loads the model to check it, and that tries Piper's alignment patch in a
    child process (about a second, and it fails for the tiny model: a note beside the
    model says so; tests/test_voices_engine.py checks that).
    """
    from voices.store import VoiceStore

    folder = tmp_path_factory.mktemp("tiny-installed") / "voices"
    VoiceStore(folder).install_from(tiny_voice_path)
    return folder


@pytest.fixture
def voices_dir_with_tiny(tmp_path: Path, tiny_voice_installed: Path) -> Path:
    """A voices folder where the tiny voice is installed (with its install record).

    A copy of the session's installed folder (times kept, so nothing looks newer than
    what was made from it): each test may change its own.
    """
    folder = tmp_path / "voices"
    shutil.copytree(tiny_voice_installed, folder)
    return folder


@pytest.fixture
def tiny_voice_env(voices_dir_with_tiny: Path) -> dict[str, str]:
    """Settings environment for an app whose default voice is the tiny voice (no downloads).

    Merge into the mapping given to ``load_settings``.
    """
    return {
        "TTS_VOICES_DIR": str(voices_dir_with_tiny),
        "TTS_VOICE": TINY_VOICE_NAME,
        "TTS_OFFLINE": "true",
    }
