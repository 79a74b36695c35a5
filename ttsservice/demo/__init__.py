"""The demo page and its static assets, served from the package.

Its own room above the widget: the page embeds the widget the way a portal should.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from ttsservice import keys
from ttsservice.errors import NotFound
from ttsservice.web.openapi import error_ref, operation
from ttsservice.widget.assets import WIDGET_ASSETS

# The demo runs under the strict policy portals are asked to use, so every demo visit
# shows that the widget needs no inline script or style and no eval.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_STATIC_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}


def read_static(name: str) -> bytes:
    """Bytes of a file shipped in ``ttsservice/demo/static``."""
    return resources.files("ttsservice.demo").joinpath("static", name).read_bytes()


@operation(
    summary="Demo page: a portal article with the read-aloud player and feedback form",
    tags=["demo"],
    responses={"200": {"description": "HTML page."}},
)
async def demo_page(request: web.Request) -> web.Response:
    """Serve the demo page (a Swedish regional portal article)."""
    if not request.app[keys.SETTINGS].demo:
        raise NotFound("The demo page is turned off on this service (TTS_DEMO=false).")
    body = read_static("demo.html")
    assets = request.app.get(WIDGET_ASSETS)
    if assets is not None:
        # Embed the widget as portals should: content-hashed URL with its SRI hash.
        script = assets.script
        body = body.replace(
            b'src="/widget/widget.js"',
            f'src="/widget/{script.hashed_name}" integrity="{script.integrity}" '
            'crossorigin="anonymous"'.encode(),
        )
    return web.Response(
        body=body,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": DEMO_CSP},
    )


def _asset_names() -> list[str]:
    """The demo assets the package ships (what ``/static/{name}`` serves)."""
    folder = resources.files("ttsservice.demo").joinpath("static")
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name[entry.name.rfind(".") :] in _STATIC_TYPES
        and not entry.name.startswith(".")
        and entry.name != "demo.html"
    )


@operation(
    summary="Demo page assets (style sheet, images)",
    tags=["demo"],
    parameters=[
        {"name": "name", "in": "path", "required": True, "schema": {"enum": _asset_names()}}
    ],
    responses={
        "200": {
            "description": "The file.",
            "content": {media: {} for media in sorted(set(_STATIC_TYPES.values()))},
        },
        "404": error_ref("not_found: no such file."),
    },
)
async def demo_asset(request: web.Request) -> web.Response:
    """Serve a demo asset by name; only known file types, no paths."""
    name = request.match_info["name"]
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES or name == "demo.html":
        raise NotFound(f"There is no demo asset called {name!r}.")
    try:
        body = read_static(name)
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound(f"There is no demo asset called {name!r}.") from None
    return web.Response(
        body=body, content_type=_STATIC_TYPES[suffix], headers={"Cache-Control": "no-cache"}
    )


async def index(request: web.Request) -> web.Response:
    """Send visitors of the bare address to the demo page."""
    raise web.HTTPFound("/demo")


index.__openapi__ = {  # type: ignore[attr-defined]
    "summary": "Redirect to the demo page",
    "tags": ["demo"],
    "responses": {"302": {"description": "To /demo."}},
}
