"""One client per IPv4 address and per IPv6 /64, for every per-client limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ttsservice.settings import Settings, load_settings
from ttsservice.web.clients import client_network
from ttsservice.web.connections import ConnectionCounts

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

PROXY = {"TTS_TRUSTED_PROXIES": "127.0.0.1,::1"}


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("unknown", "unknown"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_is_its_64_and_an_ipv4_client_its_address(
    address: str | None, client: str
) -> None:
    assert client_network(address) == client


async def test_votes_from_one_ipv6_64_share_one_budget(
    aiohttp_client: Any, make_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(make_app(TTS_VOTES_PER_MINUTE="5", **PROXY))
    statuses = []
    for n in range(1, 21):  # a new address inside the same /64 for every vote
        response = await client.post(
            "/api/v1/votes",
            json={"url": f"https://www.regionstockholm.se/sida-{n}/", "answer": "yes"},
            headers={"X-Forwarded-For": f"2001:db8:1:2::{n:x}"},
        )
        statuses.append(response.status)
    assert statuses.count(201) == 5 and statuses.count(429) == 15, statuses
    other = await client.post(
        "/api/v1/votes",
        json={"url": "https://www.regionstockholm.se/sida-99/", "answer": "yes"},
        headers={"X-Forwarded-For": "2001:db8:1:3::1"},  # another /64: its own budget
    )
    assert other.status == 201


async def test_speak_from_one_ipv6_64_shares_one_budget(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app(TTS_SPEAK_PER_MINUTE="1", **PROXY))

    async def speak(address: str) -> int:
        response = await client.post(
            "/api/v1/speak",
            json={"text": "Hej och välkommen."},
            headers={"X-Forwarded-For": address},
        )
        return response.status

    assert await speak("2001:db8:1:2::1") == 200
    assert await speak("2001:db8:1:2::abcd") == 429
    assert await speak("2001:db8:9:9::1") == 200


def test_open_connections_are_counted_per_ipv6_64() -> None:
    settings: Settings = load_settings({"TTS_MAX_CONNECTIONS_PER_CLIENT": "3"})
    counts = ConnectionCounts(settings, ())
    opened = [counts.open(f"2001:db8:1:2::{n}") for n in range(1, 6)]
    assert opened == [True, True, True, False, False]
    assert counts.open("2001:db8:1:3::1")
    counts.close("2001:db8:1:2::2")  # any address of the /64 frees its slot
    assert counts.open("2001:db8:1:2::99")
