"""Name matching quality on the labelled OpenSanctions name_bench pairs, next to logic-v2.

    .venv/bin/python bench/name_bench.py [--threshold 0.80]

Prints precision, recall and F1 for Interdict at the threshold, for logic-v2 (its frozen scores,
threshold 0.7) on the same pairs, and for the Korean-related rows; then pairs/s for both in the
same process when nomenklatura is installed.
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

from interdict.matching import THRESHOLD, compare

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "matching" / "nomenklatura_name_bench"
KOREAN = re.compile(r"korea|\bkp\b|[\uac00-\ud7a3]", re.I)


def prf(pairs):  # type: ignore[no-untyped-def]
    tp = sum(1 for p, t in pairs if p and t)
    fp = sum(1 for p, t in pairs if p and not t)
    fn = sum(1 for p, t in pairs if not p and t)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(pairs)


def load_cases():  # type: ignore[no-untyped-def]
    with open(BENCH / "cases.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    cases = load_cases()
    start = time.perf_counter()
    ours = [(compare(c["name1"], c["name2"], c["schema"], args.threshold).match, c["is_match"] == "true") for c in cases]
    elapsed = time.perf_counter() - start
    korean = [(o, c) for o, c in zip(ours, cases) if KOREAN.search(c["notes"] + c["name1"] + c["name2"])]
    with open(BENCH / "logicv2-frozen.csv", newline="", encoding="utf-8") as handle:
        frozen = [(r["predicted_match"] == "true", r["is_match"] == "true") for r in csv.DictReader(handle)]
    for label, result in (("interdict", prf(ours)), ("interdict, Korean-related rows", prf([o for o, _ in korean])),
                          ("logic-v2 (frozen scores, 0.7)", prf(frozen))):
        p, r, f, n = result
        print(f"{label:<32} n={n:<4} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    ours_rate = len(cases) / elapsed
    print(f"interdict: {ours_rate:,.0f} pairs/s (cold caches)")
    try:
        from followthemoney import model
        from nomenklatura.matching import LogicV2
        from nomenklatura.matching.types import ScoringConfig
    except ImportError:
        print("nomenklatura not installed: `pip install nomenklatura` for the logic-v2 comparison")
        return
    config = ScoringConfig.defaults()

    def entity(schema: str, name: str, n: int):  # type: ignore[no-untyped-def]
        proxy = model.make_entity(schema)
        proxy.id = f"e{n}"
        proxy.add("name", name)
        return proxy

    pairs = [(entity(c["schema"], c["name1"], 2 * n), entity(c["schema"], c["name2"], 2 * n + 1)) for n, c in enumerate(cases)]
    start = time.perf_counter()
    theirs = [LogicV2.compare(a, b, config).score for a, b in pairs]
    their_elapsed = time.perf_counter() - start
    live = [(score >= 0.7, c["is_match"] == "true") for score, c in zip(theirs, cases)]
    p, r, f, n = prf(live)
    print(f"{'logic-v2 (live, 0.7)':<32} n={n:<4} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    their_rate = len(cases) / their_elapsed
    print(f"logic-v2: {their_rate:,.0f} pairs/s; interdict / logic-v2 = {ours_rate / their_rate:.1f}x (first pass, cold)")
    start = time.perf_counter()
    for c in cases:
        compare(c["name1"], c["name2"], c["schema"], args.threshold)
    ours_warm = len(cases) / (time.perf_counter() - start)
    start = time.perf_counter()
    for a, b in pairs:
        LogicV2.compare(a, b, config)
    their_warm = len(cases) / (time.perf_counter() - start)
    print(f"second pass (warm caches): interdict {ours_warm:,.0f} pairs/s, logic-v2 {their_warm:,.0f} pairs/s, "
          f"ratio {ours_warm / their_warm:.1f}x")

if __name__ == "__main__":
    main()
