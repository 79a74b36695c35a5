"""Why a page could not be read: each a stable code, status and a message a person can act on."""

from __future__ import annotations

from ttsservice.errors import BadRequest, ServiceError


class BadUrl(BadRequest):
    """The URL is not an absolute http(s) URL the service can fetch."""

    status = 400
    code = "bad_url"


class PageNotAllowed(ServiceError):
    """The page is not on an allowed origin, or its host resolves to a refused address."""

    status = 403
    code = "page_not_allowed"


class PageTooLarge(ServiceError):
    """The page is larger than ``TTS_FETCH_MAX_BYTES``."""

    status = 413
    code = "page_too_large"


class NotHtml(ServiceError):
    """The page is not HTML (text/html or application/xhtml+xml)."""

    status = 415
    code = "not_html"


class UpstreamError(ServiceError):
    """The page's server could not be reached or answered with an error."""

    status = 502
    code = "upstream_error"


class UpstreamTimeout(ServiceError):
    """The page's server did not answer within ``TTS_FETCH_TIMEOUT``."""

    status = 504
    code = "upstream_timeout"
