"""The request log's line batch and the lock-free HTTP metrics."""

from __future__ import annotations

import asyncio
import io

from prometheus_client import CollectorRegistry, generate_latest

from ttsservice.logsetup import LineBatch
from ttsservice.web.metrics import HttpMetrics


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


class BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("disk full")


async def test_lines_of_one_loop_turn_are_written_together() -> None:
    stream = CountingStream()
    batch = LineBatch(stream)
    for n in range(3):
        batch.add(f"line {n}\n")
    assert stream.getvalue() == ""
    await asyncio.sleep(0)
    assert stream.getvalue() == "line 0\nline 1\nline 2\n"
    assert stream.writes == 1
    batch.add("line 3\n")
    batch.flush()  # what the server does when it stops
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert stream.getvalue().endswith("line 2\nline 3\n")
    assert stream.writes == 2


async def test_a_broken_log_stream_does_not_raise() -> None:
    batch = LineBatch(BrokenStream())
    batch.add("lost\n")
    await asyncio.sleep(0)
    batch.add("also lost\n")
    batch.flush()


def test_latency_buckets_are_cumulative_and_bounds_inclusive() -> None:
    registry = CollectorRegistry(auto_describe=True)
    metrics = HttpMetrics(registry)
    for seconds in (0.001, 0.005, 0.0051, 0.7, 45.0):
        metrics.record("/healthz", "GET", 200, seconds)
    metrics.record("unmatched", "GET", 404, 0.002)
    text = generate_latest(registry).decode()
    route = 'method="GET",route="/healthz"'
    assert f'tts_http_request_duration_seconds_bucket{{le="0.005",{route}}} 2.0' in text
    assert f'tts_http_request_duration_seconds_bucket{{le="0.01",{route}}} 3.0' in text
    assert f'tts_http_request_duration_seconds_bucket{{le="1.0",{route}}} 4.0' in text
    assert f'tts_http_request_duration_seconds_bucket{{le="30.0",{route}}} 4.0' in text
    assert f'tts_http_request_duration_seconds_bucket{{le="+Inf",{route}}} 5.0' in text
    assert f"tts_http_request_duration_seconds_count{{{route}}} 5.0" in text
    assert f"tts_http_request_duration_seconds_sum{{{route}}} 45.7111" in text
    assert 'tts_http_requests_total{method="GET",route="/healthz",status="200"} 5.0' in text
    assert 'tts_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
