"""What every dashboard page shares: its state, the view, rendering, filters, errors.

The pages themselves live one per module: :mod:`.signin`, :mod:`.overview`,
:mod:`.pagelist` (worst pages), :mod:`.onepage`, :mod:`.sections`,
:mod:`.triage` and :mod:`.csvexport`.

Every figure comes from :mod:`feedback.stats` (and triage goes through its
``set_comment_status``); the dashboard keeps no statistics of its own.
Pages are rendered with Jinja2 in the CPU executor, served with a strict
Content-Security-Policy (no script at all, styles from our own file) and
never cached.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import jinja2
from aiohttp import web
from multidict import MultiMapping

from feedback import stats
from feedback.store import FEEDBACK, FeedbackStore
from ttsservice import keys
from ttsservice.dashboard.auth import (
    Accounts,
    LoginLimiter,
    Session,
    SessionSigner,
)
from ttsservice.dashboard.strings import Texts, pick_lang
from ttsservice.errors import BadRequest, ServiceError
from ttsservice.web.openapi import operation
from ttsservice.web.requests import read_form

logger = logging.getLogger(__name__)

COOKIE = "tts_dashboard"
"""Name of the session cookie (path /dashboard)."""

PAGE_SIZE = 50
"""Rows per screen of the worst-pages list (the CSV has them all)."""

DEFAULT_DAYS = 30
"""The period shown when no dates are given: the last 30 days."""

EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)
_DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""Dates the filters accept (periods before them could not even be computed)."""

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""Content-Security-Policy of every dashboard page: no script, no inline style, no framing."""

_HTML_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _html_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {}}}


# What every dashboard page may answer besides the page itself.
_PAGE_ANSWERS = {
    "303": {"description": "Not signed in: on to the sign-in form (or signed in: on)."},
    "400": _html_error("A filter is not valid (a date, or since after until), as a page."),
    "404": _html_error("The dashboard is off (no TTS_DASHBOARD_USERS), or no such table."),
}
_HTML = {"200": {"description": "An HTML page.", "content": {"text/html": {}}}, **_PAGE_ANSWERS}
_DAY = {
    "type": "string",
    "anyOf": [
        {"format": "date", "pattern": "^(19[7-9][0-9]|2[0-9]{3})-"},
        {"maxLength": 0},
    ],
    "description": "A day from 1970-01-01 to 2999-12-31; empty or absent: the default period.",
}
_FILTER_PARAMS: dict[str, dict[str, Any]] = {
    "since": _DAY,
    "until": _DAY,
    "changed": _DAY,
    "section": {"type": "string"},
    "prefix": {"type": "string"},
    "offset": {"type": "string", "description": "Rank to start at (anything else: 0)."},
    "lang": {"type": "string", "description": "sv or en; otherwise Accept-Language decides."},
    "url": {
        "type": "string",
        "maxLength": 2000,
        "pattern": "\\S",
        "description": "The page, as votes give it.",
    },
}


def _query(*names: str, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The OpenAPI query parameters of a dashboard page."""
    return [
        {"name": n, "in": "query", "required": n in required, "schema": _FILTER_PARAMS[n]}
        for n in names
    ]


# What every dashboard form (POST) may answer besides its own answers.
_FORM_ERRORS = {
    "400": _html_error("The form could not be read (malformed multipart or charset)."),
    "403": _html_error("The form's security token is missing or old, or it came from elsewhere."),
    "404": _html_error("The dashboard is off (no TTS_DASHBOARD_USERS)."),
    "408": _html_error("The form did not arrive within TTS_BODY_TIMEOUT seconds."),
}
_TAGS = ["dashboard"]


def _form(**fields: dict[str, Any]) -> dict[str, Any]:
    """The requestBody of a dashboard form: its fields plus the CSRF token every form carries."""
    schema = {
        "type": "object",
        "properties": {
            "csrf": {
                "type": "string",
                "description": "The form's security token (or send it as X-CSRF-Token).",
            },
            **fields,
        },
    }
    # Browsers send these forms urlencoded; well-formed multipart is read as well.
    return {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


@dataclass(slots=True)
class Dashboard:
    """What the dashboard holds for one app."""

    accounts: Accounts
    """The accounts from TTS_DASHBOARD_USERS."""
    signer: SessionSigner
    """Signs and checks session cookies and CSRF tokens."""
    limiter: LoginLimiter
    """The failed-login limit."""
    secure_cookie: bool
    """Mark the cookie Secure (the service is reached over https)."""
    css: bytes = b""
    """The stylesheet, read at start."""


DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")
"""Dashboard accounts, session signer, failed-login limit and stylesheet."""

DASHBOARD_TEMPLATES = web.AppKey("dashboard_templates", jinja2.Environment)
"""The dashboard's Jinja2 environment (aiohttp-jinja2 under its own key)."""


class ReasonCount(NamedTuple):
    """One row of a page's reasons table."""

    reason: str
    """The reason code."""
    label: str
    """Its label."""
    n: int
    """Times given in the period."""


class View:
    """One request's language, session and link helper, handed to templates."""

    def __init__(self, request: web.Request, session: Session | None) -> None:
        self.request = request
        query_lang = request.query.get("lang")
        self.explicit_lang = query_lang in ("sv", "en")
        self.t = Texts(pick_lang(query_lang, request.headers.get("Accept-Language")))
        self.session = session
        dashboard = request.app[DASHBOARD]
        self.csrf = dashboard.signer.csrf_token(session)

    def url(self, path: str, **params: Any) -> str:
        """A dashboard link keeping the chosen language; None values are left out."""
        pairs = [(k, str(v)) for k, v in params.items() if v is not None and v != ""]
        if self.explicit_lang and "lang" not in params:
            pairs.append(("lang", self.t.lang))
        return path + ("?" + urlencode(pairs) if pairs else "")

    def lang_switch(self) -> str:
        """This page in the other language."""
        other = self.t("other_lang_code")
        pairs = [(k, v) for k, v in self.request.query.items() if k != "lang"]
        pairs.append(("lang", other))
        return self.request.path + "?" + urlencode(pairs)


# --- rendering -----------------------------------------------------------------


def see_other(location: str) -> web.Response:
    """A 303 redirect that can carry cookies."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


async def render(
    request: web.Request,
    view: View,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """Render a template in the CPU executor and answer it with the dashboard's headers."""
    env = request.app[DASHBOARD_TEMPLATES]
    full = {"v": view, "t": view.t, **context}

    def run() -> str:
        return env.get_template(template).render(full)

    text = await asyncio.get_running_loop().run_in_executor(request.app[keys.CPU_EXECUTOR], run)
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(_HTML_HEADERS)
    response.headers.update(headers or {})
    return response


_ERROR_TEXTS = {
    "bad_date": "bad_date",
    "bad_range": "bad_range",
    "bad_changed": "bad_changed",
    "missing_url": "missing_url",
    "not_found": "not_found_text",
    "unknown_comment": "not_found_text",
    "forbidden": "forbidden_text",
}


async def error_page(request: web.Request, exc: ServiceError) -> web.Response:
    """A ServiceError as an HTML page in the visitor's language (with its status)."""
    dashboard = request.app[DASHBOARD]
    view = View(request, dashboard.signer.read(request.cookies.get(COOKIE)))
    key = _ERROR_TEXTS.get(exc.code)
    message = view.t(key) if key else exc.message
    return await render(
        request,
        view,
        "error.jinja2",
        {"title": view.t("error_title"), "message": message, "code": exc.code},
        status=exc.status,
        headers=exc.headers,
    )


Handler = Callable[[web.Request, View], Awaitable[web.StreamResponse]]


PlainHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dashboard_page(*, signed_in: bool = True) -> Callable[[Handler], PlainHandler]:
    """Wrap a handler: off page when no accounts, sign-in check, HTML error pages."""

    def wrap(handler: Handler) -> PlainHandler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            dashboard = request.app[DASHBOARD]
            if not dashboard.accounts.enabled:
                view = View(request, None)
                return await render(
                    request, view, "off.jinja2", {"title": view.t("off_title")}, status=404
                )
            session = dashboard.signer.read(request.cookies.get(COOKIE))
            if signed_in and session is None:
                target = request.path_qs if request.method == "GET" else "/dashboard"
                raise web.HTTPSeeOther("/dashboard/login?" + urlencode({"next": target}))
            view = View(request, session)
            try:
                if request.method == "POST":
                    await _check_post(request, dashboard, session)
                return await handler(request, view)
            except ServiceError as exc:
                return await error_page(request, exc)

        return wrapped

    return wrap


async def _check_post(request: web.Request, dashboard: Dashboard, session: Session | None) -> None:
    origin = request.headers.get("Origin")
    if origin is not None:
        own = {f"{request.scheme}://{request.host}"}
        base = urlsplit(request.app[keys.SETTINGS].base_url)
        own.add(f"{base.scheme}://{base.netloc}")
        if origin not in own:
            raise ServiceError(
                "This form was sent from another site.", code="forbidden", status=403
            )
    form = await read_form(request)
    # The form field, or (for scripts) the X-CSRF-Token header: either must be the token.
    tokens = (form.get("csrf"), request.headers.get("X-CSRF-Token"))
    if not any(
        isinstance(token, str) and dashboard.signer.check_csrf(session, token) for token in tokens
    ):
        raise ServiceError(
            "The form's security token is missing or old. Reload the page and try again.",
            code="forbidden",
            status=403,
        )


# --- filters -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The period and selection a page shows."""

    since: date
    """First day (inclusive)."""
    until: date
    """Last day (inclusive)."""
    section: str | None
    """Only this section's pages."""
    prefix: str | None
    """Only pages whose address starts with this."""

    @property
    def previous(self) -> tuple[date, date]:
        """The period of equal length just before."""
        return stats.previous_period(self.since, self.until)

    def params(self, *, with_prefix: bool = True) -> dict[str, str | None]:
        """Query parameters that reproduce these filters."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "section": self.section,
            "prefix": self.prefix if with_prefix else None,
        }


def _date(query: MultiMapping[str], name: str) -> date | None:
    raw = query.get(name, "")
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if _DAY_TEXT.fullmatch(raw) else None
    except ValueError:
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        raise BadRequest(f"{name} must be a date like 2026-03-01.", code="bad_date")
    return value


def read_filters(request: web.Request) -> Filters:
    """Filters from the query; the last :data:`DEFAULT_DAYS` days when no dates are given."""
    store = request.app[FEEDBACK]
    query = request.query
    until = _date(query, "until") or store.today()
    since = _date(query, "since") or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise BadRequest("since is after until.", code="bad_range")
    section = query.get("section", "").strip()[:100] or None
    prefix = query.get("prefix", "").strip()[:500] or None
    return Filters(since, until, section, prefix)


async def _section_names(store: FeedbackStore, filters: Filters) -> list[str]:
    names = set(store.sections.names if store.sections.configured else ())
    for row in await stats.section_stats(
        store, since=filters.since, until=filters.until, min_responses=1
    ):
        names.add(row.section)
    return sorted(names)


@dataclass(frozen=True, slots=True)
class Trend:
    """A share against the previous period."""

    arrow: str
    """↑, ↓, → or – (no earlier votes)."""
    kind: str
    """up, down, flat or none (a CSS class)."""
    text: str
    """The same in words."""


def trend(t: Texts, current: stats.PageStat | stats.SectionStat, previous: Any) -> Trend:
    """Compare ``current`` with the previous period's row (None when it had no votes)."""
    if previous is None or previous.n == 0:
        return Trend("–", "none", t("trend_none"))
    diff = round((current.share - previous.share) * 100)
    if diff > 0:
        return Trend("↑", "up", t("trend_up", diff=diff))
    if diff < 0:
        return Trend("↓", "down", t("trend_down", diff=-diff))
    return Trend("→", "flat", t("trend_flat"))


# --- sign-in -------------------------------------------------------------------


def _safe_next(raw: object) -> str:
    text = raw if isinstance(raw, str) else ""
    parts = urlsplit(text)
    unsafe = "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text)
    if unsafe or parts.scheme or parts.netloc or not parts.path.startswith("/dashboard"):
        return "/dashboard"
    return text


def _with_lang(view: View, target: str) -> str:
    """``target`` keeping an explicitly chosen language."""
    if not view.explicit_lang or "lang=" in target:
        return target
    return target + ("&" if "?" in target else "?") + urlencode({"lang": view.t.lang})


# --- pages ---------------------------------------------------------------------


def _min_n(request: web.Request) -> int:
    return request.app[keys.SETTINGS].min_responses


@operation(
    summary="Dashboard stylesheet",
    tags=_TAGS,
    responses={"200": {"description": "CSS.", "content": {"text/css": {}}}},
)
async def stylesheet(request: web.Request) -> web.StreamResponse:
    """The dashboard's only stylesheet (no CDN, no inline styles)."""
    return web.Response(
        body=request.app[DASHBOARD].css,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
