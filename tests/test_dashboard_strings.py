"""Every dashboard text exists in Swedish and English, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ttsservice.dashboard.strings import STRINGS, Texts, pick_lang

PACKAGE = Path(__file__).resolve().parent.parent / "ttsservice" / "dashboard"


def used_keys() -> set[str]:
    keys = set()
    for path in [*PACKAGE.glob("templates/*.jinja2"), *PACKAGE.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+)['"]\s*[,)]""", text))
    # Built in the templates: t('nav_' ~ key), t(c.answer), t(triage_errors...).
    keys |= {"nav_overview", "nav_pages", "nav_sections", "yes", "no"}
    return keys


def test_every_used_key_has_both_languages() -> None:
    used = used_keys()
    assert len(used) > 60
    missing = sorted(used - set(STRINGS))
    assert not missing, f"texts missing from STRINGS: {missing}"
    for key, (sv, en) in STRINGS.items():
        assert sv.strip() and en.strip(), key
        placeholders = set(re.findall(r"\{(\w+)\}", sv))
        assert placeholders == set(re.findall(r"\{(\w+)\}", en)), key


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("en", None, "en"),
        ("sv", "en", "sv"),
        (None, "en-GB,en;q=0.9,sv;q=0.8", "en"),
        (None, "de-DE,sv;q=0.5,en;q=0.4", "sv"),
        (None, "fr, de", "sv"),
        (None, "en;q=nonsense, sv", "sv"),
        ("xx", None, "sv"),
        (None, None, "sv"),
    ],
)
def test_language_choice(query: str | None, header: str | None, expected: str) -> None:
    assert pick_lang(query, header) == expected


def test_numbers_are_written_the_languages_way() -> None:
    sv, en = Texts("sv"), Texts("en")
    assert sv.pct(0.725) == "72\u00a0%" and en.pct(0.725) == "72%"
    assert sv.num(12345.5, 1) == "12\u00a0345,5" and en.num(12345.5, 1) == "12,345.5"
    assert sv.status("ej_åtgärdbar") == "Ej åtgärdbar" and en.status("ej_åtgärdbar") == (
        "Cannot be fixed"
    )
