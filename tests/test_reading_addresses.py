"""The fetcher's address rules: numeric host spellings and which addresses are public."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from ttsservice.reading.errors import BadUrl, PageNotAllowed
from ttsservice.reading.fetch import (
    AddressRefused,
    PageFetcher,
    PublicAddressResolver,
    is_public_address,
    numeric_host,
)
from ttsservice.settings import load_settings


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0000.0000.0001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("10.0.258", "10.0.1.2"),
        ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("93.184.216.34", "93.184.216.34"),
    ],
)
def test_numeric_hosts_in_every_spelling(host: str, address: str) -> None:
    assert numeric_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host",
    [
        "www.regionstockholm.se",
        "localhost",
        "1.2.3.4.5",
        "256.1.1.1",
        "0x1g.0.0.1",
        "09.1.1.1",
        "1.2.3.4294967296",
        "",
        "[::g]",
    ],
)
def test_names_and_impossible_numbers_are_not_addresses(host: str) -> None:
    assert numeric_host(host) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.255.255.254",
        "10.0.0.1",  # private
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",  # shared (carrier-grade NAT)
        "169.254.169.254",  # link-local (cloud metadata)
        "0.0.0.0",  # unspecified
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",  # link-local
        "fc00::1",  # unique local
        "fd12:3456::1",
        "ff02::1",  # multicast
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 around 192.168.1.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "64:ff9b::7f00:1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo around 127.0.0.1
        "2001:db8::1",  # documentation
        "::127.0.0.1",  # IPv4-compatible (deprecated)
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def _fetcher(**env: str) -> PageFetcher:
    settings = load_settings({"TTS_DEMO": "0", **env})
    return PageFetcher(None, settings)  # type: ignore[arg-type]  # check_url needs no session


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "017700000001"]
)
def test_odd_spellings_are_refused_even_when_allow_listed(host: str) -> None:
    fetcher = _fetcher(TTS_ALLOWED_ORIGINS=f"http://{host}", TTS_ALLOW_PRIVATE_ADDRESSES="1")
    with pytest.raises(PageNotAllowed):
        fetcher.check_url(f"http://{host}/")


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1", "http://[::1]", "http://10.0.0.1", "http://[::ffff:a00:1]"]
)
def test_allow_listed_private_literals_need_the_setting(origin: str) -> None:
    with pytest.raises(PageNotAllowed):
        _fetcher(TTS_ALLOWED_ORIGINS=origin).check_url(origin + "/page")
    allowed = _fetcher(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="1")
    assert allowed.check_url(origin + "/page").path == "/page"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@www.regionstockholm.se/",
        "gopher://www.regionstockholm.se/",
        "https:///nohost",
        "https://www.regionstockholm.se/" + "a" * 5000,
    ],
)
def test_malformed_urls_are_bad_url(url: str) -> None:
    with pytest.raises(BadUrl):
        _fetcher().check_url(url)


async def test_resolver_refuses_names_that_resolve_to_loopback() -> None:
    resolver = PublicAddressResolver(allow_private=False)
    with pytest.raises(AddressRefused) as caught:
        await resolver.resolve("localhost", 80, socket.AF_UNSPEC)
    assert caught.value.host == "localhost"
    # The same check for inet_aton spellings a name lookup would turn into loopback.
    with pytest.raises(AddressRefused):
        await resolver.resolve("0x7f.1", 80, socket.AF_INET)
    await resolver.close()


async def test_resolver_allows_private_when_asked_or_exempt() -> None:
    resolver = PublicAddressResolver(allow_private=True)
    assert {r["host"] for r in await resolver.resolve("localhost", 80, socket.AF_INET)} == {
        "127.0.0.1"
    }
    exempt = PublicAddressResolver(allow_private=False, exempt=frozenset({("localhost", 8080)}))
    assert await exempt.resolve("localhost", 8080, socket.AF_INET)
    with pytest.raises(AddressRefused):
        await exempt.resolve("localhost", 8081, socket.AF_INET)


class _Answers:
    """A stand-in system resolver that answers each lookup with the next list of addresses."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)

    async def resolve(self, host: str, port: int, family: socket.AddressFamily) -> list[Any]:
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.answers.pop(0)
        ]

    async def close(self) -> None:
        return None


async def test_every_lookup_is_checked_so_rebinding_is_refused() -> None:
    # The connector connects to what resolve() returned, so a second, rebinding answer is
    # checked like the first; one private address in an answer refuses the whole answer.
    resolver = PublicAddressResolver(allow_private=False)
    resolver._inner = _Answers(["93.184.216.34"], ["127.0.0.1"], ["93.184.216.34", "10.0.0.7"])  # type: ignore[assignment]
    first = await resolver.resolve("sida.example", 443, socket.AF_INET)
    assert [r["host"] for r in first] == ["93.184.216.34"]
    with pytest.raises(AddressRefused):
        await resolver.resolve("sida.example", 443, socket.AF_INET)
    with pytest.raises(AddressRefused):
        await resolver.resolve("sida.example", 443, socket.AF_INET)
