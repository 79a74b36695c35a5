"""``ttsservice dashboard hash-password``: make the HASH of a TTS_DASHBOARD_USERS entry."""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from ttsservice.dashboard.auth import hash_password

__all__ = ["register"]

MIN_PASSWORD_CHARS = 12
"""Shortest password accepted (the hash is only as good as the password)."""

_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``dashboard`` command and its actions."""
    parser = sub.add_parser(
        "dashboard",
        help="tools for the web team's dashboard (password hashes)",
        description="Tools for the dashboard at /dashboard.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    hasher = actions.add_parser(
        "hash-password",
        help="print the scrypt hash of a password for TTS_DASHBOARD_USERS",
        description="Ask for a password (twice) and print its salted scrypt hash. Put "
        "NAME:HASH in TTS_DASHBOARD_USERS (entries separated by commas). The password itself "
        "is never stored.",
    )
    hasher.add_argument(
        "--user",
        metavar="NAME",
        help="print the whole NAME:HASH entry for this account name (letters, digits, . _ @ -)",
    )
    hasher.add_argument(
        "--stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking "
        "(for scripts; nothing is echoed either way)",
    )
    hasher.set_defaults(run=_hash_password)


def _hash_password(args: argparse.Namespace) -> int:
    if args.user is not None and not _NAME.match(args.user):
        print(
            "ttsservice: error: --user must be 1 to 64 letters, digits or . _ @ -",
            file=sys.stderr,
        )
        return 2
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Lösenord / password: ")
        if getpass.getpass("Igen / again: ") != password:
            print("ttsservice: error: the passwords differ; nothing was made", file=sys.stderr)
            return 1
    if len(password) < MIN_PASSWORD_CHARS:
        print(
            f"ttsservice: error: use a password of at least {MIN_PASSWORD_CHARS} characters",
            file=sys.stderr,
        )
        return 2
    stored = hash_password(password)
    print(f"{args.user}:{stored}" if args.user else stored)
    return 0
