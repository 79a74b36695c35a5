"""The synthesis queue: priorities, single-flight, bounds and Retry-After."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ttsservice.errors import Overloaded
from ttsservice.speech.synthesizer import (
    Priority,
    SynthesisFailed,
    SynthesisMetrics,
    Synthesizer,
)


class Gate:
    """Jobs that block until released and record the order they ran in."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.ran: list[str] = []
        self.started = threading.Event()

    def job(self, name: str) -> Callable[[], tuple[np.ndarray, int]]:
        def run() -> tuple[np.ndarray, int]:
            self.started.set()
            self.release.wait(5)
            self.ran.append(name)
            return np.full(100, len(self.ran), dtype=np.float32), 1000

        return run


@pytest.fixture
async def queue() -> AsyncIterator[Synthesizer]:
    executor = ThreadPoolExecutor(max_workers=2)
    synthesizer = Synthesizer(executor, queue_size=4, concurrency=1, initial_mean_seconds=2.0)
    await synthesizer.start()
    yield synthesizer
    await synthesizer.close()
    executor.shutdown(wait=True)


async def test_visitors_go_before_prefetch_before_warming(queue: Synthesizer) -> None:
    gate = Gate()
    first = queue.submit("busy", "v", gate.job("busy"), Priority.PREFETCH)
    await asyncio.to_thread(gate.started.wait, 5)
    warm = queue.submit("warm", "v", gate.job("warm"), Priority.WARM)
    prefetch = queue.submit("prefetch", "v", gate.job("prefetch"), Priority.PREFETCH)
    visitor = queue.submit("visitor", "v", gate.job("visitor"), Priority.VISITOR)
    assert queue.waiting == 3
    gate.release.set()
    await asyncio.gather(first, warm, prefetch, visitor)
    assert gate.ran == ["busy", "visitor", "prefetch", "warm"]
    assert queue.waiting == 0


async def test_a_waiting_prefetch_is_raised_when_a_visitor_asks(queue: Synthesizer) -> None:
    gate = Gate()
    busy = queue.submit("busy", "v", gate.job("busy"), Priority.VISITOR)
    await asyncio.to_thread(gate.started.wait, 5)
    other = queue.submit("other", "v", gate.job("other"), Priority.PREFETCH)
    later = queue.submit("later", "v", gate.job("later"), Priority.PREFETCH)
    again = queue.submit("later", "v", gate.job("never"), Priority.VISITOR)
    assert again is later
    gate.release.set()
    await asyncio.gather(busy, other, later)
    assert gate.ran == ["busy", "later", "other"]


async def test_same_key_is_synthesised_once(queue: Synthesizer) -> None:
    gate = Gate()
    calls = [queue.synthesize("same", "v", gate.job("same"), Priority.VISITOR) for _ in range(5)]
    gate.release.set()
    results = await asyncio.gather(*calls)
    assert gate.ran == ["same"]
    assert all(r is results[0] for r in results)


async def test_full_queue_refuses_with_retry_after_from_depth(queue: Synthesizer) -> None:
    gate = Gate()
    running = queue.submit("run", "v", gate.job("run"), Priority.VISITOR)
    await asyncio.to_thread(gate.started.wait, 5)
    waiting = [queue.submit(f"k{i}", "v", gate.job(f"k{i}"), Priority.VISITOR) for i in range(4)]
    with pytest.raises(Overloaded) as refused:
        queue.submit("one-too-many", "v", gate.job("x"), Priority.VISITOR)
    # 4 waiting + this one, 2 s each, one at a time.
    assert refused.value.retry_after == 10
    assert refused.value.headers["Retry-After"] == "10"
    # Joining a sentence already queued is never refused.
    assert queue.submit("k0", "v", gate.job("k0"), Priority.VISITOR) is waiting[0]
    gate.release.set()
    await asyncio.gather(running, *waiting)


async def test_prefetch_may_fill_only_half_the_queue(queue: Synthesizer) -> None:
    gate = Gate()
    running = queue.submit("run", "v", gate.job("run"), Priority.VISITOR)
    await asyncio.to_thread(gate.started.wait, 5)
    prefetched = [
        queue.submit(f"p{i}", "v", gate.job(f"p{i}"), Priority.PREFETCH) for i in range(2)
    ]
    assert not queue.has_room(Priority.PREFETCH)
    with pytest.raises(Overloaded):
        queue.submit("p2", "v", gate.job("p2"), Priority.WARM)
    assert queue.has_room(Priority.VISITOR)
    visitor = queue.submit("v", "v", gate.job("v"), Priority.VISITOR)
    gate.release.set()
    await asyncio.gather(running, visitor, *prefetched)


async def test_a_failing_voice_fails_that_sentence_only(queue: Synthesizer) -> None:
    def broken() -> tuple[np.ndarray, int]:
        raise RuntimeError("onnxruntime: bad input")

    with pytest.raises(SynthesisFailed) as failed:
        await queue.synthesize("bad", "v", broken, Priority.VISITOR)
    assert failed.value.code == "synthesis_failed"
    gate = Gate()
    gate.release.set()
    samples = await queue.synthesize("good", "v", gate.job("good"), Priority.VISITOR)
    assert samples.size == 100


async def test_closing_fails_waiting_callers() -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    synthesizer = Synthesizer(executor, queue_size=4)
    await synthesizer.start()
    gate = Gate()
    running = synthesizer.submit("run", "v", gate.job("run"), Priority.VISITOR)
    waiting = synthesizer.submit("wait", "v", gate.job("wait"), Priority.VISITOR)
    await asyncio.to_thread(gate.started.wait, 5)
    await synthesizer.close()
    gate.release.set()
    executor.shutdown(wait=True)
    for future in (running, waiting):
        with pytest.raises(Overloaded):
            await future
    with pytest.raises(Overloaded):
        synthesizer.submit("after", "v", gate.job("after"), Priority.VISITOR)


async def test_encoding_runs_between_sentences_most_urgent_first(queue: Synthesizer) -> None:
    gate = Gate()
    running = queue.submit("busy", "v", gate.job("busy"), Priority.VISITOR)
    await asyncio.to_thread(gate.started.wait, 5)
    sentence = queue.submit("next", "v", gate.job("next"), Priority.PREFETCH)

    def encode(name: str) -> Callable[[], str]:
        def run() -> str:
            gate.ran.append(name)
            return name

        return run

    later = queue.run_between(encode("encode-prefetch"), Priority.PREFETCH)
    first = queue.run_between(encode("encode-visitor"), Priority.VISITOR)
    assert queue.waiting == 1  # encoding is not a waiting sentence
    gate.release.set()
    assert await first == "encode-visitor"
    await asyncio.gather(running, sentence, later)
    assert gate.ran == ["busy", "encode-visitor", "encode-prefetch", "next"]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("scheduler", "expected"),
    [
        ("deadline", ["busy", "A0", "B0", "A1", "B1", "A2", "download", "warm"]),
        ("fifo", ["busy", "A0", "A1", "B0", "B1", "download", "A2", "warm"]),
    ],
)
async def test_earliest_deadline_first_across_readings(scheduler: str, expected: list[str]) -> None:
    """The first sentence of every reading goes before the second of any (deadline mode)."""
    clock = FakeClock()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=20, scheduler=scheduler, clock=clock)
    await queue.start()
    try:
        gate = Gate()
        futures = [queue.submit("busy", "v", gate.job("busy"), Priority.WARM)]
        await asyncio.to_thread(gate.started.wait, 5)
        futures.append(queue.submit("warm", "v", gate.job("warm"), Priority.WARM))
        futures.append(queue.submit("download", "v", gate.job("download"), Priority.PREFETCH))
        start_a = clock.now
        for i, priority in enumerate([Priority.VISITOR, Priority.VISITOR, Priority.PREFETCH]):
            futures.append(
                queue.submit(f"A{i}", "v", gate.job(f"A{i}"), priority, deadline=start_a + 3.0 * i)
            )
        clock.now += 0.5
        start_b = clock.now
        for i in range(2):
            futures.append(
                queue.submit(
                    f"B{i}", "v", gate.job(f"B{i}"), Priority.VISITOR, deadline=start_b + 3.0 * i
                )
            )
        gate.release.set()
        await asyncio.gather(*futures)
        assert gate.ran == expected
    finally:
        await queue.close()
        executor.shutdown(wait=True)


async def test_a_visitor_without_deadline_is_due_now_and_a_deadline_only_moves_earlier() -> None:
    clock = FakeClock()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=20, clock=clock)
    await queue.start()
    try:
        gate = Gate()
        futures = [queue.submit("busy", "v", gate.job("busy"), Priority.WARM)]
        await asyncio.to_thread(gate.started.wait, 5)
        futures.append(
            queue.submit(
                "later", "v", gate.job("later"), Priority.PREFETCH, deadline=clock.now + 10
            )
        )
        futures.append(
            queue.submit("soon", "v", gate.job("soon"), Priority.PREFETCH, deadline=clock.now + 5)
        )
        clock.now += 1
        futures.append(queue.submit("now", "v", gate.job("now"), Priority.VISITOR))
        # Asking again with a later deadline must not delay it; an earlier one advances it.
        queue.raise_priority("soon", Priority.PREFETCH, deadline=clock.now + 50)
        queue.raise_priority("later", Priority.PREFETCH, deadline=clock.now + 2)
        gate.release.set()
        await asyncio.gather(*futures)
        assert gate.ran == ["busy", "now", "later", "soon"]
    finally:
        await queue.close()
        executor.shutdown(wait=True)


async def test_speaking_rate_follows_measured_durations(queue: Synthesizer) -> None:
    """Deadlines use the voice's measured rate: 100 samples at 1000 Hz for 10 chars."""
    before = queue.speech_seconds(10)
    gate = Gate()
    gate.release.set()
    for i in range(30):
        await queue.synthesize(f"s{i}", "v", gate.job(f"s{i}"), Priority.VISITOR, chars=10)
    assert before == pytest.approx(0.7)
    assert queue.speech_seconds(10) == pytest.approx(0.1, rel=0.01)


async def test_a_sentence_ready_after_its_deadline_counts_as_a_miss() -> None:
    class Misses(SynthesisMetrics):
        def __init__(self) -> None:
            self.late: list[float] = []

        def deadline_missed(self, late_seconds: float) -> None:
            self.late.append(late_seconds)

    clock = FakeClock()
    metrics = Misses()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=20, clock=clock, metrics=metrics)
    await queue.start()
    try:
        gate = Gate()
        gate.release.set()
        await queue.synthesize(
            "on-time", "v", gate.job("a"), Priority.PREFETCH, deadline=clock.now + 5
        )
        assert metrics.late == []

        def late_job() -> tuple[np.ndarray, int]:
            clock.now += 3
            return np.zeros(10, dtype=np.float32), 1000

        def little_late_job() -> tuple[np.ndarray, int]:
            clock.now += 0.8
            return np.zeros(10, dtype=np.float32), 1000

        # A visitor's request without a playback deadline, or one late less than the
        # grace (a first sentence is due when its reading starts), is no miss.
        await queue.synthesize("now", "v", late_job, Priority.VISITOR)
        await queue.synthesize("first", "v", little_late_job, Priority.VISITOR, deadline=clock.now)
        assert metrics.late == []
        await queue.synthesize("late", "v", late_job, Priority.VISITOR, deadline=clock.now + 1)
        assert metrics.late == [pytest.approx(2.0)]
    finally:
        await queue.close()
        executor.shutdown(wait=True)


async def test_admission_refuses_a_listener_who_would_make_others_stall() -> None:
    """Mean 1 s a sentence, one worker busy: two readings fit in 3 s slack, a third not."""
    clock = FakeClock()
    executor = ThreadPoolExecutor(max_workers=2)
    queue = Synthesizer(executor, queue_size=50, clock=clock, initial_mean_seconds=1.0)
    await queue.start()
    try:
        gate = Gate()
        futures = [queue.submit("busy", "v", gate.job("busy"), Priority.WARM)]
        await asyncio.to_thread(gate.started.wait, 5)
        # Warming and downloads without deadlines do not count against listeners.
        for i in range(5):
            futures.append(queue.submit(f"warm{i}", "v", gate.job("w"), Priority.WARM))
        admitted = 0
        for reading in range(10):
            wanted = [clock.now, clock.now + 3.0]
            if not queue.admits(wanted, slack=3.0):
                break
            admitted += 1
            for i, deadline in enumerate(wanted):
                futures.append(
                    queue.submit(
                        f"r{reading}s{i}", "v", gate.job("x"), Priority.VISITOR, deadline=deadline
                    )
                )
        # EDF after the running sentence (1 s): first sentences ready at 2, 3 s, second ones
        # (due at 3 s) at 4, 5 s; a third reading's first sentence would be ready at 4 s > 3 s.
        assert admitted == 2
        assert queue.backlog_seconds() == pytest.approx(4.0)
        gate.release.set()
        await asyncio.gather(*futures)
        assert queue.admits([clock.now, clock.now + 3.0], slack=2.0)
    finally:
        await queue.close()
        executor.shutdown(wait=True)
