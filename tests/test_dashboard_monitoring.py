"""Grafana dashboard and Prometheus alert rules shipped in deploy/, checked against the real app.

- The rules pass ``promtool check rules`` and their unit tests (``promtool test rules``).
- Every metric name a Grafana query or an alert uses is in :data:`RELIED_ON`, and every
  name there is exported by the real app's ``/metrics`` (with feedback, voices and, once
  it is part of the app, speech set up). A missing name fails the test by name.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

pytest_plugins = ["tests.conftest_voices"]

REPO = Path(__file__).resolve().parent.parent
GRAFANA = REPO / "deploy" / "grafana" / "ttsservice.json"
RULES = REPO / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "alerts_test.yml"

RELIED_ON: dict[str, str] = {
    "tts_votes_total": "feedback",
    "tts_comments_total": "feedback",
    "tts_feedback_rejections_total": "feedback",
    "tts_db_seconds_bucket": "feedback",
    "tts_http_requests_total": "foundation",
    "tts_http_request_duration_seconds_bucket": "foundation",
    "tts_voice_fallback_active": "voices",
    "tts_synthesis_seconds_bucket": "speech",
    "tts_audio_cache_hits_total": "speech",
    "tts_audio_cache_misses_total": "speech",
    "tts_synthesis_queue_depth": "speech",
    "tts_overload_rejections_total": "speech",
    "tts_deadline_misses_total": "speech",
    "tts_first_audio_seconds_bucket": "speech",
    "tts_listeners_active": "speech",
    "tts_speech_demand_seconds_per_second": "speech",
    "tts_speech_capacity_seconds_per_second": "speech",
}
"""Every metric the dashboard and the alerts query, with the part of the app that exports it."""

_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


def test_metric_names_are_found_in_promql() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le) (rate(tts_a_bucket{x="y",le!="1"}[5m]))) '
        "/ on() group_left sum(increase(tts_b_total[1h] offset 1h)) and on() hour() >= 7 < 19"
    )
    assert metric_names(expr) == {"tts_a_bucket", "tts_b_total"}


def grafana_queries() -> Iterator[tuple[str, str]]:
    def walk(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        for panel in panels:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
            yield from walk(panel.get("panels", []))

    yield from walk(json.loads(GRAFANA.read_text(encoding="utf-8"))["panels"])


def rule_queries() -> list[tuple[str, str]]:
    text = RULES.read_text(encoding="utf-8")
    alerts = re.findall(r"- alert: (\w+)\n(?:.*\n)*?\s+expr: (\|\n(?:\s{10,}.*\n)+|.*\n)", text)
    return [(name, expr.removeprefix("|")) for name, expr in alerts]


def _promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: install Debian's prometheus package"
    return path


def test_alert_rules_pass_promtool_check() -> None:
    run = subprocess.run(
        [_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 6 rules found" in run.stdout


def test_alert_rules_unit_tests_pass() -> None:
    run = subprocess.run(
        [_promtool(), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_grafana_has_every_panel_and_queries_only_known_metrics() -> None:
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "ttsservice"
    queries = list(grafana_queries())
    titles = {title for title, _ in queries}
    for wanted in (
        "Votes per hour by answer",
        "Share helpful per section (24 h)",
        "Rejections by reason",
        "Synthesis latency p95",
        "Audio cache hit ratio",
        "Synthesis queue depth",
        "5xx rate",
        "Fallback voice in use",
        "Time to first audio",
        "Listeners and load vs capacity",
    ):
        assert wanted in titles
    used = set().union(*(metric_names(expr) for _, expr in queries))
    unknown = used - set(RELIED_ON)
    assert not unknown, f"Grafana queries metrics not in RELIED_ON: {sorted(unknown)}"
    assert used == set(RELIED_ON), f"RELIED_ON lists unused names: {set(RELIED_ON) - used}"


def test_alert_rules_query_only_known_metrics() -> None:
    rules = rule_queries()
    assert [name for name, _ in rules] == [
        "TTSNoVotesDaytime",
        "TTSFeedbackRejectionSurge",
        "TTSHighErrorRate",
        "TTSSynthesisSlow",
        "TTSDeadlineMisses",
        "TTSFallbackVoiceInUse",
    ]
    used = set().union(*(metric_names(expr) for _, expr in rules))
    assert used and used <= set(RELIED_ON), sorted(used - set(RELIED_ON))


async def exported_names(app: web.Application, aiohttp_client: Callable[..., Any]) -> set[str]:
    """Sample names the app's /metrics can export (from each family's name and type)."""
    client = await aiohttp_client(app)
    response = await client.get("/metrics")
    assert response.status == 200
    names = set()
    for family in text_string_to_metric_families(await response.text()):
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count")}
        else:
            names.add(family.name)
    return names


@pytest.fixture
def full_app(make_app: Callable[..., web.Application], tiny_voice_env: dict[str, str]) -> Any:
    """The real app with feedback, the tiny voice and (when present) speech set up."""
    return make_app(**tiny_voice_env, TTS_SECTIONS="vard")


async def test_metrics_of_feedback_foundation_and_voices_are_exported(
    full_app: web.Application, aiohttp_client: Callable[..., Any]
) -> None:
    exported = await exported_names(full_app, aiohttp_client)
    missing = sorted(n for n, part in RELIED_ON.items() if part != "speech" and n not in exported)
    assert not missing, f"/metrics does not export {missing}"


async def test_metrics_of_speech_are_exported(
    full_app: web.Application, aiohttp_client: Callable[..., Any]
) -> None:
    exported = await exported_names(full_app, aiohttp_client)
    missing = sorted(n for n, part in RELIED_ON.items() if part == "speech" and n not in exported)
    assert not missing, f"/metrics does not export {missing}"
