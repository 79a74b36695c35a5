"""Reading request bodies the same careful way everywhere."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from ttsservice import keys
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
    if request.content.is_eof():  # all of it arrived with the headers: nothing to wait for
        raw = await request.read()
    else:
        async with _body_deadline(request):
            raw = await request.read()
    text = _decode(raw)
    if _nesting(text) > MAX_JSON_DEPTH:
        raise BadRequest(
            f"The body is nested too deeply: at most {MAX_JSON_DEPTH} levels of [ and {{.",
            code="bad_json",
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        # JSONDecodeError, and the ValueError of an integer with more digits
        # than int() accepts (sys.get_int_max_str_digits()).
        if isinstance(exc, json.JSONDecodeError):
            reason = "check quotes and commas"
        else:
            reason = "a number has too many digits"
        raise BadRequest(f"The body is not valid JSON: {reason}.", code="bad_json") from None
    if not isinstance(data, dict):
        raise BadRequest('The body must be a JSON object, like {"url": "…"}.', code="bad_json")
    _check_text(data)
    return data


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """Return the request's form fields, or raise a 400 for a malformed form.

    aiohttp raises ValueError (no boundary, no starting boundary, a part
    without a name), LookupError (an unknown charset), RuntimeError (an unknown
    transfer encoding) or an HttpProcessingError (a broken part header).
    """
    try:
        async with _body_deadline(request):
            return await request.post()
    except (ValueError, LookupError, RuntimeError, HttpProcessingError) as exc:
        raise BadRequest(
            "The form could not be read: send it as application/x-www-form-urlencoded"
            f" or well-formed multipart/form-data ({exc.__class__.__name__}).",
            code="bad_form",
        ) from None


@asynccontextmanager
async def _body_deadline(request: web.Request) -> AsyncIterator[None]:
    """Refuse with 408 a body that does not arrive within TTS_BODY_TIMEOUT seconds."""
    seconds = request.app[keys.SETTINGS].body_timeout
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise ServiceError(
            f"The request body did not arrive within {seconds:g} seconds; send it at once.",
            code="request_timeout",
            status=408,
        ) from None


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON body may have (no body of the API needs more)."""


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8 text.", code="bad_json") from None


def _nesting(text: str) -> int:
    """The deepest nesting of [ and { outside strings (json.loads recurses per level)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_text(data: Any) -> None:
    """Refuse strings (values or keys) that are not valid Unicode, such as a lone surrogate."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest(
                    "The body contains text that is not valid Unicode"
                    " (a lone surrogate escape such as \\ud800): send real characters.",
                    code="bad_json",
                ) from None


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
