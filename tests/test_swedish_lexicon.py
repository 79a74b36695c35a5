"""The site lexicon in the running app: load, reload on change and SIGHUP, broken files."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from ttsservice import keys
from ttsservice.app import create_app
from ttsservice.settings import load_settings
from ttsservice.swedish import Lexicon, LexiconError, Normalizer, load_default_lexicon
from ttsservice.swedish.lexicon import parse_lexicon
from ttsservice.swedish.normalizer import NORMALIZER
from ttsservice.swedish.service import LEXICON_WATCH

pytest_plugins = ["tests.conftest_voices"]


def _write(path: Path, text: str, bump: int) -> None:
    """Write ``text`` and move the mtime forward, so the change is seen at once."""
    path.write_text(text, "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))


async def _client(
    aiohttp_client: Any, tmp_path: Path, env: dict[str, str], lexicon: Path
) -> TestClient[Any, Any]:
    settings = load_settings(
        {**env, "TTS_DATA_DIR": str(tmp_path / "var"), "TTS_LEXICON_PATH": str(lexicon)}
    )
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    return client


async def _lexicon_check(client: TestClient[Any, Any]) -> tuple[str, dict[str, Any]]:
    response = await client.get("/readyz")
    body = await response.json()
    return body["status"], next(c for c in body["checks"] if c["name"] == "lexicon")


async def test_site_lexicon_applies_and_reloads_when_the_file_changes(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[words]\n"Tiohundra" = "tio hundra"\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    app = client.server.app
    normalizer = app[NORMALIZER]
    assert normalizer.normalize("Ring Tiohundra.") == "Ring tio hundra."
    # the shipped list is still there under the site file
    assert normalizer.normalize("Ring 1177.") == "Ring elva sjuttiosju."

    _write(site, '[words]\n"Tiohundra" = "tiohundra sjukvård"\n', 2)
    assert await app[LEXICON_WATCH].check() is True
    assert normalizer.normalize("Ring Tiohundra.") == "Ring tiohundra sjukvård."
    # unchanged file: nothing reloads
    assert await app[LEXICON_WATCH].check() is False


async def test_the_watcher_notices_a_change_by_itself(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[acronyms]\nsay = ["MIK"]\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    normalizer = client.server.app[NORMALIZER]
    assert normalizer.normalize("MIK") == "mik"
    _write(site, '[acronyms]\nspell = ["MIK"]\n', 2)
    for _ in range(60):  # the poll runs every two seconds
        if normalizer.normalize("MIK") == "emm i kå":
            break
        await asyncio.sleep(0.1)
    assert normalizer.normalize("MIK") == "emm i kå"


async def test_sighup_reloads_the_site_lexicon(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[words]\n"Kvarnen" = "kvarnen ett"\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    normalizer = client.server.app[NORMALIZER]
    assert normalizer.normalize("Kvarnen") == "kvarnen ett"
    # same size and mtime: only SIGHUP can tell the service to read it again
    st = site.stat()
    site.write_text('[words]\n"Kvarnen" = "kvarnen två"\n', "utf-8")
    os.utime(site, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(50):
        await asyncio.sleep(0.02)
        if normalizer.normalize("Kvarnen") == "kvarnen två":
            break
    assert normalizer.normalize("Kvarnen") == "kvarnen två"


async def test_a_broken_file_keeps_the_previous_lexicon_and_degrades_readiness(
    aiohttp_client: Any,
    tmp_path: Path,
    tiny_voice_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[words]\n"Tiohundra" = "tio hundra"\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    app = client.server.app
    status, check = await _lexicon_check(client)
    assert (status, check["status"]) == ("ready", "ok")

    caplog.set_level(logging.ERROR, logger="ttsservice.swedish.service")
    _write(site, '[words]\n"Tiohundra" = tio hundra\n', 2)
    await app[LEXICON_WATCH].check()
    await app[LEXICON_WATCH].check(force=True)  # same error again: logged once
    assert app[NORMALIZER].normalize("Tiohundra") == "tio hundra"
    lines = [r.getMessage() for r in caplog.records if "lexicon" in r.getMessage()]
    assert len(lines) == 1
    assert str(site) in lines[0] and "previous" in lines[0]
    status, check = await _lexicon_check(client)
    assert (status, check["status"]) == ("degraded", "degraded")
    assert str(site) in check["detail"]

    _write(site, '[words]\n"Tiohundra" = "tiohundra"\n', 3)
    await app[LEXICON_WATCH].check()
    status, check = await _lexicon_check(client)
    assert (status, check["status"]) == ("ready", "ok")
    metrics = await (await client.get("/metrics")).text()
    assert 'tts_lexicon_reloads_total{result="error"} 2.0' in metrics


async def test_a_missing_site_file_is_degraded_not_fatal(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, tmp_path / "nope.toml")
    status, check = await _lexicon_check(client)
    assert (status, check["status"]) == ("degraded", "degraded")
    assert "cannot read" in check["detail"]
    assert client.server.app[NORMALIZER].normalize("t.ex.") == "till exempel"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[words", "not valid TOML"),
        ('[word]\n"a" = "b"', "unknown table"),
        ('[words]\n"a" = 3', "spoken form"),
        ('[words]\n"a" = "  "', "spoken form"),
        ('[words]\n"x" = "tre 3"', "digits"),
        ('[words]\n"x" = "ja [[ a ]]"', "phonemes"),
        ('[acronyms]\nspell = "BVC"', "list"),
        ('[acronyms]\nspell = ["bvc"]', "capitals"),
        ('[acronyms]\nspell = ["BVC"]\nsay = ["BVC"]', "both"),
        ('[acronyms]\nshout = ["BVC"]', "unknown key"),
    ],
)
def test_parse_errors_say_what_to_fix(text: str, fragment: str) -> None:
    with pytest.raises(LexiconError, match=fragment) as info:
        parse_lexicon(text, "site.toml")
    assert str(info.value).startswith("site.toml: ")


def test_phonemes_pass_through_untouched_and_lower_case_keys_match_any_case() -> None:
    site = parse_lexicon(
        '[words]\n"unesco" = "[[ jʉnˈɛskʊ ]]"\n"vårdguiden" = "vård guiden"\n', "site"
    )
    normalizer = Normalizer(load_default_lexicon().merged(site))
    assert normalizer.normalize("UNESCO och Unesco") == "[[ jʉnˈɛskʊ ]] och [[ jʉnˈɛskʊ ]]"
    assert normalizer.normalize("Vårdguiden 2023") == "Vård guiden tjugotjugotre"
    assert normalizer.normalize("vårdguidens") == "vårdguidens"  # whole words only


def test_site_entries_win_over_the_shipped_list() -> None:
    shipped = load_default_lexicon()
    assert "1177" in shipped.words
    site = parse_lexicon('[words]\n"1177" = "elvahundrasjuttiosju"\n[acronyms]\nsay=["SL"]', "s")
    merged = shipped.merged(site)
    normalizer = Normalizer(merged)
    assert normalizer.normalize("Ring 1177 om SL") == "Ring elvahundrasjuttiosju om sl"
    assert isinstance(merged, Lexicon) and "SL" not in merged.spell


async def test_without_a_site_file_the_shipped_list_is_ready(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    settings = load_settings({**tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var")})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
    status, check = await _lexicon_check(client)
    assert (status, check["status"], check["detail"]) == ("ready", "ok", "shipped lexicon only")
    normalizer = client.server.app[NORMALIZER]
    assert normalizer.normalize("Ring 1177 om BVC") == "Ring elva sjuttiosju om be ve se"
    assert await client.server.app[LEXICON_WATCH].check() is False


async def test_a_deleted_file_keeps_the_lexicon_until_it_comes_back(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[words]\n"Tiohundra" = "tio hundra"\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    app = client.server.app
    site.unlink()
    await app[LEXICON_WATCH].check()
    assert app[NORMALIZER].normalize("Tiohundra") == "tio hundra"
    assert (await _lexicon_check(client))[1]["status"] == "degraded"
    _write(site, '[words]\n"Tiohundra" = "tiohundra igen"\n', 5)
    await app[LEXICON_WATCH].check()
    assert app[NORMALIZER].normalize("Tiohundra") == "tiohundra igen"
    assert (await _lexicon_check(client))[1]["status"] == "ok"


async def test_normalising_in_the_cpu_executor_while_the_lexicon_changes(
    aiohttp_client: Any, tmp_path: Path, tiny_voice_env: dict[str, str]
) -> None:
    site = tmp_path / "lexicon.toml"
    _write(site, '[words]\n"Tiohundra" = "första formen"\n', 1)
    client = await _client(aiohttp_client, tmp_path, tiny_voice_env, site)
    app = client.server.app
    loop = asyncio.get_running_loop()
    text = "Tiohundra ringer 08-123 45 67. " * 20

    async def many() -> set[str]:
        outs = await asyncio.gather(
            *(
                loop.run_in_executor(app[keys.CPU_EXECUTOR], app[NORMALIZER].normalize, text)
                for _ in range(20)
            )
        )
        return set(outs)

    pending = asyncio.ensure_future(many())
    _write(site, '[words]\n"Tiohundra" = "andra formen"\n', 2)
    await app[LEXICON_WATCH].check()
    seen = await pending | await many()
    # every result is wholly one lexicon or the other, never a mix
    assert seen <= {
        ("första formen ringer noll åtta, ett två tre, fyrtiofem, sextiosju. " * 20).strip(),
        ("andra formen ringer noll åtta, ett två tre, fyrtiofem, sextiosju. " * 20).strip(),
    }
    assert app[NORMALIZER].normalize("Tiohundra") == "andra formen"


def test_large_lexicons_and_entries_of_several_words() -> None:
    entries = "\n".join(f'"ortnamn{i}" = "ort {i % 10 * "a"}b"' for i in range(5000))
    site = parse_lexicon(
        "[words]\n"
        + entries
        + '\n"Danderyds sjukhus" = "danderyds sjukhus ds"\n"Wi-Fi" = "vajfaj"\n"sös" = "sös"\n',
        "site",
    )
    normalizer = Normalizer(load_default_lexicon().merged(site))
    assert normalizer.normalize("Ortnamn4321 och ortnamn7") == "Ort ab och ort aaaaaaab"
    assert normalizer.normalize("Till Danderyds sjukhus.") == "Till danderyds sjukhus ds."
    assert normalizer.normalize("Danderyds sjukhuset") == "Danderyds sjukhuset"
    assert normalizer.normalize("Gratis Wi-Fi!") == "Gratis vajfaj!"
    assert normalizer.normalize("Wi-Fi-nät") == "Wi-Fi-nät"  # whole words only
    # the shipped exact "SÖS" is said as written; the site's lower-case key keeps the capital
    assert normalizer.normalize("SÖS och Sös") == "sös och Sös"
