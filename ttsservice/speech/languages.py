"""A reading's languages: sentences cut at passages, normalised and voiced per language.

* :func:`block_sentences` splits a block into sentences that never cross the edge of a
  passage in another language (:mod:`ttsservice.reading.passages`), with offsets into
  the block's text, each with its language;
* :func:`spoken_text` normalises a sentence by its language's rules: the Swedish rules
  for Swedish, ``num2words`` for the others (:mod:`ttsservice.speech.otherlanguages`);
* :func:`main_voice` is the voice of a reading's own language.

Each sentence gets its voice in :func:`ttsservice.speech.readings.voice_sentences`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ttsservice.reading.model import Block
from ttsservice.reading.passages import passages_of
from ttsservice.speech.otherlanguages import OTHER_LANGUAGES_VERSION, normalize_other
from ttsservice.speech.state import TextNormalizer, normalizer_version
from ttsservice.swedish import split_sentences
from ttsservice.swedish.sentences import Span
from voices.engine import SpeechVoice
from voices.languages import LanguageVoices, language_key

__all__ = [
    "block_sentences",
    "main_voice",
    "normalizer_version_for",
    "spoken_text",
]


def block_sentences(block: Block, lang: str) -> Iterator[tuple[Span, str]]:
    """The sentences of ``block`` (whose own language is ``lang``) with their languages;
    offsets are into the block's text."""
    for start, end, run_lang in passages_of(block.text, lang, block.passages):
        for span in split_sentences(block.text[start:end], run_lang):
            yield Span(span.start + start, span.end + start, span.text), run_lang


def spoken_text(normalizer: TextNormalizer, text: str, lang: str) -> str:
    """``text`` normalised for speech in ``lang`` (blocking)."""
    spoken = normalizer.normalize(text, lang)  # Swedish rules, or clean-up only
    if language_key(lang) in ("sv", "swe"):
        return spoken
    return normalize_other(spoken, language_key(lang))


def normalizer_version_for(normalizer: TextNormalizer, lang: str) -> str:
    """The version of the rules that normalise ``lang`` (part of its clips' keys)."""
    if language_key(lang) in ("sv", "swe"):
        return normalizer_version(normalizer)
    return f"{normalizer_version(normalizer)}+{OTHER_LANGUAGES_VERSION}"


def main_voice(languages: LanguageVoices, lang: str) -> SpeechVoice:
    """The voice of ``lang``, else the default voice (blocking)."""
    return languages.voice_for(lang) or languages.registry.default
