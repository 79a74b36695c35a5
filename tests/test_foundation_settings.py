"""Settings: parsing, validation, flags, and the README table kept in step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ttsservice.cli import build_parser
from ttsservice.settings import SettingsError, env_name, load_settings, setting_fields

REPO = Path(__file__).resolve().parent.parent


def test_defaults_work_without_environment() -> None:
    settings = load_settings({})
    assert settings.port == 8080
    assert settings.allowed_origins == ("https://www.regionstockholm.se",)
    assert settings.base_url == "http://127.0.0.1:8080"


def test_environment_is_parsed_by_type() -> None:
    settings = load_settings(
        {
            "TTS_PORT": "9000",
            "TTS_LOG_CLIENT_IP": "yes",
            "TTS_FETCH_TIMEOUT": "2.5",
            "TTS_ALLOWED_ORIGINS": "https://a.se, https://b.se:8443",
            "TTS_LOG_FORMAT": "JSON",
            "TTS_LEXICON_PATH": "",
        }
    )
    assert settings.port == 9000
    assert settings.log_client_ip is True
    assert settings.fetch_timeout == 2.5
    assert settings.allowed_origins == ("https://a.se", "https://b.se:8443")
    assert settings.log_format == "json"
    assert settings.lexicon_path is None


def test_flags_win_over_environment() -> None:
    settings = load_settings({"TTS_PORT": "9000"}, overrides={"port": "9001"})
    assert settings.port == 9001


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TTS_PORT": "abc"}, "TTS_PORT must be a whole number from 1 to 65535, got 'abc'"),
        ({"TTS_PORT": "70000"}, "TTS_PORT must be a whole number from 1 to 65535"),
        ({"TTS_LOG_FORMAT": "xml"}, "TTS_LOG_FORMAT must be one of 'text', 'json'"),
        ({"TTS_DEMO": "maybe"}, "TTS_DEMO must be true or false"),
        ({"TTS_FETCH_TIMEOUT": "nan"}, "TTS_FETCH_TIMEOUT must be a number"),
        ({"TTS_ALLOWED_ORIGINS": "ftp://x.se"}, "TTS_ALLOWED_ORIGINS must list origins"),
        ({"TTS_ALLOWED_ORIGINS": "https://x.se/page"}, "TTS_ALLOWED_ORIGINS must list origins"),
        ({"TTS_PUBLIC_URL": "tts.example.se"}, "TTS_PUBLIC_URL must be an http(s) URL"),
        ({"TTS_SECTIONS": "halsa=vard"}, "TTS_SECTIONS must list section names"),
        ({"TTS_DATABASE_URL": "mysql://x/y"}, "TTS_DATABASE_URL must be empty"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert message in str(info.value)


def test_bad_setting_stops_the_command_with_one_line() -> None:
    env = {**os.environ, "TTS_PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "ttsservice", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ttsservice: error: TTS_PORT must be a whole number from 1 to 65535, got 'abc'"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_flag_names_the_flag() -> None:
    with pytest.raises(SettingsError, match="--port must be a whole number"):
        load_settings({}, overrides={"port": "x"})


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(TTS_[A-Z_]+)` \|", readme, flags=re.M))
    declared = {env_name(f.name) for f in setting_fields()}
    assert declared - documented == set(), "settings missing from the README table"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_every_setting_has_help_and_a_serve_flag() -> None:
    parser = build_parser()
    serve_help = parser._subparsers._group_actions[0].choices["serve"].format_help()  # type: ignore[union-attr]
    for f in setting_fields():
        assert f.metadata["help"].endswith("."), f.name
        assert "--" + f.name.replace("_", "-") in serve_help, f.name
