"""The tiny Piper voice through the real piper path, and the espeak-ng fallback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.tinyvoice import SAMPLE_RATE, expected_samples
from voices import engine
from voices.engine import FallbackVoice, PiperSpeechVoice, SpeechVoice, VoiceLoadError

pytest_plugins = ["tests.conftest_voices"]


def test_tiny_voice_speaks_through_piper(tiny_voice_path: Path) -> None:
    voice = PiperSpeechVoice.load(tiny_voice_path)
    assert isinstance(voice, SpeechVoice)
    assert (voice.name, voice.language, voice.sample_rate, voice.fallback) == (
        "sv_SE-test-tiny",
        "sv",
        SAMPLE_RATE,
        False,
    )
    samples = voice.synthesize("Hej världen")
    phoneme_ids = voice._voice.phonemes_to_ids(voice._voice.phonemize("Hej världen")[0])
    assert samples.dtype == np.float32
    assert samples.shape == (expected_samples(len(phoneme_ids)),)
    # About 70 ms per phoneme id: a short greeting lasts about a second.
    assert 0.5 < samples.size / SAMPLE_RATE < 3.0
    assert float(np.max(np.abs(samples))) > 0.5
    assert float(np.max(np.abs(samples))) <= 1.0


def test_length_scale_slows_speech(tiny_voice_path: Path) -> None:
    voice = PiperSpeechVoice.load(tiny_voice_path)
    normal = voice.synthesize("Välkommen till vården.")
    slow = voice.synthesize("Välkommen till vården.", length_scale=2.0)
    assert abs(slow.size / normal.size - 2.0) < 0.01


def test_longer_text_gives_longer_audio_and_same_text_same_audio(tiny_voice_path: Path) -> None:
    voice = PiperSpeechVoice.load(tiny_voice_path)
    short = voice.synthesize("Hej.")
    long = voice.synthesize("Hej. Här kan du läsa om vaccinationer och vårdcentraler.")
    assert long.size > 3 * short.size
    assert np.array_equal(short, voice.synthesize("Hej."))


def test_fingerprint_follows_model_bytes(tiny_voice_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(tiny_voice_path.read_bytes())
    Path(f"{copy}.json").write_text(Path(f"{tiny_voice_path}.json").read_text("utf-8"), "utf-8")
    first = PiperSpeechVoice.load(copy)
    assert first.fingerprint == PiperSpeechVoice.load(tiny_voice_path).fingerprint
    config = Path(f"{copy}.json")
    config.write_text(config.read_text("utf-8").replace('"length_scale": 1', '"length_scale": 1.1'))
    assert PiperSpeechVoice.load(copy).fingerprint != first.fingerprint


def test_a_model_the_patch_cannot_align_is_tried_once_until_it_changes(
    tiny_voice_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny model has nothing for Piper's alignment patch to patch: its child process
    fails once, a marker beside the model says why, and later loads start no child."""
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(tiny_voice_path.read_bytes())
    Path(f"{copy}.json").write_text(Path(f"{tiny_voice_path}.json").read_text("utf-8"), "utf-8")
    children: list[Any] = []
    run = subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        children.append(args[0])
        return run(*args, **kwargs)

    monkeypatch.setattr(engine.subprocess, "run", counted)
    first = PiperSpeechVoice.load(copy)
    assert len(children) == 1
    marker = engine.unaligned_marker(copy)
    assert b"ceil" in marker.read_bytes()  # the patch's own complaint, kept for a person
    assert not engine.aligned_path(copy).exists()
    again = PiperSpeechVoice.load(copy)
    assert len(children) == 1  # remembered: no second child
    assert again.fingerprint == first.fingerprint
    assert again.synthesize("Hej.").size > 0
    later = marker.stat().st_mtime + 10
    os.utime(copy, (later, later))  # a new model: the patch is tried again
    PiperSpeechVoice.load(copy)
    assert len(children) == 2


def test_broken_model_raises_voice_load_error(tiny_voice_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(tiny_voice_path.read_bytes()[:300])
    Path(f"{broken}.json").write_text(Path(f"{tiny_voice_path}.json").read_text("utf-8"), "utf-8")
    with pytest.raises(VoiceLoadError, match=r"broken\.onnx"):
        PiperSpeechVoice.load(broken)
    with pytest.raises(VoiceLoadError, match="does not exist"):
        PiperSpeechVoice.load(tmp_path / "missing.onnx")


def test_fallback_voice_speaks_swedish() -> None:
    voice = FallbackVoice.load("sv")
    assert isinstance(voice, SpeechVoice)
    assert (voice.name, voice.language, voice.fallback) == ("espeak-ng-sv", "sv", True)
    short = voice.synthesize("Hej.")
    text = "Välkommen till Region Stockholm. Här kan du läsa om vården i länet."
    samples = voice.synthesize(text)
    seconds = samples.size / voice.sample_rate
    # Around 12 words at espeak's 175 words per minute: a few seconds, not silence.
    assert 2.0 < seconds < 10.0
    assert samples.size > 3 * short.size
    assert samples.dtype == np.float32
    assert 0.5 < float(np.max(np.abs(samples))) <= 1.0
    slow = voice.synthesize(text, length_scale=1.5)
    assert slow.size > 1.3 * samples.size
    # Swedish rules, not English ones: "sj" is one sound, so Swedish is much shorter.
    swedish = voice.synthesize("sju sjösjuka sjömän")
    english = FallbackVoice.load("en").synthesize("sju sjösjuka sjömän")
    assert english.size > 1.25 * swedish.size


def test_fallback_and_piper_share_a_process(tiny_voice_path: Path) -> None:
    # piper's phonemizer embeds its own espeak-ng; interleaving must not disturb either.
    piper_voice = PiperSpeechVoice.load(tiny_voice_path)
    fallback = FallbackVoice.load("sv")
    first = piper_voice.synthesize("Hej världen")
    fallback.synthesize("Hej världen")
    assert np.array_equal(first, piper_voice.synthesize("Hej världen"))


def test_voices_are_thread_safe(tiny_voice_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    piper_voice = PiperSpeechVoice.load(tiny_voice_path)
    fallback = FallbackVoice.load("sv")
    texts = [f"Mening nummer {n} om vården i länet." for n in range(6)]
    expected = {
        (kind, text): voice.synthesize(text)
        for kind, voice in (("piper", piper_voice), ("fallback", fallback))
        for text in texts
    }
    jobs = [(kind, text) for kind, text in expected] * 2
    voices = {"piper": piper_voice, "fallback": fallback}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: voices[job[0]].synthesize(job[1]), jobs))
    for job, samples in zip(jobs, results, strict=True):
        if job[0] == "piper":
            assert np.array_equal(samples, expected[job]), job
        else:
            # espeak-ng carries waveform phase from one utterance to the next, so its
            # output varies by a few samples; mixed-up buffers would differ by far more.
            assert abs(samples.size - expected[job].size) < 0.01 * expected[job].size, job
