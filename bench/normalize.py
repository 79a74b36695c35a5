"""How long Swedish normalisation and sentence splitting take for the seed page.

Times ``split_sentences`` plus ``Normalizer.normalize`` of every sentence of
the seed page (tests/data/regionbibliotek-stockholm.txt), the way the speech
path uses them, next to a trivial baseline measured in the same run
(``str.split`` of the same text: the floor for touching every word once).
The target is well under 10 ms per page.

    python bench/normalize.py [--runs 200] [--file PAGE.txt]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = ROOT / "tests" / "data" / "regionbibliotek-stockholm.txt"


def _times_ms(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    """Print median and 95th percentile times, normaliser and baseline side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per figure")
    parser.add_argument("--file", type=Path, default=SEED, help="page text to normalise")
    args = parser.parse_args()

    from ttsservice.swedish import Normalizer, load_default_lexicon, split_sentences

    text = args.file.read_text("utf-8")
    normalizer = Normalizer(load_default_lexicon())

    def page() -> list[str]:
        return [normalizer.normalize(s.text) for s in split_sentences(text)]

    def split_only() -> object:
        return split_sentences(text)

    def whole_text() -> str:
        return normalizer.normalize(text)

    def baseline() -> list[str]:
        return text.split()

    page()  # warm up: compiled patterns, lexicon
    rows = [
        ("split + normalise each sentence", _times_ms(page, args.runs)),
        ("  split_sentences only", _times_ms(split_only, args.runs)),
        ("  normalise whole text at once", _times_ms(whole_text, args.runs)),
        ("baseline: str.split", _times_ms(baseline, args.runs)),
    ]
    sentences = len(split_sentences(text))
    print(f"{args.file.name}: {len(text)} characters, {sentences} sentences, {args.runs} runs")
    print(f"{'':34} {'median ms':>10} {'p95 ms':>10}")
    for name, times in rows:
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:34} {statistics.median(times):10.3f} {p95:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
