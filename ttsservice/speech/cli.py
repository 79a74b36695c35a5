"""``ttsservice say`` and ``ttsservice warm``: speech from the command line, cache pre-filling.

Both start the service's own parts (voices, normaliser, audio cache, page
fetcher) without listening on a port, so what they make lands in the same
cache the service serves from.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from ttsservice.errors import ServiceError
from ttsservice.settings import Settings
from ttsservice.settingsflags import add_settings_flags, settings_from_args
from ttsservice.speech.state import SPEECH
from voices.registry import VOICES

__all__ = ["register"]

logger = logging.getLogger(__name__)

_SAY_SETTINGS = ["voices_dir", "voice", "offline", "voices_url", "lexicon_path", "data_dir"]
_WARM_SETTINGS = [
    *_SAY_SETTINGS,
    "allowed_origins",
    "allow_private_addresses",
    "fetch_timeout",
    "fetch_max_bytes",
    "content_selector",
    "skip_selectors",
    "read_asides",
    "read_image_alt",
    "cache_max_bytes",
    "cpu_workers",
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``say`` and ``warm`` commands."""
    say = sub.add_parser(
        "say",
        help="speak a text into an audio file",
        description="Normalise TEXT as the service does and speak it with the default voice "
        "(or --voice) into an MP3, Ogg/Opus or WAV file chosen by the -o extension.",
    )
    say.add_argument("text", metavar="TEXT", help="the text to speak (Swedish)")
    say.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("say.mp3"),
        metavar="FILE",
        help="where to write the audio; .mp3, .ogg (Opus) or .wav (default: say.mp3)",
    )
    say.add_argument(
        "--voice",
        dest="say_voice",
        metavar="NAME",
        default=None,
        help="voice to speak with (default: the configured voice, TTS_VOICE)",
    )
    say.add_argument("--lang", default="sv", help="language of TEXT (default: sv)")
    add_settings_flags(say, names=[n for n in _SAY_SETTINGS if n != "voice"])
    say.set_defaults(run=_say)

    warm = sub.add_parser(
        "warm",
        help="pre-synthesise the pages of a sitemap into the audio cache",
        description="Read every allow-listed page of a sitemap (a URL or a file; sitemap "
        "indexes are followed one level) and synthesise all its sentences into the audio "
        "cache, so visitors get them at once. Pages outside TTS_ALLOWED_ORIGINS are skipped.",
    )
    warm.add_argument(
        "--sitemap", required=True, metavar="URL|FILE", help="sitemap.xml as a URL or a file"
    )
    warm.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="read at most N pages (default: all)",
    )
    warm.add_argument(
        "--formats",
        default="mp3,ogg",
        metavar="LIST",
        help="comma-separated audio formats to prepare (default: mp3,ogg)",
    )
    add_settings_flags(warm, names=_WARM_SETTINGS)
    warm.set_defaults(run=_warm)


@contextlib.asynccontextmanager
async def running_parts(settings: Settings) -> AsyncIterator[web.Application]:
    """The service's app with every part started, but no port opened."""
    from ttsservice.app import create_app

    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()


def _fail(message: str) -> int:
    print(f"ttsservice: error: {message}", file=sys.stderr)
    return 1


def _say(args: argparse.Namespace) -> int:
    from ttsservice.logsetup import configure_logging

    settings = settings_from_args(args)
    configure_logging("warning", "text")
    output: Path = args.output
    ext = output.suffix.lstrip(".").lower()
    return asyncio.run(_say_async(settings, args.text, args.lang, args.say_voice, output, ext))


async def _say_async(
    settings: Settings, text: str, lang: str, voice_name: str | None, output: Path, ext: str
) -> int:
    from ttsservice.speech.api import format_from_ext, normalizer_of
    from ttsservice.speech.languages import normalizer_version_for, spoken_text
    from ttsservice.speech.synthesizer import Priority
    from voices.languages import LANGUAGE_VOICES

    try:
        audio_format = format_from_ext(ext)
    except ServiceError:
        return _fail(f"{output}: the file name must end in .mp3, .ogg or .wav")
    if not text.strip():
        return _fail("TEXT is empty: give the words to speak")
    async with running_parts(settings) as app:
        try:
            voice = app[VOICES].get(voice_name) if voice_name else None
        except ServiceError as exc:
            return _fail(exc.message)
        if voice is None:  # the voice of the text's language
            voice = await asyncio.to_thread(app[LANGUAGE_VOICES].voice_for, lang)
            if voice is None:
                return _fail(f"no voice here can read the language {lang!r}: name one with --voice")
        normalizer = normalizer_of(app)
        speaker = app[SPEECH].speaker
        spoken = await asyncio.to_thread(spoken_text, normalizer, text, lang)
        spec = speaker.spec(spoken, lang, voice, normalizer_version_for(normalizer, lang))
        (key,) = await speaker.register([spec])
        clip = await speaker.audio(key, spec, audio_format, Priority.VISITOR)
        credit = app[VOICES].attribution(voice.name)
    try:
        await asyncio.to_thread(output.write_bytes, clip.data)
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc.strerror or exc}")
    note = " (robotic fallback voice)" if voice.fallback else ""
    print(f"{output}: {len(clip.data)} bytes, voice {voice.name}{note}")
    if credit:  # a CC BY voice: whoever publishes the file must credit it
        print(f"Credit the voice where you publish the audio: {credit}")
    return 0


def _warm(args: argparse.Namespace) -> int:
    from ttsservice.logsetup import configure_logging

    settings = settings_from_args(args)
    configure_logging("warning", "text")
    if args.limit is not None and args.limit < 1:
        return _fail("--limit must be at least 1")
    formats = [f.strip().lower() for f in str(args.formats).split(",") if f.strip()]
    return asyncio.run(_warm_async(settings, args.sitemap, args.limit, formats))


async def _warm_async(
    settings: Settings, sitemap: str, limit: int | None, formats: list[str]
) -> int:
    from tqdm import tqdm  # type: ignore[import-untyped]

    from ttsservice.reading import read_page
    from ttsservice.speech.api import format_from_ext
    from ttsservice.speech.clips import ClipSpec
    from ttsservice.speech.readings import prepare_reading
    from ttsservice.speech.sitemap import SitemapError, load_sitemap
    from ttsservice.speech.synthesizer import Priority
    from ttsservice.web.origins import is_allowed_url

    try:
        audio_formats = [format_from_ext(f) for f in formats]
    except ServiceError as exc:
        return _fail(f"--formats: {exc.message}")
    try:
        urls = await load_sitemap(sitemap, fetch_seconds=settings.fetch_timeout)
    except SitemapError as exc:
        return _fail(str(exc))
    allowed = [u for u in urls if is_allowed_url(u, settings)]
    skipped = len(urls) - len(allowed)
    pages = allowed[:limit] if limit else allowed
    failed: list[tuple[str, str]] = []
    sentences = 0
    async with running_parts(settings) as app:
        speaker = app[SPEECH].speaker
        slots = asyncio.Semaphore(speaker.synthesizer.concurrency + 1)

        async def make(key: str, spec: ClipSpec) -> None:
            async with slots:
                for audio_format in audio_formats:
                    await speaker.audio(key, spec, audio_format, Priority.WARM)

        with tqdm(pages, unit="page", desc="warming", file=sys.stderr) as bar:
            for url in bar:
                try:
                    reading = await read_page(app, url)
                    prepared = await prepare_reading(app, reading, None)  # as readings have
                    pairs = zip(prepared.keys, prepared.specs, strict=True)
                    await asyncio.gather(*(make(k, s) for k, s in pairs))
                    sentences += len(prepared.keys)
                except ServiceError as exc:
                    failed.append((url, exc.message))
                bar.set_postfix(sentences=sentences, failed=len(failed))
    for url, reason in failed:
        print(f"skipped {url}: {reason}", file=sys.stderr)
    print(
        f"{len(pages) - len(failed)} pages, {sentences} sentences in the cache; "
        f"{skipped} pages outside the allowed origins, {len(failed)} failed"
    )
    return 1 if pages and len(failed) == len(pages) else 0
