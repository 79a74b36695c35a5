"""The web team's half of the feedback API: statistics and comment triage, behind
``Authorization: Bearer TTS_STATS_TOKEN``, as JSON or (``?format=csv``) CSV.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
from datetime import date
from typing import Any

from aiohttp import web

from feedback import stats
from feedback.schema import COMMENT_STATUSES
from feedback.store import FEEDBACK
from feedback.urls import normalize_url
from feedback.votes import _NO_STORE
from ttsservice import keys
from ttsservice.errors import BadRequest, NotFound, Unauthorized
from ttsservice.web.openapi import (
    error_ref,
    json_body,
    json_response,
    operation,
    page_url_schema,
)
from ttsservice.web.requests import field_str, read_json_object

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")
LIMIT_MAX = 10_000
"""Most comments one statistics request lists."""
OFFSET_MAX = 100_000_000
MIN_RESPONSES_MAX = 1_000_000
_STATS_PARAMS: list[dict[str, Any]] = [
    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
]
_MIN_RESPONSES_PARAM: dict[str, Any] = {
    "name": "min_responses",
    "in": "query",
    "description": "Fewest votes for a row to be ranked (default TTS_MIN_RESPONSES).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MIN_RESPONSES_MAX},
}


def _rows_ok(description: str) -> dict[str, Any]:
    """A 200 answered as JSON, or as CSV with ``?format=csv``."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }


_STATS_ERRORS = {
    "400": error_ref("bad_date, bad_format, bad_number, …"),
    "401": error_ref("unauthorized: missing or wrong bearer token."),
    "404": error_ref("stats_disabled: TTS_STATS_TOKEN is not set."),
}


# --- statistics endpoints --------------------------------------------------------
def _require_token(request: web.Request) -> None:
    expected = request.app[keys.SETTINGS].stats_token
    if not expected:
        raise NotFound(
            "The statistics API is off. Set TTS_STATS_TOKEN (or --stats-token) to a long "
            "random secret to turn it on, then send it as 'Authorization: Bearer …'.",
            code="stats_disabled",
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise Unauthorized(
            "Send the statistics token as 'Authorization: Bearer TOKEN' (TTS_STATS_TOKEN).",
            headers={"WWW-Authenticate": 'Bearer realm="ttsservice statistics"'},
        )


def _date(request: web.Request, name: str) -> date | None:
    """``?name=YYYY-MM-DD`` (RFC 3339 full-date, as the OpenAPI document says) or None if absent."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"The parameter {name!r} must be a date like 2026-03-01, got {raw[:40]!r}.",
            code="bad_date",
        ) from None


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """``?name=`` as a whole number of ASCII digits within [low, high], or ``default`` if absent."""
    raw = request.query.get(name)
    if raw is None:
        return default
    value = int(raw) if _DIGITS.fullmatch(raw) and len(raw) <= 12 else low - 1
    if not low <= value <= high:
        raise BadRequest(
            f"The parameter {name!r} must be a whole number from {low} to {high}.",
            code="bad_number",
        )
    return value


def _csv_wanted(request: web.Request) -> bool:
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("The parameter 'format' must be json or csv.", code="bad_format")
    return fmt == "csv"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows_response(
    request: web.Request,
    name: str,
    rows: list[Any],
    row_type: type,
    key: str,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    if _csv_wanted(request):
        body = stats.to_csv(rows, columns=[f.name for f in dataclasses.fields(row_type)])
        return web.Response(
            body=body,
            content_type="text/csv",
            charset="utf-8",
            headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return web.json_response({key: _jsonable(rows), **(extra or {})}, headers=_NO_STORE)


@operation(
    summary="Pages worst first, with yes/no, share and 95% Wilson interval",
    tags=["statistics"],
    security=[{"bearer": []}],
    parameters=[
        *_STATS_PARAMS,
        {"name": "prefix", "in": "query", "schema": {"type": "string"}},
        {"name": "section", "in": "query", "schema": {"type": "string"}},
        _MIN_RESPONSES_PARAM,
    ],
    responses={"200": _rows_ok("Pages (or CSV)."), **_STATS_ERRORS},
)
async def stats_pages(request: web.Request) -> web.Response:
    """Page statistics; pages under min_responses are last and not ranked."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    minimum = _int(request, "min_responses", settings.min_responses, 1, MIN_RESPONSES_MAX)
    rows = await stats.page_stats(
        request.app[FEEDBACK],
        since=_date(request, "since"),
        until=_date(request, "until"),
        prefix=request.query.get("prefix") or None,
        section=request.query.get("section") or None,
        min_responses=minimum,
    )
    extra = {"min_responses": minimum}
    return _rows_response(request, "pages", rows, stats.PageStat, "pages", extra)


@operation(
    summary="One page: figures, weekly trend, reasons and comments",
    tags=["statistics"],
    security=[{"bearer": []}],
    parameters=[
        {
            "name": "url",
            "in": "query",
            "required": True,
            "schema": page_url_schema("The page.", 2000),
        },
        *_STATS_PARAMS,
    ],
    responses={"200": _rows_ok("The page (CSV: the weekly trend)."), **_STATS_ERRORS},
)
async def stats_page_detail(request: web.Request) -> web.Response:
    """Detail of one page; the URL is normalised like votes' URLs."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    raw = request.query.get("url")
    if not raw:
        raise BadRequest("Give the page as ?url=https://…", code="missing_field")
    url = normalize_url(raw, keep_query=settings.keep_query, trailing_slash=settings.trailing_slash)
    detail = await stats.page_detail(
        request.app[FEEDBACK],
        url,
        since=_date(request, "since"),
        until=_date(request, "until"),
        min_responses=settings.min_responses,
    )
    if _csv_wanted(request):
        body = stats.to_csv(detail.weeks, columns=list(stats.WeekTrend._fields))
        return web.Response(
            body=body,
            content_type="text/csv",
            charset="utf-8",
            headers={**_NO_STORE, "Content-Disposition": 'attachment; filename="page-weeks.csv"'},
        )
    return web.json_response(
        {
            "page": _jsonable(detail.stat),
            "weeks": _jsonable(detail.weeks),
            "reasons": detail.reasons,
            "comments": _jsonable(detail.comments),
        },
        headers=_NO_STORE,
    )


@operation(
    summary="Sections (configured, or first path segment) with the same figures",
    tags=["statistics"],
    security=[{"bearer": []}],
    parameters=[
        *_STATS_PARAMS,
        _MIN_RESPONSES_PARAM,
    ],
    responses={"200": _rows_ok("Sections (or CSV)."), **_STATS_ERRORS},
)
async def stats_sections(request: web.Request) -> web.Response:
    """Section statistics, worst first."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    minimum = _int(request, "min_responses", settings.min_responses, 1, MIN_RESPONSES_MAX)
    rows = await stats.section_stats(
        request.app[FEEDBACK],
        since=_date(request, "since"),
        until=_date(request, "until"),
        min_responses=minimum,
    )
    extra = {"min_responses": minimum}
    return _rows_response(request, "sections", rows, stats.SectionStat, "sections", extra)


@operation(
    summary="Comments with their triage status, newest first",
    tags=["statistics"],
    security=[{"bearer": []}],
    parameters=[
        *_STATS_PARAMS,
        {"name": "status", "in": "query", "schema": {"enum": list(COMMENT_STATUSES)}},
        {
            "name": "url",
            "in": "query",
            "schema": {
                "anyOf": [
                    page_url_schema("Only this page.", 2000),
                    {"type": "string", "maxLength": 0},
                ]
            },
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": 100},
        },
        {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0},
        },
    ],
    responses={"200": _rows_ok("Comments (or CSV)."), **_STATS_ERRORS},
)
async def stats_comments(request: web.Request) -> web.Response:
    """List comments by status, page and period."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    status = request.query.get("status")
    if status is not None and status not in COMMENT_STATUSES:
        raise BadRequest(
            f"The parameter 'status' must be one of {', '.join(COMMENT_STATUSES)}.",
            code="bad_status",
        )
    raw_url = request.query.get("url")
    url = (
        normalize_url(
            raw_url, keep_query=settings.keep_query, trailing_slash=settings.trailing_slash
        )
        if raw_url
        else None
    )
    rows = await stats.list_comments(
        request.app[FEEDBACK],
        status=status,
        url=url,
        since=_date(request, "since"),
        until=_date(request, "until"),
        limit=_int(request, "limit", 100, 1, LIMIT_MAX),
        offset=_int(request, "offset", 0, 0, OFFSET_MAX),
    )
    return _rows_response(request, "comments", rows, stats.CommentRow, "comments")


@operation(
    summary="Set a comment's triage status (ny, läst, åtgärdad, ej_åtgärdbar + reason)",
    tags=["statistics"],
    security=[{"bearer": []}],
    requestBody=json_body(
        {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": list(COMMENT_STATUSES)},
                "reason": {"type": ["string", "null"], "maxLength": 500},
            },
            "description": "'ej_åtgärdbar' needs a reason with words in it.",
            "if": {"properties": {"status": {"const": "ej_åtgärdbar"}}},
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": "[^\\s]"}},
            },
        }
    ),
    responses={
        "200": json_response("The updated comment."),
        "400": error_ref("bad_status, missing_reason, bad_json"),
        "401": error_ref("unauthorized"),
        "404": error_ref("unknown_comment or stats_disabled"),
    },
)
async def stats_comment_status(request: web.Request) -> web.Response:
    """Triage one comment."""
    _require_token(request)
    data = await read_json_object(request)
    status = field_str(data, "status")
    assert status is not None
    reason = field_str(data, "reason", required=False, max_length=500)
    row = await stats.set_comment_status(
        request.app[FEEDBACK], request.match_info["id"], status, reason
    )
    return web.json_response({"comment": _jsonable(row)}, headers=_NO_STORE)
