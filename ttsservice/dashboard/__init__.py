"""The web team's dashboard at ``/dashboard``: which pages fail readers, and what they wrote.

Behind a sign-in with the accounts in ``TTS_DASHBOARD_USERS`` (see
:mod:`ttsservice.dashboard.auth`); with none set, every dashboard address
answers a page saying it is off. Pages are rendered on the server
(aiohttp-jinja2), charts are SVG with the same figures as tables, and
nothing needs JavaScript. Figures come only from :mod:`feedback.stats`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from importlib import resources
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from ttsservice import keys, sharedkeys
from ttsservice.dashboard import (
    csvexport,
    onepage,
    overview,
    pagelist,
    sections,
    signin,
    triage,
    views,
)
from ttsservice.dashboard.auth import Accounts, LoginLimiter, SessionSigner
from ttsservice.dashboard.views import DASHBOARD, DASHBOARD_TEMPLATES

__all__ = ["setup"]


def _read_css() -> bytes:
    return resources.files("ttsservice.dashboard").joinpath("static/dashboard.css").read_bytes()


def setup(app: web.Application) -> None:
    """Add the dashboard's routes, templates and state to ``app``.

    Raises :class:`~ttsservice.settings.SettingsError` when
    ``TTS_DASHBOARD_USERS`` holds an entry that is not ``NAME:HASH``.
    """
    settings = app[keys.SETTINGS]
    accounts = Accounts(settings.dashboard_users)
    app[DASHBOARD] = views.Dashboard(
        accounts=accounts,
        signer=SessionSigner(
            accounts,
            secret=app[keys.SHARED_KEYS].key(sharedkeys.SESSION),
            csrf_secret=app[keys.SHARED_KEYS].key(sharedkeys.CSRF),
        ),
        limiter=LoginLimiter(
            settings.dashboard_login_attempts,
            # Copies sharing a database count failures under the same daily pseudonym.
            daily_salt=functools.partial(
                app[keys.SHARED_KEYS].daily_salt, sharedkeys.LOGIN_LIMIT_SALT
            )
            if settings.database_url
            else None,
        ),
        secure_cookie=urlsplit(settings.base_url).scheme == "https",
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("ttsservice.dashboard", "templates"),
        app_key=DASHBOARD_TEMPLATES,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )

    async def stylesheet_ctx(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        app[DASHBOARD].css = await loop.run_in_executor(app[keys.CPU_EXECUTOR], _read_css)
        yield

    app.cleanup_ctx.append(stylesheet_ctx)
    router = app.router
    router.add_get("/dashboard", overview.overview)
    router.add_get("/dashboard/login", signin.login_form)
    router.add_post("/dashboard/login", signin.login)
    router.add_post("/dashboard/logout", signin.logout)
    router.add_get("/dashboard/pages", pagelist.pages)
    router.add_get("/dashboard/page", onepage.page)
    router.add_get("/dashboard/sections", sections.sections)
    router.add_post("/dashboard/comments/{id}/status", triage.comment_status)
    router.add_get("/dashboard/csv/{table}.csv", csvexport.csv_table)
    router.add_get("/dashboard/static/dashboard.css", views.stylesheet)
