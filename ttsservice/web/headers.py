"""Headers every answer of the service carries."""

from __future__ import annotations

from aiohttp import web


async def security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """``on_response_prepare``: no MIME sniffing of any answer (JSON, errors, metrics, pages).

    The hot clip front answers without the app's signals, so
    :func:`ttsservice.speech.api.audio_response` sets the same header itself.
    """
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
