"""Liveness and readiness.

``/healthz`` answers as long as the event loop runs. ``/readyz`` runs the
checks each subsystem registered (voice loaded, database writable, …) and
says ``ready``, ``degraded`` (still serving, with reasons: for example the
offline fallback voice instead of a neural one) or ``unavailable`` (503).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from ttsservice.web.openapi import json_response, operation

logger = logging.getLogger(__name__)

CheckStatus = Literal["ok", "degraded", "failed"]


@dataclass(frozen=True, slots=True)
class Check:
    """Outcome of one readiness check."""

    name: str
    """Short name of what was checked, e.g. ``voice`` or ``database``."""
    status: CheckStatus
    """ok, degraded (works, but worse) or failed (cannot serve its part)."""
    detail: str = ""
    """For a person: what is wrong and how to fix it."""


READINESS_CHECKS: web.AppKey[list[Callable[[], Awaitable[Check]]]] = web.AppKey("readiness_checks")
"""Checks /readyz runs; each subsystem appends its own in its setup."""


@operation(
    summary="Liveness: the process and its event loop answer",
    tags=["operations"],
    responses={"200": json_response("Alive.")},
)
async def healthz(request: web.Request) -> web.Response:
    """Answer at once; used by container health checks."""
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


@operation(
    summary="Readiness: ready, degraded (with reasons) or unavailable",
    tags=["operations"],
    responses={
        "200": json_response("Ready or degraded; see checks."),
        "503": json_response("A part cannot serve; see checks."),
    },
)
async def readyz(request: web.Request) -> web.Response:
    """Run every registered check (each bounded in time) and summarise."""
    checks = []
    for probe in request.app[READINESS_CHECKS]:
        try:
            checks.append(await asyncio.wait_for(probe(), timeout=2.0))
        except Exception as exc:  # a failing probe is a failed check, not a 500
            logger.warning("readiness probe %r raised %s", probe, exc)
            checks.append(Check(getattr(probe, "__name__", "check"), "failed", str(exc)))
    if any(c.status == "failed" for c in checks):
        status, http = "unavailable", 503
    elif any(c.status == "degraded" for c in checks):
        status, http = "degraded", 200
    else:
        status, http = "ready", 200
    body = {
        "status": status,
        "checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in checks],
        "reasons": [f"{c.name}: {c.detail}" for c in checks if c.status != "ok"],
    }
    return web.json_response(body, status=http, headers={"Cache-Control": "no-store"})
