"""The embeddable widget: read-aloud player and page feedback form.

Serves ``/widget/widget.js`` and ``/widget/widget.css`` (short cache, for
portals that want the newest version), the same files under content-hashed
names such as ``/widget/widget.3f2a9c1b7d4e.js`` (cached for a year, never
changed) and ``/widget/integrity.json`` with the hashed URLs, their
Subresource Integrity hashes and a ready-made embed snippet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import NotFound
from ttsservice.web.health import READINESS_CHECKS, Check
from ttsservice.web.openapi import json_response, operation
from ttsservice.widget.assets import WIDGET_ASSETS, WidgetAsset, build_assets, read_sources

__all__ = ["embed_snippet", "setup"]

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=300"


def _cross_origin_headers() -> dict[str, str]:
    # Public, credential-free files: any page may load them with crossorigin="anonymous",
    # which browsers require before they check an SRI hash on another origin.
    return {
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }


def embed_snippet(base_url: str, script: WidgetAsset, site: str = "example.se") -> str:
    """The ``<script>`` tag a portal adds to its pages."""
    return (
        f'<script src="{base_url}/widget/{script.hashed_name}" integrity="{script.integrity}" '
        f'crossorigin="anonymous" data-site="{site}" defer></script>'
    )


@operation(
    summary="Widget script or style sheet, by stable or content-hashed name",
    description=(
        "widget.js and widget.css are cached for five minutes; widget.HASH.js and "
        "widget.HASH.css (names listed in /widget/integrity.json) are immutable and cached "
        "for a year. Gzip-compressed for clients that accept it."
    ),
    tags=["widget"],
    responses={
        "200": {"description": "The file."},
        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
        "404": {"description": "No such widget file."},
    },
)
async def widget_file(request: web.Request) -> web.StreamResponse:
    """Serve one of the widget's files with caching, ETag and gzip."""
    name = request.match_info["name"]
    found = request.app[WIDGET_ASSETS].find(name)
    if found is None:
        raise NotFound(
            f"There is no widget file called {name!r}. The current file names and their "
            "integrity hashes are listed at /widget/integrity.json."
        )
    asset, immutable = found
    headers = _cross_origin_headers()
    headers["Cache-Control"] = IMMUTABLE if immutable else SHORT_LIVED
    headers["ETag"] = asset.etag
    headers["Vary"] = "Accept-Encoding"
    if_none_match = request.headers.get("If-None-Match", "")
    if if_none_match.strip() == "*" or asset.etag in if_none_match:
        return web.Response(status=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=body, content_type=asset.content_type, charset="utf-8", headers=headers
    )


@operation(
    summary="Widget file names and Subresource Integrity hashes, with an embed snippet",
    tags=["widget"],
    responses={"200": json_response("Hashed URLs, SRI hashes and the script tag to embed.")},
)
async def widget_integrity(request: web.Request) -> web.Response:
    """Publish the content-hashed URLs and their SRI hashes."""
    assets = request.app[WIDGET_ASSETS]
    base = request.app[keys.SETTINGS].base_url
    files: dict[str, Any] = {}
    for asset in (assets.script, assets.stylesheet):
        files[asset.name] = {
            "path": f"/widget/{asset.hashed_name}",
            "url": f"{base}/widget/{asset.hashed_name}",
            "integrity": asset.integrity,
        }
    headers = _cross_origin_headers()
    headers["Cache-Control"] = "no-cache"
    return web.json_response(
        {"files": files, "snippet": embed_snippet(base, assets.script)}, headers=headers
    )


async def _assets_ctx(app: web.Application) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    script, stylesheet = await loop.run_in_executor(app[keys.CPU_EXECUTOR], read_sources)
    assets = build_assets(script, stylesheet)
    app[WIDGET_ASSETS] = assets
    logger.info(
        "widget ready: /widget/%s (%d bytes gzipped with its style sheet)",
        assets.script.hashed_name,
        len(assets.script.gzipped) + len(assets.stylesheet.gzipped),
    )
    yield


def _readiness(app: web.Application) -> Any:
    async def check() -> Check:
        if WIDGET_ASSETS in app:
            return Check("widget", "ok")
        return Check("widget", "failed", "The widget files could not be loaded at start.")

    return check


def setup(app: web.Application) -> None:
    """Load the widget's files when the app starts and serve them under /widget/."""
    app.cleanup_ctx.append(_assets_ctx)
    app[READINESS_CHECKS].append(_readiness(app))
    app.router.add_get("/widget/integrity.json", widget_integrity)
    app.router.add_get("/widget/{name}", widget_file)
