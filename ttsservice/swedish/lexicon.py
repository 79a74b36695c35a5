"""The site lexicon: spoken forms of words and acronyms the web team edits without code.

A lexicon is a TOML file::

    # How words are said. Keys with capitals match exactly ("SL"), keys in
    # lower case match in any case ("vårdguiden", "Vårdguiden").
    [words]
    "Vårdguiden" = "vårdguiden"
    "Unesco" = "[[ jʉnˈɛskʊ ]]"      # Piper phonemes between [[ and ]]

    [acronyms]
    spell = ["BVC", "MIK"]           # said letter by letter
    say = ["NATO", "SIDA"]           # said as a word

The shipped list (``lexicon.toml`` next to this module) is always loaded
first; a site file adds to it and wins where both name the same word.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "Lexicon",
    "LexiconError",
    "load_default_lexicon",
    "load_lexicon",
    "parse_lexicon",
]

MAX_KEY = 100
MAX_VALUE = 500
_PHONEMES = re.compile(r"\[\[[^\[\]]{1,480}\]\]")
_ACRONYM = re.compile(r"[A-ZÅÄÖ][A-ZÅÄÖa-zåäö]*[A-ZÅÄÖ][A-ZÅÄÖa-zåäö]*")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Lexicon:
    """An immutable lexicon: spoken forms and acronym decisions, with its matcher compiled."""

    words: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Written form → spoken form (plain words, or Piper phonemes as ``[[ … ]]``)."""
    spell: frozenset[str] = frozenset()
    """Acronyms said letter by letter."""
    say: frozenset[str] = frozenset()
    """Acronyms said as a word."""
    source: str = "(empty)"
    """Where it came from, for logs and readiness details."""
    _exact: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _folded: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _lower: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    _token_exact: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    _token_lower: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    @classmethod
    def build(
        cls,
        words: Mapping[str, str],
        spell: frozenset[str] = frozenset(),
        say: frozenset[str] = frozenset(),
        source: str = "(built)",
    ) -> Lexicon:
        """Make a lexicon and compile its matchers.

        Single words ("BankID", "1177.se", "e-tjänst") are looked up in a table for
        each word of the text, so thousands of entries cost no more than a few;
        entries of several words go into one pattern.
        """
        single = {k: v for k, v in words.items() if _TOKEN.fullmatch(k)}
        several = {k: v for k, v in words.items() if k not in single}
        exact_keys = sorted((k for k in several if k != k.lower()), key=len, reverse=True)
        folded_keys = sorted((k for k in several if k == k.lower()), key=len, reverse=True)
        return cls(
            words=MappingProxyType(dict(words)),
            spell=spell,
            say=say - spell,
            source=source,
            _exact=_matcher(exact_keys, 0),
            _folded=_matcher(folded_keys, re.IGNORECASE),
            _lower=MappingProxyType({k: v for k, v in several.items() if k == k.lower()}),
            _token_exact=MappingProxyType({k: v for k, v in single.items() if k != k.lower()}),
            _token_lower=MappingProxyType({k: v for k, v in single.items() if k == k.lower()}),
        )

    def merged(self, other: Lexicon) -> Lexicon:
        """This lexicon with ``other``'s entries added; ``other`` wins on conflicts."""
        words = {**self.words, **other.words}
        spell = (self.spell - other.say) | other.spell
        say = (self.say - other.spell) | other.say
        return Lexicon.build(words, spell, say, source=f"{self.source} + {other.source}")

    def apply(self, text: str, protect: Any) -> str:
        """Replace every lexicon word in ``text``; ``protect(spoken)`` shields the result."""
        if self._exact is not None:
            words = self.words
            text = self._exact.sub(lambda m: protect(words[m.group(0)]), text)
        if self._folded is not None:
            lower = self._lower
            text = self._folded.sub(
                lambda m: str(protect(_keep_capital(m.group(0), lower[m.group(0).lower()]))),
                text,
            )
        if self._token_exact or self._token_lower:
            exact, folded = self._token_exact, self._token_lower

            def token(m: re.Match[str]) -> str:
                found = m.group(0)
                spoken = exact.get(found)
                if spoken is None:
                    spoken = folded.get(found.lower())
                    if spoken is None:
                        return found
                    spoken = _keep_capital(found, spoken)
                return str(protect(spoken))

            text = _TOKEN_IN_TEXT.sub(token, text)
        return text


def _keep_capital(found: str, spoken: str) -> str:
    if found[:1].isupper() and not spoken.startswith("[["):
        return spoken[:1].upper() + spoken[1:]
    return spoken


_TOKEN = re.compile(r"\w+(?:[-.]\w+)*")
_TOKEN_IN_TEXT = re.compile(r"(?<![\w.@/-])\w+(?:[-.]\w+)*(?![\w@]|-\w|\.\w)")


def _matcher(keys: list[str], flags: int) -> re.Pattern[str] | None:
    if not keys:
        return None
    alternatives = "|".join(re.escape(k) for k in keys)
    return re.compile(rf"(?<![\w.@/-])(?:{alternatives})(?![\w@]|-\w|\.\w)", flags)


def _check_word(source: str, key: object, value: object) -> tuple[str, str]:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise LexiconError(f"{source}: word {key!r} must be 1-{MAX_KEY} characters")
    if key != key.strip():
        raise LexiconError(f"{source}: word {key!r} has spaces at its ends")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE:
        raise LexiconError(
            f"{source}: the spoken form of {key!r} must be text of 1-{MAX_VALUE} characters"
        )
    spoken = " ".join(value.split())
    if "[[" in spoken or "]]" in spoken:
        if not _PHONEMES.fullmatch(spoken):
            raise LexiconError(
                f"{source}: phonemes for {key!r} must be the whole value, written "
                f"[[ phonemes ]], got {value!r}"
            )
    elif any(c.isdigit() for c in spoken):
        raise LexiconError(f"{source}: the spoken form of {key!r} has digits; write them in words")
    return key, spoken


def _acronym_list(source: str, raw: object, name: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise LexiconError(f"{source}: acronyms.{name} must be a list of strings")
    for a in raw:
        if not _ACRONYM.fullmatch(a) or len(a) > 20:
            raise LexiconError(
                f"{source}: acronyms.{name} entry {a!r} must be 2-20 letters, "
                'starting and containing capitals (e.g. "BVC")'
            )
    return frozenset(raw)


def parse_lexicon(text: str, source: str) -> Lexicon:
    """Parse TOML lexicon text; raise :class:`LexiconError` naming ``source`` on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"words", "acronyms"})
    if unknown:
        raise LexiconError(
            f"{source}: unknown table(s) {', '.join(unknown)}; use [words] and [acronyms]"
        )
    raw_words = data.get("words", {})
    if not isinstance(raw_words, dict):
        raise LexiconError(f'{source}: [words] must be a table of "word" = "spoken form"')
    words = dict(_check_word(source, k, v) for k, v in raw_words.items())
    acronyms = data.get("acronyms", {})
    if not isinstance(acronyms, dict):
        raise LexiconError(f"{source}: [acronyms] must be a table with spell and say lists")
    unknown = sorted(set(acronyms) - {"spell", "say"})
    if unknown:
        raise LexiconError(f"{source}: unknown key(s) in [acronyms]: {', '.join(unknown)}")
    spell = _acronym_list(source, acronyms.get("spell"), "spell")
    say = _acronym_list(source, acronyms.get("say"), "say")
    both = sorted(spell & say)
    if both:
        raise LexiconError(f"{source}: {', '.join(both)} is in both acronyms.spell and .say")
    return Lexicon.build(words, spell, say, source=source)


def load_lexicon(path: Path) -> Lexicon:
    """Read and parse a lexicon file (blocking: call it in an executor from async code)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LexiconError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_lexicon(text, str(path))


def load_default_lexicon() -> Lexicon:
    """The shipped Swedish public-sector lexicon."""
    text = resources.files("ttsservice.swedish").joinpath("lexicon.toml").read_text("utf-8")
    return parse_lexicon(text, "shipped lexicon")
