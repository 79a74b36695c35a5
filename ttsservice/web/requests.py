"""Reading request bodies the same careful way everywhere."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ttsservice.errors import BadRequest, ServiceError


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Return the request's JSON object body, or raise a clear 4xx.

    Wrong content type is 415, an unreadable or non-object body 400; a body
    over the size limit is refused by aiohttp with 413 before we see it.
    """
    if request.content_type != "application/json":
        raise ServiceError(
            f"Send the body as application/json (got {request.content_type or 'nothing'}).",
            code="unsupported_media_type",
            status=415,
        )
    raw = await request.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(
            f"The body is not valid JSON ({exc.__class__.__name__}): check quotes and commas.",
            code="bad_json",
        ) from None
    if not isinstance(data, dict):
        raise BadRequest('The body must be a JSON object, like {"url": "…"}.', code="bad_json")
    return data


def field_str(
    data: dict[str, Any], name: str, *, required: bool = True, max_length: int | None = None
) -> str | None:
    """A string field of a JSON body, checked for type and length."""
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f"The field {name!r} is required.", code="missing_field")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"The field {name!r} must be a string.", code="invalid_field")
    if max_length is not None and len(value) > max_length:
        raise BadRequest(
            f"The field {name!r} is too long: at most {max_length} characters, got {len(value)}.",
            code="too_long",
        )
    return value
