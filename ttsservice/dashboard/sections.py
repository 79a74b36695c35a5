"""The dashboard's figures per section of the site."""

from __future__ import annotations

from aiohttp import web

from feedback import stats
from feedback.store import FEEDBACK
from ttsservice.dashboard.charts import interval_bar
from ttsservice.dashboard.views import (
    _HTML,
    _TAGS,
    View,
    _min_n,
    dashboard_page,
    read_filters,
    render,
    trend,
)
from ttsservice.web.openapi import operation


@operation(summary="Dashboard: figures per section", tags=_TAGS, responses=_HTML)
@dashboard_page()
async def sections(request: web.Request, view: View) -> web.StreamResponse:
    """Every section, worst first, with intervals and trends."""
    store = request.app[FEEDBACK]
    filters = read_filters(request)
    min_n = _min_n(request)
    current = await stats.section_stats(
        store, since=filters.since, until=filters.until, min_responses=min_n
    )
    prev_since, prev_until = filters.previous
    previous = {
        s.section: s
        for s in await stats.section_stats(
            store, since=prev_since, until=prev_until, min_responses=min_n
        )
    }
    rows = [
        {
            "stat": s,
            "trend": trend(view.t, s, previous.get(s.section)),
            "bar": interval_bar(s.share, s.low, s.high, ranked=s.ranked),
        }
        for s in current
    ]
    return await render(
        request,
        view,
        "sections.jinja2",
        {
            "title": view.t("sections_title"),
            "nav": "sections",
            "filters": filters,
            "rows": rows,
            "min_n": min_n,
            "prev_since": prev_since,
            "prev_until": prev_until,
        },
    )
