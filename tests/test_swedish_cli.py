"""``ttsservice normalize`` as a person runs it: a subprocess of ``python -m ttsservice``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.procutil import run_ttsservice

SEED = Path(__file__).parent / "data" / "regionbibliotek-stockholm.txt"


def _run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TTS_")}
    full_env.update({"LC_ALL": "C", "LANG": "C", **env})  # Swedish output even in a C locale
    return run_ttsservice("normalize", *args, env=full_env, stdin=stdin, timeout=60)


def test_text_argument_prints_its_spoken_form() -> None:
    result = _run("Ring 08-123 132 00 t.ex. kl. 08.00, inte 2020-2023.")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Ring noll åtta, ett två tre, ett tre två, noll noll till exempel klockan åtta, "
        "inte tjugotjugo till tjugotjugotre.\n"
    )


def test_standard_input_gives_one_spoken_line_per_line() -> None:
    result = _run(stdin="Öppet mån–fre 8–17.\n\nSL-kort kostar 1 000 kr\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n") == [
        "Öppet måndag till fredag åtta till sjutton.",
        "",
        "ess ell-kort kostar tusen kronor",
        "",
    ]
    assert _run("-", stdin="kl 9\n").stdout == "klockan nio\n"


def test_seed_page_leaves_no_digits() -> None:
    result = _run(stdin=SEED.read_text("utf-8"))
    assert result.returncode == 0, result.stderr
    assert not any(c.isdigit() for c in result.stdout)
    assert len(result.stdout.splitlines()) == len(SEED.read_text("utf-8").splitlines())


def test_sentences_with_offsets() -> None:
    text = "Vi ses t.ex. kl. 9. Sedan 2020-2023."
    result = _run("--sentences", text)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "0-19\tVi ses till exempel klockan nio.",
        "20-36\tSedan tjugotjugo till tjugotjugotre.",
    ]
    assert text[0:19] == "Vi ses t.ex. kl. 9."


def test_site_lexicon_from_flag_and_environment(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[words]\n"Tiohundra" = "tio hundra"\n[acronyms]\nsay = ["MIK"]\n', "utf-8")
    assert _run("--lexicon-path", str(site), "Tiohundra MIK").stdout == "tio hundra mik\n"
    assert _run("Tiohundra MIK", TTS_LEXICON_PATH=str(site)).stdout == "tio hundra mik\n"
    assert _run("Tiohundra MIK").stdout == "Tiohundra emm i kå\n"


def test_a_broken_lexicon_is_one_clear_error(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[words]\n"MIK" = 3\n', "utf-8")
    result = _run("--lexicon-path", str(site), "MIK")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"ttsservice: error: {site}: ")
    assert "Traceback" not in result.stderr


def test_help_explains_every_flag() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for flag in ("--sentences", "--lang", "--lexicon-path", "TEXT"):
        assert flag in result.stdout
