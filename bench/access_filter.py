"""Cost of the access decision on reads (SYNTHETIC data generated here).

Fills a fresh SQLite workspace with N statements under random markings from five agencies, then
times, in the same process on the same data:
  - a full scan of statements with the visibility filter vs without it;
  - assembling entity views for 2,000 entities (filtered, as every read path does) vs a bare
    SELECT of the same entities' rows.

    .venv/bin/python bench/access_filter.py [--statements 200000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid

from sqlalchemy import func, select

from interdict.access import Viewer, visible_filter
from interdict.api import Interdict
from interdict.markings import TLP, Handling, Marking
from interdict.tables import statements
from interdict.util import utcnow

AGENCIES = {"AFP": "AUS", "JCG": "JPN", "KCG": "KOR", "USCG": "USA", "INCB": "XUN"}


def populate(node: Interdict, n: int, rng: random.Random) -> list[str]:
    for code, country in AGENCIES.items():
        node.registry.add_agency(code, code, country, code != "INCB")
    entities = [f"bench-{i}" for i in range(max(1, n // 5))]
    now = utcnow()
    rows = []
    for i in range(n):
        marking = Marking(
            tlp=rng.choice(list(TLP)),
            releasable_to=frozenset(rng.sample(sorted(AGENCIES) + ["AUS", "JPN"], rng.randint(0, 2))),
            orcon=rng.random() < 0.1,
            handling=rng.choice([None, None, *Handling]),
        )
        rows.append({"id": str(uuid.uuid4()), "agency": rng.choice(sorted(AGENCIES)), "dataset": "bench",
                     "created_at": now, "updated_at": now, "version": 1, "entity_id": rng.choice(entities),
                     "schema": "Vessel", "prop": "name", "prop_type": "name", "value": f"Vessel {i}",
                     "source_id": None, "reliability": "B", "credibility": "2", **marking.columns()})
        if len(rows) == 20_000:
            with node.workspace.engine.begin() as conn:
                conn.execute(statements.insert(), rows)
            rows = []
    if rows:
        with node.workspace.engine.begin() as conn:
            conn.execute(statements.insert(), rows)
    return entities


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as home:
        node = Interdict.open(home, f"sqlite:///{home}/bench.db")
        entities = populate(node, args.statements, rng)
        viewer = Viewer("jcg.bench", "JCG", "JPN", True)
        engine = node.workspace.engine

        def scan(filtered: bool):
            def run():
                with engine.connect() as conn:
                    q = select(func.count(statements.c.tlp))  # both variants read every row
                    if filtered:
                        q = q.where(visible_filter(statements, viewer))
                    return conn.execute(q).scalar()
            return run

        sample = rng.sample(entities, min(2000, len(entities)))

        def views():
            with engine.connect() as conn:
                return node.reader._views(conn, viewer, sample)

        def bare_rows():
            with engine.connect() as conn:
                return conn.execute(select(statements).where(statements.c.entity_id.in_(sample))).all()

        visible = scan(True)()
        t_filtered, t_bare = best_of(scan(True)), best_of(scan(False))
        t_views, t_rows = best_of(views, 3), best_of(bare_rows, 3)
        print(f"statements: {args.statements:,}; visible to JCG: {visible:,}")
        print(f"full scan      filtered {args.statements / t_filtered:>12,.0f} rows/s   "
              f"unfiltered {args.statements / t_bare:>12,.0f} rows/s   ratio {t_filtered / t_bare:.2f}x time")
        print(f"2,000 entities views     {t_views * 1000:>9.1f} ms          "
              f"bare SELECT {t_rows * 1000:>9.1f} ms          ratio {t_views / t_rows:.2f}x time")
        node.close()


if __name__ == "__main__":
    main()
