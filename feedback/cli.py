"""``ttsservice feedback purge|export``: retention on demand and CSV exports for the web team."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from feedback import stats
from feedback.store import FeedbackStore, PurgeResult
from feedback.urls import Sections
from ttsservice.settings import Settings
from ttsservice.settingsflags import add_settings_flags, settings_from_args

__all__ = ["register"]

_PURGE_SETTINGS = ["data_dir", "database_url", "comment_retention_days", "vote_retention_days"]
_EXPORT_SETTINGS = ["data_dir", "database_url", "sections", "min_responses"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``feedback`` command and its actions."""
    parser = sub.add_parser(
        "feedback",
        help="delete expired feedback, export statistics as CSV",
        description="Work on the feedback database (TTS_DATA_DIR/feedback.sqlite3) directly; "
        "safe while the service runs.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    purge = actions.add_parser(
        "purge",
        help="delete comments and raw votes older than the retention periods now",
        description="Delete comments older than TTS_COMMENT_RETENTION_DAYS and raw votes older "
        "than TTS_VOTE_RETENTION_DAYS (daily totals stay), and write an audit entry. The "
        "service does the same by itself every few hours.",
    )
    add_settings_flags(purge, names=_PURGE_SETTINGS)
    purge.set_defaults(run=_purge)

    export = actions.add_parser(
        "export",
        help="write page, section or comment statistics as CSV",
        description="Write statistics as CSV for Excel in a Swedish locale (UTF-8 with BOM, "
        "';' separator, decimal comma).",
    )
    export.add_argument(
        "what", choices=["pages", "sections", "comments"], help="which list to export"
    )
    export.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (inclusive)")
    export.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day (inclusive)")
    export.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE.csv",
        help="write to this file instead of standard output",
    )
    add_settings_flags(export, names=_EXPORT_SETTINGS)
    export.set_defaults(run=_export)


def _day(text: str) -> date:
    """argparse type: an ISO date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-01") from None


def _open(settings: Settings) -> FeedbackStore:
    return FeedbackStore(
        settings.db_path,
        sections=Sections.from_settings(settings),
        database_url=settings.database_url,
    )


def _purge(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not settings.database_url and not settings.db_path.exists():
        print(f"ttsservice: error: no feedback database at {settings.db_path}", file=sys.stderr)
        return 1

    async def run() -> PurgeResult:
        async with _open(settings) as store:
            return await store.purge(
                comment_days=settings.comment_retention_days,
                vote_days=settings.vote_retention_days,
                always_audit=True,
            )

    result = asyncio.run(run())
    print(
        f"Deleted {result.comments} comments from before {result.comments_before} and "
        f"{result.votes} raw votes from before {result.votes_before}; daily totals kept; "
        "audit entry written."
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not settings.database_url and not settings.db_path.exists():
        print(f"ttsservice: error: no feedback database at {settings.db_path}", file=sys.stderr)
        return 1

    async def run() -> bytes:
        async with _open(settings) as store:
            if args.what == "pages":
                pages = await stats.page_stats(
                    store, since=args.since, until=args.until, min_responses=settings.min_responses
                )
                return stats.to_csv(pages, columns=list(stats.PageStat.__dataclass_fields__))
            if args.what == "sections":
                sections = await stats.section_stats(
                    store, since=args.since, until=args.until, min_responses=settings.min_responses
                )
                return stats.to_csv(sections, columns=list(stats.SectionStat.__dataclass_fields__))
            comments = await stats.list_comments(
                store, since=args.since, until=args.until, limit=1_000_000
            )
            return stats.to_csv(comments, columns=list(stats.CommentRow.__dataclass_fields__))

    data = asyncio.run(run())
    if args.output is not None:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
