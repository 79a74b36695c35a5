"""Service settings: one frozen dataclass, read from ``TTS_*`` variables and CLI flags.

Every field is declared with :func:`setting`, which records its environment
variable, its help text (the field's docstring, reused by ``--help`` and the
README table) and how to validate it. :func:`load_settings` builds and
validates the whole thing once at start; a bad value raises
:class:`SettingsError` naming the variable and what it accepts.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Settings", "SettingsError", "load_settings", "setting_fields"]


class SettingsError(ValueError):
    """A setting has a value the service cannot use; the message says which and why."""


def setting(
    default: Any,
    help: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    secret: bool = False,
) -> Any:
    """Declare a settings field with its documentation and limits."""
    return field(
        default=default,
        metadata={"help": help, "min": minimum, "max": maximum, "secret": secret},
    )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be told. Defaults give a working demo on a laptop."""

    # --- web server -------------------------------------------------------
    host: str = setting("127.0.0.1", "Address to listen on (0.0.0.0 for all interfaces).")
    port: int = setting(8080, "TCP port to listen on.", minimum=1, maximum=65535)
    public_url: str = setting(
        "",
        "Public base URL of the service as browsers reach it (e.g. https://tts.example.se); "
        "empty means http://HOST:PORT.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = setting(
        "info", "Lowest level of log lines written."
    )
    log_format: Literal["text", "json"] = setting(
        "text", "Log line format: human-readable text or one JSON object per line."
    )
    log_client_ip: bool = setting(
        False, "Write the client IP address in request logs (off: no IP is ever logged)."
    )
    shutdown_timeout: float = setting(
        10.0,
        "Seconds to let in-flight requests finish after SIGTERM before closing.",
        minimum=0,
        maximum=600,
    )
    max_request_bytes: int = setting(
        65536, "Largest request body accepted, in bytes.", minimum=1024, maximum=10_000_000
    )
    body_timeout: float = setting(
        10.0,
        "Seconds a client may take to send a request body once the handler reads it; "
        "slower bodies are refused with 408.",
        minimum=0.5,
        maximum=600,
    )
    header_timeout: float = setting(
        10.0,
        "Seconds a new connection may take to send its first request's headers before it "
        "is closed.",
        minimum=0.5,
        maximum=600,
    )
    max_connections: int = setting(
        2000,
        "Open connections the server holds in all; new ones over it are closed.",
        minimum=1,
        maximum=1_000_000,
    )
    max_connections_per_client: int = setting(
        100,
        "Open connections one client address may hold (trusted proxies are exempt); new ones "
        "over it are closed.",
        minimum=1,
        maximum=1_000_000,
    )
    demo: bool = setting(
        True,
        "Serve the demo page at /demo and allow the service's own origin, so the demo "
        "can be read aloud and rated.",
    )
    data_dir: Path = setting(
        Path("var"), "Folder for the feedback database and the audio cache, created if missing."
    )
    database_url: str = setting(
        "",
        "Where votes, comments and totals are kept: empty means the SQLite file "
        "feedback.sqlite3 under TTS_DATA_DIR; postgresql://user:password@host/db means "
        "PostgreSQL (needed when several copies of the service share the feedback).",
        secret=True,
    )
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "Comma-separated addresses or networks (CIDR) of reverse proxies in front of the "
        "service, e.g. 127.0.0.1 for nginx on the same host. For their connections the "
        "client is the one X-Forwarded-For names (rate limits tell clients apart by it); "
        "empty trusts no proxy.",
    )
    cpu_workers: int = setting(
        2, "Threads for CPU-bound work (HTML parsing, synthesis, encoding).", minimum=1, maximum=64
    )

    # --- pages: fetching and extraction ------------------------------------
    allowed_origins: tuple[str, ...] = setting(
        ("https://www.regionstockholm.se",),
        "Comma-separated origins (scheme://host[:port]) whose pages may be read aloud and rated.",
    )
    allow_private_addresses: bool = setting(
        False,
        "Allow fetching pages that resolve to loopback or private addresses (for tests and "
        "intranets).",
    )
    fetch_timeout: float = setting(
        10.0, "Seconds allowed for fetching one page, redirects included.", minimum=0.1, maximum=120
    )
    fetch_max_bytes: int = setting(
        5_000_000, "Largest page body fetched, in bytes.", minimum=10_000, maximum=100_000_000
    )
    content_selector: str = setting(
        "", "CSS selector of the content root to read; empty means main, [role=main] or article."
    )
    skip_selectors: tuple[str, ...] = setting(
        (), "Comma-separated CSS selectors of elements never read aloud, besides .rs_skip."
    )
    read_asides: bool = setting(False, "Read aside elements inside the content root.")
    read_image_alt: bool = setting(
        True, "Read the alt text of meaningful images that have no caption."
    )
    lexicon_path: Path | None = setting(
        None,
        "Site lexicon file (TOML) with spoken forms of words and acronyms; empty means the "
        "shipped Swedish public-sector list only.",
    )

    # --- speech -----------------------------------------------------------
    voices_dir: Path = setting(Path("voices/models"), "Folder holding installed voice models.")
    voice: str = setting("sv_SE-nst-medium", "Default voice for readings.")
    language_voices: tuple[str, ...] = setting(
        (),
        "Comma-separated LANG=VOICE pairs naming the voice of each language (e.g. "
        "en=en_GB-alba-medium,fi=fi_FI-harri-medium); Swedish is TTS_VOICE unless sv= is "
        "given. Other languages use an installed voice of theirs, else espeak-ng; passages "
        "neither can speak are skipped with a spoken notice.",
    )
    offline: bool = setting(
        False, "Never download voices; use installed ones or the offline fallback voice."
    )
    voices_url: str = setting(
        "",
        "Base URL of the Piper voices repository voices are downloaded from (files at "
        "URL/REVISION/PATH); empty means Hugging Face's rhasspy/piper-voices.",
    )
    synthesis_queue_size: int = setting(
        64,
        "Sentences that may wait for synthesis; beyond it requests get 503 with Retry-After.",
        minimum=1,
        maximum=100_000,
    )
    scheduler: Literal["deadline", "fifo"] = setting(
        "deadline",
        "Order of waiting sentences: deadline (earliest playback deadline first, the first "
        "sentence of every reading before the second of any) or fifo (priority, then arrival).",
    )
    admission_slack: float = setting(
        2.0,
        "Seconds a listener's sentence may be ready after it is due; a new reading that would "
        "make any sentence later than that gets 503 with Retry-After (listeners keep playing).",
        minimum=0.1,
        maximum=600,
    )
    cache_max_bytes: int = setting(
        1_073_741_824,
        "Upper bound of the on-disk audio cache in bytes; least recently used clips go first.",
        minimum=1_000_000,
    )
    speak_max_chars: int = setting(
        3000, "Longest text accepted by the read-selection endpoint.", minimum=10, maximum=100_000
    )
    speak_per_minute: int = setting(
        20, "Read-selection requests allowed per client per minute.", minimum=1, maximum=100_000
    )
    client_speech_rate: float = setting(
        2.0,
        "Seconds of speech one client may have made per second (readings, page extraction "
        "and read-selection are charged by their estimated spoken length); over it: 429 "
        "with Retry-After. A listener hears at most about one second a second.",
        minimum=0.1,
        maximum=10_000,
    )
    client_speech_burst: float = setting(
        600.0,
        "Seconds of speech one client may ask for at once before the rate applies.",
        minimum=10,
        maximum=1_000_000,
    )
    max_reading_sentences: int = setting(
        1000,
        "Most sentences in one reading; a longer page is read up to there and the reading "
        "says truncated: true.",
        minimum=1,
        maximum=100_000,
    )
    max_reading_chars: int = setting(
        100_000,
        "Most characters of sentence text in one reading (100,000 is about two hours of "
        "speech); a longer page is read up to there and the reading says truncated: true.",
        minimum=100,
        maximum=10_000_000,
    )

    # --- feedback -----------------------------------------------------------
    keep_query: bool = setting(
        False, "Keep the query string when identifying a rated page (off: it is dropped)."
    )
    trailing_slash: Literal["keep", "add", "strip"] = setting(
        "add", "How a trailing slash in a rated page's path is treated."
    )
    sections: tuple[str, ...] = setting(
        (),
        "Comma-separated sections used as metric labels and in statistics, each a first path "
        "segment or NAME=/path/prefix; other pages count as 'other'.",
    )
    votes_per_minute: int = setting(
        30, "Votes and comments allowed per client per minute.", minimum=1, maximum=100_000
    )
    stats_token: str = setting(
        "",
        "Bearer token for the statistics API; empty disables it.",
        secret=True,
    )
    min_responses: int = setting(
        10, "Votes a page needs before it is ranked (below: 'för få svar').", minimum=1
    )
    comment_retention_days: int = setting(
        365, "Days comments are kept before deletion.", minimum=1, maximum=36500
    )
    vote_retention_days: int = setting(
        730,
        "Days raw votes are kept before deletion (daily totals stay).",
        minimum=1,
        maximum=36500,
    )

    # --- dashboard ----------------------------------------------------------
    dashboard_users: tuple[str, ...] = setting(
        (),
        "Comma-separated dashboard accounts as NAME:HASH, the hash made by "
        "`ttsservice dashboard hash-password`; empty turns the dashboard off.",
        secret=True,
    )
    dashboard_login_attempts: int = setting(
        5,
        "Failed dashboard logins allowed per client per 15 minutes before it must wait.",
        minimum=1,
        maximum=1000,
    )

    # --- several copies -----------------------------------------------------
    secret_key: str = setting(
        "",
        "Secret shared by all copies (at least 32 characters), from which the dashboard "
        "session, CSRF and daily rate-limit salt keys are derived; empty: a random "
        "per-process secret (one copy only).",
        secret=True,
    )
    secret_file: Path | None = setting(
        None,
        "File holding the shared secret instead of TTS_SECRET_KEY (e.g. a mounted Docker or "
        "Kubernetes secret); empty: unset.",
    )

    @property
    def base_url(self) -> str:
        """The URL browsers use to reach the service, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def db_path(self) -> Path:
        """Where the feedback database lives."""
        return self.data_dir / "feedback.sqlite3"

    @property
    def cache_dir(self) -> Path:
        """Where cached audio clips live."""
        return self.data_dir / "audio-cache"


def env_name(name: str) -> str:
    """The environment variable that sets the field ``name``."""
    return "TTS_" + name.upper()


def setting_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The documented fields of :class:`Settings`, in declaration order."""
    return dataclasses.fields(Settings)


def field_types() -> dict[str, Any]:
    """Resolved type annotations of the settings fields."""
    return typing.get_type_hints(Settings)


def _describe(tp: Any, f: dataclasses.Field[Any]) -> str:
    """What a field accepts, in words, for error messages and docs."""
    lo, hi = f.metadata["min"], f.metadata["max"]
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if tp is bool:
        return "true or false (1/0, yes/no, on/off)"
    if tp in (int, float):
        kind = "a whole number" if tp is int else "a number"
        if lo is not None and hi is not None:
            return f"{kind} from {lo:g} to {hi:g}"
        if lo is not None:
            return f"{kind} of at least {lo:g}"
        return kind
    if origin is tuple:
        return "a comma-separated list"
    if tp is Path or _optional_of(tp) is Path:
        return "a file system path"
    return "text"


def _optional_of(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return None


def describe(name: str) -> str:
    """What the field ``name`` accepts, in words."""
    f = next(f for f in setting_fields() if f.name == name)
    return _describe(field_types()[name], f)


def _parse(name: str, raw: str, source: str) -> Any:
    tp = field_types()[name]
    f = next(f for f in setting_fields() if f.name == name)
    text = raw.strip()
    bad = SettingsError(f"{source} must be {_describe(tp, f)}, got {raw!r}")
    origin = typing.get_origin(tp)
    value: Any
    if origin is Literal:
        choices = typing.get_args(tp)
        if text.lower() not in choices:
            raise bad
        value = text.lower()
    elif tp is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            value = True
        elif lowered in ("0", "false", "no", "off", ""):
            value = False
        else:
            raise bad
    elif tp is int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise bad from None
    elif tp is float:
        try:
            value = float(text)
        except ValueError:
            raise bad from None
        if value != value:  # NaN
            raise bad
    elif origin is tuple:
        value = tuple(part.strip() for part in text.split(",") if part.strip())
    elif tp is Path:
        if not text:
            raise bad
        value = Path(text)
    elif _optional_of(tp) is Path:
        value = Path(text) if text else None
    else:
        value = text
    lo, hi = f.metadata["min"], f.metadata["max"]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        raise bad
    return value


def _validate(settings: Settings) -> None:
    from urllib.parse import urlsplit

    for origin in settings.allowed_origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise SettingsError(
                f"TTS_ALLOWED_ORIGINS must list origins like https://www.example.se, got {origin!r}"
            )
    for entry in settings.trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                "TTS_TRUSTED_PROXIES must list IP addresses or networks such as 127.0.0.1 or "
                f"10.0.0.0/8, got {entry!r}"
            ) from None
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "TTS_PUBLIC_URL must be an http(s) URL such as https://tts.example.se, "
                f"got {settings.public_url!r}"
            )
    if settings.voices_url:
        parts = urlsplit(settings.voices_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "TTS_VOICES_URL must be an http(s) URL such as "
                f"https://huggingface.co/rhasspy/piper-voices/resolve, got {settings.voices_url!r}"
            )
    if settings.database_url and urlsplit(settings.database_url).scheme not in (
        "postgresql",
        "postgres",
    ):
        raise SettingsError(
            "TTS_DATABASE_URL must be empty (SQLite under TTS_DATA_DIR) or a PostgreSQL URL "
            "such as postgresql://tts:secret@db.example.se/tts"
        )
    # A bad secret stops every command here; a missing one only stops a copy from serving
    # (create_app), so `ttsservice db migrate|copy` work on a database URL without it.
    load_secret(settings)
    language_voices(settings)
    for section in settings.sections:
        name, _, prefix = section.partition("=")
        if not name.strip() or (prefix and not prefix.startswith("/")):
            raise SettingsError(
                "TTS_SECTIONS must list section names or NAME=/path/prefix entries, "
                f"got {section!r}"
            )


_LANGUAGE_VOICE = re.compile(r"^([A-Za-z]{2,3})\s*=\s*([A-Za-z0-9][A-Za-z0-9_.-]*)$")


def language_voices(settings: Settings) -> dict[str, str]:
    """``TTS_LANGUAGE_VOICES`` as language subtag (lower case) to voice name.

    Raises :class:`SettingsError` (one line) for an entry that is not LANG=VOICE with a
    two- or three-letter language subtag, or a language named twice.
    """
    found: dict[str, str] = {}
    for entry in settings.language_voices:
        m = _LANGUAGE_VOICE.match(entry)
        if m is None:
            raise SettingsError(
                "TTS_LANGUAGE_VOICES must list LANG=VOICE pairs with a two- or three-letter "
                "language subtag, such as en=en_GB-alba-medium,fi=fi_FI-harri-medium, "
                f"got {entry!r}"
            )
        lang = m.group(1).lower()
        if lang in found:
            raise SettingsError(
                f"TTS_LANGUAGE_VOICES names a voice for {lang!r} twice ({found[lang]} and "
                f"{m.group(2)}); give each language one voice"
            )
        found[lang] = m.group(2)
    return found


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build validated settings from environment variables and flag overrides.

    ``environ`` is the process environment unless given (tests inject a dict).
    ``overrides`` maps field names to raw strings from CLI flags (or already
    typed values); they win over the environment.
    """
    import os

    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in setting_fields():
        var = env_name(f.name)
        if var in env:
            values[f.name] = _parse(f.name, env[var], var)
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in {f.name for f in setting_fields()}:
            raise SettingsError(f"unknown setting {name!r}")
        flag = "--" + name.replace("_", "-")
        values[name] = _parse(name, raw, flag) if isinstance(raw, str) else raw
    settings = Settings(**values)
    _validate(settings)
    return settings


# The shared secret is read while the settings are validated, so its reader lives here
# (ttsservice.sharedkeys derives the keys from it).

MIN_SECRET_BYTES = 32
"""Shortest secret accepted (after stripping surrounding white space)."""

_MAX_SECRET_FILE_BYTES = 64 * 1024


def _check(secret: bytes, source: str) -> bytes:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"{source} must hold a secret of at least {MIN_SECRET_BYTES} characters "
            f"(got {len(secret)}); make one with: python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return secret


def load_secret(settings: Settings) -> bytes | None:
    """The shared secret from ``TTS_SECRET_KEY`` or ``TTS_SECRET_FILE``, or None if unset.

    Raises :class:`SettingsError` (one line, naming the variable) when both
    are set, the secret is too short, or the file cannot be read.
    """
    if settings.secret_key and settings.secret_file is not None:
        raise SettingsError("set TTS_SECRET_KEY or TTS_SECRET_FILE, not both")
    if settings.secret_key:
        return _check(settings.secret_key.encode("utf-8"), "TTS_SECRET_KEY")
    if settings.secret_file is None:
        return None
    return _check(_read_file(settings.secret_file), "TTS_SECRET_FILE")


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SettingsError(f"TTS_SECRET_FILE {str(path)!r} cannot be read: {reason}") from None
    if len(data) > _MAX_SECRET_FILE_BYTES:
        raise SettingsError(
            f"TTS_SECRET_FILE {str(path)!r} is larger than {_MAX_SECRET_FILE_BYTES} bytes; "
            "it should hold only the secret"
        )
    return data
