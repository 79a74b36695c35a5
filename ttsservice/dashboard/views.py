"""The dashboard's pages: sign-in, overview, worst pages, one page, sections, CSV, triage.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import jinja2
from aiohttp import web
from multidict import MultiMapping

from feedback import stats
from feedback.stats import COMMENT_STATUSES
from feedback.store import FEEDBACK, FeedbackStore
from ttsservice import keys
from ttsservice.dashboard.auth import (
    SESSION_SECONDS,
    Accounts,
    LoginLimiter,
    Session,
    SessionSigner,
)
from ttsservice.dashboard.charts import interval_bar, share_line, stacked_bars
from ttsservice.dashboard.strings import Texts, pick_lang
from ttsservice.errors import BadRequest, NotFound, ServiceError
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
"""Dates the filters accept (periods before them could not even be computed)."""

BEFORE_AFTER_MAX_DAYS = 56
"""Longest window compared before and after an edit (8 weeks each side)."""

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

_HTML = {"200": {"description": "An HTML page.", "content": {"text/html": {}}}}


def _html_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {}}}


# What every dashboard form (POST) may answer besides its own answers.
_FORM_ERRORS = {
    "400": _html_error("The form could not be read (malformed multipart or charset)."),
    "403": _html_error("The form's security token is missing or old, or it came from elsewhere."),
    "404": _html_error("The dashboard is off (no TTS_DASHBOARD_USERS)."),
    "408": _html_error("The form did not arrive within TTS_BODY_TIMEOUT seconds."),
}
_TAGS = ["dashboard"]


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
    token = form.get("csrf")
    if not isinstance(token, str) or not dashboard.signer.check_csrf(session, token):
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
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
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


@operation(summary="Dashboard sign-in form", tags=_TAGS, responses=_HTML)
@dashboard_page(signed_in=False)
async def login_form(request: web.Request, view: View) -> web.StreamResponse:
    """The sign-in form (or straight on when already signed in)."""
    if view.session is not None:
        raise web.HTTPSeeOther(_with_lang(view, _safe_next(request.query.get("next"))))
    return await _login_page(request, view, None, 200)


async def _login_page(
    request: web.Request,
    view: View,
    message: str | None,
    status: int,
    headers: Mapping[str, str] | None = None,
    user: str = "",
) -> web.Response:
    return await render(
        request,
        view,
        "login.jinja2",
        {
            "title": view.t("login_title"),
            "message": message,
            "next": _safe_next(request.query.get("next")),
            "user": user,
        },
        status=status,
        headers=headers,
    )


@operation(
    summary="Sign in to the dashboard",
    tags=_TAGS,
    responses={
        "303": {"description": "Signed in: on to the dashboard, with the session cookie."},
        "401": {
            "description": "Wrong name or password (the form again).",
            "content": {"text/html": {}},
        },
        "429": {
            "description": "Too many failed sign-ins; Retry-After says how long to wait.",
            "content": {"text/html": {}},
        },
        **_FORM_ERRORS,
    },
)
async def login(request: web.Request) -> web.StreamResponse:
    """Check the name and password; limit failures per client."""
    dashboard = request.app[DASHBOARD]
    if not dashboard.accounts.enabled:
        return await login_form(request)
    view = View(request, None)
    client = dashboard.limiter.client_key(request.remote)
    wait = dashboard.limiter.wait(client)
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        return await _login_page(
            request, view, view.t("login_wait", minutes=minutes), 429, {"Retry-After": str(wait)}
        )
    try:
        await _check_post(request, dashboard, None)
    except ServiceError as exc:
        if exc.status != 403:  # a malformed or too slow form, not an expired one
            raise
        return await _login_page(request, view, view.t("login_expired"), 403)
    form = await read_form(request)
    user = form.get("user")
    password = form.get("password")
    next_url = _with_lang(view, _safe_next(form.get("next")))
    user_text = user.strip()[:200] if isinstance(user, str) else ""
    password_text = password[:1024] if isinstance(password, str) else ""
    wait = dashboard.limiter.reserve(client)  # before the await: parallel tries count too
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        return await _login_page(
            request, view, view.t("login_wait", minutes=minutes), 429, {"Retry-After": str(wait)}
        )
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(
        request.app[keys.CPU_EXECUTOR], dashboard.accounts.check, user_text, password_text
    )
    if not ok:  # the reserved attempt stays counted as a failure
        logger.info("dashboard: failed sign-in")
        return await _login_page(request, view, view.t("login_failed"), 401, user=user_text)
    dashboard.limiter.succeeded(client)
    cookie, _ = dashboard.signer.issue(user_text)
    response = see_other(next_url)
    response.set_cookie(
        COOKIE,
        cookie,
        path="/dashboard",
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=dashboard.secure_cookie,
    )
    logger.info("dashboard: %s signed in", user_text)
    return response


@operation(
    summary="Sign out of the dashboard",
    tags=_TAGS,
    responses={"303": {"description": "Signed out: on to the sign-in form."}},
)
@dashboard_page()
async def logout(request: web.Request, view: View) -> web.StreamResponse:
    """End the session (revoked in this process) and drop the cookie."""
    dashboard = request.app[DASHBOARD]
    assert view.session is not None
    dashboard.signer.revoke(view.session)
    response = see_other(view.url("/dashboard/login"))
    response.del_cookie(COOKIE, path="/dashboard")
    return response


# --- pages ---------------------------------------------------------------------


def _min_n(request: web.Request) -> int:
    return request.app[keys.SETTINGS].min_responses


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


@operation(
    summary="Dashboard: worst pages with Wilson intervals and trends",
    tags=_TAGS,
    responses=_HTML,
    parameters=[
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in ("since", "until", "section", "prefix", "offset", "lang")
    ],
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
    parameters=[
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in ("url", "since", "until", "changed", "lang")
    ],
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


# --- triage --------------------------------------------------------------------


def _back_to(raw: object, comment_id: str, **extra: str) -> str:
    text = raw if isinstance(raw, str) else ""
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.path != "/dashboard/page":
        return "/dashboard/pages"
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("triaged", "error", "comment")]
    query += list(extra.items())
    return f"{parts.path}?{urlencode(query)}#c-{comment_id}"


@operation(
    summary="Dashboard: set a comment's triage status",
    tags=_TAGS,
    responses={
        "303": {"description": "Saved (or refused): back to the page's comments."},
        **_FORM_ERRORS,
    },
)
@dashboard_page()
async def comment_status(request: web.Request, view: View) -> web.StreamResponse:
    """ny, läst, åtgärdad or ej_åtgärdbar (with a reason), through feedback.stats."""
    form = await read_form(request)
    comment_id = request.match_info["id"]
    status = form.get("status")
    reason = form.get("reason")
    back = form.get("back")
    try:
        await stats.set_comment_status(
            request.app[FEEDBACK],
            comment_id,
            status if isinstance(status, str) else "",
            reason if isinstance(reason, str) else None,
        )
    except BadRequest as exc:
        raise web.HTTPSeeOther(
            _back_to(back, comment_id, error=exc.code, comment=comment_id)
        ) from None
    assert view.session is not None
    logger.info("dashboard: %s set comment status %s", view.session.user, status)
    raise web.HTTPSeeOther(_back_to(back, comment_id, triaged=comment_id))


# --- CSV and the stylesheet ----------------------------------------------------

TRIAGE_ERRORS = {"missing_reason": "missing_reason", "too_long": "triage_too_long"}
"""Triage refusals (codes from feedback.stats) → texts; others say "choose a button"."""

CSV_TABLES = ("overview", "pages", "sections", "weeks", "reasons", "comments", "before-after")
"""Every table the dashboard shows, downloadable as CSV."""


@operation(
    summary="Dashboard: a table as CSV (Excel in Swedish: UTF-8 BOM, semicolons)",
    tags=_TAGS,
    responses={"200": {"description": "CSV.", "content": {"text/csv": {}}}},
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
