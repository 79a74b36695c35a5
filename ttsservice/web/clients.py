"""What names one client for every per-client limit: its IPv4 address or its IPv6 /64.

An IPv6 host is usually given a whole /64 and can pick any address in it, so a
limit keyed by the full IPv6 address is a limit per request for such a client.
Every limit (votes, speak, readings, sign-in attempts, open connections) keys
clients through :func:`client_network` before hashing, so they all agree.
"""

from __future__ import annotations

import ipaddress

__all__ = ["client_network"]

IPV6_CLIENT_PREFIX = 64
"""The IPv6 prefix length that stands for one client (a typical end-site subnet)."""


def client_network(address: str | None) -> str:
    """``address`` as the client it stands for: IPv4 as is, IPv6 as its /64, else unchanged.

    IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1``) count as their IPv4 address.
    Text that is not an IP address (a Unix socket, "unknown") is returned as it is.
    """
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)
