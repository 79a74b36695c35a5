"""The synthesis queue: bounded, prioritised, single-flight, off the event loop.

Every sentence the service speaks goes through one :class:`Synthesizer`. It
holds at most ``queue_size`` waiting sentences, runs them in the CPU executor
(``concurrency`` at a time, fewest-first by :class:`Priority`), and gives a
sentence asked for twice while it waits or runs to both callers from one
synthesis. When the queue is full the caller gets :class:`Overloaded` (503)
with a Retry-After estimated from the queue depth and the mean synthesis time.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from ttsservice.errors import Overloaded, ServiceError

__all__ = ["Abandoned", "Priority", "SynthesisFailed", "Synthesizer"]

logger = logging.getLogger(__name__)

MISS_GRACE_SECONDS = 1.0
"""A sentence ready this long after its playback deadline counts as a miss (a first
sentence is due the moment its reading starts, so it is always a little late)."""

DEFAULT_SPEECH_PER_CHAR = 0.07
"""Seconds of speech per character before any is measured (about 14 characters a second)."""

DEFAULT_REALTIME_FACTOR = 0.1
"""Seconds of synthesis per second of speech before any is measured (a medium voice on
two cores measures about 0.06)."""

RATE_DECAY = 0.99
"""Weight kept by the past at each sentence in the measured real-time factor (the last
hundred or so count most: a crowd's first second, when page parsing and requests take
CPU, does not swing the capacity that admission uses)."""

CONTENTION_WEIGHT = 0.3
"""Weight of the last sentence made beside other work in the measured slowdown it causes."""

MAX_CONTENTION = 3.0
"""The measured slowdown beside other work is taken as at most this."""

CALIBRATION_WEIGHT = 60.0
"""Seconds of speech the start's estimate (measured at warm-up, or the default) counts as."""

Samples = npt.NDArray[np.float32]
T = TypeVar("T")


class Priority(enum.IntEnum):
    """Who is waiting for a sentence; lower numbers are synthesised first."""

    VISITOR = 0
    """A visitor waits for it now (the first sentences of a reading, read-selection)."""
    PREFETCH = 1
    """Sentences a little ahead of the listener, and whole-page downloads."""
    WARM = 2
    """Cache warming: nobody is waiting."""


class SynthesisFailed(ServiceError):
    """The voice could not speak a sentence (a fault of the voice, not of the request)."""

    status = 500
    code = "synthesis_failed"


class Abandoned(Overloaded):
    """The sentence was dropped from the queue: the listener it was for went away."""

    code = "abandoned"

    def __init__(self) -> None:
        super().__init__(
            "This audio was being made for a listener who left; ask for it again.",
            retry_after=1,
        )


@dataclass(order=True)
class _Entry:
    rank: tuple[int, float]
    seq: int
    job: _Job = field(compare=False)


@dataclass(order=True)
class _SideTask:
    priority: int
    seq: int
    run: Callable[[], Any] = field(compare=False)
    future: asyncio.Future[Any] = field(compare=False)


@dataclass(eq=False)
class _Job:
    key: str
    voice_name: str
    run: Callable[[], tuple[Samples, int]]
    future: asyncio.Future[Samples]
    priority: int
    on_done: Callable[[Samples], None] | None
    deadline: float | None = None
    chars: int = 0
    started: bool = False
    started_at: float = 0.0
    """When (on the queue's clock) its synthesis started."""
    due_now: bool = False
    """The deadline is the submit time of a visitor request, not a playback deadline."""


class SynthesisMetrics:
    """Hooks the queue reports to; the defaults do nothing (the CLI has no metrics)."""

    def synthesized(self, voice: str, seconds: float, audio_seconds: float) -> None:
        """One sentence was synthesised in ``seconds``, giving ``audio_seconds`` of speech."""

    def depth(self, waiting: int) -> None:
        """The number of waiting sentences changed."""

    def rejected(self) -> None:
        """A request was refused because the queue was full."""

    def deadline_missed(self, late_seconds: float) -> None:
        """A sentence was ready ``late_seconds`` after its playback deadline."""

    def dropped(self) -> None:
        """A waiting sentence was dropped: nobody needed it any more."""


class Synthesizer:
    """Bounded priority queue of sentences in front of the CPU executor."""

    def __init__(
        self,
        executor: Executor,
        *,
        queue_size: int,
        concurrency: int = 1,
        metrics: SynthesisMetrics | None = None,
        initial_mean_seconds: float = 0.5,
        scheduler: str = "deadline",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if scheduler not in ("deadline", "fifo"):
            raise ValueError(f"unknown scheduler {scheduler!r}: use deadline or fifo")
        self.scheduler = scheduler
        self.clock = clock
        self._executor = executor
        self.queue_size = queue_size
        self.concurrency = max(1, concurrency)
        self._metrics = metrics or SynthesisMetrics()
        self._heap: list[_Entry] = []
        self._side: list[_SideTask] = []
        self._jobs: dict[str, _Job] = {}
        self._waiting = 0
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._mean_seconds = initial_mean_seconds
        self._speech_per_char = DEFAULT_SPEECH_PER_CHAR
        self._realtime_factor = DEFAULT_REALTIME_FACTOR
        self._synthesis_sum = CALIBRATION_WEIGHT * DEFAULT_REALTIME_FACTOR
        self._audio_sum = CALIBRATION_WEIGHT
        self._beside = 0  # pieces of work running beside the synthesis now
        self._beside_started = 0  # ever started: a sentence saw none when this did not move
        self._contention = 1.0  # how much longer sentences take beside that work
        self._closed = False

    # --- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        """Start the worker tasks (call on the running loop)."""
        self._wakeup = asyncio.Event()
        self._workers = [
            asyncio.create_task(self._worker(), name=f"tts-synthesis-{i}")
            for i in range(self.concurrency)
        ]

    async def close(self) -> None:
        """Stop the workers; callers still waiting get :class:`Overloaded`."""
        self._closed = True
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        for job in list(self._jobs.values()):
            if not job.future.done():
                job.future.set_exception(
                    Overloaded("The service is shutting down; try again shortly.", retry_after=5)
                )
                job.future.exception()  # mark retrieved: nobody may be waiting any more
        for side in self._side:
            if not side.future.done():
                side.future.set_exception(
                    Overloaded("The service is shutting down; try again shortly.", retry_after=5)
                )
                side.future.exception()
        self._side.clear()
        self._jobs.clear()
        self._heap.clear()
        self._set_waiting(0)

    # --- queries --------------------------------------------------------------
    @property
    def waiting(self) -> int:
        """Sentences queued and not yet started."""
        return self._waiting

    @property
    def mean_seconds(self) -> float:
        """Moving mean of the time one sentence takes."""
        return self._mean_seconds

    def capacity(self) -> float:
        """Seconds of speech this queue makes per second: lanes / measured real-time factor."""
        return self.concurrency / self._realtime_factor

    def speech_seconds(self, chars: int) -> float:
        """Estimated spoken length of ``chars`` characters at normal speed.

        Starts from a typical rate and follows the measured rate of the
        sentences synthesised since (submitted with ``chars``).
        """
        return chars * self._speech_per_char

    def calibrate(self, seconds: float, audio_seconds: float) -> None:
        """Start from a measured synthesis speed: ``seconds`` for ``audio_seconds`` of speech.

        Called with the warm-up sentence, so the capacity that admission uses is
        this machine's from the first listener on, not a guess.
        """
        if seconds > 0 and audio_seconds > 0:
            self._realtime_factor = seconds / audio_seconds
            # Weighs as much as a few sentences: the first measured ones soon outweigh it.
            self._synthesis_sum = CALIBRATION_WEIGHT * self._realtime_factor
            self._audio_sum = CALIBRATION_WEIGHT

    @contextlib.contextmanager
    def beside(self) -> Iterator[None]:
        """Mark CPU work that runs beside the synthesis (a page being fetched, read, planned).

        Sentences synthesised while any runs are left out of the measured
        real-time factor. A crowd pressing Lyssna in the same second has its pages
        parsed while the first clips are made, which then take up to 1.7 times as
        long; counted in, they cut the capacity admission uses by a fifth within a
        second, and listeners the service can keep playing were refused. Page work
        is brief and comes only with new listeners: :data:`CAPACITY_SHARE` of the
        readings module keeps the headroom for it.
        """
        self._beside += 1
        self._beside_started += 1
        try:
            yield
        finally:
            self._beside -= 1

    def synthesis_seconds(self, chars: int) -> float:
        """Estimated seconds one lane takes now to synthesise ``chars`` characters (normal speed).

        From the measured speaking rate and real-time factor, times the measured
        slowdown while work runs :meth:`beside` it (pages being parsed in a
        crowd's first second make a clip take up to 1.7 times as long, and the
        order chosen for the next seconds must allow for it); the measured mean
        time per sentence when the length is not known.
        """
        if chars <= 0:
            return self._mean_seconds
        quiet = self.speech_seconds(chars) * self._realtime_factor
        return quiet * self._contention if self._beside else quiet

    def _cost(self, job: _Job) -> float:
        return self.synthesis_seconds(job.chars)

    def _lanes(self, now: float) -> list[float]:
        """When each synthesis lane is estimated to be free (a heap), from what runs now."""
        lanes = [now] * self.concurrency
        for job in self._jobs.values():
            if job.started:
                free = heapq.heappop(lanes)
                heapq.heappush(lanes, max(free, job.started_at + self._cost(job)))
        return lanes

    def _simulate(self, work: list[tuple[float, float, int]], now: float) -> list[float]:
        """Finish times of ``work`` (deadline, cost, tag) run earliest deadline first.

        Only the finishes of items with a tag >= 0 are returned, in tag order.
        """
        lanes = self._lanes(now)
        finishes: dict[int, float] = {}
        for _deadline, cost, tag in sorted(work, key=lambda item: (item[0], item[2] >= 0)):
            free = heapq.heappop(lanes)
            heapq.heappush(lanes, free + cost)
            if tag >= 0:
                finishes[tag] = free + cost
        return [finishes[tag] for tag in sorted(finishes)]

    def _waiting_work(self) -> list[tuple[float, float, int]]:
        return [
            (job.deadline, self._cost(job), -1)
            for job in self._jobs.values()
            if not job.started and job.deadline is not None
        ]

    def ready_at(self, deadline: float, cost: float) -> float:
        """When a new sentence due at ``deadline`` taking ``cost`` seconds would be ready.

        Earliest deadline first: it waits for what runs now and for every waiting
        sentence due no later than it (a new reading's first sentence waits for
        the first sentences of the readings before it, not for their later ones).
        """
        if self.scheduler == "fifo":
            ahead = [(-math.inf, c, -1) for _, c, _ in self._waiting_work()]
            return self._simulate([*ahead, (math.inf, cost, 0)], self.clock())[0]
        return self._simulate([*self._waiting_work(), (deadline, cost, 0)], self.clock())[0]

    def admits(
        self,
        deadlines: list[float],
        slack: float,
        costs: list[float] | None = None,
        *,
        check_first: bool = True,
    ) -> bool:
        """Whether sentences due at ``deadlines`` can join without a listener stalling.

        Simulates earliest-deadline-first over every waiting sentence with a
        deadline plus the new ones, each taking its estimated synthesis time
        (``costs``, else the measured mean) on the first free lane after what
        runs now: when any would be ready more than ``slack`` seconds after its
        deadline, a new listener would make someone wait, so the caller refuses
        it (503) while those already listening keep playing. Without
        ``check_first`` the first new sentence takes its lane time but may be late
        (its deadline is a choice being tried, not a listener's).
        """
        if costs is None:
            costs = [self._mean_seconds] * len(deadlines)
        work = self._waiting_work()
        work += [(d, c, i) for i, (d, c) in enumerate(zip(deadlines, costs, strict=True))]
        lanes = self._lanes(self.clock())
        for deadline, cost, tag in sorted(work, key=lambda item: (item[0], item[2] >= 0)):
            free = heapq.heappop(lanes)
            heapq.heappush(lanes, free + cost)
            if free + cost > deadline + slack and (check_first or tag != 0):
                return False
        return True

    def backlog_seconds(self) -> float:
        """Estimated seconds until every sentence with a deadline is synthesised."""
        work = sum(self._cost(j) for j in self._jobs.values() if j.deadline is not None)
        return work / self.concurrency

    def retry_after(self) -> int:
        """Seconds until the queue has likely drained enough to take a new sentence."""
        return max(1, math.ceil((self._waiting + 1) * self._mean_seconds / self.concurrency))

    def in_flight(self, key: str) -> bool:
        """True when ``key`` is queued or being synthesised."""
        return key in self._jobs

    def reject(self) -> None:
        """Count a request refused for lack of room (the caller raises the 503)."""
        self._metrics.rejected()

    def raise_priority(
        self, key: str, priority: Priority, *, deadline: float | None = None
    ) -> None:
        """Make a waiting sentence more urgent (no-op when it is not waiting).

        ``deadline`` (on :attr:`clock`) moves its deadline earlier, never later.
        """
        job = self._jobs.get(key)
        if job is None or job.started:
            return
        old = self._rank(job)
        if priority < job.priority:
            job.priority = int(priority)
        if deadline is not None and (job.deadline is None or deadline < job.deadline):
            job.deadline = deadline
        if self._rank(job) != old:
            heapq.heappush(self._heap, _Entry(self._rank(job), next(self._seq), job))
            self._poke()

    def drop(self, key: str) -> bool:
        """Take a waiting sentence out of the queue (one being synthesised runs on).

        For work nobody needs any more: its future fails with :class:`Abandoned`.
        The caller decides that nobody else waits for it. True when dropped.
        """
        job = self._jobs.get(key)
        if job is None or job.started:
            return False
        del self._jobs[key]  # its heap entry is now stale and skipped
        self._set_waiting(self._waiting - 1)
        if not job.future.done():
            job.future.set_exception(Abandoned())
            job.future.add_done_callback(_ignore_result)
        self._metrics.dropped()
        return True

    def _rank(self, job: _Job) -> tuple[int, float]:
        """Order of a waiting sentence: smaller first.

        FIFO: by priority, then arrival. Deadline: every sentence somebody will
        listen to at a known time (or a visitor waits for now) by earliest
        deadline; prefetch and warming without a deadline only after them.
        """
        if self.scheduler == "fifo":
            return (job.priority, 0.0)
        if job.deadline is not None:
            return (0, job.deadline)
        if job.priority == Priority.VISITOR:
            return (0, math.inf)  # replaced by the submit time in submit()
        return (job.priority, 0.0)

    def has_room(self, priority: Priority) -> bool:
        """Whether a new sentence of ``priority`` would be accepted now.

        Prefetching and warming may fill only half of the queue, so visitors
        always find room until the service is truly busy.
        """
        limit = self.queue_size if priority == Priority.VISITOR else max(1, self.queue_size // 2)
        return self._waiting < limit

    # --- submitting -------------------------------------------------------------
    def submit(
        self,
        key: str,
        voice_name: str,
        run: Callable[[], tuple[Samples, int]],
        priority: Priority,
        *,
        on_done: Callable[[Samples], None] | None = None,
        deadline: float | None = None,
        chars: int = 0,
    ) -> asyncio.Future[Samples]:
        """Queue ``run`` (synthesis returning samples and their rate) under ``key``.

        ``deadline`` is when (on :attr:`clock`) a listener will need the
        sentence; with the deadline scheduler earliest deadlines go first, and
        a visitor sentence without one is due now.

        A key already queued or running is not queued again: its future is
        returned (and its priority raised when this request is more urgent).
        ``on_done`` runs on the loop with the samples before anyone else can
        ask for the key again, so a cache filled there is never missed.
        Raises :class:`Overloaded` when there is no room for ``priority``.
        """
        if self._closed or self._wakeup is None:
            raise Overloaded("The speech service is not running; try again shortly.", retry_after=5)
        job = self._jobs.get(key)
        if job is not None:
            self.raise_priority(key, priority, deadline=deadline)
            return job.future
        if not self.has_room(priority):
            self._metrics.rejected()
            raise Overloaded(
                "Speech synthesis is busy right now; try again in a moment.",
                retry_after=self.retry_after(),
            )
        future: asyncio.Future[Samples] = asyncio.get_running_loop().create_future()
        due_now = deadline is None and priority == Priority.VISITOR
        if due_now:
            deadline = self.clock()
        job = _Job(key, voice_name, run, future, int(priority), on_done, deadline, chars)
        job.due_now = due_now
        self._jobs[key] = job
        heapq.heappush(self._heap, _Entry(self._rank(job), next(self._seq), job))
        self._set_waiting(self._waiting + 1)
        self._poke()
        return future

    def run_between(self, run: Callable[[], T], priority: Priority) -> asyncio.Future[T]:
        """Run short CPU work (encoding) in the synthesis lane, between two sentences.

        It goes before sentences of the same priority and never runs beside a
        synthesis, whose onnxruntime threads would otherwise wait for a busy core.
        Not bounded by the queue: it only follows synthesis that was admitted.
        """
        if self._closed or self._wakeup is None:
            raise Overloaded("The speech service is not running; try again shortly.", retry_after=5)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._side, _SideTask(int(priority), next(self._seq), run, future))
        self._poke()
        return future

    async def synthesize(
        self,
        key: str,
        voice_name: str,
        run: Callable[[], tuple[Samples, int]],
        priority: Priority,
        *,
        on_done: Callable[[Samples], None] | None = None,
        deadline: float | None = None,
        chars: int = 0,
    ) -> Samples:
        """Queue (or join) ``key`` and wait for its samples.

        A caller that goes away does not cancel the synthesis others may share.
        """
        future = self.submit(
            key, voice_name, run, priority, on_done=on_done, deadline=deadline, chars=chars
        )
        return await asyncio.shield(future)

    # --- internals ---------------------------------------------------------------
    def _set_waiting(self, value: int) -> None:
        self._waiting = value
        self._metrics.depth(value)

    def _poke(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _next_job(self) -> _Job | _SideTask | None:
        while self._heap:
            entry = self._heap[0]
            job = entry.job
            # Entries left behind by a priority raise, or for finished jobs, are stale.
            stale = entry.rank != self._rank(job) or self._jobs.get(job.key) is not job
            if job.started or stale:
                heapq.heappop(self._heap)
                continue
            break
        if self._side and (not self._heap or self._side[0].priority <= self._heap[0].job.priority):
            return heapq.heappop(self._side)
        if self._heap:
            return heapq.heappop(self._heap).job
        return None

    async def _run_side(self, task: _SideTask) -> None:
        if task.future.done():
            return
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, task.run)
        except asyncio.CancelledError:
            if not task.future.done():
                task.future.set_exception(
                    Overloaded("The service is shutting down.", retry_after=5)
                )
                task.future.add_done_callback(_ignore_result)
            raise
        except Exception as exc:
            if not task.future.done():
                task.future.set_exception(exc)
                task.future.add_done_callback(_ignore_result)
            return
        if not task.future.done():
            task.future.set_result(result)

    async def _worker(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            job = self._next_job()
            if job is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if isinstance(job, _SideTask):
                await self._run_side(job)
                continue
            job.started = True
            job.started_at = self.clock()
            self._set_waiting(self._waiting - 1)
            quiet_since = None if self._beside else self._beside_started
            expected = self.speech_seconds(job.chars) * self._realtime_factor if job.chars else 0.0
            started = time.perf_counter()
            try:
                samples, rate = await loop.run_in_executor(self._executor, job.run)
            except asyncio.CancelledError:
                self._finish(job, exc=Overloaded("The service is shutting down.", retry_after=5))
                raise
            except ServiceError as exc:
                self._finish(job, exc=exc)
                continue
            except Exception as exc:
                logger.exception("voice %s failed on a sentence", job.voice_name)
                self._finish(
                    job,
                    exc=SynthesisFailed(
                        f"The voice {job.voice_name} could not speak this text ({exc}).",
                    ),
                )
                continue
            seconds = time.perf_counter() - started
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
            audio_seconds = samples.size / rate if rate else 0.0
            if job.chars > 0 and audio_seconds > 0:
                per_char = audio_seconds / job.chars
                self._speech_per_char = 0.8 * self._speech_per_char + 0.2 * per_char
            quiet = not self._beside and quiet_since == self._beside_started
            if not quiet and expected > 0:
                slowdown = min(MAX_CONTENTION, max(1.0, seconds / expected))
                self._contention += CONTENTION_WEIGHT * (slowdown - self._contention)
            if audio_seconds > 0 and quiet:
                # A ratio of decaying sums, weighted by length: short clips (paced parts) and
                # a moment's contention move it little, so the capacity admission uses is
                # the one sustained over the last few dozen sentences.
                self._synthesis_sum = RATE_DECAY * self._synthesis_sum + seconds
                self._audio_sum = RATE_DECAY * self._audio_sum + audio_seconds
                self._realtime_factor = self._synthesis_sum / self._audio_sum
            self._metrics.synthesized(job.voice_name, seconds, audio_seconds)
            late = self.clock() - job.deadline if job.deadline is not None else 0.0
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "synthesised %s (%d chars) in %.3f s, estimated %.3f s; ready %+.2f s "
                    "after its deadline; %d waiting",
                    job.key[:12],
                    job.chars,
                    seconds,
                    self._cost(job),
                    late,
                    self._waiting,
                )
            if not job.due_now and late > MISS_GRACE_SECONDS:
                self._metrics.deadline_missed(late)
            self._finish(job, samples=samples)

    def _finish(
        self, job: _Job, *, samples: Samples | None = None, exc: BaseException | None = None
    ) -> None:
        if samples is not None and job.on_done is not None:
            try:
                job.on_done(samples)
            except Exception:
                logger.exception("storing synthesised samples failed")
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        if job.future.done():
            return
        if exc is not None:
            job.future.set_exception(exc)
            # Prefetch jobs may have nobody waiting: do not warn about an unretrieved error.
            job.future.add_done_callback(_ignore_result)
        elif samples is not None:
            job.future.set_result(samples)


def _ignore_result(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
