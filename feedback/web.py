"""The feedback HTTP API: votes, follow-up comments, reasons and the statistics endpoints.

Visitors (through the widget, cross-origin from allowed portals):

- ``POST /api/v1/votes`` → 201 ``{"id", "scrubbed"}``
- ``POST /api/v1/votes/{id}/comment`` → 201 ``{"id", "scrubbed"}``
- ``GET /api/v1/feedback/reasons?lang=sv|en``

Decisions a client should know:

- **Honeypot**: a non-empty ``website`` field is answered exactly like a
  stored vote (201 with an id) so a bot learns nothing, but nothing is
  stored; it is counted as rejection ``honeypot``.
- **Repeats**: an identical submission within a few seconds is answered
  201 with the *same* id, not 409 (a double click is not an error); it is
  counted as rejection ``duplicate``. With the widget's consent ``token``,
  a later vote on the same page replaces the earlier one.

The web team (``Authorization: Bearer TTS_STATS_TOKEN``; every list also
with ``?format=csv``): ``/api/v1/stats/pages``, ``/api/v1/stats/pages/detail``,
``/api/v1/stats/sections``, ``/api/v1/stats/comments`` and
``PATCH /api/v1/stats/comments/{id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from feedback import stats
from feedback.guard import FEEDBACK_GUARD, FeedbackGuard, FeedbackMetrics
from feedback.records import VoteResult, new_id
from feedback.schema import ANSWERS, COMMENT_STATUSES, REASONS
from feedback.scrub import MAX_COMMENT_CHARS, clean_comment, scrub
from feedback.store import FEEDBACK, FeedbackStore
from feedback.urls import Sections, check_page_url, normalize_url
from ttsservice import keys, sharedkeys
from ttsservice.errors import BadRequest, NotFound, RateLimited, ServiceError, Unauthorized
from ttsservice.reading.model import PAGE_OBSERVERS
from ttsservice.web.health import READINESS_CHECKS, Check
from ttsservice.web.openapi import error_ref, json_body, json_response, operation
from ttsservice.web.requests import field_str, read_json_object

__all__ = ["setup"]

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ttsservice.reading.model import Reading

RETENTION_INTERVAL = 6 * 3600.0
"""Seconds between retention runs (the first runs at start)."""

_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
_NO_STORE = {"Cache-Control": "no-store"}

_VOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "answer"],
    "properties": {
        "url": {"type": "string", "description": "The rated page (on an allowed origin)."},
        "answer": {"type": "string", "enum": list(ANSWERS)},
        "reasons": {
            "type": "array",
            "items": {"type": "string", "enum": list(REASONS)},
            "description": "Why not (only with answer 'no').",
        },
        "comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT_CHARS},
        "token": {
            "type": ["string", "null"],
            "minLength": 16,
            "maxLength": 200,
            "description": "The widget's random token, sent only after consent; a later vote "
            "with it replaces the earlier one on the same page.",
        },
        "website": {"type": "string", "description": "Honeypot: leave empty."},
    },
}
_CREATED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "scrubbed"],
    "properties": {
        "id": {"type": "string"},
        "scrubbed": {"type": "boolean", "description": "True if personal data was removed."},
    },
}
_STATS_PARAMS: list[dict[str, Any]] = [
    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
]
_STATS_ERRORS = {
    "400": error_ref("bad_date, bad_format, bad_number, …"),
    "401": error_ref("unauthorized: missing or wrong bearer token."),
    "404": error_ref("stats_disabled: TTS_STATS_TOKEN is not set."),
}


# --- reading the request -------------------------------------------------------------------
def _reasons(data: dict[str, Any], answer: str | None) -> list[str]:
    value = data.get("reasons")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest("The field 'reasons' must be a list of reason codes.", code="bad_reason")
    unknown = [v for v in value if v not in REASONS]
    if unknown:
        raise BadRequest(
            f"Unknown reason {unknown[0][:40]!r}; use {', '.join(REASONS)}.",
            code="bad_reason",
            details={"allowed": list(REASONS)},
        )
    if value and answer == "yes":
        raise BadRequest("Reasons explain a 'no' answer; send none with 'yes'.", code="bad_reason")
    return sorted(set(value))


def _comment(data: dict[str, Any], *, required: bool) -> str | None:
    raw = data.get("comment")
    if raw is None and not required:
        return None
    if not isinstance(raw, str):
        if raw is None:
            raise BadRequest("The field 'comment' is required.", code="missing_field")
        raise BadRequest("The field 'comment' must be a string.", code="invalid_field")
    text = clean_comment(raw)
    if len(text) > MAX_COMMENT_CHARS:
        raise BadRequest(
            f"The comment is too long: at most {MAX_COMMENT_CHARS} characters, got {len(text)}.",
            code="comment_too_long",
            details={"max": MAX_COMMENT_CHARS, "length": len(text)},
        )
    if not text:
        if required:
            raise BadRequest("The comment is empty; write something first.", code="empty_comment")
        return None
    return text


def _token(data: dict[str, Any]) -> str | None:
    token = field_str(data, "token", required=False, max_length=200)
    if token is not None and len(token) < 16:
        raise BadRequest(
            "The field 'token' must be the widget's random token (16 to 200 characters).",
            code="invalid_field",
        )
    return token or None


def _honeypot(data: dict[str, Any]) -> bool:
    value = data.get("website")
    return value not in (None, "")


def _rate_limit(request: web.Request, guard: FeedbackGuard) -> bytes:
    client = guard.client_key(request.remote)
    wait = guard.take(client)
    if wait is not None:
        raise RateLimited(
            f"Too many votes from this connection: at most {guard.per_minute} a minute. "
            f"Try again in {wait} seconds.",
            retry_after=wait,
        )
    return client


async def _once(
    guard: FeedbackGuard, fingerprint: bytes, store: Callable[[], Awaitable[dict[str, Any]]]
) -> tuple[dict[str, Any], bool]:
    """Run ``store`` unless an identical submission is recent; (answer, was_duplicate)."""
    earlier = guard.recent(fingerprint)
    if earlier is not None:
        try:
            return dict(await asyncio.shield(earlier)), True
        except asyncio.CancelledError:
            if not earlier.cancelled():
                raise  # this request itself is being cancelled
        except Exception:  # noqa: S110 - the first attempt failed: this one stores
            pass
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    guard.remember(fingerprint, future)
    try:
        body = await store()
    except BaseException as exc:
        guard.forget(fingerprint)
        if isinstance(exc, Exception):
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning
        else:
            future.cancel()
        raise
    future.set_result(body)
    return body, False


def _count_rejection(metrics: FeedbackMetrics, exc: BaseException, had_comment: bool) -> None:
    if isinstance(exc, ServiceError):
        reason = exc.code
    elif isinstance(exc, web.HTTPRequestEntityTooLarge):
        reason = "request_too_large"
    elif isinstance(exc, web.HTTPException):
        reason = "other"
    else:
        return
    metrics.reject(reason)
    if had_comment:
        metrics.comments.labels("rejected").inc()


async def _read_submission(
    request: web.Request, metrics: FeedbackMetrics
) -> tuple[dict[str, Any] | None, bool]:
    """The JSON body and whether it carries a comment; None for a honeypot hit (counted)."""
    data = await read_json_object(request)
    had_comment = isinstance(data.get("comment"), str) and bool(data["comment"].strip())
    if _honeypot(data):
        metrics.reject("honeypot")
        if had_comment:
            metrics.comments.labels("rejected").inc()
        return None, had_comment
    return data, had_comment


# --- visitor endpoints ---------------------------------------------------------
@operation(
    summary="Vote on a page: helpful or not, with optional reasons and comment",
    tags=["feedback"],
    requestBody=json_body(_VOTE_SCHEMA),
    responses={
        "201": json_response("Stored (or a repeat of a vote just stored).", _CREATED_SCHEMA),
        "400": error_ref("bad_answer, bad_reason, comment_too_long, bad_url, bad_json, …"),
        "403": error_ref("page_not_allowed: the page is not on an allowed origin."),
        "415": error_ref("unsupported_media_type: send application/json."),
        "429": error_ref("rate_limited: too many votes; see Retry-After."),
        "503": error_ref("overloaded: too many votes waiting to be saved; see Retry-After."),
    },
)
async def post_vote(request: web.Request) -> web.Response:
    """Store a vote; answer 201 only once it is committed to disk."""
    app = request.app
    guard = app[FEEDBACK_GUARD]
    metrics = guard.metrics
    had_comment = False
    try:
        data, had_comment = await _read_submission(request, metrics)
        if data is None:  # a bot filled the hidden field: it is told all went well
            return web.json_response(
                {"id": new_id(), "scrubbed": False}, status=201, headers=_NO_STORE
            )
        client = _rate_limit(request, guard)
        raw_answer = data.get("answer")
        if raw_answer not in ANSWERS:
            raise BadRequest(
                "The field 'answer' must be 'yes' or 'no'.",
                code="bad_answer",
            )
        answer = str(raw_answer)
        reasons = _reasons(data, answer)
        url_text = field_str(data, "url")
        assert url_text is not None
        url = check_page_url(url_text, app[keys.SETTINGS])
        comment = _comment(data, required=False)
        token = _token(data)
        cleaned = scrub(comment) if comment else None

        async def store_vote() -> dict[str, Any]:
            result: VoteResult = await app[FEEDBACK].add_vote(
                url,
                answer,
                reasons,
                comment=cleaned.text if cleaned else None,
                scrubbed=bool(cleaned and cleaned.changed),
                token=token,
            )
            metrics.votes.labels(answer, app[FEEDBACK].sections.label(url)).inc()
            if cleaned is not None:
                metrics.comments.labels("scrubbed" if cleaned.changed else "stored").inc()
            return {"id": result.id, "scrubbed": bool(cleaned and cleaned.changed)}

        fingerprint = guard.fingerprint(client, "vote", url, answer, reasons, comment, token)
        body, duplicate = await _once(guard, fingerprint, store_vote)
        if duplicate:
            metrics.reject("duplicate")
    except (ServiceError, web.HTTPException) as exc:
        _count_rejection(metrics, exc, had_comment)
        raise
    return web.json_response(body, status=201, headers=_NO_STORE)


@operation(
    summary="Add a comment (and reasons) to an earlier vote",
    tags=["feedback"],
    requestBody=json_body(
        {
            "type": "object",
            "required": ["comment"],
            "properties": {
                "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS},
                "reasons": {"type": "array", "items": {"type": "string", "enum": list(REASONS)}},
            },
        }
    ),
    responses={
        "201": json_response("Stored.", _CREATED_SCHEMA),
        "400": error_ref("comment_too_long, empty_comment, bad_reason, bad_json, …"),
        "404": error_ref("unknown_vote: no such vote (or deleted)."),
        "409": error_ref("comment_exists: the vote already has its comment."),
        "429": error_ref("rate_limited: see Retry-After."),
    },
)
async def post_comment(request: web.Request) -> web.Response:
    """Attach a scrubbed comment to a vote (one per vote)."""
    app = request.app
    guard = app[FEEDBACK_GUARD]
    metrics = guard.metrics
    had_comment = False
    try:
        data, had_comment = await _read_submission(request, metrics)
        if data is None:  # a bot filled the hidden field: it is told all went well
            return web.json_response(
                {"id": new_id(), "scrubbed": False}, status=201, headers=_NO_STORE
            )
        client = _rate_limit(request, guard)
        vote_id = request.match_info["id"]
        comment = _comment(data, required=True)
        assert comment is not None
        reasons = _reasons(data, None)
        if not _ID.match(vote_id):
            raise NotFound("There is no vote with this id.", code="unknown_vote")
        cleaned = scrub(comment)

        async def store_comment() -> dict[str, Any]:
            comment_id, _ = await app[FEEDBACK].add_comment(
                vote_id, cleaned.text, scrubbed=cleaned.changed, reasons=reasons
            )
            metrics.comments.labels("scrubbed" if cleaned.changed else "stored").inc()
            return {"id": comment_id, "scrubbed": cleaned.changed}

        fingerprint = guard.fingerprint(client, "comment", vote_id, comment, reasons)
        body, duplicate = await _once(guard, fingerprint, store_comment)
        if duplicate:
            metrics.reject("duplicate")
    except (ServiceError, web.HTTPException) as exc:
        _count_rejection(metrics, exc, had_comment)
        raise
    return web.json_response(body, status=201, headers=_NO_STORE)


@operation(
    summary="The reasons a 'no' can carry, with labels",
    tags=["feedback"],
    parameters=[
        {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["sv", "en"]}}
    ],
    responses={
        "200": json_response("Reason codes and labels."),
        "400": error_ref("bad_lang: only sv and en."),
    },
)
async def get_reasons(request: web.Request) -> web.Response:
    """List reason codes with Swedish (default) or English labels."""
    lang = request.query.get("lang", "sv")
    if lang not in ("sv", "en"):
        raise BadRequest("The parameter 'lang' must be sv or en.", code="bad_lang")
    body = {
        "lang": lang,
        "reasons": [{"code": code, "label": labels[lang]} for code, labels in REASONS.items()],
    }
    return web.json_response(body, headers={"Cache-Control": "public, max-age=3600"})


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
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"The parameter {name!r} must be a date like 2026-03-01, got {raw[:40]!r}.",
            code="bad_date",
        ) from None


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
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
        {"name": "min_responses", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    ],
    responses={"200": json_response("Pages (or CSV)."), **_STATS_ERRORS},
)
async def stats_pages(request: web.Request) -> web.Response:
    """Page statistics; pages under min_responses are last and not ranked."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    minimum = _int(request, "min_responses", settings.min_responses, 1, 1_000_000)
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
        {"name": "url", "in": "query", "required": True, "schema": {"type": "string"}},
        *_STATS_PARAMS,
    ],
    responses={"200": json_response("The page (CSV: the weekly trend)."), **_STATS_ERRORS},
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
        {"name": "min_responses", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    ],
    responses={"200": json_response("Sections (or CSV)."), **_STATS_ERRORS},
)
async def stats_sections(request: web.Request) -> web.Response:
    """Section statistics, worst first."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    minimum = _int(request, "min_responses", settings.min_responses, 1, 1_000_000)
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
        {"name": "url", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 10000}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ],
    responses={"200": json_response("Comments (or CSV)."), **_STATS_ERRORS},
)
async def stats_comments(request: web.Request) -> web.Response:
    """List comments by status, page and period."""
    _require_token(request)
    settings = request.app[keys.SETTINGS]
    status = request.query.get("status") or None
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
        limit=_int(request, "limit", 100, 1, 10_000),
        offset=_int(request, "offset", 0, 0, 100_000_000),
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


# --- wiring ----------------------------------------------------------------------
async def retention_loop(store: FeedbackStore, comment_days: int, vote_days: int) -> None:
    """Delete expired comments and raw votes now and every :data:`RETENTION_INTERVAL`."""
    while True:
        try:
            result = await store.purge(
                comment_days=comment_days, vote_days=vote_days, always_audit=False
            )
            if result.comments or result.votes:
                logger.info(
                    "retention: deleted %d comments and %d votes", result.comments, result.votes
                )
        except Exception:
            logger.exception("retention run failed; trying again later")
        await asyncio.sleep(RETENTION_INTERVAL)


class PageChangeNotes:
    """Keeps the change dates pages state about themselves when the service reads them.

    The dashboard marks the latest on the page's trend and compares the answers
    before and after it. Each (page, date) is written once; the few hundred
    pages of a portal are remembered here so repeat readings cost nothing.
    """

    REMEMBERED = 10_000

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._noted: dict[str, date] = {}

    async def __call__(self, reading: Reading) -> None:
        """Note ``reading``'s change date for its page, when it has one."""
        if reading.modified is None or reading.url is None:
            return
        try:
            url = check_page_url(reading.url, self._app[keys.SETTINGS])
        except ServiceError:
            return
        store = self._app.get(FEEDBACK)
        if store is None or self._noted.get(url) == reading.modified:
            return
        if reading.modified > store.today() + timedelta(days=1):
            return  # a date ahead is a publishing plan or a typo, not a change
        try:
            await store.note_page_change(url, reading.modified)
        except (ServiceError, RuntimeError) as exc:  # busy or closing: a later reading notes it
            logger.warning("the change date of %s was not saved: %s", url, exc)
            return
        if len(self._noted) >= self.REMEMBERED:
            self._noted.clear()
        self._noted[url] = reading.modified


def setup(app: web.Application) -> None:
    """Open the feedback store at start, add the routes, the readiness check and metrics."""
    settings = app[keys.SETTINGS]
    sections = Sections.from_settings(settings)
    metrics = FeedbackMetrics(app[keys.REGISTRY], sections.names)
    app[FEEDBACK_GUARD] = FeedbackGuard(
        settings.votes_per_minute,
        metrics,
        daily_salt=functools.partial(app[keys.SHARED_KEYS].daily_salt, sharedkeys.VOTE_LIMIT_SALT),
    )

    async def feedback_ctx(app: web.Application) -> AsyncIterator[None]:
        store = FeedbackStore(
            settings.db_path,
            sections=sections,
            observe=metrics.observe_db,
            database_url=settings.database_url,
        )
        await store.open()
        app[FEEDBACK] = store
        retention = asyncio.create_task(
            retention_loop(store, settings.comment_retention_days, settings.vote_retention_days),
            name="feedback-retention",
        )
        try:
            yield
        finally:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            await store.close()

    async def database_check() -> Check:
        store = app.get(FEEDBACK)
        if store is None:
            return Check("database", "failed", "the feedback database is not open yet")
        where = "TTS_DATABASE_URL" if settings.database_url else str(settings.db_path)
        hint = (
            "check that PostgreSQL is running and reachable"
            if settings.database_url
            else "check the folder's permissions and free space"
        )
        try:
            await store.check_writable()
        except Exception as exc:
            return Check(
                "database",
                "failed",
                f"the feedback database at {where} is not writable ({exc!r}); {hint}",
            )
        return Check("database", "ok", "writable")

    app.cleanup_ctx.append(feedback_ctx)
    app[READINESS_CHECKS].append(database_check)
    app[PAGE_OBSERVERS].append(PageChangeNotes(app))
    router = app.router
    router.add_post("/api/v1/votes", post_vote)
    router.add_post("/api/v1/votes/{id}/comment", post_comment)
    router.add_get("/api/v1/feedback/reasons", get_reasons)
    router.add_get("/api/v1/stats/pages", stats_pages)
    router.add_get("/api/v1/stats/pages/detail", stats_page_detail)
    router.add_get("/api/v1/stats/sections", stats_sections)
    router.add_get("/api/v1/stats/comments", stats_comments)
    router.add_patch("/api/v1/stats/comments/{id}", stats_comment_status)
    router.add_post("/api/v1/stats/comments/{id}", stats_comment_status)
