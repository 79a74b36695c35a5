"""The dashboard's tables as CSV files."""

from __future__ import annotations

from aiohttp import web

from feedback import stats
from feedback.store import FEEDBACK
from ttsservice.dashboard.onepage import PeriodRow, _url_param, before_after
from ttsservice.dashboard.views import (
    _PAGE_ANSWERS,
    _TAGS,
    ReasonCount,
    View,
    _date,
    _min_n,
    _query,
    dashboard_page,
    read_filters,
)
from ttsservice.errors import BadRequest, NotFound
from ttsservice.web.openapi import operation

CSV_TABLES = ("overview", "pages", "sections", "weeks", "reasons", "comments", "before-after")
"""Every table the dashboard shows, downloadable as CSV."""


@operation(
    summary="Dashboard: a table as CSV (Excel in Swedish: UTF-8 BOM, semicolons)",
    tags=_TAGS,
    responses={"200": {"description": "CSV.", "content": {"text/csv": {}}}, **_PAGE_ANSWERS},
    parameters=[
        {"name": "table", "in": "path", "required": True, "schema": {"enum": list(CSV_TABLES)}},
        *_query("since", "until", "section", "prefix"),
        {
            "name": "url",
            "in": "query",
            "description": "The page, for weeks, reasons, comments and before-after (which "
            "need it and answer 400 without).",
            "schema": {"type": "string"},
        },
        {
            "name": "changed",
            "in": "query",
            "description": "The edit date, for before-after.",
            "schema": {"type": "string"},
        },
    ],
)
@dashboard_page()
async def csv_table(request: web.Request, view: View) -> web.StreamResponse:
    """overview, pages, sections (period filters); weeks, reasons, comments (``?url=``);
    before-after (``?url=&changed=``)."""
    store = request.app[FEEDBACK]
    table = request.match_info["table"]
    if table not in CSV_TABLES:
        raise NotFound(f"There is no table {table[:40]!r}.", code="not_found")
    filters = read_filters(request)
    min_n = _min_n(request)
    body: bytes
    if table == "overview":
        days = await stats.daily_totals(
            store, since=filters.since, until=filters.until, section=filters.section
        )
        body = stats.to_csv(days, stats.DayTotal._fields)
    elif table == "pages":
        rows = await stats.page_stats(
            store,
            since=filters.since,
            until=filters.until,
            prefix=filters.prefix,
            section=filters.section,
            min_responses=min_n,
        )
        body = stats.to_csv(rows, [f for f in stats.PageStat.__dataclass_fields__])
    elif table == "sections":
        sections_rows = await stats.section_stats(
            store, since=filters.since, until=filters.until, min_responses=min_n
        )
        body = stats.to_csv(sections_rows, [f for f in stats.SectionStat.__dataclass_fields__])
    elif table == "before-after":
        url = _url_param(request)
        changed = _date(request.query, "changed")
        if changed is None:
            raise BadRequest("Give the date of the edit as ?changed=.", code="bad_date")
        compared = await before_after(store, url, changed, store.today(), min_n)
        body = stats.to_csv(compared.rows(), PeriodRow._fields)
    else:
        url = _url_param(request)
        detail = await stats.page_detail(
            store, url, since=filters.since, until=filters.until, min_responses=min_n
        )
        if table == "weeks":
            body = stats.to_csv(detail.weeks, stats.WeekTrend._fields)
        elif table == "reasons":
            reasons = [ReasonCount(c, view.t.reason(c), n) for c, n in detail.reasons.items()]
            body = stats.to_csv(reasons, ReasonCount._fields)
        else:
            body = stats.to_csv(detail.comments, [f for f in stats.CommentRow.__dataclass_fields__])
    name = f"{table}-{filters.since.isoformat()}-{filters.until.isoformat()}.csv"
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
