"""What one reading of a huge allow-listed page costs (issue 15 item 3).

Serves a generated page of ``--paragraphs`` short paragraphs (the outside probe
used 250,000: a 4.4 MB page) from a local site, asks the real service for a
reading of it, waits for the synthesis it starts, and reports: the time to the
answer, the answer's size, its sentences and ``truncated``, the files the cache
folder holds, what they take on disk (allocated blocks, as ``du`` counts) and
``tts_audio_cache_bytes``. Before the reading limits this page took 38.7 s, a
104.6 MB answer and 250,011 files (1.05 GB on disk, the metric saying 76 MB).

    python bench/huge_page.py [--paragraphs 250000] [--voice NAME]

The voice is TTS_VOICE's (the offline fallback voice when none is installed);
synthesis is not what this measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ttsservice import keys  # noqa: E402
from ttsservice.app import create_app  # noqa: E402
from ttsservice.settings import load_settings  # noqa: E402
from ttsservice.speech.state import SPEECH  # noqa: E402


def page(paragraphs: int) -> bytes:
    """A page of ``paragraphs`` short paragraphs of two sentences each."""
    body = "".join(f"<p>Stycke {i}. Det är kort.</p>" for i in range(paragraphs))
    html = f"<html lang='sv'><head><title>Stor</title></head><body><main><h1>Stor sida</h1>{body}"
    return (html + "</main></body></html>").encode("utf-8")


async def measure(paragraphs: int, voice: str | None) -> dict[str, float | int | bool]:
    """One reading of the huge page on a fresh service; the figures."""
    html = page(paragraphs)

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=html, content_type="text/html", charset="utf-8")

    site_app = web.Application()
    site_app.router.add_get("/big", serve)
    async with TestServer(site_app, host="127.0.0.1") as site:
        origin = str(site.make_url("/")).rstrip("/")
        with tempfile.TemporaryDirectory() as data:
            env = {
                **{k: v for k, v in os.environ.items() if k.startswith("TTS_")},
                "TTS_DATA_DIR": data,
                "TTS_OFFLINE": "1",
                "TTS_ALLOWED_ORIGINS": origin,
                "TTS_ALLOW_PRIVATE_ADDRESSES": "true",
                "TTS_FETCH_MAX_BYTES": str(max(5_000_000, len(html) + 1)),
                "TTS_LOG_LEVEL": "warning",
            }
            if voice:
                env["TTS_VOICE"] = voice
            app = create_app(load_settings(env))
            async with TestClient(TestServer(app)) as client:
                started = time.perf_counter()
                response = await client.post("/api/v1/readings", json={"url": f"{origin}/big"})
                body = await response.read()
                seconds = time.perf_counter() - started
                if response.status != 200:
                    raise SystemExit(f"reading failed: {response.status} {body[:300]!r}")
                reading = json.loads(body)
                speaker = app[SPEECH].speaker
                for _ in range(6000):  # the sentences it started (at most 10 minutes)
                    if not speaker.rendering and not speaker.synthesizer.waiting:
                        break
                    await asyncio.sleep(0.1)
                metrics = await (await client.get("/metrics")).text()
                metric = next(
                    float(line.rsplit(" ", 1)[1])
                    for line in metrics.splitlines()
                    if line.startswith("tts_audio_cache_bytes ")
                )
                files = [p for p in app[keys.SETTINGS].cache_dir.rglob("*") if p.is_file()]
                return {
                    "page_bytes": len(html),
                    "seconds": round(seconds, 2),
                    "answer_bytes": len(body),
                    "sentences": len(reading["sentences"]),
                    "truncated": bool(reading.get("truncated")),
                    "files": len(files),
                    "disk_bytes": sum(p.stat().st_blocks * 512 for p in files),
                    "tts_audio_cache_bytes": int(metric),
                }


def main() -> None:
    """Run the measurement and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--paragraphs", type=int, default=250_000, help="paragraphs on the page")
    parser.add_argument("--voice", default=None, help="voice name (default: TTS_VOICE's)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.paragraphs, args.voice)), indent=2))


if __name__ == "__main__":
    main()
