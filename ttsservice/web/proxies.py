"""The client's address when the service runs behind a reverse proxy (nginx, a load balancer).

Rate limits and the feedback guard tell clients apart by their address. Behind
a proxy every connection comes from the proxy, so all visitors would share one
budget. For connections from ``TTS_TRUSTED_PROXIES`` the client is taken from
``X-Forwarded-For`` instead: the right-most address there that is not itself a
trusted proxy (addresses further left are whatever the client chose to send).
Connections from anywhere else are taken at their word, so the header cannot
be used to dodge a limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler

from ttsservice import keys

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks (already checked by the settings' validation)."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]
) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def forwarded_client(
    peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]
) -> str | None:
    """The client address ``X-Forwarded-For`` names, when ``peer`` is a trusted proxy.

    None when the peer is not trusted, the header is missing, or it holds no
    readable address beyond the trusted proxies.
    """
    if not peer or not forwarded_for:
        return None
    peer_address = _address(peer)
    if peer_address is None or not _trusted(peer_address, networks):
        return None
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            return None  # garbage in the chain: do not guess past it
        if not _trusted(address, networks):
            return str(address)
    return None


def note_forwarded_client(request: web.BaseRequest, networks: tuple[Network, ...]) -> str | None:
    """The forwarded client of ``request`` (see :func:`forwarded_client`), also kept on it.

    Kept under ``keys.FORWARDED_CLIENT`` for the request log, which is handed
    the original request.
    """
    client = forwarded_client(request.remote, request.headers.get("X-Forwarded-For"), networks)
    if client is not None:
        request[keys.FORWARDED_CLIENT] = client
    return client


@web.middleware
async def trusted_proxy_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hand on the request with ``remote`` set to the forwarded client, where trusted."""
    client = note_forwarded_client(request, request.app[keys.TRUSTED_PROXIES])
    if client is not None:
        request = request.clone(remote=client)
    return await handler(request)
