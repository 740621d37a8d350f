"""The trafficking-route network: directed country -> country links by drug and year, from the
UNODC Individual Drug Seizures-derived edge lists (`ids_network_2006_2017/`, departure ->
destination) and from seizure records that name departure, transit and destination countries."""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from interdict.errors import ValidationError
from interdict.monitoring.codes import countries

IDS_FOLDER = "monitoring/ids_network_2006_2017"
_EDGE_FILE = re.compile(r"^(?P<drug>[A-Za-z]+)_edges_(?P<year>\d{4})\.csv$")


@dataclass
class RouteSet:
    edges: list[dict[str, Any]] = field(default_factory=list)  # drug, year, from, to, source
    unresolved: Counter[str] = field(default_factory=Counter)  # country names with no ISO code

    def graph(self, drug: str | None = None) -> nx.DiGraph:
        graph = nx.DiGraph()
        for e in self.edges:
            if drug and e["drug"].lower() != drug.lower():
                continue
            if graph.has_edge(e["from"], e["to"]):
                graph[e["from"]][e["to"]]["years"].add(e["year"])
            else:
                graph.add_edge(e["from"], e["to"], years={e["year"]}, source=e["source"])
        return graph

    def country(self, code: str) -> list[dict[str, Any]]:
        """Per drug: who sends to this country and who receives from it, with years and the
        country's betweenness (how often it lies on shortest routes: a transit hub scores high)."""
        out = []
        for drug in sorted({e["drug"] for e in self.edges}):
            graph = self.graph(drug)
            if code not in graph:
                continue
            between = nx.betweenness_centrality(graph)
            out.append({
                "drug": drug,
                "from": sorted(({"country": u, "years": sorted(d["years"])} for u, _, d in graph.in_edges(code, data=True)),
                               key=lambda x: (-len(x["years"]), x["country"])),
                "to": sorted(({"country": v, "years": sorted(d["years"])} for _, v, d in graph.out_edges(code, data=True)),
                             key=lambda x: (-len(x["years"]), x["country"])),
                "betweenness": between.get(code, 0.0),
                "rank": sorted(between, key=lambda k: -between[k]).index(code) + 1,
                "countries": graph.number_of_nodes(),
            })
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"edges": len(self.edges), "unresolved": dict(self.unresolved)}


def load_ids_network(folder: Path) -> RouteSet:
    """Yearly edge files `<Drug>_edges_<year>.csv` (columns: index, to, from)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("no such folder", where=str(folder))
    routes = RouteSet()
    table = countries()
    for path in sorted(folder.iterdir()):
        match = _EDGE_FILE.match(path.name)
        if not match:
            continue
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                ends = []
                for name in (row["from"], row["to"]):
                    try:
                        ends.append(table.resolve(name, where="route"))
                    except ValidationError:
                        routes.unresolved[name] += 1
                if len(ends) == 2 and ends[0] != ends[1]:
                    routes.edges.append({"drug": match["drug"], "year": int(match["year"]), "from": ends[0], "to": ends[1],
                                         "source": f"UNODC IDS via {path.name}"})
    return routes


def from_records(records: Iterable[dict[str, Any]]) -> RouteSet:
    """Links named by seizure records: departure -> transit... -> destination (or the seizing
    country when no destination is given)."""
    routes = RouteSet()
    for r in records:
        if r.get("kind") != "seizure" or not r.get("departure_country"):
            continue
        chain = [r["departure_country"], *filter(None, (r.get("transit_countries") or "").split(",")),
                 r.get("destination_country") or r["country"]]
        for a, b in itertools.pairwise(chain):
            if a != b:
                routes.edges.append({"drug": r.get("drug") or r.get("drug_group") or "unknown", "year": r["year"],
                                     "from": a, "to": b, "source": r.get("source_row") or r.get("dataset")})
    return routes


def merged(*sets: RouteSet) -> RouteSet:
    out = RouteSet()
    for s in sets:
        out.edges.extend(s.edges)
        out.unresolved.update(s.unresolved)
    return out
