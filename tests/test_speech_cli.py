"""``ttsservice say`` and ``ttsservice warm`` as a person runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.procutil import run_ttsservice
from tests.speechutil import ffprobe, metric_value
from ttsservice.speech.state import SPEECH

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

REPO = Path(__file__).resolve().parent.parent
TINY = "sv_SE-test-tiny"


def _env(tiny_voice_env: dict[str, str], tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var"), **extra}


def _say(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ttsservice say ARGS`` with ``env`` (from :func:`_env`)."""
    return run_ttsservice("say", *args, env=env)


def test_say_writes_the_format_of_the_file_name(
    tiny_voice_env: dict[str, str], tmp_path: Path
) -> None:
    for ext, codec in (("ogg", "opus"), ("mp3", "mp3"), ("wav", "pcm_s16le")):
        out = tmp_path / f"hej.{ext}"
        result = _say(_env(tiny_voice_env, tmp_path), "Hej, kl. 08.00 öppnar vi.", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert f"voice {TINY}" in result.stdout
        assert "Credit the voice" not in result.stdout
        assert ffprobe(out.read_bytes(), tmp_path, f"check.{ext}")["stream"]["codec_name"] == codec


def test_say_names_the_credit_a_cc_by_voice_needs(tiny_voice_path: Path, tmp_path: Path) -> None:
    from voices.catalog import load_catalog
    from voices.store import VoiceStore

    alma = "sv_SE-alma-medium"
    folder = tmp_path / "voices"
    VoiceStore(folder).install_from(tiny_voice_path, name=alma)
    env = {"TTS_VOICES_DIR": str(folder), "TTS_VOICE": alma, "TTS_OFFLINE": "true"}
    out = tmp_path / "hej.mp3"
    result = _say(_env(env, tmp_path), "Hej.", "-o", str(out))
    assert result.returncode == 0, result.stderr
    credit = load_catalog().voices[alma].attribution
    assert f"Credit the voice where you publish the audio: {credit}" in result.stdout
    assert out.stat().st_size > 0


def test_say_refuses_bad_input_in_one_line(tiny_voice_env: dict[str, str], tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _say(_env(tiny_voice_env, tmp_path), *args)

    wrong_ext = run("Hej", "-o", str(tmp_path / "hej.flac"))
    assert wrong_ext.returncode == 1
    assert wrong_ext.stderr.strip().splitlines() == [
        f"ttsservice: error: {tmp_path / 'hej.flac'}: the file name must end in .mp3, .ogg or .wav"
    ]
    nobody = run("Hej", "--voice", "sv_SE-nobody-medium", "-o", str(tmp_path / "x.mp3"))
    assert nobody.returncode == 1
    assert "There is no voice 'sv_SE-nobody-medium'" in nobody.stderr
    assert "Traceback" not in nobody.stderr
    assert not (tmp_path / "x.mp3").exists()
    help_text = run("--help").stdout
    for flag in ("--output", "--voice", "--lang", "--voices-dir", "--data-dir"):
        assert flag in help_text


async def test_warm_fills_the_cache_so_readers_wait_for_nothing(
    aiohttp_client: Any,
    reading_app: Callable[..., web.Application],
    seed_site: Any,
    tiny_voice_env: dict[str, str],
    tmp_path: Path,
) -> None:
    origin = str(seed_site.make_url("/")).rstrip("/")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ttsservice",
        "warm",
        "--sitemap",
        str(seed_site.make_url("/sitemap.xml")),
        "--limit",
        "1",
        cwd=REPO,
        env=_env(
            tiny_voice_env,
            tmp_path,
            TTS_ALLOWED_ORIGINS=origin,
            TTS_ALLOW_PRIVATE_ADDRESSES="1",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == (
        "1 pages, 3 sentences in the cache; 1 pages outside the allowed origins, 0 failed"
    )
    assert "warming" in err.decode()  # the progress bar

    app = reading_app()
    client = await aiohttp_client(app)
    response = await client.post(
        "/api/v1/readings", json={"url": str(seed_site.make_url("/short"))}
    )
    reading = await response.json()
    assert len(reading["sentences"]) == 3
    for sentence in reading["sentences"]:
        for ext in ("mp3", "ogg"):
            assert (await client.get(sentence["audio"][ext])).status == 200
    assert app[SPEECH].speaker.rendering == 0
    assert await metric_value(client, "tts_synthesis_seconds_count", f'voice="{TINY}"') == 0
    assert await metric_value(client, "tts_audio_cache_misses_total") == 0


def test_warm_reports_an_unreadable_sitemap(tiny_voice_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "sitemap.xml"
    bad.write_text("<html><body>not a sitemap</body></html>")
    result = subprocess.run(
        [sys.executable, "-m", "ttsservice", "warm", "--sitemap", str(bad)],
        cwd=REPO,
        env=_env(tiny_voice_env, tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "ttsservice: error: not a sitemap: the root element is <html>, not <urlset>"
    )
