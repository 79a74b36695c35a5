"""Paced parts: with others listening, long sentences are read in parts that grow with playback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.speechutil import metric_value, settle
from ttsservice.reading.extract import extract_reading
from ttsservice.speech.clips import MAX_CHUNK_CHARS
from ttsservice.speech.leadin import LEAD_IN_SECONDS, LEAD_PART_CHARS, NOMINAL_SECONDS_PER_CHAR
from ttsservice.speech.pacing import (
    CROWD_LOAD,
    HEAD_START_SECONDS,
    MAX_LOAD,
    MIN_PART_CHARS,
    MIN_PIECE_CHARS,
    cut_points,
    part_limits,
)
from ttsservice.speech.readings import plan_reading
from ttsservice.speech.state import SPEECH
from ttsservice.swedish import Normalizer

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

SEED_HTML = Path(__file__).parent / "data" / "regionbibliotek-stockholm.html"
SYNTHESISED = ("tts_synthesis_seconds_count", 'voice="sv_SE-test-tiny"')
PER_CHAR = 0.072
"""Seconds of speech per character of the stand-in medium voice (measured)."""

LONG = (
    "Regionbibliotek Stockholm arbetar med att i samråd med folkbiblioteken i Stockholms "
    "län främja verksamhetsutveckling och kvalitet, och här har bibliotek en viktig roll."
)


def _pieces(text: str, limit: int) -> list[str]:
    parts = cut_points(text, limit)
    # The parts are the text in order; only the spaces between them are left out.
    rebuilt = "".join(
        text[a:b] + text[b : parts[i + 1][0]] if i + 1 < len(parts) else text[a:b]
        for i, (a, b) in enumerate(parts)
    )
    assert rebuilt == text
    assert all(not text[b : parts[i + 1][0]].strip() for i, (_, b) in enumerate(parts[:-1]))
    return [text[a:b] for a, b in parts]


def test_alone_a_listener_hears_whole_sentences() -> None:
    assert part_limits(0, 19.0, PER_CHAR) is None
    assert part_limits(3, 0.0, PER_CHAR) is None


def test_limits_start_short_grow_with_playback_and_shrink_with_load() -> None:
    light = part_limits(1, 19.0, PER_CHAR)
    heavy = part_limits(17, 19.0, PER_CHAR)
    assert light is not None and heavy is not None
    for limits in (light, heavy):
        grown = [limits(n) for n in range(0, 3000, 50)]
        assert grown == sorted(grown)  # longer parts as the listener's lead grows
        assert grown[0] == MIN_PART_CHARS
        assert grown[-1] == MAX_CHUNK_CHARS
    # More listeners (17 of 19, above the crowd pace of 0.8): shorter parts for longer.
    assert heavy(300) < light(300)
    assert sum(heavy(n) for n in range(0, 1500, 50)) < sum(light(n) for n in range(0, 1500, 50))


def test_parts_are_cut_at_spaces_within_the_limit_preferring_clause_ends() -> None:
    pieces = _pieces(LONG, 60)
    assert len(pieces) in (3, 4)  # 168 characters: three parts, or four at word ends
    assert all(MIN_PIECE_CHARS <= len(p) <= 60 for p in pieces)
    assert any(p.endswith("kvalitet,") for p in pieces)  # the comma in reach ends a part
    assert _pieces(LONG, len(LONG)) == [LONG]
    assert _pieces("Kort mening.", 5) == ["Kort mening."]


@pytest.mark.parametrize(
    ("text", "together"),
    [
        ("Biblioteket har öppet den 5 maj mellan klockan tio och fyra på eftermiddagen.", "5 maj"),
        ("Ansökan ska lämnas in före 10 000 kronor har betalats ut till sökanden i år.", "10 000"),
        ("Boken handlar om bl.a. bibliotekens roll i samhället och läsfrämjande arbete.", "bl.a. "),
        ("Under Karl XII:s tid förändrades biblioteken i hela landet på flera sätt.", "Karl XII"),
    ],
)
def test_no_cut_splits_a_number_an_abbreviation_or_a_regent(text: str, together: str) -> None:
    for limit in range(10, len(text)):
        pieces = _pieces(text, limit)
        assert any(together.strip() in p for p in pieces), (limit, pieces)
        assert all(len(p) >= MIN_PIECE_CHARS for p in pieces), (limit, pieces)


FUNCTION_WORDS = {"i", "med", "att", "och", "för", "en", "ett", "den", "det", "som", "har", "the"}


@pytest.mark.parametrize(
    "text",
    [
        LONG,
        "Regionbibliotek Stockholm arbetar med att i samråd med folkbiblioteken i Stockholms "
        "län främja verksamhetsutveckling och kvalitet.",
        "Du kan låna böcker och filmer på alla bibliotek i regionen med samma lånekort som du "
        "redan har.",
        "The library works together with the public libraries of the region to develop the "
        "quality of their services.",
    ],
)
def test_no_part_ends_on_a_word_that_begins_a_phrase(text: str) -> None:
    for limit in range(MIN_PART_CHARS, len(text), 5):
        pieces = _pieces(text, limit)
        ends = [p.split()[-1].lower() for p in pieces[:-1]]
        assert not FUNCTION_WORDS & set(ends), (limit, pieces)


def test_a_part_ends_before_a_phrase_where_that_takes_no_more_parts() -> None:
    # Cut by length alone: "… läxhjälp och | språkcaféer …", "… ger stöd till | …".
    assert _pieces("Biblioteket erbjuder läxhjälp och språkcaféer för vuxna varje vecka.", 45) == [
        "Biblioteket erbjuder läxhjälp",
        "och språkcaféer för vuxna varje vecka.",
    ]
    text = "Regionbiblioteket ger stöd till folkbiblioteken med utbildning och omvärldsbevakning."
    assert _pieces(text, 45) == [
        "Regionbiblioteket ger stöd",
        "till folkbiblioteken med utbildning",
        "och omvärldsbevakning.",
    ]
    # Not when it would take a part more: 105 characters in three parts of at most 45.
    long = (
        "Att främja intresset för bildning, upplysning, utbildning och forskning kan bidra "
        "till ökad livskvalitet."
    )
    assert len(_pieces(long, 45)) == 3


def _lockstep_late(lengths: list[float], load: float) -> float:
    """How late the worst clip comes for listeners in step at ``load`` (seconds; <= 0: none).

    Everyone's clips up to clip k take ``load * (S_k + L_k)`` seconds to make; clip k
    is due after the head start plus the speech before it (k >= 1: the first clip is
    the first audio, waited for).
    """
    worst, before = -float("inf"), lengths[0]  # the first clip is waited for: first audio
    for length in lengths[1:]:
        worst = max(worst, load * (before + length) - (HEAD_START_SECONDS + before))
        before += length
    return worst


@pytest.mark.parametrize("listening", [1, 12, 16])
def test_the_seed_page_in_paced_parts_keeps_listeners_in_step_playing(listening: int) -> None:
    reading = extract_reading(SEED_HTML.read_text(encoding="utf-8"), "https://x.se/")
    normalizer = Normalizer()
    capacity = 19.0
    load = min(MAX_LOAD, max(CROWD_LOAD, (listening + 1) / capacity))
    limits = part_limits(listening, capacity, PER_CHAR)
    paced = plan_reading(reading, normalizer, part_limit=limits).sentences
    whole = plan_reading(reading, normalizer).sentences
    spoken = [len(s.spoken) * PER_CHAR for s in paced]
    assert len(paced) > len(whole)
    # The heading is whole; the 10-second sentence after it comes in parts.
    assert paced[0].text == whole[0].text == "Regionbibliotek Stockholm"
    assert whole[1].text.startswith(paced[1].text)
    # In step, nobody waits more than a moment: the first parts, which the floor of
    # MIN_PART_CHARS keeps longer than the load allows, leave up to a second to make up
    # (the crowd's spread of first audio, FIRST_AUDIO_ALLOWANCES, is that head start).
    assert _lockstep_late(spoken, load) < 1.0
    # Whole sentences would leave everyone waiting over six seconds.
    assert _lockstep_late([len(s.spoken) * PER_CHAR for s in whole], load) > 6


def _distinct(html: str) -> str:
    """The seed page with different first sentences (none of its clips shared)."""
    return html.replace("Regionbibliotek", "Länsbibliotek")


@pytest.fixture
async def two_pages(aiohttp_server: Any) -> Any:
    seed = await asyncio.to_thread(SEED_HTML.read_text, encoding="utf-8")

    async def page(request: web.Request) -> web.Response:
        html = seed if request.match_info["name"] == "a" else _distinct(seed)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    site = web.Application()
    site.router.add_get("/{name}", page)
    return await aiohttp_server(site)


async def test_a_reading_made_while_another_plays_is_paced(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], two_pages: Any
) -> None:
    origin = str(two_pages.make_url("/")).rstrip("/")
    app = speech_app(TTS_ALLOWED_ORIGINS=origin, TTS_ALLOW_PRIVATE_ADDRESSES="true")
    client = await aiohttp_client(app)

    async def read(name: str) -> dict[str, Any]:
        url = str(two_pages.make_url(f"/{name}"))
        response = await client.post("/api/v1/readings", json={"url": url})
        assert response.status == 200, await response.text()
        return dict(await response.json())

    alone = await read("a")
    assert app[SPEECH].listeners.active() == 1
    paced = await read("b")
    assert len(paced["sentences"]) > len(alone["sentences"]) + 5
    blocks = {b["index"]: b["text"] for b in paced["blocks"]}
    for entry in paced["sentences"]:
        assert blocks[entry["block"]][entry["start"] : entry["end"]] == entry["text"]
    # The second sentence ("… arbetar med att i samråd …", 130 characters) is in parts,
    # short at first, and the parts play.
    assert paced["sentences"][0]["text"] == "Länsbibliotek Stockholm"
    first_parts = [len(s["text"]) for s in paced["sentences"][1:4]]
    assert max(first_parts) <= 2 * MIN_PART_CHARS
    assert max(len(s["text"]) for s in paced["sentences"]) > max(first_parts)
    for entry in paced["sentences"][:4]:
        assert (await client.get(entry["audio"]["mp3"] + "?priority=high")).status == 200
    # Another listener of a page being read gets the same reading, cut as it was: its
    # clips are made already (nothing more is synthesised for it).
    await settle(app)
    made = await metric_value(client, *SYNTHESISED)
    again = await read("a")
    assert again["id"] == alone["id"]
    assert again["sentences"] == alone["sentences"]
    assert await metric_value(client, *SYNTHESISED) == made


def test_alone_the_seed_pages_first_seconds_are_short_parts_then_whole_sentences() -> None:
    """speech.leadin: a listener alone may be joined by a crowd in its first seconds."""
    reading = extract_reading(SEED_HTML.read_text(encoding="utf-8"), "https://x.se/")
    normalizer = Normalizer()
    lead = plan_reading(reading, normalizer, lead_in=True).sentences
    whole = plan_reading(reading, normalizer).sentences
    # The heading, then the 130-character sentence after it in parts of at most
    # LEAD_PART_CHARS (between words: it has no comma), never next to a number, never
    # ending on a word that begins a phrase ("med att i | samråd").
    assert lead[0].text == whole[0].text == "Regionbibliotek Stockholm"
    parts = [s.text for s in lead[1:] if s.start < whole[1].end and s.block == whole[1].block]
    assert parts == [
        "Regionbibliotek Stockholm arbetar",
        "med att i samråd med folkbiblioteken",
        "i Stockholms län främja",
        "verksamhetsutveckling och kvalitet.",
    ]
    assert " ".join(parts) == whole[1].text
    assert all(MIN_PIECE_CHARS <= len(p) <= LEAD_PART_CHARS for p in parts)
    # From the end of the window on, whole sentences as before, shared with every reading.
    assert sum(len(s.spoken) for s in lead[:2]) * NOMINAL_SECONDS_PER_CHAR < LEAD_IN_SECONDS
    assert sum(len(s.spoken) for s in lead[:4]) * NOMINAL_SECONDS_PER_CHAR >= LEAD_IN_SECONDS
    later = [s.text for s in lead[len(parts) + 1 :]]
    assert later == [s.text for s in whole[2:]]
    # Cut by the text alone: the same parts every time.
    assert [s.text for s in plan_reading(reading, normalizer, lead_in=True).sentences] == [
        s.text for s in lead
    ]
    # TTS_MAX_READING_SENTENCES counts sentences as written, not their parts.
    three = plan_reading(reading, normalizer, lead_in=True, max_sentences=3)
    assert three.truncated
    assert [s.text for s in three.sentences] == [s.text for s in lead[: len(parts) + 2]]
    assert three.sentences[-1].text == whole[2].text
