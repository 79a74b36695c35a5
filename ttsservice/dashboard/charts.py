"""Server-rendered SVG charts. Each is drawn from the same rows as the table next to it.

The SVG carries a title and description (``role="img"``) and the page
always shows the data as a table too, so nothing depends on seeing the
picture or on JavaScript. Colours are set as presentation attributes (no
inline ``style``), so the pages' Content-Security-Policy can forbid inline
styles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["NO_COLOUR", "YES_COLOUR", "interval_bar", "share_line", "stacked_bars"]

YES_COLOUR = "#1d5fa6"
"""Bars of "Ja" (blue; 6.4:1 on white)."""
NO_COLOUR = "#b4420b"
"""Bars of "Nej" (dark orange; 5.3:1 on white)."""
_AXIS = "#595959"
_GRID = "#d0d0d0"

_W, _H = 720, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 40


def _nice_max(value: int) -> int:
    """A round top for the axis at or above ``value``, in four whole-number ticks."""
    quarter = max(1.0, value / 4)
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        tick = step * magnitude
        if tick >= quarter and tick == int(tick):
            return int(tick) * 4
    return int(10 * magnitude) * 4


def _frame(chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg" '
        'preserveAspectRatio="xMidYMid meet" focusable="false">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text is escaped


def _x_labels(labels: Sequence[str], x_of: list[float], body: list[str]) -> None:
    every = max(1, math.ceil(len(labels) / 8))
    last = len(labels) - 1
    for i, label in enumerate(labels):
        if i != last and (i % every or last - i < every * 0.75):
            continue
        body.append(
            f'<text x="{x_of[i]:.1f}" y="{_H - _BOTTOM + 18}" text-anchor="middle" '
            f'font-size="12" fill="{_AXIS}">{escape(label)}</text>'
        )


def _y_axis(top: int, labels: Sequence[str], body: list[str]) -> None:
    plot_h = _H - _TOP - _BOTTOM
    for i, label in enumerate(labels):
        y = _TOP + plot_h - plot_h * i / (len(labels) - 1)
        body.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{_AXIS}">{escape(label)}</text>'
        )


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, int, int]],
    *,
    yes_label: str,
    no_label: str,
    mark: tuple[int, str] | None = None,
) -> Markup:
    """Stacked bars of (label, yes, no): "Ja" at the bottom, "Nej" on top, with a legend.

    ``mark`` = (index, text) draws a dashed line before that bar with the text (an edit).
    """
    top = _nice_max(max((yes + no for _, yes, no in rows), default=0))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    body: list[str] = []
    _y_axis(top, [str(top * i // 4) for i in range(5)], body)
    slot = plot_w / max(1, len(rows))
    width = max(1.0, slot * 0.7)
    centres = []
    for i, (label, yes, no) in enumerate(rows):
        x = _LEFT + i * slot + (slot - width) / 2
        centres.append(x + width / 2)
        yes_h = plot_h * yes / top
        no_h = plot_h * no / top
        base = _TOP + plot_h
        if yes:
            body.append(
                f'<rect x="{x:.1f}" y="{base - yes_h:.1f}" width="{width:.1f}" '
                f'height="{yes_h:.1f}" fill="{YES_COLOUR}"><title>{escape(label)}: '
                f"{escape(yes_label)} {yes}</title></rect>"
            )
        if no:
            body.append(
                f'<rect x="{x:.1f}" y="{base - yes_h - no_h:.1f}" width="{width:.1f}" '
                f'height="{no_h:.1f}" fill="{NO_COLOUR}"><title>{escape(label)}: '
                f"{escape(no_label)} {no}</title></rect>"
            )
    body.append(
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        f'stroke="{_AXIS}" stroke-width="1"/>'
    )
    _x_labels([label for label, _, _ in rows], centres, body)
    if mark is not None and 0 <= mark[0] < len(rows):
        x = _LEFT + mark[0] * slot
        body.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + plot_h}" stroke="#1a1a1a" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x + 4:.1f}" y="{_TOP + 12}" font-size="12" fill="#1a1a1a">'
            f"{escape(mark[1])}</text>"
        )
    legend_y = _H - 8
    body.append(
        f'<rect x="{_LEFT}" y="{legend_y - 10}" width="12" height="12" fill="{YES_COLOUR}"/>'
        f'<text x="{_LEFT + 16}" y="{legend_y}" font-size="12" fill="#1a1a1a">'
        f"{escape(yes_label)}</text>"
        f'<rect x="{_LEFT + 70}" y="{legend_y - 10}" width="12" height="12" '
        f'fill="{NO_COLOUR}"/>'
        f'<text x="{_LEFT + 86}" y="{legend_y}" font-size="12" fill="#1a1a1a">'
        f"{escape(no_label)}</text>"
    )
    return _frame(chart_id, title, desc, body)


def share_line(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | None]],
    *,
    percent: str = "%",
) -> Markup:
    """A line of shares (0 to 1) per label; None (no votes that day) has no point."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    body: list[str] = []
    _y_axis(100, [f"{v}{percent}" for v in (0, 25, 50, 75, 100)], body)
    slot = plot_w / max(1, len(rows))
    xs = [_LEFT + slot * (i + 0.5) for i in range(len(rows))]
    # The line joins the days that have votes; quiet days have no point of their own.
    points = [
        f"{x:.1f},{_TOP + plot_h * (1 - share):.1f}"
        for x, (_, share) in zip(xs, rows, strict=True)
        if share is not None
    ]
    if len(points) > 1:
        body.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{YES_COLOUR}" '
            'stroke-width="2"/>'
        )
    for x, (label, share) in zip(xs, rows, strict=True):
        if share is not None:
            body.append(
                f'<circle cx="{x:.1f}" cy="{_TOP + plot_h * (1 - share):.1f}" r="3" '
                f'fill="{YES_COLOUR}"><title>{escape(label)}: {round(share * 100)}'
                f"{escape(percent)}</title></circle>"
            )
    _x_labels([label for label, _ in rows], xs, body)
    return _frame(chart_id, title, desc, body)


def interval_bar(share: float, low: float, high: float, *, ranked: bool) -> Markup:
    """A small bar from the interval's low to high with a mark at the share.

    Hidden from assistive technology: the same figures are in the table's cells.
    """
    w, h, pad = 160, 18, 4
    span = w - 2 * pad
    x1, x2, xs = pad + span * low, pad + span * high, pad + span * share
    opacity = "1" if ranked else "0.45"
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="interval" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{pad}" y1="{h / 2}" x2="{w - pad}" y2="{h / 2}" stroke="{_GRID}" '
        'stroke-width="2"/>'
        f'<line x1="{pad + span / 2}" y1="2" x2="{pad + span / 2}" y2="{h - 2}" '
        f'stroke="{_GRID}" stroke-width="1"/>'
        f'<rect x="{x1:.1f}" y="4" width="{max(1.0, x2 - x1):.1f}" height="{h - 8}" '
        f'fill="{YES_COLOUR}" fill-opacity="{opacity}" rx="2"/>'
        f'<rect x="{xs - 1.5:.1f}" y="1" width="3" height="{h - 2}" fill="#1a1a1a"/>'
        "</svg>"
    )
