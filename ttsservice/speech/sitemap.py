"""Reading sitemaps (``urlset`` and one level of ``sitemapindex``) for ``ttsservice warm``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from lxml import etree

__all__ = ["SitemapError", "load_sitemap", "parse_sitemap"]

_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_MAX_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit


class SitemapError(Exception):
    """A sitemap could not be fetched or is not a sitemap; the message says which."""


def parse_sitemap(data: bytes) -> tuple[list[str], list[str]]:
    """The page URLs and the child sitemap URLs listed in ``data``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not a sitemap (XML error: {exc})") from None
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: the root element is <{tag}>, not <urlset>")
    locs = [
        (el.text or "").strip() for el in root.iter(f"{_NS}loc", "loc") if (el.text or "").strip()
    ]
    return (locs, []) if tag == "urlset" else ([], locs)


async def _read(source: str, session: aiohttp.ClientSession | None) -> bytes:
    if urlsplit(source).scheme in ("http", "https"):
        if session is None:
            raise SitemapError(f"{source}: fetching is not available")
        try:
            async with session.get(source) as response:
                if response.status != 200:
                    raise SitemapError(f"{source}: the server answered {response.status}")
                data = await response.content.read(_MAX_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SitemapError(f"{source}: cannot fetch it ({exc or type(exc).__name__})") from None
    else:
        try:
            data = await asyncio.to_thread(Path(source).read_bytes)
        except OSError as exc:
            raise SitemapError(f"{source}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > _MAX_BYTES:
        raise SitemapError(f"{source}: larger than a sitemap may be (50 MB)")
    return data


async def load_sitemap(source: str, *, fetch_seconds: float = 10.0) -> list[str]:
    """Page URLs of the sitemap at ``source`` (URL or file), in order, without repeats."""
    client_timeout = aiohttp.ClientTimeout(total=fetch_seconds)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        pages, children = parse_sitemap(await _read(source, session))
        for child in children:
            child_pages, _ = parse_sitemap(await _read(child, session))
            pages.extend(child_pages)
    return list(dict.fromkeys(pages))
