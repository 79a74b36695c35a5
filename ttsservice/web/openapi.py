"""The OpenAPI 3.1 description, built from the app's own routes.

Each handler carries its operation object, attached with :func:`operation`.
``/openapi.json`` walks the router, so the document cannot list a path the
app does not serve; a test checks that no route is left undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

import ttsservice

F = TypeVar("F", bound=Callable[..., Any])

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code."},
                "message": {"type": "string", "description": "What went wrong, for a person."},
                "status": {"type": "integer"},
                "details": {"type": "object"},
            },
        }
    },
}


PAGE_URL_PATTERN = (
    r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]+"
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
    r"([/?#][^\s\x00-\x1f\x7f]*)?$"
)
"""A page address as the API takes it: absolute http(s), a host name or IPv4 address."""


def page_url_schema(description: str, max_length: int) -> dict[str, Any]:
    """The schema of a field or parameter that names a page on an allowed origin."""
    return {
        "type": "string",
        "maxLength": max_length,
        "pattern": PAGE_URL_PATTERN,
        "description": description,
    }


def error_ref(description: str) -> dict[str, Any]:
    """A response object for an error answered with the canonical body."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """A requestBody object for a JSON body."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def json_response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A response object with a JSON body."""
    media: dict[str, Any] = {"schema": schema} if schema else {}
    return {"description": description, "content": {"application/json": media}}


def operation(**spec: Any) -> Callable[[F], F]:
    """Attach an OpenAPI operation object (summary, responses, …) to a handler."""

    def attach(handler: F) -> F:
        handler.__openapi__ = spec  # type: ignore[attr-defined]
        return handler

    return attach


_JSON_BODY_ERRORS: dict[str, Any] = {
    "400": error_ref("bad_json: the body is not a JSON object of the documented shape."),
    "408": error_ref("request_timeout: the body did not arrive within TTS_BODY_TIMEOUT seconds."),
    "413": error_ref("request_too_large: the body is over TTS_MAX_REQUEST_BYTES."),
    "415": error_ref("unsupported_media_type: send Content-Type: application/json."),
}
"""What every operation reading a JSON body may answer, from the shared request plumbing."""

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def openapi_path(template: str) -> str:
    """aiohttp route template to OpenAPI path (drops regex parts of ``{name:regex}``)."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", template)


_DEFAULT_SEGMENT = "[^{}/]+"
"""The regex aiohttp gives a ``{name}`` without one of its own."""


def _path_regexes(resource: web.AbstractResource) -> dict[str, str]:
    """Each path parameter's own regex, read from the route's compiled pattern."""
    pattern = resource.get_info().get("pattern")
    text = pattern.pattern if isinstance(pattern, re.Pattern) else ""
    found: dict[str, str] = {}
    for match in re.finditer(r"\(\?P<(\w+)>", text):
        depth, end = 1, match.end()
        while end < len(text) and depth:
            if text[end] == "\\":
                end += 1
            elif text[end] == "(":
                depth += 1
            elif text[end] == ")":
                depth -= 1
            end += 1
        found[match.group(1)] = text[match.end() : end - 1]
    return found


def _path_schema(regex: str | None) -> dict[str, Any]:
    """A path parameter's schema: a string, matching the route's regex if it has its own."""
    if not regex or regex == _DEFAULT_SEGMENT:
        return {"type": "string", "pattern": "^[^/]+$"}
    return {"type": "string", "pattern": f"^(?:{regex})$"}


def build_document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        template = openapi_path(resource.canonical)
        spec = dict(getattr(route.handler, "__openapi__", {}))
        if not spec:
            spec = {"summary": "(undocumented)", "responses": {"default": {"description": "?"}}}
        declared = {p["name"] for p in spec.get("parameters", []) if p.get("in") == "path"}
        regexes = _path_regexes(resource)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _path_schema(regexes.get(name)),
            }
            for name in _PARAM.findall(resource.canonical)
            if name not in declared
        ]
        if params:
            spec["parameters"] = params + list(spec.get("parameters", []))
        if "json" in str(spec.get("requestBody", {}).get("content", {})):
            spec["responses"] = {**_JSON_BODY_ERRORS, **spec.get("responses", {})}
        paths.setdefault(template, {})[route.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ttsservice",
            "version": ttsservice.__version__,
            "description": "Read-aloud and page feedback for Swedish public portals. Every "
            "error of the API is answered with the Error body (the dashboard's as HTML pages). "
            "Query parameters not listed for an operation are ignored (links get tracking "
            "and cache-busting parameters added on the way), never an error.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@operation(
    summary="This API description (OpenAPI 3.1)",
    tags=["operations"],
    responses={"200": json_response("The OpenAPI document.")},
)
async def openapi_handler(request: web.Request) -> web.Response:
    """Serve the OpenAPI document."""
    return web.json_response(build_document(request.app))
