"""The widget's files as the service serves them: names, caching, SRI, size, CSP-safe source."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from ttsservice.widget.assets import SCRIPT_PARTS, build_assets, read_sources

AppFactory = Callable[..., web.Application]
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]

SIZE_LIMIT = 30 * 1024


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def _integrity(client: TestClient) -> dict[str, Any]:
    response = await client.get("/widget/integrity.json")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data: dict[str, Any] = await response.json()
    return data


async def test_hashed_urls_carry_the_published_integrity(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app(TTS_PUBLIC_URL="https://tts.example.se"))
    data = await _integrity(client)
    assert set(data["files"]) == {"widget.js", "widget.css"}
    for name, entry in data["files"].items():
        stem, suffix = name.split(".")
        assert re.fullmatch(rf"/widget/{stem}\.[0-9a-f]{{12}}\.{suffix}", entry["path"])
        assert entry["url"] == "https://tts.example.se" + entry["path"]
        hashed = await client.get(entry["path"], headers={"Accept-Encoding": "identity"})
        assert hashed.status == 200
        body = await hashed.read()
        assert sri(body) == entry["integrity"]
        assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert hashed.headers["Access-Control-Allow-Origin"] == "*"
        assert hashed.headers["X-Content-Type-Options"] == "nosniff"
        stable = await client.get(f"/widget/{name}", headers={"Accept-Encoding": "identity"})
        assert await stable.read() == body
        assert stable.headers["Cache-Control"] == "public, max-age=300"
    script = data["files"]["widget.js"]
    assert f'src="{script["url"]}"' in data["snippet"]
    assert f'integrity="{script["integrity"]}"' in data["snippet"]
    assert 'crossorigin="anonymous"' in data["snippet"]


async def test_script_loads_its_stylesheet_by_hashed_name_and_sri(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app())
    data = await _integrity(client)
    script = await (await client.get(data["files"]["widget.js"]["path"])).text()
    css = data["files"]["widget.css"]
    assert "__TTS_CSS" not in script
    assert f'"{css["path"].rsplit("/", 1)[1]}"' in script
    assert f'"{css["integrity"]}"' in script


async def test_gzip_etag_and_unknown_names(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app())
    plain = await client.get("/widget/widget.js", headers={"Accept-Encoding": "identity"})
    body = await plain.read()
    assert plain.content_type == "text/javascript"
    assert "Content-Encoding" not in plain.headers
    zipped = await client.get(
        "/widget/widget.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await zipped.read()) == body
    etag = plain.headers["ETag"]
    again = await client.get("/widget/widget.js", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    for bad in ("widget.000000000000.js", "demo.css", "..%2Fassets.py", "widget.py"):
        response = await client.get(f"/widget/{bad}")
        assert response.status == 404, bad
        error = (await response.json())["error"]
        assert error["code"] == "not_found" and error["status"] == 404


def test_script_and_stylesheet_are_under_30_kb_compressed() -> None:
    assets = build_assets(*read_sources())
    compressed = len(gzip.compress(assets.script.body)) + len(gzip.compress(assets.stylesheet.body))
    assert compressed < SIZE_LIMIT, f"{compressed} bytes gzipped"
    assert len(assets.script.gzipped) + len(assets.stylesheet.gzipped) < SIZE_LIMIT


def test_every_part_of_the_script_is_served_once() -> None:
    """A part added to ``js/`` but not to SCRIPT_PARTS would silently be left out."""
    folder = Path(__file__).resolve().parent.parent / "ttsservice" / "widget" / "js"
    on_disk = sorted(p.name for p in folder.glob("*.js"))
    assert sorted(SCRIPT_PARTS) == on_disk
    assert len(set(SCRIPT_PARTS)) == len(SCRIPT_PARTS)
    script = read_sources()[0]
    for part in SCRIPT_PARTS:
        assert (folder / part).read_bytes() in script


def test_a_changed_file_gets_new_names() -> None:
    script, stylesheet = read_sources()
    first = build_assets(script, stylesheet)
    changed = build_assets(script, stylesheet + b"\n.tts-x { color: red; }\n")
    assert changed.stylesheet.hashed_name != first.stylesheet.hashed_name
    # The script names its style sheet, so it changes with it.
    assert changed.script.hashed_name != first.script.hashed_name
    assert build_assets(script, stylesheet) == first


def test_script_source_keeps_to_a_strict_content_security_policy() -> None:
    script = read_sources()[0].decode()
    code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", script, flags=re.S | re.M)
    forbidden = {
        "eval": r"\beval\s*\(",
        "new Function": r"new\s+Function\b",
        "string timers": r"set(?:Timeout|Interval)\(\s*['\"`]",
        "style attribute": r"\.style\s*=|setAttribute\(\s*['\"]style|cssText",
        "inline style element": r"createElement\(\s*['\"]style",
        "HTML strings": r"innerHTML|outerHTML|insertAdjacentHTML|document\.write",
    }
    found = {name: re.findall(pattern, code) for name, pattern in forbidden.items()}
    assert not any(found.values()), found


async def test_demo_embeds_the_hashed_script_under_a_strict_policy(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app())
    data = await _integrity(client)
    page = await client.get("/demo")
    html = await page.text()
    script = data["files"]["widget.js"]
    assert f'src="{script["path"]}" integrity="{script["integrity"]}"' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


async def test_readiness_reports_the_widget(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(make_app())
    body = await (await client.get("/readyz")).json()
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["widget"]["status"] == "ok"
