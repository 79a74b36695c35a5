"""Passwords, session cookies, CSRF tokens and the failed-login limit, without the web layer."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys

import pytest

from ttsservice.dashboard.auth import (
    SESSION_SECONDS,
    Accounts,
    LoginLimiter,
    SessionSigner,
    hash_password,
    verify_password,
)
from ttsservice.settings import SettingsError


class Ticks:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password("ett långt lösenord"), hash_password("ett långt lösenord")
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$16384$8$1$") and "," not in first and ":" not in first
    assert verify_password("ett långt lösenord", first)
    assert not verify_password("ett långt lösenord!", first)
    salt = b"0123456789abcdef"
    expected = hashlib.scrypt(b"abc", salt=salt, n=16384, r=8, p=1, dklen=32)
    assert hash_password("abc", salt=salt).endswith(
        "$" + base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
    )


def test_accounts_check_names_and_passwords() -> None:
    accounts = Accounts([f"anna:{hash_password('anna-lösenord-1')}", f"bo:{hash_password('bo-2')}"])
    assert accounts.enabled
    assert accounts.check("anna", "anna-lösenord-1")
    assert not accounts.check("anna", "bo-2")
    assert not accounts.check("okänd", "anna-lösenord-1")
    assert not Accounts([]).enabled
    for bad in ("anna", "anna:", ":scrypt$1$1$1$a$b", "anna:bcrypt$x", "anna:scrypt$3$8$1$a$b"):
        with pytest.raises(SettingsError, match="TTS_DASHBOARD_USERS"):
            Accounts([bad])


def test_sessions_expire_and_end_when_the_password_changes() -> None:
    clock = Ticks()
    accounts = Accounts([f"anna:{hash_password('gammalt-lösenord')}"])
    signer = SessionSigner(accounts, clock=clock)
    cookie, session = signer.issue("anna")
    assert signer.read(cookie) == session
    clock.now += SESSION_SECONDS + 1
    assert signer.read(cookie) is None
    clock.now -= SESSION_SECONDS + 1
    other = SessionSigner(accounts, clock=clock)  # another process: another secret
    assert other.read(cookie) is None
    changed = SessionSigner(Accounts([f"anna:{hash_password('nytt-lösenord')}"]), clock=clock)
    changed._secret = signer._secret  # same secret, new password hash
    assert changed.read(cookie) is None
    signer.revoke(session)
    assert signer.read(cookie) is None


def test_csrf_tokens_are_bound_to_the_session() -> None:
    accounts = Accounts([f"anna:{hash_password('ett-lösenord')}"])
    signer = SessionSigner(accounts)
    _, one = signer.issue("anna")
    _, two = signer.issue("anna")
    token = signer.csrf_token(one)
    assert signer.check_csrf(one, token)
    assert not signer.check_csrf(two, token)
    assert not signer.check_csrf(None, token)
    assert signer.check_csrf(None, signer.csrf_token(None))


def test_login_limiter_counts_failures_in_a_sliding_window() -> None:
    clock = Ticks()
    limiter = LoginLimiter(3, window=900, clock=clock)
    key, other = limiter.client_key("192.0.2.1"), limiter.client_key("192.0.2.2")
    assert key != other and b"192.0.2.1" not in key
    for _ in range(3):
        assert limiter.wait(key) is None
        limiter.failed(key)
        clock.now += 10
    assert limiter.wait(key) == 900 - 30 + 1
    assert limiter.wait(other) is None
    clock.now += 900 - 30 + 1  # the first failure has left the window
    assert limiter.wait(key) is None
    limiter.failed(key)
    assert limiter.wait(key) is not None
    limiter.succeeded(key)
    assert limiter.wait(key) is None


def test_hash_password_command() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "ttsservice",
            "dashboard",
            "hash-password",
            "--stdin",
            "--user",
            "anna",
        ],
        input="ett tillräckligt långt lösenord\n",
        capture_output=True,
        text=True,
        check=True,
    )
    name, stored = run.stdout.strip().split(":", 1)
    assert name == "anna" and verify_password("ett tillräckligt långt lösenord", stored)
    Accounts([run.stdout.strip()])  # usable as a TTS_DASHBOARD_USERS entry as printed
    short = subprocess.run(
        [sys.executable, "-m", "ttsservice", "dashboard", "hash-password", "--stdin"],
        input="kort\n",
        capture_output=True,
        text=True,
    )
    assert short.returncode == 2 and "at least 12" in short.stderr and short.stdout == ""
