"""``ttsservice extract``: files, standard input and allow-listed URLs."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from ttsservice.cli import main

pytest_plugins = ["tests.conftest_reading"]

DATA = Path(__file__).parent / "data"
SEED = DATA / "regionbibliotek-stockholm.html"
EXPECTED = DATA / "regionbibliotek-stockholm.expected.txt"


def test_extract_file_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(SEED)]) == 0
    assert capsys.readouterr().out == EXPECTED.read_text("utf-8")


def test_extract_stdin_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED.read_bytes())))
    assert main(["extract", "-", "--format", "json", "--base-url", "https://x.se/a"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["url"] == "https://x.se/a"
    assert body["title"] == "Regionbibliotek Stockholm"
    assert body["blocks"][2]["kind"] == "caption"


def test_extract_settings_flags_apply(capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--skip-selectors", "ol,ul", "--content-selector", ".article__body"]
    assert main(["extract", str(SEED), *flags]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Det här gör Regionbibliotek Stockholm\n\n")
    assert "medieutbud" not in out and "Stärka formell" not in out


def test_extract_missing_file_and_bad_selector(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(DATA / "saknas.html")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["extract", str(SEED), "--content-selector", "main >>> ["]) == 2
    assert "not a CSS selector" in capsys.readouterr().err


async def test_extract_url_follows_the_fetch_rules(
    capsys: pytest.CaptureFixture[str], upstream: TestServer
) -> None:
    origin = f"http://127.0.0.1:{upstream.port}"
    loop = asyncio.get_running_loop()
    refused = ["extract", f"{origin}/page", "--allowed-origins", origin]
    assert await loop.run_in_executor(None, main, refused) == 1
    assert "page_not_allowed" in capsys.readouterr().err
    allowed = [*refused, "--allow-private-addresses", "1"]
    assert await loop.run_in_executor(None, main, allowed) == 0
    assert capsys.readouterr().out == EXPECTED.read_text("utf-8")
