"""The dashboard's list of pages, worst first."""

from __future__ import annotations

from aiohttp import web

from feedback import stats
from feedback.store import FEEDBACK
from ttsservice.dashboard.charts import interval_bar
from ttsservice.dashboard.views import (
    _HTML,
    _TAGS,
    PAGE_SIZE,
    View,
    _min_n,
    _query,
    _section_names,
    dashboard_page,
    read_filters,
    render,
    trend,
)
from ttsservice.web.openapi import operation


@operation(
    summary="Dashboard: worst pages with Wilson intervals and trends",
    tags=_TAGS,
    responses=_HTML,
    parameters=_query("since", "until", "section", "prefix", "offset", "lang"),
)
@dashboard_page()
async def pages(request: web.Request, view: View) -> web.StreamResponse:
    """Pages worst first (``feedback.stats.page_stats`` order), 50 per screen."""
    store = request.app[FEEDBACK]
    filters = read_filters(request)
    min_n = _min_n(request)
    current = await stats.page_stats(
        store,
        since=filters.since,
        until=filters.until,
        prefix=filters.prefix,
        section=filters.section,
        min_responses=min_n,
    )
    prev_since, prev_until = filters.previous
    previous = {
        p.url: p
        for p in await stats.page_stats(
            store,
            since=prev_since,
            until=prev_until,
            prefix=filters.prefix,
            section=filters.section,
            min_responses=min_n,
        )
    }
    try:
        offset = max(0, int(request.query.get("offset", "0")))
    except ValueError:
        offset = 0
    offset = min(offset, max(0, len(current) - 1)) // PAGE_SIZE * PAGE_SIZE
    shown = current[offset : offset + PAGE_SIZE]
    rows = [
        {
            "rank": offset + i + 1,
            "stat": p,
            "trend": trend(view.t, p, previous.get(p.url)),
            "bar": interval_bar(p.share, p.low, p.high, ranked=p.ranked),
        }
        for i, p in enumerate(shown)
    ]
    return await render(
        request,
        view,
        "pages.jinja2",
        {
            "title": view.t("pages_title"),
            "nav": "pages",
            "filters": filters,
            "sections": await _section_names(store, filters),
            "rows": rows,
            "total": len(current),
            "offset": offset,
            "page_size": PAGE_SIZE,
            "min_n": min_n,
            "prev_since": prev_since,
            "prev_until": prev_until,
        },
    )
