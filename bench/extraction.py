"""Main-content extraction quality and speed, next to trafilatura measured in the same run.

Scores ``ttsservice.reading.extract_text`` (the text the service reads aloud,
default options) and ``trafilatura.extract`` (defaults) on the development sets
of ``extraction-bench`` with that folder's own ``score.py``: bag-of-words F1 per
page (mean and median), precision, recall, and pages per second (sequential, one
process; the median over ``--repeat`` runs). Needs the ``bench`` extra
(``pip install -e '.[bench]'``).

    python bench/extraction.py [--repeat 3] [-d aeb] [--limit N] [--bench-dir DIR]

The folder is found through ``--bench-dir``, ``$TTS_SHARED_DIR/extraction-bench`` or a
``shared/extraction-bench`` folder next to the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATASETS = ("aeb", "wcxb-sample")


def find_bench_dir(given: Path | None) -> Path:
    """The extraction-bench folder (holding score.py)."""
    candidates = [given] if given else []
    if os.environ.get("TTS_SHARED_DIR"):
        candidates.append(Path(os.environ["TTS_SHARED_DIR"]) / "extraction-bench")
    candidates += [
        REPO.parent / "shared" / "extraction-bench",
        REPO.parents[1] / "shared" / "extraction-bench",
        Path("/work/shared/extraction-bench"),
    ]
    for candidate in candidates:
        if candidate and (candidate / "score.py").is_file():
            return candidate
    raise SystemExit(
        "extraction-bench not found: give --bench-dir or set TTS_SHARED_DIR "
        f"(looked in {', '.join(str(c) for c in candidates if c)})"
    )


def load_scorer(bench_dir: Path) -> ModuleType:
    """The bench's own score.py, imported from its folder."""
    spec = importlib.util.spec_from_file_location("extraction_bench_score", bench_dir / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def extractors() -> dict[str, Callable[[str], str | None]]:
    """Ours and the baseline."""
    from ttsservice.reading import extract_text

    try:
        import trafilatura
    except ImportError as exc:
        raise SystemExit(f"trafilatura is missing ({exc}); pip install -e '.[bench]'") from None

    def baseline(html: str) -> str | None:
        result: str | None = trafilatura.extract(html)
        return result

    return {"ttsservice": extract_text, "trafilatura": baseline}


def measure(
    scorer: ModuleType,
    name: str,
    fn: Callable[[str], str | None],
    dataset: str,
    bench_dir: Path,
    limit: int | None,
    repeat: int,
) -> dict[str, Any]:
    """Scores and speed of one extractor on one dataset."""
    speeds: list[float] = []
    result: dict[str, Any] = {}
    f1s: list[float] = []
    for _ in range(repeat):
        per_page = io.StringIO()
        result = scorer.evaluate(
            name, fn, dataset, bench_dir, limit, False, per_page, False, "page_type"
        )
        speeds.append(result["pages_per_s"])
        f1s = [json.loads(line)["F1"] for line in per_page.getvalue().splitlines()]
    result["F1_median"] = statistics.median(f1s) if f1s else 0.0
    result["pages_per_s_median"] = statistics.median(speeds)
    return result


def main() -> int:
    """Print F1 and pages/s of ttsservice next to trafilatura."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("-d", "--dataset", action="append", choices=DATASETS, help="default: both")
    parser.add_argument("--limit", type=int, help="first N pages of each dataset only")
    parser.add_argument("--bench-dir", type=Path, help="the extraction-bench folder")
    parser.add_argument("--json", type=Path, help="also write the result rows here (JSON lines)")
    args = parser.parse_args()

    bench_dir = find_bench_dir(args.bench_dir)
    scorer = load_scorer(bench_dir)
    import warnings

    warnings.filterwarnings("ignore")  # trafilatura and lxml talk about odd pages
    rows: list[dict[str, Any]] = []
    print(f"extraction-bench: {bench_dir} (repeat {args.repeat}; sequential, one process)")
    header = f"{'dataset':<12} {'extractor':<12} {'F1 mean':>8} {'F1 med':>7} {'P':>6} {'R':>6}"
    print(header + f" {'pages/s':>8} {'speed x':>8} {'empty':>6}")
    for dataset in args.dataset or DATASETS:
        results = {
            name: measure(scorer, name, fn, dataset, bench_dir, args.limit, args.repeat)
            for name, fn in extractors().items()
        }
        base = results["trafilatura"]["pages_per_s_median"]
        for name, r in results.items():
            ratio = r["pages_per_s_median"] / base if base else float("nan")
            print(
                f"{dataset:<12} {name:<12} {r['F1']:>8.4f} {r['F1_median']:>7.4f} {r['P']:>6.3f} "
                f"{r['R']:>6.3f} {r['pages_per_s_median']:>8.1f} {ratio:>7.2f}x {r['empty']:>6}"
            )
            rows.append(r)
        if dataset == "wcxb-sample":
            for name, r in results.items():
                types = r.get("by_page_type", {})
                print(f"  {name:<12} " + "  ".join(f"{k}={v['F1']:.3f}" for k, v in types.items()))
    if args.json:
        with args.json.open("a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
