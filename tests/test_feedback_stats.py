"""feedback.stats against a real SQLite file: Wilson figures, ranking, trends, CSV, retention."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from feedback import stats
from feedback.store import FeedbackStore, VoteResult
from ttsservice.errors import ServiceError

pytest_plugins = ["tests.conftest_feedback"]

A = "https://www.regionstockholm.se/vard/akut/"
B = "https://www.regionstockholm.se/kultur-och-fritid/bibliotek/"
C = "https://www.regionstockholm.se/om-oss/"


async def votes(store: FeedbackStore, url: str, yes: int, no: int, reasons: tuple[str, ...] = ()):
    for _ in range(yes):
        await store.add_vote(url, "yes")
    for _ in range(no):
        await store.add_vote(url, "no", reasons)


@pytest.mark.parametrize(
    ("yes", "n", "low", "high"),
    [
        # By hand: centre = (p + z²/2n) / (1 + z²/n),
        # margin = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (1, 3, 0.0615, 0.7923),
    ],
)
def test_wilson_matches_hand_computed_values(yes: int, n: int, low: float, high: float) -> None:
    got = stats.wilson(yes, n)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


def test_wilson_of_nothing_is_the_whole_range() -> None:
    assert stats.wilson(0, 0) == (0.0, 1.0)


async def test_pages_worst_first_by_upper_bound_and_unranked_last(store: FeedbackStore) -> None:
    await votes(store, A, 2, 10)  # share 0.17, high ≈ 0.45
    await votes(store, B, 9, 3)  # share 0.75, high ≈ 0.91
    await votes(store, C, 0, 3)  # only 3 votes: not ranked although all "no"
    pages = await stats.page_stats(store, min_responses=10)
    assert [p.url for p in pages] == [A, B, C]
    a, b, c = pages
    assert (a.yes, a.no, a.n, a.ranked) == (2, 10, 12, True)
    assert a.share == pytest.approx(2 / 12)
    assert (a.low, a.high) == stats.wilson(2, 12)
    assert a.section == "vard" and b.section == "kultur" and c.section == "other"
    assert c.ranked is False and c.n == 3


async def test_pages_filter_by_date_prefix_and_section(store: FeedbackStore, clock) -> None:
    clock.set(date(2026, 3, 1))
    await votes(store, A, 1, 0)
    clock.set(date(2026, 3, 5))
    await votes(store, A, 0, 2)
    await votes(store, B, 4, 0)
    march5 = await stats.page_stats(store, since=date(2026, 3, 2), min_responses=1)
    assert {(p.url, p.yes, p.no) for p in march5} == {(A, 0, 2), (B, 4, 0)}
    early = await stats.page_stats(store, until=date(2026, 3, 1), min_responses=1)
    assert [(p.url, p.yes, p.no) for p in early] == [(A, 1, 0)]
    by_path = await stats.page_stats(store, prefix="/vard", min_responses=1)
    assert [p.url for p in by_path] == [A]
    by_url = await stats.page_stats(
        store, prefix="https://www.regionstockholm.se/kultur", min_responses=1
    )
    assert [p.url for p in by_url] == [B]
    by_section = await stats.page_stats(store, section="kultur", min_responses=1)
    assert [p.url for p in by_section] == [B]


async def test_sections_sum_their_pages(store: FeedbackStore) -> None:
    await votes(store, A, 1, 2)
    await votes(store, "https://www.regionstockholm.se/vard/barn/", 3, 0)
    await votes(store, B, 5, 5)
    await store.add_vote(A, "no", comment="Svårt att hitta öppettider")
    sections = await stats.section_stats(store, min_responses=5)
    by_name = {s.section: s for s in sections}
    assert (by_name["vard"].yes, by_name["vard"].no, by_name["vard"].pages) == (4, 3, 2)
    assert by_name["vard"].comments == 1
    assert (by_name["kultur"].yes, by_name["kultur"].n) == (5, 10)
    assert [s.section for s in sections] == ["kultur", "vard"]  # kultur high 0.76 < vard 0.86


async def test_page_detail_weekly_trend_reasons_and_comments(store: FeedbackStore, clock) -> None:
    clock.set(date(2026, 3, 3))  # week of Monday 2 March
    await store.add_vote(A, "no", ["not_found", "outdated"], comment="Fel telefonnummer åäö")
    await store.add_vote(A, "yes")
    clock.set(date(2026, 3, 18))  # week of 16 March; the week of 9 March has no votes
    await store.add_vote(A, "no", ["not_found"])
    detail = await stats.page_detail(store, A, since=None, until=None)
    assert detail.weeks == [
        (date(2026, 3, 2), 1, 1),
        (date(2026, 3, 9), 0, 0),
        (date(2026, 3, 16), 0, 1),
    ]
    assert detail.reasons == {"not_found": 2, "outdated": 1}
    assert [c.text for c in detail.comments] == ["Fel telefonnummer åäö"]
    assert detail.comments[0].reasons == ("not_found", "outdated")
    assert (detail.stat.yes, detail.stat.no, detail.stat.comments) == (1, 2, 1)


async def test_consented_repeat_vote_replaces_the_earlier_one(store: FeedbackStore) -> None:
    first = await store.add_vote(A, "no", ["incorrect"], token="t" * 32)
    second = await store.add_vote(A, "yes", token="t" * 32)
    assert second.replaced == first.id
    other_page = await store.add_vote(B, "yes", token="t" * 32)
    assert other_page.replaced is None
    anonymous = await store.add_vote(A, "yes")
    assert anonymous.replaced is None
    detail = await stats.page_detail(store, A)
    assert (detail.stat.yes, detail.stat.no) == (2, 0)
    assert detail.reasons == {}


async def test_follow_up_comment_adds_reasons_once(store: FeedbackStore) -> None:
    vote = await store.add_vote(A, "no", ["not_found"])
    comment_id, url = await store.add_comment(
        vote.id, "Hittar inte [telefon]", scrubbed=True, reasons=["not_found", "other"]
    )
    assert url == A
    detail = await stats.page_detail(store, A)
    assert detail.reasons == {"not_found": 1, "other": 1}
    (row,) = detail.comments
    assert (row.id, row.scrubbed, row.status, row.vote_id) == (comment_id, True, "ny", vote.id)
    with pytest.raises(ServiceError) as again:
        await store.add_comment(vote.id, "igen")
    assert (again.value.status, again.value.code) == (409, "comment_exists")
    with pytest.raises(ServiceError) as unknown:
        await store.add_comment("no-such-vote", "hej")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_vote")
    yes_vote = await store.add_vote(A, "yes")
    with pytest.raises(ServiceError) as bad:
        await store.add_comment(yes_vote.id, "bra", reasons=["other"])
    assert bad.value.code == "bad_reason"


async def test_comment_triage_status(store: FeedbackStore) -> None:
    vote = await store.add_vote(A, "no", comment="Länken till 1177 är trasig")
    assert vote.comment_id is not None
    row = await stats.set_comment_status(store, vote.comment_id, "läst")
    assert row.status == "läst"
    with pytest.raises(ServiceError) as missing:
        await stats.set_comment_status(store, vote.comment_id, "ej_åtgärdbar")
    assert missing.value.code == "missing_reason"
    row = await stats.set_comment_status(store, vote.comment_id, "ej_åtgärdbar", "Extern sida")
    assert (row.status, row.status_reason) == ("ej_åtgärdbar", "Extern sida")
    with pytest.raises(ServiceError) as bad:
        await stats.set_comment_status(store, vote.comment_id, "klar")
    assert bad.value.code == "bad_status"
    with pytest.raises(ServiceError) as unknown:
        await stats.set_comment_status(store, "nope", "läst")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_comment")
    assert [c.id for c in await stats.list_comments(store, status="ej_åtgärdbar")] == [
        vote.comment_id
    ]
    assert await stats.list_comments(store, status="ny") == []
    audit = await store.audit_entries()
    assert [e["detail"]["status"] for e in audit] == ["ej_åtgärdbar", "läst"]


async def test_csv_opens_in_pythons_csv_module_with_swedish_characters(
    store: FeedbackStore,
) -> None:
    url = "https://www.regionstockholm.se/v%C3%A5rd/"
    await store.add_vote(
        url, "no", ["hard_to_understand"], comment='=HYPERLINK("x") Åsa; "citat"\nrad två'
    )
    data = stats.to_csv(await stats.list_comments(store))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1
    assert rows[0]["text"] == '\'=HYPERLINK("x") Åsa; "citat"\nrad två'
    assert rows[0]["url"] == url and rows[0]["section"] == "other"
    assert rows[0]["scrubbed"] == "nej"
    pages = stats.to_csv(await stats.page_stats(store, min_responses=1))
    (page,) = list(csv.DictReader(io.StringIO(pages.decode("utf-8-sig")), delimiter=";"))
    assert page["share"] == "0,0000" and page["high"] == "0,7935" and page["ranked"] == "ja"
    empty = stats.to_csv([], columns=["url", "yes"])
    assert empty.decode("utf-8-sig").splitlines() == ["url;yes"]


async def test_retention_deletes_old_comments_and_votes_keeps_totals_and_audits(
    store: FeedbackStore, clock
) -> None:
    clock.set(date(2025, 1, 10))
    old = await store.add_vote(A, "no", ["outdated"], comment="Gammal kommentar")
    clock.set(date(2026, 3, 1))
    new = await store.add_vote(A, "yes", comment="Ny kommentar")
    result = await store.purge(comment_days=365, vote_days=400)
    assert (result.comments, result.votes) == (1, 1)
    assert result.comments_before == date(2025, 3, 1)
    rows = await store.fetchall("SELECT id FROM votes")
    assert [r["id"] for r in rows] == [new.id]
    assert [c.text for c in await stats.list_comments(store)] == ["Ny kommentar"]
    detail = await stats.page_detail(store, A)
    assert (detail.stat.yes, detail.stat.no) == (1, 1)  # daily totals stay
    assert detail.reasons == {"outdated": 1}
    (entry,) = await store.audit_entries()
    assert entry["action"] == "retention"
    assert entry["at"].startswith("2026-03-01")
    assert entry["detail"]["comments_deleted"] == 1 and entry["detail"]["votes_deleted"] == 1
    with pytest.raises(ServiceError):
        await store.add_comment(old.id, "för sent")


async def test_a_database_from_before_a_migration_gets_it_and_keeps_its_votes(
    tmp_path: Path, clock
) -> None:
    path = tmp_path / "old.sqlite3"
    async with FeedbackStore(path, clock=clock) as store:
        await store.add_vote(A, "yes")
    with sqlite3.connect(path) as conn:  # as the first release left it
        conn.execute("DROP TABLE page_changes")
        conn.execute("DELETE FROM migrations WHERE name = '0002_page_changes'")
    async with FeedbackStore(path, clock=clock) as store:
        assert await store.migrations() == [
            "0001_votes_comments_totals_audit",
            "0002_page_changes",
            "0003_clip_records",
            "0004_rate_limits",
            "0005_reading_records",
        ]
        await store.note_page_change(A, date(2026, 3, 1))
        await store.note_page_change(A, date(2026, 3, 1))  # noted once
        assert await store.page_changes(A) == [date(2026, 3, 1)]
        assert len(await store.fetchall("SELECT id FROM votes")) == 1


async def test_database_is_wal_with_named_migrations_and_no_times(store: FeedbackStore) -> None:
    if store.database_url:
        pytest.skip("checks the SQLite file itself; PostgreSQL has its own tests")
    await store.add_vote(A, "yes", token="abc" * 10)
    assert await store.migrations() == [
        "0001_votes_comments_totals_audit",
        "0002_page_changes",
        "0003_clip_records",
        "0004_rate_limits",
        "0005_reading_records",
    ]
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in conn.execute("PRAGMA table_info(votes)")]
        day, key = conn.execute("SELECT day, token_key FROM votes").fetchone()
    assert columns == ["id", "url", "answer", "reasons", "token_key", "day"]
    assert day == "2026-03-02"  # a day, never a time
    assert "abc" not in key and len(key) == 64


async def test_a_locked_database_is_a_503_not_a_crash(store: FeedbackStore) -> None:
    if store.database_url:
        pytest.skip("checks the SQLite file itself; PostgreSQL has its own tests")
    blocker = sqlite3.connect(store.path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    assert store._writer is not None
    await store._writer.execute("PRAGMA busy_timeout=100")
    try:
        with pytest.raises(ServiceError) as error:
            await store.add_vote(A, "yes")
        assert (error.value.status, error.value.code) == (503, "database_unavailable")
        assert error.value.headers["Retry-After"] == "30"
    finally:
        blocker.rollback()
        blocker.close()
    assert (await store.add_vote(A, "yes")).id  # the writer lives on


async def test_concurrent_votes_share_commits_and_keep_totals_exact(store: FeedbackStore) -> None:
    async def vote(i: int) -> VoteResult:
        if i % 5 == 0:  # consented: the later vote on A replaces the earlier one
            return await store.add_vote(A, "no", ["incorrect"], token=f"token-{i % 10:02d}" * 4)
        if i % 3 == 0:
            return await store.add_vote(B, "no", ["not_found"], comment=f"kommentar {i}")
        return await store.add_vote(B, "yes")

    results = await asyncio.gather(*(vote(i) for i in range(200)))
    assert len({r.id for r in results}) == 200
    detail_a = await stats.page_detail(store, A)
    assert (detail_a.stat.yes, detail_a.stat.no) == (0, 2)  # two tokens, one vote each
    assert detail_a.reasons == {"incorrect": 2}
    detail_b = await stats.page_detail(store, B)
    b_no = sum(1 for i in range(200) if i % 5 and i % 3 == 0)
    assert (detail_b.stat.no, detail_b.stat.yes) == (b_no, 160 - b_no)
    assert detail_b.reasons == {"not_found": b_no}
    assert len(detail_b.comments) == b_no
    rows = await store.fetchall("SELECT COUNT(*) AS n FROM votes")
    assert rows[0]["n"] == 162
