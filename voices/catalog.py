"""The catalogue of neural voices the service knows how to download.

``voices/catalog.json`` lists each voice's files in the Piper voices
repository (path, size, md5 from upstream's ``voices.json``), the repository
revision they are pinned to, and the licence and attribution to show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Catalog", "CatalogFile", "CatalogVoice", "load_catalog"]


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One file of a voice in the Piper voices repository."""

    path: str
    """Path inside the repository, e.g. ``sv/sv_SE/nst/medium/sv_SE-nst-medium.onnx``."""
    size: int | None
    """Size in bytes from upstream's voices.json; None when unknown."""
    md5: str | None
    """Hex md5 digest from upstream's voices.json; None when unknown."""

    def url(self, base_url: str, revision: str) -> str:
        """Download URL of this file under ``base_url`` at ``revision``."""
        return f"{base_url.rstrip('/')}/{revision}/{self.path}"


@dataclass(frozen=True, slots=True)
class CatalogVoice:
    """A voice the service can download by name."""

    name: str
    """Catalogue name, e.g. ``sv_SE-nst-medium``."""
    language: str
    """Language code, e.g. ``sv``."""
    locale: str
    """Language and region, e.g. ``sv_SE``."""
    quality: str
    """Piper quality level: x_low, low, medium or high."""
    revision: str
    """Revision (tag or commit) of the voices repository the files are pinned to."""
    model: CatalogFile
    config: CatalogFile
    license: str
    """Licence note for people deploying the voice."""
    attribution: str | None
    """Text that must be shown with the voice's audio (CC BY), or None."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """All catalogue voices, by name, with the default and the download base URL."""

    base_url: str
    default: str
    voices: dict[str, CatalogVoice]

    def get(self, name: str) -> CatalogVoice | None:
        """The voice called ``name``, or None."""
        return self.voices.get(name)

    @property
    def names(self) -> list[str]:
        """Names of all catalogue voices, sorted."""
        return sorted(self.voices)


def _file(raw: dict[str, Any]) -> CatalogFile:
    size = raw.get("size")
    md5 = raw.get("md5")
    return CatalogFile(
        path=str(raw["path"]),
        size=int(size) if size is not None else None,
        md5=str(md5).lower() if md5 else None,
    )


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Build a :class:`Catalog` from the decoded ``catalog.json``."""
    voices = {}
    for raw in data["voices"]:
        voice = CatalogVoice(
            name=str(raw["name"]),
            language=str(raw["language"]),
            locale=str(raw["locale"]),
            quality=str(raw["quality"]),
            revision=str(raw["revision"]),
            model=_file(raw["model"]),
            config=_file(raw["config"]),
            license=str(raw["license"]),
            attribution=raw.get("attribution"),
        )
        voices[voice.name] = voice
    default = str(data["default"])
    if default not in voices:
        raise ValueError(f"catalog default {default!r} is not a listed voice")
    return Catalog(base_url=str(data["base_url"]), default=default, voices=voices)


def load_catalog() -> Catalog:
    """The shipped catalogue (``voices/catalog.json``)."""
    text = resources.files("voices").joinpath("catalog.json").read_text(encoding="utf-8")
    return parse_catalog(json.loads(text))
