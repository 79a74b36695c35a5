"""The dashboard's page about one page: its figures, reasons, comments,
before and after a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from aiohttp import web

from feedback import stats
from feedback.stats import COMMENT_STATUSES
from feedback.store import FEEDBACK, FeedbackStore
from ttsservice.dashboard.charts import interval_bar, stacked_bars
from ttsservice.dashboard.triage import TRIAGE_ERRORS
from ttsservice.dashboard.views import (
    _HTML,
    _TAGS,
    ReasonCount,
    View,
    _date,
    _min_n,
    _query,
    dashboard_page,
    read_filters,
    render,
)
from ttsservice.errors import BadRequest
from ttsservice.web.openapi import operation

BEFORE_AFTER_MAX_DAYS = 56
"""Longest window compared before and after an edit (8 weeks each side)."""


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """A page's figures before and after an edit."""

    changed: date
    """The day of the edit (counted as "after")."""
    before: stats.PageStat
    """The window before."""
    after: stats.PageStat
    """The window from the edit on."""
    before_since: date
    """First day of the window before."""
    before_until: date
    """Last day of the window before (the day before the edit)."""
    after_until: date
    """Last day of the window after."""
    test: stats.ProportionTest
    """The two-proportion test of before against after."""

    def rows(self) -> list[PeriodRow]:
        """The before/after table as rows (the CSV download)."""
        before_row = PeriodRow(
            "before", self.before_since, self.before_until, *_figures(self.before), None, None
        )
        after_row = PeriodRow(
            "after",
            self.changed,
            self.after_until,
            *_figures(self.after),
            self.test.p_value,
            self.test.significant,
        )
        return [before_row, after_row]


def _figures(stat: stats.PageStat) -> tuple[int, int, int, float, float, float]:
    return stat.yes, stat.no, stat.n, stat.share, stat.low, stat.high


class PeriodRow(NamedTuple):
    """One row of the before/after table."""

    period: str
    """before or after."""
    since: date
    """First day."""
    until: date
    """Last day."""
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
    p_value: float | None
    """Two-proportion z-test of after against before (on the after row)."""
    significant: bool | None
    """Whether that difference is significant at 5 % (on the after row)."""


async def before_after(
    store: FeedbackStore, url: str, changed: date, today: date, min_n: int
) -> BeforeAfter:
    """Equal windows either side of ``changed`` (up to 8 weeks, as long as there is after)."""
    if changed > today:
        raise BadRequest("The date of the edit is in the future.", code="bad_changed")
    length = min(BEFORE_AFTER_MAX_DAYS, (today - changed).days + 1)
    before_since = changed - timedelta(days=length)
    after_until = changed + timedelta(days=length - 1)
    before_until = changed - timedelta(days=1)
    before = await stats.page_period(
        store, url, since=before_since, until=before_until, min_responses=min_n
    )
    after = await stats.page_period(
        store, url, since=changed, until=after_until, min_responses=min_n
    )
    test = stats.two_proportion_test(before.yes, before.n, after.yes, after.n)
    return BeforeAfter(changed, before, after, before_since, before_until, after_until, test)


def _url_param(request: web.Request) -> str:
    url = request.query.get("url", "").strip()
    if not url or len(url) > 2000:
        raise BadRequest("Give the page's address as ?url=.", code="missing_url")
    return url


@operation(
    summary="Dashboard: one page's trend, reasons, comments and before/after an edit",
    tags=_TAGS,
    responses=_HTML,
    parameters=_query("url", "since", "until", "changed", "lang", required=("url",)),
)
@dashboard_page()
async def page(request: web.Request, view: View) -> web.StreamResponse:
    """One page in depth, with triage buttons on each comment."""
    store = request.app[FEEDBACK]
    url = _url_param(request)
    filters = read_filters(request)
    min_n = _min_n(request)
    detail = await stats.page_detail(
        store, url, since=filters.since, until=filters.until, min_responses=min_n
    )
    changed = _date(request.query, "changed")
    # The dates the page itself gave when the service read it; the latest is used
    # unless the web team asks for another.
    stated = [day for day in await store.page_changes(url) if day <= store.today()]
    if changed is None and stated:
        changed = stated[0]
    compared = await before_after(store, url, changed, store.today(), min_n) if changed else None
    t = view.t
    weeks = [
        (t("week_short", week=w.week_start.isocalendar().week), w.yes, w.no) for w in detail.weeks
    ]
    mark = None
    if changed is not None:
        monday = changed - timedelta(days=changed.weekday())
        starts = [w.week_start for w in detail.weeks]
        if monday in starts:
            mark = (starts.index(monday), t("changed_mark", day=t.day(changed)))
    chart = stacked_bars(
        "weekly",
        t("chart_weekly"),
        t("chart_weekly_desc"),
        weeks,
        yes_label=t("yes"),
        no_label=t("no"),
        mark=mark,
    )
    reasons = [ReasonCount(code, t.reason(code), n) for code, n in detail.reasons.items()]
    return await render(
        request,
        view,
        "page.jinja2",
        {
            "title": t("page_title", url=url),
            "nav": "pages",
            "url": url,
            "filters": filters,
            "detail": detail,
            "bar": interval_bar(
                detail.stat.share, detail.stat.low, detail.stat.high, ranked=detail.stat.ranked
            ),
            "chart": chart,
            "reasons": reasons,
            "compared": compared,
            "changed": changed,
            "stated": stated[:5],
            "statuses": list(COMMENT_STATUSES),
            "triaged": request.query.get("triaged"),
            "error": request.query.get("error"),
            "triage_errors": TRIAGE_ERRORS,
            "error_comment": request.query.get("comment"),
            "back": request.path_qs,
            "min_n": min_n,
        },
    )
