"""The one canonical JSON error body and the middleware that produces it.

Every error response of the service looks like::

    {"error": {"code": "page_not_allowed", "message": "…", "status": 403}}

with optional ``details``. Nothing else writes error bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientPayloadError, web
from aiohttp.typedefs import Handler

from ttsservice import keys
from ttsservice.errors import ServiceError
from ttsservice.web.metrics import CLIENT_CLOSED, client_gone

logger = logging.getLogger(__name__)

# Codes and person-readable messages for errors aiohttp raises itself.
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    403: ("forbidden", "This origin or request is not allowed here."),
    404: ("not_found", "There is nothing at this address. See /openapi.json for the API."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> web.Response:
    """Build the canonical JSON error response."""
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = dict(details)
    response = web.json_response({"error": body}, status=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every exception into the canonical JSON error body."""
    try:
        declared = request.content_length
        if declared is not None and declared > request.client_max_size:
            # Refuse on the declared length at once, not after waiting for a
            # body that may never come (Content-Length: 1000000000, 1 byte sent).
            raise web.HTTPRequestEntityTooLarge(
                max_size=request.client_max_size, actual_size=declared
            )
        return await handler(request)
    except ServiceError as exc:
        return error_response(
            exc.status, exc.code, exc.message, headers=exc.headers, details=exc.details
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_ERRORS.get(exc.status, ("http_error", exc.reason))
        if exc.status == 405 and isinstance(exc, web.HTTPMethodNotAllowed):
            allowed = ", ".join(sorted(exc.allowed_methods))
            message = f"This address accepts {allowed}, not {request.method}."
        if exc.status == 413:
            limit = request.app[keys.SETTINGS].max_request_bytes
            message = f"The request body is too large: send at most {limit} bytes."
        headers = {
            k: v
            for k, v in exc.headers.items()
            if k in ("Allow", "Retry-After", "WWW-Authenticate")
        }
        response = error_response(exc.status, code, message, headers=headers)
        if exc.status == 413:
            response.force_close()  # the unread body is not drained
        return response
    except Exception as exc:
        if isinstance(exc, ConnectionResetError | ClientPayloadError) and client_gone(request):
            # The client dropped the connection (mid-upload): not our error, and
            # nobody will read the answer. metrics_middleware counts and logs it.
            return web.Response(status=CLIENT_CLOSED)
        logger.exception("unhandled error in %s %s", request.method, _route_name(request))
        return error_response(
            500, "internal_error", "Something went wrong on our side. Please try again later."
        )


def _route_name(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "(unmatched)"
