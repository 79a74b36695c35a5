"""Main-content extraction quality and speed, next to trafilatura measured in the same run.

Scores ``ttsservice.reading.extract_text`` (the text the service reads aloud,
default options) and ``trafilatura.extract`` (defaults) on the development sets
of ``extraction-bench`` with that folder's own ``score.py``: bag-of-words F1 per
page (mean and median), precision, recall, and pages per second (sequential, one
process; the median over ``--repeat`` runs), then F1 per page type of
wcxb-sample (article, collection, documentation, forum, listing, product,
service) and of aeb, ours next to trafilatura, with the number of empty outputs
of each (and of those, the pages whose ground truth has text: read as silence).
Writes all figures, with the ids of the pages read as silence, to
``bench/out/extraction.json``. Needs the ``bench`` extra
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
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATASETS = ("aeb", "wcxb-sample")
OUT = REPO / "bench" / "out"
_WORD = re.compile(r"\w")


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


def ground_truth_has_text(scorer: ModuleType, dataset: str, bench_dir: Path) -> dict[str, bool]:
    """Page id -> whether the page's ground truth holds any word."""
    loader = scorer.DATASETS[dataset][0]
    return {page["id"]: bool(_WORD.search(page["text"] or "")) for page in loader(bench_dir)}


def measure(
    scorer: ModuleType,
    name: str,
    fn: Callable[[str], str | None],
    dataset: str,
    bench_dir: Path,
    limit: int | None,
    repeat: int,
    has_text: dict[str, bool],
) -> dict[str, Any]:
    """Scores, empty outputs and speed of one extractor on one dataset, overall and per group
    (the page type on wcxb-sample; aeb is one group of articles)."""
    speeds: list[float] = []
    result: dict[str, Any] = {}
    pages: list[dict[str, Any]] = []
    for _ in range(repeat):
        per_page = io.StringIO()
        result = scorer.evaluate(
            name, fn, dataset, bench_dir, limit, False, per_page, True, "page_type"
        )
        speeds.append(result["pages_per_s"])
        pages = [json.loads(line) for line in per_page.getvalue().splitlines()]
    result["F1_median"] = statistics.median(p["F1"] for p in pages) if pages else 0.0
    result["pages_per_s_median"] = statistics.median(speeds)
    groups: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        group = "aeb" if dataset == "aeb" else page["page_type"]
        groups.setdefault(group, []).append(page)
    result["groups"] = {
        group: _group_figures(members, has_text) for group, members in sorted(groups.items())
    }
    result["overall"] = _group_figures(pages, has_text)
    result.pop("by_page_type", None)
    return result


def _group_figures(pages: list[dict[str, Any]], has_text: dict[str, bool]) -> dict[str, Any]:
    empty = [p["id"] for p in pages if not _WORD.search(p.get("text") or "")]
    return {
        "n": len(pages),
        "F1": statistics.mean(p["F1"] for p in pages) if pages else 0.0,
        "empty": len(empty),
        "empty_where_truth_has_text": sorted(i for i in empty if has_text.get(i, True)),
    }


def main() -> int:
    """Print F1 per page type, empty outputs and pages/s of ttsservice next to trafilatura."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("-d", "--dataset", action="append", choices=DATASETS, help="default: both")
    parser.add_argument("--limit", type=int, help="first N pages of each dataset only")
    parser.add_argument("--bench-dir", type=Path, help="the extraction-bench folder")
    parser.add_argument("--json", type=Path, help="also append the result rows here (JSON lines)")
    parser.add_argument(
        "--out", type=Path, default=OUT / "extraction.json", help="JSON output of all figures"
    )
    args = parser.parse_args()

    bench_dir = find_bench_dir(args.bench_dir)
    scorer = load_scorer(bench_dir)
    import warnings

    warnings.filterwarnings("ignore")  # trafilatura and lxml talk about odd pages
    rows: list[dict[str, Any]] = []
    print(f"extraction-bench: {bench_dir} (repeat {args.repeat}; sequential, one process)")
    header = f"{'dataset':<12} {'extractor':<12} {'F1 mean':>8} {'F1 med':>7} {'P':>6} {'R':>6}"
    print(header + f" {'pages/s':>8} {'speed x':>8} {'empty':>6}")
    by_group: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    for dataset in args.dataset or DATASETS:
        has_text = ground_truth_has_text(scorer, dataset, bench_dir)
        results = {
            name: measure(scorer, name, fn, dataset, bench_dir, args.limit, args.repeat, has_text)
            for name, fn in extractors().items()
        }
        base = results["trafilatura"]["pages_per_s_median"]
        for name, r in results.items():
            ratio = r["pages_per_s_median"] / base if base else float("nan")
            r["speed_vs_trafilatura"] = ratio
            print(
                f"{dataset:<12} {name:<12} {r['F1']:>8.4f} {r['F1_median']:>7.4f} {r['P']:>6.3f} "
                f"{r['R']:>6.3f} {r['pages_per_s_median']:>8.1f} {ratio:>7.2f}x {r['empty']:>6}"
            )
            rows.append(r)
        ours, theirs = results["ttsservice"], results["trafilatura"]
        groups = ours["groups"] if dataset == "wcxb-sample" else {}
        for group in [*groups, "aeb" if dataset == "aeb" else "all"]:
            mine = ours["groups"].get(group) or ours["overall"]
            other = theirs["groups"].get(group) or theirs["overall"]
            by_group.append((dataset, group, mine, other))
    print()
    print("F1 by page type, ours next to trafilatura (same run); empty outputs, and in brackets")
    print("those where the ground truth has text")
    print(
        f"{'dataset':<12} {'page type':<14} {'n':>4} {'ours F1':>8} {'traf F1':>8} "
        f"{'ours empty':>11} {'traf empty':>11}"
    )
    for dataset, group, mine, other in by_group:
        print(
            f"{dataset:<12} {group:<14} {mine['n']:>4} {mine['F1']:>8.4f} {other['F1']:>8.4f} "
            f"{_empties(mine):>11} {_empties(other):>11}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    if args.json:
        with args.json.open("a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def _empties(figures: dict[str, Any]) -> str:
    return f"{figures['empty']} ({len(figures['empty_where_truth_has_text'])})"


if __name__ == "__main__":
    raise SystemExit(main())
