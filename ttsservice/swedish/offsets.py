"""Which written characters each spoken word stands for.

The :class:`~ttsservice.swedish.normalizer.Normalizer` rewrites written text
("kl. 08.00", "t.ex.", "SVT") into the words the voice says ("klockan åtta",
"till exempel", "ess ve te"). :func:`spoken_spans` maps the normaliser's output
back to its input: words the normaliser left alone anchor the map (matched in
order, as a diff would), and the spoken words between two anchors all cover
the written text between them, so "klockan åtta" covers the one span
``kl. 08.00`` and the three words of an expanded abbreviation cover one span.
Written punctuation is silent and belongs to no span.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

__all__ = ["Span", "spoken_spans", "spoken_words"]

Span = tuple[int, int]
"""``(from, to)``: character offsets into the written text, ``to`` exclusive."""

_TOKEN = re.compile(r"\S+")
_EDGE = re.compile(r"^\W+|\W+$")
_LEADS_NUMBER = re.compile(r"\w{1,3}\.")


def spoken_words(spoken: str) -> list[str]:
    """The words of normalised text, as the voice will say them (punctuation dropped)."""
    return [w for w in (_EDGE.sub("", t) for t in spoken.split()) if w]


def _written_tokens(written: str) -> list[tuple[str, int, int]]:
    """Written tokens with letters or digits, trimmed of surrounding punctuation."""
    tokens: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(written):
        token = m.group(0)
        lead = len(token) - len(token.lstrip("\"'”“»«(),.;:!?¿¡[]{}–—-"))
        core = token[lead:].rstrip("\"'”“»«(),;:!?¿¡[]{}–—-")
        # a final dot is punctuation, unless the token is dotted throughout ("t.ex.")
        if core.endswith(".") and "." not in core.rstrip(".")[:-1]:
            core = core.rstrip(".")
        if any(ch.isalnum() for ch in core):
            start = m.start() + lead
            tokens.append((core, start, start + len(core)))
    return tokens


def _key(word: str) -> str:
    return _EDGE.sub("", word).casefold()


def _split_gap(
    written: str,
    tokens: list[tuple[str, int, int]],
    count: int,
    say: Callable[[str], str] | None,
) -> list[Span]:
    """Spans for ``count`` spoken words that stand for the written ``tokens``.

    When each token said alone gives as many words as there are in all, each
    token gets its own words ("t.ex. SVT" → "till exempel" + "ess ve te");
    otherwise all of them cover the whole gap ("08-123 45 67").
    """
    whole = (tokens[0][1], tokens[-1][2])
    if say is None or len(tokens) == 1:
        return [whole] * count
    # an abbreviation before a number is one written unit with it ("kl. 08.00", "s. 12")
    groups: list[tuple[str, int, int]] = []
    for token, start, end in tokens:
        if (
            groups
            and _LEADS_NUMBER.fullmatch(written[groups[-1][1] : start].rstrip())
            and token[:1].isdecimal()
        ):
            first, first_start, _ = groups[-1]
            groups[-1] = (f"{first} {token}", first_start, end)
        else:
            groups.append((token, start, end))
    spans: list[Span] = []
    for token, start, end in groups:
        said = len(spoken_words(say(token)))
        spans.extend([(start, end)] * said)
    return spans if len(spans) == count and count > 0 else [whole] * count


def spoken_spans(written: str, spoken: str, say: Callable[[str], str] | None = None) -> list[Span]:
    """For each of :func:`spoken_words` of ``spoken``, the written span it says.

    Spans are in order and never overlap; several spoken words may share one
    span (an expansion), and every written token with a letter or digit is
    covered by some span when ``spoken`` has any word at all. ``say`` (the
    normaliser on a piece of text) lets an unmatched stretch of several written
    tokens be split token by token.
    """
    words = spoken_words(spoken)
    tokens = _written_tokens(written)
    if not words:
        return []
    if not tokens:
        whole = (0, len(written.rstrip()))
        return [whole] * len(words)
    matcher = difflib.SequenceMatcher(
        a=[_key(w) for w in words], b=[_key(t[0]) for t in tokens], autojunk=False
    )
    spans: list[Span | None] = [None] * len(words)
    orphans: list[int] = []  # spoken words with no written text between their anchors
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                _, start, end = tokens[j1 + k]
                spans[i1 + k] = (start, end)
        elif i2 > i1 and j2 > j1:
            split = _split_gap(written, tokens[j1:j2], i2 - i1, say)
            for k, span in enumerate(split):
                spans[i1 + k] = span
        elif i2 > i1:
            orphans.extend(range(i1, i2))
        elif j2 > j1:
            # written words nothing was said for (rare): the previous word's span grows
            span_end = tokens[j2 - 1][2]
            if i1 > 0 and spans[i1 - 1] is not None:
                prev = spans[i1 - 1]
                assert prev is not None
                grown = (prev[0], span_end)
                k = i1 - 1
                while k >= 0 and spans[k] == prev:
                    spans[k] = grown
                    k -= 1
    for i in orphans:
        # a word the normaliser added ("kronor" after "50 kr" is matched; "och" inside a
        # number is not): it shares the written span of the word before (or after) it
        before = next((spans[k] for k in range(i - 1, -1, -1) if spans[k] is not None), None)
        after = next((spans[k] for k in range(i + 1, len(spans)) if spans[k] is not None), None)
        spans[i] = before or after
    return [s if s is not None else (0, len(written)) for s in spans]
