"""Name matching quality on labelled pairs never used for tuning, next to logic-v2; and speed.

    .venv/bin/python bench/name_bench.py [--threshold 0.80] [--write-list-pairs FILE] [--quality-only]

Quality, for Interdict at the threshold and for nomenklatura's logic-v2 at 0.7 (live in the same
process when installed; its frozen scores otherwise), on two labelled sets split by
`interdict.intel.evaluation.held_out` (a fixed hash of schema|name1|name2, about half each):

1. OpenSanctions' name_bench (826 pairs): the **held-out half** is the headline; the tuning half
   (the rows rules and tests may be drawn from) is printed beside it. The matcher's rules were
   written in sessions 1-6 looking at all 826 rows, before the split existed, so the held-out half
   is not a clean held-out for those rules, only for changes made since.
2. Pairs built from the real OFAC and UN lists (`evaluation.list_pairs`: primary names against their
   spelling aliases and original-script names, one entity's names on both lists, and hard negatives
   between different listed entries with similar names), per category; never used for tuning
   before the split, so its held-out half is the cleanest figure here.

Speed (when nomenklatura is installed): pairs/s over 5 copies of name_bench's pairs, each pass run
5 times alternating the engines, median reported. Like for like: logic-v2's per-entity caches are
widened to the size of Interdict's per-name caches (200,000) and it gets one entity per distinct
name (bench/_logic_v2.py), so both can reuse work on a name they have seen. First pass: names new
to both (a suffix makes them unseen); second pass: the same pairs again, both warm. Both engines'
one-time loading (rigour's name tables, ICU transliterators) is done before anything is timed.
Interdict's matching runs compiled by mypyc when `scripts/build_native.py` has built it (make does);
INTERDICT_PURE_PYTHON=1 times plain Python.
"""

from __future__ import annotations

import argparse
import csv
import gc
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import _logic_v2

from interdict.intel.evaluation import Pair, list_pairs, name_bench_pairs, scores, write_pairs
from interdict.intel.lists import parse_ofac, parse_un
from interdict.intel.matching import NATIVE, THRESHOLD, compare

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BENCH = SHARED / "matching" / "nomenklatura_name_bench"
SANCTIONS = SHARED / "sanctions"
REPEATS = 5
COPIES = 5
KOREAN = re.compile(r"korea|\bkp\b|[\uac00-\ud7a3]", re.I)


def line(label: str, result: dict[str, float]) -> str:
    if not result["tp"] + result["fn"]:  # negatives only: the false-positive rate is what there is to say
        return f"  {label:<52} n={result['n']:<4} false positives {result['fp']} ({result['fp'] / result['n']:.1%})"
    return (f"  {label:<52} n={result['n']:<4} precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
            f"F1 {result['f1']:.3f}  (fp {result['fp']}, fn {result['fn']})")


def report(title: str, pairs: list[Pair], engines: dict[str, Callable[[Pair], bool]], groups: dict[str, Callable[[Pair], bool]]) -> None:
    print(title)
    predicted = {name: [engine(p) for p in pairs] for name, engine in engines.items()}
    for group, member in groups.items():
        for name in engines:
            chosen = [(guess, p.is_match) for guess, p in zip(predicted[name], pairs) if member(p)]
            if chosen:
                print(line(f"{group}: {name}", scores(chosen)))


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
    parser.add_argument("--write-list-pairs", type=Path, help="also write the list-built labelled pairs as CSV")
    parser.add_argument("--quality-only", action="store_true", help="skip the speed passes")
    args = parser.parse_args()
    bench = name_bench_pairs(BENCH / "cases.csv")
    ofac = parse_ofac(SANCTIONS / "ofac_sdn_csv_2024-05-03/sdn.csv", SANCTIONS / "ofac_alt_add_csv_2026-06/alt.csv")
    un, _ = parse_un(SANCTIONS / "un_sc_consolidated_2024-09-26/consolidated.xml")
    listed = list_pairs(ofac, un)
    if args.write_list_pairs:
        write_pairs(listed, args.write_list_pairs)
    engines: dict[str, Callable[[Pair], bool]] = {
        "interdict": lambda p: compare(p.name1, p.name2, p.schema, args.threshold).match}
    live = _logic_v2.available()
    if live:
        from nomenklatura.matching import LogicV2
        from nomenklatura.matching.types import ScoringConfig

        _logic_v2.widen_caches()
        config = ScoringConfig.defaults()
        proxies = _logic_v2.Proxies()
        engines["logic-v2 (0.7)"] = lambda p: LogicV2.compare(proxies(p.schema, p.name1), proxies(p.schema, p.name2), config).score >= 0.7
    else:
        print("nomenklatura not installed (`pip install nomenklatura`): logic-v2 from its frozen scores on name_bench only")
    report("name_bench (OpenSanctions, 826 labelled pairs)", bench, engines, {
        "HELD-OUT half": lambda p: p.held_out, "tuning half": lambda p: not p.held_out,
        "held-out, Korean-related": lambda p: p.held_out and bool(KOREAN.search(p.notes + p.name1 + p.name2)),
        "all rows": lambda p: True})
    if not live:
        frozen = {}
        with open(BENCH / "logicv2-frozen.csv", newline="", encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                frozen[(r["schema"], r["name1"], r["name2"])] = r["predicted_match"] == "true"
        chosen = [(frozen[(p.schema, p.name1, p.name2)], p.is_match) for p in bench if p.held_out and (p.schema, p.name1, p.name2) in frozen]
        print(line("HELD-OUT half: logic-v2 (frozen scores, 0.7)", scores(chosen)))
    groups: dict[str, Callable[[Pair], bool]] = {"HELD-OUT half": lambda p: p.held_out, "tuning half": lambda p: not p.held_out}
    for category in ("alias", "original script", "both lists", "similar, different entries"):
        groups[f"held-out, {category}"] = lambda p, c=category: p.held_out and p.category == c  # type: ignore[misc]
    positives = sum(p.is_match for p in listed)
    report(f"pairs built from the OFAC and UN lists ({len(listed):,}: {positives} same entity, {len(listed) - positives} different)",
           listed, engines, groups)
    if not live or args.quality_only:
        return
    # Speed. A pass covers COPIES copies of the 826 pairs (long enough for a steady rate); each is
    # run REPEATS times, alternating the engines, on new copies each time.
    print(f"interdict.intel.matching runs {'compiled (mypyc)' if NATIVE else 'as plain Python'}; "
          f"logic-v2 caches widened to {_logic_v2.ROOM:,} entries, one entity per distinct name")
    firsts: dict[str, list[float]] = {"interdict": [], "logic-v2": []}
    warms: dict[str, list[float]] = {"interdict": [], "logic-v2": []}
    for repeat in range(REPEATS):
        fresh = [(p.name1 + f" Q{repeat}{copy}", p.name2 + f" Q{repeat}{copy}", p.schema)
                 for copy in "abcde"[:COPIES] for p in bench]
        ours_pairs = [(a, b, schema, args.threshold) for a, b, schema in fresh]
        their_pairs = [(proxies(schema, a), proxies(schema, b), config) for a, b, schema in fresh]
        firsts["interdict"].append(timed(compare, ours_pairs))
        firsts["logic-v2"].append(timed(LogicV2.compare, their_pairs))
        warms["interdict"].append(timed(compare, ours_pairs))
        warms["logic-v2"].append(timed(LogicV2.compare, their_pairs))
    for label, runs in (("first pass (names new to both)", firsts), ("second pass (both engines' per-name caches warm)", warms)):
        ours_speed, their_speed = statistics.median(runs["interdict"]), statistics.median(runs["logic-v2"])
        print(f"pairs/s, {label}: interdict {ours_speed:,.0f}, logic-v2 {their_speed:,.0f}, ratio {ours_speed / their_speed:.1f}x "
              f"(median of {REPEATS} passes over {COPIES * len(bench):,} pairs; "
              f"interdict {min(runs['interdict']):,.0f}-{max(runs['interdict']):,.0f}, "
              f"logic-v2 {min(runs['logic-v2']):,.0f}-{max(runs['logic-v2']):,.0f})")


if __name__ == "__main__":
    main()
