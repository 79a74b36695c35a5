"""The dashboard's first page: the figures of the whole site and its trend."""

from __future__ import annotations

from aiohttp import web

from feedback import stats
from feedback.store import FEEDBACK
from ttsservice.dashboard.charts import share_line, stacked_bars
from ttsservice.dashboard.views import (
    _HTML,
    _TAGS,
    View,
    _section_names,
    dashboard_page,
    read_filters,
    render,
)
from ttsservice.web.openapi import operation


@operation(
    summary="Dashboard overview: votes per day and share helped", tags=_TAGS, responses=_HTML
)
@dashboard_page()
async def overview(request: web.Request, view: View) -> web.StreamResponse:
    """Votes per day (stacked) and the share of "Ja" over time, with tables."""
    store = request.app[FEEDBACK]
    filters = read_filters(request)
    days = await stats.daily_totals(
        store, since=filters.since, until=filters.until, section=filters.section
    )
    new = await stats.list_comments(
        store, status="ny", since=filters.since, until=filters.until, limit=1000
    )
    if filters.section is not None:
        new = [c for c in new if c.section == filters.section]
    yes = sum(d.yes for d in days)
    no = sum(d.no for d in days)
    low, high = stats.wilson(yes, yes + no)
    t = view.t
    period = {"since": t.day(filters.since), "until": t.day(filters.until)}
    labels = [d.day.strftime("%m-%d") for d in days]
    bars = stacked_bars(
        "daily",
        t("chart_daily"),
        t("chart_daily_desc", **period),
        [(label, d.yes, d.no) for label, d in zip(labels, days, strict=True)],
        yes_label=t("yes"),
        no_label=t("no"),
    )
    line = share_line(
        "share",
        t("chart_share"),
        t("chart_share_desc", **period),
        [
            (label, d.yes / (d.yes + d.no) if d.yes + d.no else None)
            for label, d in zip(labels, days, strict=True)
        ],
        percent=" %" if t.lang == "sv" else "%",
    )
    return await render(
        request,
        view,
        "overview.jinja2",
        {
            "title": t("overview_title"),
            "nav": "overview",
            "filters": filters,
            "sections": await _section_names(store, filters),
            "days": days,
            "yes": yes,
            "no": no,
            "share": yes / (yes + no) if yes + no else None,
            "low": low,
            "high": high,
            "new_comments": len(new),
            "bars": bars,
            "line": line,
        },
    )
