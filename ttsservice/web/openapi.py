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


_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def openapi_path(template: str) -> str:
    """aiohttp route template to OpenAPI path (drops regex parts of ``{name:regex}``)."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", template)


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
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(resource.canonical)
        ]
        if params:
            spec["parameters"] = params + list(spec.get("parameters", []))
        paths.setdefault(template, {})[route.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ttsservice",
            "version": ttsservice.__version__,
            "description": "Read-aloud and page feedback for Swedish public portals. Every "
            "error is answered with the Error body.",
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
