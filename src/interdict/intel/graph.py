"""Link analysis over the entity graph a user may see: every entity-valued statement (an owner, a
parent organisation, a person involved in an event, ...) is an edge, built only from statements
that pass the one access decision, so a hidden entity or link is not in the graph at all.

Analysts' "same" judgements (interdict.intel.resolution) the viewer may see are edges too (`sameAs`), so
a path can cross from a case-file record to the sanctions entry it was judged to be.

Relation entities (Ownership, Directorship, UnknownLink, Event, ...) are nodes of their own: a path
from a person to an organisation shows the event or link it runs through, and each edge carries
its statement's property, source, grade and marking.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy import Engine, select

from interdict.access import Viewer, visible
from interdict.errors import NotFound, ValidationError
from interdict.intel.entities import EntityReader
from interdict.markings import Grade, Marking, highest
from interdict.tables import sources, statements


@dataclass
class EntityGraph:
    graph: nx.MultiGraph
    engine: Engine
    viewer: Viewer
    captions: dict[str, str] = field(default_factory=dict)
    schemata: dict[str, str] = field(default_factory=dict)

    def _describe(self, ids: list[str]) -> None:
        """Captions and schemata of the given entities (fetched once, from what the viewer may see)."""
        missing = [i for i in ids if i not in self.captions]
        if missing:
            views = EntityReader(self.engine).entities(self.viewer, missing)
            for entity_id in missing:
                view = views.get(entity_id)
                self.captions[entity_id] = view.caption if view else entity_id
                self.schemata[entity_id] = view.schema if view else None  # type: ignore[assignment]

    def _need(self, entity_id: str) -> None:
        if entity_id not in self.graph:
            raise NotFound(f"no entity {entity_id!r} with links you may see")

    def _edge(self, a: str, b: str) -> list[dict[str, Any]]:
        return [dict(data) for data in self.graph.get_edge_data(a, b).values()]

    def _node(self, entity_id: str) -> dict[str, Any]:
        return {"id": entity_id, "caption": self.captions.get(entity_id, entity_id), "schema": self.schemata.get(entity_id)}

    def path(self, a: str, b: str) -> dict[str, Any]:
        """The shortest path from a to b, each step with the statements that link it."""
        self._need(a)
        self._need(b)
        try:
            nodes: list[str] = list(nx.shortest_path(self.graph, a, b))
        except nx.NetworkXNoPath:
            self._describe([a, b])
            return {"from": self._node(a), "to": self._node(b), "found": False, "steps": [],
                    "text": f"No link you may see connects {self.captions.get(a, a)} and {self.captions.get(b, b)}."}
        self._describe(nodes)
        steps: list[dict[str, Any]] = [{"from": self._node(x), "to": self._node(y), "statements": self._edge(x, y)}
                                       for x, y in itertools.pairwise(nodes)]
        banner = highest(Marking.parse(s["marking"]) for step in steps for s in step["statements"])
        return {"from": self._node(a), "to": self._node(b), "found": True, "length": len(steps), "steps": steps,
                "banner": banner.label, "text": " -> ".join(self.captions.get(n, n) for n in nodes)}

    def neighbours(self, entity_id: str, depth: int = 1) -> dict[str, Any]:
        """Entities within `depth` links, the links among them, and each one's degree centrality
        and community (greedy modularity) within that neighbourhood."""
        self._need(entity_id)
        if depth < 1 or depth > 4:
            raise ValidationError("depth must be 1 to 4", where="--depth")
        ego = nx.ego_graph(self.graph, entity_id, radius=depth)
        self._describe(list(ego))
        distance = nx.single_source_shortest_path_length(ego, entity_id)
        simple = nx.Graph(ego)
        centrality = nx.degree_centrality(simple) if simple.number_of_nodes() > 1 else {entity_id: 0.0}
        communities = nx.algorithms.community.greedy_modularity_communities(simple) if simple.number_of_edges() else [set(ego)]
        community = {n: i for i, members in enumerate(communities) for n in members}
        nodes = [{**self._node(n), "distance": distance[n], "degree_centrality": round(centrality.get(n, 0.0), 4),
                  "community": community.get(n, 0)} for n in sorted(ego, key=lambda n: (distance[n], self.captions.get(n, n)))]
        edges = [{"from": a, "to": b, **data} for a, b, data in ego.edges(data=True)]
        return {"center": self._node(entity_id), "depth": depth, "nodes": nodes, "edges": edges}


def build(engine: Engine, viewer: Viewer) -> EntityGraph:
    """The graph of entity-valued statements the viewer may see."""
    c = statements.c
    live = visible(statements, viewer)
    with engine.connect() as conn:
        rows = conn.execute(select(c.id, c.entity_id, c.prop, c.value, c.agency, c.reliability, c.credibility,
                                   c.tlp, c.releasable_to, c.orcon, c.handling, c.source_id)
                            .where(c.prop_type == "entity", *live)).all()
        source_titles = dict(conn.execute(select(sources.c.id, sources.c.title).where(*visible(sources, viewer))).all())
        # a link to an entity the viewer may not see otherwise is no link: that entity is not a node
        seen = set(conn.execute(select(c.entity_id).where(*live).distinct()).scalars())
    graph = nx.MultiGraph()
    for r in rows:
        if r.value not in seen:
            continue
        graph.add_edge(r.entity_id, r.value, key=r.id, statement=r.id, prop=r.prop, subject=r.entity_id, object=r.value,
                       agency=r.agency, grade=Grade(r.reliability, r.credibility).code, marking=Marking.from_row(r).to_dict(),
                       source=source_titles.get(r.source_id))
    # analysts' "same" judgements join the records of one real-world entity across sources
    from interdict.intel.resolution import list_judgements

    for j in list_judgements(engine, viewer):
        if j["judgement"] == "same":
            graph.add_edge(j["left"], j["right"], key=j["id"], statement=j["id"], prop="sameAs", subject=j["left"],
                           object=j["right"], agency=j["agency"], grade="judgement", marking=j["marking"],
                           source=f"judgement by {j['user']} ({j['agency']}), {j['at'][:10]}" + (f": {j['note']}" if j["note"] else ""))
    return EntityGraph(graph, engine, viewer)
