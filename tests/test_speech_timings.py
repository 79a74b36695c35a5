"""Word timings (audio/{key}.json) and captions (readings/{id}.vtt) with the tiny voice."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import webvtt
from aiohttp import web

from tests.speechutil import ffprobe
from tests.tinyvoice import MS_PER_PHONEME_ID
from ttsservice.speech.timings import MP3_DELAY_SECONDS, mp3_seconds
from ttsservice.swedish.normalizer import Normalizer
from ttsservice.swedish.offsets import spoken_spans, spoken_words

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

# One phoneme id of the tiny voice lasts 70 ms (plus its pad): a word spans ids.
_ID_SECONDS = MS_PER_PHONEME_ID / 1000


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _said(written: str) -> list[tuple[str, str]]:
    normalizer = Normalizer()
    spoken = normalizer.normalize(written)
    spans = spoken_spans(written, spoken, normalizer.normalize)
    return [(word, written[a:b]) for word, (a, b) in zip(spoken_words(spoken), spans, strict=True)]


def test_spoken_words_map_back_to_written_spans() -> None:
    assert _said("Vi ses kl. 08.00 i morgon.") == [
        ("Vi", "Vi"),
        ("ses", "ses"),
        ("klockan", "kl. 08.00"),
        ("åtta", "kl. 08.00"),
        ("i", "i"),
        ("morgon", "morgon"),
    ]
    said = dict(_said("Det gäller t.ex. SVT och 3:e kapitlet."))
    assert said["till"] == said["exempel"] == "t.ex."
    assert said["tredje"] == "3:e"
    assert said["och"] == "och"
    assert said["kapitlet"] == "kapitlet"
    # an acronym spelled out letter by letter covers the written acronym
    assert {w for w, span in _said("Jag såg SVT i går.") if span == "SVT"} == {"ess", "ve", "te"}


def test_lexicon_words_map_back_to_their_written_word() -> None:
    said = _said("Ring 1177 eller besök 1177.se om du har covid-19 eller frågor om HSL.")
    assert [w for w, span in said if span == "1177"] == ["elva", "sjuttiosju"]
    assert [w for w, span in said if span == "1177.se"] == [
        "elva",
        "sjuttiosju",
        "punkt",
        "ess",
        "e",
    ]
    assert [span for w, span in said if w.startswith("covid")] == ["covid-19"]
    assert [w for w, span in said if span == "HSL"] == ["hå", "ess", "ell"]
    assert ("eller", "eller") in said and ("frågor", "frågor") in said


async def _reading(client: Any, text: str) -> dict[str, Any]:
    response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
    assert response.status == 200, await response.text()
    return dict(await response.json())


def _check_words(document: dict[str, Any], text: str) -> None:
    words = document["words"]
    assert words
    previous_end = 0.0
    previous_to = 0
    for word in words:
        assert set(word) == {"start", "end", "from", "to"}
        assert previous_end <= word["start"] < word["end"] <= document["duration"]
        assert previous_to <= word["from"] < word["to"] <= len(text)
        previous_end, previous_to = word["end"], word["to"]
    # every written word is covered by exactly one span
    covered = [text[w["from"] : w["to"]] for w in words]
    for token in text.replace(",", " ").replace(".", " ").split():
        assert sum(token in c for c in covered) >= 1, (token, covered)


async def test_sentence_timings_map_numbers_abbreviations_and_acronyms(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], tmp_path: Path
) -> None:
    client = await aiohttp_client(speech_app())
    reading = await _reading(client, "Vi ses kl. 08.00 hos SVT, t.ex. i hus 25.")
    sentence = reading["sentences"][0]
    text = sentence["text"]
    url = sentence["audio"]["json"]
    assert url == sentence["audio"]["mp3"].removesuffix(".mp3") + ".json"
    response = await client.get(url)
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"].endswith("immutable")
    assert response.content_type == "application/json"
    document = await response.json()
    _check_words(document, text)
    spans = [text[w["from"] : w["to"]] for w in document["words"]]
    assert spans == ["Vi", "ses", "kl. 08.00", "hos", "SVT", "t.ex.", "i", "hus", "25"]
    # "klockan åtta" is two spoken words: its entry lasts longer than the one-syllable "hos"
    by_span = {text[w["from"] : w["to"]]: w for w in document["words"]}
    assert by_span["kl. 08.00"]["end"] - by_span["kl. 08.00"]["start"] > 6 * _ID_SECONDS
    # the first word starts after the MP3 delay and the model's sentence start (^ and its pad)
    first = document["words"][0]["start"]
    assert first == pytest.approx(MP3_DELAY_SECONDS + 2 * _ID_SECONDS, abs=0.01)

    # the clip as delivered lasts what the timings say (within one MP3 frame)
    audio = await client.get(sentence["audio"]["mp3"])
    mp3 = await audio.read()
    assert abs(mp3_seconds(mp3) - document["duration"]) < 0.08
    probed = ffprobe(mp3, tmp_path, "clip.mp3")
    assert abs(float(probed["format"]["duration"]) - mp3_seconds(mp3)) < 0.05
    assert document["words"][-1]["end"] <= document["duration"]
    assert document["duration"] - document["words"][-1]["end"] < 0.3

    # cacheable: the same body again, and 304 for its ETag
    again = await client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


async def test_timings_of_unknown_clip_is_canonical_404(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app())
    response = await client.get("/api/v1/audio/" + "ab" * 32 + ".json")
    assert response.status == 404
    body = await response.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["status"] == 404
    assert "reading" in body["error"]["message"]
    response = await client.get("/api/v1/readings/" + "ab" * 16 + ".vtt")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_reading_captions_are_valid_webvtt_with_word_tags(
    aiohttp_client: Any, speech_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(speech_app())
    reading = await _reading(client, "Hej på dig. Vi ses kl. 08.00 i morgon. Tack för i dag.")
    response = await client.get(f"/api/v1/readings/{reading['id']}.vtt")
    assert response.status == 200, await response.text()
    assert response.content_type == "text/vtt"
    body = await response.text()
    captions = webvtt.from_buffer(io.StringIO(body))
    assert len(captions) == len(reading["sentences"]) == 3
    download = await client.get(reading["download"])
    whole = mp3_seconds(await download.read())
    starts = [_seconds(c.start) for c in captions]
    assert starts[0] == 0
    assert starts == sorted(starts)
    assert _seconds(captions[-1].end) == pytest.approx(whole, abs=0.01)
    for caption, sentence in zip(captions, reading["sentences"], strict=True):
        assert caption.text == sentence["text"]
        # a timestamp tag before each word but the first, inside the cue
        tags = [part.split(">")[0] for part in caption.raw_text.split("<")[1:]]
        assert len(tags) == len(sentence["text"].split()) - 1 - sentence["text"].count("08.00")
        times = [_seconds(tag) for tag in tags]
        assert times == sorted(times)
        assert all(_seconds(caption.start) < t < _seconds(caption.end) for t in times)
    assert "<" in captions[1].raw_text and "kl. 08.00" in captions[1].raw_text


async def test_fallback_voice_gives_no_words_and_plain_captions(
    aiohttp_client: Any, speech_app: Callable[..., web.Application], tmp_path: Path
) -> None:
    empty = tmp_path / "no-voices"
    empty.mkdir()
    client = await aiohttp_client(speech_app(TTS_VOICES_DIR=str(empty)))
    reading = await _reading(client, "Hej på dig. Vi ses kl. 08.00.")
    assert reading["voice"]["fallback"] is True
    response = await client.get(reading["sentences"][1]["audio"]["json"])
    assert response.status == 200, await response.text()
    document = await response.json()
    assert document["words"] == []
    assert document["duration"] > 0.3
    response = await client.get(f"/api/v1/readings/{reading['id']}.vtt")
    assert response.status == 200
    captions = webvtt.from_buffer(io.StringIO(await response.text()))
    assert [c.text for c in captions] == ["Hej på dig.", "Vi ses kl. 08.00."]
    assert all("<" not in c.raw_text for c in captions)
