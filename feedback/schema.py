"""The feedback database's vocabulary and schema: answers, reasons, comment statuses
and the named migrations (recorded in the ``migrations`` table).
"""

from __future__ import annotations

ANSWERS = ("yes", "no")
"""The two answers to "Hjälpte den här informationen dig?"."""

REASONS: dict[str, dict[str, str]] = {
    "not_found": {
        "sv": "Jag hittade inte det jag sökte",
        "en": "I did not find what I looked for",
        "fi": "En löytänyt etsimääni",
        "ar": "لم أجد ما كنت أبحث عنه",
    },
    "hard_to_understand": {
        "sv": "Svårt att förstå",
        "en": "Hard to understand",
        "fi": "Vaikea ymmärtää",
        "ar": "صعب الفهم",
    },
    "incorrect": {
        "sv": "Felaktig information",
        "en": "Incorrect information",
        "fi": "Virheellistä tietoa",
        "ar": "معلومات غير صحيحة",
    },
    "outdated": {
        "sv": "Inaktuell information",
        "en": "Outdated information",
        "fi": "Vanhentunutta tietoa",
        "ar": "معلومات قديمة",
    },
    "other": {"sv": "Annat", "en": "Other", "fi": "Muu syy", "ar": "سبب آخر"},
}
"""Reason codes a "Nej" can carry, with their labels in the widget's languages."""

REASON_LANGUAGES = ("sv", "en", "fi", "ar")
"""The languages reason labels exist in (those of the widget)."""

COMMENT_STATUSES: dict[str, dict[str, str]] = {
    "ny": {"sv": "Ny", "en": "New"},
    "läst": {"sv": "Läst", "en": "Read"},
    "åtgärdad": {"sv": "Åtgärdad", "en": "Fixed"},
    "ej_åtgärdbar": {"sv": "Ej åtgärdbar", "en": "Cannot be fixed"},
}
"""Triage statuses of a comment; ``ej_åtgärdbar`` needs a reason."""

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "0001_votes_comments_totals_audit",
        (
            """CREATE TABLE votes (
                id TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                answer TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
                reasons TEXT NOT NULL DEFAULT '',
                token_key TEXT,
                day TEXT NOT NULL
            ) WITHOUT ROWID""",
            "CREATE UNIQUE INDEX votes_token ON votes (token_key) WHERE token_key IS NOT NULL",
            "CREATE INDEX votes_day ON votes (day)",
            """CREATE TABLE comments (
                id TEXT PRIMARY KEY,
                vote_id TEXT,
                url TEXT NOT NULL,
                answer TEXT,
                reasons TEXT NOT NULL DEFAULT '',
                text TEXT NOT NULL,
                scrubbed INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'ny'
                    CHECK (status IN ('ny', 'läst', 'åtgärdad', 'ej_åtgärdbar')),
                status_reason TEXT,
                day TEXT NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX comments_day ON comments (day)",
            "CREATE INDEX comments_url ON comments (url, day)",
            "CREATE INDEX comments_vote ON comments (vote_id)",
            """CREATE TABLE page_daily (
                day TEXT NOT NULL,
                url TEXT NOT NULL,
                yes INTEGER NOT NULL DEFAULT 0,
                no INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (day, url)
            ) WITHOUT ROWID""",
            "CREATE INDEX page_daily_url ON page_daily (url, day)",
            """CREATE TABLE reason_daily (
                day TEXT NOT NULL,
                url TEXT NOT NULL,
                reason TEXT NOT NULL,
                n INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (day, url, reason)
            ) WITHOUT ROWID""",
            """CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL
            )""",
        ),
    ),
    (
        "0002_page_changes",
        (
            """CREATE TABLE page_changes (
                url TEXT NOT NULL,
                day TEXT NOT NULL,
                seen TEXT NOT NULL,
                PRIMARY KEY (url, day)
            ) WITHOUT ROWID""",
        ),
    ),
    (
        "0003_clip_records",
        (
            """CREATE TABLE clip_records (
                key TEXT PRIMARY KEY,
                spec TEXT NOT NULL,
                day TEXT NOT NULL
            ) WITHOUT ROWID""",
        ),
    ),
    (
        # Per-client rate-limit counts shared by the copies (ttsservice.web.ratecounters);
        # used on PostgreSQL only, created on both so the two schemas stay alike.
        "0004_rate_limits",
        (
            """CREATE TABLE rate_limits (
                scope TEXT NOT NULL,
                client TEXT NOT NULL,
                hits DOUBLE PRECISION[] NOT NULL DEFAULT '{}',
                tokens DOUBLE PRECISION,
                at DOUBLE PRECISION,
                expires DOUBLE PRECISION NOT NULL,
                cap DOUBLE PRECISION NOT NULL,
                per DOUBLE PRECISION NOT NULL,
                want INTEGER NOT NULL,
                granted INTEGER NOT NULL,
                PRIMARY KEY (scope, client)
            ) WITHOUT ROWID""",
        ),
    ),
    (
        # Which clips a reading id stands for, so any copy serves its .vtt and download.
        "0005_reading_records",
        (
            """CREATE TABLE reading_records (
                id TEXT PRIMARY KEY,
                record TEXT NOT NULL,
                day TEXT NOT NULL
            ) WITHOUT ROWID""",
        ),
    ),
)
"""Named schema migrations, applied in order once each and recorded in ``migrations``."""
