"""Screening names and identifiers against everything the user may see (lists, case file,
agency records), through a blocking index: a query is compared only with entities that share a
name token or a Korean romanisation key with it, never with all of them.

The index is built from statements that pass the one access decision for the viewer, so a
screening result never rests on a statement the user may not see.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from followthemoney import model
from rapidfuzz import fuzz, process
from sqlalchemy import Engine, select

from interdict.access import Viewer, visible
from interdict.errors import ValidationError
from interdict.intel.matching import PERSON_SCHEMATA, WEAK_TOKENS, compare, korean_key, looks_korean, name_symbols, normalise
from interdict.tables import sources, statements

NAME_PROPS = ("name", "alias", "weakAlias", "previousName")
IDENTIFIER_PROPS = ("imoNumber", "mmsi", "callSign", "registrationNumber", "idNumber", "passportNumber")
MAX_POSTING = 5000  # a token shared by more entities than this is too common to block on
CANDIDATES = 30    # pre-scored per query
FULL_COMPARISONS = 8
MIN_FULL_COMPARISONS = 3
PRESCORE_MARGIN = 20  # pre-score points below the best beyond which no full comparison is made
PARALLEL_FROM = 2000  # queries: below this a batch is screened in this process
_FORKED_INDEX: ScreeningIndex | None = None  # the index a forked batch worker screens against
IMO = re.compile(r"^(?:IMO)?\s*(\d{7})$", re.I)
MMSI = re.compile(r"^\d{9}$")


@dataclass
class Candidate:
    entity_id: str
    schema: str
    names: list[tuple[str, str]] = field(default_factory=list)  # (prop, value)
    programs: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    listed: bool = False  # on a sanctions list (topic 'sanction')
    evidence: dict[str, list[str]] = field(default_factory=dict)  # value -> ids of the statements saying it


@dataclass(frozen=True)
class Hit:
    id: str
    name: str
    schema: str
    score: float
    matched_name: str
    source: str
    programs: list[str]
    explanation: str
    basis: str = "name"  # name | imo | mmsi | callsign | ... (what matched)
    statements: tuple[str, ...] = ()  # ids of the statements of the matched value
    listed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "schema": self.schema, "score": round(self.score, 4),
                "matched_name": self.matched_name, "source": self.source, "programs": self.programs,
                "explanation": self.explanation}


LIST_SOURCE_KIND = "dataset"  # the kind of the source a list import writes (interdict.intel.lists)


def _keys(name: str, schema: str) -> set[str]:
    tokens = [t for t in re.split(r"[\s\-]+", normalise(name, schema)) if t and t not in WEAK_TOKENS]
    keys = set(tokens)
    keys.update(f"k:{korean_key(t)}" for t in tokens)
    keys.update(f"a:{''.join(sorted(t))}" for t in tokens if len(t) >= 4)  # transposed letters: afiz ~ faiz
    if len(tokens) > 1:  # 'jong un' and 'jongun' block together
        keys.add("".join(tokens))
    return keys


class ScreeningIndex:
    def __init__(self, candidates: dict[str, Candidate], identifiers: dict[str, set[str]], source_titles: dict[str, str],
                 source_kinds: dict[str, str] | None = None) -> None:
        self.candidates = candidates
        self.identifiers = identifiers
        self.source_titles = source_titles
        self.source_kinds = source_kinds or {}  # source id -> kind ("dataset": an imported list)
        self.postings: dict[str, set[str]] = defaultdict(set)
        self.normalised: dict[str, list[str]] = {}  # entity id -> its names, normalised for its schema
        self.sorted_words: dict[str, list[str]] = {}  # the same with their words in sorted order
        self.pairs_of: dict[str, list[tuple[str, str]]] = {}  # entity id -> (entity id, name) for each name
        for candidate in candidates.values():
            self.pairs_of[candidate.entity_id] = [(candidate.entity_id, value) for _, value in candidate.names]
            own = "Person" if model[candidate.schema].is_a("Person") else candidate.schema
            self.normalised[candidate.entity_id] = [normalise(value, own) for _, value in candidate.names]
            # words sorted once here: token_sort_ratio per query is then a plain ratio
            self.sorted_words[candidate.entity_id] = [" ".join(sorted(n.split())) for n in self.normalised[candidate.entity_id]]
            for _, value in candidate.names:
                for key in _keys(value, candidate.schema):
                    self.postings[key].add(candidate.entity_id)
        # the same postings as arrays of entity numbers, for vectorised candidate weighting
        self.entity_ids = list(candidates)
        number = {e: i for i, e in enumerate(self.entity_ids)}
        self.posting_arrays = {k: np.fromiter((number[e] for e in v), dtype=np.int32, count=len(v))
                               for k, v in self.postings.items()}

    @classmethod
    def build(cls, engine: Engine, viewer: Viewer | None) -> ScreeningIndex:
        """The index of what `viewer` may see. `viewer=None` indexes the whole node: only for
        derived matches (interdict.intel.watchlist), which are filtered by the access rule when read."""
        candidates: dict[str, Candidate] = {}
        identifiers: dict[str, set[str]] = defaultdict(set)
        wanted = NAME_PROPS + IDENTIFIER_PROPS + ("program", "country", "nationality", "flag", "jurisdiction", "topics")
        shown = visible(statements, viewer) if viewer is not None else (statements.c.retracted_at.is_(None),)
        with engine.connect() as conn:
            rows = conn.execute(
                select(statements.c.entity_id, statements.c.schema, statements.c.prop, statements.c.value,
                       statements.c.source_id, statements.c.id)
                .where(statements.c.prop.in_(wanted), *shown)
            )
            for entity_id, schema, prop, value, source_id, statement_id in rows:
                candidate = candidates.get(entity_id)
                if candidate is None:
                    candidate = candidates[entity_id] = Candidate(entity_id, schema)
                elif schema != candidate.schema:
                    with contextlib.suppress(Exception):
                        candidate.schema = model.common_schema(candidate.schema, schema).name
                if prop in NAME_PROPS:
                    if value not in candidate.evidence:
                        candidate.names.append((prop, value))
                    candidate.evidence.setdefault(value, []).append(statement_id)
                elif prop in IDENTIFIER_PROPS:
                    key = _identifier_key(value)
                    identifiers[key].add(entity_id)
                    candidate.evidence.setdefault(f"{prop}:{key}", []).append(statement_id)
                elif prop == "topics":
                    candidate.listed = candidate.listed or value == "sanction"
                elif prop == "program":
                    candidate.programs.add(value)
                else:
                    candidate.countries.add(value)
                if source_id:
                    candidate.sources.add(source_id)
            found = conn.execute(select(sources.c.id, sources.c.title, sources.c.kind)
                                 .where(*(visible(sources, viewer) if viewer is not None else ()))).all()
            titles = {r.id: r.title for r in found}
            kinds = {r.id: r.kind for r in found}
        # entities without a name (links, sanctions) are not screening targets
        identified = set().union(*identifiers.values()) if identifiers else set()
        named = {k: v for k, v in candidates.items() if v.names or k in identified}
        return cls(named, identifiers, titles, kinds)

    def from_lists_only(self, candidate: Candidate) -> bool:
        """An entry of imported lists only (OFAC, UN, an FtM dataset): no agency's own record of it."""
        return bool(candidate.sources) and all(self.source_kinds.get(s) == LIST_SOURCE_KIND for s in candidate.sources)

    def screen(self, query: str, *, schema: str | None = None, country: str | None = None, limit: int = 10,  # noqa: C901 - the screening pipeline's stages share the candidate set
               threshold: float = 0.0) -> list[Hit]:
        query = query.strip()
        if not query:
            return []
        hits: dict[str, Hit] = {}
        identifier = _identifier_key(query)
        for entity_id in self.identifiers.get(identifier, ()):
            candidate = self.candidates.get(entity_id)
            if candidate and self._admissible(candidate, schema, country):
                prop, said = next(((k.split(":", 1)[0], v) for k, v in candidate.evidence.items()
                                   if k.endswith(f":{identifier}")), ("identifier", []))
                hits[entity_id] = self._hit(candidate, 1.0, query, f"identifier {identifier} ({prop}) matches exactly",
                                            basis=prop, statements=tuple(said))
        query_schema = schema or "LegalEntity"
        # candidates: entities sharing keys with the query, rare keys weighing more (IDF); only
        # the best CANDIDATES of them are compared in full
        weights = np.zeros(len(self.entity_ids), dtype=np.float32)
        for key in _keys(query, query_schema):
            posting = self.posting_arrays.get(key)
            if posting is None or len(posting) > MAX_POSTING:
                continue
            weights[posting] += math.log(1 + len(self.entity_ids) / len(posting))
        keyed = int(np.count_nonzero(weights))
        take = min(CANDIDATES * 2, keyed)
        best = np.argpartition(-weights, take - 1)[:take] if 0 < take < len(weights) else np.flatnonzero(weights)
        best_keyed = [self.entity_ids[i] for i in best[np.argsort(-weights[best], kind="stable")]]
        shortlist = [e for e in best_keyed if e not in hits and self._admissible(self.candidates[e], schema, country)][:CANDIDATES]
        # a fast vectorised pre-score of every shortlisted name, then the explained comparison
        # on the best few names only
        pairs = list(chain.from_iterable(self.pairs_of[e] for e in shortlist))
        if pairs:
            query_norm = normalise(query, query_schema)
            sorted_targets = list(chain.from_iterable(self.sorted_words[e] for e in shortlist))
            scores = process.cdist([" ".join(sorted(query_norm.split()))], sorted_targets, scorer=fuzz.ratio, workers=1)[0]
            if query_schema not in PERSON_SCHEMATA:  # as in `compare`: one name may contain the other
                targets = list(chain.from_iterable(self.normalised[e] for e in shortlist))
                contained = process.cdist([query_norm], targets, scorer=fuzz.token_set_ratio, workers=1)[0] * 0.85
                scores = np.maximum(scores, contained)
            order = np.argsort(-scores, kind="stable")
            best_per_entity: dict[str, str] = {}
            top = scores[order[0]]
            for i in order:
                if scores[i] < top - PRESCORE_MARGIN and len(best_per_entity) >= min(limit, MIN_FULL_COMPARISONS):
                    break  # far below the best: cannot reach the top `limit` after the full comparison
                entity_id, value = pairs[i]
                if entity_id not in best_per_entity:
                    best_per_entity[entity_id] = value
                if len(best_per_entity) >= FULL_COMPARISONS:
                    break
            # Korean romanisations can score low on plain similarity: compare those entities too
            if looks_korean([t for t in re.split(r"[\s\-]+", query_norm) if t]):
                for entity_id in shortlist[:FULL_COMPARISONS]:
                    best_per_entity.setdefault(entity_id, "")
            for entity_id, value in best_per_entity.items():
                candidate = self.candidates[entity_id]
                compare_schema = schema or ("Person" if model[candidate.schema].is_a("Person") else candidate.schema)
                names = [value] if value else [v for _, v in candidate.names]
                found = max((compare(query, v, compare_schema) for v in names), key=lambda m: m.score)
                if found.score >= threshold:
                    hits[entity_id] = self._hit(candidate, found.score, found.matched[1], found.explanation)
        return sorted(hits.values(), key=lambda h: (-h.score, h.name))[:limit]

    def screen_many(self, queries: list[dict[str, Any]], *, limit: int = 10, threshold: float = 0.0,
                    workers: int | None = None) -> list[list[Hit]]:
        """Screen a batch: each query a dict with 'name' and optional 'schema' and 'country'.
        A large batch is spread over `workers` processes (default: one per core) forked from this
        one, so the index is shared rather than rebuilt or copied; results come back in order."""
        global _FORKED_INDEX
        workers = workers or os.cpu_count() or 1
        jobs = [(q["name"], q.get("schema"), q.get("country"), limit, threshold) for q in queries]
        if workers < 2 or len(jobs) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            return [self.screen(name, schema=schema, country=country, limit=lim, threshold=th)
                    for name, schema, country, lim, th in jobs]
        name_symbols("warm")  # load the name tables once, before the fork, not once per worker
        _FORKED_INDEX = self
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_screen_job, jobs, chunksize=max(1, min(1000, len(jobs) // (workers * 8))))
        finally:
            _FORKED_INDEX = None

    def identifier_hits(self, value: str, *, props: tuple[str, ...] = IDENTIFIER_PROPS,
                        schema: str | None = None) -> list[Hit]:
        """Entities with this identifier (IMO, MMSI, call sign, ...) under one of `props`."""
        key = _identifier_key(value)
        hits = []
        for entity_id in sorted(self.identifiers.get(key, ())):
            candidate = self.candidates.get(entity_id)
            if candidate is None or not self._admissible(candidate, schema, None):
                continue
            for prop in props:
                said = candidate.evidence.get(f"{prop}:{key}")
                if said:
                    hits.append(self._hit(candidate, 1.0, value, f"identifier {key} ({prop}) matches exactly", basis=prop,
                                          statements=tuple(said)))
                    break
        return hits

    def _admissible(self, candidate: Candidate, schema: str | None, country: str | None) -> bool:
        if schema:
            wanted = model.get(schema)
            if wanted is None:
                raise ValidationError(f"unknown FtM schema {schema!r}", where="schema")
            if not model[candidate.schema].is_a(schema) and not wanted.is_a(candidate.schema):
                return False
        return not (country and candidate.countries and country.lower()[:2] not in {c.lower()[:2] for c in candidate.countries})

    def _hit(self, candidate: Candidate, score: float, matched: str, explanation: str, *, basis: str = "name",
             statements: tuple[str, ...] = ()) -> Hit:
        primary = next((v for p, v in candidate.names if p == "name"), candidate.names[0][1] if candidate.names else candidate.entity_id)
        if basis == "name":
            matched_value = next((v for _, v in candidate.names if v == matched or normalise(v, candidate.schema) == matched), matched)
            statements = tuple(candidate.evidence.get(matched_value, ()))
        else:
            matched_value = matched
        return Hit(id=candidate.entity_id, name=primary, schema=candidate.schema, score=score, matched_name=matched_value,
                   source=", ".join(sorted(self.source_titles.get(s, s) for s in candidate.sources)),
                   programs=sorted(candidate.programs), explanation=explanation, basis=basis, statements=statements,
                   listed=candidate.listed)


def _screen_job(job: tuple[str, str | None, str | None, int, float]) -> list[Hit]:
    name, schema, country, limit, threshold = job
    assert _FORKED_INDEX is not None
    return _FORKED_INDEX.screen(name, schema=schema, country=country, limit=limit, threshold=threshold)


def _identifier_key(value: str) -> str:
    text = re.sub(r"\s+", "", value.strip().upper())
    match = IMO.match(text)
    if match:
        return f"IMO{match.group(1)}"
    return text
