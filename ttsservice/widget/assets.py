"""The widget's files as served: content-hashed names, SRI hashes and gzip bodies.

The script is written in parts, one per job, in ``js/`` (see :data:`SCRIPT_PARTS`),
and its style sheet is a plain file in ``static/``; there is no build step. When
the service starts it reads them once, joins the parts in their fixed order into
the one ``widget.js`` it serves, writes the style sheet's hashed
name and SRI hash into the script (so one ``<script>`` tag brings both, each
checked by the browser), and hashes the result. A changed file gives new
names, so the hashed URLs can be cached for ever.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

__all__ = ["WidgetAsset", "WidgetAssets", "build_assets", "read_sources"]

SCRIPT_PARTS = (
    "head.js",  # opens the script's scope; version, limits, placeholders
    "strings.js",  # every text the visitor sees, in sv, en, fi and ar; shortcuts
    "core.js",  # configuration from the script tag, DOM and HTTP helpers, errors
    "consent.js",  # consent, storage only after it, the notices shown without it
    "highlighter.js",  # marking the sentence and the word being read
    "passages.js",  # a reading's voices and credits, passages that cannot be read aloud
    "player.js",  # the read-aloud player
    "form.js",  # the feedback form
    "start.js",  # mounting, the public TTSWidget API, start-up; closes the scope
)
"""The parts of ``widget.js`` in ``js/``, in the order they are joined (they share one scope)."""

CSS_FILE_MARK = b"__TTS_CSS_FILE__"
CSS_INTEGRITY_MARK = b"__TTS_CSS_INTEGRITY__"


@dataclass(frozen=True, slots=True)
class WidgetAsset:
    """One served file of the widget."""

    name: str
    """Stable name, e.g. ``widget.js`` (short-lived cache)."""
    hashed_name: str
    """Content-hashed name, e.g. ``widget.3f2a9c1b7d4e.js`` (cached for ever)."""
    content_type: str
    """MIME type it is served with."""
    body: bytes
    """The bytes served."""
    gzipped: bytes
    """The same bytes gzip-compressed, served to clients that accept gzip."""
    integrity: str
    """Subresource Integrity value, ``sha384-…``."""
    etag: str
    """Strong ETag (quoted)."""


@dataclass(frozen=True, slots=True)
class WidgetAssets:
    """The widget's script and style sheet, looked up by either of their names."""

    script: WidgetAsset
    """``widget.js``."""
    stylesheet: WidgetAsset
    """``widget.css``."""

    def find(self, name: str) -> tuple[WidgetAsset, bool] | None:
        """The asset served at ``name`` and whether that name is the immutable one."""
        for asset in (self.script, self.stylesheet):
            if name == asset.hashed_name:
                return asset, True
            if name == asset.name:
                return asset, False
        return None


WIDGET_ASSETS: web.AppKey[WidgetAssets] = web.AppKey("widget_assets")
"""The widget's script and style sheet with their hashed names and SRI; set when the app starts."""


def _asset(name: str, content_type: str, body: bytes) -> WidgetAsset:
    digest = hashlib.sha384(body).digest()
    short = hashlib.sha256(body).hexdigest()[:12]
    stem, _, suffix = name.rpartition(".")
    return WidgetAsset(
        name=name,
        hashed_name=f"{stem}.{short}.{suffix}",
        content_type=content_type,
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        integrity="sha384-" + base64.b64encode(digest).decode("ascii"),
        etag=f'"{short}"',
    )


def build_assets(script_source: bytes, stylesheet_source: bytes) -> WidgetAssets:
    """Hash the style sheet, write its name and SRI into the script, hash the script."""
    stylesheet = _asset("widget.css", "text/css", stylesheet_source)
    if CSS_FILE_MARK not in script_source or CSS_INTEGRITY_MARK not in script_source:
        raise ValueError("widget.js lacks the style sheet placeholders")
    script_body = script_source.replace(CSS_FILE_MARK, stylesheet.hashed_name.encode()).replace(
        CSS_INTEGRITY_MARK, stylesheet.integrity.encode()
    )
    return WidgetAssets(
        script=_asset("widget.js", "text/javascript", script_body), stylesheet=stylesheet
    )


def read_sources() -> tuple[bytes, bytes]:
    """The shipped ``widget.js`` (its parts joined) and ``widget.css`` (blocking).

    Call it in an executor.
    """
    package = resources.files("ttsservice.widget")
    script = b"".join(package.joinpath("js", part).read_bytes() for part in SCRIPT_PARTS)
    return script, package.joinpath("static", "widget.css").read_bytes()
