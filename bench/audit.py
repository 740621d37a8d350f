"""Cost of the audit log: entity reads per second with and without logging each read.

    .venv/bin/python bench/audit.py --home DEMO [--reads 2000] [--database-url postgresql+psycopg://...]

`--home`: a demo workspace (`interdict demo --no-serve`), copied to a temporary folder first (the
audited runs append to the copy's log). With `--database-url`, the copy's database is that
PostgreSQL database instead (the demo is built there first: about a minute). Each read is what an
entity page does first: a fresh user session (one per request), the entity read through the
access filter (cached per data version, as in the server) and, when audited, its entry written
in its own transaction before the answer leaves. The unaudited peer is the same code with the
logging step replaced by nothing, in the same process, over the same entities, users and order;
both warmed up first, best of three rounds each, rounds alternating. Prints reads/s of both and
the ratio (target: audited >= 0.8 x unaudited), then whether the log verifies.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from interdict.api import Interdict, UserSession
from interdict.errors import NotFound
from interdict.tables import statements

USERS = ("jcg.watch", "afp.analyst", "kcg.analyst", "uscg.watch", "incb.monitor")


def run(node: Interdict, plan: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for username, entity_id in plan:
        node.as_user(username, path="web").entity(entity_id)
    return len(plan) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        if args.database_url:
            binary = str(Path(sys.executable).parent / "interdict")
            subprocess.run([binary, "--home", str(home), "--database-url", args.database_url, "demo", "--no-serve", "--json"],
                           check=True, capture_output=True)
        else:
            shutil.copytree(args.home, home)
        node = Interdict.open(home, args.database_url)
        node.ensure_identity()
        with node.workspace.engine.connect() as conn:  # the case file, the demo records and some list entries
            ids = sorted(set(conn.execute(select(statements.c.entity_id).distinct().limit(400)).scalars()))
        rng = random.Random(7)
        plan = [(rng.choice(USERS), rng.choice(ids)) for _ in range(args.reads)]
        visible = [(u, e) for u, e in plan if _visible(node, u, e)]
        audited_read = UserSession._audit
        results: dict[str, list[float]] = {"audited": [], "unaudited": []}
        for round_ in range(4):  # the first round of each warms the caches and is not counted
            for kind in ("unaudited", "audited"):
                UserSession._audit = audited_read if kind == "audited" else (lambda self, *a, **k: None)  # type: ignore[method-assign]
                rate = run(node, visible)
                if round_:
                    results[kind].append(rate)
        UserSession._audit = audited_read  # type: ignore[method-assign]
        best = {k: max(v) for k, v in results.items()}
        backend = node.workspace.backend
        print(f"{backend}: {len(visible):,} entity reads a round ({len(set(e for _, e in visible))} entities, {len(USERS)} users)")
        print(f"  unaudited {best['unaudited']:,.0f} reads/s, audited {best['audited']:,.0f} reads/s: "
              f"ratio {best['audited'] / best['unaudited']:.2f} (target >= 0.8)")
        node.audit_checkpoint(force=True)
        result = node.audit_verify()
        print(f"  log: {result['entries']:,} entries, {result['checkpoints']} checkpoints, verify {'ok' if result['ok'] else result['problem']}")
        node.close()


def _visible(node: Interdict, username: str, entity_id: str) -> bool:
    me = node.as_user(username)
    try:
        with me.unshown():
            me.entity(entity_id)
        return True
    except NotFound:  # hidden from this user: not part of the plan
        return False


if __name__ == "__main__":
    main()
