"""Which page a vote is about: URL normalisation, the allow-list and sections.

Two spellings of one page must count as one page, so every rated URL is
normalised before it is checked or stored:

- scheme and host lower-cased, the default port dropped, user names refused;
- the fragment always dropped, the query dropped unless ``TTS_KEEP_QUERY``;
- percent-encoding made canonical (RFC 3986 section 6.2.2): escapes of
  unreserved characters decoded, other escapes upper-cased, non-ASCII
  characters encoded as UTF-8, ``.`` and ``..`` segments resolved;
- a trailing slash added, stripped or kept as ``TTS_TRAILING_SLASH`` says
  (``add`` leaves paths whose last segment looks like a file, ``a.pdf``).

Sections group pages for statistics and label metrics. Metric labels must
stay bounded, so :meth:`Sections.label` only ever answers a configured
section name or ``other``; statistics may also group by first path segment
when no sections are configured (:meth:`Sections.group`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ttsservice.errors import BadRequest, ServiceError
from ttsservice.settings import Settings
from ttsservice.web.origins import allowed_origins, origin_of

__all__ = ["MAX_URL_LENGTH", "PageNotAllowed", "Sections", "check_page_url", "normalize_url"]

MAX_URL_LENGTH = 2000
"""Longest page URL accepted (browsers and CDNs cope with about this much)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class PageNotAllowed(ServiceError):
    """The page is not on an origin this service works for."""

    status = 403
    code = "page_not_allowed"


def _normalize_escapes(text: str, safe: str) -> str:
    """Canonical percent-encoding: decode unreserved escapes, upper-case the rest."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    text = _ESCAPE.sub(fix, text)
    # A lone '%' not starting an escape is a literal percent sign.
    text = re.sub(r"%(?![0-9A-F]{2})", "%25", text)
    return quote(text, safe=safe)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, for absolute paths."""
    out: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(segment)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def normalize_url(url: str, *, keep_query: bool = False, trailing_slash: str = "add") -> str:
    """The canonical form of a page URL; :class:`BadRequest` ``bad_url`` if it is not one."""
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise BadRequest(
            f"Send the page address as an absolute http(s) URL of at most {MAX_URL_LENGTH} "
            "characters.",
            code="bad_url",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise BadRequest(f"{url[:100]!r} is not a valid page address.", code="bad_url") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise BadRequest(
            f"{url[:100]!r} is not an absolute http(s) URL such as https://www.example.se/sida.",
            code="bad_url",
        )
    if parts.username is not None or parts.password is not None:
        raise BadRequest(
            "Page addresses with a user name or password are not accepted.", code="bad_url"
        )
    if any(ord(c) < 0x21 for c in text):
        raise BadRequest("The page address contains spaces or control characters.", code="bad_url")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    if trailing_slash == "add" and not path.endswith("/"):
        if "." not in path.rsplit("/", 1)[-1]:
            path += "/"
    elif trailing_slash == "strip" and path != "/":
        path = path.rstrip("/") or "/"
    query = _normalize_escapes(parts.query, _QUERY_SAFE) if keep_query else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def check_page_url(url: str, settings: Settings) -> str:
    """Normalise ``url`` and check it is on an allowed origin (403 ``page_not_allowed``)."""
    normalized = normalize_url(
        url, keep_query=settings.keep_query, trailing_slash=settings.trailing_slash
    )
    origin = origin_of(normalized)
    if origin is None or origin not in allowed_origins(settings):
        raise PageNotAllowed(
            f"Feedback is not collected for pages on {origin or 'this address'}. The service "
            "accepts votes for pages on the origins in TTS_ALLOWED_ORIGINS.",
            details={"origin": origin},
        )
    return normalized


@dataclass(frozen=True, slots=True)
class Sections:
    """The configured sections (``TTS_SECTIONS``): first path segments or NAME=/prefix."""

    segments: frozenset[str] = frozenset()
    """Sections named by their first path segment (lower-case)."""
    prefixes: tuple[tuple[str, str], ...] = ()
    """(name, path prefix) pairs, longest prefix first."""

    OTHER = "other"

    @classmethod
    def from_settings(cls, settings: Settings) -> Sections:
        """Parse ``settings.sections`` (validated at start)."""
        return cls.parse(settings.sections)

    @classmethod
    def parse(cls, entries: tuple[str, ...] | list[str]) -> Sections:
        """Parse entries like ``vard`` or ``kultur=/kultur-och-fritid``."""
        segments: set[str] = set()
        prefixes: list[tuple[str, str]] = []
        for entry in entries:
            name, _, prefix = entry.partition("=")
            name = name.strip()
            if prefix:
                prefixes.append((name, prefix.strip().rstrip("/") or "/"))
            else:
                segments.add(name.lower())
        prefixes.sort(key=lambda p: len(p[1]), reverse=True)
        return cls(frozenset(segments), tuple(prefixes))

    @property
    def names(self) -> tuple[str, ...]:
        """Every label :meth:`label` can answer, ``other`` included."""
        return (*sorted(self.segments | {n for n, _ in self.prefixes}), self.OTHER)

    @property
    def configured(self) -> bool:
        """True when any section is configured."""
        return bool(self.segments or self.prefixes)

    def _configured_match(self, url: str) -> str | None:
        path = urlsplit(url).path or "/"
        decoded = unquote(path)
        for name, prefix in self.prefixes:
            if prefix == "/" or decoded == prefix or decoded.startswith(prefix + "/"):
                return name
            if path == prefix or path.startswith(prefix + "/"):
                return name
        first = _first_segment(url)
        if first and first in self.segments:
            return first
        return None

    def label(self, url: str) -> str:
        """A bounded label for metrics: a configured section name or ``other``."""
        return self._configured_match(url) or self.OTHER

    def group(self, url: str) -> str:
        """The section statistics group ``url`` under.

        A configured section when one matches; ``other`` when sections are
        configured but none matches; the first path segment (``/`` for the
        start page) when none are configured.
        """
        match = self._configured_match(url)
        if match:
            return match
        if self.configured:
            return self.OTHER
        return _first_segment(url) or "/"


def _first_segment(url: str) -> str:
    path = unquote(urlsplit(url).path or "/")
    return path.strip("/").split("/", 1)[0].lower()
