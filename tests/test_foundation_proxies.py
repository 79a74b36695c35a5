"""Behind a reverse proxy: the client comes from X-Forwarded-For, only from trusted peers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ttsservice.settings import SettingsError, load_settings
from ttsservice.web.proxies import forwarded_client, parse_networks

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

LOCAL = parse_networks(["127.0.0.1", "10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("127.0.0.1", "192.0.2.7", "192.0.2.7"),
        ("127.0.0.1", "198.51.100.1, 192.0.2.7", "192.0.2.7"),  # the left part is the client's word
        ("127.0.0.1", "192.0.2.7, 10.1.2.3", "192.0.2.7"),  # a second trusted hop is skipped
        ("127.0.0.1", "192.0.2.7:51234", "192.0.2.7"),
        ("127.0.0.1", "[2001:db8::5]:443", "2001:db8::5"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "::ffff:192.0.2.7", "192.0.2.7"),
        ("192.0.2.50", "192.0.2.7", None),  # not a trusted proxy: the header is ignored
        ("127.0.0.1", None, None),
        ("127.0.0.1", "10.0.0.1, 10.0.0.2", None),  # nothing beyond the proxies
        ("127.0.0.1", "192.0.2.7, unknown", None),  # garbage next to us: no guessing past it
        ("127.0.0.1", "", None),
    ],
)
def test_forwarded_client(peer: str, header: str | None, client: str | None) -> None:
    assert forwarded_client(peer, header, LOCAL) == client


def test_a_bad_trusted_proxy_entry_stops_start_up_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"TTS_TRUSTED_PROXIES.*'nginx'"):
        load_settings({"TTS_TRUSTED_PROXIES": "127.0.0.1, nginx"})
    settings = load_settings({"TTS_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8, ::1"})
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")


async def _speak(client: Any, forwarded_for: str) -> Any:
    return await client.post(
        "/api/v1/speak",
        json={"text": "Hej och välkommen."},
        headers={"X-Forwarded-For": forwarded_for},
    )


async def test_rate_limit_counts_each_forwarded_client_behind_a_trusted_proxy(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(
        speech_app(TTS_SPEAK_PER_MINUTE="1", TTS_TRUSTED_PROXIES="127.0.0.1,::1")
    )
    assert (await _speak(client, "192.0.2.1")).status == 200
    assert (await _speak(client, "192.0.2.1")).status == 429
    assert (await _speak(client, "192.0.2.2")).status == 200  # another visitor, own budget


async def test_forwarded_for_from_an_untrusted_peer_cannot_dodge_the_limit(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app(TTS_SPEAK_PER_MINUTE="1"))
    assert (await _speak(client, "192.0.2.1")).status == 200
    refused = await _speak(client, "192.0.2.2")
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "rate_limited"
