"""Swedish as it is spoken: text normalisation, sentence splitting and the site lexicon.

Public interface (others build on it):

- :func:`split_sentences` and :class:`Span`: sentences with offsets into the original text;
- :class:`Normalizer` (``normalize(text, lang)``, ``version``) and :data:`NORMALIZER_VERSION`;
- :func:`setup`: puts the app's Normalizer at ``app[swedish.normalizer.NORMALIZER]``, keeps its site
  lexicon up to date (file modification time, SIGHUP) and reports a broken lexicon in
  ``/readyz``.
"""

from __future__ import annotations

from ttsservice.swedish.lexicon import Lexicon, LexiconError, load_default_lexicon, load_lexicon
from ttsservice.swedish.normalizer import NORMALIZER_VERSION, Normalizer
from ttsservice.swedish.sentences import Span, split_sentences
from ttsservice.swedish.service import LexiconWatch, setup

__all__ = [
    "NORMALIZER_VERSION",
    "Lexicon",
    "LexiconError",
    "LexiconWatch",
    "Normalizer",
    "Span",
    "load_default_lexicon",
    "load_lexicon",
    "setup",
    "split_sentences",
]
