"""Written Swedish → the words a Swedish newsreader would say.

The :class:`Normalizer` runs a fixed sequence of rewriting passes over the
text. Each pass turns one kind of written form (a web address, a date, a
phone number, a unit…) into words. Text a pass has produced and that later
passes must not touch (lexicon entries, phonemes, addresses) is shielded by a
placeholder character from Unicode's private use area until the end.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from aiohttp import web

from ttsservice.swedish import numbers as num
from ttsservice.swedish import tables as tb
from ttsservice.swedish.lexicon import Lexicon

__all__ = ["NORMALIZER_VERSION", "Normalizer"]

NORMALIZER_VERSION = "sv-2"
"""Revision of the normalisation rules. Change it whenever any rule's output changes:
speech caches key audio by (normalised text, this version)."""

_PUA_FIRST = 0xE000
_PUA_LAST = 0xF8FF
_PUA = re.compile("[\ue000-\uf8ff]")
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SOFT_HYPHEN = "\u00ad"

_UP = "A-ZÅÄÖÉÜ"
_LO = "a-zåäöéü"
_NUM = r"\d{1,3}(?: \d{3}){1,4}(?!\d)|\d+"
_NUM_DEC = rf"(?:{_NUM})(?:,\d+)?"
_DASH = r"\s?[-–—‒]\s?"


def _alternation(words: Iterable[str]) -> str:
    """One regex alternative per word, longest first so "sept" wins over "sep"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MONTH_ALT = _alternation(tb.MONTHS)
_WEEKDAY_ALT = _alternation(tb.WEEKDAYS)
_UNIT_ALT = _alternation(k for k in tb.UNITS if k not in (":-",))


class _Shield:
    """Placeholders for finished text, so later passes leave it alone."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def __call__(self, spoken: str) -> str:
        index = len(self.items)
        if _PUA_FIRST + index > _PUA_LAST:
            return spoken  # very long input: the rest is simply not shielded
        self.items.append(spoken)
        return chr(_PUA_FIRST + index)

    def restore(self, text: str) -> str:
        if not self.items:
            return text
        items = self.items
        for _ in range(3):  # a shielded text may hold an earlier placeholder
            text = _PUA.sub(lambda m: items[ord(m.group(0)) - _PUA_FIRST], text)
            if not _PUA.search(text):
                break
        return _PUA.sub("", text)


def _ends_sentence(text: str, end: int) -> bool:
    """Whether the dot just before ``end`` also closes the sentence."""
    rest = text[end : end + 3]
    if not rest.strip():
        return True
    if rest[:1] == "\n":
        return True
    return bool(re.match(rf"\s+[{_UP}\d\"'”»(]", text[end : end + 3]))


def _kept_dot(text: str, m: re.Match[str]) -> str:
    """A full stop when the match swallowed a final dot that also ends the sentence."""
    return "." if m.group(0).endswith(".") and _ends_sentence(text, m.end()) else ""


def _next_word(text: str, end: int) -> str:
    m = re.match(rf"\s*([{_UP}{_LO}]+)", text[end : end + 40])
    return m.group(1) if m else ""


def _prev_word(text: str, start: int) -> str:
    m = re.search(rf"([{_UP}{_LO}]+)[\s(]*$", text[max(0, start - 40) : start])
    return m.group(1) if m else ""


def _gender_before(word: str) -> num.Gender:
    """Form of "one" before ``word`` ("en krona", "ett år", "ett och två")."""
    w = word.lower()
    if not w or w in tb.FUNCTION_WORDS or not word[:1].islower():
        return "ett"
    if w in tb.NEUTER_NOUNS or w.endswith(("ande", "ende", "eri", "tek", "um")):
        return "ett"
    return "en"


def _number(text: str, gender: num.Gender = "ett") -> str:
    """A number as written (thousands spaces, comma decimals, leading zeros) in words."""
    text = text.strip()
    if "," in text:
        whole, _, dec = text.partition(",")
        whole = whole.replace(" ", "")
        return num.decimal(whole or "0", dec, gender)
    plain = text.replace(" ", "")
    if len(plain) > 1 and plain.startswith("0"):
        return num.digits(plain)
    if len(plain) > 15:
        return num.digits(plain)
    return num.cardinal(int(plain), gender)


def _is_year(written: str) -> bool:
    return len(written) == 4 and written.isdecimal() and 1100 <= int(written) <= 2099


def _spell(acronym: str) -> str:
    return " ".join(
        tb.LETTER_NAMES.get(c) or (num.digits(c) if c.isdecimal() else c.lower()) for c in acronym
    )


_VOWELS = frozenset("AEIOUYÅÄÖÉÜ")
_ONSETS = frozenset(
    [
        "BL",
        "BR",
        "DR",
        "FL",
        "FR",
        "GL",
        "GN",
        "GR",
        "KL",
        "KN",
        "KR",
        "KV",
        "PL",
        "PR",
        "SK",
        "SL",
        "SM",
        "SN",
        "SP",
        "ST",
        "SV",
        "TR",
        "TV",
    ]
)


def _pronounceable(word: str) -> bool:
    """Whether capitals can be read as a word: "NATO", "VÅRA", "SKOLA"; not "SMHI", "ADHD"."""
    if len(word) < 4 or not any(c in _VOWELS for c in word):
        return False
    run = 0
    for c in word:
        run = 0 if c in _VOWELS else run + 1
        if run >= 3:
            return False
    return word[0] in _VOWELS or word[1] in _VOWELS or word[:2] in _ONSETS


def _looks_like_a_word(word: str) -> bool:
    """Capitals that are more likely a word than an acronym (acronyms are short)."""
    if len(word) >= 6:
        return sum(c in _VOWELS for c in word) * 4 >= len(word)
    return _pronounceable(word)


def _roman(token: str) -> int | None:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for i, c in enumerate(token):
        v = values.get(c)
        if v is None:
            return None
        nxt = values.get(token[i + 1], 0) if i + 1 < len(token) else 0
        total += -v if v < nxt else v
    if not 0 < total <= 40 or _to_roman(total) != token:
        return None
    return total


def _to_roman(n: int) -> str:
    out = ""
    for value, letters in ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


# --- compiled patterns (immutable) -------------------------------------------------

_PHONEME_BLOCK = re.compile(r"\[\[[^\[\]\d]{1,480}\]\]")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w@])")
_URL = re.compile(
    r"(?:(?:https?://)|(?<![\w@./-])(?=www\.)|(?<![\w@./-])(?=[\w-]+(?:\.[\w-]+)*\.(?:se|nu|com|org|net|eu|info|io|gov|edu)\b))"
    r"[^\s<>\"'()\[\]\ue000-\uf8ff]+",
    re.IGNORECASE,
)
_URL_HINT = re.compile(r"www\.|https?://|\.(?:se|nu|com|org|net|eu|info|io|gov|edu)\b", re.I)
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_SLASH_DATE = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{1,2})(?:(\s|/)(\d{4}|\d{2})(?!\d))?(?![\d/])")
_DAY_MONTH_RANGE = re.compile(
    rf"(?<![\d,.])(\d{{1,2}})(?:\.|:e|:a)?{_DASH}(\d{{1,2}})(?:\.|:e|:a)?\s+({_MONTH_ALT})\b(\.)?",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(
    rf"(?<![\d,.])(\d{{1,2}})(?:\.|:e|:a)?\s+({_MONTH_ALT})\b(\.)?", re.IGNORECASE
)
_DEN_DAY = re.compile(r"\b([Dd]en)\s+(\d{1,2})(?:\.|:e|:a)?(?=\s*(?:och|till|[-–,.;)]|$))")
_DATE_BEFORE = re.compile(
    r"(?:\b(?:[Dd]en|[Ff]rån|[Ss]enast|[Ee]fter|[Ff]öre|[Tt]ill och med|[Ff]rån och med))\s*$"
)
_MONTH_YEAR = re.compile(
    r"\b(jan|febr?|mar|apr|jun|jul|aug|sept?|okt|nov|dec)\.?\s+(?=\d{4}(?!\d))", re.IGNORECASE
)
_MONTH_DASH = re.compile(r"\b(" + "|".join(tb.MONTH_NAMES) + r")\s?[-–—]\s?(?=\w)", re.IGNORECASE)
_MONTH_RANGE = re.compile(rf"\b({_MONTH_ALT})\.?{_DASH}({_MONTH_ALT})\b\.?", re.IGNORECASE)
_WEEKDAY_RANGE = re.compile(
    rf"(?<![\w])({_WEEKDAY_ALT})\.?{_DASH}({_WEEKDAY_ALT})\b\.?(?!\w)", re.IGNORECASE
)
_WEEKDAY_BEFORE_TIME = re.compile(
    r"(?<![\w])(mån|tis|ons|tors|tor|fre|lör|sön)\.?(?=\s*\d)", re.IGNORECASE
)
# "tis", "ons", "tors"… are no Swedish words; "mån" is ("i mån av plats"), so only in a list
_WEEKDAY_ALONE = re.compile(
    r"(?<![\w-])(tis|ons|tors|fre|lör|sön|mån(?=\.?\s*(?:[-–,:]|och\s|samt\s)))\.?(?![\w-])",
    re.IGNORECASE,
)
_TIME_PART = r"(\d{1,2})(?:[.:](\d{2}))?"
_KL_TIME = re.compile(rf"\b([Kk]lockan|[Kk]l\.?)\s*{_TIME_PART}(?:{_DASH}{_TIME_PART})?(?!\d|,\d)")
_TIME_RANGE = re.compile(
    r"(?<![\d.,:])([01]?\d|2[0-4])[.:]([0-5]\d)"
    + _DASH
    + r"([01]?\d|2[0-4])(?:[.:]([0-5]\d))?(?!\d|,\d)"
)
_TIME = re.compile(r"(?<![\d.,:])([01]?\d|2[0-4])([.:])([0-5]\d)(?!\d|,\d|:\d|\s?(?:%|kr))")
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
_LETTER_RANGE = re.compile(rf"(?<![\w-])([{_UP}]\s?–|F-)\s?(?=\d)")
_TIMES_SIGN = re.compile(r"(?<=\d)\s?[x×]\s?(?=\d)")
_DEFINITE_NUMBER = re.compile(r"(?<![\d,.])(\d{1,3}):an\b")
_QUARTER = re.compile(r"(?<![\w-])Q([1-4])(?![\w])")
_LETTERS_DIGITS = re.compile(rf"(?<![\w-])([{_UP}{_LO}]{{1,10}})(\d+)(?![\d,.]\d)")
_DIGITS_CAPITAL = re.compile(rf"(?<![\w-])(\d+)([{_UP}])(?=[{_UP}\W]|$)")
_STATUTE = re.compile(r"(?<![\d,.:])(1[89]\d\d|20\d\d):(\d{1,4})(?![\d:])")
_PAGE = re.compile(r"(?<![\w.])([Ss])(?:id)?\.\s?(?=\d)")
_NR = re.compile(r"(?<![\w.])([Nn])r\.?\s?(?=\d)")
_WEEK = re.compile(
    r"(?<![\w.])([Vv])(?:\.|ecka)?\s?(\d{1,2})(?:" + _DASH + r"(\d{1,2}))?(?![\d,.]\d)"
)
_CHAPTER_AFTER = re.compile(r"(?<![\d,.])(\d+)\s?kap\.")
_PARAGRAPH_AFTER = re.compile(r"(?<![\d,.])(\d+)(\s?[a-z])?\s?§(?!§)")
_SUBSECTION = re.compile(r"(paragrafen,? )(\d{1,2})\s?st(?:\.|ycket)")
_PARAGRAPHS = re.compile(r"§§\s?")
_PARAGRAPH_BEFORE = re.compile(r"§\s?(?=\d)")
_ORDINAL = re.compile(r"(?<![\d,.])(\d+):(?:a|e|sta|dra|nde|de|te)\b")
_DECADE = re.compile(r"(?<![\d,.])(\d{2}|\d{4})-tal(\w*)")
_NUM_WORD = re.compile(rf"(?<![\d,.:/])(\d+)-([{_LO}]\w*)")
_PRICE = re.compile(r"(?<![\d,.])(" + _NUM + r"):-")
_PERCENT_COMPOUND = re.compile(rf"\s?%-(?=[{_LO}])")
_CURRENCY_BEFORE = re.compile(r"([€$£])\s?(" + _NUM_DEC + r")")
_RANGE = re.compile(
    rf"(?<![\w,.:/-])([-−]?{_NUM_DEC}){_DASH}([-−]?{_NUM_DEC})(?![\d])(?:\s?({_UNIT_ALT})(?![\w²³]))?"
)
_UNIT = re.compile(rf"(?<![\w,.:/])([-−]?)({_NUM_DEC})\s?({_UNIT_ALT})(?![\w²³])")
_VULGAR = {
    "½": (1, 2),
    "⅓": (1, 3),
    "⅔": (2, 3),
    "¼": (1, 4),
    "¾": (3, 4),
    "⅕": (1, 5),
    "⅖": (2, 5),
    "⅗": (3, 5),
    "⅘": (4, 5),
    "⅙": (1, 6),
    "⅚": (5, 6),
    "⅛": (1, 8),
    "⅜": (3, 8),
    "⅝": (5, 8),
    "⅞": (7, 8),
    "⅒": (1, 10),
}
_VULGAR_RE = re.compile(r"(?:(\d+)\s?)?([" + "".join(_VULGAR) + "])")
_SLASH_FRACTION = re.compile(r"(?<![\d/.,])(\d{1,4})/(\d{1,4})(?![\d/])")
_PLAIN = re.compile(r"(?<![\d])([-−](?=\d))?(" + _NUM + r")(,\d+)?")
_DIGITS = re.compile(r"\d+")
_DOTTED = re.compile(r"(?<![\d.,])\d+(?:\.\d+)+(?![\d])")
_LIST_NUMBER = re.compile(r"^([ \t]*)\(?(\d{1,3})[.)](?=[ \t]+\S)", re.MULTILINE)
_ROMAN_AFTER = re.compile(rf"\b([{_UP}][{_LO}]+)\s+([IVXLC]+)(:s)?(?![\w])")
_ACRONYM = re.compile(rf"(?<![\w])([{_UP}]{{2,}})(?::([{_LO}]+))?(?![\w])")
_SHOUTING = re.compile(rf"(?:\b[{_UP}]{{2,}}\b[\s,:;!?&-]+){{2,}}\b[{_UP}]{{2,}}\b")
_LETTER_COMPOUND = re.compile(rf"(?<![\w-])([{_UP}])-(?=[{_LO}])")
_ARROW_BETWEEN = re.compile(r"(?<=\w)\s*[→⇒➔➜⟶]\s*(?=\w)")
_DECORATION = re.compile(r"[→⇒➔➜⟶»«›‹•◦▪▸►▶·‣⁃●○■□✓✔✗✘☐☑★☆*†‡¶|]")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _PUA.sub("", text)
    text = text.replace(_SOFT_HYPHEN, "")
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    return text.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-")


class Normalizer:
    """Turns written Swedish into its spoken form, using a site lexicon.

    ``normalize`` is pure given the lexicon and safe to call from many
    threads at once: the lexicon is an immutable object swapped atomically
    by :meth:`use` when the site file changes.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self._lexicon = lexicon if lexicon is not None else Lexicon.build({}, source="(none)")

    @property
    def version(self) -> str:
        """The rules' revision (:data:`NORMALIZER_VERSION`)."""
        return NORMALIZER_VERSION

    @property
    def lexicon(self) -> Lexicon:
        """The lexicon in use."""
        return self._lexicon

    def use(self, lexicon: Lexicon) -> None:
        """Switch to ``lexicon`` (atomic: a running ``normalize`` keeps the one it started with)."""
        self._lexicon = lexicon

    def normalize(self, text: str, lang: str = "sv") -> str:
        """Return ``text`` as it should be spoken.

        For Swedish (``sv``, ``sv-SE``…) every rule applies; other languages
        only get clean-up (control characters, spacing) so the voice reads
        them as written. Never raises on any string.
        """
        lexicon = self._lexicon
        text = _clean(text)
        if not text.strip():
            return ""
        if lang.lower().replace("_", "-").split("-")[0] not in ("sv", "swe", ""):
            return _squeeze(text)
        if len(text) > _CHUNK:
            return "\n".join(self._normalize_sv(chunk, lexicon) for chunk in _chunks(text))
        return self._normalize_sv(text, lexicon)

    @staticmethod
    def _normalize_sv(text: str, lexicon: Lexicon) -> str:
        text = _LONG_DIGITS.sub(lambda m: f" {num.digits(m.group(0))} ", text)
        shield = _Shield()
        text = _PHONEME_BLOCK.sub(lambda m: shield(m.group(0)), text)
        text = lexicon.apply(text, shield)
        if "@" in text:
            text = _EMAIL.sub(lambda m: shield(_say_email(m.group(0))), text)
        if _URL_HINT.search(text):
            text = _URL.sub(lambda m: _url_with_tail(m.group(0), shield), text)
        for step, hint in _STEPS:
            if hint is None or hint.search(text):
                text = step(text, lexicon)
        return _squeeze(shield.restore(text))


NORMALIZER: web.AppKey[Normalizer] = web.AppKey("normalizer")
"""Swedish text normaliser (spoken forms, site lexicon); thread-safe, use it in the executor."""


_CHUNK = 1200
_LONG_DIGITS = re.compile(r"\d{16,}")


def _chunks(text: str) -> list[str]:
    """Cut long text at line breaks, sentence ends or spaces into pieces of at most _CHUNK.

    Every rule looks at a few words around a match, so pieces this size lose
    nothing in practice, and no input can make a pass slower than linear.
    """
    pieces = []
    while len(text) > _CHUNK:
        cut = text.rfind("\n", 0, _CHUNK)
        if cut < _CHUNK // 2:
            cut = text.rfind(". ", 0, _CHUNK) + 1
        if cut < _CHUNK // 2:
            cut = text.rfind(" ", 0, _CHUNK)
        if cut <= 0:
            cut = _CHUNK
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def _squeeze(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out = "\n".join(line for line in lines if line)
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    return out.strip()


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


# --- passes -------------------------------------------------------------------------

Step = Callable[[str, Lexicon], str]


def _abbreviation_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, bool]]]:
    table: dict[str, tuple[str, bool]] = {}
    for forms, spoken, final in tb.ABBREVIATIONS:
        for form in forms:
            for variant in {form, form[:1].upper() + form[1:]}:
                table[variant] = (spoken, final)
    alts = []
    for variant in sorted(table, key=len, reverse=True):
        pattern = re.escape(variant).replace(r"\.\ ", r"\.\s?").replace(r"\ ", " ")
        if variant.count(".") >= 2 and variant.endswith("."):
            pattern += "?"  # "fr.o.m" as often as "fr.o.m."
        alts.append(pattern)
    body = "|".join(alts)
    return re.compile(rf"(?<![\w.@/-])(?:{body})(?![\w]|\.\w)"), table


_ABBR_RE, _ABBR_TABLE = _abbreviation_pattern()
_LETTERS_RANGE = re.compile(rf"(?<![\w-])([{_UP}])\s?[–—]\s?([{_UP}])(?![\w-])")
_KL_BARE = re.compile(r"(?<![\w.])([Kk])l(?=\s?\d)")


def _abbreviations(text: str, lexicon: Lexicon) -> str:
    def expand(m: re.Match[str]) -> str:
        found = m.group(0)
        key = found if found in _ABBR_TABLE else re.sub(r"\.\s", ".", found)
        if key not in _ABBR_TABLE and key + "." in _ABBR_TABLE:
            key += "."
        spoken, final = _ABBR_TABLE.get(key, (found, False))
        if key in ("ex.", "Ex.") and re.search(r"\d\s?$", text[max(0, m.start() - 2) : m.start()]):
            spoken = "exemplar"  # "10 000 ex."
        starts = m.start() == 0 or text[: m.start()].rstrip()[-1:] in (".", "!", "?", "\n", "")
        capital = found[:1].isupper() and (starts or not found.isupper())  # "Bl.a.", not "HT"
        if capital and spoken[:1].islower():
            spoken = spoken[:1].upper() + spoken[1:]
        if found.endswith(".") and final and _ends_sentence(text, m.end()):
            spoken += "."
        elif found.endswith("!"):
            spoken += "!"
        return spoken

    text = _ABBR_RE.sub(expand, text)
    text = _LETTERS_RANGE.sub(r"\1 till \2", text)  # "A–Ö"
    return _KL_BARE.sub(lambda m: "Klockan" if m.group(1) == "K" else "klockan", text)


def _month(name: str) -> str:
    return tb.MONTHS.get(name.lower().rstrip("."), name)


def _dates(text: str, lexicon: Lexicon) -> str:
    def iso(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return m.group(0)
        den = "" if _prev_word(text, m.start()).lower() == "den" else "den "
        return f"{den}{num.ordinal(d)} {tb.MONTH_NAMES[mo - 1]} {num.year(y)}"

    text = _ISO_DATE.sub(iso, text)

    def day_range(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if not (1 <= a <= 31 and 1 <= b <= 31):
            return m.group(0)
        dot = "." if m.group(4) and _ends_sentence(text, m.end()) else ""
        return f"{num.ordinal(a)} till {num.ordinal(b)} {_month(m.group(3))}{dot}"

    text = _DAY_MONTH_RANGE.sub(day_range, text)

    def day_month(m: re.Match[str]) -> str:
        d = int(m.group(1))
        if not 1 <= d <= 31:
            return m.group(0)
        month = m.group(2)
        if month.lower() in ("mar", "jan") and not month.islower():
            return m.group(0)  # "Mar", "Jan": more likely names than months
        dot = "." if m.group(3) and _ends_sentence(text, m.end()) else ""
        if dot and re.match(r"\s+\d", text[m.end() : m.end() + 2]):
            dot = ""  # "12 dec. 2023": the year follows
        return f"{num.ordinal(d)} {_month(month)}{dot}"

    text = _DAY_MONTH.sub(day_month, text)
    text = _DEN_DAY.sub(
        lambda m: (
            f"{m.group(1)} {num.ordinal(int(m.group(2)))}"
            if 1 <= int(m.group(2)) <= 31
            else m.group(0)
        ),
        text,
    )

    def slash(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        year = m.group(4)
        prev = _prev_word(text, m.start()).lower()
        if m.group(0) == "24/7":
            return "dygnet runt"
        dated = (
            year is not None
            or prev in tb.WEEKDAYS
            or _DATE_BEFORE.search(text, max(0, m.start() - 20), m.start()) is not None
        )
        if 1 <= a <= 31 and 1 <= b <= 12 and (dated or a >= b):
            out = f"{num.ordinal(a)} {tb.MONTH_NAMES[b - 1]}"
            if year is not None:
                out += " " + (num.year(int(year)) if len(year) == 4 else num.cardinal(int(year)))
            return out
        return m.group(0)

    text = _SLASH_DATE.sub(slash, text)
    text = _MONTH_YEAR.sub(lambda m: f"{_month(m.group(1))} ", text)
    text = _MONTH_RANGE.sub(
        lambda m: f"{_month(m.group(1))} till {_month(m.group(2))}{_kept_dot(text, m)}", text
    )
    text = _MONTH_DASH.sub(r"\1 till ", text)
    return text


def _weekdays(text: str, lexicon: Lexicon) -> str:
    text = _WEEKDAY_RANGE.sub(
        lambda m: (
            f"{tb.WEEKDAYS[m.group(1).lower()]} till {tb.WEEKDAYS[m.group(2).lower()]}"
            + _kept_dot(text, m)
        ),
        text,
    )
    text = _WEEKDAY_BEFORE_TIME.sub(lambda m: tb.WEEKDAYS[m.group(1).lower()], text)

    def weekday(m: re.Match[str]) -> str:
        full = tb.WEEKDAYS[m.group(1).lower()]
        if m.group(1)[0].isupper():
            full = full.capitalize()
        return full + _kept_dot(text, m)

    return _WEEKDAY_ALONE.sub(weekday, text)


def _say_time(hour: str, minute: str | None) -> str:
    h = num.cardinal(int(hour))
    if minute is None or int(minute) == 0:
        return h
    return f"{h} och {num.cardinal(int(minute))}"


def _valid_time(hour: str, minute: str | None) -> bool:
    return int(hour) <= 24 and (minute is None or int(minute) <= 59)


def _times(text: str, lexicon: Lexicon) -> str:
    def kl(m: re.Match[str]) -> str:
        word = "Klockan" if m.group(1)[0] == "K" else "klockan"
        h1, m1, h2, m2 = m.group(2), m.group(3), m.group(4), m.group(5)
        if not _valid_time(h1, m1) or (h2 is not None and not _valid_time(h2, m2)):
            return m.group(0)
        out = f"{word} {_say_time(h1, m1)}"
        if h2 is not None:
            out += f" till {_say_time(h2, m2)}"
        return out

    text = _KL_TIME.sub(kl, text)
    text = _TIME_RANGE.sub(
        lambda m: f"{_say_time(m.group(1), m.group(2))} till {_say_time(m.group(3), m.group(4))}",
        text,
    )

    def time(m: re.Match[str]) -> str:
        if m.group(2) == "." and int(m.group(3)) % 5:
            return m.group(0)  # "Rum 2.13": a dotted number; times are on five-minute marks
        return _say_time(m.group(1), m.group(3))

    return _TIME.sub(time, text)


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


def _definite(n: int) -> str:
    """ "4:an" → "fyran", "1:an" → "ettan", "15:an" → "femtonan"."""
    if n % 10 == 5 and n % 100 != 15:
        return num.cardinal(n) + "man"
    words = num.cardinal(n)
    return (words[:-1] if words.endswith(("a", "o")) else words) + "an"


def _letters_then_digits(m: re.Match[str]) -> str:
    """ "E18" → "E 18", "mp3" → "emm pe 3", "CO2" → "CO 2": letters and digits apart."""
    letters, digits_ = m.group(1), m.group(2)
    if m.group(0) in tb.UNITS:
        return m.group(0)  # "m2", "km2"
    if letters.islower() and len(letters) <= 3 and not any(c in "aeiouyåäö" for c in letters):
        letters = _spell(letters.upper())
    return f"{letters} {digits_}"


def _references(text: str, lexicon: Lexicon) -> str:
    """List numbers; page, number, week, chapter and section references."""
    text = _LIST_NUMBER.sub(lambda m: f"{m.group(1)}{num.cardinal(int(m.group(2)))},", text)
    text = _TIMES_SIGN.sub(" gånger ", text)
    text = _LETTER_RANGE.sub(lambda m: m.group(1)[0] + " till ", text)  # "åk F–9"
    text = _QUARTER.sub(lambda m: f"kvartal {num.cardinal(int(m.group(1)))}", text)
    text = _LETTERS_DIGITS.sub(_letters_then_digits, text)
    text = _DIGITS_CAPITAL.sub(r"\1 \2", text)
    text = _DEFINITE_NUMBER.sub(lambda m: _definite(int(m.group(1))), text)
    text = _STATUTE.sub(lambda m: f"{num.year(int(m.group(1)))} kolon {_number(m.group(2))}", text)
    text = _PAGE.sub(lambda m: "Sidan " if m.group(1) == "S" else "sidan ", text)
    text = _NR.sub(lambda m: "Nummer " if m.group(1) == "N" else "nummer ", text)
    text = _WEEK.sub(
        lambda m: (
            ("Vecka " if m.group(1) == "V" else "vecka ")
            + num.cardinal(int(m.group(2)))
            + (f" till {num.cardinal(int(m.group(3)))}" if m.group(3) else "")
        ),
        text,
    )
    text = _CHAPTER_AFTER.sub(lambda m: f"{num.ordinal(int(m.group(1)))} kapitlet", text)

    def paragraph(m: re.Match[str]) -> str:
        letter = f" {m.group(2).strip()}" if m.group(2) else ""
        return f"{num.ordinal(int(m.group(1)))}{letter} paragrafen"

    text = _PARAGRAPH_AFTER.sub(paragraph, text)
    text = _SUBSECTION.sub(lambda m: f"{m.group(1)}{num.ordinal(int(m.group(2)))} stycket", text)
    text = _PARAGRAPHS.sub("paragraferna ", text)
    return _PARAGRAPH_BEFORE.sub("paragraf ", text)


def _ordinals(text: str, lexicon: Lexicon) -> str:
    text = _ORDINAL.sub(lambda m: num.ordinal(int(m.group(1))), text)

    def decade(m: re.Match[str]) -> str:
        n, written = int(m.group(1)), m.group(1)
        if len(written) == 4:
            head = num.year(n)
        elif written == "00":
            head = "nollnoll"
        else:
            head = num.cardinal(n)
        return f"{head}tal{m.group(2)}"

    text = _DECADE.sub(decade, text)

    def num_word(m: re.Match[str]) -> str:
        written, word = m.group(1), m.group(2)
        n = int(written)
        if _is_year(written):
            return f"{num.year(n)} {word}"
        return _number(written) + word

    return _NUM_WORD.sub(num_word, text)


def _unit_words(unit: str, value: str) -> str:
    singular, plural, _gender = tb.UNITS[unit]
    one = value.replace(" ", "").lstrip("-−") == "1"
    return singular if one else plural


def _money_and_units(text: str, lexicon: Lexicon) -> str:
    text = _PERCENT_COMPOUND.sub(" procent", text)
    text = _PRICE.sub(lambda m: f"{m.group(1)} kr", text)
    text = _CURRENCY_BEFORE.sub(lambda m: f"{m.group(2)} {m.group(1)}", text)

    def speak(value: str, unit: str | None, next_word: str) -> str:
        gender: num.Gender
        if unit is not None:
            gender = "en" if tb.UNITS[unit][2] == "en" else "ett"
        else:
            gender = _gender_before(next_word)
        negative = value[:1] in "-−"
        value = value.lstrip("-−")
        words = _number(value, gender)
        return ("minus " + words) if negative else words

    def range_(m: re.Match[str]) -> str:
        a, b, unit = m.group(1), m.group(2), m.group(3)
        nxt = _next_word(text, m.end())
        a_plain, b_plain = a.replace(" ", ""), b.replace(" ", "")
        whole = a_plain.isdecimal() and b_plain.isdecimal() and a == a_plain and b == b_plain
        if (
            unit is None
            and whole
            and _is_year(a_plain)
            and ((_is_year(b_plain) and b_plain > a_plain) or len(b_plain) == 2)
            and nxt.lower() not in tb.COUNT_NOUNS
        ):
            second = num.year(int(b_plain)) if len(b_plain) == 4 else num.cardinal(int(b_plain))
            return f"{num.year(int(a_plain))} till {second}"
        if a.startswith("0") and len(a_plain) > 1:
            return m.group(0)
        if (
            unit is None
            and whole
            and (
                min(len(a), len(b)) >= 4
                or max(len(a), len(b)) >= 5
                or b[:1] == "0"
                or (len(b) == 4 and len(a) < 4 and not b.endswith("00"))  # "123-4567"
            )
        ):
            # an identity, account or case number ("232100-0016", "5050-1055"): pairs
            return f"{num.groups(a)}, {num.groups(b)}"
        if unit is None and whole and len(b) <= 15 and len(a) <= 15 and int(b) <= int(a):
            return f"{speak(a, unit, nxt)} {speak(b, unit, nxt)}"  # "3-1": not a range
        out = f"{speak(a, unit, nxt)} till {speak(b, unit, nxt)}"
        if unit is not None:
            out += " " + tb.UNITS[unit][1]
            if unit.endswith(".") and _ends_sentence(text, m.end()):
                out += "."
        return out

    text = _RANGE.sub(range_, text)

    def unit(m: re.Match[str]) -> str:
        sign, value, unit_ = m.group(1), m.group(2), m.group(3)
        if unit_ in ("kr", "kr.", "SEK", "kronor") and "," in value:
            whole, _, ore = value.partition(",")
            if len(ore) == 2:
                kr = _number(whole, "en")
                kronor = "krona" if whole == "1" else "kronor"
                dot = "." if unit_.endswith(".") and _ends_sentence(text, m.end()) else ""
                if int(ore) == 0:
                    return f"{kr} {kronor}{dot}"
                return f"{kr} {kronor} och {num.cardinal(int(ore))} öre{dot}"
        words = speak(sign + value, unit_, "")
        dot = "." if unit_.endswith(".") and _ends_sentence(text, m.end()) else ""
        return f"{words} {_unit_words(unit_, value)}{dot}"

    return _UNIT.sub(unit, text)


def _fractions(text: str, lexicon: Lexicon) -> str:
    def vulgar(m: re.Match[str]) -> str:
        a, b = _VULGAR[m.group(2)]
        words = num.fraction(a, b)
        if (a, b) == (1, 2) and _gender_before(_next_word(text, m.end())) == "ett":
            nxt = _next_word(text, m.end())
            if nxt and nxt[:1].islower() and nxt not in tb.FUNCTION_WORDS:
                words = "ett halvt"  # "ett halvt år"
        if m.group(1):
            return f"{_number(m.group(1), 'en')} och {words}"
        return words

    text = _VULGAR_RE.sub(vulgar, text)

    def slash(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if _is_year(m.group(1)):
            second = num.year(b) if len(m.group(2)) == 4 else num.cardinal(b)
            return f"{num.year(a)} {second}"
        if 2 <= b <= 12 or (b in (100, 1000) and a < b):
            return num.fraction(a, b)
        # "säsong 20/21", "ärende 123/45": not a fraction anyone would say
        return f"{num.cardinal(a)} snedstreck {num.cardinal(b)}"

    return _SLASH_FRACTION.sub(slash, text)


def _plain_numbers(text: str, lexicon: Lexicon) -> str:
    def value(m: re.Match[str]) -> str:
        written, dec = m.group(2), m.group(3)
        nxt = _next_word(text, m.end())
        if dec:
            return _number(written + dec, _gender_before(nxt))
        compact = written.replace(" ", "")
        is_year = compact == written and _is_year(written)
        if is_year and _year_context(text, m, nxt):
            return num.year(int(compact))
        return _number(written, _gender_before(nxt))

    def plain(m: re.Match[str]) -> str:
        if not m.group(1):
            return value(m)
        before = text[m.start() - 1 : m.start()]
        if before and not (before.isspace() or before in "(["):
            return "-" + value(m)  # a hyphen inside a word ("COVID-19"), not a minus
        return "minus " + value(m)

    text = _DOTTED.sub(lambda m: " punkt ".join(_number(p) for p in m.group(0).split(".")), text)
    text = _PLAIN.sub(plain, text)
    return _DIGITS.sub(lambda m: num.digits(m.group(0)), text)


def _year_context(text: str, m: re.Match[str], nxt: str) -> bool:
    if nxt.lower() in tb.COUNT_NOUNS:
        return False
    prev = _prev_word(text, m.start())
    if prev.lower() in tb.YEAR_BEFORE or nxt.lower() in tb.FUNCTION_WORDS:
        return True
    after = text[m.end() : m.end() + 2]
    return not (nxt and nxt[:1].islower() and after[:1] == " ")


def _names_and_acronyms(text: str, lexicon: Lexicon) -> str:
    def roman(m: re.Match[str]) -> str:
        name, token, genitive = m.group(1), m.group(2), m.group(3) or ""
        value = _roman(token)
        if value is None:
            return m.group(0)
        s = "s" if genitive else ""
        if name in tb.REGNAL_NAMES_MALE:
            return f"{name} den {num.ordinal(value, masculine=True)}{s}"
        if name in tb.REGNAL_NAMES_FEMALE:
            return f"{name} den {num.ordinal(value)}{s}"
        if name in tb.NUMBERED_WORDS:
            return f"{name} {num.cardinal(value)}{s}"
        return m.group(0)

    text = _ROMAN_AFTER.sub(roman, text)

    spell, say = lexicon.spell, lexicon.say
    # Three or more words in capitals in a row is a heading in capitals, not acronyms.
    shouted = [(r.start(), r.end()) for r in _SHOUTING.finditer(text)]

    def acronym(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if word in say:
            return word.lower() + suffix
        if word in spell or word in tb.SPELLED_ACRONYMS:
            return _spell(word) + suffix
        if word in tb.WORD_ACRONYMS:
            return tb.WORD_ACRONYMS[word] + suffix
        if word in tb.CAPS_WORDS or _looks_like_a_word(word):
            return word.lower() + suffix
        if any(a <= m.start() < b for a, b in shouted):
            return word.lower() + suffix
        return _spell(word) + suffix

    text = _ACRONYM.sub(acronym, text)
    return _LETTER_COMPOUND.sub(lambda m: tb.LETTER_NAMES.get(m.group(1), m.group(1)) + "-", text)


_SYMBOLS = (
    (re.compile(r"\s*&\s*"), " och "),
    (re.compile(r"\s?\+\s?"), " plus "),
    (re.compile(r"\s?=\s?"), " är lika med "),
    (re.compile(r"~\s?"), "cirka "),
    (re.compile(r"±\s?"), "plus minus "),
    (re.compile(r"\s?×\s?"), " gånger "),
    (re.compile(r"\s?÷\s?"), " delat med "),
    (re.compile(r"≤\s?"), "högst "),
    (re.compile(r"≥\s?"), "minst "),
    (re.compile(r"(?<=\s)<\s?|^<\s?"), "mindre än "),
    (re.compile(r"(?<=\s)>\s?|^>\s?"), "mer än "),
    (re.compile(r"%"), " procent"),
    (re.compile(r"‰"), " promille"),
    (re.compile(r"°"), " grader"),
    (re.compile(r"§"), "paragraf"),
    (re.compile(r"@"), " snabel-a "),
    (re.compile(r"€"), " euro"),
    (re.compile(r"\$"), " dollar"),
    (re.compile(r"£"), " pund"),
    (re.compile(r"©"), "copyright "),
    (re.compile(r"[®™]"), ""),
    (re.compile(r"#(?=\w)"), "nummer "),
    (re.compile(r"#"), ""),
    (re.compile(r"(?<=\w)/(?=\w)"), " "),
    (re.compile(r"[\\_^]"), " "),
    (re.compile(r"(?<![\w])kr(?![\w])"), "kronor"),
)


_PER = re.compile(
    r"(?<=\w)\s?/\s?(dag|dygn|år|mån\.?|månad|vecka|v\.|st\.?|styck|person|tim\.?|timme|h)(?!\w)"
)
_PER_AFTER_UNIT = re.compile(
    r"\b(kronor|krona|euro|dollar|gånger|timmar|minuter|kilo|gram|liter|kilometer|meter"
    r"|stycken|styck|procent)\s?/\s?(?=[a-zåäö])"
)
_PER_WORDS = {"mån": "månad", "v": "vecka", "st": "styck", "tim": "timme", "h": "timme"}


def _symbols(text: str, lexicon: Lexicon) -> str:
    def per(m: re.Match[str]) -> str:
        word = m.group(1)
        dot = "." if word.endswith(".") and _ends_sentence(text, m.end()) else ""
        return " per " + _PER_WORDS.get(word.rstrip("."), word) + dot

    text = _PER.sub(per, text)
    text = _PER_AFTER_UNIT.sub(r"\1 per ", text)
    text = _ARROW_BETWEEN.sub(" till ", text)
    text = _DECORATION.sub(" ", text)
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text


_DIGIT = re.compile(r"\d")
_WEEKDAY_HINT = re.compile(
    r"(?<!\w)(?:mån|tis|ons|tors?|fre|lör|sön|må|ti|on|to|fr|lö|sö)\b|dag\s?[-–—‒]",
    re.IGNORECASE,
)
_DATE_HINT = re.compile(
    r"\d|(?<!\w)(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*\.?\s?[-–—‒]",
    re.IGNORECASE,
)
_DIGIT_OR_SECTION = re.compile(r"[\d§]")
_DIGIT_OR_FRACTION = re.compile("[\\d" + "".join(_VULGAR) + "]")
_CAPITALS = re.compile(rf"[{_UP}][{_UP}-]|\s[IVXLC]")
_SYMBOL_HINT = re.compile(
    r"[&+=~±×÷≤≥<>%‰°§@€$£©®™#/\\_^→⇒➔➜⟶»«›‹•◦▪▸►▶·‣⁃●○■□✓✔✗✘☐☑★☆*†‡¶|]|\bkr\b"
)

# Each pass with a quick test of whether it can match at all: most sentences
# have no digits, and skipping the number passes for them halves the work.
_STEPS: tuple[tuple[Step, re.Pattern[str] | None], ...] = (
    (_references, _DIGIT_OR_SECTION),
    (_abbreviations, None),
    (_dates, _DATE_HINT),
    (_weekdays, _WEEKDAY_HINT),
    (_times, _DIGIT),
    (_phones, _DIGIT),
    (_ordinals, _DIGIT),
    (_money_and_units, _DIGIT),
    (_fractions, _DIGIT_OR_FRACTION),
    (_plain_numbers, _DIGIT),
    (_names_and_acronyms, _CAPITALS),
    (_symbols, _SYMBOL_HINT),
)
