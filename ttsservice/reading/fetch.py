"""Fetching allow-listed pages safely.

A page is fetched only when its URL is http(s) on an allowed origin
(``TTS_ALLOWED_ORIGINS``, see :mod:`ttsservice.web.origins`). Its host must
resolve to public addresses only: loopback, private, shared, link-local,
multicast, reserved and unspecified addresses are refused, in IPv4 and IPv6,
including IPv4 inside IPv6 (mapped, 6to4, NAT64, Teredo) and the old numeric
spellings of IPv4 (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``), unless
``TTS_ALLOW_PRIVATE_ADDRESSES`` is on. The check happens in the HTTP client's
resolver, so the connection goes to exactly the addresses that were checked
(a second DNS answer cannot point it elsewhere: no DNS rebinding).

Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked
again. The body is capped at ``TTS_FETCH_MAX_BYTES`` (after decompression) and
the whole fetch at ``TTS_FETCH_TIMEOUT`` seconds. Only ``text/html`` and
``application/xhtml+xml`` are accepted; the text is decoded with the charset of
the ``Content-Type`` header, else a byte-order mark or ``<meta charset>``, else
UTF-8 or Windows-1252, whichever fits the bytes (BeautifulSoup's ``UnicodeDammit``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from bs4.dammit import UnicodeDammit
from yarl import URL

from ttsservice import __version__
from ttsservice.reading.errors import (
    BadUrl,
    NotHtml,
    PageNotAllowed,
    PageTooLarge,
    UpstreamError,
    UpstreamTimeout,
)
from ttsservice.settings import Settings
from ttsservice.web.origins import allowed_origins, origin_of, own_origin

logger = logging.getLogger(__name__)

__all__ = [
    "HTML_TYPES",
    "MAX_REDIRECTS",
    "FetchedPage",
    "PageFetcher",
    "PublicAddressResolver",
    "decode_html",
    "is_public_address",
    "numeric_host",
]

MAX_REDIRECTS = 5
"""Redirect hops followed before giving up."""
HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))
"""Content types accepted as pages."""
MAX_URL_LENGTH = 4096
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_CHUNK = 65536

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def numeric_host(host: str) -> IPAddress | None:
    """The address a numeric host stands for, in any spelling a resolver would accept.

    Handles IPv6 literals (with or without brackets) and IPv4 in the forms
    ``inet_aton`` accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex
    (``0x``), e.g. ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``. A trailing
    dot is ignored. Returns None for a host name.
    """
    text = host.strip().rstrip(".").lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        try:
            if part.startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part[1:], 8))
            elif part.isdigit():
                values.append(int(part))
            else:
                return None
        except ValueError:
            return None
    # The last part fills the bytes the earlier parts leave (inet_aton's rule).
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (IPv4 inside IPv6 checked as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_public_address(inner)
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
        and not address.is_unspecified
    )


class AddressRefused(OSError):
    """A host resolved to an address the service must not connect to."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, which is not a public address")
        self.host = host
        self.address = address


class PublicAddressResolver(AbstractResolver):
    """Resolves with the system resolver and refuses hosts with non-public addresses.

    The connector connects to the addresses returned here, so the checked
    addresses are the ones used. ``exempt`` lists ``(host, port)`` pairs allowed
    to be private (the service's own origin while the demo is on).
    """

    def __init__(
        self, *, allow_private: bool, exempt: frozenset[tuple[str, int]] = frozenset()
    ) -> None:
        self._inner = ThreadedResolver()
        self._allow_private = allow_private
        self._exempt = exempt

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._allow_private or (host.lower().rstrip("."), port) in self._exempt:
            return results
        for result in results:
            try:
                address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            except ValueError:
                raise AddressRefused(host, result["host"]) from None
            if not is_public_address(address) or "%" in result["host"]:
                raise AddressRefused(host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


def decode_html(body: bytes, declared: str | None) -> str:
    """Decode a page: the header's charset, else a byte-order mark or ``<meta charset>``, else
    UTF-8 if the bytes are valid UTF-8, else Windows-1252 (the HTML standard's fallback for
    Swedish and other Western locales; statistical guessing picks odd code pages for short
    Swedish texts). A wrong declared charset falls through to the next rule."""
    known = [declared] if declared else []
    dammit = UnicodeDammit(
        body,
        known_definite_encodings=known,
        user_encodings=["utf-8", "windows-1252"],
        is_html=True,
    )
    if dammit.unicode_markup is not None:
        return str(dammit.unicode_markup)
    return body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A fetched HTML page, not yet decoded (sniffing a charset is CPU work)."""

    url: str
    """The URL the page was finally fetched from (after redirects)."""
    body: bytes
    """The page's bytes, decompressed."""
    charset: str | None
    """The charset the Content-Type header declared, if any."""

    def text(self) -> str:
        """The page decoded (see :func:`decode_html`)."""
        return decode_html(self.body, self.charset)


class PageFetcher:
    """Fetches allow-listed HTML pages over one shared client session."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings

    @staticmethod
    def exempt_hosts(settings: Settings) -> frozenset[tuple[str, int]]:
        """``(host, port)`` of the service's own origin when the demo is on (it reads itself)."""
        if not settings.demo:
            return frozenset()
        url = URL(own_origin(settings))
        if url.host is None or url.port is None:
            return frozenset()
        return frozenset({(url.host.lower(), url.port)})

    def check_url(self, url: str) -> URL:
        """The parsed URL if it may be fetched; else BadUrl or PageNotAllowed."""
        if len(url) > MAX_URL_LENGTH:
            raise BadUrl(f"The URL is too long: at most {MAX_URL_LENGTH} characters.")
        try:
            parsed = URL(url.strip())
            host = parsed.host
        except (ValueError, TypeError):
            raise BadUrl(f"{url[:200]!r} is not a URL; give a full https:// address.") from None
        if parsed.scheme not in ("http", "https"):
            raise BadUrl(
                f"Only http and https pages can be read, not {parsed.scheme or 'a relative'!r} "
                "URLs; give a full https:// address."
            )
        if not host:
            raise BadUrl("The URL has no host; give a full https:// address.")
        if parsed.user is not None or parsed.password is not None:
            raise BadUrl("The URL must not contain a user name or password.")
        origin = origin_of(str(parsed))
        if origin is None or origin not in allowed_origins(self._settings):
            raise PageNotAllowed(
                f"Pages on {origin or host} are not read here; the allowed origins are set "
                "by TTS_ALLOWED_ORIGINS.",
                details={"origin": origin or host},
            )
        address = numeric_host(host)
        if address is not None:
            port = parsed.port or 0
            exempt = (host.lower(), port) in self.exempt_hosts(self._settings)
            canonical = str(address) == host.strip("[]").lower()
            if not canonical:
                raise PageNotAllowed(
                    f"The host {host!r} is an unusual spelling of the address {address}; "
                    "use the host name or the plain address.",
                )
            if not (self._settings.allow_private_addresses or exempt or is_public_address(address)):
                raise PageNotAllowed(
                    f"{host} is not a public address, so it is not fetched "
                    "(TTS_ALLOW_PRIVATE_ADDRESSES allows it).",
                )
        return parsed

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch ``url`` following at most :data:`MAX_REDIRECTS` checked redirects."""
        current = self.check_url(url)
        timeout = self._settings.fetch_timeout
        try:
            async with asyncio.timeout(timeout):
                for _hop in range(MAX_REDIRECTS + 1):
                    next_url = await self._get(current)
                    if isinstance(next_url, FetchedPage):
                        return next_url
                    try:
                        current = self.check_url(str(next_url))
                    except BadUrl as exc:
                        # Refused like a redirect to a private address (403), not
                        # blamed on the page's server.
                        raise PageNotAllowed(
                            f"The page redirects to an address that is not read: {exc.message}",
                            details={"location": str(next_url)[:500]},
                        ) from None
        except TimeoutError:
            raise UpstreamTimeout(
                f"The page did not arrive within {timeout:g} seconds; try again later.",
            ) from None
        raise UpstreamError(
            f"The page redirects more than {MAX_REDIRECTS} times; give its final address.",
            details={"url": str(current)},
        )

    async def _get(self, url: URL) -> FetchedPage | URL:
        headers = {
            "User-Agent": f"ttsservice/{__version__} (read-aloud)",
            "Accept": "text/html,application/xhtml+xml;q=0.9",
        }
        try:
            async with self._session.get(
                url, allow_redirects=False, headers=headers, timeout=aiohttp.ClientTimeout()
            ) as response:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise UpstreamError(
                            f"The page's server sent a redirect ({response.status}) without "
                            "a target."
                        )
                    try:
                        return url.join(URL(location))
                    except ValueError:
                        raise UpstreamError(
                            "The page's server redirected to an address that is not a URL."
                        ) from None
                if response.status >= 400 or response.status < 200:
                    raise UpstreamError(
                        f"The page's server answered {response.status}; check the address.",
                        details={"upstream_status": response.status},
                    )
                if response.content_type not in HTML_TYPES:
                    raise NotHtml(
                        f"The address gives {response.content_type}, not an HTML page.",
                        details={"content_type": response.content_type},
                    )
                body = await self._read_capped(response)
                return FetchedPage(str(url), body, response.charset)
        except AddressRefused as exc:
            raise self._refused(exc) from None
        except aiohttp.ClientConnectorError as exc:
            refused = _refusal_in(exc)
            if refused is not None:
                raise self._refused(refused) from None
            raise UpstreamError(
                f"The page's server {url.host} could not be reached; try again later."
            ) from None
        except aiohttp.InvalidURL:
            raise BadUrl(f"{str(url)[:200]!r} is not a URL the service can fetch.") from None
        except (aiohttp.ClientError, UnicodeError, LookupError) as exc:
            raise UpstreamError(
                f"Fetching the page failed ({exc.__class__.__name__}); try again later."
            ) from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        limit = self._settings.fetch_max_bytes
        too_large = PageTooLarge(
            f"The page is larger than {limit} bytes, the most the service reads "
            "(TTS_FETCH_MAX_BYTES).",
            details={"limit": limit},
        )
        if response.content_length is not None and response.content_length > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _refused(exc: AddressRefused) -> PageNotAllowed:
        return PageNotAllowed(
            f"{exc.host} resolves to a non-public address, so it is not fetched "
            "(TTS_ALLOW_PRIVATE_ADDRESSES allows it).",
        )


PAGE_FETCHER: web.AppKey[PageFetcher] = web.AppKey("page_fetcher")
"""Fetches allow-listed pages over the one shared HTTP client session."""


def _refusal_in(exc: BaseException) -> AddressRefused | None:
    """The AddressRefused behind a connector error, if that is what it was."""
    seen: set[int] = set()
    current: Any = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AddressRefused):
            return current
        seen.add(id(current))
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return None
