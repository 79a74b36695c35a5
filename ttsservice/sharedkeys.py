"""Keys the copies of the service share, derived from one secret.

With ``TTS_SECRET_KEY`` (or ``TTS_SECRET_FILE``) set, every copy derives the
same keys from it, so a dashboard session cookie or CSRF token minted by one
copy is accepted by another, and a client gets the same daily pseudonym on
every copy. Each key is HKDF-SHA256 (RFC 5869, built from the standard
library's HMAC) of the secret with its own label, so no key can be turned
into another or back into the secret. The daily rate-limit salts carry the
UTC day number in their label: they still change every day, and they are
never stored anywhere, only recomputed in memory.

Without a secret, the master key is random per process, which is what a
single copy on SQLite needs: a restart signs everyone out and nothing
secret is ever written down. A shared database (``TTS_DATABASE_URL``) means
several copies, so then a secret is required (:func:`require_shared_secret`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ttsservice.settings import MIN_SECRET_BYTES, Settings, SettingsError, load_secret

__all__ = [
    "MIN_SECRET_BYTES",
    "SharedKeys",
    "hkdf",
    "load_secret",
    "require_shared_secret",
]

_HKDF_SALT = b"ttsservice shared keys v1"

SESSION = "dashboard-session"
CSRF = "dashboard-csrf"
SPEAK_LIMIT_SALT = "speak-rate-limit-salt"
VOTE_LIMIT_SALT = "vote-rate-limit-salt"
LOGIN_LIMIT_SALT = "login-rate-limit-salt"


def hkdf(secret: bytes, label: str, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) of ``secret`` with ``label`` as the info string."""
    prk = hmac.new(_HKDF_SALT, secret, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + label.encode() + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def require_shared_secret(database_url: str, secret: bytes | None) -> None:
    """Refuse a shared database without a shared secret (several copies need the same keys)."""
    if database_url.strip() and secret is None:
        raise SettingsError(
            "TTS_DATABASE_URL is set, so copies share state and need the same keys: "
            "set TTS_SECRET_KEY or TTS_SECRET_FILE to one secret shared by all copies"
        )


class SharedKeys:
    """The keys one app uses, derived from the shared secret or a per-process random one."""

    def __init__(self, secret: bytes | None) -> None:
        self.shared = secret is not None
        """True when the keys come from a configured secret (the same on every copy)."""
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    @classmethod
    def from_settings(cls, settings: Settings) -> SharedKeys:
        """Keys for ``settings``; :class:`SettingsError` on a bad or missing secret."""
        secret = load_secret(settings)
        require_shared_secret(settings.database_url, secret)
        return cls(secret)

    def key(self, label: str) -> bytes:
        """The 32-byte key for ``label``."""
        return hkdf(self._secret, label)

    def daily_salt(self, label: str, day: int) -> bytes:
        """The salt for ``label`` on UTC day number ``day`` (days since 1970-01-01)."""
        return hkdf(self._secret, f"{label}\nday {day}")
