"""Domain errors. Each carries a stable code and the HTTP status the web layer answers with.

Domain code (fetching, extraction, synthesis, feedback) raises these; the
error middleware in :mod:`ttsservice.web.errors` turns them into the one
canonical JSON body. Messages are written for a person: say what was wrong
and what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    """Base of every error the service answers with a 4xx/5xx JSON body."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})
        self.details = dict(details or {})


class BadRequest(ServiceError):
    """The request is malformed or a field has a value the service cannot use."""

    status = 400
    code = "bad_request"


class NotFound(ServiceError):
    """The thing asked for does not exist (or no longer does)."""

    status = 404
    code = "not_found"


class Unauthorized(ServiceError):
    """A bearer token or login is missing or wrong."""

    status = 401
    code = "unauthorized"


class Overloaded(ServiceError):
    """The service is busy; the client should retry after ``retry_after`` seconds."""

    status = 503
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class RateLimited(ServiceError):
    """Too many requests from one client; retry after ``retry_after`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)
