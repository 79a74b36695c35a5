"""Rules for addresses: web and e-mail addresses, phone numbers, postcodes and Box numbers."""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _LO, _UP, _next_word, _number, _Shield, _spell

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w@])")
_URL = re.compile(
    r"(?:(?:https?://)|(?<![\w@./-])(?=www\.)|(?<![\w@./-])(?=[\w-]+(?:\.[\w-]+)*\.(?:se|nu|com|org|net|eu|info|io|gov|edu)\b))"
    r"[^\s<>\"'()\[\]\ue000-\uf8ff]+",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"www\.|https?://|\.(?:se|nu|com|org|net|eu|info|io|gov|edu)\b", re.I)
_PHONE = re.compile(
    r"(?<![\w+-])(?<!\d )(\+\d{2}\s?(?:\(0\)\s?)?\d{1,3}|0[1-9]\d{0,2})"
    r"(\s?[-–]\s?|\s)(\d{2,4}(?:[ -]\d{2,4}){0,3})(?!\d|,\d)"
)
_DIGIT_GROUPS = re.compile(r"(?<![\d,.:+-])(?<!\d )[1-9]\d{1,3}(?: \d{2,4}){2,5}(?![\d,]|-\d| \d)")
_SERVICE = re.compile(
    r"(?<![\d\w,.-])("
    + "|".join(re.escape(k) for k in sorted(tb.SERVICE_NUMBERS, key=len, reverse=True))
    + r")(?!\d|,\d|\.\d)"
)
_POSTCODE = re.compile(rf"(?<![\w,.-])(?:SE-?\s?)?(\d{{3}}) (\d{{2}})(?=\s+[{_UP}][{_LO}])")
_BOX = re.compile(r"\b(Box|box|BOX)\s+(\d+)\b")


# --- addresses ----------------------------------------------------------------------


def _say_label(label: str) -> str:
    parts = re.split(r"(\d+)", label)
    words = []
    for part in parts:
        if not part:
            continue
        if part.isdecimal():
            words.append(tb.SERVICE_NUMBERS.get(part) or _number(part))
        else:
            for p in part.split("-"):
                if not p:
                    continue
                if len(p) <= 4 and not any(c in "aeiouyåäöAEIOUYÅÄÖ" for c in p):
                    words.append(_spell(p.upper()))  # "rs" → "ärr ess"
                else:
                    words.append(p.lower())
                words.append("bindestreck")
            if words and words[-1] == "bindestreck":
                words.pop()
    return " ".join(words)


def _say_domain(domain: str) -> str:
    labels = [lb for lb in domain.split(".") if lb]
    spoken = []
    for i, label in enumerate(labels):
        low = label.lower()
        if i == len(labels) - 1 and len(labels) > 1 and label.isalpha():
            spoken.append(tb.TLD_NAMES.get(low) or (_spell(low.upper()) if len(low) <= 3 else low))
        elif low == "www":
            spoken.append("ve ve ve")
        else:
            spoken.append(_say_label(label))
    return " punkt ".join(spoken)


def _say_email(address: str) -> str:
    local, _, domain = address.partition("@")
    words = []
    for piece in re.split(r"([._+-])", local):
        if piece == ".":
            words.append("punkt")
        elif piece == "_":
            words.append("understreck")
        elif piece == "-":
            words.append("bindestreck")
        elif piece == "+":
            words.append("plus")
        elif piece:
            words.append(_say_label(piece))
    return " ".join(words) + " snabel-a " + _say_domain(domain)


def _url_with_tail(found: str, shield: _Shield) -> str:
    tail = ""
    while found and found[-1] in ".,;:!?":
        tail = found[-1] + tail
        found = found[:-1]
    if not found:
        return tail
    rest = re.sub(r"^https?://", "", found, flags=re.IGNORECASE)
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    domain, _, path = rest.partition("/")
    if "." not in domain:
        return found + tail
    spoken = _say_domain(domain)
    segments = [s for s in path.split("/") if s]
    for segment in segments:
        words = " ".join(_say_label(w) for w in re.split(r"[-_.]+", segment) if w)
        if words:
            spoken += " snedstreck " + words
    return shield(spoken) + tail


def _phones(text: str, lexicon: Lexicon) -> str:
    def service(m: re.Match[str]) -> str:
        nxt = _next_word(text, m.end())
        if nxt and nxt[:1].islower() and nxt not in tb.FUNCTION_WORDS:
            return m.group(0)
        return tb.SERVICE_NUMBERS[m.group(1)]

    text = _SERVICE.sub(service, text)

    def grouped(m: re.Match[str]) -> str:
        groups = m.group(0).split(" ")
        if all(len(g) == 3 for g in groups[1:]):
            return m.group(0)  # thousands: "12 345 678"
        return ", ".join(num.pairs(g) for g in groups)

    text = _DIGIT_GROUPS.sub(grouped, text)

    def phone(m: re.Match[str]) -> str:
        area, rest = m.group(1), m.group(3)
        groups = re.split(r"[ -]", rest)
        area_digits = re.sub(r"\D", "", area.replace("(0)", ""))
        total = len(area_digits) + sum(len(g) for g in groups)
        if area.startswith("+"):
            if not 7 <= total <= 13:
                return m.group(0)
            country = area_digits[:2]
            head = f"plus {num.cardinal(int(country))}, {num.digits(area_digits[2:])}"
        else:
            if not 7 <= total <= 11 or len(groups) < 1:
                return m.group(0)
            if len(groups) == 1 and len(groups[0]) < 5 and m.group(2) == " ":
                return m.group(0)
            head = num.digits(area_digits)
        return head + ", " + ", ".join(num.pairs(g) for g in groups)

    text = _PHONE.sub(phone, text)
    text = _POSTCODE.sub(lambda m: f"{num.digits(m.group(1))} {num.pairs(m.group(2))}", text)
    return _BOX.sub(lambda m: f"{m.group(1)} {num.digits(m.group(2))}", text)
