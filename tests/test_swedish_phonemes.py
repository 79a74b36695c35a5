"""What the voice's phonemiser (espeak-ng in piper-tts) makes of the normaliser's output."""

from __future__ import annotations

import pytest
from piper.phonemize_espeak import EspeakPhonemizer

from ttsservice.swedish import Normalizer, load_default_lexicon
from ttsservice.swedish.tables import LETTER_NAMES


@pytest.fixture(scope="module")
def phonemes() -> EspeakPhonemizer:
    return EspeakPhonemizer()


def _say(phonemizer: EspeakPhonemizer, text: str) -> str:
    sentences = phonemizer.phonemize("sv", text)
    return " ".join("".join(s) for s in sentences).replace("ˈ", "").replace("ˌ", "")


@pytest.mark.parametrize("letter", sorted(LETTER_NAMES))
def test_spelled_letters_sound_like_the_letter(phonemes: EspeakPhonemizer, letter: str) -> None:
    # "de" would be the pronoun (dom) and "ge" the verb (je): the names avoid such words
    assert _say(phonemes, LETTER_NAMES[letter]) == _say(phonemes, letter)


def test_the_seed_problems_are_gone_in_phonemes(phonemes: EspeakPhonemizer) -> None:
    normalizer = Normalizer(load_default_lexicon())
    spoken = normalizer.normalize("t.ex. kl. 08.00, 2020-2023, 08-123 132 00")
    said = _say(phonemes, spoken)
    assert "pɵŋkt" not in said  # no "punkt" for the dots of t.ex. or kl.
    assert "tɪl" in said  # the range has its "till"
    assert said.count("nɔl") == 3  # 08 and 00 read digit by digit, no "åtta punkt noll noll"
