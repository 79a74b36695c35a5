"""One client floods readings and speak: what a normal visitor's first audio is meanwhile.

A normal visitor presses Lyssna on a new page every 2 s (a different page each
time, so nothing is cached) and waits for its first audio, as the widget does
(the reading, then its first sentence with ``priority=high``). The same
visitor is measured twice, each on a fresh service with an empty cache:

* quiet: nobody else uses the service (the baseline);
* flood: meanwhile one other client (one address, behind the trusted proxy as
  behind nginx) runs ``--flooders`` loops at once, each posting text readings
  of about 2,000 characters and 3,000-character ``/speak`` requests, all
  distinct, as fast as it is answered; half the speak loops give up after 1 s
  (the connection closed), as a client that abandons its requests.

Reported: the visitor's first audio p50/p95/max, its refusals (429/503), and
what the flooder got (answered, refused, given up), with the service's peak
RSS. Then, on a third fresh service, ``--speaks`` distinct 3,000-character
speaks at once from as many clients: how they are answered, and the peak RSS.
Voice: the stand-in medium voice (see bench/speech.py).

    python bench/flood.py --visits 15 --flooders 4 --speaks 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from listeners import page_tag, percentile, serve_pages
from speech import OUT, SEED, VOICE, Service, install_standin, step

VISIT_EVERY = 2.0
"""Seconds between the visitor's presses of Lyssna."""

GIVE_UP_AFTER = 1.0
"""Seconds an abandoning flood loop waits for its speak before closing the connection."""


def flood_text(n: int, chars: int) -> str:
    """Distinct Swedish text of about ``chars`` characters (the seed page's words)."""
    words = SEED.read_text(encoding="utf-8").split()
    plain = [w for w in words if w.isalpha() and len(w) > 2]
    text: list[str] = []
    i = n * 37
    while sum(len(w) + 1 for w in text) < chars:
        text.append(plain[i % len(plain)])
        i += 1
        if len(text) % 12 == 0:
            text[-1] += f" {page_tag(n)}."
    return " ".join(text)[:chars].rsplit(" ", 1)[0] + "."


async def visitor(
    session: aiohttp.ClientSession,
    base: str,
    origin: str,
    visits: int,
    first_page: int,
    refusals: Counter[str],
) -> list[tuple[float | None, int]]:
    """(first audio seconds or None, status) for each visit; messages of refusals counted."""
    results: list[tuple[float | None, int]] = []
    headers = {"X-Forwarded-For": "10.200.0.1"}
    for k in range(visits):
        due = time.monotonic() + VISIT_EVERY
        page = f"{origin}/page/{first_page + k}"
        started = time.monotonic()
        async with session.post(
            base + "/api/v1/readings", json={"url": page}, headers=headers
        ) as response:
            status = response.status
            body = await response.json()
        if status == 200:
            sentences = body["sentences"]
            first = sentences[0]["audio"]["mp3"] + "?priority=high"
            async with session.get(base + first, headers=headers) as audio:
                await audio.read()
                status = audio.status
        else:
            refusals[body.get("error", {}).get("message", "")] += 1
        results.append((time.monotonic() - started if status == 200 else None, status))
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if status == 200:
            # On to the next page: the widget's beacon says what it no longer needs (the
            # first sentence names the reading, so the service counts one listener less).
            release = {"audio": [s["audio"]["mp3"] for s in sentences[:12]]}
            async with session.post(
                base + "/api/v1/release", data=json.dumps(release), headers=headers
            ) as response:
                await response.read()
    return results


async def flooder(
    session: aiohttp.ClientSession, base: str, loop: int, until: float, tally: Counter[str]
) -> None:
    """Readings and speaks from one address as fast as answered, until ``until``."""
    headers = {"X-Forwarded-For": "10.66.6.6"}
    abandons = loop % 2 == 1
    n = loop * 100_000
    while time.monotonic() < until:
        n += 1
        try:
            async with session.post(
                base + "/api/v1/readings",
                json={"text": flood_text(n, 2000)},
                headers=headers,
            ) as response:
                await response.read()
                tally[f"reading {response.status}"] += 1
            timeout = aiohttp.ClientTimeout(total=GIVE_UP_AFTER if abandons else 300)
            async with session.post(
                base + "/api/v1/speak",
                json={"text": flood_text(n + 50_000, 3000)},
                headers=headers,
                timeout=timeout,
            ) as response:
                await response.read()
                tally[f"speak {response.status}"] += 1
        except TimeoutError:
            tally["speak given up"] += 1
        except aiohttp.ClientError as exc:
            tally[f"error {type(exc).__name__}"] += 1


async def scenario(
    base: str, origin: str, visits: int, flooders: int, first_page: int
) -> tuple[list[tuple[float | None, int]], Counter[str], Counter[str]]:
    connector = aiohttp.TCPConnector(limit=0)
    tally: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=300)
    ) as session:
        until = time.monotonic() + visits * VISIT_EVERY + 2
        floods = [
            asyncio.create_task(flooder(session, base, i, until, tally)) for i in range(flooders)
        ]
        if floods:
            await asyncio.sleep(3)  # the flood is under way before the visitor comes
        visits_done = await visitor(session, base, origin, visits, first_page, refusals)
        for task in floods:
            task.cancel()
        await asyncio.gather(*floods, return_exceptions=True)
    return visits_done, tally, refusals


async def speaks_at_once(base: str, count: int) -> list[tuple[int, float]]:
    """``count`` distinct 3,000-character speaks from as many clients at once."""
    connector = aiohttp.TCPConnector(limit=0)
    started = time.monotonic()

    async def one(session: aiohttp.ClientSession, n: int) -> tuple[int, float]:
        headers = {"X-Forwarded-For": f"10.77.{n // 250}.{n % 250}"}
        async with session.post(
            base + "/api/v1/speak", json={"text": flood_text(900_000 + n, 3000)}, headers=headers
        ) as response:
            await response.read()
            return response.status, time.monotonic() - started

    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=900)
    ) as session:
        return await asyncio.gather(*(one(session, n) for n in range(count)))


def run_speaks(voices_dir: Path, work: Path, origin: str, count: int) -> dict[str, Any]:
    """Peak RSS and answers of ``count`` concurrent long speaks, on a fresh service."""
    service = Service(
        voices_dir,
        work / "data-speaks",
        origin,
        work / "service-speaks.log",
        TTS_TRUSTED_PROXIES="127.0.0.1",
        TTS_LOG_LEVEL="warning",
    )
    try:
        answers = asyncio.run(speaks_at_once(service.base, count))
        rss = service.peak_rss_mb()
    finally:
        service.stop()
    ok = [t for status, t in answers if status == 200]
    return {
        "scenario": f"{count} speaks at once",
        "statuses": dict(Counter(status for status, _ in answers)),
        "last_answer_seconds": max(t for _, t in answers),
        "last_audio_seconds": max(ok, default=None),
        "peak_rss_mb": round(rss, 1),
    }


def run(
    voices_dir: Path, work: Path, origin: str, name: str, visits: int, flooders: int, first: int
) -> dict[str, Any]:
    service = Service(
        voices_dir,
        work / f"data-{name}",
        origin,
        work / f"service-{name}.log",
        TTS_TRUSTED_PROXIES="127.0.0.1",
        TTS_LOG_LEVEL="warning",
    )
    try:
        visits_done, tally, refusals = asyncio.run(
            scenario(service.base, origin, visits, flooders, first)
        )
        rss = service.peak_rss_mb()
    finally:
        service.stop()
    firsts = [t for t, _ in visits_done if t is not None]
    return {
        "scenario": name,
        "visits": len(visits_done),
        "answered": len(firsts),
        "refused": dict(Counter(s for t, s in visits_done if t is None)),
        "refusal_messages": dict(refusals),
        "first_audio_p50": percentile(firsts, 0.5),
        "first_audio_p95": percentile(firsts, 0.95),
        "first_audio_max": max(firsts, default=None),
        "flooder": dict(sorted(tally.items())),
        "peak_rss_mb": round(rss, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=15, help="pages the visitor reads")
    parser.add_argument("--flooders", type=int, default=4, help="flood loops at once")
    parser.add_argument(
        "--speaks",
        type=int,
        default=40,
        help="concurrent long speaks for the memory figure (0: not run)",
    )
    parser.add_argument("--out", type=Path, default=OUT / "flood.json", help="JSON output")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    voices_dir = work / "voices"
    step("installing the stand-in medium voice (en_US-joe-medium, espeak voice sv)")
    install_standin(voices_dir)
    site, origin = serve_pages(2 * args.visits)
    try:
        step("quiet: the visitor alone")
        quiet = run(voices_dir, work, origin, "quiet", args.visits, 0, 0)
        step(f"flood: the visitor while one client runs {args.flooders} flood loops")
        flood = run(voices_dir, work, origin, "flood", args.visits, args.flooders, args.visits)
        speaks = None
        if args.speaks:
            step(f"{args.speaks} distinct 3,000-character speaks at once, each its own client")
            speaks = run_speaks(voices_dir, work, origin, args.speaks)
    finally:
        site.shutdown()
    print(f"{platform.machine()}, {os.cpu_count()} cores; voice en_US-joe-medium as {VOICE}")
    print("| scenario | visitor answered | first audio p50 / p95 / max | refused | peak RSS |")
    print("|---|---|---|---|---|")
    for r in (quiet, flood):
        p50, p95, top = r["first_audio_p50"], r["first_audio_p95"], r["first_audio_max"]
        print(
            f"| {r['scenario']} | {r['answered']}/{r['visits']} | "
            f"{p50 or 0:.2f} / {p95 or 0:.2f} / {top or 0:.2f} s | {r['refused'] or '–'} | "
            f"{r['peak_rss_mb']:.0f} MB |"
        )
    print(f"flooder: {flood['flooder']}")
    if speaks is not None:
        print(
            f"{speaks['scenario']}: {speaks['statuses']}, last answer after "
            f"{speaks['last_answer_seconds']:.1f} s, peak RSS {speaks['peak_rss_mb']:.0f} MB"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": [quiet, flood], "speaks": speaks}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
