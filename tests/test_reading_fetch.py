"""Fetching pages through GET /api/v1/extract: what is fetched, and every refusal's error body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ttsservice.reading import read_page
from ttsservice.reading.fetch import PAGE_FETCHER

pytest_plugins = ["tests.conftest_reading"]

AppFactory = Callable[..., web.Application]
ClientFactory = Callable[[web.Application], Any]


def origin(server: TestServer) -> str:
    """``http://127.0.0.1:PORT`` of a test server."""
    return f"http://127.0.0.1:{server.port}"


def assert_canonical_error(body: Any, status: int, code: str) -> None:
    """The one error shape: {"error": {"code", "message", "status", "details"?}}."""
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "status", "details"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert len(body["error"]["message"]) > 10


async def _client(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, **env: str
) -> TestClient[Any, Any]:
    settings = {
        "TTS_ALLOWED_ORIGINS": origin(upstream),
        "TTS_ALLOW_PRIVATE_ADDRESSES": "1",
        "TTS_DEMO": "0",
        **env,
    }
    client: TestClient[Any, Any] = await aiohttp_client(make_app(**settings))
    return client


async def _extract(client: TestClient[Any, Any], url: str) -> tuple[int, Any]:
    response = await client.get("/api/v1/extract", params={"url": url})
    return response.status, await response.json()


async def _refused(client: TestClient[Any, Any], url: str, status: int, code: str) -> Any:
    got, body = await _extract(client, url)
    assert got == status, body
    assert_canonical_error(body, status, code)
    return body


async def test_allowed_page_is_fetched_and_extracted(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    status, body = await _extract(client, f"{origin(upstream)}/page")
    assert status == 200
    assert body["url"] == f"{origin(upstream)}/page"
    assert body["title"] == "Regionbibliotek Stockholm"
    assert body["lang"] == "sv"
    first = body["blocks"][0]
    assert first == {
        "index": 0,
        "kind": "heading",
        "text": "Regionbibliotek Stockholm",
        "lang": "sv",
        "level": 1,
        "locator": "#main-content > article > h1",
    }
    assert len(body["blocks"]) == 19


async def test_xhtml_is_accepted(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    status, body = await _extract(client, f"{origin(upstream)}/xhtml")
    assert status == 200
    assert [b["text"] for b in body["blocks"]] == ["Ett xhtml-dokument med text."]


async def test_redirects_are_followed_up_to_five(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    status, body = await _extract(client, f"{origin(upstream)}/redirect/5")
    assert status == 200
    assert body["url"] == f"{origin(upstream)}/page"
    body = await _refused(client, f"{origin(upstream)}/redirect/6", 502, "upstream_error")
    assert "redirects more than 5" in body["error"]["message"]


@pytest.mark.parametrize(
    "target", ["ftp://files.example/page", "file:///etc/passwd", "gopher://files.example/1"]
)
async def test_redirect_to_an_unreadable_address_is_refused_like_a_private_one(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, target: str
) -> None:
    """A redirect to a refused scheme is 403, the same as a redirect to a private address."""
    client = await _client(make_app, aiohttp_client, upstream)
    url = f"{origin(upstream)}/redirect-to?to={target}"
    body = await _refused(client, url, 403, "page_not_allowed")
    assert body["error"]["details"] == {"location": target}


async def test_redirect_to_another_origin_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    url = f"{origin(upstream)}/redirect-to?to=https://elsewhere.example/"
    await _refused(client, url, 403, "page_not_allowed")


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/page", "file:///etc/passwd", "javascript:alert(1)", "not a url", "/page"],
)
async def test_wrong_scheme_or_no_url_is_bad_url(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, url: str
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    await _refused(client, url, 400, "bad_url")


async def test_missing_url_parameter_is_bad_url(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    response = await client.get("/api/v1/extract")
    assert response.status == 400
    assert_canonical_error(await response.json(), 400, "bad_url")


async def test_origin_not_allow_listed_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    await _refused(client, "https://www.example.com/page", 403, "page_not_allowed")
    # Same host, other port: another origin.
    await _refused(client, "http://127.0.0.1:1/page", 403, "page_not_allowed")


async def test_private_address_is_refused_without_the_setting(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream, TTS_ALLOW_PRIVATE_ADDRESSES="0")
    body = await _refused(client, f"{origin(upstream)}/page", 403, "page_not_allowed")
    assert "TTS_ALLOW_PRIVATE_ADDRESSES" in body["error"]["message"]


async def test_host_name_resolving_to_loopback_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    # The check is in the client's resolver: the name is allowed, its address is not.
    allowed = f"http://localhost:{upstream.port}"
    client = await _client(
        make_app,
        aiohttp_client,
        upstream,
        TTS_ALLOWED_ORIGINS=allowed,
        TTS_ALLOW_PRIVATE_ADDRESSES="0",
    )
    body = await _refused(client, f"{allowed}/page", 403, "page_not_allowed")
    assert "localhost" in body["error"]["message"]


async def test_redirect_to_a_private_address_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    # The upstream is the service's own origin (demo on), which may be fetched on loopback;
    # the hop it redirects to is allow-listed but private, so it is refused.
    client = await _client(
        make_app,
        aiohttp_client,
        upstream,
        TTS_ALLOWED_ORIGINS=f"http://10.1.2.3,http://localhost:{upstream.port}",
        TTS_ALLOW_PRIVATE_ADDRESSES="0",
        TTS_DEMO="1",
        TTS_HOST="127.0.0.1",
        TTS_PORT=str(upstream.port),
    )
    status, _ = await _extract(client, f"{origin(upstream)}/page")
    assert status == 200
    for target in ("http://10.1.2.3/", f"http://localhost:{upstream.port}/page"):
        url = f"{origin(upstream)}/redirect-to?to={target}"
        await _refused(client, url, 403, "page_not_allowed")


@pytest.mark.parametrize("path", ["/big", "/big-stream"])
async def test_too_large_page_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, path: str
) -> None:
    client = await _client(make_app, aiohttp_client, upstream, TTS_FETCH_MAX_BYTES="20000")
    body = await _refused(client, f"{origin(upstream)}{path}", 413, "page_too_large")
    assert body["error"]["details"] == {"limit": 20000}


@pytest.mark.parametrize("path", ["/json", "/no-type"])
async def test_not_html_is_refused(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, path: str
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    await _refused(client, f"{origin(upstream)}{path}", 415, "not_html")


async def test_slow_upstream_times_out(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream, TTS_FETCH_TIMEOUT="0.3")
    body = await _refused(client, f"{origin(upstream)}/slow", 504, "upstream_timeout")
    assert "0.3 seconds" in body["error"]["message"]


@pytest.mark.parametrize("path", ["/error", "/missing"])
async def test_upstream_errors_are_502(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, path: str
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    await _refused(client, f"{origin(upstream)}{path}", 502, "upstream_error")


async def test_unreachable_upstream_is_502(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    port = upstream.port
    client = await _client(make_app, aiohttp_client, upstream)
    await upstream.close()
    await _refused(client, f"http://127.0.0.1:{port}/page", 502, "upstream_error")


@pytest.mark.parametrize("path", ["/latin1", "/meta-charset", "/sniffed", "/mislabelled"])
async def test_charset_from_header_meta_or_sniffing(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer, path: str
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    status, body = await _extract(client, f"{origin(upstream)}{path}")
    assert status == 200
    assert [b["text"] for b in body["blocks"]] == ["Välkommen till Åre, sa Örjan."]


async def test_read_page_counts_outcomes(
    make_app: AppFactory, aiohttp_client: ClientFactory, upstream: TestServer
) -> None:
    client = await _client(make_app, aiohttp_client, upstream)
    app = client.server.app
    reading = await read_page(app, f"{origin(upstream)}/page")
    assert reading.title == "Regionbibliotek Stockholm"
    await _extract(client, f"{origin(upstream)}/json")
    metrics = await (await client.get("/metrics")).text()
    assert 'tts_page_fetches_total{outcome="ok"} 1.0' in metrics
    assert 'tts_page_fetches_total{outcome="not_html"} 1.0' in metrics
    assert app[PAGE_FETCHER] is not None
