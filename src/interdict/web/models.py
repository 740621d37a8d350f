"""Response shapes of the JSON API, so `/api/docs` shows what each route returns. Each model names
the fields clients rely on; `extra="allow"` keeps any further field a route adds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MarkingOut(Shape):
    tlp: str
    releasable_to: list[str] = []
    orcon: bool = False
    handling: str | None = None


class BannerOut(Shape):
    label: str
    tlp: str
    releasable_to: list[str] | None = None
    orcon: bool = False
    handling: str | None = None


class Health(Shape):
    status: str
    version: str
    database: str


class Me(Shape):
    username: str
    agency: str
    country: str
    roles: list[str]


class Overview(Shape):
    entities: int
    statements: int
    claims: int
    sources: int
    by_schema: dict[str, int]
    latest: list[dict[str, Any]]


class SearchResult(Shape):
    id: str
    schema_: str = Field(alias="schema")
    caption: str
    banner: BannerOut


class StatementOut(Shape):
    id: str
    prop: str
    value: str
    display: str
    agency: str
    grade: str
    marking: MarkingOut
    source: dict[str, Any] | None = None


class EntityOut(Shape):
    id: str
    schema_: str = Field(alias="schema")
    caption: str
    properties: dict[str, list[StatementOut]]
    relations: list[dict[str, Any]]
    banner: BannerOut


class MergedEntityOut(EntityOut):
    canonical_id: str
    members: list[str]


class ClaimOut(Shape):
    key: str
    quantity: str
    low: float | None = None
    best: float | None = None
    high: float | None = None
    unit: str
    grade: str
    marking: MarkingOut


class AisStats(Shape):
    batches: int
    positions: int
    static_reports: int
    rejected: int
    vessels: int
    time_span: list[str | None]
    bbox: list[float] | None = None


class VesselOut(Shape):
    mmsi: int
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    flag: str | None = None
    positions: int
    last_seen: str | None = None


class TrackOut(Shape):
    mmsi: int
    positions: list[dict[str, Any]]


class EventOut(Shape):
    id: str
    type: str
    mmsi: int
    other_mmsi: int | None = None
    start: str | None = None
    end: str | None = None
    lat: float | None = None
    lon: float | None = None
    details: dict[str, Any]
    thresholds: dict[str, Any]
    evidence: list[Any]
    batches: list[str]


class RiskReason(Shape):
    weight: float
    text: str
    evidence: list[str]


class RiskOut(Shape):
    mmsi: int
    name: str | None = None
    score: float
    reasons: list[RiskReason]


class AssumedFixes(Shape):
    """Fixes heard at a time assumed for a whole log: where the vessel was, not when."""

    lat: list[float]
    lon: list[float]
    count: int


class MapTrack(Shape):
    lat: list[float]
    lon: list[float]
    t: list[int]
    segment: list[int]
    assumed: AssumedFixes


class MapData(Shape):
    events: list[EventOut]
    tracks: dict[str, MapTrack]


class MatchOut(Shape):
    id: str
    subject_kind: str
    subject: str
    entity_id: str
    listed: bool
    score: float
    basis: str
    query: str
    matched: str
    explanation: str
    caption: str
    programs: list[str]
    sources: list[str]


class ScreenHit(Shape):
    id: str
    name: str
    score: float
    matched_name: str
    source: str
    programs: list[str]
    explanation: str
    match: bool


class CandidateOut(Shape):
    left: str
    right: str
    score: float
    basis: str
    explanation: str
    left_caption: str
    right_caption: str


class JudgementOut(Shape):
    id: str
    left: str
    right: str
    left_caption: str | None = None
    right_caption: str | None = None
    judgement: str
    user: str
    agency: str
    at: str
    note: str | None = None
    marking: MarkingOut


class JudgementIn(BaseModel):
    left: str
    right: str
    judgement: str
    note: str | None = None
    score: float | None = None
    marking: dict[str, Any] | None = None


class GraphNeighbours(Shape):
    center: dict[str, Any]
    depth: int
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class GraphPath(Shape):
    found: bool
    steps: list[dict[str, Any]]
    text: str


class SeizuresOut(Shape):
    total: int
    records: list[dict[str, Any]]


class EstimateCatalogue(Shape):
    estimates: list[dict[str, Any]]
    comparisons: list[str]


class EstimateOut(Shape):
    name: str
    title: str
    unit: str
    best: float
    p5: float
    p50: float
    p95: float
    mean: float
    inputs: list[dict[str, Any]]
