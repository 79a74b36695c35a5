"""Rules for times of day: "kl. 08.00", "8.30-16.00", "13:15"."""

from __future__ import annotations

import re

from ttsservice.swedish import numbers as num
from ttsservice.swedish.lexicon import Lexicon
from ttsservice.swedish.textbits import _DASH

_TIME_PART = r"(\d{1,2})(?:[.:](\d{2}))?"
_KL_TIME = re.compile(rf"\b([Kk]lockan|[Kk]l\.?)\s*{_TIME_PART}(?:{_DASH}{_TIME_PART})?(?!\d|,\d)")
_TIME_RANGE = re.compile(
    r"(?<![\d.,:])([01]?\d|2[0-4])[.:]([0-5]\d)"
    + _DASH
    + r"([01]?\d|2[0-4])(?:[.:]([0-5]\d))?(?!\d|,\d)"
)
_TIME = re.compile(r"(?<![\d.,:])([01]?\d|2[0-4])([.:])([0-5]\d)(?!\d|,\d|:\d|\s?(?:%|kr))")


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
