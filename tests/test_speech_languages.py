"""Readings in several languages (issue 19): each sentence's language and voice, espeak-ng
for a language without a neural voice, one spoken notice for what no voice can read, and
TTS_LANGUAGE_VOICES. The real en_US-joe-medium voice is in test_speech_languages_joe.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.procutil import run_ttsservice
from ttsservice.reading.model import Block, Reading
from ttsservice.settings import SettingsError, language_voices, load_settings
from ttsservice.speech.otherlanguages import normalize_other
from ttsservice.speech.readings import plan_reading
from ttsservice.swedish.normalizer import Normalizer

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

REPO = Path(__file__).resolve().parent.parent
TINY = "sv_SE-test-tiny"


@pytest.fixture
async def pages(aiohttp_server: Any) -> Any:
    """A site serving the HTML of ``PAGES`` by name."""

    async def page(request: web.Request) -> web.Response:
        html = PAGES[request.match_info["name"]]
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    site = web.Application()
    site.router.add_get("/{name}", page)
    return await aiohttp_server(site, host="127.0.0.1")


PAGES = {
    "somali": "<html lang='sv'><body><main><h1>Information</h1>"
    "<p>Här finns information på flera språk.</p>"
    "<p lang='so'>Macluumaad ku saabsan daryeelka. Waxaad heli kartaa caawimaad.</p>"
    "<p lang='so'>Wac lambarka hoose.</p>"
    "<p>Ring oss om du har frågor.</p></main></body></html>",
    "inline": "<html lang='sv'><body><main><h1>Rubrik</h1>"
    "<p>Skylten säger <span lang='xx'>Blorp zibba wunk</span> och inget mer.</p>"
    "</main></body></html>",
    "english": "<html lang='en'><body><main><h1>Welcome</h1>"
    "<p>Read about our services.</p><p lang='so'>Macluumaad ku saabsan daryeelka.</p>"
    "</main></body></html>",
    "german": "<html lang='sv'><body><main><h1>Välkommen</h1>"
    "<p>Biblioteket har böcker på tyska.</p>"
    "<p lang='de'>Willkommen in der Bibliothek.</p></main></body></html>",
}


@pytest.fixture
def language_app(
    speech_app: Callable[..., web.Application], pages: Any
) -> Callable[..., web.Application]:
    origin = str(pages.make_url("/")).rstrip("/")

    def build(**env: str) -> web.Application:
        return speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true", **env)

    return build


async def _reading(client: Any, pages: Any, name: str) -> dict[str, Any]:
    response = await client.post("/api/v1/readings", json={"url": str(pages.make_url(f"/{name}"))})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    blocks = {b["index"]: b["text"] for b in body["blocks"]}
    for sentence in body["sentences"]:
        assert blocks[sentence["block"]][sentence["start"] : sentence["end"]] == sentence["text"]
    return body


async def test_a_run_no_voice_can_read_is_one_notice_in_swedish(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    client = await aiohttp_client(language_app())
    body = await _reading(client, pages, "somali")
    rows = [(s["text"], s["lang"], s["voice"], s["unreadable"]) for s in body["sentences"]]
    assert rows == [
        ("Information", "sv", TINY, False),
        ("Här finns information på flera språk.", "sv", TINY, False),
        ("Macluumaad ku saabsan daryeelka.", "so", None, True),
        ("Ring oss om du har frågor.", "sv", TINY, False),
    ]
    notice = body["sentences"][2]
    assert notice["notice"] == "Här följer ett avsnitt på somaliska som inte kan läsas upp."
    assert [s["index"] for s in body["sentences"]] == [0, 1, 2, 3]
    assert body["voices"] == [{"name": TINY, "lang": "sv", "fallback": False, "attribution": None}]
    audio = await client.get(notice["audio"]["mp3"])
    assert audio.status == 200
    vtt = await (await client.get(f"/api/v1/readings/{body['id']}.vtt")).text()
    captions = re.sub(r"<[^>]+>", "", vtt)  # without the word timestamps
    assert "Här följer ett avsnitt på somaliska som inte kan läsas upp." in captions
    assert "Macluumaad" not in captions


async def test_an_inline_passage_in_an_unknown_language_is_a_notice_where_it_is(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    client = await aiohttp_client(language_app())
    body = await _reading(client, pages, "inline")
    rows = [(s["text"], s["lang"], s["unreadable"]) for s in body["sentences"]]
    assert rows == [
        ("Rubrik", "sv", False),
        ("Skylten säger", "sv", False),
        ("Blorp zibba wunk", "xx", True),
        ("och inget mer.", "sv", False),
    ]
    assert body["sentences"][2]["notice"] == (
        "Här följer ett avsnitt på ett annat språk som inte kan läsas upp."
    )


async def test_an_english_page_gives_its_notice_in_english_by_its_voice(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    client = await aiohttp_client(language_app())
    body = await _reading(client, pages, "english")
    assert body["lang"] == "en"
    # No English neural voice is installed: espeak-ng speaks English, the notice too.
    assert body["voice"]["name"] == "espeak-ng-en"
    assert body["voice"]["fallback"] is True
    notice = body["sentences"][-1]
    assert notice["unreadable"] is True
    assert notice["notice"] == "Here follows a passage in Somali that cannot be read aloud."
    assert {s["voice"] for s in body["sentences"][:-1]} == {"espeak-ng-en"}
    assert (await client.get(notice["audio"]["mp3"])).status == 200


async def test_a_language_without_a_piper_voice_is_spoken_by_espeak(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    client = await aiohttp_client(language_app())
    body = await _reading(client, pages, "german")
    german = body["sentences"][-1]
    assert (german["text"], german["lang"], german["voice"]) == (
        "Willkommen in der Bibliothek.",
        "de",
        "espeak-ng-de",
    )
    assert {"name": "espeak-ng-de", "lang": "de", "fallback": True, "attribution": None} in (
        body["voices"]
    )
    assert body["voice"]["name"] == TINY  # the page's own language
    audio = await client.get(german["audio"]["mp3"])
    assert audio.status == 200
    download = await client.get(f"/api/v1/readings/{body['id']}.mp3")
    assert download.status == 200
    assert len(await download.read()) > 0
    # Nothing was asked of the settings, so nothing is degraded.
    ready = await (await client.get("/readyz")).json()
    assert {c["name"]: c["status"] for c in ready["checks"]}["languages"] == "ok"


async def test_a_named_voice_that_is_missing_is_degraded_and_espeak_speaks(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    client = await aiohttp_client(language_app(TTS_LANGUAGE_VOICES="de=de_DE-thorsten-medium"))
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "degraded"
    check = next(c for c in ready["checks"] if c["name"] == "languages")
    assert check["status"] == "degraded"
    assert "de: de_DE-thorsten-medium" in check["detail"]
    body = await _reading(client, pages, "german")
    assert body["sentences"][-1]["voice"] == "espeak-ng-de"


async def test_speak_uses_the_voice_of_its_language(
    aiohttp_client: Any, language_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(language_app())
    german = await client.post(
        "/api/v1/speak", json={"text": "Guten Tag", "lang": "de", "format": "wav"}
    )
    swedish = await client.post(
        "/api/v1/speak", json={"text": "Guten Tag", "lang": "sv", "format": "wav"}
    )
    assert german.status == swedish.status == 200
    assert german.headers["Content-Location"] != swedish.headers["Content-Location"]
    voices = await (await client.get("/api/v1/voices")).json()
    assert "espeak-ng-de" in {v["name"] for v in voices["voices"]}
    unreadable = await client.post("/api/v1/speak", json={"text": "Hello", "lang": "so"})
    assert unreadable.status == 404
    error = (await unreadable.json())["error"]
    assert error["code"] == "unreadable_language"
    assert "'so'" in error["message"]
    not_a_tag = await client.post("/api/v1/speak", json={"text": "Hello", "lang": "0000"})
    assert not_a_tag.status == 400
    assert (await not_a_tag.json())["error"]["code"] == "invalid_field"


def test_swedish_rules_only_for_swedish_and_num2words_for_the_others() -> None:
    blocks = (
        Block(
            0,
            "paragraph",
            "Boken kostar 25 kr. It costs $5 on 2024-05-03.",
            "sv",
            None,
            "p",
            ((20, 46, "en"),),
        ),
        Block(1, "paragraph", "Der Preis ist 12,50 € am 3.5.2024.", "de", None, "p"),
    )
    reading = Reading(url=None, title="", lang="sv", blocks=blocks)
    plan = plan_reading(reading, Normalizer())
    spoken = [(s.text, s.lang, s.spoken) for s in plan.sentences]
    assert spoken == [
        ("Boken kostar 25 kr.", "sv", "Boken kostar tjugofem kronor."),
        (
            "It costs $5 on 2024-05-03.",
            "en",
            "It costs five dollars on the third of May twenty twenty-four.",
        ),
        (
            "Der Preis ist 12,50 € am 3.5.2024.",
            "de",
            "Der Preis ist zwölf Euro und fünfzig Cent am dritte Mai zweitausendvierundzwanzig.",
        ),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("en", "LANG=VOICE pairs"),
        ("english=en_GB-alba-medium", "LANG=VOICE pairs"),
        ("en=", "LANG=VOICE pairs"),
        ("en=en GB", "LANG=VOICE pairs"),
        ("en=en_GB-alba-medium,EN=en_US-joe-medium", "names a voice for 'en' twice"),
    ],
)
def test_bad_language_voices_name_the_variable(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"TTS_LANGUAGE_VOICES.*{message}"):
        load_settings({"TTS_LANGUAGE_VOICES": value})


def test_language_voices_are_read_as_pairs() -> None:
    settings = load_settings(
        {"TTS_LANGUAGE_VOICES": "en = en_GB-alba-medium, FI=fi_FI-harri-medium"}
    )
    assert language_voices(settings) == {"en": "en_GB-alba-medium", "fi": "fi_FI-harri-medium"}
    assert language_voices(load_settings({})) == {}


def test_a_bad_language_voices_value_stops_the_command_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ttsservice", "serve"],
        env={**os.environ, "TTS_LANGUAGE_VOICES": "en"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ttsservice: error: TTS_LANGUAGE_VOICES must")
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("lang", "text", "spoken"),
    [
        ("en", "The 21st edition of 1999.", "The twenty-first edition of nineteen ninety-nine."),
        (
            "en",
            "Over 1,000 copies, 3.5 stars.",
            "Over one thousand copies, three point five stars.",
        ),
        ("en", "15% less, opens 3 May.", "fifteen percent less, opens the third of May."),
        ("en", "Call 08-123 45 67 at 10:30.", "Call 08-123 45 67 at 10:30."),
        (
            "de",
            "Über 1.000 Menschen, 25 % Rabatt.",
            "Über eintausend Menschen, fünfundzwanzig Prozent Rabatt.",
        ),
        ("fr", "Le 1er mai, le 2e étage.", "Le premier mai, le deuxième étage."),
        ("es", "El 3/5/2024.", "El tres de mayo de dos mil veinticuatro."),
        ("fi", "Hinta on 5 €.", "Hinta on viisi euroa."),
        ("no", "Det var 21 personer.", "Det var tjueen personer."),
        ("so", "Sanadka 2024 waxaa jiray 15 %.", "Sanadka 2024 waxaa jiray 15 %."),
    ],
)
def test_other_languages_have_their_numbers_written_out(lang: str, text: str, spoken: str) -> None:
    assert normalize_other(text, lang) == spoken


async def test_an_espeak_sentence_still_plays_after_a_restart(
    aiohttp_client: Any, language_app: Callable[..., web.Application], pages: Any
) -> None:
    first = await aiohttp_client(language_app())
    body = await _reading(first, pages, "german")
    german = body["sentences"][-1]
    assert german["voice"] == "espeak-ng-de"
    await first.close()
    # A new service on the same data, which has not loaded espeak-ng's German yet.
    second = await aiohttp_client(language_app())
    voices = await (await second.get("/api/v1/voices")).json()
    assert "espeak-ng-de" not in {v["name"] for v in voices["voices"]}
    audio = await second.get(german["audio"]["mp3"])
    assert audio.status == 200, await audio.text()


def test_say_speaks_with_the_voice_of_its_language(
    tiny_voice_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**tiny_voice_env, "TTS_DATA_DIR": str(tmp_path / "var")}
    out = tmp_path / "tag.wav"
    german = run_ttsservice("say", "Guten Tag", "--lang", "de", "-o", str(out), env=env)
    assert german.returncode == 0, german.stderr
    assert "voice espeak-ng-de (robotic fallback voice)" in german.stdout
    somali = run_ttsservice("say", "Nabad", "--lang", "so", "-o", str(out), env=env)
    assert somali.returncode == 1
    assert somali.stderr.strip().splitlines() == [
        "ttsservice: error: no voice here can read the language 'so': name one with --voice"
    ]
