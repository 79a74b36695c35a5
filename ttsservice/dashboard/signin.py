"""The dashboard's sign-in page, sign-in and sign-out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiohttp import web

from ttsservice import keys
from ttsservice.dashboard.auth import (
    SESSION_SECONDS,
)
from ttsservice.dashboard.views import (
    _FORM_ERRORS,
    _HTML,
    _TAGS,
    COOKIE,
    DASHBOARD,
    View,
    _check_post,
    _form,
    _safe_next,
    _with_lang,
    dashboard_page,
    error_page,
    render,
    see_other,
)
from ttsservice.errors import ServiceError
from ttsservice.web.openapi import operation
from ttsservice.web.requests import read_form

logger = logging.getLogger(__name__)


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
    requestBody=_form(
        user={"type": "string"},
        password={"type": "string"},
        next={"type": "string", "description": "Where to go on (a dashboard address)."},
    ),
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
    wait = await dashboard.limiter.until_allowed(client)
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        return await _login_page(
            request, view, view.t("login_wait", minutes=minutes), 429, {"Retry-After": str(wait)}
        )
    try:
        await _check_post(request, dashboard, None)
    except ServiceError as exc:
        if exc.status != 403:  # a malformed or too slow form, not an expired one
            return await error_page(request, exc)
        return await _login_page(request, view, view.t("login_expired"), 403)
    form = await read_form(request)
    user = form.get("user")
    password = form.get("password")
    next_url = _with_lang(view, _safe_next(form.get("next")))
    user_text = user.strip()[:200] if isinstance(user, str) else ""
    password_text = password[:1024] if isinstance(password, str) else ""
    # Counted before the password check: parallel tries count too.
    wait = await dashboard.limiter.reserve_attempt(client)
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
    await dashboard.limiter.clear_failures(client)
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
    requestBody=_form(),
    responses={"303": {"description": "Signed out: on to the sign-in form."}, **_FORM_ERRORS},
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
