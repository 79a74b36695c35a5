"""The settings as command-line flags: shared by ``serve`` and every subcommand.

Below the commands: each package's ``cli.py`` and the top ``ttsservice`` command
import these helpers, and nothing here imports a command.
"""

from __future__ import annotations

import argparse
import typing
from collections.abc import Sequence
from typing import Any, Literal

from ttsservice.settings import (
    describe,
    env_name,
    field_types,
    load_settings,
    setting_fields,
)

__all__ = ["add_settings_flags", "settings_from_args"]

_GROUPS = {
    "host": "web server",
    "allowed_origins": "pages: fetching and extraction",
    "voices_dir": "speech",
    "keep_query": "feedback",
    "dashboard_users": "dashboard",
    "secret_key": "several copies",
}


def add_settings_flags(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """Add one flag per setting (``--port`` for ``TTS_PORT``…), grouped, each with help."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    title = "web server"
    types_ = field_types()
    for f in setting_fields():
        title = _GROUPS.get(f.name, title)
        if names is not None and f.name not in names:
            continue
        if title not in groups:
            groups[title] = parser.add_argument_group(f"settings: {title}")
        group = groups[title]
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else default
        if f.metadata["secret"]:
            shown = "(secret)"
        help_text = (
            f"{f.metadata['help']} Accepts {describe(f.name)}. "
            f"Env: {env_name(f.name)}; default: {shown!s}."
        ).replace("%", "%%")
        kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": help_text}
        tp = types_[f.name]
        if typing.get_origin(tp) is Literal:
            kwargs["choices"] = typing.get_args(tp)
        if tp is not bool:
            kwargs["metavar"] = env_name(f.name)[4:]
        group.add_argument(flag, **kwargs)


def settings_from_args(args: argparse.Namespace) -> Any:
    """Settings from the environment, with any given flags winning."""
    overrides = {f.name: getattr(args, f.name, None) for f in setting_fields()}
    return load_settings(overrides=overrides)
