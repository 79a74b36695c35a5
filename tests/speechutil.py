"""Helpers for the speech tests: ffprobe a clip, read a metric, hold the synthesis lanes,
wait for synthesis to finish."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Priority, Synthesizer


def ffprobe(data: bytes, folder: Path, name: str) -> dict[str, Any]:
    """What ffprobe says about ``data``: ``format`` and the first audio ``stream``.

    Fails the test when ffprobe rejects the file.
    """
    assert shutil.which("ffprobe"), "ffprobe is needed (Debian package ffmpeg)"
    path = folder / name
    path.write_bytes(data)
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_name,sample_rate,channels",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    info = json.loads(result.stdout)
    return {"format": info["format"], "stream": info["streams"][0]}


async def metric_value(client: Any, name: str, labels: str = "") -> float:
    """A sample's value from /metrics (0 when absent)."""
    text = await (await client.get("/metrics")).text()
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def hold_lanes(synthesizer: Synthesizer) -> tuple[threading.Event, list[Any]]:
    """Keep every synthesis lane busy until the returned event is set (work then queues)."""
    release = threading.Event()

    def blocker() -> tuple[np.ndarray, int]:
        release.wait(10)
        return np.zeros(10, dtype=np.float32), 1000

    blockers = [
        synthesizer.submit(f"block{i}", "v", blocker, Priority.WARM)
        for i in range(synthesizer.concurrency)
    ]
    return release, blockers


async def settle(app: Any) -> None:
    """Wait until the app's synthesis has finished (nothing queued or being rendered)."""
    speaker = app[SPEECH].speaker
    for _ in range(600):
        if speaker.rendering == 0 and speaker.synthesizer.waiting == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("synthesis did not finish")
