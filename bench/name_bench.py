"""Name matching quality on the labelled OpenSanctions name_bench pairs, next to logic-v2.

    .venv/bin/python bench/name_bench.py [--threshold 0.80]

Prints precision, recall and F1 for Interdict at the threshold, for logic-v2 (its frozen scores,
threshold 0.7) on the same pairs, and for the Korean-related rows; then pairs/s for both in the
same process when nomenklatura is installed: a first pass over names neither has seen, and a
second pass with their per-name caches warm. Both engines load rigour's name tables (~5 s, once
per process) before anything is timed. Interdict's matching runs compiled by mypyc when
`scripts/build_native.py` has built it (make does); INTERDICT_PURE_PYTHON=1 times plain Python.
"""

from __future__ import annotations

import argparse
import csv
import gc
import re
import statistics
import time
from pathlib import Path

from interdict.intel.matching import NATIVE, THRESHOLD, compare

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "matching" / "nomenklatura_name_bench"
REPEATS = 5
COPIES = 5
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


def timed(score, pairs) -> float:  # type: ignore[no-untyped-def]
    """Pairs per second of `score` over `pairs` (after a full garbage collection, so neither engine
    pays for the other's garbage)."""
    gc.collect()
    start = time.perf_counter()
    for pair in pairs:
        score(*pair)
    return len(pairs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args()
    cases = load_cases()
    ours = [(compare(c["name1"], c["name2"], c["schema"], args.threshold).match, c["is_match"] == "true") for c in cases]
    korean = [(o, c) for o, c in zip(ours, cases) if KOREAN.search(c["notes"] + c["name1"] + c["name2"])]
    with open(BENCH / "logicv2-frozen.csv", newline="", encoding="utf-8") as handle:
        frozen = [(r["predicted_match"] == "true", r["is_match"] == "true") for r in csv.DictReader(handle)]
    for label, result in (("interdict", prf(ours)), ("interdict, Korean-related rows", prf([o for o, _ in korean])),
                          ("logic-v2 (frozen scores, 0.7)", prf(frozen))):
        p, r, f, n = result
        print(f"{label:<32} n={n:<4} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
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
    theirs = [LogicV2.compare(a, b, config).score for a, b in pairs]
    p, r, f, n = prf([(score >= 0.7, c["is_match"] == "true") for score, c in zip(theirs, cases)])
    print(f"{'logic-v2 (live, 0.7)':<32} n={n:<4} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    # Speed: one-time loading (rigour's name tables, ICU transliterators: seconds) is already done
    # by the quality passes above, so it is charged to neither engine. A first pass runs on new
    # copies of the names (a suffix makes every name unseen by either engine's per-name caches;
    # word-level caches still help both), a second pass repeats them (warm). A pass covers COPIES
    # copies of the 826 pairs (long enough for a steady rate); each is run REPEATS times,
    # alternating the engines, on new copies each time; the median of each is reported.
    print(f"interdict.intel.matching runs {'compiled (mypyc)' if NATIVE else 'as plain Python'}")
    firsts: dict[str, list[float]] = {"interdict": [], "logic-v2": []}
    warms: dict[str, list[float]] = {"interdict": [], "logic-v2": []}
    for repeat in range(REPEATS):
        fresh = [(c["name1"] + f" Q{repeat}{copy}", c["name2"] + f" Q{repeat}{copy}", c["schema"])
                 for copy in "abcde"[:COPIES] for c in cases]
        ours_pairs = [(a, b, schema, args.threshold) for a, b, schema in fresh]
        their_pairs = [(entity(schema, a, 2 * n), entity(schema, b, 2 * n + 1), config) for n, (a, b, schema) in enumerate(fresh)]
        firsts["interdict"].append(timed(compare, ours_pairs))
        firsts["logic-v2"].append(timed(LogicV2.compare, their_pairs))
        warms["interdict"].append(timed(compare, ours_pairs))
        warms["logic-v2"].append(timed(LogicV2.compare, their_pairs))
    for label, runs in (("first pass (names new to both)", firsts), ("second pass (per-name caches warm)", warms)):
        ours_speed, their_speed = statistics.median(runs["interdict"]), statistics.median(runs["logic-v2"])
        print(f"pairs/s, {label}: interdict {ours_speed:,.0f}, logic-v2 {their_speed:,.0f}, ratio {ours_speed / their_speed:.1f}x "
              f"(median of {REPEATS} passes over {COPIES * len(cases):,} pairs; "
              f"interdict {min(runs['interdict']):,.0f}-{max(runs['interdict']):,.0f}, "
              f"logic-v2 {min(runs['logic-v2']):,.0f}-{max(runs['logic-v2']):,.0f})")


if __name__ == "__main__":
    main()
