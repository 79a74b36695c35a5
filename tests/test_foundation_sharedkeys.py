"""One secret shared by the copies: sessions, CSRF tokens and daily salts agree across apps."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from feedback.guard import FEEDBACK_GUARD, FeedbackGuard
from tests.dashboardkit import PASSWORD, USER, csrf_of, sign_in
from tests.procutil import run_ttsservice
from ttsservice import sharedkeys
from ttsservice.settings import Settings, SettingsError
from ttsservice.sharedkeys import SharedKeys, require_shared_secret
from ttsservice.speech.ratelimit import ClientLimiter
from ttsservice.speech.state import SPEECH

pytest_plugins = ["tests.conftest_dashboard"]

SECRET = "delad-hemlighet-för-alla-kopior-0123456789"
OTHER = "en-annan-hemlighet-för-andra-kopior-987654"
COOKIE = "tts_dashboard"


@pytest.fixture
def copy_app(
    make_settings: Callable[..., Settings], tmp_path: Path, user_entry: str
) -> Callable[..., web.Application]:
    """An app with its own data folder (like a separate copy) and the given secret."""
    from ttsservice.app import create_app

    made = 0

    def build(secret: str | None) -> web.Application:
        nonlocal made
        made += 1
        env = {"TTS_DATA_DIR": str(tmp_path / f"copy{made}"), "TTS_DASHBOARD_USERS": user_entry}
        if secret is not None:
            env["TTS_SECRET_KEY"] = secret
        return create_app(make_settings(**env))

    return build


async def test_a_session_and_csrf_token_from_one_copy_work_on_a_copy_with_the_same_secret(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> None:
    one = await aiohttp_client(copy_app(SECRET))
    same = await aiohttp_client(copy_app(SECRET))
    other = await aiohttp_client(copy_app(OTHER))
    unset = await aiohttp_client(copy_app(None))

    # the sign-in form's token from one copy is good for signing in on the other
    login_token = csrf_of(await (await one.get("/dashboard/login")).text())
    for client, expected in ((same, 303), (other, 403), (unset, 403)):
        response = await client.post(
            "/dashboard/login",
            data={"user": USER, "password": PASSWORD, "csrf": login_token},
            allow_redirects=False,
        )
        assert response.status == expected, await response.text()

    assert (await sign_in(one)).status == 303
    cookie = one.session.cookie_jar.filter_cookies(one.make_url("/dashboard"))[COOKIE].value
    as_is = {"Cookie": f"{COOKIE}={cookie}"}
    page = await one.get("/dashboard", allow_redirects=False)
    assert page.status == 200
    form_token = csrf_of(await page.text())
    for client in (same, other, unset):
        client.session.cookie_jar.clear()
    assert (await same.get("/dashboard", headers=as_is, allow_redirects=False)).status == 200
    for client in (other, unset):
        refused = await client.get("/dashboard", headers=as_is, allow_redirects=False)
        assert refused.status == 303  # back to the sign-in page
    # a form page served by one copy can be posted to the other
    out = await same.post(
        "/dashboard/logout", data={"csrf": form_token}, headers=as_is, allow_redirects=False
    )
    assert out.status == 303
    assert f"{COOKIE}=" in out.headers["Set-Cookie"]


async def test_vote_and_speak_salts_agree_across_copies_and_rotate_daily(
    copy_app: Callable[..., web.Application], aiohttp_client: Callable[..., Any]
) -> None:
    apps = [copy_app(SECRET), copy_app(SECRET), copy_app(OTHER), copy_app(None)]
    for app in apps:
        await aiohttp_client(app)
    votes = [app[FEEDBACK_GUARD].client_key("192.0.2.7") for app in apps]
    speak = [app[SPEECH].limiter.client_id("192.0.2.7") for app in apps]
    for ids in (votes, speak):
        assert ids[0] == ids[1]
        assert len({ids[0], ids[2], ids[3]}) == 3
    assert votes[0][:8] != bytes.fromhex(speak[0])[:8]  # a distinct key per use

    # the salt changes with the UTC day, the same way on every copy
    day = 86400.0
    now = [day * 20_000 + 5]
    limiters = [
        ClientLimiter(
            5,
            wall_clock=lambda: now[0],
            daily_salt=functools.partial(copy_keys.daily_salt, "x"),
        )
        for copy_keys in (SharedKeys(SECRET.encode()), SharedKeys(SECRET.encode()))
    ]
    first = [limiter.client_id("2001:db8::1") for limiter in limiters]
    now[0] += day
    second = [limiter.client_id("2001:db8::1") for limiter in limiters]
    assert first[0] == first[1] and second[0] == second[1]
    assert first[0] != second[0]

    class Today:
        def __init__(self) -> None:
            from datetime import date

            self.day = date(2026, 12, 4)

        def __call__(self) -> Any:
            return self.day

    metrics = apps[0][FEEDBACK_GUARD].metrics
    today = Today()
    keys_ = SharedKeys(SECRET.encode())
    guards = [
        FeedbackGuard(
            5,
            metrics,
            today=today,
            daily_salt=lambda d: keys_.daily_salt(sharedkeys.VOTE_LIMIT_SALT, d),
        )
        for _ in range(2)
    ]
    before = guards[0].client_key("192.0.2.7")
    assert guards[1].client_key("192.0.2.7") == before
    from datetime import timedelta

    today.day += timedelta(days=1)
    after = [guard.client_key("192.0.2.7") for guard in guards]
    assert after[0] == after[1] != before


def test_derived_keys_are_distinct_and_the_secret_is_not_one_of_them() -> None:
    shared = SharedKeys(SECRET.encode())
    labels = [sharedkeys.SESSION, sharedkeys.CSRF]
    derived = {shared.key(label) for label in labels}
    derived |= {shared.daily_salt(sharedkeys.SPEAK_LIMIT_SALT, d) for d in (1, 2)}
    derived |= {shared.daily_salt(sharedkeys.VOTE_LIMIT_SALT, d) for d in (1, 2)}
    assert len(derived) == 6 and SECRET.encode() not in derived
    assert all(len(key) == 32 for key in derived)
    assert SharedKeys(SECRET.encode()).key("x") == shared.key("x")
    assert SharedKeys(None).key("x") != SharedKeys(None).key("x")  # per process without one


def test_secret_settings_are_checked_at_start(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    good = tmp_path / "secret"
    good.write_text(SECRET + "\n")
    assert SharedKeys.from_settings(make_settings(TTS_SECRET_FILE=str(good))).key("x") == (
        SharedKeys(SECRET.encode()).key("x")
    )
    short = tmp_path / "short"
    short.write_text("kort\n")
    cases = [
        ({"TTS_SECRET_KEY": "för-kort"}, "TTS_SECRET_KEY"),
        ({"TTS_SECRET_FILE": str(short)}, "TTS_SECRET_FILE"),
        ({"TTS_SECRET_FILE": str(tmp_path / "saknas")}, "TTS_SECRET_FILE"),
        ({"TTS_SECRET_FILE": str(tmp_path)}, "TTS_SECRET_FILE"),
        ({"TTS_SECRET_KEY": SECRET, "TTS_SECRET_FILE": str(good)}, "not both"),
    ]
    for env, words in cases:
        with pytest.raises(SettingsError, match=words) as caught:
            make_settings(**env)
        assert "\n" not in str(caught.value)


def test_a_shared_database_without_a_shared_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="TTS_SECRET_KEY or TTS_SECRET_FILE"):
        require_shared_secret("postgresql://tts@db/tts", None)
    require_shared_secret("postgresql://tts@db/tts", SECRET.encode())
    require_shared_secret("", None)  # SQLite, one copy: a per-process secret is fine


def test_an_unreadable_secret_file_stops_serve_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TTS_OFFLINE": "1",
        "TTS_DATA_DIR": str(tmp_path / "data"),
        "TTS_SECRET_FILE": str(tmp_path / "saknas"),
    }
    result = run_ttsservice("serve", env=env, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TTS_SECRET_FILE" in lines[0] and "saknas" in lines[0]
