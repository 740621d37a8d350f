"""Screening: top-1 recall of perturbed UN names against the full OFAC + UN lists, and speed.

    .venv/bin/python bench/screen.py [--names 100000]

Builds a workspace with the full lists (from ../shared/data/sanctions), then screens each
perturbed ("treated") UN name of yente's positives; a hit counts when the top result carries
the untreated name. Then scored pairs/s against nomenklatura's logic-v2 (when installed) on the
pairs that screening the first 3,000 query names scores in full. Then screens `--names` different
names (the lists' names and variants of them, none twice) for names/s, the way `interdict screen
--file` does: spread over one forked process per core (`--single` also runs the batch in one
process and checks the results agree).
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from interdict.api import Interdict
from interdict.intel import matching, screening
from interdict.intel.lists import import_list
from interdict.intel.matching import normalise
from interdict.intel.screening import ScreeningIndex

PAIR_QUERIES = 3_000
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def distinct_queries(index: ScreeningIndex, count: int) -> list[str]:
    """`count` different query names: the lists' own names, then variants of them (a letter
    dropped, parts reversed, a letter doubled), so no query is screened twice and no cache helps."""
    base = sorted({value for c in index.candidates.values() for _, value in c.names})
    rng = random.Random(0)
    out: list[str] = []
    seen: set[str] = set()
    variant = 0
    while len(out) < count:
        for name in base:
            if variant == 0:
                query = name
            elif variant % 3 == 1 and len(name) > 4:
                i = rng.randrange(1, len(name) - 1)
                query = name[:i] + name[i + 1:]
            elif variant % 3 == 2:
                query = " ".join(reversed(name.split())) + ("" if variant < 3 else f" {name[:variant % 5]}")
            else:
                i = rng.randrange(len(name))
                query = name[:i] + name[i] + name[i:]
            if query not in seen:
                seen.add(query)
                out.append(query)
                if len(out) == count:
                    break
        variant += 1
    return out


def scored_pairs_against_logic_v2(index: ScreeningIndex, queries: list[str]) -> None:  # noqa: C901 - one timed protocol, read top to bottom
    """Scored pairs/s on the pairs screening scores in full (each query against the candidates its
    blocking and pre-score leave), for Interdict and for nomenklatura's logic-v2 in this process,
    on the same pairs in the same order. Interdict is timed twice, its per-name caches emptied
    first: with every name new (each query and list name prepared once in the run), and with the
    lists' names prepared beforehand, as in a running service. Word-level caches (and the name
    tables both engines load) are warm for both."""
    try:
        from followthemoney import model
        from nomenklatura.matching import LogicV2
        from nomenklatura.matching.types import ScoringConfig
    except ImportError:
        print("nomenklatura not installed (`pip install nomenklatura`): no scored pairs/s against logic-v2")
        return
    pairs: list[tuple[str, str, str]] = []

    def recording(a: str, b: str, schema: str = "LegalEntity", threshold: float = matching.THRESHOLD) -> matching.Match:
        pairs.append((a, b, schema))
        return matching.compare(a, b, schema, threshold)

    screening.compare = recording  # type: ignore[assignment]
    try:
        for query in queries:
            index.screen(query, limit=10)
    finally:
        screening.compare = matching.compare
    config = ScoringConfig.defaults()
    proxies = []
    for n, (a, b, schema) in enumerate(pairs):
        left, right = model.make_entity(schema), model.make_entity(schema)
        left.id, right.id = f"q{n}", f"c{n}"
        left.add("name", a)
        right.add("name", b)
        proxies.append((left, right))

    def timed(listed_warm: bool) -> float:
        for cache in (matching.prepare, matching.normalise, matching.legal_forms, matching.countries_named):
            cache.cache_clear()
        if listed_warm:  # a screening service: the lists' names prepared by earlier queries
            for _, b, schema in pairs:
                matching.prepare(b, schema)
        gc.collect()
        start = time.perf_counter()
        for a, b, schema in pairs:
            matching.compare(a, b, schema)
        return len(pairs) / (time.perf_counter() - start)

    cold, listed_warm = timed(False), timed(True)
    gc.collect()
    start = time.perf_counter()
    for left, right in proxies:
        LogicV2.compare(left, right, config)
    theirs = len(pairs) / (time.perf_counter() - start)
    print(f"scored pairs/s on the {len(pairs):,} pairs {len(queries):,} queries had scored in full ({len(pairs) / len(queries):.1f} "
          f"a query; matching {'compiled' if matching.NATIVE else 'plain Python'}): logic-v2 {theirs:,.0f}; interdict with every "
          f"name new {cold:,.0f} ({cold / theirs:.1f}x), with the lists' names prepared before (a running service) "
          f"{listed_warm:,.0f} ({listed_warm / theirs:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--single", action="store_true", help="also screen the batch in one process and compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = Interdict.open(tmp, f"sqlite:///{tmp}/s.db")
        node.registry.add_agency("INCB", "INCB", "XUN", False)
        node.registry.add_user("bench", "INCB", ["monitor"])
        s = SHARED / "sanctions"
        import_list(node.workspace.engine, "ofac", [s / "ofac_sdn_csv_2024-05-03/sdn.csv", s / "ofac_alt_add_csv_2026-06/alt.csv"],
                    agency="INCB")
        import_list(node.workspace.engine, "un", [s / "un_sc_consolidated_2024-09-26/consolidated.xml"], agency="INCB")
        start = time.perf_counter()
        index = ScreeningIndex.build(node.workspace.engine, node.as_user("bench").viewer)
        print(f"index: {len(index.candidates):,} entities, built in {time.perf_counter() - start:.1f} s")
        folder = SHARED / "matching/yente_un_positives"
        treated = list(csv.DictReader(open(folder / "positives_un_treated.csv", encoding="utf-8")))
        untreated = list(csv.DictReader(open(folder / "positives_un_untreated.csv", encoding="utf-8")))
        found = absent = 0
        for query, original in zip(treated, untreated):
            hits = index.screen(query["full_name"], schema="Person", limit=1)
            target = normalise(original["full_name"], "Person")
            if hits and any(normalise(v, "Person") == target for _, v in index.candidates[hits[0].id].names):
                found += 1
            elif not any(normalise(v, "Person") == target for c in index.candidates.values() for _, v in c.names):
                absent += 1  # the original is not on the list versions we hold
        print(f"top-1 recall on {len(treated)} perturbed UN names: {found / len(treated):.3f} "
              f"({found} found; {absent} of the misses are not on the list versions held, so recall over the "
              f"findable ones is {found / (len(treated) - absent):.3f})")
        names = distinct_queries(index, args.names)
        scored_pairs_against_logic_v2(index, names[:PAIR_QUERIES])
        queries = [{"name": name} for name in names]
        start = time.perf_counter()
        batch = index.screen_many(queries, limit=10)  # what `interdict screen --file` does: all cores
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"batch screening ({os.cpu_count()} processes): {len(names) / elapsed:,.0f} names/s over {len(names):,} "
              f"names; peak RSS {peak:.0f} MB (parent), {child:.0f} MB (largest worker)")
        if args.single:
            start = time.perf_counter()
            single = index.screen_many(queries, limit=10, workers=1)
            elapsed = time.perf_counter() - start
            same = sum(a == b for a, b in zip(batch, single))
            print(f"one process: {len(names) / elapsed:,.0f} names/s; results identical for {same:,} of {len(names):,} names")


if __name__ == "__main__":
    main()
