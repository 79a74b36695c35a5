"""Comment triage: the form that sets a comment's status."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

from feedback import stats
from feedback.store import FEEDBACK
from ttsservice.dashboard.views import _FORM_ERRORS, _TAGS, View, _form, dashboard_page
from ttsservice.errors import BadRequest
from ttsservice.web.openapi import operation
from ttsservice.web.requests import read_form

logger = logging.getLogger(__name__)


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
    requestBody=_form(
        status={"type": "string", "description": "ny, läst, åtgärdad or ej_åtgärdbar."},
        reason={"type": "string", "description": "Why not actionable (ej_åtgärdbar)."},
        back={"type": "string", "description": "The dashboard page to go back to."},
    ),
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
