"""The shared web plumbing through the real app: errors, metrics, OpenAPI, health, CORS, demo."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from ttsservice.web.health import READINESS_CHECKS, Check
from ttsservice.web.openapi import build_document, openapi_path
from ttsservice.web.requests import read_json_object

AppFactory = Callable[..., web.Application]
ClientFactory = Callable[[web.Application], Any]


def assert_canonical_error(body: Any, status: int, code: str | None = None) -> None:
    """The one error shape: {"error": {"code", "message", "status"}}."""
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "status"} <= set(error)
    assert error["status"] == status
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    if code is not None:
        assert error["code"] == code


async def test_healthz(make_app: AppFactory, aiohttp_client: ClientFactory) -> None:
    client: TestClient = await aiohttp_client(make_app())
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_reports_degraded_and_failed_checks(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    app = make_app()

    async def degraded() -> Check:
        return Check("voice", "degraded", "fallback voice in use")

    app[READINESS_CHECKS].append(degraded)
    client: TestClient = await aiohttp_client(app)
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    assert body["status"] == "degraded"
    assert "voice: fallback voice in use" in body["reasons"]

    async def failed() -> Check:
        return Check("database", "failed", "not writable")

    app[READINESS_CHECKS].append(failed)
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["status"] == "unavailable"


async def test_unknown_path_is_canonical_404(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(make_app())
    response = await client.get("/no/such/page")
    assert response.status == 404
    assert_canonical_error(await response.json(), 404, "not_found")


async def test_wrong_method_is_canonical_405_with_allow(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(make_app())
    response = await client.delete("/healthz")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert_canonical_error(await response.json(), 405, "method_not_allowed")


@pytest.fixture
def json_echo_app(make_app: AppFactory) -> web.Application:
    """The real app plus one route that reads a JSON body the shared way."""
    app = make_app(TTS_MAX_REQUEST_BYTES="2048")

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(await read_json_object(request))

    app.router.add_post("/test-echo", echo)
    return app


async def test_body_errors_are_canonical(
    json_echo_app: web.Application, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(json_echo_app)
    too_large = await client.post(
        "/test-echo", data=b"{" + b" " * 5000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert too_large.status == 413
    body = await too_large.json()
    assert_canonical_error(body, 413, "request_too_large")
    assert "2048" in body["error"]["message"]

    wrong_type = await client.post("/test-echo", data="url=x")
    assert wrong_type.status == 415
    assert_canonical_error(await wrong_type.json(), 415, "unsupported_media_type")

    bad_json = await client.post(
        "/test-echo", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400
    assert_canonical_error(await bad_json.json(), 400, "bad_json")

    not_object = await client.post("/test-echo", json=[1, 2])
    assert not_object.status == 400
    assert_canonical_error(await not_object.json(), 400, "bad_json")

    ok = await client.post("/test-echo", json={"a": "å"})
    assert ok.status == 200 and await ok.json() == {"a": "å"}


async def test_unexpected_exception_is_a_canonical_500_without_traceback(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    app = make_app()

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app.router.add_get("/test-broken", broken)
    client: TestClient = await aiohttp_client(app)
    response = await client.get("/test-broken")
    assert response.status == 500
    body = await response.json()
    assert_canonical_error(body, 500, "internal_error")
    assert "secret" not in str(body)


async def test_metrics_use_route_templates_and_pass_promtool(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(make_app())
    for name in ("demo.css", "bokhyllor.svg", "missing.css"):
        await client.get(f"/static/{name}")
    await client.get("/no/such/page/12345")
    text = await (await client.get("/metrics")).text()
    # Label values only: sample values such as *_created timestamps may
    # contain any digits.
    label_values = {
        value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert "/static/{name}" in label_values
    assert "unmatched" in label_values
    assert not [v for v in label_values if "demo.css" in v or "12345" in v or "/no/" in v]
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: install Debian's prometheus package"
    proc = await asyncio.create_subprocess_exec(
        promtool,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(text.encode()), timeout=30)
    assert proc.returncode == 0, output.decode()


async def test_two_apps_in_one_process_share_no_metrics(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    first: TestClient = await aiohttp_client(make_app())
    second: TestClient = await aiohttp_client(make_app())
    for _ in range(3):
        await first.get("/healthz")
    text = await (await second.get("/metrics")).text()
    assert 'tts_http_requests_total{method="GET",route="/healthz",status="200"}' not in text
    text = await (await first.get("/metrics")).text()
    assert 'tts_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in text


async def test_openapi_is_valid_and_matches_the_routes(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    app = make_app()
    client: TestClient = await aiohttp_client(app)
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    served = {
        (openapi_path(route.resource.canonical), route.method.lower())
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == described
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert op["summary"] != "(undocumented)", f"{method.upper()} {path} is undocumented"
            assert op["responses"], f"{method.upper()} {path} lists no responses"
    assert build_document(app) == document


async def test_openapi_links_params_and_body_answers_are_the_services_own(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    """Links lead to documented operations, route regexes reach the parameters, and every
    operation that reads a JSON body lists what the shared body reading answers."""
    client: TestClient = await aiohttp_client(make_app())
    document = await (await client.get("/openapi.json")).json()
    links = 0
    for item in document["paths"].values():
        for op in item.values():
            for answer in op["responses"].values():
                for link in answer.get("links", {}).values():
                    _, path, method = link["operationRef"].rsplit("/", 2)
                    target = document["paths"][path.replace("~1", "/")][method]
                    names = {p["name"] for p in target["parameters"]}
                    assert set(link["parameters"]) <= names
                    links += 1
            if "json" in str(op.get("requestBody", {})):
                assert {"400", "408", "413", "415"} <= set(op["responses"])
    assert links >= 3
    download = document["paths"]["/api/v1/readings/{ident}.mp3"]["get"]["parameters"]
    assert download[0]["schema"]["pattern"] == "^(?:[0-9a-f]{32})$"
    timings = document["paths"]["/api/v1/audio/{key}.json"]["get"]["parameters"]
    assert timings[0]["schema"]["pattern"] == "^(?:[0-9a-f]{64})$"


async def test_demo_page_and_assets(make_app: AppFactory, aiohttp_client: ClientFactory) -> None:
    client: TestClient = await aiohttp_client(make_app())
    page = await client.get("/demo")
    assert page.status == 200
    assert "Regionbibliotek Stockholm" in await page.text()
    css = await client.get("/static/demo.css")
    assert css.status == 200 and css.content_type == "text/css"
    for bad in ("../settings.py", "demo.html", ".hidden.css", "nope.py"):
        response = await client.get(f"/static/{bad}")
        assert response.status == 404, bad
    root = await client.get("/", allow_redirects=False)
    assert root.status == 302 and root.headers["Location"] == "/demo"


async def test_demo_can_be_turned_off(make_app: AppFactory, aiohttp_client: ClientFactory) -> None:
    client: TestClient = await aiohttp_client(make_app(TTS_DEMO="false"))
    response = await client.get("/demo")
    assert response.status == 404
    assert_canonical_error(await response.json(), 404)


async def test_cors_for_allowed_origins_only(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(
        make_app(TTS_ALLOWED_ORIGINS="https://www.regionstockholm.se")
    )
    preflight = await client.options(
        "/healthz",
        headers={
            "Origin": "https://www.regionstockholm.se",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.regionstockholm.se"
    assert "Access-Control-Allow-Credentials" not in preflight.headers

    refused = await client.options(
        "/healthz",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status == 403
    assert_canonical_error(await refused.json(), 403, "origin_not_allowed")

    simple = await client.get("/no-such", headers={"Origin": "https://www.regionstockholm.se"})
    assert simple.status == 404
    assert simple.headers["Access-Control-Allow-Origin"] == "https://www.regionstockholm.se"
    other = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("route", ["/api/v1/speak", "/api/v1/readings", "/test-echo"])
async def test_hostile_json_bodies_are_canonical_400(
    make_app: AppFactory, aiohttp_client: ClientFactory, route: str
) -> None:
    """Deep nesting, huge integers and lone surrogates are 400, never a 500."""
    app = make_app()

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(await read_json_object(request))

    app.router.add_post("/test-echo", echo)
    client: TestClient = await aiohttp_client(app)
    hostile = [
        b'{"text": ' + b"[" * 30000 + b"]" * 30000 + b"}",
        b'{"text": ' + b"9" * 5000 + b"}",
        b'{"text": "\\ud8f8", "lang": "sv"}',
        b'{"url": "https://example.se/\\udc00"}',
        b'{"\\ud800": 1}',
    ]
    for body in hostile:
        response = await client.post(route, data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400, (body[:40], await response.text())
        assert_canonical_error(await response.json(), 400, "bad_json")
    # Strings that merely look like brackets or escapes are fine.
    ok = await client.post("/test-echo", json={"a": "[[[{{" * 20, "b": "\\"})
    assert ok.status == 200


async def test_client_disconnect_mid_body_is_499_at_info(
    make_app: AppFactory, aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A dropped upload is the client's doing: counted as 499, one info line, no traceback."""
    client: TestClient = await aiohttp_client(make_app())
    caplog.set_level("INFO")
    for _ in range(3):
        _reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(
            b"POST /api/v1/speak HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"text": "hej'
        )
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
    for _ in range(100):
        metrics = await (await client.get("/metrics")).text()
        if 'route="/api/v1/speak",status="499"} 3.0' in metrics:
            break
        await asyncio.sleep(0.05)
    counted = 'tts_http_requests_total{method="POST",route="/api/v1/speak",status="499"} 3.0'
    assert counted in metrics
    assert 'route="/api/v1/speak",status="500"' not in metrics
    records = [r for r in caplog.records if "closed the connection" in r.getMessage()]
    assert len(records) == 3 and all(r.levelname == "INFO" for r in records)
    assert not any(r.exc_info for r in caplog.records)
    assert not any(r.levelno >= 40 for r in caplog.records)


async def test_every_answer_says_nosniff(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    """JSON, /openapi.json, /metrics, /demo and error answers all carry nosniff."""
    client: TestClient = await aiohttp_client(make_app())
    answers = [
        await client.get("/healthz"),
        await client.get("/openapi.json"),
        await client.get("/metrics"),
        await client.get("/demo"),
        await client.get("/no-such-page"),
        await client.delete("/healthz"),
        await client.post(
            "/api/v1/speak", data=b"{nope", headers={"Content-Type": "application/json"}
        ),
    ]
    for response in answers:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.url


async def test_declared_length_over_the_limit_is_413_at_once(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    """Content-Length: 1000000000 with one byte sent is refused without waiting for the body."""
    client: TestClient = await aiohttp_client(make_app())
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(
            b"POST /api/v1/speak HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n{"
        )
        await writer.drain()
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 413 "), head
            assert b"Connection: close" in head
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            body = json.loads(await reader.readexactly(length))
    finally:
        writer.close()
    assert_canonical_error(body, 413, "request_too_large")
    assert "65536" in body["error"]["message"]


async def test_a_body_that_does_not_arrive_in_time_is_refused_with_408(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    """TTS_BODY_TIMEOUT holds for a body still on its way; one sent whole with its headers
    is read at once (no deadline needed for it)."""
    client: TestClient = await aiohttp_client(make_app(TTS_BODY_TIMEOUT="0.5"))
    body = b'{"url": "https://www.regionstockholm.se/", "answer": "kanske"}'
    head = (
        "POST /api/v1/votes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(head + body[:10])  # the rest never comes
        await writer.drain()
        started = asyncio.get_running_loop().time()
        status = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout=5)
        assert status.startswith(b"HTTP/1.1 408")
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        writer.close()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(head + body)
        await writer.drain()
        status = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout=5)
        assert status.startswith(b"HTTP/1.1 400")  # read and answered: the answer is bad
    finally:
        writer.close()
