"""Audio encoding: files ffprobe accepts, small enough, sentences equally loud."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.speechutil import ffprobe
from ttsservice.speech.audio import FORMATS, encode, level_loudness, speech_rms
from voices.engine import FallbackVoice

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

SENTENCES = [
    "Ja.",
    "Regionbiblioteket stöder folkbiblioteken i Stockholms län.",
    "Vi arbetar med kompetensutveckling, läsfrämjande och digital delaktighet för alla.",
]


@pytest.fixture(scope="module")
def speech() -> tuple[list[np.ndarray], int]:
    voice = FallbackVoice.load("sv")
    return [voice.synthesize(s) for s in SENTENCES], voice.sample_rate


@pytest.mark.parametrize(
    ("ext", "codec", "rate"),
    [("ogg", "opus", "48000"), ("mp3", "mp3", "16000"), ("wav", "pcm_s16le", "22050")],
)
def test_each_format_is_valid_with_the_right_duration(
    speech: tuple[list[np.ndarray], int], tmp_path: Path, ext: str, codec: str, rate: str
) -> None:
    clips, sample_rate = speech
    samples = level_loudness(clips[2], sample_rate)
    data = encode(samples, sample_rate, FORMATS[ext])
    info = ffprobe(data, tmp_path, f"clip.{ext}")
    assert info["stream"]["codec_name"] == codec
    # Opus always decodes at 48 kHz; it was encoded at 24 kHz. MP3 is made at 16 kHz.
    assert info["stream"]["sample_rate"] == rate
    assert info["stream"]["channels"] == 1
    expected = samples.size / sample_rate
    duration = float(info["format"]["duration"])
    if ext == "mp3":
        # Plain MP3 frames (no gapless tag) carry LAME's encoder delay of 1,105 samples
        # and pad the last frame of 576 samples: never shorter, at most 105 ms longer.
        assert 0 <= duration - expected <= (1105 + 576) / 16000 + 0.001
    else:
        assert abs(duration - expected) < 0.1


def test_compressed_formats_stay_under_250_kb_per_minute(
    speech: tuple[list[np.ndarray], int],
) -> None:
    clips, sample_rate = speech
    samples = level_loudness(np.concatenate(clips * 4), sample_rate)
    minutes = samples.size / sample_rate / 60
    for ext in ("ogg", "mp3"):
        size = len(encode(samples, sample_rate, FORMATS[ext]))
        assert size / 1000 / minutes <= 250, ext
    wav = len(encode(samples, sample_rate, FORMATS["wav"]))
    assert wav / 1000 / minutes > 2000  # the PCM reference is an order of magnitude bigger


def test_levelling_gives_sentences_one_loudness(speech: tuple[list[np.ndarray], int]) -> None:
    clips, sample_rate = speech
    before = [20 * np.log10(speech_rms(c, sample_rate)) for c in clips]
    after = [20 * np.log10(speech_rms(level_loudness(c, sample_rate), sample_rate)) for c in clips]
    assert max(after) - min(after) < 1.0
    assert max(after) - min(after) < max(before) - min(before)
    for clip in clips:
        assert float(np.max(np.abs(level_loudness(clip, sample_rate)))) <= 0.97 + 1e-6


def test_silence_and_empty_input_encode_without_error(tmp_path: Path) -> None:
    empty = np.zeros(0, dtype=np.float32)
    assert level_loudness(empty, 22050).size == 0
    for ext in FORMATS:
        data = encode(empty, 22050, FORMATS[ext])
        ffprobe(data, tmp_path, f"empty.{ext}")
    quiet = np.zeros(22050, dtype=np.float32)
    assert np.array_equal(level_loudness(quiet, 22050), quiet)


def test_long_sentences_are_spoken_in_clause_sized_parts() -> None:
    from ttsservice.speech.clips import MAX_CHUNK_CHARS, speech_chunks

    sentence = (
        "Att främja intresset för bildning, upplysning, utbildning och forskning kan bidra "
        "till ökad livskvalitet och delaktighet, men också ökad sysselsättning i samhället, "
        "samt öka den enskildas möjlighet."
    )
    parts = speech_chunks(sentence)
    assert " ".join(parts) == sentence
    assert len(parts) == 3
    assert all(len(p) <= MAX_CHUNK_CHARS for p in parts)
    assert all(p.endswith((",", ".")) for p in parts)  # cut after clauses, not mid-clause
    assert speech_chunks("Kort mening.") == ["Kort mening."]
    assert speech_chunks("   ") == []
    words = " ".join(["ord"] * 60)  # no punctuation at all: cut between words
    assert all(len(p) <= MAX_CHUNK_CHARS for p in speech_chunks(words))
    assert " ".join(speech_chunks(words)) == words


def test_a_long_clip_is_levelled_and_encoded_in_blocks_as_if_whole() -> None:
    """Blocks keep a 3,000-character speak's temporaries small; the result is what the
    whole-clip computation gives, to the bit."""
    import lameenc

    rng = np.random.default_rng(7)
    rate = 22050
    clip = (rng.standard_normal(rate * 200) * 0.1).astype(np.float32)  # 200 s, 4.4 M samples
    clip[: rate * 2] *= 0.0001  # a quiet start the gate leaves out
    clip[rate * 50] = 1.5  # a sample over full scale, clipped when encoded
    frames = clip[: clip.size - clip.size % 441].astype(np.float64).reshape(-1, 441)
    energy = np.mean(np.square(frames), axis=1)
    whole_rms = float(np.sqrt(np.mean(energy[energy > 10 ** (-45 / 10)])))
    assert speech_rms(clip, rate) == whole_rms
    gain = min(10 ** (-20 / 20) / whole_rms, 0.97 / float(np.max(np.abs(clip))))
    whole = (clip * np.float32(gain)).astype(np.float32)
    assert np.array_equal(level_loudness(clip, rate), whole)
    in_place = clip.copy()
    assert level_loudness(in_place, rate, in_place=True) is in_place
    assert np.array_equal(in_place, whole)
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(16000)
    encoder.set_bit_rate(24)
    encoder.set_quality(3)
    pcm = np.round(np.clip(whole, -1.0, 1.0) * 32767.0).astype("<i2")
    at_once = bytes(encoder.encode(pcm.tobytes()) + encoder.flush())
    assert encode(whole, rate, FORMATS["mp3"]) == at_once
