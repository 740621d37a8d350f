"""What computing derived records per audience costs (docs/access-control.md): behaviour detection
and screening over the bundled demo data (real AIS samples, CLEAR; case file and demo records),
first with one audience, then with each further agency holding a small RED batch and a RED records
file of its own -- every such agency becomes an audience of its own, computed over (nearly) all the
data again. The peer is the same node with one audience: the old node-wide computation costs that
much whatever the number of agencies. Usage:

    .venv/bin/python bench/detect_audiences.py [--agencies 4] [--runs 3] [--lists]

--lists also imports the OFAC and UN lists (about 16k entities), which makes screening realistic."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from interdict.api import IngestOptions, Interdict, data_path
from interdict.behaviour import engine as detection
from interdict.demo import DEMO_LISTS, ingest_demo_ais, setup_node
from interdict.markings import TLP, Grade, Marking

EXTRA = ("AFP", "JCG", "KCG", "USCG")


def _median(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _private_data(node: Interdict, folder: Path, agency: str, k: int) -> None:
    """A SYNTHETIC RED batch (a few fixes) and a RED records file only `agency` may see."""
    path = folder / f"{agency}.csv"
    path.write_text("mmsi,ts,lat,lon\n" + "".join(f"43100{k}{n:03d},2024-03-01T{n % 24:02d}:00:00Z,30.{n},160.{n}\n"
                                                  for n in range(20)), encoding="utf-8")
    node.ingest_ais(path, IngestOptions(agency=agency, marking=Marking(TLP.RED), grade=Grade("C", "3"), format="table",
                                        mapping={"mmsi": "mmsi", "ts": "ts", "lat": "lat", "lon": "lon"}), screen=False)
    records = folder / f"{agency}.yaml"
    records.write_text(textwrap.dedent(f"""\
        # SYNTHETIC
        dataset: bench-{agency.lower()}-private
        title: "SYNTHETIC private notes of {agency}"
        agency: {agency}
        synthetic: true
        defaults: {{grade: C3, marking: {{tlp: RED}}}}
        sources:
          - {{id: bench-{agency.lower()}-source, title: "SYNTHETIC", kind: agency_report, reliability: C, marking: {{tlp: RED}}}}
        entities:
          - {{id: bench-{agency.lower()}-vessel, schema: Vessel, source: bench-{agency.lower()}-source,
             properties: {{name: "SYNTHETIC PRIVATE {agency}"}}}}
        """), encoding="utf-8")
    node.load(records, screen=False)


def _one_audience(node: Interdict, first: list) -> None:  # type: ignore[type-arg]
    """Detect and save for one audience: the node-wide run of the old design, same steps."""
    from interdict.behaviour import events

    run = detection.detect_audiences(node.tracks, first)
    events.save(node.workspace.engine, {a["audience"]: a["events"] for a in run.audiences}, first, engine_name="local")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=len(EXTRA))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lists", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        node = Interdict.open(folder / "ws")
        setup_node(node)
        node.load_case_file()
        node.load(data_path("demo/synthetic_afp_notes.yaml"), screen=False)
        if args.lists:
            for kind, files, date in DEMO_LISTS:
                node.import_list(kind, [data_path(f) for f in files], agency="INCB", list_date=date, screen=False)
        ingest_demo_ais(node)
        from interdict.intel import watchlist

        rows = []
        for added in range(args.agencies + 1):
            if added:
                _private_data(node, folder, EXTRA[added - 1], added)
            groups = node.tracks.audiences()
            node.detect()  # warm: files cached by the OS, land polygons loaded
            detect_s = _median(args.runs, node.detect)
            # the peer: one node-wide run, what the old design cost whatever the number of agencies
            single_s = _median(args.runs, lambda first=groups[:1]: _one_audience(node, first))
            matches = node.match_audiences()
            node.__dict__.pop("_audience_indexes", None)
            screen_cold = _median(1, node.screen)  # every audience's index built
            screen_warm = _median(args.runs, node.screen)  # indexes cached (as on each ingest)
            screen_one = _median(args.runs, lambda first=matches[:1]: watchlist.refresh(node.workspace.engine, first,
                                                                                   node.screening_index))
            rows.append((len(groups), len(matches), detect_s, single_s, screen_cold, screen_warm, screen_one))
        print(f"demo AIS ({node.detect().positions:,} positions); median of {args.runs} runs; "
              f"lists {'on' if args.lists else 'off'}; peer = one audience (the node-wide computation)")
        print("event audiences | detect s | one audience s | ratio || match audiences | screen s (indexes built) "
              "| screen s (cached) | one audience s | ratio")
        for events_n, matches_n, detect_s, single_s, cold, warm, one in rows:
            print(f"{events_n:>15} | {detect_s:8.2f} | {single_s:14.2f} | {detect_s / single_s:5.2f} || {matches_n:>15} | "
                  f"{cold:24.2f} | {warm:17.2f} | {one:14.2f} | {warm / one:5.2f}")
        last = rows[-1]
        print(f"per added audience: detection +{(last[2] - last[3]) / max(1, last[0] - 1):.2f} s, "
              f"screening +{(last[5] - last[6]) / max(1, last[1] - 1):.2f} s (indexes cached)")
        node.close()


if __name__ == "__main__":
    main()
