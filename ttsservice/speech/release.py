"""``POST /api/v1/release``: the widget says which sentences it no longer needs.

Sent with ``navigator.sendBeacon`` when the listener stops or leaves the page,
so the body comes as ``text/plain`` (a beacon cannot send JSON across origins
without a preflight). Queued synthesis of those sentences that no request waits
for is dropped; a sentence being synthesised finishes and is cached. Nothing
else can be done with a key, so the request needs no budget of its own: it only
ever removes work.
"""

from __future__ import annotations

import json
import logging
import re

from aiohttp import web

from ttsservice.errors import BadRequest, ServiceError
from ttsservice.speech.state import SPEECH
from ttsservice.web.openapi import error_ref, operation

__all__ = ["MAX_RELEASED", "release_handler"]

logger = logging.getLogger(__name__)

MAX_RELEASED = 64
"""Most sentences one release names (a reading's queued sentences are far fewer)."""

_KEY_IN = re.compile(r"(?:^|/)([0-9a-f]{64})(?:\.[a-z0-9.]+)?(?:\?.*)?$")


def _clip_key(item: object) -> str:
    if isinstance(item, str):
        found = _KEY_IN.search(item)
        if found is not None:
            return found.group(1)
    raise BadRequest(
        'Each item of "audio" is a sentence\'s audio address (/api/v1/audio/KEY.mp3) or its '
        f"key (64 hexadecimal digits); {str(item)[:80]!r} is neither.",
        code="invalid_field",
    )


@operation(
    summary="Say which sentences' audio the player no longer needs (stop, leaving the page)",
    description='Body: {"audio": [address or key, …]} as application/json or text/plain '
    "(what navigator.sendBeacon sends). Their synthesis is dropped from the queue when no "
    f"request waits for it. At most {MAX_RELEASED} items.",
    tags=["read-aloud"],
    requestBody={
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["audio"],
                    "properties": {
                        "audio": {
                            "type": "array",
                            "maxItems": MAX_RELEASED,
                            "items": {"type": "string", "pattern": _KEY_IN.pattern},
                        }
                    },
                }
            }
            for media in ("application/json", "text/plain")
        },
    },
    responses={
        "204": {"description": "Done (whether or not anything was still queued)."},
        "400": error_ref("bad_json, missing_field, invalid_field, too_many."),
        "415": error_ref("unsupported_media_type: send application/json or text/plain."),
    },
)
async def release_handler(request: web.Request) -> web.Response:
    """Drop queued synthesis of the named sentences that nobody waits for."""
    if request.content_type not in ("application/json", "text/plain"):
        raise ServiceError(
            "Send the body as application/json or text/plain "
            f"(got {request.content_type or 'nothing'}).",
            code="unsupported_media_type",
            status=415,
        )
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(
            'The body is not JSON: send {"audio": ["/api/v1/audio/KEY.mp3", …]}.',
            code="bad_json",
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("audio"), list):
        raise BadRequest(
            'Name the sentences in "audio": a list of audio addresses or keys.',
            code="missing_field",
        )
    items = body["audio"]
    if len(items) > MAX_RELEASED:
        raise BadRequest(
            f"At most {MAX_RELEASED} sentences can be released at once; got {len(items)}.",
            code="too_many",
        )
    state = request.app[SPEECH]
    released = {_clip_key(item) for item in items}
    dropped = sum(state.speaker.abandon(key) for key in released)
    for key in released:
        if state.listeners.stopped(key):  # the reading's first sentence: one listener less
            break
    if dropped:
        logger.debug("released %d queued sentences", dropped)
    return web.Response(status=204)
