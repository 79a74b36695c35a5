"""The feedback.stats functions the dashboard adds: daily totals, periods, before/after test."""

from __future__ import annotations

from datetime import date

import pytest

from feedback import stats
from feedback.store import FeedbackStore

pytest_plugins = ["tests.conftest_feedback"]

A = "https://www.regionstockholm.se/vard/akut/"
B = "https://www.regionstockholm.se/kultur-och-fritid/bibliotek/"


async def votes(store: FeedbackStore, url: str, yes: int, no: int) -> None:
    for _ in range(yes):
        await store.add_vote(url, "yes")
    for _ in range(no):
        await store.add_vote(url, "no", ["outdated"])


async def test_daily_totals_fill_quiet_days_and_filter_by_section(store: FeedbackStore, clock):
    clock.set(date(2026, 3, 2))
    await votes(store, A, 2, 1)
    await votes(store, B, 1, 0)
    clock.set(date(2026, 3, 4))
    await votes(store, A, 0, 3)
    got = await stats.daily_totals(store)
    assert got == [
        stats.DayTotal(date(2026, 3, 2), 3, 1),
        stats.DayTotal(date(2026, 3, 3), 0, 0),
        stats.DayTotal(date(2026, 3, 4), 0, 3),
    ]
    framed = await stats.daily_totals(store, since=date(2026, 3, 1), until=date(2026, 3, 5))
    assert [d.day.day for d in framed] == [1, 2, 3, 4, 5]
    assert sum(d.yes for d in framed) == 3 and sum(d.no for d in framed) == 4
    vard = await stats.daily_totals(store, section="vard")
    assert [(d.yes, d.no) for d in vard] == [(2, 1), (0, 0), (0, 3)]
    kultur = await stats.daily_totals(store, section="kultur")
    assert [(d.yes, d.no) for d in kultur] == [(1, 0)]


async def test_daily_totals_empty_and_absurd_spans(store: FeedbackStore, clock) -> None:
    assert await stats.daily_totals(store) == []
    assert await stats.daily_totals(store, since=date(1, 1, 1), until=date(9999, 1, 1)) == []
    await votes(store, A, 1, 0)
    wide = await stats.daily_totals(store, since=date(1, 1, 1), until=date(9999, 1, 1))
    assert wide == [stats.DayTotal(clock().date(), 1, 0)]


def test_previous_period_has_equal_length_and_ends_the_day_before() -> None:
    assert stats.previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (
        date(2026, 1, 29),
        date(2026, 2, 28),
    )
    assert stats.previous_period(date(2026, 3, 5), date(2026, 3, 5)) == (
        date(2026, 3, 4),
        date(2026, 3, 4),
    )


async def test_page_period_counts_one_page_in_a_period(store: FeedbackStore, clock) -> None:
    clock.set(date(2026, 3, 2))
    await votes(store, A, 4, 1)
    await store.add_vote(A, "no", ["incorrect"], comment="Fel telefonnummer")
    clock.set(date(2026, 3, 9))
    await votes(store, A, 0, 5)
    await votes(store, B, 9, 0)
    first = await stats.page_period(
        store, A, since=date(2026, 3, 1), until=date(2026, 3, 8), min_responses=5
    )
    assert (first.yes, first.no, first.n, first.comments, first.ranked) == (4, 2, 6, 1, True)
    assert (first.low, first.high) == stats.wilson(4, 6)
    later = await stats.page_period(store, A, since=date(2026, 3, 9), min_responses=10)
    assert (later.yes, later.no, later.comments, later.ranked) == (0, 5, 0, False)
    nothing = await stats.page_period(store, "https://x.se/", min_responses=1)
    assert (nothing.n, nothing.share) == (0, 0.0)


@pytest.mark.parametrize(
    ("counts", "z", "p", "significant"),
    [
        # By hand: pooled p = 35/80, z = 0.375 / sqrt(p(1-p)(1/40 + 1/40)) = 3.3806,
        # the same as Pearson's chi-square 11.43 on the 2×2 table (z²).
        ((10, 40, 25, 40), 3.3806, 0.000723, True),
        ((12, 20, 15, 20), 1.0127, 0.3112, False),
        ((25, 40, 10, 40), -3.3806, 0.000723, True),
    ],
)
def test_two_proportion_test_matches_hand_computed_values(counts, z, p, significant) -> None:
    result = stats.two_proportion_test(*counts)
    assert result.z == pytest.approx(z, abs=5e-4)
    assert result.p_value == pytest.approx(p, rel=2e-3)
    assert result.significant is significant
    assert result.difference == pytest.approx(counts[2] / counts[3] - counts[0] / counts[1])


def test_two_proportion_test_without_evidence() -> None:
    assert stats.two_proportion_test(0, 0, 5, 10).significant is False
    same = stats.two_proportion_test(10, 10, 20, 20)  # all "Ja" in both: no variance
    assert (same.z, same.p_value, same.significant) == (0.0, 1.0, False)
