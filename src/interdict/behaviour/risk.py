"""Vessel risk, 0-100, from the events a user may see plus context, with every point explained.

Weights live in `data/behaviour/risk.yaml` (points per finding, a cap per kind); a finding whose
evidence has a strength (a gap: how well the data covered the hours around it) weighs its points
times that strength; the score is the sum, capped at 100. Each reason says what was found in plain words and cites its evidence: event
ids, times and places. No black box: the same events and weights always give the same score.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

import yaml

DPRK_MID = "445"


@lru_cache(maxsize=1)
def weights() -> dict[str, dict[str, Any]]:
    from interdict.util import data_path

    return yaml.safe_load(data_path("behaviour/risk.yaml").read_text())


def _where(e: dict[str, Any]) -> str:
    if e.get("lat") is None:
        return ""
    return f" at {abs(e['lat']):.3f}{'N' if e['lat'] >= 0 else 'S'} {abs(e['lon']):.3f}{'E' if e['lon'] >= 0 else 'W'}"


def _when(e: dict[str, Any]) -> str:
    start, end = (e.get("start") or "")[:16].replace("T", " "), (e.get("end") or "")[:16].replace("T", " ")
    return f"{start}–{end}" if start and end and start != end else (start or end)


LOITERING_FULL_POSITIONS = 12  # a slow run of this many fixes or more weighs in full
STRAY_FIX_STRENGTH = 0.3


def source_strength(grade: str | None) -> float:
    """How much a finding from a source of this Admiralty grade (e.g. 'C3') weighs: its reliability
    letter, after `risk.yaml`'s `source_reliability`."""
    table = weights().get("source_reliability", {})
    return float(table.get((grade or "")[:1].upper(), 1.0))


def score(events: list[dict[str, Any]], *, names: dict[int, str] | None = None,  # noqa: C901 - one rule per reason kind, each a branch, read against data/behaviour/risk.yaml
          watchlist: dict[int, list[dict[str, Any]]] | None = None,
          batch_grades: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Scores for every vessel in `events` (and in `watchlist`), highest first. `batch_grades`: the
    Admiralty grade of each AIS batch the events rest on; a finding weighs less when its weakest
    source is graded below B."""
    w = weights()
    grades = batch_grades or {}
    by_vessel: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_vessel[e["mmsi"]].append(e)
        if e.get("other_mmsi"):
            by_vessel[e["other_mmsi"]].append(e)
    for mmsi in (watchlist or {}):
        by_vessel.setdefault(mmsi, [])
    risky = {m for m in by_vessel if str(m).zfill(9).startswith(DPRK_MID)}
    risky |= {e["mmsi"] for e in events if e["type"] == "port_call" and e["details"].get("dprk")}
    out: list[dict[str, Any]] = []
    for mmsi, items in by_vessel.items():
        found: dict[str, list[tuple[str, list[str]] | tuple[str, list[str], float]]] = defaultdict(list)
        if str(mmsi).zfill(9).startswith(DPRK_MID):
            found["dprk_flag"].append((f"MMSI {mmsi} has MID {DPRK_MID} (DPRK)", [f"mmsi:{mmsi}"]))
        for e in items:
            kind, d = e["type"], e["details"]
            cite = [e["id"]]
            graded = [grades[b] for b in e.get("batches", []) if b in grades]
            weakest = min(graded, key=source_strength) if graded else None
            source = source_strength(weakest)
            graded_text = f"; source graded {weakest}" if weakest and source < 1.0 else ""
            if kind == "port_call" and d.get("dprk"):
                found["dprk_port_call"].append((f"{d.get('port')} ({d.get('country')}), {_when(e)}", cite))
            elif kind == "encounter":
                other = e["other_mmsi"] if e["mmsi"] == mmsi else e["mmsi"]
                text = f"with MMSI {other} for {d.get('hours')} h, {_when(e)}{_where(e)}"
                found["encounter_risky" if other in risky else "encounter"].append((text, cite))
            elif kind == "gap" and not d.get("open"):
                # a silence weighs as much as the data's coverage around it: a poorly covered hour proves little
                # and as much as the reception in the cells it fell silent and reappeared in: a ship
                # leaving a coastal receiver's reach goes quiet together with everyone else there
                cells = [v for v in (d.get("cell_reception_start"), d.get("cell_reception_end")) if v is not None]
                strength = min(d.get("reception_start", 1.0), d.get("reception_end", 1.0), *cells)
                coverage = (f"; coverage {d['reception_start']:.0%} / {d['reception_end']:.0%} of the source's busiest hour"
                            if "reception_start" in d else "") + _cell_text(d)
                found["gap_disabling" if d.get("disabling") else "gap"].append(
                    (f"{d.get('hours')} h dark, {_when(e)}{_where(e)}{coverage}{graded_text}", cite, strength * source))
            elif kind == "loitering":
                # a slow run seen in a handful of fixes proves less than one followed fix by fix
                positions = d.get("positions") or LOITERING_FULL_POSITIONS
                few = f" (only {positions} positions)" if positions < LOITERING_FULL_POSITIONS else ""
                found["loitering"].append((f"{d.get('hours')} h at {d.get('mean_speed_kn')} kn, {d.get('shore_nm')} nm offshore, "
                                           f"{_when(e)}{_where(e)}{few}{graded_text}", cite,
                                           min(1.0, positions / LOITERING_FULL_POSITIONS) * source))
            elif kind == "identity_change":
                field = d.get("field")
                if field == "shared_imo":
                    invalid = set(d.get("invalid_mmsis", []))
                    others = [f"{m} (not a valid ship MMSI)" if m in invalid else str(m) for m in d.get("mmsis", []) if m != mmsi]
                    found["shared_imo"].append((f"IMO {d.get('imo')} also used by MMSI {', '.join(others)}", cite))
                    dprk = [m for m in others if str(m).zfill(9).startswith(DPRK_MID)]
                    if dprk and not str(mmsi).zfill(9).startswith(DPRK_MID):
                        found["past_dprk_flag"].append((f"IMO {d.get('imo')} was also transmitted under DPRK MMSI "
                                                        f"{', '.join(map(str, dprk))}", cite))
                elif field == "shared_mmsi" and d.get("alternating"):
                    values = " / ".join(repr(v) for v in d.get("values", [])[:4])
                    found["shared_mmsi"].append((f"its {d['alternating']} alternates between {values} ({d.get('flips')} "
                                                 f"changes back and forth), {_when(e)}", cite))
                elif field == "shared_mmsi":
                    same_second = (f", {d.get('collisions')} pairs of positions up to {d.get('max_distance_km')} km apart in "
                                   "the same second" if d.get("collisions") else "")
                    found["shared_mmsi"].append((f"{d.get('transmitters')} tracks that interleave{same_second}, {_when(e)}",
                                                 cite))
                else:
                    found["identity_change"].append((f"{field} {d.get('before')!r} -> {d.get('after')!r}, {_when(e)}", cite))
            elif kind == "spoofing":
                what = "position on land" if d.get("kind") == "on_land" else f"jump of {d.get('distance_km')} km"
                stray = d.get("stray_fix")
                if stray:  # one fix off the track and straight back: a GPS fault or a stray reception, mostly
                    what += " to or from a single stray fix"
                found["spoofing"].append((f"{what}, {_when(e)}{_where(e)}{graded_text}", cite,
                                          (STRAY_FIX_STRENGTH if stray else 1.0) * source))
        hits = (watchlist or {}).get(mmsi, [])
        by_identifier = {h["entity_id"] for h in hits if h["basis"] != "name"}
        for hit in hits:
            if hit["basis"] == "name" and hit["entity_id"] in by_identifier:
                continue  # the same entry already matched on an identifier: its name adds nothing
            listed = "listed " if hit.get("listed") else ""
            programs = f" [{', '.join(hit['programs'])}]" if hit.get("programs") else ""
            text = (f"{hit['basis']} {hit['query']!r} ~ {listed}{hit.get('schema', 'entity')} {hit.get('caption')!r}"
                    f"{programs} ({'; '.join(hit.get('sources', [])) or 'no source'}; score {hit['score']:.2f})")
            kind = "watchlist" if hit["basis"] != "name" else "watchlist_name"
            if not hit.get("listed"):
                kind = "intel_vessel"
            found[kind].append((text, [f"match:{hit['id']}", f"entity:{hit['entity_id']}"]))
        reasons = []
        total = 0.0
        for kind, cited in found.items():
            rule = w[kind]
            # each finding weighs its points times the strength of its evidence (1 unless it says otherwise)
            raw = sum(rule["points"] * (item[2] if len(item) > 2 else 1.0) for item in cited)
            points = round(min(raw, rule.get("cap", raw)), 1)
            total += points
            evidence = [c for item in cited for c in item[1]]
            details = "; ".join(item[0] for item in cited[:5]) + (f"; and {len(cited) - 5} more" if len(cited) > 5 else "")
            reasons.append({"kind": kind, "weight": points, "count": len(cited),
                            "text": f"{rule['text'][0].upper()}{rule['text'][1:]}: {details}.", "evidence": evidence})
        if not reasons:
            continue
        reasons.sort(key=lambda r: (-r["weight"], r["kind"]))
        out.append({"mmsi": mmsi, "name": (names or {}).get(mmsi), "score": min(100.0, total), "reasons": reasons})
    out.sort(key=lambda r: (-r["score"], r["mmsi"]))
    return out


def _cell_text(details: dict[str, Any]) -> str:
    """How the sea around a silence was heard meanwhile, in words (empty where it was not judged)."""
    parts = []
    for side, where in (("start", "where it fell silent"), ("end", "where it reappeared")):
        share, hours = details.get(f"cell_reception_{side}"), details.get(f"cell_hours_{side}")
        if share is not None and hours:
            parts.append(f"{where} the usual traffic was heard in {round(share * hours)} of {hours} h")
        elif hours:
            parts.append(f"{where} too little traffic to judge")
    return ("; " + ", ".join(parts)) if parts else ""
