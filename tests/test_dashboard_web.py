"""The dashboard through the real app: sign-in, limits, CSRF, pages, triage, CSV, languages."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedback import stats
from tests.backends import on_both_backends
from tests.dashboardkit import (
    PASSWORD,
    SITE,
    USER,
    add_votes,
    csrf_of,
    sign_in,
    store_of,
)
from ttsservice.dashboard.views import CSP, PAGE_SIZE
from ttsservice.settings import Settings, SettingsError

pytest_plugins = ["tests.conftest_dashboard", "tests.conftest_feedback"]


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings], database_url: str) -> Any:
    """Every test of this module runs on SQLite and on PostgreSQL."""
    return on_both_backends(make_settings, database_url)


A = f"{SITE}/vard/akut/"
B = f"{SITE}/kultur-och-fritid/bibliotek/"
C = f"{SITE}/om-oss/"
TODAY = date(2026, 3, 30)

Client = TestClient[Any, Any]


def page_urls(text: str) -> list[str]:
    """The page addresses of the worst-pages table, in order."""
    cells = re.findall(r'<th scope="row" class="url"><a [^>]*>([^<]+)</a>', text)
    return [html.unescape(m) for m in cells]


def visible(text: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


# --- off, sign-in, sessions ------------------------------------------------------------


async def test_without_accounts_every_dashboard_address_says_it_is_off(
    make_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> None:
    client = await aiohttp_client(make_app())
    for path in ("/dashboard", "/dashboard/login", "/dashboard/pages", "/dashboard/csv/pages.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 404, path
        text = await response.text()
        assert "Översikten är avstängd" in text and "TTS_DASHBOARD_USERS" in text
    response = await client.post("/dashboard/login", data={"user": "x", "password": "y"})
    assert response.status == 404


def test_a_bad_account_entry_stops_start_up(make_app: Callable[..., web.Application]) -> None:
    with pytest.raises(SettingsError, match="TTS_DASHBOARD_USERS"):
        make_app(TTS_DASHBOARD_USERS="redaktor:plaintext-password")
    with pytest.raises(SettingsError, match="TTS_DASHBOARD_USERS"):
        make_app(TTS_DASHBOARD_USERS="scrypt$16384$8$1$abc$def")  # no NAME:


async def test_pages_need_sign_in_and_sign_in_sets_a_strict_cookie(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    client = await aiohttp_client(make_app(**dashboard_env))
    for path in ("/dashboard", "/dashboard/pages?section=vard", "/dashboard/csv/pages.csv"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/dashboard/login?next=")
    login = await client.get("/dashboard/login")
    assert login.status == 200
    assert login.headers["Content-Security-Policy"] == CSP
    wrong = await sign_in(client, "fel lösenord")
    assert wrong.status == 401
    assert "Fel användarnamn eller lösenord" in await wrong.text()
    right = await sign_in(client)
    assert right.status == 303 and right.headers["Location"] == "/dashboard"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http here
    overview = await client.get("/dashboard")
    assert overview.status == 200
    assert f"Inloggad som {USER}" in await overview.text()


async def test_cookie_is_secure_behind_https(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    app = make_app(**dashboard_env, TTS_PUBLIC_URL="https://tts.example.se")
    client = await aiohttp_client(app)
    response = await sign_in(client)
    assert response.status == 303
    assert "Secure" in response.headers["Set-Cookie"]


async def test_failed_logins_are_limited_per_client(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    client = await aiohttp_client(make_app(**dashboard_env, TTS_DASHBOARD_LOGIN_ATTEMPTS="3"))
    for _ in range(3):
        assert (await sign_in(client, "gissning")).status == 401
    limited = await sign_in(client)  # even the right password waits now
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 15 * 60 + 1
    assert "För många misslyckade inloggningar" in await limited.text()
    assert "Set-Cookie" not in limited.headers


async def test_parallel_wrong_passwords_cannot_get_past_the_limit(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    """Each attempt takes its slot before the slow password check, so 40 at once give 5 × 401."""
    client = await aiohttp_client(make_app(**dashboard_env, TTS_DASHBOARD_LOGIN_ATTEMPTS="5"))
    form = await (await client.get("/dashboard/login")).text()
    data = {"user": USER, "password": "gissning", "csrf": csrf_of(form), "next": "/dashboard"}
    answers = await asyncio.gather(
        *(client.post("/dashboard/login", data=data, allow_redirects=False) for _ in range(40))
    )
    statuses = sorted(a.status for a in answers)
    assert statuses.count(401) == 5 and statuses.count(429) == 35, statuses
    assert (await sign_in(client)).status == 429  # the right password waits too


async def test_login_needs_its_form_token_and_the_own_origin(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    client = await aiohttp_client(make_app(**dashboard_env))
    no_token = await client.post(
        "/dashboard/login", data={"user": USER, "password": PASSWORD}, allow_redirects=False
    )
    assert no_token.status == 403 and "Set-Cookie" not in no_token.headers
    form = await (await client.get("/dashboard/login")).text()
    foreign = await client.post(
        "/dashboard/login",
        data={"user": USER, "password": PASSWORD, "csrf": csrf_of(form)},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert foreign.status == 403 and "Set-Cookie" not in foreign.headers


async def test_next_never_leaves_the_dashboard(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
) -> None:
    client = await aiohttp_client(make_app(**dashboard_env))
    form = await (await client.get("/dashboard/login")).text()
    for target, expected in (
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
        ("/dashboard\r\nSet-Cookie: x=1", "/dashboard"),
        ("/dashboard/sections?lang=en", "/dashboard/sections?lang=en"),
    ):
        response = await client.post(
            "/dashboard/login",
            data={"user": USER, "password": PASSWORD, "csrf": csrf_of(form), "next": target},
            allow_redirects=False,
        )
        assert response.headers["Location"] == expected


async def test_forged_cookie_is_refused_and_sign_out_revokes_the_session(dash: Client) -> None:
    value = dash.session.cookie_jar.filter_cookies(dash.make_url("/dashboard"))[
        "tts_dashboard"
    ].value
    dash.session.cookie_jar.clear()  # from here on the cookie goes in the header only
    payload, mac = value.split(".")
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    as_is = {"Cookie": f"tts_dashboard={value}"}
    for bad in (forged, value + "x", "", "a.b.c"):
        response = await dash.get(
            "/dashboard", headers={"Cookie": f"tts_dashboard={bad}"}, allow_redirects=False
        )
        assert response.status == 303, bad
    page = await dash.get("/dashboard", headers=as_is, allow_redirects=False)
    assert page.status == 200
    out = await dash.post(
        "/dashboard/logout",
        data={"csrf": csrf_of(await page.text())},
        headers=as_is,
        allow_redirects=False,
    )
    assert out.status == 303
    assert "tts_dashboard=" in out.headers["Set-Cookie"]  # deleted in the browser
    replay = await dash.get("/dashboard", headers=as_is, allow_redirects=False)
    assert replay.status == 303  # and revoked here, should someone have kept it


async def test_a_script_may_send_the_form_token_as_a_header_but_it_must_be_right(
    dash: Client,
) -> None:
    page = await dash.get("/dashboard")
    token = csrf_of(await page.text())
    for wrong in ({"X-CSRF-Token": token + "x"}, {"X-CSRF-Token": ""}, {}):
        refused = await dash.post(
            "/dashboard/logout", data={"csrf": "nope"}, headers=wrong, allow_redirects=False
        )
        assert refused.status == 403, wrong
    out = await dash.post(
        "/dashboard/logout",
        data={"csrf": "nope"},  # a wrong field does not spoil a right header
        headers={"X-CSRF-Token": token},
        allow_redirects=False,
    )
    assert out.status == 303


# --- pages -------------------------------------------------------------------------------


async def test_every_page_has_the_strict_headers_and_no_script(dash: Client) -> None:
    await add_votes(store_of(dash), A, 3, 4)
    for path in (
        "/dashboard",
        "/dashboard/pages",
        "/dashboard/sections",
        f"/dashboard/page?url={A}",
        f"/dashboard/page?url={A}&changed=2026-03-20",
    ):
        response = await dash.get(path)
        assert response.status == 200, path
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        text = await response.text()
        assert "<script" not in text and " style=" not in text, path
        assert '<html lang="sv">' in text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path
    css = await dash.get("/dashboard/static/dashboard.css")
    assert css.status == 200 and css.content_type == "text/css"


async def test_overview_counts_votes_per_day_and_share(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 3, 1, day=date(2026, 3, 28))
    await add_votes(store, B, 1, 0, day=date(2026, 3, 28))
    await add_votes(store, A, 0, 5, day=date(2026, 3, 30))
    await store.add_vote(A, "no", ["incorrect"], comment="Telefonnumret stämmer inte")
    text = await (await dash.get("/dashboard")).text()
    words = visible(text)
    assert "Svar under perioden 11" in words
    assert "Andel som fick hjälp 36 %" in words  # 4 of 11
    assert "Nya kommentarer 1" in words
    assert "2026-03-28 4 1 80 %" in words  # yes 4, no 1 that day
    assert "2026-03-29 0 0 –" in words  # a quiet day is in the table too
    assert 'role="img"' in text and '<title id="daily-t">Svar per dag</title>' in text
    vard = visible(await (await dash.get("/dashboard?section=kultur")).text())
    assert "Svar under perioden 1" in vard


async def test_worst_pages_order_is_the_statistics_order_with_too_few_last(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 1, 9)
    await add_votes(store, B, 8, 2)
    await add_votes(store, C, 0, 2)  # under TTS_MIN_RESPONSES=5
    expected = [
        p.url
        for p in await stats.page_stats(store, since=date(2026, 3, 1), until=TODAY, min_responses=5)
    ]
    text = await (await dash.get("/dashboard/pages")).text()
    assert page_urls(text) == expected == [A, B, C]
    words = visible(text)
    assert "för få svar" in words
    low, high = stats.wilson(1, 10)
    assert f"{round(low * 100)} % – {round(high * 100)} %" in words
    only_vard = await (await dash.get("/dashboard/pages?section=vard")).text()
    assert page_urls(only_vard) == [A]
    by_prefix = await (await dash.get("/dashboard/pages?prefix=/kultur-och-fritid")).text()
    assert page_urls(by_prefix) == [B]


async def test_trend_arrows_compare_with_the_previous_period(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 2, 8, day=date(2026, 2, 10))  # previous 30 days: 20 %
    await add_votes(store, A, 8, 2, day=date(2026, 3, 20))  # this period: 80 %
    await add_votes(store, B, 9, 1, day=date(2026, 2, 10))
    await add_votes(store, B, 5, 5, day=date(2026, 3, 20))
    await add_votes(store, C, 3, 3, day=date(2026, 3, 20))
    words = visible(await (await dash.get("/dashboard/pages")).text())
    assert "↑ Bättre: 60 procentenheter" in words
    assert "↓ Sämre: 40 procentenheter" in words
    assert "– Inga svar förra perioden" in words
    assert "jämförs med perioden 2026-01-30 – 2026-02-28" in words
    sections = visible(await (await dash.get("/dashboard/sections")).text())
    assert "vard" in sections and "kultur" in sections and "other" in sections


async def test_worst_pages_are_paged_in_statistics_order(dash: Client) -> None:
    store = store_of(dash)
    for i in range(PAGE_SIZE + 5):
        await add_votes(store, f"{SITE}/vard/sida-{i:03d}/", i % 7, 5)
    expected = [
        p.url
        for p in await stats.page_stats(store, since=date(2026, 3, 1), until=TODAY, min_responses=5)
    ]
    first = await (await dash.get("/dashboard/pages")).text()
    assert page_urls(first) == expected[:PAGE_SIZE]
    assert f"Visar 1–{PAGE_SIZE} av {PAGE_SIZE + 5}" in visible(first)
    second = await (await dash.get(f"/dashboard/pages?offset={PAGE_SIZE}")).text()
    assert page_urls(second) == expected[PAGE_SIZE:]


async def test_bad_filters_get_a_page_that_says_what_to_do(dash: Client) -> None:
    bad = await dash.get("/dashboard/pages?since=igår")
    assert bad.status == 400
    assert "Skriv datum som ÅÅÅÅ-MM-DD" in await bad.text()
    swapped = await dash.get("/dashboard?since=2026-03-10&until=2026-03-01")
    assert swapped.status == 400 and "Byt plats" in await swapped.text()
    no_url = await dash.get("/dashboard/page")
    assert no_url.status == 400 and "Välj en sida" in await no_url.text()
    future = await dash.get(f"/dashboard/page?url={A}&changed=2027-01-01")
    assert future.status == 400
    nothing = await dash.get("/dashboard/csv/secrets.csv")
    assert nothing.status == 404
    assert (await dash.get("/dashboard/pages?offset=x")).status == 200


@pytest.mark.parametrize(
    "query",
    [
        "/dashboard?since=0001-01-01&until=0001-01-02",
        "/dashboard/pages?since=9999-12-31&until=9999-12-31",
        "/dashboard/sections?since=2026-02-30",
        "/dashboard/pages?offset=-99999999999999999999&section=%00&prefix=%ff",
        "/dashboard/page?url=" + "x" * 3000,
        f"/dashboard/page?url={A}&changed=0001-01-01",
        "/dashboard/csv/pages.csv?since=0001-01-01",
        "/dashboard/pages?since=1970-01-01",
        "/dashboard/sections?since=0001-01-01",
        "/dashboard/csv/..%2f..%2fetc.csv",
        "/dashboard/page?url=%3Cscript%3Ealert(1)%3C/script%3E",
    ],
)
async def test_hostile_queries_get_an_answer_never_a_500(dash: Client, query: str) -> None:
    response = await dash.get(query, allow_redirects=False)
    assert response.status in (200, 400, 404), (query, response.status)
    text = await response.text()
    assert "<script>" not in text


async def test_every_page_renders_in_english(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 3, 9, day=date(2026, 3, 10))
    await add_votes(store, A, 6, 1, day=date(2026, 3, 25))
    await store.add_vote(A, "no", ["outdated"], comment="Old")
    for path in (
        "/dashboard/login",
        "/dashboard",
        "/dashboard/pages",
        "/dashboard/sections",
        f"/dashboard/page?url={A}&changed=2026-03-20",
        "/dashboard/pages?since=bad",
    ):
        response = await dash.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert response.url.query.get("lang") == "en", path  # redirects keep the choice
        text = visible(await response.text())
        assert response.status in (200, 400), path
        assert "Sämsta sidorna" not in text and "Logga ut" not in text, path
    words = visible(
        await (await dash.get(f"/dashboard/page?url={A}&changed=2026-03-20&lang=en")).text()
    )
    assert "Changed 2026-03-20" in words and "percentage points" in words
    assert "Status: New" in words and "Cannot be fixed" in words


async def test_english_by_query_or_accept_language(dash: Client) -> None:
    english = await (await dash.get("/dashboard/pages?lang=en")).text()
    assert '<html lang="en">' in english and "Worst pages" in english
    assert 'href="/dashboard/sections?lang=en"' in english  # links keep the choice
    by_header = await dash.get("/dashboard", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Votes per day" in await by_header.text()
    swedish = await dash.get("/dashboard", headers={"Accept-Language": "sv-SE,en;q=0.5"})
    assert "Svar per dag" in await swedish.text()


# --- one page, triage, before/after ------------------------------------------------------


async def test_page_view_trend_reasons_and_comments(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 2, 1, day=date(2026, 3, 16), reasons=("outdated",))
    await add_votes(store, A, 1, 2, day=date(2026, 3, 25), reasons=("not_found", "outdated"))
    await store.add_vote(A, "no", ["incorrect"], comment="Fel öppettider", scrubbed=False)
    text = await (await dash.get(f"/dashboard/page?url={A}")).text()
    words = visible(text)
    assert "vecka 12 (2026-03-16) 2 1 67 %" in words
    assert "vecka 13 (2026-03-23) 1 2 33 %" in words
    assert "vecka 14 (2026-03-30) 0 1 0 %" in words
    assert "Inaktuell information 3" in words and "Jag hittade inte det jag sökte 2" in words
    assert "Fel öppettider" in words and "Status: Ny" in words
    for label in ("Ny", "Läst", "Åtgärdad", "Ej åtgärdbar"):
        assert f">{label}</button>" in text


async def test_triage_goes_through_the_statistics_api(dash: Client) -> None:
    store = store_of(dash)
    result = await store.add_vote(A, "no", ["outdated"], comment="Gammal adress")
    comment_id = result.comment_id
    assert comment_id is not None
    page = await (await dash.get(f"/dashboard/page?url={A}")).text()
    token = csrf_of(page)
    back = f"/dashboard/page?url={A}"
    saved = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": token, "status": "åtgärdad", "reason": "", "back": back},
        allow_redirects=False,
    )
    assert saved.status == 303
    assert saved.headers["Location"].endswith(f"triaged={comment_id}#c-{comment_id}")
    assert (await stats.get_comment(store, comment_id)).status == "åtgärdad"  # type: ignore[union-attr]
    after = visible(await (await dash.get(saved.headers["Location"])).text())
    assert "Status sparad: Åtgärdad." in after
    missing = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": token, "status": "ej_åtgärdbar", "reason": " ", "back": back},
        allow_redirects=False,
    )
    assert "error=missing_reason" in missing.headers["Location"]
    assert (await stats.get_comment(store, comment_id)).status == "åtgärdad"  # type: ignore[union-attr]
    shown = await (await dash.get(missing.headers["Location"])).text()
    assert "Skriv en anledning" in shown and 'aria-invalid="true"' in shown
    odd = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": token, "status": "raderad", "back": back},
        allow_redirects=False,
    )
    assert "error=bad_status" in odd.headers["Location"]
    assert "Välj en av knapparna" in await (await dash.get(odd.headers["Location"])).text()
    too_long = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": token, "status": "läst", "reason": "x" * 501, "back": back},
        allow_redirects=False,
    )
    shown = await (await dash.get(too_long.headers["Location"])).text()
    assert "högst 500 tecken" in shown
    foreign_back = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": token, "status": "åtgärdad", "back": "https://evil.example/dashboard/page"},
        allow_redirects=False,
    )
    assert foreign_back.headers["Location"] == "/dashboard/pages"
    forged = await dash.post(
        f"/dashboard/comments/{comment_id}/status",
        data={"csrf": "x" * 43, "status": "läst", "back": back},
        allow_redirects=False,
    )
    assert forged.status == 403
    assert (await stats.get_comment(store, comment_id)).status == "åtgärdad"  # type: ignore[union-attr]
    unknown = await dash.post(
        "/dashboard/comments/nosuchcommentid/status",
        data={"csrf": token, "status": "läst", "back": back},
        allow_redirects=False,
    )
    assert unknown.status == 404


async def test_before_and_after_an_edit_with_a_significance_test(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 5, 25, day=date(2026, 3, 10))  # before: 17 %
    await add_votes(store, A, 20, 10, day=date(2026, 3, 22))  # after: 67 %
    words = visible(await (await dash.get(f"/dashboard/page?url={A}&changed=2026-03-20")).text())
    test = stats.two_proportion_test(5, 30, 20, 30)
    assert test.significant
    assert "Ändrad 2026-03-20" in words
    assert "Före: 2026-03-09 – 2026-03-19. Efter: 2026-03-20 – 2026-03-30" in words
    assert "Skillnad: +50 procentenheter." in words
    assert "Skillnaden är statistiskt säker" in words
    table = await dash.get(f"/dashboard/csv/before-after.csv?url={A}&changed=2026-03-20")
    rows = read_csv(await table.read())
    assert rows[0] == [
        "period", "since", "until", "yes", "no", "n", "share", "low", "high", "p_value",
        "significant",
    ]  # fmt: skip
    assert rows[1][:6] == ["before", "2026-03-09", "2026-03-19", "5", "25", "30"]
    assert rows[2][:6] == ["after", "2026-03-20", "2026-03-30", "20", "10", "30"]
    assert rows[2][9:] == [f"{test.p_value:.4f}".replace(".", ","), "ja"]
    assert (
        "before-after.csv"
        in await (await dash.get(f"/dashboard/page?url={A}&changed=2026-03-20")).text()
    )
    no_date = await dash.get(f"/dashboard/csv/before-after.csv?url={A}")
    assert no_date.status == 400
    small = f"{SITE}/vard/liten/"
    await add_votes(store, small, 2, 3, day=date(2026, 3, 10))
    await add_votes(store, small, 3, 2, day=date(2026, 3, 22))
    words = visible(
        await (await dash.get(f"/dashboard/page?url={small}&changed=2026-03-20")).text()
    )
    assert "inte statistiskt säker" in words


async def test_the_change_date_the_page_stated_is_compared_without_asking(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 5, 25, day=date(2026, 3, 10))
    await add_votes(store, A, 20, 10, day=date(2026, 3, 22))
    # What reading the page noted (see test_reading_modified): two edits, one still ahead.
    await store.note_page_change(A, date(2026, 2, 1))
    await store.note_page_change(A, date(2026, 3, 20))
    await store.note_page_change(A, date(2026, 4, 2))
    text = await (await dash.get(f"/dashboard/page?url={A}")).text()
    words = visible(text)
    assert "Ändrad 2026-03-20" in words
    assert "Skillnad: +50 procentenheter." in words
    assert "Sidan anger själv att den ändrades" in words
    assert "2026-03-20 (visas ovan)" in words
    assert "Jämför före och efter 2026-02-01" in words
    assert "2026-04-02" not in words
    assert 'value="2026-03-20"' in text  # the date field holds it, to change
    link = html.unescape(re.search(r'href="([^"]*changed=2026-02-01[^"]*)"', text)[1])  # type: ignore[index]
    words = visible(await (await dash.get(link)).text())
    assert "Ändrad 2026-02-01" in words and "2026-03-20" in words
    # The web team's own date wins over the stated one.
    words = visible(await (await dash.get(f"/dashboard/page?url={A}&changed=2026-03-01")).text())
    assert "Ändrad 2026-03-01" in words


# --- CSV ---------------------------------------------------------------------------------


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_every_table_downloads_as_csv(dash: Client) -> None:
    store = store_of(dash)
    await add_votes(store, A, 2, 3, day=date(2026, 3, 20))
    await store.add_vote(A, "no", ["incorrect"], comment="=HYPERLINK(1)")
    expected_rows = {
        "overview": 30,  # every day of the default period (30 days)
        "pages": 1,
        "sections": 1,
        "weeks": 3,  # the quiet week between is a row too
        "reasons": 2,
        "comments": 1,
    }
    for table, count in expected_rows.items():
        response = await dash.get(f"/dashboard/csv/{table}.csv?url={A}")
        assert response.status == 200, table
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = read_csv(await response.read())
        assert len(rows) == count + 1, table
    pages = read_csv(await (await dash.get("/dashboard/csv/pages.csv")).read())
    assert pages[0][:5] == ["url", "section", "yes", "no", "n"]
    assert pages[1][:5] == [A, "vard", "2", "4", "6"]
    comments = read_csv(await (await dash.get(f"/dashboard/csv/comments.csv?url={A}")).read())
    assert "'=HYPERLINK(1)" in comments[1]  # never a formula in Excel


async def test_malformed_forms_are_400_not_500(dash: Client) -> None:
    """Broken multipart or an unknown charset is the client's error (issue 15 item 7)."""
    store = store_of(dash)
    result = await store.add_vote(A, "no", ["outdated"], comment="Gammal adress")
    bodies = [
        ("multipart/form-data", b"csrf=x"),
        ("multipart/form-data; boundary=b", b"garbage"),
        ("multipart/form-data; boundary=b", b"--b\r\nno-colon\r\n\r\nx\r\n--b--\r\n"),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
        ),
        ("application/x-www-form-urlencoded; charset=nope", b"csrf=x"),
    ]
    for path in ("/dashboard/login", f"/dashboard/comments/{result.comment_id}/status"):
        for content_type, body in bodies:
            response = await dash.post(
                path, data=body, headers={"Content-Type": content_type}, allow_redirects=False
            )
            assert response.status == 400, (path, content_type, response.status)
    document = await (await dash.get("/openapi.json")).json()
    for path in ("/dashboard/login", "/dashboard/comments/{id}/status"):
        assert {"400", "403", "408"} <= set(document["paths"][path]["post"]["responses"])


@pytest.mark.parametrize("route", ["/api/v1/speak", "/dashboard/login"])
async def test_a_body_sent_too_slowly_is_408(
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    dashboard_env: dict[str, str],
    route: str,
) -> None:
    """A partial body does not hold the handler (and the connection) for minutes."""
    client = await aiohttp_client(make_app(**dashboard_env, TTS_BODY_TIMEOUT="0.5"))
    kind = b"application/json" if route.startswith("/api") else b"multipart/form-data; boundary=b"
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(
            b"POST "
            + route.encode()
            + b" HTTP/1.1\r\nHost: x\r\nContent-Type: "
            + kind
            + b"\r\nContent-Length: 100\r\n\r\n{"
        )
        await writer.drain()
        async with asyncio.timeout(5):
            head = await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 408 "), head
