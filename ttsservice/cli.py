"""The ``ttsservice`` command: ``serve`` and the tools for the web team.

Subcommands live next to the code they drive; each module offers
``register(subparsers)`` which adds its parser and sets ``run`` (a function
taking the parsed arguments and returning an exit code).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ttsservice import __version__
from ttsservice.settings import Settings, SettingsError
from ttsservice.settingsflags import add_settings_flags, settings_from_args
from ttsservice.web.connections import GuardedAppRunner

if TYPE_CHECKING:
    from aiohttp import web

logger = logging.getLogger(__name__)

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _register_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the web service",
        description="Run the read-aloud and feedback service. Every flag can also be set "
        "with its TTS_* environment variable; flags win.",
    )
    add_settings_flags(parser)
    parser.set_defaults(run=_serve)


def require_writable_folder(folder: Path, variable: str) -> None:
    """Create ``folder`` if needed and prove a file can be written in it, or SettingsError.

    The service keeps its database and audio in the data folder; finding out at the
    first vote (or as a traceback at start) is worse than one line naming the setting.
    """
    probe = folder / f".write-check-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as f:
            f.write(b"ok")
            f.flush()
            os.fsync(f.fileno())
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            f"{variable} must be a folder the service can write in; {folder}: {exc.strerror or exc}"
        ) from None


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from ttsservice.app import create_app
    from ttsservice.logsetup import LineBatch, RequestLogger, configure_logging

    settings = settings_from_args(args)
    log_handler = configure_logging(settings.log_level, settings.log_format)
    tune_malloc()
    require_writable_folder(settings.data_dir, "TTS_DATA_DIR")
    app = create_app(settings)
    request_lines = LineBatch(log_handler.stream)
    runner = GuardedAppRunner(
        app,
        handle_signals=True,  # SIGINT and SIGTERM raise GracefulExit in the loop
        shutdown_timeout=settings.shutdown_timeout,
        access_log_class=RequestLogger.for_batch(
            request_lines,
            json_lines=settings.log_format == "json",
            log_client_ip=settings.log_client_ip,
        ),
        access_log=logging.getLogger("ttsservice.access"),
    )
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_run_forever(runner, settings))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not main.done():  # stopped by a signal: shut down gracefully
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        request_lines.flush()
    return 0


async def _run_forever(runner: web.AppRunner, settings: Settings) -> None:
    """Start ``runner`` on the configured address and serve until cancelled.

    What ``aiohttp.web.run_app`` does, with the hot clip front installed
    between the runner's setup and the first connection.
    """
    from aiohttp import web

    from ttsservice.speech import front

    await runner.setup()
    try:
        front.install(runner)
        freeze_startup_objects()
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise SettingsError(
                f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}): "
                "choose another TTS_PORT or TTS_HOST, or stop the program that uses it"
            ) from exc
        print(f"ttsservice {__version__} listening on {settings.host}:{settings.port}", flush=True)
        if settings.demo:
            print(f"Demo page: {settings.base_url}/demo", flush=True)
            if settings.public_url:
                logger.warning(
                    "TTS_DEMO is on while TTS_PUBLIC_URL is set: the demo page is public and "
                    "the service's own origin %s may be read aloud even if it is a private "
                    "address. Set TTS_DEMO=0 in production.",
                    settings.base_url,
                )
        print(f"API description: {settings.base_url}/openapi.json", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def freeze_startup_objects() -> int:
    """Leave what start-up made (modules, settings, voices, tables) out of garbage collection.

    Python's full collection walks every tracked object; the started service holds
    tens of thousands that live as long as it does, and walking them paused the event
    loop for 25–120 ms on a busy 2-core machine, a few times a minute under vote load
    (each time every request in flight waited that long: a p99 in bench/feedback.py).
    Frozen, they are skipped; what requests make is still collected as before. Start-up's
    own garbage is collected first, so nothing unreachable is kept. Returns how many
    objects were frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


MALLOC_ARENAS = 2
"""glibc malloc arenas the server process may use (glibc's own limit is 8 per core)."""

MALLOC_MMAP_THRESHOLD = 128 * 1024
"""Allocations at least this large get pages of their own, given back when freed."""


def tune_malloc() -> None:
    """Cap glibc's malloc arenas and fix its mmap threshold, before the server starts threads.

    Each thread that allocates while another holds the lock gets an arena of
    its own, and freed memory stays in it: with synthesis, encoding and
    onnxruntime threads, how many arenas a run ends with depends on timing, and
    with them the peak memory. Two arenas keep it closer to what the work needs
    (bench/speech.py's service: 331 MB peak instead of 340 MB).

    glibc also raises its mmap threshold (up to 32 MB) each time a large block is
    freed, after which blocks that size come from the arenas and stay there once
    freed: audio of long texts (a 3,000-character speak is 19 MB of samples) then
    keeps the process at its highest. A fixed threshold gives such blocks back to
    the system when they are freed: eight concurrent 3,000-character speaks peaked
    at 398 MB instead of 428 MB, and the idle service takes 271 MB instead of 295 MB.

    The same as ``MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072``, which only work
    when set before the process starts. Other C libraries (musl, macOS) are left alone.
    """
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    m_arena_max, m_mmap_threshold = -8, -3  # from glibc's malloc.h
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(m_arena_max, MALLOC_ARENAS)
        libc.mallopt(m_mmap_threshold, MALLOC_MMAP_THRESHOLD)
    except (OSError, AttributeError) as exc:
        logging.getLogger(__name__).debug("malloc not tuned: %s", exc)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (Linux, macOS), else asyncio's.

    uvloop serves a cached clip with about a third less CPU time than asyncio's
    selector loop; nothing in the service depends on which loop runs it.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _registrars() -> list[Registrar]:
    """Every subcommand's registrar, in the order ``--help`` lists them."""
    from feedback.cli import register as register_feedback
    from feedback.dbcli import register as register_db
    from ttsservice.dashboard.cli import register as register_dashboard
    from ttsservice.reading.cli import register as register_reading
    from ttsservice.speech.cli import register as register_speech
    from ttsservice.swedish.cli import register as register_normalize
    from voices.cli import register as register_voices

    registrars: list[Registrar] = [
        _register_serve,
        register_voices,
        register_reading,
        register_normalize,
        register_speech,
        register_feedback,
        register_db,
    ]
    registrars.append(register_dashboard)
    return registrars


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="ttsservice",
        description="Read-aloud and page feedback for Swedish public portals.",
    )
    parser.add_argument("--version", action="version", version=f"ttsservice {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ttsservice`` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SettingsError as exc:
        print(f"ttsservice: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def path_arg(text: str) -> Path:
    """argparse type for paths (kept here so subcommands share it)."""
    return Path(text)


if __name__ == "__main__":
    raise SystemExit(main())
