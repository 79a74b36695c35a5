"""Installed voices: the model files in ``settings.voices_dir`` and what was recorded about them.

Layout of the folder, per voice ``NAME``::

    NAME.onnx            the Piper model
    NAME.onnx.json       its config
    NAME.install.json    what was installed: sha256 of both files, source, time

Files are always written to a hidden temporary file in the same folder and
renamed into place once complete and checked, so an interrupted or failed
install (network error, wrong checksum, Ctrl-C) leaves no partial voice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voices.catalog import Catalog, CatalogFile, CatalogVoice, load_catalog
from voices.engine import (
    PiperSpeechVoice,
    VoiceLoadError,
    aligned_path,
    file_sha256,
    unaligned_marker,
)

__all__ = [
    "ChecksumMismatch",
    "DownloadError",
    "InstalledVoice",
    "NotInstalled",
    "UnknownCatalogVoice",
    "VerifyResult",
    "VoiceStore",
    "VoiceStoreError",
]

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$")
_USER_AGENT = "ttsservice-voices"


class VoiceStoreError(Exception):
    """Installing, checking or removing a voice failed; the message says what to do."""


class UnknownCatalogVoice(VoiceStoreError):
    """The name is not in the catalogue."""


class NotInstalled(VoiceStoreError):
    """The voice is not installed."""


class DownloadError(VoiceStoreError):
    """A voice file could not be downloaded (network, HTTP error, timeout)."""


class ChecksumMismatch(DownloadError):
    """A downloaded file does not have the size or md5 the catalogue gives."""


@dataclass(frozen=True, slots=True)
class InstalledVoice:
    """A voice found in the voices folder."""

    name: str
    model_path: Path
    config_path: Path
    record: dict[str, Any] | None
    """What was recorded at install (sha256 of the files, source), or None."""

    @property
    def quality(self) -> str | None:
        """Quality level from the config (``audio.quality``), if it says."""
        try:
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
            quality = config.get("audio", {}).get("quality")
        except (OSError, ValueError, AttributeError):
            return None
        return str(quality) if quality else None

    @property
    def size(self) -> int:
        """Size of the model file in bytes."""
        return self.model_path.stat().st_size


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of checking one installed voice against its install record."""

    name: str
    status: Literal["ok", "corrupt", "unrecorded"]
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the files are exactly what was installed."""
        return self.status == "ok"


def check_name(name: str) -> str:
    """``name`` if it can be a voice file name (no paths, no hidden files), else an error."""
    if not _NAME.match(name) or name.endswith((".onnx", ".json")):
        raise VoiceStoreError(
            f"{name!r} cannot be a voice name: use letters, digits, '_', '-', '.' "
            "(like sv_SE-nst-medium), without .onnx"
        )
    return name


class VoiceStore:
    """The voices folder: list, install (download or from a file), verify and remove voices."""

    def __init__(
        self, folder: Path, *, catalog: Catalog | None = None, base_url: str | None = None
    ) -> None:
        self.folder = Path(folder)
        self.catalog = catalog if catalog is not None else load_catalog()
        self.base_url = (base_url or self.catalog.base_url).rstrip("/")

    # --- paths and listing ------------------------------------------------

    def model_path(self, name: str) -> Path:
        """Where voice ``name``'s model lives (whether or not it is installed)."""
        return self.folder / f"{check_name(name)}.onnx"

    def config_path(self, name: str) -> Path:
        """Where voice ``name``'s config lives."""
        return self.folder / f"{check_name(name)}.onnx.json"

    def record_path(self, name: str) -> Path:
        """Where voice ``name``'s install record lives."""
        return self.folder / f"{check_name(name)}.install.json"

    def installed(self) -> list[InstalledVoice]:
        """Voices in the folder that have both a model and a config, by name."""
        if not self.folder.is_dir():
            return []
        found = []
        for model in sorted(self.folder.glob("*.onnx")):
            name = model.name.removesuffix(".onnx")
            if name.startswith(".") or not _NAME.match(name):
                continue
            voice = self.find(name)
            if voice is not None:
                found.append(voice)
        return found

    def find(self, name: str) -> InstalledVoice | None:
        """The installed voice ``name``, or None when its model or config is missing."""
        model, config = self.model_path(name), self.config_path(name)
        if not (model.is_file() and config.is_file()):
            return None
        return InstalledVoice(name, model, config, self._read_record(name))

    def _read_record(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.record_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # --- install -----------------------------------------------------------

    def catalog_voice(self, name: str) -> CatalogVoice:
        """The catalogue entry ``name``; the error lists the known names."""
        voice = self.catalog.get(name)
        if voice is None:
            known = ", ".join(self.catalog.names)
            raise UnknownCatalogVoice(f"unknown voice {name!r}; known voices: {known}")
        return voice

    def install(
        self, name: str, *, timeout: float = 30.0, progress: bool = False
    ) -> InstalledVoice:
        """Download catalogue voice ``name``, check size and md5, check it loads, install it.

        ``timeout`` bounds each network wait (connecting, every read). Nothing
        is left in the folder when anything fails or the process is interrupted.
        """
        entry = self.catalog_voice(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._temporary(name) as (tmp_model, tmp_config):
            config_url = entry.config.url(self.base_url, entry.revision)
            model_url = entry.model.url(self.base_url, entry.revision)
            self._download(config_url, entry.config, tmp_config, timeout=timeout, progress=False)
            self._download(model_url, entry.model, tmp_model, timeout=timeout, progress=progress)
            self._check_loads(name, tmp_model, tmp_config, source=model_url)
            return self._commit(name, tmp_model, tmp_config, source=model_url)

    def install_from(
        self,
        model: Path,
        *,
        config: Path | None = None,
        name: str | None = None,
        espeak_voice: str | None = None,
    ) -> InstalledVoice:
        """Install a voice from local files (offline).

        The config defaults to ``MODEL.json`` next to the model, the name to the
        model's file name without ``.onnx``. ``espeak_voice`` rewrites the
        config's espeak voice (e.g. ``sv`` to let an English model stand in).
        The voice must load before it is installed.
        """
        model = Path(model)
        config = Path(config) if config else Path(f"{model}.json")
        name = check_name(name or model.name.removesuffix(".onnx"))
        if not model.is_file():
            raise VoiceStoreError(f"no model file at {model}")
        if not config.is_file():
            raise VoiceStoreError(
                f"no config at {config}: put the voice's .onnx.json next to the model "
                "or give it with --config"
            )
        try:
            config_bytes = config.read_bytes()
            config_data = json.loads(config_bytes)
        except (OSError, ValueError) as exc:
            raise VoiceStoreError(f"{config} is not a JSON voice config: {exc}") from exc
        if not isinstance(config_data, dict) or "espeak" not in config_data:
            raise VoiceStoreError(f"{config} is not a Piper voice config (no 'espeak' section)")
        if espeak_voice:
            config_data["espeak"] = {**config_data["espeak"], "voice": espeak_voice}
            config_bytes = json.dumps(config_data, ensure_ascii=False, indent=2).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._temporary(name) as (tmp_model, tmp_config):
            tmp_config.write_bytes(config_bytes)
            with model.open("rb") as src, tmp_model.open("wb") as dst:
                while chunk := src.read(CHUNK_BYTES):
                    dst.write(chunk)
            source = f"file:{model.resolve()}"
            self._check_loads(name, tmp_model, tmp_config, source=str(model))
            return self._commit(name, tmp_model, tmp_config, source=source)

    @contextlib.contextmanager
    def _temporary(self, name: str) -> Iterator[tuple[Path, Path]]:
        """Two hidden temporary files in the folder, removed unless renamed away."""
        paths: list[Path] = []
        try:
            for suffix in (".onnx", ".onnx.json"):
                fd, raw = tempfile.mkstemp(
                    prefix=f".{check_name(name)}{suffix}.", suffix=".part", dir=self.folder
                )
                os.close(fd)
                paths.append(Path(raw))
            yield paths[0], paths[1]
        finally:  # also on KeyboardInterrupt
            for path in paths:
                path.unlink(missing_ok=True)
            if paths:  # what loading the model to check it left beside it
                aligned_path(paths[0]).unlink(missing_ok=True)
                unaligned_marker(paths[0]).unlink(missing_ok=True)

    def _download(
        self, url: str, expected: CatalogFile, target: Path, *, timeout: float, progress: bool
    ) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310
        md5 = hashlib.md5(usedforsecurity=False)
        written = 0
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                length = response.headers.get("Content-Length")
                total = expected.size or (int(length) if length and length.isdigit() else None)
                with target.open("wb") as out, _progress_bar(progress, total, url) as bar:
                    while chunk := response.read1(CHUNK_BYTES):
                        out.write(chunk)
                        md5.update(chunk)
                        written += len(chunk)
                        if expected.size is not None and written > expected.size:
                            break
                        if bar is not None:
                            bar.update(len(chunk))
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(f"cannot download {url}: {reason}") from exc
        if expected.size is not None and written != expected.size:
            raise ChecksumMismatch(
                f"{url} has {written} bytes where {expected.size} were expected; "
                "nothing was installed"
            )
        if expected.md5 is not None and md5.hexdigest() != expected.md5:
            raise ChecksumMismatch(
                f"{url} has md5 {md5.hexdigest()} where {expected.md5} was expected; "
                "nothing was installed"
            )
        if expected.md5 is None:
            logger.warning("no published checksum for %s; it is checked only by loading it", url)

    def _check_loads(self, name: str, model: Path, config: Path, *, source: str) -> None:
        try:
            PiperSpeechVoice.load(model, config, name=name)
        except VoiceLoadError as exc:
            raise VoiceStoreError(
                f"{source} is not a working Piper voice ({exc}); nothing was installed"
            ) from exc

    def _commit(
        self, name: str, tmp_model: Path, tmp_config: Path, *, source: str
    ) -> InstalledVoice:
        record = {
            "name": name,
            "model_sha256": file_sha256(tmp_model),
            "config_sha256": file_sha256(tmp_config),
            "model_size": tmp_model.stat().st_size,
            "source": source,
            "installed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        for path in (tmp_model, tmp_config):
            path.chmod(0o644)  # mkstemp makes 0600; the service may run as another user
        os.replace(tmp_config, self.config_path(name))
        model = self.model_path(name)
        os.replace(tmp_model, model)
        # What loading it left beside it (the aligned copy, or the note that there can be
        # none) goes with it: the service's first start need not patch the model again.
        for made in (aligned_path, unaligned_marker):
            if made(tmp_model).is_file():
                os.replace(made(tmp_model), made(model))
            else:
                made(model).unlink(missing_ok=True)
        _write_atomically(self.record_path(name), json.dumps(record, indent=2) + "\n")
        logger.info("installed voice %s from %s", name, source)
        voice = self.find(name)
        assert voice is not None
        return voice

    # --- verify and remove ------------------------------------------------

    def verify_one(self, name: str) -> VerifyResult:
        """Compare voice ``name``'s files with the sha256 recorded at install."""
        voice = self.find(name)
        if voice is None:
            raise self._not_installed(name)
        if voice.record is None:
            return VerifyResult(name, "unrecorded", "no install record: reinstall to record it")
        problems = []
        for label, path, key in (
            ("model", voice.model_path, "model_sha256"),
            ("config", voice.config_path, "config_sha256"),
        ):
            if file_sha256(path) != voice.record.get(key):
                problems.append(f"{label} {path.name} differs from what was installed")
        if problems:
            return VerifyResult(name, "corrupt", "; ".join(problems))
        return VerifyResult(name, "ok")

    def verify(self, names: list[str] | None = None) -> list[VerifyResult]:
        """Check the named voices, or every installed voice."""
        targets = names if names else [v.name for v in self.installed()]
        return [self.verify_one(name) for name in targets]

    def remove(self, name: str) -> None:
        """Delete voice ``name``'s model, config and record."""
        if self.find(name) is None:
            raise self._not_installed(name)
        model = self.model_path(name)
        for path in (
            model,
            aligned_path(model),
            unaligned_marker(model),
            self.config_path(name),
            self.record_path(name),
        ):
            path.unlink(missing_ok=True)
        logger.info("removed voice %s", name)

    def _not_installed(self, name: str) -> NotInstalled:
        names = ", ".join(v.name for v in self.installed()) or "none"
        return NotInstalled(f"voice {name!r} is not installed in {self.folder}; installed: {names}")


def _write_atomically(path: Path, text: str) -> None:
    fd, raw = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(raw)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _progress_bar(show: bool, total: int | None, url: str) -> Iterator[Any]:
    """A tqdm progress bar on stderr when ``show``, else None."""
    if not show:
        yield None
        return
    from tqdm import tqdm  # type: ignore[import-untyped]

    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=url.rsplit("/", 1)[-1],
        leave=True,
    ) as bar:
        yield bar
