"""The normaliser inside the app: site lexicon reloads, readiness and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from pathlib import Path

from aiohttp import web
from prometheus_client import Counter, Gauge

from ttsservice import keys
from ttsservice.swedish.lexicon import Lexicon, LexiconError, load_default_lexicon, load_lexicon
from ttsservice.swedish.normalizer import NORMALIZER, Normalizer
from ttsservice.web.health import READINESS_CHECKS, Check

__all__ = ["POLL_SECONDS", "LexiconWatch", "setup"]

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How often the site lexicon file's modification time is checked."""


class LexiconWatch:
    """Keeps a :class:`Normalizer`'s lexicon in step with the site lexicon file.

    The shipped list is always the base; the site file (if any) is merged over
    it. A file that cannot be used leaves the previous lexicon in place, logs
    one line saying what is wrong, and makes readiness report ``degraded``
    until the file is fixed.
    """

    def __init__(
        self,
        normalizer: Normalizer,
        base: Lexicon,
        path: Path | None,
        reloads: Counter,
        entries: Gauge,
    ) -> None:
        self.normalizer = normalizer
        self.base = base
        self.path = path
        self.error: str | None = None
        """Why the site file is not in use (None when it is, or when there is none)."""
        self.executor: Executor | None = None
        """Where files are read and parsed (the app's CPU executor once it runs)."""
        self._stamp: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        self._reloads = reloads
        self._entries = entries
        entries.set(len(base.words) + len(base.spell) + len(base.say))

    def _stat(self) -> tuple[int, int] | None:
        assert self.path is not None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    async def check(self, force: bool = False) -> bool:
        """Reload the site file if it changed (or ``force``); return whether a reload ran."""
        if self.path is None:
            return False
        loop = asyncio.get_running_loop()
        async with self._lock:
            stamp = await loop.run_in_executor(self.executor, self._stat)
            if not force and stamp == self._stamp and (stamp is not None or self.error):
                return False
            self._stamp = stamp
            try:
                site = await loop.run_in_executor(self.executor, load_lexicon, self.path)
            except LexiconError as exc:
                message = str(exc)
                if message != self.error:
                    logger.error("site lexicon not loaded, keeping the previous one: %s", message)
                self.error = message
                self._reloads.labels("error").inc()
                return True
            lexicon = self.base.merged(site)
            self.normalizer.use(lexicon)
            self.error = None
            self._reloads.labels("ok").inc()
            self._entries.set(len(lexicon.words) + len(lexicon.spell) + len(lexicon.say))
            logger.info(
                "site lexicon loaded from %s: %d words, %d spelled, %d said as words",
                self.path,
                len(site.words),
                len(site.spell),
                len(site.say),
            )
            return True

    async def watch(self, interval: float = POLL_SECONDS) -> None:
        """Check the file every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:  # keep watching whatever happens to one check
                logger.exception("site lexicon check failed")

    def readiness(self) -> Check:
        """``degraded`` while the site lexicon file cannot be used."""
        if self.error is not None:
            return Check(
                "lexicon",
                "degraded",
                f"{self.error}; the previous lexicon is in use until the file is fixed",
            )
        detail = f"site lexicon {self.path}" if self.path else "shipped lexicon only"
        return Check("lexicon", "ok", detail)


LEXICON_WATCH: web.AppKey[LexiconWatch] = web.AppKey("lexicon_watch")
"""Keeps the normaliser's site lexicon in step with its file (mtime, SIGHUP)."""


def setup(app: web.Application) -> None:
    """Put the Normalizer at ``app[NORMALIZER]`` and keep its site lexicon current."""
    settings = app[keys.SETTINGS]
    registry = app[keys.REGISTRY]
    reloads = Counter(
        "tts_lexicon_reloads",
        "Site lexicon loads by result (ok, or error: the previous lexicon stayed).",
        ["result"],
        registry=registry,
    )
    entries = Gauge(
        "tts_lexicon_entries",
        "Entries in the lexicon in use (shipped plus site).",
        registry=registry,
    )
    base = load_default_lexicon()
    normalizer = Normalizer(base)
    watch = LexiconWatch(normalizer, base, settings.lexicon_path, reloads, entries)
    app[NORMALIZER] = normalizer
    app[LEXICON_WATCH] = watch

    async def lexicon_ctx(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        reloads: set[asyncio.Task[bool]] = set()
        task: asyncio.Task[None] | None = None
        if watch.path is not None:  # else the shipped list only: nothing to watch
            watch.executor = app[keys.CPU_EXECUTOR]
            await watch.check(force=True)
            task = asyncio.create_task(watch.watch(), name="lexicon-watch")

        def on_hup() -> None:
            # SIGHUP means "reload" (README) and must never stop the service, whatever is set.
            if watch.path is None:
                logger.info("SIGHUP: no site lexicon (TTS_LEXICON_PATH) to read again")
                return
            reload = loop.create_task(watch.check(force=True))
            reloads.add(reload)  # keep a reference until it is done
            reload.add_done_callback(reloads.discard)

        hup = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            # not every platform (or thread) can take signals; polling still works then
            loop.add_signal_handler(signal.SIGHUP, on_hup)
            hup = True
        try:
            yield
        finally:
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)
            pending = [*reloads] if task is None else [task, *reloads]
            for each in pending:
                each.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*pending)

    async def lexicon_check() -> Check:
        return watch.readiness()

    app.cleanup_ctx.append(lexicon_ctx)
    app[READINESS_CHECKS].append(lexicon_check)
