"""Listener metrics: time to first audio, active listeners, demand against capacity.

The book on a fake clock, then the real app on the tiny voice: the metrics in
/metrics after a reading is listened to, and ``promtool check metrics`` clean.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from tests.speechutil import metric_value
from ttsservice.speech.listeners import MAX_TRACKED, ListenerBook
from ttsservice.speech.recentpages import RecentPages, reading_source

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_first_audio_is_timed_from_start_to_the_first_sentence_served() -> None:
    clock = Clock(100.0)
    seen: list[float] = []
    book = ListenerBook(seen.append, clock=clock)
    book.started("a", 60.0)
    clock.now += 0.2
    book.started("a", 60.0)  # a second listener of the same page
    clock.now += 0.3
    book.served("a")
    book.served("a")
    book.served("a")  # a third request (a replay) is no first audio
    book.served("b")  # a sentence that starts no reading
    assert seen == pytest.approx([0.5, 0.3])


def test_listeners_are_active_until_their_reading_is_spoken_or_stopped() -> None:
    clock = Clock(0.0)
    book = ListenerBook(lambda _s: None, clock=clock)
    book.started("a", 10.0)
    book.started("b", 30.0)
    book.started("b", 30.0)
    assert book.active() == 3
    assert book.stopped("b")
    assert book.active() == 2
    assert not book.stopped("c")  # nobody listens to c
    clock.now = 10.0
    assert book.active() == 1  # a has been read to its end
    assert book.stopped("b")
    assert not book.stopped("b")  # both listeners of b have stopped
    assert book.active() == 0
    clock.now = 31.0
    assert book.active() == 0  # the stopped listeners' ends do not count twice


def test_the_book_is_bounded() -> None:
    clock = Clock(0.0)
    book = ListenerBook(lambda _s: None, clock=clock)
    for n in range(MAX_TRACKED + 500):
        book.started(f"k{n}", 1000.0 + n)
    assert book.active() == MAX_TRACKED
    assert len(book._first) <= MAX_TRACKED


def test_recent_pages_tell_sources_apart_and_forget_the_oldest_first() -> None:
    page = reading_source("https://example.se/a", None, None, None)
    assert page == reading_source("https://example.se/a", None, None, None)
    others = {
        reading_source("https://example.se/b", None, None, None),
        reading_source("https://example.se/a", None, None, "sv_SE-nst-medium"),
        reading_source(None, "https://example.se/a", None, None),  # a text, not a page
        reading_source(None, "Hej", "sv", None),
        reading_source(None, "Hej", "en", None),
    }
    assert page not in others and len(others) == 5
    pages = RecentPages(max_pages=2)
    pages.read("a", ["k1", "k2"])
    pages.read("b", ["k3"])
    pages.read("a", ["k4"])  # read again: the newest, with its new first sentences
    pages.read("c", [])
    assert pages.first_keys("a") == ("k4",)
    assert pages.first_keys("b") is None  # the oldest went first
    assert pages.first_keys("c") == ()
    assert len(pages) == 2


async def test_listener_metrics_in_metrics_and_promtool_clean(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], tmp_path: Any
) -> None:
    client = await aiohttp_client(speech_app())
    assert await metric_value(client, "tts_speech_capacity_seconds_per_second") > 0
    response = await client.post(
        "/api/v1/readings",
        # Long enough (about a minute of speech) to be still playing while metrics are read.
        json={
            "text": "Biblioteket öppnar klockan nio och stänger klockan sju. " * 16,
            "lang": "sv",
        },
    )
    assert response.status == 200, await response.text()
    sentences = (await response.json())["sentences"]
    assert await metric_value(client, "tts_listeners_active") == 1
    assert await metric_value(client, "tts_speech_demand_seconds_per_second") == 1
    audio = await client.get(sentences[0]["audio"]["mp3"] + "?priority=high")
    assert audio.status == 200
    assert await metric_value(client, "tts_first_audio_seconds_count", 'kind="reading"') == 1
    speak = await client.post("/api/v1/speak", json={"text": "Hej och välkommen."})
    assert speak.status == 200
    assert await metric_value(client, "tts_first_audio_seconds_count", 'kind="speak"') == 1
    # The player stops: one listener less.
    beacon = await client.post("/api/v1/release", json={"audio": [sentences[0]["audio"]["mp3"]]})
    assert beacon.status == 204
    assert await metric_value(client, "tts_listeners_active") == 0

    exposition = tmp_path / "metrics.txt"
    exposition.write_text(await (await client.get("/metrics")).text())
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install Debian's prometheus package"

    def check() -> subprocess.CompletedProcess[str]:
        with exposition.open("rb") as data:
            return subprocess.run(
                [promtool, "check", "metrics"], stdin=data, capture_output=True, text=True
            )

    checked = await asyncio.to_thread(check)
    assert checked.returncode == 0, checked.stderr
    assert not (checked.stdout + checked.stderr).strip(), checked.stdout + checked.stderr
