"""Statistics the web team can trust: the public Python API of the feedback data.

The dashboard and the ``/api/v1/stats`` endpoints both read through these
functions (never through their own SQL), passing the open
:class:`~feedback.store.FeedbackStore` (``app[feedback.store.FEEDBACK]``).

Figures:

- ``share`` is yes / n; ``low``/``high`` its 95 % **Wilson score interval**
  (:func:`wilson`), which stays honest for small n and shares near 0 or 1.
- Pages with fewer than ``min_responses`` votes are ``ranked=False``
  ("för få svar") and listed after the ranked ones.
- Ranked pages are sorted **worst first by the interval's upper bound**: a
  page whose best plausible share is low surely fails its readers, while a
  page with two "no" votes and nothing else is merely unknown.
- Date filters (``since``/``until``, inclusive, UTC days) apply to the daily
  totals, so they keep working after raw votes were deleted by retention.
- Sections are derived from the page URL at query time (see
  :class:`feedback.urls.Sections`), so changing ``TTS_SECTIONS`` regroups
  the whole history.

CSV (:func:`to_csv`) is made for Excel in a Swedish locale: UTF-8 with a
byte order mark, ``;`` as separator (Swedish Excel's list separator, since
``,`` is its decimal mark), decimal commas, and cells that start with
``= + - @`` prefixed with ``'`` so a visitor's comment cannot become a
formula.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from feedback.records import reasons_list
from feedback.schema import COMMENT_STATUSES, REASONS
from feedback.store import FeedbackStore

__all__ = [
    "COMMENT_STATUSES",
    "REASONS",
    "CommentRow",
    "DayTotal",
    "PageDetail",
    "PageStat",
    "ProportionTest",
    "SectionStat",
    "WeekTrend",
    "daily_totals",
    "get_comment",
    "list_comments",
    "page_detail",
    "page_period",
    "page_stats",
    "previous_period",
    "section_stats",
    "set_comment_status",
    "to_csv",
    "two_proportion_test",
    "wilson",
]


def wilson(yes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of the share ``yes / n`` (95 % for z = 1.96).

    For n = 0 nothing is known: (0.0, 1.0).
    """
    if n <= 0:
        return (0.0, 1.0)
    p = yes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return (max(0.0, centre - margin), min(1.0, centre + margin))


@dataclass(frozen=True, slots=True)
class PageStat:
    """One page's figures."""

    url: str
    """The normalised page URL."""
    section: str
    """The section the page belongs to."""
    yes: int
    """"Ja" votes."""
    no: int
    """"Nej" votes."""
    n: int
    """All votes (yes + no)."""
    share: float
    """Share of "Ja" (yes / n)."""
    low: float
    """Lower bound of the 95 % Wilson interval of ``share``."""
    high: float
    """Upper bound of the 95 % Wilson interval of ``share``."""
    ranked: bool
    """False when n is under the minimum ("för få svar")."""
    comments: int
    """Comments on the page in the period."""


@dataclass(frozen=True, slots=True)
class SectionStat:
    """One section's figures (all its pages together)."""

    section: str
    """The section name (configured, ``other``, or first path segment)."""
    yes: int
    """"Ja" votes."""
    no: int
    """"Nej" votes."""
    n: int
    """All votes."""
    share: float
    """Share of "Ja"."""
    low: float
    """Lower bound of the 95 % Wilson interval."""
    high: float
    """Upper bound of the 95 % Wilson interval."""
    ranked: bool
    """False when n is under the minimum."""
    pages: int
    """Pages with votes in the period."""
    comments: int
    """Comments in the period."""


class WeekTrend(NamedTuple):
    """Votes of one ISO week (Monday to Sunday)."""

    week_start: date
    """The week's Monday."""
    yes: int
    """"Ja" votes that week."""
    no: int
    """"Nej" votes that week."""


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A stored (scrubbed) comment with its triage status."""

    id: str
    """The comment's id."""
    url: str
    """The page it is about."""
    section: str
    """The page's section."""
    day: date
    """The day it was written (UTC; no time is stored)."""
    answer: str | None
    """The vote it came with: yes or no."""
    reasons: tuple[str, ...]
    """Reason codes of that vote."""
    text: str
    """The comment, personal data replaced by placeholders."""
    scrubbed: bool
    """True when personal data was removed from it."""
    status: str
    """Triage status: ny, läst, åtgärdad or ej_åtgärdbar."""
    status_reason: str | None
    """Why a comment is ej_åtgärdbar (or a note)."""
    vote_id: str | None
    """The vote it came with (kept after retention deletes the vote itself)."""


@dataclass(frozen=True, slots=True)
class PageDetail:
    """One page in depth: figures, weekly trend, reasons and comments."""

    stat: PageStat
    """The page's figures in the period."""
    weeks: list[WeekTrend]
    """Votes per ISO week, oldest first, weeks without votes included."""
    reasons: dict[str, int]
    """Reason code → times given, most frequent first."""
    comments: list[CommentRow]
    """The page's comments in the period, newest first."""


def _day_filter(column: str, since: date | None, until: date | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append(f"{column} <= ?")
        params.append(until.isoformat())
    return (" AND ".join(clauses) or "1=1"), params


def _matches_prefix(url: str, prefix: str | None) -> bool:
    if not prefix:
        return True
    if prefix.startswith("/"):
        return (urlsplit(url).path or "/").startswith(prefix)
    return url.startswith(prefix)


def _figures(yes: int, no: int, min_responses: int) -> tuple[int, float, float, float, bool]:
    n = yes + no
    low, high = wilson(yes, n)
    share = yes / n if n else 0.0
    return n, share, low, high, n >= min_responses


def _worst_first_key(stat: PageStat | SectionStat) -> tuple[Any, ...]:
    if stat.ranked:
        return (0, stat.high, stat.low, -stat.n)
    return (1, -stat.n, 0.0, 0)


async def _page_totals(
    store: FeedbackStore, since: date | None, until: date | None, url: str | None = None
) -> dict[str, tuple[int, int]]:
    where, params = _day_filter("day", since, until)
    if url is not None:
        where += " AND url = ?"
        params.append(url)
    rows = await store.fetchall(
        f"SELECT url, SUM(yes) AS yes, SUM(no) AS no FROM page_daily WHERE {where} GROUP BY url",  # noqa: S608
        params,
    )
    return {row["url"]: (int(row["yes"]), int(row["no"])) for row in rows}


async def _comment_counts(
    store: FeedbackStore, since: date | None, until: date | None
) -> dict[str, int]:
    where, params = _day_filter("day", since, until)
    rows = await store.fetchall(
        f"SELECT url, COUNT(*) AS c FROM comments WHERE {where} GROUP BY url",  # noqa: S608
        params,
    )
    return {row["url"]: int(row["c"]) for row in rows}


async def page_stats(
    store: FeedbackStore,
    *,
    since: date | None = None,
    until: date | None = None,
    prefix: str | None = None,
    section: str | None = None,
    min_responses: int,
) -> list[PageStat]:
    """Every page with votes in the period, worst first (see the module docstring).

    ``prefix`` is a path prefix (``/vard``) matched on any allowed origin, or
    a URL prefix (``https://www.example.se/vard``); ``section`` keeps only
    that section's pages.
    """
    totals = await _page_totals(store, since, until)
    comments = await _comment_counts(store, since, until)
    stats = []
    for url, (yes, no) in totals.items():
        if yes + no <= 0 or not _matches_prefix(url, prefix):
            continue
        group = store.sections.group(url)
        if section is not None and group != section:
            continue
        n, share, low, high, ranked = _figures(yes, no, min_responses)
        stats.append(
            PageStat(url, group, yes, no, n, share, low, high, ranked, comments.get(url, 0))
        )
    stats.sort(key=lambda s: (*_worst_first_key(s), s.url))
    return stats


async def section_stats(
    store: FeedbackStore,
    *,
    since: date | None = None,
    until: date | None = None,
    min_responses: int,
) -> list[SectionStat]:
    """Figures per section, worst first like :func:`page_stats`."""
    totals = await _page_totals(store, since, until)
    comments = await _comment_counts(store, since, until)
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for url, (yes, no) in totals.items():
        if yes + no <= 0:
            continue
        entry = sums[store.sections.group(url)]
        entry[0] += yes
        entry[1] += no
        entry[2] += 1
    for url, count in comments.items():
        group = store.sections.group(url)
        if group in sums:
            sums[group][3] += count
    stats = []
    for name, (yes, no, pages, comment_count) in sums.items():
        n, share, low, high, ranked = _figures(yes, no, min_responses)
        stats.append(SectionStat(name, yes, no, n, share, low, high, ranked, pages, comment_count))
    stats.sort(key=lambda s: (*_worst_first_key(s), s.section))
    return stats


def _comment_row(row: Any, store: FeedbackStore) -> CommentRow:
    return CommentRow(
        id=row["id"],
        url=row["url"],
        section=store.sections.group(row["url"]),
        day=date.fromisoformat(row["day"]),
        answer=row["answer"],
        reasons=tuple(reasons_list(row["reasons"])),
        text=row["text"],
        scrubbed=bool(row["scrubbed"]),
        status=row["status"],
        status_reason=row["status_reason"],
        vote_id=row["vote_id"],
    )


async def list_comments(
    store: FeedbackStore,
    *,
    status: str | None = None,
    url: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CommentRow]:
    """Comments, newest first, optionally by status, page and period."""
    where, params = _day_filter("day", since, until)
    if status is not None:
        where += " AND status = ?"
        params.append(status)
    if url is not None:
        where += " AND url = ?"
        params.append(url)
    params += [max(0, min(limit, 10_000)), max(0, offset)]
    rows = await store.fetchall(
        "SELECT id, vote_id, url, answer, reasons, text, scrubbed, status, status_reason, day "  # noqa: S608
        f"FROM comments WHERE {where} ORDER BY day DESC, id LIMIT ? OFFSET ?",
        params,
    )
    return [_comment_row(row, store) for row in rows]


async def get_comment(store: FeedbackStore, comment_id: str) -> CommentRow | None:
    """One comment by id, or None."""
    rows = await store.fetchall(
        "SELECT id, vote_id, url, answer, reasons, text, scrubbed, status, status_reason, day "
        "FROM comments WHERE id = ?",
        (comment_id,),
    )
    return _comment_row(rows[0], store) if rows else None


async def set_comment_status(
    store: FeedbackStore, comment_id: str, status: str, reason: str | None = None
) -> CommentRow:
    """Set a comment's triage status and return the updated comment.

    Raises ``bad_status`` / ``missing_reason`` (400) and ``unknown_comment`` (404).
    """
    await store.set_comment_status(comment_id, status, reason)
    row = await get_comment(store, comment_id)
    assert row is not None  # just updated; retention runs through the same writer
    return row


async def page_detail(
    store: FeedbackStore,
    url: str,
    *,
    since: date | None = None,
    until: date | None = None,
    min_responses: int = 10,
) -> PageDetail:
    """One page: its figures, weekly trend, reasons breakdown and comments."""
    where, params = _day_filter("day", since, until)
    daily = await store.fetchall(
        f"SELECT day, yes, no FROM page_daily WHERE url = ? AND {where} ORDER BY day",  # noqa: S608
        [url, *params],
    )
    weeks: dict[date, list[int]] = {}
    for row in daily:
        day = date.fromisoformat(row["day"])
        monday = day - timedelta(days=day.weekday())
        entry = weeks.setdefault(monday, [0, 0])
        entry[0] += int(row["yes"])
        entry[1] += int(row["no"])
    trend: list[WeekTrend] = []
    if weeks:
        week, last = min(weeks), max(weeks)
        while week <= last:
            yes, no = weeks.get(week, [0, 0])
            trend.append(WeekTrend(week, yes, no))
            week += timedelta(days=7)
    reason_rows = await store.fetchall(
        f"SELECT reason, SUM(n) AS n FROM reason_daily WHERE url = ? AND {where} "  # noqa: S608
        "GROUP BY reason HAVING SUM(n) > 0 ORDER BY SUM(n) DESC, reason",
        [url, *params],
    )
    reasons = {row["reason"]: int(row["n"]) for row in reason_rows}
    yes = sum(w.yes for w in trend)
    no = sum(w.no for w in trend)
    comments = await list_comments(store, url=url, since=since, until=until, limit=1000)
    n, share, low, high, ranked = _figures(yes, no, min_responses)
    stat = PageStat(
        url, store.sections.group(url), yes, no, n, share, low, high, ranked, len(comments)
    )
    return PageDetail(stat, trend, reasons, comments)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float):
        return f"{value:.4f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(_cell(v) for v in value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text  # never a formula in Excel
    return text


def to_csv(rows: Iterable[Any], columns: Sequence[str] | None = None) -> bytes:
    """Dataclass rows (or NamedTuples) as CSV for Excel in Swedish: UTF-8 BOM, ``;``.

    ``columns`` defaults to the first row's field names; give it so an empty
    list still has its header line.
    """
    rows = list(rows)
    if columns is None and rows:
        first = rows[0]
        if dataclasses.is_dataclass(first):
            columns = [f.name for f in dataclasses.fields(first)]
        else:
            columns = list(first._fields)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if columns:
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_cell(getattr(row, c)) for c in columns)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- figures for the dashboard: daily totals, periods, before/after -------------------


class DayTotal(NamedTuple):
    """Votes of one UTC day."""

    day: date
    """The day."""
    yes: int
    """"Ja" votes that day."""
    no: int
    """"Nej" votes that day."""


MAX_FILLED_DAYS = 3660
"""Longest span :func:`daily_totals` fills with empty days (beyond: only the data's span)."""


async def daily_totals(
    store: FeedbackStore,
    *,
    since: date | None = None,
    until: date | None = None,
    section: str | None = None,
) -> list[DayTotal]:
    """Votes per UTC day over every page (or one ``section``), oldest first.

    Days without votes are included from ``since`` (or the first day with
    votes) to ``until`` (or the last day with votes), so a chart shows the
    quiet days too; a span longer than :data:`MAX_FILLED_DAYS` is cut to the
    days that have data.
    """
    where, params = _day_filter("day", since, until)
    sums: dict[date, list[int]] = {}
    if section is None:
        rows = await store.fetchall(
            f"SELECT day, SUM(yes) AS yes, SUM(no) AS no FROM page_daily WHERE {where} "  # noqa: S608
            "GROUP BY day",
            params,
        )
        for row in rows:
            sums[date.fromisoformat(row["day"])] = [int(row["yes"]), int(row["no"])]
    else:
        rows = await store.fetchall(
            f"SELECT day, url, yes, no FROM page_daily WHERE {where}",  # noqa: S608
            params,
        )
        for row in rows:
            if store.sections.group(row["url"]) != section:
                continue
            entry = sums.setdefault(date.fromisoformat(row["day"]), [0, 0])
            entry[0] += int(row["yes"])
            entry[1] += int(row["no"])
    if not sums and (since is None or until is None):
        return []
    start = since if since is not None else min(sums)
    end = until if until is not None else max(sums)
    if (end - start).days > MAX_FILLED_DAYS:
        if not sums:
            return []
        start, end = max(start, min(sums)), min(end, max(sums))
    totals = []
    day = start
    while day <= end:
        yes, no = sums.get(day, (0, 0))
        totals.append(DayTotal(day, yes, no))
        day += timedelta(days=1)
    return totals


def previous_period(since: date, until: date) -> tuple[date, date]:
    """The period of equal length that ends the day before ``since`` (both inclusive)."""
    length = (until - since).days + 1
    return since - timedelta(days=length), since - timedelta(days=1)


async def page_period(
    store: FeedbackStore,
    url: str,
    *,
    since: date | None = None,
    until: date | None = None,
    min_responses: int,
) -> PageStat:
    """One page's figures in a period (cheaper than :func:`page_detail`: no trend, no texts)."""
    totals = await _page_totals(store, since, until, url=url)
    yes, no = totals.get(url, (0, 0))
    where, params = _day_filter("day", since, until)
    rows = await store.fetchall(
        f"SELECT COUNT(*) AS c FROM comments WHERE url = ? AND {where}",  # noqa: S608
        [url, *params],
    )
    n, share, low, high, ranked = _figures(yes, no, min_responses)
    return PageStat(
        url, store.sections.group(url), yes, no, n, share, low, high, ranked, int(rows[0]["c"])
    )


@dataclass(frozen=True, slots=True)
class ProportionTest:
    """Two shares compared with a two-sided two-proportion z-test (pooled)."""

    share_a: float
    """Share of "Ja" in the first group (e.g. before an edit)."""
    share_b: float
    """Share of "Ja" in the second group (e.g. after it)."""
    difference: float
    """``share_b - share_a``."""
    z: float
    """The test statistic."""
    p_value: float
    """Two-sided p-value; 1.0 when the test cannot say anything."""
    significant: bool
    """True when ``p_value < alpha``."""


def two_proportion_test(
    yes_a: int, n_a: int, yes_b: int, n_b: int, *, alpha: float = 0.05
) -> ProportionTest:
    """Is the share of "Ja" different between two groups? Pooled two-proportion z-test.

    z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b)) with p the pooled share.
    With an empty group, or when every vote of both groups is the same
    answer, there is no evidence of a difference: z = 0, p = 1.
    """
    share_a = yes_a / n_a if n_a > 0 else 0.0
    share_b = yes_b / n_b if n_b > 0 else 0.0
    difference = share_b - share_a
    if n_a <= 0 or n_b <= 0:
        return ProportionTest(share_a, share_b, difference, 0.0, 1.0, False)
    pooled = (yes_a + yes_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return ProportionTest(share_a, share_b, difference, 0.0, 1.0, False)
    z = difference / math.sqrt(variance)
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return ProportionTest(share_a, share_b, difference, z, p_value, p_value < alpha)
