"""``ttsservice extract PATH_OR_URL|-``: what the service would read aloud from a page."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import aiohttp

from ttsservice.errors import ServiceError
from ttsservice.reading.extract import extract_reading
from ttsservice.reading.fetch import PageFetcher, PublicAddressResolver, decode_html
from ttsservice.reading.model import ExtractOptions, Reading
from ttsservice.settings import Settings
from ttsservice.settingsflags import add_settings_flags, settings_from_args

__all__ = ["register"]

_SETTINGS = [
    "allowed_origins",
    "allow_private_addresses",
    "fetch_timeout",
    "fetch_max_bytes",
    "content_selector",
    "skip_selectors",
    "read_asides",
    "read_image_alt",
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``extract`` command."""
    parser = sub.add_parser(
        "extract",
        help="show the text the service reads aloud from a page",
        description="Extract the readable content of a page: a local HTML file, '-' for HTML "
        "on standard input, or an http(s) URL (fetched with the service's rules: allow-listed "
        "origins and public addresses only).",
    )
    parser.add_argument(
        "source",
        metavar="PATH_OR_URL",
        help="HTML file, '-' for standard input, or http(s) URL of an allow-listed page",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the blocks separated by blank lines; json: title, language and blocks "
        "with kind, level, language and locator (default: text)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="URL recorded as the page's address when reading a file or standard input",
    )
    add_settings_flags(parser, names=_SETTINGS)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    options = ExtractOptions.from_settings(settings)
    source: str = args.source
    try:
        if source.startswith(("http://", "https://")):
            reading = asyncio.run(_fetch(source, settings, options))
        else:
            try:
                raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
            except OSError as exc:
                print(
                    f"ttsservice extract: error: cannot read {source}: {exc.strerror}",
                    file=sys.stderr,
                )
                return 1
            reading = extract_reading(decode_html(raw, None), args.base_url, options)
    except ServiceError as exc:
        print(f"ttsservice extract: error: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"ttsservice extract: error: {exc}", file=sys.stderr)
        return 2
    _print(reading, args.format)
    return 0


async def _fetch(url: str, settings: Settings, options: ExtractOptions) -> Reading:
    resolver = PublicAddressResolver(allow_private=settings.allow_private_addresses)
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        page = await PageFetcher(session, settings).fetch(url)
    return extract_reading(page.text(), page.url, options)


def _print(reading: Reading, fmt: str) -> None:
    if fmt == "json":
        text = json.dumps(reading.to_json(), ensure_ascii=False, indent=2)
    else:
        text = reading.text
    sys.stdout.write(text + "\n")
