"""Which page origins the service works for (read aloud, rated, called from).

One rule for the read-aloud path, the feedback path and CORS: an origin is
allowed when it is listed in ``TTS_ALLOWED_ORIGINS``, or is the service's
own origin while the demo page is on (so the demo can be read and rated).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ttsservice.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased, default port dropped.

    Returns None for anything that is not an absolute http(s) URL with a host.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def own_origin(settings: Settings) -> str:
    """The service's own origin, as browsers reach it."""
    origin = origin_of(settings.base_url)
    assert origin is not None  # base_url is validated at start
    return origin


def allowed_origins(settings: Settings) -> frozenset[str]:
    """Every origin whose pages the service reads aloud and accepts votes for."""
    origins = {o for o in (origin_of(x) for x in settings.allowed_origins) if o}
    if settings.demo:
        origins.add(own_origin(settings))
    return frozenset(origins)


def is_allowed_url(url: str, settings: Settings) -> bool:
    """True when ``url`` is an http(s) URL on an allowed origin."""
    origin = origin_of(url)
    return origin is not None and origin in allowed_origins(settings)
