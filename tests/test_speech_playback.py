"""Deadlines against each listener's own playback start, and admission by capacity.

On a fake clock: the playback plans, and the queue's estimate of when a new
reading's first sentence is ready. Then the real app on the tiny voice: a
later listener's sentences are due after its own start, a sentence the widget
asks for long after the reading was made carries its deadline, and listeners
beyond the measured capacity get 503 at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from tests.speechutil import hold_lanes, settle
from ttsservice.speech.playback import PlaybackPlans
from ttsservice.speech.readings import (
    FIRST_AUDIO_ALLOWANCES,
    FIRST_SENTENCES,
    PREFETCH_AHEAD,
    start_synthesis,
)
from ttsservice.speech.state import SPEECH
from ttsservice.speech.synthesizer import Priority, Synthesizer

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _key(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def test_a_sentences_deadline_is_its_readings_start_plus_its_offset() -> None:
    plans = PlaybackPlans(max_sentences=6)
    plans.plan([_key(1), _key(2), _key(3)], [0.0, 2.0, 9.0], start=100.0)
    assert plans.deadline(_key(2)) == pytest.approx(102.0)
    assert plans.deadline(_key(3)) == pytest.approx(109.0)
    plans.played(_key(2), 150.0)  # not a first sentence: nothing moves
    assert plans.deadline(_key(3)) == pytest.approx(109.0)
    plans.played(_key(1), 104.5)  # the first audio went out later than estimated
    assert plans.deadline(_key(2)) == pytest.approx(106.5)
    assert plans.deadline(_key(3)) == pytest.approx(113.5)
    assert plans.deadline(_key(99)) is None
    # Bounded: the oldest reading's sentences are forgotten first.
    plans.plan([_key(10 + i) for i in range(5)], [float(i) for i in range(5)], start=200.0)
    assert len(plans) == 6
    assert plans.deadline(_key(1)) is None
    assert plans.deadline(_key(3)) == pytest.approx(113.5)
    assert plans.deadline(_key(14)) == pytest.approx(204.0)


class Gate:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def job(self) -> Callable[[], tuple[np.ndarray, int]]:
        def run() -> tuple[np.ndarray, int]:
            self.started.set()
            self.release.wait(5)
            return np.zeros(100, dtype=np.float32), 1000

        return run


async def test_a_first_sentence_waits_only_for_earlier_first_sentences() -> None:
    """EDF estimate of first audio: sentences due later than it do not count."""
    clock = FakeClock()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=50, clock=clock)
    await queue.start()
    try:
        queue.calibrate(1.0, 10.0)  # 0.1 s of synthesis per second of speech
        chars = round(10.0 / queue.speech_seconds(1))  # 10 s of speech: 1 s to synthesise
        assert queue.synthesis_seconds(chars) == pytest.approx(1.0, rel=0.01)
        gate = Gate()
        futures = [queue.submit("busy", "v", gate.job(), Priority.WARM, chars=chars)]
        await asyncio.to_thread(gate.started.wait, 5)
        # Two readings: first sentences due now, second ones due 10 s after their start.
        for reading in range(2):
            futures.append(
                queue.submit(
                    f"r{reading}s0",
                    "v",
                    gate.job(),
                    Priority.VISITOR,
                    deadline=clock.now,
                    chars=chars,
                )
            )
            futures.append(
                queue.submit(
                    f"r{reading}s1",
                    "v",
                    gate.job(),
                    Priority.VISITOR,
                    deadline=clock.now + 10.0,
                    chars=chars,
                )
            )
        # After the running sentence (1 s) and the two first sentences (1 s each).
        assert queue.ready_at(clock.now, queue.synthesis_seconds(chars)) == pytest.approx(
            clock.now + 4.0, rel=0.01
        )
        # Per-sentence costs: a short new first sentence fits where a long one would not.
        short = queue.synthesis_seconds(chars // 10)
        assert queue.admits([clock.now], slack=3.2, costs=[short])
        assert not queue.admits([clock.now], slack=3.2, costs=[1.0])
        gate.release.set()
        await asyncio.gather(*futures)
    finally:
        await queue.close()
        executor.shutdown(wait=True)


async def test_later_listeners_sentences_are_due_after_their_own_start(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    app = reading_app(TTS_ADMISSION_SLACK="600")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    plans = app[SPEECH].plans
    synthesizer.calibrate(1.0, 5.0)  # slow enough that queueing shows in the estimates
    release, blockers = hold_lanes(synthesizer)
    readings = []
    try:
        for n in range(3):
            text = f"Läsning {n} börjar här. Den andra meningen om ämne {n} är längre. " + " ".join(
                f"Mening {i} av läsning {n} om boken." for i in range(12)
            )
            response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
            assert response.status == 200, await response.text()
            readings.append(await response.json())
        keys = [
            [s["audio"]["mp3"].rsplit("/", 1)[1][:64] for s in r["sentences"]] for r in readings
        ]
        seconds = synthesizer.synthesis_seconds
        texts = [[s["text"] for s in r["sentences"]] for r in readings]
        # Reading 2 starts playing only when its first sentence is ready: after the first
        # sentences of readings 0 and 1 (EDF), so its second sentence is due that much later
        # than reading 0's.
        firsts = sum(seconds(len(t[0])) for t in texts[:2])
        gap = plans.deadline(keys[2][1]) - plans.deadline(keys[0][1])
        assert gap >= firsts * 0.9, (gap, firsts)
        # A sentence far down the reading (not queued when the reading was made) has a
        # deadline too: its reading's start plus the speech before it.
        far = FIRST_SENTENCES + PREFETCH_AHEAD + 2
        assert not synthesizer.in_flight(keys[0][far])
        assert plans.deadline(keys[0][far]) > plans.deadline(keys[0][far - 1])
        # Asked for by the widget, it is queued with that deadline: before warming work and
        # before a later sentence of another reading, not after every deadline.
        request = asyncio.create_task(client.get(f"/api/v1/audio/{keys[0][far]}.mp3"))
        for _ in range(100):
            if synthesizer.in_flight(keys[0][far]):
                break
            await asyncio.sleep(0.02)
        job = synthesizer._jobs[keys[0][far]]
        assert job.deadline == pytest.approx(plans.deadline(keys[0][far]))
    finally:
        release.set()
        await asyncio.gather(*blockers)
    response = await request
    assert response.status == 200


async def test_listeners_beyond_the_measured_capacity_get_503_at_once(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    app = reading_app(TTS_TRUSTED_PROXIES="127.0.0.1")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    # Measured: 1 s of synthesis makes 3 s of speech: three listeners at most (95 %: two).
    synthesizer.calibrate(1.0, 3.0)
    assert synthesizer.capacity() == pytest.approx(3.0)
    statuses = []
    bodies = []
    for n in range(4):
        text = f"Lyssnare {n} läser om biblioteket. Det öppnar klockan nio på måndag {n}."
        response = await client.post(
            "/api/v1/readings",
            json={"text": text, "lang": "sv"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        statuses.append(response.status)
        bodies.append(await response.json())
        if response.status == 503:
            assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert statuses == [200, 200, 503, 503], statuses
    assert bodies[2]["error"]["code"] == "overloaded"
    assert "2 listeners" in bodies[2]["error"]["message"]
    # A listener who stops (the widget's release beacon) makes room.
    first = bodies[0]["sentences"][0]["audio"]["mp3"]
    response = await client.post("/api/v1/release", json={"audio": [first]})
    assert response.status == 204
    for _ in range(200):  # the admitted readings' sentences are made (the queue is idle)
        if synthesizer.waiting == 0 and app[SPEECH].speaker.rendering == 0:
            break
        await asyncio.sleep(0.02)
    response = await client.post(
        "/api/v1/readings",
        json={"text": "Nu finns det plats för en till.", "lang": "sv"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status == 200, await response.text()


async def test_the_capacity_holds_for_listeners_pressing_lyssna_in_the_same_moment(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    """Requests admitted together each count the others: no burst gets past the capacity."""
    app = reading_app(TTS_TRUSTED_PROXIES="127.0.0.1")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    synthesizer.calibrate(1.0, 3.0)  # three listeners at most (95 %: two)

    async def press(n: int) -> int:
        text = f"Samtidig lyssnare {n} läser om biblioteket. Det öppnar klockan nio {n}."
        response = await client.post(
            "/api/v1/readings",
            json={"text": text, "lang": "sv"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        await response.read()
        return response.status

    statuses = await asyncio.gather(*(press(n) for n in range(6)))
    assert sorted(statuses) == [200, 200, 503, 503, 503, 503], statuses
    assert app[SPEECH].listeners.active() == 2


@pytest.fixture
async def named_pages(aiohttp_server: Any) -> tuple[Any, list[str]]:
    """A site of short pages at ``/{name}``, each different, and the names fetched in order."""
    fetched: list[str] = []

    async def page(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        fetched.append(name)
        html = (
            f"<html lang='sv'><body><main><h1>Sidan {name}</h1><p>Biblioteket på sidan "
            f"{name} öppnar klockan nio. Välkommen dit på måndag.</p></main></body></html>"
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    site = web.Application()
    site.router.add_get("/{name}", page)
    return await aiohttp_server(site), fetched


def _pages_app(speech_app: Callable[..., web.Application], server: Any) -> web.Application:
    return speech_app(
        TTS_ALLOWED_ORIGINS=str(server.make_url("/")).rstrip("/"),
        TTS_ALLOW_PRIVATE_ADDRESSES="true",
        TTS_TRUSTED_PROXIES="127.0.0.1",
    )


async def _press(client: Any, server: Any, name: str, n: int) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/api/v1/readings",
        json={"url": str(server.make_url(f"/{name}"))},
        headers={"X-Forwarded-For": f"203.0.113.{n}"},
    )
    return response.status, await response.json()


async def test_a_full_service_refuses_a_new_page_before_fetching_it_but_serves_a_shared_one(
    aiohttp_client: Any,
    speech_app: Callable[..., web.Application],
    named_pages: tuple[Any, list[str]],
) -> None:
    """At capacity, reading a page would be wasted work: 503 first, unless its clips are made."""
    server, fetched = named_pages
    app = _pages_app(speech_app, server)
    client = await aiohttp_client(app)
    app[SPEECH].speaker.synthesizer.calibrate(1.0, 3.0)  # three listeners at most (95 %: two)
    assert (await _press(client, server, "a", 1))[0] == 200
    assert (await _press(client, server, "b", 2))[0] == 200
    status, body = await _press(client, server, "c", 3)
    assert status == 503, body
    assert body["error"]["code"] == "overloaded"
    assert "2 listeners" in body["error"]["message"]
    assert fetched == ["a", "b"]  # page c was never fetched
    # Bad input is still told what is wrong with it, not that the service is full.
    response = await client.post("/api/v1/readings", json={"url": "https://example.org/x"})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "page_not_allowed"
    response = await client.post("/api/v1/readings", json={"text": "… !", "lang": "sv"})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "empty_text"
    # Page a's first sentences are made or being made: a third listener of it costs no
    # synthesis, so the full service still reads it to them (a crowd on one page is served).
    status, body = await _press(client, server, "a", 4)
    assert status == 200, body
    assert fetched == ["a", "b", "a"]


async def test_pages_read_before_a_restart_are_known_to_a_full_service(
    aiohttp_client: Any,
    speech_app: Callable[..., web.Application],
    named_pages: tuple[Any, list[str]],
) -> None:
    server, fetched = named_pages
    before = _pages_app(speech_app, server)
    client = await aiohttp_client(before)
    assert (await _press(client, server, "a", 1))[0] == 200
    await settle(before)  # its first sentences are in the audio cache
    await client.close()
    app = _pages_app(speech_app, server)  # the same data directory
    client = await aiohttp_client(app)
    for _ in range(200):  # the records are recalled in the background
        if len(app[SPEECH].pages):
            break
        await asyncio.sleep(0.02)
    app[SPEECH].speaker.synthesizer.calibrate(1.0, 3.0)
    assert (await _press(client, server, "b", 2))[0] == 200
    assert (await _press(client, server, "c", 3))[0] == 200
    assert (await _press(client, server, "d", 4))[0] == 503
    assert (await _press(client, server, "a", 5))[0] == 200
    assert fetched == ["a", "b", "c", "a"]


async def test_a_listener_alone_is_served_however_slow_the_machine_measures(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    """Refusing the only listener keeps nobody else from stalling; the next one is refused."""
    app = reading_app(TTS_TRUSTED_PROXIES="127.0.0.1")
    client = await aiohttp_client(app)
    synthesizer = app[SPEECH].speaker.synthesizer
    synthesizer.calibrate(10.0, 5.0)  # measured: slower than real time
    release, blockers = hold_lanes(synthesizer)
    statuses = []
    try:
        for n in range(2):
            text = f"Ensam lyssnare {n} läser om biblioteket. Det öppnar klockan nio, varje dag."
            response = await client.post(
                "/api/v1/readings",
                json={"text": text, "lang": "sv"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            statuses.append(response.status)
            await response.read()
    finally:
        release.set()
        await asyncio.gather(*blockers)
    assert statuses == [200, 503], statuses


async def test_a_page_with_nothing_to_read_is_a_reading_without_sentences(
    aiohttp_client: Any, aiohttp_server: Any, speech_app: Callable[..., web.Application]
) -> None:
    async def empty(request: web.Request) -> web.Response:
        return web.Response(text="<html><body><nav>…</nav></body></html>", content_type="text/html")

    site = web.Application()
    site.router.add_get("/empty", empty)
    server = await aiohttp_server(site, host="127.0.0.1")
    origin = str(server.make_url("")).rstrip("/")
    client = await aiohttp_client(
        speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true")
    )
    response = await client.post("/api/v1/readings", json={"url": f"{origin}/empty"})
    assert response.status == 200, await response.text()
    assert (await response.json())["sentences"] == []


class _Speaker:
    """What start_synthesis needs of a speaker: the queue, and sentences queued in it."""

    def __init__(self, queue: Synthesizer, gate: Gate) -> None:
        self.synthesizer = queue
        self.gate = gate
        self.futures: list[asyncio.Future[Any]] = []

    def is_cached(self, key: str, hint: object) -> bool:
        return False

    def prefetch(
        self, key: str, spec: Any, hint: object, priority: Priority, *, deadline: float | None
    ) -> bool:
        chars = len(spec.text)
        job = self.gate.job()
        self.futures.append(
            self.synthesizer.submit(key, "v", job, priority, deadline=deadline, chars=chars)
        )
        return True


async def test_a_new_listeners_first_clip_waits_as_little_as_keeps_others_on_time() -> None:
    """With others listening, a first clip is due as late as needed, within the allowance."""
    clock = FakeClock()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=50, clock=clock)
    await queue.start()
    gate = Gate()
    speaker = _Speaker(queue, gate)
    try:
        queue.calibrate(1.0, 10.0)  # 0.1 s of synthesis per second of speech
        per_second = round(1 / queue.speech_seconds(1))  # characters in a second of speech
        speaker.futures.append(queue.submit("busy", "v", gate.job(), Priority.WARM, chars=1))
        await asyncio.to_thread(gate.started.wait, 5)
        # A listener playing: its next clip, 5 s of speech (0.5 s to make), due in 0.85 s.
        playing = queue.submit(
            "next",
            "v",
            gate.job(),
            Priority.VISITOR,
            deadline=clock.now + 0.85,
            chars=5 * per_second,
        )
        speaker.futures.append(playing)
        # A new listener: a 3-second first clip (0.3 s to make), then a long one.
        specs = [
            SimpleNamespace(text="x" * (3 * per_second), length_scale=1.0),
            SimpleNamespace(text="x" * (9 * per_second), length_scale=1.0),
        ]
        keys = [_key(100), _key(101)]
        start_synthesis(
            speaker,  # type: ignore[arg-type]
            keys,
            specs,  # type: ignore[arg-type]
            hint=None,  # type: ignore[arg-type]
            admission_slack=600,
            listening=(1, 60.0),
        )
        # Due 0.8 s from now or sooner it would go first and leave the other listener's
        # clip too little time (ready 0.8 s from now, due at 0.85: within the margin);
        # due 0.9 s from now it goes after it, and is still ready within the allowance.
        assert FIRST_AUDIO_ALLOWANCES[8:10] == (0.8, 0.9)
        first = queue._jobs[keys[0]].deadline
        assert first is not None
        assert first - clock.now == pytest.approx(0.9)
        # Alone, a listener's first clip is due at once.
        start_synthesis(
            speaker,  # type: ignore[arg-type]
            [_key(200)],
            [SimpleNamespace(text="x" * per_second, length_scale=1.0)],  # type: ignore[list-item]
            hint=None,  # type: ignore[arg-type]
            admission_slack=600,
            listening=(0, None),
        )
        assert queue._jobs[_key(200)].deadline == pytest.approx(clock.now)
    finally:
        gate.release.set()
        await asyncio.gather(*speaker.futures, return_exceptions=True)
        await queue.close()
        executor.shutdown(wait=True)


async def test_sentences_made_beside_page_work_do_not_lower_the_capacity() -> None:
    """A crowd's pages parsed beside the first clips slow them: counted apart, not as capacity."""
    executor = ThreadPoolExecutor(max_workers=1)
    queue = Synthesizer(executor, queue_size=50)
    await queue.start()

    def slow(seconds: float) -> Callable[[], tuple[np.ndarray, int]]:
        def run() -> tuple[np.ndarray, int]:
            threading.Event().wait(seconds)
            return np.zeros(1000, dtype=np.float32), 1000  # one second of speech

        return run

    try:
        queue.calibrate(0.05, 1.0)  # 0.05 s of synthesis per second of speech: 20 listeners
        chars = round(1.0 / queue.speech_seconds(1))
        assert queue.capacity() == pytest.approx(20.0)
        quiet_cost = queue.synthesis_seconds(chars)
        with queue.beside():  # a page being read while two clips take four times as long
            for n in range(2):
                await queue.synthesize(f"b{n}", "v", slow(0.2), Priority.VISITOR, chars=chars)
            assert queue.capacity() == pytest.approx(20.0)
            # The order chosen now allows for the slowdown...
            assert queue.synthesis_seconds(chars) > 2 * quiet_cost
        # ...which ends with the page work; and it never counted as capacity.
        assert queue.synthesis_seconds(chars) == pytest.approx(quiet_cost, rel=0.02)
        assert queue.capacity() == pytest.approx(20.0)
        # A clip that overlapped page work only at its start is left out too.
        page = queue.beside()
        page.__enter__()
        clip = asyncio.ensure_future(
            queue.synthesize("o", "v", slow(0.2), Priority.VISITOR, chars=chars)
        )
        await asyncio.sleep(0.05)
        page.__exit__(None, None, None)
        await clip
        assert queue.capacity() == pytest.approx(20.0)
        # Slow clips made in quiet are what the machine does: the capacity follows them.
        await queue.synthesize("q", "v", slow(0.2), Priority.VISITOR, chars=chars)
        assert queue.capacity() < 19.5
    finally:
        await queue.close()
        executor.shutdown(wait=True)
