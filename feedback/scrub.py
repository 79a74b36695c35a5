"""Personal data out of comments, before anything is written.

Visitors write things like "mitt personnummer är 19811218-9876, ring mig på
070-123 45 67". None of it may be stored, so every comment goes through
:func:`clean_comment` (control and stray invisible characters out, trimmed)
and :func:`scrub` (personal data replaced by placeholders) before the store
sees it.

How matching works
------------------
People write the same number in many ways (``811218–9876`` with an en dash,
``070.123.45.67``, fullwidth ``０７０``, ``8112\\u200b18-9876`` with a zero-width
space in it), so the patterns never look at the comment as typed. They look at
a *matching view* of it, built character by character:

- each character is NFKC-normalised (fullwidth and other compatibility forms:
  ``０``→``0``, ``＠``→``@``, ``①``→``1``), and every decimal digit of any
  script becomes its ASCII digit;
- every dash (``‐ ‑ ‒ – — ― −`` …) becomes ``-`` and every space character
  (no-break, thin, ideographic …) a plain space;
- invisible characters (zero-width space and joiners, soft hyphen, word
  joiner, bidi controls, tag characters, variation selectors) and combining
  marks are left out, so they cannot split a number or an address.

Each character of the view remembers which character of the comment it came
from, so a match is mapped back and replaced **in the comment as written**. The
stored comment keeps the visitor's own characters (their fullwidth digits,
their dashes, their emoji) wherever nothing personal was found; only what was
matched becomes a placeholder.

What is replaced
----------------
- Swedish personal identity numbers (personnummer) and coordination numbers
  (samordningsnummer, day + 60), 10 or 12 digits, whole or in groups of two
  (``19 81 12 18 - 98 76``), with ``-``, ``+``, ``.``, ``/``, spaces or nothing
  before the last four digits, even glued to letters (``x811218-9876``),
  **only when the date is plausible and the Luhn checksum holds**: a number
  that fails the checksum is not an identity number and is kept (an order
  number, an invoice number) so comments stay readable;
- e-mail addresses, also with spaces around ``@``, written ``(at)``,
  ``[snabel-a]``, ``(punkt)``/``(dot)``, or spelt ``asa at example dot se``;
- phone numbers: Swedish (``08-123 456 78``, ``070.123.45.67``,
  ``070 - 123 45 67``, 8 to 10 digits starting with ``0`` and an area code of
  two or more digits; a mobile number ``07`` + 8 digits however grouped) and
  international (``+46 (0)70 123 45 67``, 8 to 15 digits after ``+``; ``0046…``,
  11 to 17 digits). Glued to a word, only a mobile number counts. Not taken
  for a phone number: times and time ranges (``08.00-17.00``, ``0800-1700``),
  dates (``01.02.2024``, ``2024-03-15``), a number written like an identity
  number that failed its checks, a piece cut out of a longer token
  (``2024-0123-4567``), and numbers right after a word that names them
  (``ordernummer``, ``faktura``, ``OCR-nummer``, ``dnr``, ``ärende``,
  ``ISBN``, ``recept`` …). Numbers are found as runs of digit groups and tried
  longest first, so two numbers in a row are both found;
- street addresses with a number: one word (``Storgatan 12B``,
  ``Sveavägen 44 lgh 1102``, ``S:t Eriksgatan 117``, ``Birger Jarlsgatan 5``)
  or two (``Kungsholms strand 7``, ``Drottning Kristinas väg 20``,
  ``Sergels torg 12``); road numbers (``riksväg 73``, ``länsväg 222``,
  ``längs väg 73``) and entrances (``ingången 2``) are not addresses;
- postcodes followed by a town (``114 52 Stockholm``). A postcode alone
  (``114 52``) is kept: it names an area of many households, not a person.

Kept on purpose (the false-positive side): dates, times, years, prices,
amounts, percentages, case numbers (``dnr 2024-1234``), paragraph references,
organisation numbers, short numbers (``1177``, ``112``), and order or invoice
numbers that fail the identity checks.

What cleaning keeps
-------------------
:func:`clean_comment` removes control characters and invisible formatting
characters, except where they are part of what the visitor wrote: a zero-width
joiner inside an emoji sequence (👨‍👩‍👧, 🏳️‍🌈, 👩🏽‍💻), the tag characters of a
subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿), and a zero-width (non-)joiner between two letters of a
script that needs it (Persian, Indic scripts). Skin tones, keycaps and
regional-indicator flags are visible characters and are always kept.

Limits (known, not handled): digits written as look-alike letters (``O`` for
``0``), numbers spelt out in words, separators other than dashes, dots,
slashes, brackets and spaces (``811218_9876``), street names without a known
street word (``Hamngatan`` is found, ``Slussplan`` is not), a name in front of
a street at the start of a sentence (``Birger Jarlsgatan 5 …`` keeps
``Birger``), bank account numbers, and organisations' own phone numbers (they
are replaced like anyone's: the scrubber cannot tell whose a number is).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["MAX_COMMENT_CHARS", "Scrubbed", "clean_comment", "luhn_ok", "scrub"]

MAX_COMMENT_CHARS = 1000
"""Longest comment accepted, counted after cleaning and trimming."""

PLACEHOLDERS = {
    "personnummer": "[personnummer]",
    "samordningsnummer": "[samordningsnummer]",
    "email": "[e-post]",
    "phone": "[telefon]",
    "address": "[adress]",
    "postcode": "[postnummer]",
}
"""Kind of personal data → the placeholder that replaces it."""

# --- Cleaning ------------------------------------------------------------------------------

_KEEP_CONTROLS = frozenset("\n")
_ZWJ = "\u200d"
_ZWNJ = "\u200c"
# A subdivision flag: black flag, a region and subdivision spelt in tag letters, cancel tag.
_TAG_FLAG = re.compile(
    "\U0001f3f4[\U000e0061-\U000e007a]{2}[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,3}"
    "\U000e007f"
)
# What may stand between an emoji and the joiner that follows it.
_EMOJI_EXTENDERS = frozenset("\ufe0e\ufe0f\u20e3" + "".join(map(chr, range(0x1F3FB, 0x1F400))))


def _pictographic(char: str) -> bool:
    """Near enough to Unicode's Extended_Pictographic for deciding about a joiner.

    The emoji planes count whole (new emoji land there before Python's Unicode
    tables know them), less regional indicators and skin-tone modifiers.
    """
    code = ord(char)
    if 0x1F000 <= code <= 0x1FAFF or 0x1FC00 <= code <= 0x1FFFD:
        return not (0x1F1E6 <= code <= 0x1F1FF or 0x1F3FB <= code <= 0x1F3FF)
    return unicodedata.category(char) == "So" or char in "\u203c\u2049"


def _joins_letters(before: str, after: str) -> bool:
    """A (non-)joiner between two letters of a script that uses it (not Latin)."""
    for char in (before, after):
        if unicodedata.category(char)[0] not in "LM" or char.isascii():
            return False
        if unicodedata.name(char, "").startswith("LATIN"):
            return False
    return True


def _keeps_joiner(kept: list[str], after: str, joiner: str) -> bool:
    """Whether a ZWJ/ZWNJ between the kept text and ``after`` belongs there."""
    if not kept or not after:
        return False
    if _joins_letters(kept[-1], after):
        return True
    if joiner != _ZWJ:
        return False
    index = len(kept) - 1
    while index > 0 and kept[index] in _EMOJI_EXTENDERS:
        index -= 1
    return _pictographic(kept[index]) and _pictographic(after)


def clean_comment(text: str) -> str:
    """Unicode-normalised (NFC), control and stray invisible characters out, trimmed.

    Line breaks stay (as ``\\n``); tabs become spaces. Joiners inside emoji
    sequences, subdivision-flag tags and joiners between letters of scripts
    that need them stay (see the module docstring).
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    flags = {m.start(): m.end() for m in _TAG_FLAG.finditer(text)}
    kept: list[str] = []
    index = 0
    while index < len(text):
        if index in flags:  # a subdivision flag goes through whole
            kept.extend(text[index : flags[index]])
            index = flags[index]
            continue
        char = text[index]
        after = text[index + 1] if index + 1 < len(text) else ""
        category = unicodedata.category(char)
        if char == "\t":
            kept.append(" ")
        elif char in (_ZWJ, _ZWNJ):
            if _keeps_joiner(kept, after, char):
                kept.append(char)
        elif char in _KEEP_CONTROLS or category not in ("Cc", "Cf", "Cs"):
            kept.append(char)
        index += 1
    return "".join(kept).strip()


# --- The matching view ---------------------------------------------------------------------

_EXTRA_DASHES = frozenset("\u2212\u2043\u2e3a\u2e3b")


@dataclass(frozen=True, slots=True)
class _View:
    """The comment as the patterns see it; ``origin[i]`` is where ``text[i]`` came from."""

    text: str
    origin: tuple[int, ...]


def _left_out(char: str) -> bool:
    """Characters the matching view leaves out: invisible ones and combining marks."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Mn", "Me") and char != "\n"


def _matching_view(text: str) -> _View:
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if _left_out(char):
            continue
        for out in unicodedata.normalize("NFKC", char):
            category = unicodedata.category(out)
            if _left_out(out):
                continue
            if category == "Nd":
                out = str(unicodedata.decimal(out))
            elif category == "Pd" or out in _EXTRA_DASHES:
                out = "-"
            elif category == "Zs" or out == "\t":
                out = " "
            chars.append(out)
            origin.append(index)
    return _View("".join(chars), tuple(origin))


# --- Patterns (on the matching view: ASCII digits, "-" for dashes, " " for spaces) -----------

_AT = r"(?:[ ]?@[ ]?|[ ]?[\[({][ ]?(?:at|snabel-?a)[ ]?[\])}][ ]?)"
_DOT = r"(?:\.|[ ]?[\[({][ ]?(?:dot|punkt)[ ]?[\])}][ ]?)"
_EMAIL = re.compile(
    rf"(?<![\w.%+-])[\w.%+-]{{1,64}}{_AT}[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}})+", re.IGNORECASE
)

_EMAIL_SPELT = re.compile(  # asa at example dot se, asa snabel-a example punkt se
    r"(?<![\w.%+-])[\w.%+-]{1,64}[ ](?:at|snabel-?a)[ ][\w-]{1,63}"
    r"(?:[ ](?:dot|punkt)[ ][\w-]{1,63})+",
    re.IGNORECASE,
)

# A run of digit groups that could be one number, or several written in a row.
_NUMBER_RUN = re.compile(r"\+?[0-9]+(?:(?:[ ]{0,2}[-+./()]{1,2}[ ]{0,2}|[ ]{1,2})[0-9]+)*")
_DIGIT_GROUP = re.compile(r"[0-9]+")
_MIN_NUMBER_DIGITS = 8
_MAX_NUMBER_DIGITS = 17
_IDENTITY_SHAPES = (
    re.compile(
        r"(?:(?P<century>[0-9]{2})[ ]?)?(?P<yy>[0-9]{2})[ ]?(?P<mm>[0-9]{2})[ ]?(?P<dd>[0-9]{2})"
        r"(?:[ ]{0,2}[-+./][ ]{0,2}|[ ]{1,3}|)(?P<serial>[0-9]{2}[ ]?[0-9])(?P<check>[0-9])"
    ),
    re.compile(  # 1981-12-18-9876
        r"(?P<century>[0-9]{2})?(?P<yy>[0-9]{2})(?P<d>[-.])(?P<mm>[0-9]{2})(?P=d)(?P<dd>[0-9]{2})"
        r"[ ]{0,2}[-+][ ]{0,2}(?P<serial>[0-9]{3})(?P<check>[0-9])"
    ),
)
_IDENTITY_LIKE = re.compile(r"(?:[0-9]{2})?[0-9]{6}[ ]{0,2}[-+][ ]{0,2}[0-9]{4}")
_MOBILE = re.compile(r"07[0-9]{8}")
# Times, time ranges and dates: never part of a phone number.
_NOT_PHONE_ATOMS = (
    re.compile(r"(?<![0-9])(?<![0-9][.:])(?:[01]?[0-9]|2[0-4])[.:][0-5][0-9](?![0-9]|[.:][0-9])"),
    re.compile(
        r"(?<![0-9])(?<![0-9][./-])[0-3]?[0-9]([./-])[01]?[0-9]\1(?:[0-9]{4}|[0-9]{2})"
        r"(?![0-9]|[./-][0-9])"
    ),
    re.compile(r"(?<![0-9])[12][0-9]{3}([./-])[01]?[0-9]\1[0-3]?[0-9](?![0-9])"),
    re.compile(
        r"(?<![0-9])(?:[01][0-9]|2[0-4])[0-5][0-9][ ]?-[ ]?(?:[01][0-9]|2[0-4])[0-5][0-9](?![0-9])"
    ),
)
# A word naming the number that follows, which makes it something other than a phone number.
_NAMED_NUMBER = re.compile(
    r"(?:order|beställning|faktura|ocr|dnr|diarie|ärende|referens|ref|artikel|isbn|issn|"
    r"kvitto|bokning|recept)\w*\.?[ -]?(?:nr|nummer)?\.?[ ]*[:#]?[ ]*$",
    re.IGNORECASE,
)

_STREET_SUFFIXES = (
    "gatan|gata|vägen|väg|gränden|gränd|torget|torg|stigen|stig|allén|allé|backen|backe|"
    "leden|stråket|platsen|kajen|promenaden|esplanaden|slingan|gången|parken|strand|"
    "bron|hamnen|brinken|kroken|ringen|udden|höjden|terrassen"
)
_STREET_WORDS = (
    "gatan|gata|vägen|väg|gränd|gränden|torg|torget|backe|backen|allé|allén|kaj|kajen|"
    "strand|stig|plats|platsen|park|hamn|bro|brink|udde"
)
# Street words that, after a lower-case word, are too often ordinary speech ("längs väg 73").
_QUIET_STREET_WORDS = (
    "gatan|gata|gränd|gränden|torg|torget|backe|backen|allé|allén|kaj|kajen|strand|brink|udde"
)
_STREET_PREFIXES = (
    "Norra|Södra|Östra|Västra|Norr|Söder|Öster|Väster|Stora|Lilla|Gamla|Nya|Sankt|S:t|St\\.?|"
    "Drottning|Kung|Prins|Prinsessan|Kronprinsessan|Gustav|Karl|Fru|Doktor"
)
_HOUSE_NUMBER = (
    r"(?:nr\.?[ ]?)?[0-9]{1,4}(?:(?-i:[A-Za-z]|[ ][A-Z])(?!\w))?(?:[ ]?-[ ]?[0-9]{1,4})?"
    r"(?:[ ]?,?[ ]?(?:lgh|lägenhet)\.?[ ]?[0-9]{1,5})?"
)
_NOT_STREETS = r"(?!(?:riks|läns|motor|europa|genom)väg(?:en)?\b|(?:in|upp|ned|ut)gången\b)"
# A name in front of the street (Birger Jarlsgatan, Olof Palmes gata), only inside a sentence,
# where a capital letter cannot just be the sentence's first word.
_NAME_IN_FRONT = r"(?:(?<=[a-zåäö,:] )(?-i:[A-ZÅÄÖ][a-zåäöé]+)[ ])?"
_ADDRESSES = (
    re.compile(
        rf"(?<!\w)(?:(?-i:{_STREET_PREFIXES})[ ]|{_NAME_IN_FRONT}){_NOT_STREETS}"
        rf"\w{{2,}}(?:{_STREET_SUFFIXES})"
        rf"[ ]{{1,3}}{_HOUSE_NUMBER}",
        re.IGNORECASE,
    ),
    re.compile(  # Kungsholms strand 7, Drottning Kristinas väg 20, Sergels torg 12
        rf"(?<!\w)(?:(?:{_STREET_PREFIXES})[ ]|{_NAME_IN_FRONT})(?!(?:Längs|Hos|Dess|Vars)[ ])"
        rf"[A-ZÅÄÖÉ][\w-]*s[ ](?i:{_STREET_WORDS})[ ]{{1,3}}(?i:{_HOUSE_NUMBER})"
    ),
    re.compile(  # kungsholms strand 7
        rf"(?<!\w)(?!(?:längs|hos|dess|vars)[ ])\w+s[ ](?:{_QUIET_STREET_WORDS})[ ]{{1,3}}"
        rf"{_HOUSE_NUMBER}",
        re.IGNORECASE,
    ),
)
_POSTCODE = re.compile(r"\b(?:SE-?[ ]?)?[0-9]{3}[ ]?[0-9]{2}(?=[ ]+[A-ZÅÄÖ][a-zåäöé]{2,})")

_MASK = "\ufffc"
"""Stands in the view for what is already matched, so no later pattern matches it again."""


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """A comment after scrubbing and what was taken out of it."""

    text: str
    """The comment with personal data replaced by placeholders."""
    kinds: tuple[str, ...]
    """Kinds of personal data removed (keys of :data:`PLACEHOLDERS`), sorted; empty if none."""

    @property
    def changed(self) -> bool:
        """True when anything was removed."""
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check Swedish identity numbers carry in their last digit."""
    total = 0
    for i, char in enumerate(digits):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _identity_kind(candidate: str) -> str | None:
    """personnummer / samordningsnummer if ``candidate`` is a valid one, else None."""
    for shape in _IDENTITY_SHAPES:
        match = shape.fullmatch(candidate)
        if match is not None:
            break
    else:
        return None
    century = match.group("century")
    if century is not None and century not in ("18", "19", "20"):
        return None
    month, day = int(match.group("mm")), int(match.group("dd"))
    if not 1 <= month <= 12:
        return None
    if 1 <= day <= 31:
        kind = "personnummer"
    elif 61 <= day <= 91:
        kind = "samordningsnummer"
    else:
        return None
    ten = match.group("yy") + match.group("mm") + match.group("dd")
    ten += match.group("serial").replace(" ", "") + match.group("check")
    return kind if luhn_ok(ten) else None


def _is_phone(candidate: str, digits: str, before: str) -> bool:
    """Whether ``candidate`` (digit groups from the view; ``digits`` are its digits) is a phone."""
    if candidate.startswith("+"):
        if candidate.startswith("+46"):  # +46 (0)70 …: the trunk zero is not dialled
            digits = digits[:2] + digits[3:] if "(0)" in candidate else digits
        ok = digits[0] != "0" and 8 <= len(digits) <= 15
    elif digits.startswith("00"):
        ok = digits[2] != "0" and 11 <= len(digits) <= 17
    elif _MOBILE.fullmatch(digits):
        ok = True  # however it is grouped, even 0 7 0 1 2 3 4 5 6 7
    elif digits.startswith("0"):
        area = _DIGIT_GROUP.match(candidate)
        ok = area is not None and len(area.group()) >= 2 and 8 <= len(digits) <= 10
    else:
        ok = False
    if ok and before.isalnum():  # glued to a word: only an unmistakable mobile number
        ok = bool(_MOBILE.fullmatch(digits))
    if ok and _IDENTITY_LIKE.fullmatch(candidate):
        ok = False  # written like an identity number that failed its checks
    return ok


@dataclass(frozen=True, slots=True)
class _Run:
    """Digit groups in a row in the view, which may hold one number or several."""

    view: str
    groups: list[tuple[int, int]]
    """(start, end) of each group of digits in the view."""
    counts: list[int]
    """``counts[i]``: how many digits ``groups[:i]`` hold."""
    digits: str
    """All the run's digits."""
    named: bool
    """The run follows a word that names it (ordernummer, dnr …): not a phone number."""
    atoms: list[int]
    """``atoms[i]``: how many characters of the view before ``i`` are in a time or a date."""

    def loose(self, after: int) -> bool:
        """Whether the groups ``after`` and ``after + 1`` are apart (space or slash between)."""
        between = self.view[self.groups[after][1] : self.groups[after + 1][0]]
        return " " in between or "/" in between

    def number_at(self, first: int) -> tuple[int, int, str, int] | None:
        """The longest number starting at group ``first``: (start, end, kind, next group)."""
        view, groups, counts = self.view, self.groups, self.counts
        start = groups[first][0]
        if start > 0 and view[start - 1] == "+" and (start < 2 or not view[start - 2].isdigit()):
            start -= 1  # a leading "+" belongs to an international number
        opening = start > 0 and view[start - 1] == "("  # (08) 123 45 67: the bracket goes too
        before = view[start - 2 if opening else start - 1] if start > int(opening) else ""
        may_phone = view[start] == "+" or self.digits[counts[first]] == "0"
        # Longest first, so that a number is not cut short; a number has at most 17 digits.
        longest = bisect.bisect_right(counts, counts[first] + _MAX_NUMBER_DIGITS) - 2
        for last in range(longest, first - 1, -1):
            count = counts[last + 1] - counts[first]
            if count < _MIN_NUMBER_DIGITS:
                break
            end = groups[last][1]
            candidate = view[start:end]
            kind = _identity_kind(candidate.lstrip("+")) if count in (10, 12) else None
            if kind is None and may_phone and self.phone(first, last, candidate, before):
                kind = "phone"
                start -= int(opening and ")" in candidate)
            if kind is not None:
                return start, end, kind, last + 1
        return None

    def phone(self, first: int, last: int, candidate: str, before: str) -> bool:
        """Whether groups ``first`` to ``last`` (``candidate``) are a phone number."""
        if self.named or self.atoms[self.groups[last][1]] != self.atoms[self.groups[first][0]]:
            return False  # named as something else, or a time or date inside
        digits = self.digits[self.counts[first] : self.counts[last + 1]]
        if not _is_phone(candidate, digits, before):
            return False
        cut_from_run = (first > 0 and not self.loose(first - 1)) or (
            last < len(self.groups) - 1 and not self.loose(last)
        )
        # A piece of a longer token such as 2024-0123-4567 is not a phone number.
        return not cut_from_run or bool(_MOBILE.fullmatch(digits))


def _number_spans(view: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of every identity or phone number in the view."""
    atoms: list[int] | None = None
    for match in _NUMBER_RUN.finditer(view):
        groups = [
            (match.start() + m.start(), match.start() + m.end())
            for m in _DIGIT_GROUP.finditer(match.group())
        ]
        counts = [0]
        for start, end in groups:
            counts.append(counts[-1] + end - start)
        if counts[-1] < _MIN_NUMBER_DIGITS:
            continue
        if atoms is None:
            atoms = _atom_prefix(view)
        named = bool(_NAMED_NUMBER.search(view, max(0, match.start() - 30), match.start()))
        digits = "".join(view[start:end] for start, end in groups)
        run = _Run(view, groups, counts, digits, named, atoms)
        first = 0
        while first < len(groups):
            found = run.number_at(first)
            if found is None:
                first += 1
                continue
            start, end, kind, first = found
            yield start, end, kind


def _atom_prefix(view: str) -> list[int]:
    """``prefix[i]``: how many characters of ``view`` before ``i`` are in a time or a date."""
    inside = [0] * len(view)
    for pattern in _NOT_PHONE_ATOMS:
        for match in pattern.finditer(view):
            for index in range(*match.span()):
                inside[index] = 1
    prefix = [0]
    for flag in inside:
        prefix.append(prefix[-1] + flag)
    return prefix


def _pattern_spans(
    pattern: re.Pattern[str], kind: str
) -> Callable[[str], Iterator[tuple[int, int, str]]]:
    def spans(view: str) -> Iterator[tuple[int, int, str]]:
        for match in pattern.finditer(view):
            yield match.start(), match.end(), kind

    return spans


_PHASES: tuple[Callable[[str], Iterator[tuple[int, int, str]]], ...] = (
    _pattern_spans(_EMAIL, "email"),
    _pattern_spans(_EMAIL_SPELT, "email"),
    _number_spans,
    *(_pattern_spans(pattern, "address") for pattern in _ADDRESSES),
    _pattern_spans(_POSTCODE, "postcode"),
)
"""In order: each phase sees what the earlier ones matched masked out."""


def scrub(text: str) -> Scrubbed:
    """Replace personal data in ``text`` by placeholders (see the module docstring)."""
    view = _matching_view(text)
    masked = view.text
    spans: list[tuple[int, int, str]] = []  # in the comment as written
    for phase in _PHASES:
        found = list(phase(masked))
        for start, end, kind in found:
            first, last = view.origin[start], view.origin[end - 1] + 1
            while last < len(text) and _left_out(text[last]):
                last += 1  # the marks and invisible characters that trail the match go with it
            spans.append((first, last, kind))
            masked = masked[:start] + _MASK * (end - start) + masked[end:]
    if not spans:
        return Scrubbed(text, ())
    spans.sort()
    out: list[str] = []
    position = 0
    for first, last, kind in spans:
        if first < position:  # one character of the comment fed two matches: they merge
            position = max(position, last)
            continue
        out.append(text[position:first])
        out.append(PLACEHOLDERS[kind])
        position = last
    out.append(text[position:])
    return Scrubbed("".join(out), tuple(sorted({kind for _, _, kind in spans})))
