"""What the voice's phonemiser (espeak-ng in piper-tts) makes of the normaliser's output."""

from __future__ import annotations

from pathlib import Path

import pytest
from piper import PiperVoice

from ttsservice.swedish import Normalizer, load_default_lexicon
from ttsservice.swedish.tables import LETTER_NAMES

pytest_plugins = ["tests.conftest_voices"]


@pytest.fixture(scope="module")
def phonemes(tiny_voice_path: Path) -> PiperVoice:
    # Through a Swedish voice, so piper's one shared espeak-ng phonemiser does the work:
    # a second EspeakPhonemizer would initialise espeak-ng again, which corrupts the
    # state piper's phonemiser relies on (later phonemisation crashes or comes out empty).
    return PiperVoice.load(tiny_voice_path)


def _say(voice: PiperVoice, text: str) -> str:
    sentences = voice.phonemize(text)
    return " ".join("".join(s) for s in sentences).replace("ˈ", "").replace("ˌ", "")


@pytest.mark.parametrize("letter", sorted(LETTER_NAMES))
def test_spelled_letters_sound_like_the_letter(phonemes: PiperVoice, letter: str) -> None:
    # "de" would be the pronoun (dom) and "ge" the verb (je): the names avoid such words
    assert _say(phonemes, LETTER_NAMES[letter]) == _say(phonemes, letter)


def test_the_seed_problems_are_gone_in_phonemes(phonemes: PiperVoice) -> None:
    normalizer = Normalizer(load_default_lexicon())
    spoken = normalizer.normalize("t.ex. kl. 08.00, 2020-2023, 08-123 132 00")
    said = _say(phonemes, spoken)
    assert "pɵŋkt" not in said  # no "punkt" for the dots of t.ex. or kl.
    assert "tɪl" in said  # the range has its "till"
    assert said.count("nɔl") == 3  # 08 and 00 read digit by digit, no "åtta punkt noll noll"


def test_shipped_lexicon_avoids_words_espeak_says_otherwise() -> None:
    lexicon = load_default_lexicon()
    for written, spoken in lexicon.words.items():
        words = spoken.split()
        assert "de" not in words and "ge" not in words, (written, spoken)
    assert lexicon.spell and lexicon.say and not lexicon.spell & lexicon.say
