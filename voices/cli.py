"""``ttsservice voices list|install|verify|remove``: manage the installed voice models."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from ttsservice.settings import Settings
from ttsservice.settingsflags import add_settings_flags, settings_from_args
from voices.catalog import load_catalog
from voices.store import DownloadError, VoiceStore, VoiceStoreError

__all__ = ["register"]

logger = logging.getLogger(__name__)

_SETTINGS = ["voices_dir", "voice", "voices_url"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``voices`` command and its subcommands."""
    parser = sub.add_parser(
        "voices",
        help="list, install, verify and remove voice models",
        description="Manage the neural voices in the voices folder. Without a neural voice "
        "the service speaks with the robotic offline espeak-ng fallback.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="show catalogue and installed voices", description="Show every voice."
    )
    add_settings_flags(listing, names=_SETTINGS)
    listing.set_defaults(run=_list)

    install = actions.add_parser(
        "install",
        help="download a catalogue voice, or install one from a file",
        description="Download NAME from the Piper voices repository (size and md5 checked), "
        "or install a local model with --from (no network needed).",
    )
    install.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="catalogue voice to download (see 'ttsservice voices list'); with --from, "
        "the optional name to install the file under",
    )
    install.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE.onnx",
        help="install this local Piper model instead of downloading",
    )
    install.add_argument(
        "--config",
        type=Path,
        metavar="FILE.onnx.json",
        help="the model's config (default: FILE.onnx.json next to the model)",
    )
    install.add_argument(
        "--name",
        dest="install_name",
        metavar="NAME",
        help="install the --from model under this name (default: its file name)",
    )
    install.add_argument(
        "--espeak-voice",
        metavar="VOICE",
        help="with --from: rewrite the config's espeak-ng voice, e.g. 'sv' so a model "
        "trained on another language reads Swedish phonemes",
    )
    install.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="longest wait for the network at any one moment while downloading (default 30)",
    )
    install.add_argument(
        "--no-progress", action="store_true", help="do not draw a download progress bar"
    )
    install.add_argument(
        "--force",
        action="store_true",
        help="download again even when NAME is installed and intact",
    )
    add_settings_flags(install, names=_SETTINGS)
    install.set_defaults(run=_install)

    verify = actions.add_parser(
        "verify",
        help="check installed voices against the sha256 recorded at install",
        description="Check that installed voice files are exactly what was installed; "
        "exits 1 and names the corrupt ones otherwise.",
    )
    verify.add_argument("names", nargs="*", metavar="NAME", help="voices to check (default: all)")
    add_settings_flags(verify, names=_SETTINGS)
    verify.set_defaults(run=_verify)

    remove = actions.add_parser(
        "remove", help="delete an installed voice", description="Delete an installed voice."
    )
    remove.add_argument("name", metavar="NAME", help="installed voice to delete")
    add_settings_flags(remove, names=_SETTINGS)
    remove.set_defaults(run=_remove)


def _seconds(text: str) -> float:
    """argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("give between 0 and 3600 seconds")
    return value


def _store(settings: Settings) -> VoiceStore:
    return VoiceStore(settings.voices_dir, base_url=settings.voices_url or None)


def _fail(message: str) -> int:
    print(f"ttsservice: error: {message}", file=sys.stderr)
    return 1


def _megabytes(size: int | None) -> str:
    return f"{size / 1_000_000:.1f} MB" if size else "-"


def _list(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = _store(settings)
    catalog = load_catalog()
    installed = {v.name: v for v in store.installed()}
    rows = [("NAME", "INSTALLED", "QUALITY", "SIZE", "NOTE")]
    for name in catalog.names:
        entry = catalog.voices[name]
        voice = installed.get(name)
        notes = []
        if name == settings.voice:
            notes.append("default")
        if entry.attribution:
            notes.append("CC BY: shows attribution")
        size = voice.size if voice else entry.model.size
        rows.append(
            (name, "yes" if voice else "no", entry.quality, _megabytes(size), ", ".join(notes))
        )
    for name, voice in installed.items():
        if name not in catalog.voices:
            note = "default" if name == settings.voice else "installed from a file"
            rows.append((name, "yes", voice.quality or "-", _megabytes(voice.size), note))
    rows.append(("espeak-ng-sv", "built in", "fallback", "-", "used when no neural voice loads"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for name in catalog.names:
        if credit := catalog.voices[name].attribution:
            print(f"\n{name} must be credited where it speaks: {credit}")
    print(f"\nVoices folder: {store.folder}")
    return 0


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so an install cleans up its temporary files."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _install(args: argparse.Namespace) -> int:
    with _sigterm_unwinds():
        return _install_now(args)


def _install_now(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = _store(settings)
    try:
        if args.source is not None:
            name = args.install_name or args.name
            voice = store.install_from(
                args.source, config=args.config, name=name, espeak_voice=args.espeak_voice
            )
        else:
            if args.config or args.install_name or args.espeak_voice:
                return _fail("--config, --name and --espeak-voice go with --from FILE.onnx")
            if not args.name:
                known = ", ".join(store.catalog.names)
                return _fail(f"name a voice to install ({known}) or give --from FILE.onnx")
            present = store.find(args.name)
            if present is not None and not args.force and store.verify_one(args.name).ok:
                print(f"{args.name} is already installed and intact in {store.folder}.")
                return 0
            if settings.offline:
                return _fail(
                    "offline is set, so nothing is downloaded; install from a file with "
                    f"'ttsservice voices install --from {args.name}.onnx'"
                )
            try:
                voice = store.install(
                    args.name,
                    timeout=args.timeout,
                    progress=not args.no_progress and sys.stderr.isatty(),
                )
            except DownloadError as exc:
                return _fail(
                    f"{exc}. Without network access, copy {args.name}.onnx and "
                    f"{args.name}.onnx.json from a machine that has them and run "
                    f"'ttsservice voices install --from {args.name}.onnx'"
                )
    except VoiceStoreError as exc:
        return _fail(str(exc))
    print(f"Installed {voice.name} in {store.folder} ({_megabytes(voice.size)}).")
    return 0


def _verify(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = _store(settings)
    try:
        results = store.verify(args.names)
    except VoiceStoreError as exc:
        return _fail(str(exc))
    if not results:
        print(f"No voices installed in {store.folder}.")
        return 0
    for result in results:
        line = f"{result.name}: {result.status}"
        print(f"{line} ({result.detail})" if result.detail else line)
    corrupt = [r.name for r in results if r.status == "corrupt"]
    if corrupt:
        return _fail(
            f"corrupt: {', '.join(corrupt)}; remove and reinstall with "
            "'ttsservice voices remove NAME' and 'ttsservice voices install NAME'"
        )
    return 0


def _remove(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = _store(settings)
    try:
        store.remove(args.name)
    except VoiceStoreError as exc:
        return _fail(str(exc))
    print(f"Removed {args.name} from {store.folder}.")
    return 0
