"""Cross-origin access for the portals that embed the widget.

The widget runs on the portal's pages (``https://www.regionstockholm.se``)
and calls the service on its own host. Browsers allow that only when the
service answers with CORS headers. Only allowed origins get them; no
credentials are ever allowed, since the service sets and reads no cookies.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from ttsservice import keys
from ttsservice.settings import Settings
from ttsservice.web.errors import error_response
from ttsservice.web.origins import allowed_origins, origin_of

_ALLOW_HEADERS = "Content-Type, Authorization, Accept"
_EXPOSE_HEADERS = "Retry-After, ETag, Content-Length"


def allowed_origin(request: web.BaseRequest, settings: Settings) -> str | None:
    """The request's ``Origin`` when it is one the service answers, else None."""
    origin = request.headers.get("Origin")
    if origin and origin_of(origin) in allowed_origins(settings):
        return origin
    return None


def expose_to(response: web.StreamResponse, origin: str) -> None:
    """Let scripts on ``origin`` read ``response`` (an allowed origin only)."""
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = _EXPOSE_HEADERS
    response.headers.add("Vary", "Origin")


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer preflights and add CORS headers for allowed origins."""
    origin = allowed_origin(request, request.app[keys.SETTINGS])
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if origin is None:
            return error_response(
                403,
                "origin_not_allowed",
                f"The origin {request.headers.get('Origin')!r} may not call this service. "
                "Add it to TTS_ALLOWED_ORIGINS to embed the widget there.",
            )
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "GET, POST, PATCH, OPTIONS",
                "Access-Control-Allow-Headers": _ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
    # Sits outside the error middleware, so error bodies get the headers too
    # and the widget can read their messages.
    response = await handler(request)
    if origin is not None and not response.prepared:
        expose_to(response, origin)
    return response
