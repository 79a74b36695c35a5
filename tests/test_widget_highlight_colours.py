"""The word and sentence highlight colours meet WCAG contrast whatever the page's style.

Both highlights set their own text and background colours, so a light or a dark
page style cannot lower the contrast; the marked word also stands out from the
marked sentence around it.
"""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "ttsservice" / "widget" / "static" / "widget.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _expand(colour: str) -> str:
    colour = {"#fff": "#ffffff", "#000": "#000000"}.get(colour, colour)
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    return colour


def _colours(name: str) -> tuple[str, str]:
    """(text, background) of the first ``::highlight(name)`` rule."""
    rule = re.search(r"::highlight\(" + name + r"\)\s*\{([^}]*)\}", CSS.read_text())
    assert rule, name
    body = rule.group(1)
    background = re.search(r"background-color:\s*(#[0-9a-fA-F]+)", body)
    text = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]+)", body)
    assert background and text, f"{name} must set both colours, so page styles cannot"
    return _expand(text.group(1).lower()), _expand(background.group(1).lower())


def test_word_and_sentence_highlights_meet_wcag_contrast() -> None:
    word_text, word_background = _colours("tts-word")
    sentence_text, sentence_background = _colours("tts-sentence")
    assert _contrast(word_text, word_background) >= 7  # AAA for the word being read
    assert _contrast(sentence_text, sentence_background) >= 7
    # the word stands out from the sentence it is in (non-text contrast, WCAG 1.4.11)
    assert _contrast(word_background, sentence_background) >= 3


def test_highlights_have_forced_colours_versions() -> None:
    forced = CSS.read_text().split("@media (forced-colors: active)", 1)[1]
    assert "::highlight(tts-word)" in forced
    assert "::highlight(tts-sentence)" in forced
