"""The visitors' half of the feedback API: votes, follow-up comments and the reasons list.

See :mod:`feedback.web` for the decisions a client should know (honeypot, repeats).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from feedback.guard import FEEDBACK_GUARD, FeedbackGuard, FeedbackMetrics
from feedback.pgvotes import VoteRefused
from feedback.records import VoteResult, new_id
from feedback.schema import ANSWERS, REASON_LANGUAGES, REASONS
from feedback.scrub import MAX_COMMENT_CHARS, clean_comment, scrub
from feedback.store import FEEDBACK
from feedback.urls import check_page_url
from ttsservice import keys
from ttsservice.errors import BadRequest, NotFound, RateLimited, ServiceError
from ttsservice.web.openapi import (
    error_ref,
    json_body,
    json_response,
    operation,
    page_url_schema,
)
from ttsservice.web.requests import field_str, read_json_object

_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
_NO_STORE = {"Cache-Control": "no-store"}

VISIBLE_PATTERN = (
    "[^\\s\\x00-\\x1f\\x7f-\\x9f"
    + "".join(
        f"\\u{low:04x}-\\u{high:04x}"
        for low, high in (
            *((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD)),
            *((0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E)),
            *((0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F)),
            *((0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB)),
        )
    )
    + "]"
)
"""A comment with something left after cleaning: a character that is not white space, a
control or (in the BMP) an invisible formatting character."""
_PAGE_URL_SCHEMA = page_url_schema(
    "The rated page: an absolute http(s) address on an allowed origin "
    "(TTS_ALLOWED_ORIGINS; others are answered 403).",
    2000,
)
_VOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "answer"],
    "properties": {
        "url": _PAGE_URL_SCHEMA,
        "answer": {"type": "string", "enum": list(ANSWERS)},
        "reasons": {
            "type": ["array", "null"],
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
        "website": {
            "description": "Honeypot: leave it out or empty. Any other value is answered 201 "
            "as if stored, and nothing is stored."
        },
    },
    "if": {"properties": {"answer": {"const": "yes"}}},
    "then": {"properties": {"reasons": {"maxItems": 0}}},
}
_CREATED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "scrubbed"],
    "properties": {
        "id": {"type": "string"},
        "scrubbed": {"type": "boolean", "description": "True if personal data was removed."},
    },
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


def _refused(guard: FeedbackGuard, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    return RateLimited(
        f"Too many votes from this connection: at most {guard.per_minute} a minute. "
        f"Try again in {seconds} seconds.",
        retry_after=seconds,
    )


async def _spend(guard: FeedbackGuard, client: bytes) -> None:
    wait = await guard.spend(client)
    if wait is not None:
        raise _refused(guard, wait)


async def _rate_limit(request: web.Request, guard: FeedbackGuard) -> bytes:
    client = guard.client_key(request.remote)
    await _spend(guard, client)
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
        "201": {
            **json_response("Stored (or a repeat of a vote just stored).", _CREATED_SCHEMA),
            "links": {
                "comment": {
                    "operationRef": "#/paths/~1api~1v1~1votes~1{id}~1comment/post",
                    "parameters": {"id": "$response.body#/id"},
                    "description": "Add a comment to this vote.",
                }
            },
        },
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
        client = guard.client_key(request.remote)
        try:
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
        except ServiceError:
            await _spend(guard, client)  # a refused vote counts too, and 429 comes first
            raise
        fingerprint = guard.fingerprint(client, "vote", url, answer, reasons, comment, token)
        # A plain vote on PostgreSQL is counted by the statement that stores it: one round
        # trip (feedback.pgvotes). Others (and repeats, answered without storing) count now.
        take = None
        if app[FEEDBACK].database_url and not (comment or token or guard.recent(fingerprint)):
            take = guard.shared_take(client)
        if take is None:
            await _spend(guard, client)
        cleaned = scrub(comment) if comment else None

        async def store_vote() -> dict[str, Any]:
            try:
                result: VoteResult = await app[FEEDBACK].add_vote(
                    url,
                    answer,
                    reasons,
                    comment=cleaned.text if cleaned else None,
                    scrubbed=bool(cleaned and cleaned.changed),
                    token=token,
                    take=take,
                )
            except VoteRefused as exc:
                raise _refused(guard, exc.wait) from None
            metrics.votes.labels(answer, app[FEEDBACK].sections.label(url)).inc()
            if cleaned is not None:
                metrics.comments.labels("scrubbed" if cleaned.changed else "stored").inc()
            return {"id": result.id, "scrubbed": bool(cleaned and cleaned.changed)}

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
                "comment": {
                    "type": "string",
                    "maxLength": MAX_COMMENT_CHARS,
                    "pattern": VISIBLE_PATTERN,
                    "description": "With something visible in it (not only spaces, control "
                    "or formatting characters).",
                },
                "reasons": {
                    "type": ["array", "null"],
                    "items": {"type": "string", "enum": list(REASONS)},
                },
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
        client = await _rate_limit(request, guard)
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
        {
            "name": "lang",
            "in": "query",
            "schema": {"type": "string", "enum": list(REASON_LANGUAGES)},
        }
    ],
    responses={
        "200": json_response("Reason codes and labels."),
        "400": error_ref("bad_lang: only sv, en, fi and ar."),
    },
)
async def get_reasons(request: web.Request) -> web.Response:
    """List reason codes with labels in Swedish (default), English, Finnish or Arabic."""
    lang = request.query.get("lang", "sv")
    if lang not in REASON_LANGUAGES:
        raise BadRequest(
            "The parameter 'lang' must be one of " + ", ".join(REASON_LANGUAGES) + ".",
            code="bad_lang",
        )
    body = {
        "lang": lang,
        "reasons": [{"code": code, "label": labels[lang]} for code, labels in REASONS.items()],
    }
    return web.json_response(body, headers={"Cache-Control": "public, max-age=3600"})
