"""Dashboard accounts, passwords, signed sessions, CSRF tokens and the failed-login limit.

- **Passwords** are stored as ``scrypt$N$r$p$SALT$HASH`` (``hashlib.scrypt``,
  a random 16-byte salt, URL-safe base64 without padding so the value fits
  in the comma-separated ``TTS_DASHBOARD_USERS``). They are checked in
  constant time; an unknown name costs the same scrypt run as a known one.
- **Sessions** are a signed cookie, nothing on disk: ``PAYLOAD.MAC`` where the
  payload holds the account, a random session id and the expiry, and the
  MAC is HMAC-SHA256 under a key derived from ``TTS_SECRET_KEY`` (shared by
  all copies, see :mod:`ttsservice.sharedkeys`) or, without one, a **secret
  made at start and held in memory only**: then restarting the service signs
  everyone out, the price for having no secret to configure; the stored
  password hash is part of the MAC, so changing a password (or removing the
  account) ends its sessions at once. Signing out revokes the session id.
- **CSRF**: every POST form carries ``HMAC(csrf key, "csrf" + session id)``;
  the login form one bound to the key alone (there is no session yet).
  ``SameSite=Strict`` and an Origin check stand behind it.
- **Failed logins** are limited per client: the key is ``HMAC(salt, address)``
  with an in-memory salt, so no address is kept; more than
  ``TTS_DASHBOARD_LOGIN_ATTEMPTS`` failures in 15 minutes make that client
  wait until the oldest failure leaves the window. With ``TTS_DATABASE_URL``
  set, the key is the day's pseudonym under a salt derived from the shared
  secret and the failures are counted in PostgreSQL
  (:mod:`ttsservice.web.ratecounters`), so every copy sees the same count.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ttsservice.settings import SettingsError
from ttsservice.web.clients import client_network
from ttsservice.web.ratecounters import CountersUnavailable, SharedRateCounters

__all__ = [
    "LOGIN_WINDOW",
    "Accounts",
    "LoginLimiter",
    "Session",
    "SessionSigner",
    "hash_password",
    "verify_password",
]

LOGIN_WINDOW = 15 * 60.0
"""Seconds over which failed logins are counted."""

SESSION_SECONDS = 8 * 3600
"""How long a sign-in lasts (a working day)."""

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_MAX_CLIENTS = 100_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The storable hash of ``password``: ``scrypt$N$r$p$SALT$HASH``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        raise ValueError("not an scrypt hash")
    values = int(n), int(r), int(p)
    if not (2 <= values[0] <= 2**20 and values[0] & (values[0] - 1) == 0):
        raise ValueError("scrypt N must be a power of two up to 2^20")
    if not (1 <= values[1] <= 32 and 1 <= values[2] <= 16):
        raise ValueError("scrypt r or p out of range")
    return values[0], values[1], values[2], _unb64(salt), _unb64(digest)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (constant-time comparison)."""
    n, r, p, salt, digest = _parse_hash(stored)
    candidate = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=len(digest),
        maxmem=256 * n * r * p + 1024 * 1024,
    )
    return hmac.compare_digest(candidate, digest)


class Accounts:
    """The accounts from ``TTS_DASHBOARD_USERS`` (``NAME:HASH`` entries)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._hashes: dict[str, str] = {}
        for entry in entries:
            name, sep, stored = entry.partition(":")
            name = name.strip()
            try:
                if not sep or not name:
                    raise ValueError("missing NAME:")
                _parse_hash(stored.strip())
            except ValueError:
                raise SettingsError(
                    "TTS_DASHBOARD_USERS must list NAME:HASH entries with hashes made by "
                    f"`ttsservice dashboard hash-password`; the entry for {name[:40]!r} is not one"
                ) from None
            self._hashes[name] = stored.strip()
        # Checked when the name is unknown, so the answer takes as long either way.
        self._decoy = hash_password(secrets.token_urlsafe(16))

    @property
    def enabled(self) -> bool:
        """True when at least one account exists (else the dashboard is off)."""
        return bool(self._hashes)

    def stored_hash(self, name: str) -> str | None:
        """The account's stored hash, or None."""
        return self._hashes.get(name)

    def check(self, name: str, password: str) -> bool:
        """True for a known account with the right password. Blocking: run it in an executor."""
        stored = self._hashes.get(name)
        ok = verify_password(password, stored if stored is not None else self._decoy)
        return ok and stored is not None


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in editor."""

    user: str
    """The account name."""
    sid: str
    """Random session id (CSRF tokens are bound to it; sign-out revokes it)."""
    expires: int
    """Unix time the session ends."""


class SessionSigner:
    """Makes and checks session cookies and CSRF tokens.

    ``secret`` signs sessions and ``csrf_secret`` CSRF tokens (the app passes
    two keys derived from the shared secret); unset, a per-process secret.
    """

    def __init__(
        self,
        accounts: Accounts,
        *,
        secret: bytes | None = None,
        csrf_secret: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._accounts = accounts
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._csrf_secret = csrf_secret if csrf_secret is not None else self._secret
        self._clock = clock
        self._revoked: OrderedDict[str, int] = OrderedDict()

    def _mac(self, payload: str, stored_hash: str) -> bytes:
        message = f"session\n{payload}\n{stored_hash}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def issue(self, user: str) -> tuple[str, Session]:
        """A new session for ``user``: (cookie value, session)."""
        stored = self._accounts.stored_hash(user)
        if stored is None:
            raise KeyError(user)
        session = Session(user, secrets.token_urlsafe(16), int(self._clock()) + SESSION_SECONDS)
        payload = _b64(
            json.dumps({"u": session.user, "s": session.sid, "e": session.expires}).encode()
        )
        return f"{payload}.{_b64(self._mac(payload, stored))}", session

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, or None if it is missing, forged, expired or revoked."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 4096:
            return None
        payload, mac = cookie.split(".")
        try:
            data = json.loads(_unb64(payload))
            given = _unb64(mac)
            session = Session(str(data["u"]), str(data["s"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        stored = self._accounts.stored_hash(session.user)
        if stored is None or not hmac.compare_digest(given, self._mac(payload, stored)):
            return None
        if session.expires <= self._clock() or session.sid in self._revoked:
            return None
        return session

    def revoke(self, session: Session) -> None:
        """End a session before it expires (sign-out)."""
        now = self._clock()
        self._revoked[session.sid] = session.expires
        while self._revoked:
            sid, expires = next(iter(self._revoked.items()))
            if expires > now and len(self._revoked) <= _MAX_CLIENTS:
                break
            del self._revoked[sid]

    def csrf_token(self, session: Session | None) -> str:
        """The token POST forms carry (bound to the session, or to the login form)."""
        purpose = f"csrf\n{session.sid}" if session is not None else "csrf\nlogin"
        return _b64(hmac.new(self._csrf_secret, purpose.encode(), hashlib.sha256).digest())

    def check_csrf(self, session: Session | None, token: str) -> bool:
        """True when ``token`` is the right CSRF token (constant-time)."""
        return hmac.compare_digest(self.csrf_token(session).encode(), token.encode())


LOGIN_SCOPE = "login"
"""The scope of failed sign-ins in the shared ``rate_limits`` table."""


class LoginLimiter:
    """Failed logins per client within :data:`LOGIN_WINDOW`, the client keyed by a salted HMAC.

    With ``daily_salt`` (given when the copies share a database), the salt is
    the one for the current UTC day, so every copy computes the same key.
    """

    def __init__(
        self,
        attempts: int,
        *,
        window: float = LOGIN_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        daily_salt: Callable[[int], bytes] | None = None,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._wall_clock = wall_clock
        self._daily_salt = daily_salt
        self._day = -1
        self._salt = secrets.token_bytes(32)
        self._failures: OrderedDict[bytes, deque[float]] = OrderedDict()
        self.shared: SharedRateCounters | None = None
        """Failures counted by every copy (set at start when TTS_DATABASE_URL is set)."""

    def client_key(self, address: str | None) -> bytes:
        """HMAC of the client address under the salt (the address is never kept)."""
        if self._daily_salt is not None:
            day = int(self._wall_clock() // 86400)
            if day != self._day:
                self._day, self._salt = day, self._daily_salt(day)
        return hmac.new(self._salt, client_network(address).encode(), hashlib.sha256).digest()

    async def until_allowed(self, key: bytes) -> int | None:
        """:meth:`wait`, from the failures every copy counted when the counters are shared."""
        if self.shared is None:
            return self.wait(key)
        try:
            wait = await self.shared.window_wait(LOGIN_SCOPE, key.hex(), self.attempts, self.window)
        except CountersUnavailable:
            return self.wait(key)
        return None if wait is None else max(1, int(wait) + 1)

    async def reserve_attempt(self, key: bytes) -> int | None:
        """:meth:`reserve`, in one statement on the shared counters when they are shared."""
        if self.shared is None:
            return self.reserve(key)
        try:
            wait = await self.shared.window_hit(LOGIN_SCOPE, key.hex(), self.attempts, self.window)
        except CountersUnavailable:
            return self.reserve(key)
        return None if wait is None else max(1, int(wait) + 1)

    async def clear_failures(self, key: bytes) -> None:
        """:meth:`succeeded`, on the shared counters too when they are shared."""
        self.succeeded(key)
        if self.shared is not None:
            with contextlib.suppress(CountersUnavailable):
                await self.shared.forget(LOGIN_SCOPE, key.hex())

    def _recent(self, key: bytes) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def wait(self, key: bytes) -> int | None:
        """Seconds this client must wait before trying again, or None if it may try now."""
        failures = self._recent(key)
        if len(failures) < self.attempts:
            return None
        return max(1, int(failures[0] + self.window - self._clock()) + 1)

    def reserve(self, key: bytes) -> int | None:
        """Count an attempt as failed *before* the password check; seconds to wait if none left.

        Checking and counting in one step, with no await between them, is what makes the
        limit hold for parallel attempts: each takes a slot before its (slow) password
        check, and a correct password gives the slots back (:meth:`succeeded`).
        """
        wait = self.wait(key)
        if wait is None:
            self.failed(key)
        return wait

    def failed(self, key: bytes) -> None:
        """Record a failed login."""
        failures = self._failures.setdefault(key, deque())
        failures.append(self._clock())
        self._failures.move_to_end(key)
        while len(self._failures) > _MAX_CLIENTS:
            self._failures.popitem(last=False)

    def succeeded(self, key: bytes) -> None:
        """Forget this client's failures after a successful login."""
        self._failures.pop(key, None)
