"""Screening: top-1 recall of perturbed UN names against the full OFAC + UN lists, and speed.

    .venv/bin/python bench/screen.py [--names 100000]

Builds a workspace with the full lists (from ../shared/data/sanctions), then screens each
"treated" UN name of yente's 683 positives (170 have the name perturbed; the other 513 changed
only the birth date or nationality, so their name is the listed one); a hit counts when the top
result carries the untreated name: recall is printed for all and for the 170 perturbed names.
Then 683 SYNTHETIC innocent names (words of different listed persons recombined, none a listed
name) for the false-positive rate at the matching threshold. Then scored pairs/s against
nomenklatura's logic-v2 (when installed), under the same caching, on the pairs that screening
the first 3,000 query names scores in full. Then screens `--names` different
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

import _logic_v2

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


def innocent_names(people: list[dict[str, str]], index: ScreeningIndex, count: int = 683) -> list[str]:
    """SYNTHETIC names of nobody listed: the first word of one listed person's name, the middle word
    of a second and the last word of a third (all three different people), dropped when the words
    are those of any name or alias on the lists. Realistic in form (the same naming cultures as the
    list), so a screener's false-positive rate on them is an honest, demanding figure."""
    words = [p["full_name"].split() for p in people if len(p["full_name"].split()) >= 3]
    listed = {frozenset(normalise(v, "Person").split()) for c in index.candidates.values() for _, v in c.names}
    rng = random.Random(1)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        a, b, c = rng.sample(range(len(words)), 3)
        name = f"{words[a][0]} {words[b][len(words[b]) // 2]} {words[c][-1]}"
        if name in seen or frozenset(normalise(name, "Person").split()) in listed:
            continue
        seen.add(name)
        out.append(name)
    return out


def scored_pairs_against_logic_v2(index: ScreeningIndex, queries: list[str]) -> None:
    """Scored pairs/s on the pairs screening scores in full (each query against the candidates its
    blocking and pre-score leave), for Interdict and nomenklatura's logic-v2 in this process, on
    the same pairs in the same order, under the same caching (bench/_logic_v2.py): logic-v2's
    per-entity caches widened to the size of Interdict's per-name caches, one entity per distinct
    name (so a list name met by many queries is the same cache key, as for Interdict). Two passes,
    each engine alternately: cold (both engines' per-name caches emptied first) and warm (the same
    pairs again, as a running service that has seen the lists' names). Word-level tables are warm
    for both throughout."""
    if not _logic_v2.available():
        print("nomenklatura not installed (`pip install nomenklatura`): no scored pairs/s against logic-v2")
        return
    from nomenklatura.matching import LogicV2
    from nomenklatura.matching.types import ScoringConfig

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
    _logic_v2.widen_caches()
    config = ScoringConfig.defaults()
    proxies = _logic_v2.Proxies()
    entities = [(proxies(schema, a), proxies(schema, b)) for a, b, schema in pairs]

    def ours() -> float:
        gc.collect()
        start = time.perf_counter()
        for a, b, schema in pairs:
            matching.compare(a, b, schema)
        return len(pairs) / (time.perf_counter() - start)

    def theirs() -> float:
        gc.collect()
        start = time.perf_counter()
        for left, right in entities:
            LogicV2.compare(left, right, config)
        return len(pairs) / (time.perf_counter() - start)

    for cache in (matching.prepare, matching.normalise, matching.legal_forms, matching.countries_named):
        cache.cache_clear()
    _logic_v2.clear_caches()
    cold = {"interdict": ours(), "logic-v2": theirs()}
    warm = {"interdict": ours(), "logic-v2": theirs()}
    distinct = len({(a, s) for a, _, s in pairs}) + len({(b, s) for _, b, s in pairs})
    print(f"scored pairs/s on the {len(pairs):,} pairs {len(queries):,} queries had scored in full ({len(pairs) / len(queries):.1f} "
          f"a query, {distinct:,} distinct names; matching {'compiled' if matching.NATIVE else 'plain Python'}; same caching "
          f"for both): cold interdict {cold['interdict']:,.0f} vs logic-v2 {cold['logic-v2']:,.0f} "
          f"({cold['interdict'] / cold['logic-v2']:.1f}x); warm interdict {warm['interdict']:,.0f} vs logic-v2 "
          f"{warm['logic-v2']:,.0f} ({warm['interdict'] / warm['logic-v2']:.1f}x)")


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
        changed = [query["full_name"] != original["full_name"] for query, original in zip(treated, untreated)]
        found_changed = absent_changed = 0
        for query, original, perturbed in zip(treated, untreated, changed):
            hits = index.screen(query["full_name"], schema="Person", limit=1)
            target = normalise(original["full_name"], "Person")
            if hits and any(normalise(v, "Person") == target for _, v in index.candidates[hits[0].id].names):
                found += 1
                found_changed += perturbed
            elif not any(normalise(v, "Person") == target for c in index.candidates.values() for _, v in c.names):
                absent += 1  # the original is not on the list versions we hold
                absent_changed += perturbed
        n_changed = sum(changed)
        print(f"top-1 recall, yente's {len(treated)} UN-list positives ({n_changed} with the name perturbed, "
              f"{len(treated) - n_changed} with only the birth date or nationality changed, i.e. the listed name itself): "
              f"all {found / len(treated):.3f}; **perturbed names {found_changed / n_changed:.3f}** ({found_changed}/{n_changed}); "
              f"{absent} misses ({absent_changed} perturbed) are names not on the list versions held, so over the findable ones "
              f"all {found / (len(treated) - absent):.3f}, perturbed {found_changed / max(n_changed - absent_changed, 1):.3f}")
        innocents = innocent_names(untreated, index)
        alerts = [name for name in innocents
                  if any(hit.score >= matching.THRESHOLD for hit in index.screen(name, schema="Person", limit=1))]
        print(f"false positives: {len(alerts)} of {len(innocents)} innocent names ({len(alerts) / len(innocents):.1%}) get a hit "
              f"at the matching threshold {matching.THRESHOLD} (SYNTHETIC innocents: words of three different listed persons "
              f"recombined, none a listed name; e.g. {', '.join(alerts[:3]) or 'none'})")
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
