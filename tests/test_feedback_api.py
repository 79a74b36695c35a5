"""The feedback HTTP API through the real app and a real SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedback.store import FEEDBACK, FeedbackStore
from tests.backends import on_both_backends
from ttsservice.settings import Settings

pytest_plugins = ["tests.conftest_feedback"]

AppFactory = Callable[..., web.Application]
ClientFactory = Callable[[web.Application], Any]

SITE = "https://www.regionstockholm.se"
PAGE = f"{SITE}/vard/akut/"
TOKEN = "s3cret-statistics-token-for-tests"
PNR = "19811218-9876"  # valid checksum (Skatteverket's example)


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings], database_url: str) -> Any:
    """Every test of this module runs on SQLite and on PostgreSQL."""
    return on_both_backends(make_settings, database_url)


def assert_error(body: Any, status: int, code: str) -> None:
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert len(body["error"]["message"]) > 10


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels}")


@pytest.fixture
async def client(make_app: AppFactory, aiohttp_client: ClientFactory) -> TestClient:
    app = make_app(TTS_STATS_TOKEN=TOKEN, TTS_SECTIONS="vard,kultur=/kultur-och-fritid")
    return await aiohttp_client(app)


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def metrics_text(client: TestClient) -> str:
    return await (await client.get("/metrics")).text()


async def test_vote_is_stored_counted_and_listed(client: TestClient) -> None:
    response = await client.post("/api/v1/votes", json={"url": PAGE, "answer": "yes"})
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"id", "scrubbed"} and body["scrubbed"] is False
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    response = await client.post(
        "/api/v1/votes", json={"url": PAGE, "answer": "no", "reasons": ["outdated"]}
    )
    assert response.status == 201
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    (page,) = pages["pages"]
    assert pages["min_responses"] == 10
    assert (page["url"], page["yes"], page["no"], page["section"]) == (PAGE, 1, 1, "vard")
    assert page["ranked"] is False
    text = await metrics_text(client)
    assert metric(text, "tts_votes_total", answer="yes", section="vard") == 1
    assert metric(text, "tts_votes_total", answer="no", section="vard") == 1
    assert metric(text, "tts_votes_total", answer="yes", section="other") == 0


async def test_comment_with_personal_data_is_scrubbed_before_storage(
    client: TestClient, tmp_path: Path
) -> None:
    comment = (
        f"Jag heter Åsa, pnr {PNR}, mejla asa.svensson@example.se eller ring 070-123 45 67. "
        "Jag bor på Storgatan 12B, 114 52 Stockholm."
    )
    response = await client.post(
        "/api/v1/votes", json={"url": PAGE, "answer": "no", "comment": comment}
    )
    assert response.status == 201
    assert (await response.json())["scrubbed"] is True
    comments = await (await client.get("/api/v1/stats/comments", headers=auth())).json()
    (row,) = comments["comments"]
    assert row["text"] == (
        "Jag heter Åsa, pnr [personnummer], mejla [e-post] eller ring [telefon]. "
        "Jag bor på [adress], [postnummer] Stockholm."
    )
    assert row["scrubbed"] is True and row["status"] == "ny"
    # Nothing of it anywhere in the database files (main file and WAL), nor the client address.
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("feedback.sqlite3*"))
    for secret in ("9811218", "example.se", "123 45 67", "Storgatan", "114 52", "127.0.0.1"):
        assert secret.encode() not in raw, secret
    text = await metrics_text(client)
    assert metric(text, "tts_comments_total", result="scrubbed") == 1
    assert metric(text, "tts_comments_total", result="stored") == 0


async def test_follow_up_comment_on_earlier_vote(client: TestClient) -> None:
    vote = await (await client.post("/api/v1/votes", json={"url": PAGE, "answer": "no"})).json()
    response = await client.post(
        f"/api/v1/votes/{vote['id']}/comment",
        json={"comment": "  Öppettiderna saknas.\u0000 ", "reasons": ["not_found"]},
    )
    assert response.status == 201
    body = await response.json()
    assert body["scrubbed"] is False and body["id"] != vote["id"]
    detail = await (
        await client.get("/api/v1/stats/pages/detail", params={"url": PAGE}, headers=auth())
    ).json()
    assert detail["reasons"] == {"not_found": 1}
    assert [c["text"] for c in detail["comments"]] == ["Öppettiderna saknas."]
    again = await client.post(f"/api/v1/votes/{vote['id']}/comment", json={"comment": "Mer."})
    assert_error(await again.json(), 409, "comment_exists")
    unknown = await client.post(
        "/api/v1/votes/AAAAAAAAAAAAAAAAAAAAAA/comment", json={"comment": "x"}
    )
    assert_error(await unknown.json(), 404, "unknown_vote")
    text = await metrics_text(client)
    assert metric(text, "tts_comments_total", result="stored") == 1
    assert metric(text, "tts_feedback_rejections_total", reason="comment_exists") == 1
    assert metric(text, "tts_feedback_rejections_total", reason="unknown_vote") == 1


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "reason"),
    [
        (
            {"json": {"url": "https://evil.example.com/x", "answer": "yes"}},
            403,
            "page_not_allowed",
            "page_not_allowed",
        ),
        ({"json": {"url": "javascript:alert(1)", "answer": "yes"}}, 400, "bad_url", "bad_url"),
        ({"json": {"url": PAGE, "answer": "maybe"}}, 400, "bad_answer", "bad_answer"),
        (
            {"json": {"url": PAGE, "answer": "no", "reasons": ["ugly"]}},
            400,
            "bad_reason",
            "bad_reason",
        ),
        (
            {"json": {"url": PAGE, "answer": "yes", "reasons": ["other"]}},
            400,
            "bad_reason",
            "bad_reason",
        ),
        (
            {"json": {"url": PAGE, "answer": "no", "comment": "å" * 1001}},
            400,
            "comment_too_long",
            "comment_too_long",
        ),
        (
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "bad_json",
            "bad_json",
        ),
        (
            {
                "data": b"url=x&answer=yes",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            415,
            "unsupported_media_type",
            "unsupported_media_type",
        ),
        ({"json": ["not", "an", "object"]}, 400, "bad_json", "bad_json"),
        (
            {"json": {"url": PAGE, "answer": "yes", "token": "short"}},
            400,
            "invalid_field",
            "invalid_field",
        ),
    ],
)
async def test_every_rejection_is_a_clear_4xx_and_counted(
    client: TestClient, kwargs: dict[str, Any], status: int, code: str, reason: str
) -> None:
    response = await client.post("/api/v1/votes", **kwargs)
    assert response.status == status
    assert_error(await response.json(), status, code)
    text = await metrics_text(client)
    assert metric(text, "tts_feedback_rejections_total", reason=reason) == 1
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert pages["pages"] == []


async def test_comment_of_exactly_1000_characters_after_trimming_is_accepted(
    client: TestClient,
) -> None:
    response = await client.post(
        "/api/v1/votes", json={"url": PAGE, "answer": "no", "comment": "  " + "ä" * 1000 + "\n "}
    )
    assert response.status == 201


async def test_honeypot_looks_like_success_but_stores_nothing(client: TestClient) -> None:
    response = await client.post(
        "/api/v1/votes",
        json={"url": PAGE, "answer": "no", "comment": "köp billigt", "website": "http://spam"},
    )
    assert response.status == 201
    assert set(await response.json()) == {"id", "scrubbed"}
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert pages["pages"] == []
    text = await metrics_text(client)
    assert metric(text, "tts_feedback_rejections_total", reason="honeypot") == 1
    assert metric(text, "tts_comments_total", result="rejected") == 1


async def test_rate_limit_answers_429_with_retry_after(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(make_app(TTS_VOTES_PER_MINUTE="3"))
    for answer in ("yes", "no", "yes"):
        response = await client.post(
            "/api/v1/votes", json={"url": PAGE, "answer": answer, "comment": answer}
        )
        assert response.status == 201
    response = await client.post("/api/v1/votes", json={"url": PAGE, "answer": "no"})
    assert response.status == 429
    assert_error(await response.json(), 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 20
    text = await metrics_text(client)
    assert metric(text, "tts_feedback_rejections_total", reason="rate_limited") == 1


async def test_identical_submission_within_seconds_gets_the_same_id_once(
    client: TestClient,
) -> None:
    body = {"url": PAGE, "answer": "no", "reasons": ["incorrect"], "comment": "Fel adress"}
    first, second = await asyncio.gather(
        client.post("/api/v1/votes", json=body), client.post("/api/v1/votes", json=body)
    )
    assert first.status == second.status == 201
    assert (await first.json())["id"] == (await second.json())["id"]
    third = await client.post("/api/v1/votes", json=body)
    assert (await third.json())["id"] == (await first.json())["id"]
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert pages["pages"][0]["no"] == 1
    text = await metrics_text(client)
    assert metric(text, "tts_feedback_rejections_total", reason="duplicate") == 2


async def test_repeat_votes_replace_only_with_the_consent_token(client: TestClient) -> None:
    token = "b" * 32
    await client.post("/api/v1/votes", json={"url": PAGE, "answer": "no", "token": token})
    await client.post("/api/v1/votes", json={"url": PAGE + "#top", "answer": "yes", "token": token})
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert (pages["pages"][0]["yes"], pages["pages"][0]["no"]) == (1, 0)
    await client.post("/api/v1/votes", json={"url": PAGE, "answer": "no"})
    await client.post("/api/v1/votes", json={"url": PAGE, "answer": "yes"})  # no token: counted
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert (pages["pages"][0]["yes"], pages["pages"][0]["no"]) == (2, 1)


async def test_spellings_of_one_page_count_as_one_page(client: TestClient) -> None:
    spellings = [
        "https://www.regionstockholm.se/vård/akut",
        "HTTPS://WWW.RegionStockholm.se:443/v%c3%a5rd/akut/?utm_source=x#hjalp",
        "https://www.regionstockholm.se/v%C3%A5rd/./akut/",
        "https://www.regionstockholm.se/v%C3%A5rd/x/../akut",
    ]
    for i, url in enumerate(spellings):
        # Different comments, so the identical-submission rule does not fold them.
        body = {"url": url, "answer": "yes", "comment": f"Kommentar {i}"}
        response = await client.post("/api/v1/votes", json=body)
        assert response.status == 201, await response.text()
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert [(p["url"], p["yes"]) for p in pages["pages"]] == [
        ("https://www.regionstockholm.se/v%C3%A5rd/akut/", 4)
    ]


async def test_stats_refused_without_the_token_and_off_without_a_setting(
    client: TestClient, make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    paths = [
        "/api/v1/stats/pages",
        "/api/v1/stats/pages/detail?url=" + PAGE,
        "/api/v1/stats/sections",
        "/api/v1/stats/comments",
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status == 401, path
        assert_error(await response.json(), 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status == 401
        right = await client.get(path, headers=auth())
        assert right.status == 200, path
    patch = await client.patch("/api/v1/stats/comments/abc", json={"status": "läst"})
    assert patch.status == 401
    off: TestClient = await aiohttp_client(make_app())
    response = await off.get("/api/v1/stats/pages", headers=auth())
    body = await response.json()
    assert_error(body, 404, "stats_disabled")
    assert "TTS_STATS_TOKEN" in body["error"]["message"]


async def test_stats_parameters_are_exactly_what_the_openapi_document_says(
    client: TestClient,
) -> None:
    """An empty or loosely written value is not the same as leaving the parameter out."""
    refused = {
        "/api/v1/stats/pages?since=": "bad_date",
        "/api/v1/stats/pages?until=20261204": "bad_date",  # fromisoformat takes it; RFC 3339 not
        "/api/v1/stats/sections?since=2026-W49-5": "bad_date",
        "/api/v1/stats/pages?min_responses=": "bad_number",
        "/api/v1/stats/pages?min_responses=1000001": "bad_number",
        "/api/v1/stats/sections?min_responses=%201": "bad_number",  # int() would strip it
        "/api/v1/stats/comments?limit=0": "bad_number",
        "/api/v1/stats/comments?limit=%D9%A1": "bad_number",  # ARABIC-INDIC ONE: int() reads it
        "/api/v1/stats/comments?offset=-1": "bad_number",
        "/api/v1/stats/comments?status=": "bad_status",
        "/api/v1/stats/pages?format=": "bad_format",
        "/api/v1/stats/pages/detail?url=": "missing_field",
    }
    for path, code in refused.items():
        response = await client.get(path, headers=auth())
        assert_error(await response.json(), 400, code)
    document = await (await client.get("/openapi.json")).json()
    limit = next(
        p
        for p in document["paths"]["/api/v1/stats/comments"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 10_000
    for path in ("/api/v1/stats/comments?limit=1", "/api/v1/stats/comments?limit=10000"):
        assert (await client.get(path, headers=auth())).status == 200
    csv_answer = document["paths"]["/api/v1/stats/pages"]["get"]["responses"]["200"]
    assert set(csv_answer["content"]) == {"application/json", "text/csv"}


async def test_stats_as_csv_for_excel_with_swedish_characters(client: TestClient) -> None:
    url = f"{SITE}/kultur-och-fritid/bibliotek/"
    await client.post(
        "/api/v1/votes",
        json={
            "url": url,
            "answer": "no",
            "reasons": ["hard_to_understand"],
            "comment": "Svårt språk; för långa meningar",
        },
    )
    for path, key in (("pages", "url"), ("sections", "section"), ("comments", "text")):
        response = await client.get(f"/api/v1/stats/{path}?format=csv", headers=auth())
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        data = await response.read()
        assert data.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 1, path
        assert key in rows[0]
    comments = await (await client.get("/api/v1/stats/comments?format=csv", headers=auth())).read()
    row = next(csv.DictReader(io.StringIO(comments.decode("utf-8-sig")), delimiter=";"))
    assert row["text"] == "Svårt språk; för långa meningar"
    assert row["section"] == "kultur"
    bad = await client.get("/api/v1/stats/pages?format=xls", headers=auth())
    assert_error(await bad.json(), 400, "bad_format")
    bad = await client.get("/api/v1/stats/pages?since=igår", headers=auth())
    assert_error(await bad.json(), 400, "bad_date")


async def test_comment_triage_through_the_api(client: TestClient) -> None:
    await client.post("/api/v1/votes", json={"url": PAGE, "answer": "no", "comment": "Trasig länk"})
    (comment,) = (await (await client.get("/api/v1/stats/comments", headers=auth())).json())[
        "comments"
    ]
    response = await client.patch(
        f"/api/v1/stats/comments/{comment['id']}",
        json={"status": "ej_åtgärdbar", "reason": "Länken går till 1177"},
        headers=auth(),
    )
    assert response.status == 200
    updated = (await response.json())["comment"]
    assert (updated["status"], updated["status_reason"]) == ("ej_åtgärdbar", "Länken går till 1177")
    listed = await client.get("/api/v1/stats/comments?status=ej_åtgärdbar", headers=auth())
    assert [c["id"] for c in (await listed.json())["comments"]] == [comment["id"]]
    missing = await client.post(
        f"/api/v1/stats/comments/{comment['id']}", json={"status": "ej_åtgärdbar"}, headers=auth()
    )
    assert_error(await missing.json(), 400, "missing_reason")
    unknown = await client.patch(
        "/api/v1/stats/comments/nope", json={"status": "läst"}, headers=auth()
    )
    assert_error(await unknown.json(), 404, "unknown_comment")


async def test_reasons_in_swedish_and_english(client: TestClient) -> None:
    sv = await (await client.get("/api/v1/feedback/reasons")).json()
    assert [r["code"] for r in sv["reasons"]] == [
        "not_found",
        "hard_to_understand",
        "incorrect",
        "outdated",
        "other",
    ]
    assert sv["reasons"][1]["label"] == "Svårt att förstå"
    en = await (await client.get("/api/v1/feedback/reasons?lang=en")).json()
    assert en["reasons"][4]["label"] == "Other"
    bad = await client.get("/api/v1/feedback/reasons?lang=de")
    assert_error(await bad.json(), 400, "bad_lang")


async def test_readiness_reports_the_database_writable(client: TestClient) -> None:
    body = await (await client.get("/readyz")).json()
    assert {"name": "database", "status": "ok", "detail": "writable"} in body["checks"]
    assert isinstance(client.app[FEEDBACK].path, Path)


async def test_votes_from_an_allowed_portal_pass_cors(client: TestClient) -> None:
    preflight = await client.options(
        "/api/v1/votes",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    response = await client.post(
        "/api/v1/votes", json={"url": PAGE, "answer": "yes"}, headers={"Origin": SITE}
    )
    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Set-Cookie" not in response.headers
    evil = await client.options(
        "/api/v1/votes",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert evil.status == 403


async def test_metrics_after_votes_pass_promtool_with_bounded_series(
    make_app: AppFactory, aiohttp_client: ClientFactory
) -> None:
    client: TestClient = await aiohttp_client(make_app(TTS_VOTES_PER_MINUTE="1000"))
    for i in range(40):
        url = f"{SITE}/sida-{i}/"
        response = await client.post(
            "/api/v1/votes", json={"url": url, "answer": "yes" if i % 3 else "no"}
        )
        assert response.status == 201
    text = await metrics_text(client)
    assert "sida-" not in text  # no page URL ever becomes a label
    feedback_series = [
        line
        for line in text.splitlines()
        if line.startswith(("tts_votes", "tts_comments", "tts_feedback", "tts_db"))
    ]
    assert len(feedback_series) < 200
    assert metric(text, "tts_votes_total", answer="yes", section="other") == 26
    assert metric(text, "tts_votes_total", answer="no", section="other") == 14
    assert metric(text, "tts_db_seconds_count", operation="vote") >= 40
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: install Debian's prometheus package"
    proc = await asyncio.create_subprocess_exec(
        promtool,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(text.encode()), timeout=30)
    assert proc.returncode == 0, output.decode()


async def test_retention_runs_when_the_service_starts(
    make_app: AppFactory, aiohttp_client: ClientFactory, tmp_path: Path, database_url: str
) -> None:
    old = datetime(2020, 1, 15, 12, tzinfo=UTC)
    async with FeedbackStore(
        tmp_path / "data" / "feedback.sqlite3", clock=lambda: old, database_url=database_url
    ) as store:
        await store.add_vote(PAGE, "no", comment="Från 2020")
    client: TestClient = await aiohttp_client(make_app(TTS_STATS_TOKEN=TOKEN))
    for _ in range(100):
        listed = await (await client.get("/api/v1/stats/comments", headers=auth())).json()
        if not listed["comments"]:
            break
        await asyncio.sleep(0.05)
    assert listed["comments"] == []
    entries = await client.app[FEEDBACK].audit_entries()
    assert entries[0]["action"] == "retention"
    assert entries[0]["detail"]["comments_deleted"] == 1
    assert entries[0]["detail"]["votes_deleted"] == 1
    pages = await (await client.get("/api/v1/stats/pages", headers=auth())).json()
    assert pages["pages"][0]["no"] == 1  # the daily total stays
