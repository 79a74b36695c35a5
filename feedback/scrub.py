"""Personal data out of comments, before anything is written.

Visitors write things like "mitt personnummer är 19811218-9876, ring mig på
070-123 45 67". None of it may be stored, so every comment goes through
:func:`clean_comment` (control characters out, trimmed) and :func:`scrub`
(personal data replaced by placeholders) before the store sees it.

What is replaced:

- Swedish personal identity numbers (personnummer) and coordination numbers
  (samordningsnummer, day + 60), 10 or 12 digits, with or without ``-``/``+``
  separator, **only when the date is plausible and the Luhn checksum holds**:
  a number that fails the checksum is not an identity number and is kept
  (an order number, an invoice number) so comments stay readable;
- e-mail addresses;
- phone numbers: Swedish (``08-123 456 78``, ``070-123 45 67``) and
  international (``+46 70 123 45 67``, ``0046…``), 7 to 15 digits; a
  number written like an identity number (``YYMMDD-NNNN``) that failed its
  checks is not taken for a phone number;
- street addresses with a number (``Storgatan 12B``, ``Sveavägen 44``) and
  postcodes followed by a town (``114 52 Stockholm``).
"""

from __future__ import annotations

import re
import unicodedata
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

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_IDNUMBER = re.compile(
    r"(?<![\w+-])(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"(?P<sep>[-+ ]?)(?P<serial>\d{3})(?P<check>\d)(?!\w)"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ \-()/]{0,2}\d){6,16}(?![\w])")
_IDNUMBER_SHAPE = re.compile(r"^(?:\d{2})?\d{6}[-+]\d{4}$")
_STREET_SUFFIXES = (
    "gatan|gata|vägen|väg|gränden|gränd|torget|torg|stigen|stig|allén|allé|backen|backe|"
    "leden|stråket|platsen|kajen|promenaden|esplanaden|slingan|gången|vägen|parken|strand"
)
_ADDRESS = re.compile(
    rf"\b\w{{2,}}(?:{_STREET_SUFFIXES})\s+\d{{1,4}}(?:\s?[A-Za-z]\b)?(?:\s*,?\s*(?:lgh|lägenhet)\s*\d+)?",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(?:SE-?\s?)?\d{3}\s?\d{2}(?=\s+[A-ZÅÄÖ][a-zåäöé]{2,})")
_KEEP_CONTROLS = frozenset("\n")


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


def _identity_kind(match: re.Match[str]) -> str | None:
    """personnummer / samordningsnummer if the match is a valid one, else None."""
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
    ten = match.group("yy") + match.group("mm") + match.group("dd") + match.group("serial")
    ten += match.group("check")
    return kind if luhn_ok(ten) else None


def clean_comment(text: str) -> str:
    """Unicode-normalised (NFC), control and invisible formatting characters out, trimmed.

    Line breaks stay (as ``\\n``); tabs become spaces.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in text:
        if char == "\t":
            kept.append(" ")
        elif char in _KEEP_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf", "Cs"):
            kept.append(char)
    return "".join(kept).strip()


def scrub(text: str) -> Scrubbed:
    """Replace personal data in ``text`` by placeholders (see the module docstring)."""
    found: set[str] = set()

    def email(match: re.Match[str]) -> str:
        found.add("email")
        return PLACEHOLDERS["email"]

    def identity(match: re.Match[str]) -> str:
        kind = _identity_kind(match)
        if kind is None:
            return match.group(0)
        found.add(kind)
        return PLACEHOLDERS[kind]

    def phone(match: re.Match[str]) -> str:
        candidate = match.group(0)
        if _IDNUMBER_SHAPE.match(candidate):
            return candidate  # shaped like an identity number that failed its checks
        digits = sum(c.isdigit() for c in candidate)
        if not candidate.startswith(("0", "+")) or not 7 <= digits <= 15:
            return candidate
        if candidate.startswith("0") and not candidate.startswith("00") and digits > 11:
            return candidate
        found.add("phone")
        return PLACEHOLDERS["phone"]

    def address(match: re.Match[str]) -> str:
        found.add("address")
        return PLACEHOLDERS["address"]

    def postcode(match: re.Match[str]) -> str:
        found.add("postcode")
        return PLACEHOLDERS["postcode"]

    text = _EMAIL.sub(email, text)
    text = _IDNUMBER.sub(identity, text)
    text = _PHONE.sub(phone, text)
    text = _ADDRESS.sub(address, text)
    text = _POSTCODE.sub(postcode, text)
    return Scrubbed(text, tuple(sorted(found)))
