"""Records files: an agency's entities, sources and quantitative claims as YAML or JSON.

The founding case file (`interdict/data/case/dprk_narcotics.yaml`) is one; `docs/records-file.md`
describes the format. Loading validates the whole file first and writes it in one transaction:
a bad record is reported with file, record and field, and nothing stored changes.

Markings and grades are never defaulted: each statement gets its marking from the statement,
its entity, or the file's `defaults`, and an error names the record that has none.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from interdict.access import Viewer, visible
from interdict.errors import ValidationError
from interdict.intel.writer import ClaimRecord, DatasetWrite, SourceRecord, StatementRecord, write_dataset
from interdict.markings import Grade, Marking, parse_agency_code
from interdict.tables import agencies, statements
from interdict.util import LazyFtM

model = LazyFtM("model")

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
SOURCE_KINDS = ("document", "dataset", "court_record", "press", "official_statement", "testimony", "reference", "agency_report")
CLAIM_READINGS = ("point", "range", "p5_p95", "lower_bound", "upper_bound")
FILE_KEYS = {"dataset", "title", "agency", "synthetic", "description", "defaults", "sources", "entities", "claims"}
ENTITY_KEYS = {"id", "schema", "source", "grade", "marking", "properties", "statements"}
STATEMENT_KEYS = {"prop", "value", "source", "grade", "marking", "lang", "original_value"}
CLAIM_KEYS = {"key", "entity", "text", "quantity", "unit", "low", "best", "high", "period_start",
              "period_end", "reading", "source", "grade", "marking"}
SOURCE_KEYS = {"id", "title", "publisher", "published", "url", "kind", "reliability", "notes", "marking"}


@dataclass
class LoadResult:
    dataset: str
    title: str
    agency: str
    synthetic: bool
    entities: int
    statements: int
    claims: int
    sources: int
    changes: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    value = mapping.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"'{key}' is required", where=where)
    return value


def _check_keys(mapping: Any, allowed: set[str], where: str) -> None:
    if not isinstance(mapping, Mapping):
        raise ValidationError(f"expected a mapping, got {type(mapping).__name__}", where=where)
    unknown = set(mapping) - allowed
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}", where=where)


def _id(value: Any, where: str) -> str:
    text = str(value).strip()
    if not ID_PATTERN.match(text):
        raise ValidationError(f"invalid id {value!r} (letters, digits, '.', '_', ':', '-'; at most 128)", where=where)
    return text


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace("_", ""))
        except ValueError:
            raise ValidationError(f"not a number: {value!r}", where=where) from None
    if not math.isfinite(float(value)):
        raise ValidationError(f"not a finite number: {value!r}", where=where)
    return float(value)


def _date(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", text):
        raise ValidationError(f"date must be YYYY, YYYY-MM or YYYY-MM-DD; got {value!r}", where=where)
    return text


MAX_NODES = 1_000_000  # a records file expanded (aliases resolved) holds far fewer values; a "billion laughs" far more
MAX_DEPTH = 64         # nor does it nest deeper than a few levels


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts what the document would hold with every alias expanded
    and refuses it beyond MAX_NODES (an alias bomb: a few hundred bytes that expand to billions),
    and refuses nesting beyond MAX_DEPTH -- both while composing, before anything is built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.sizes: dict[int, int] = {}  # node -> its size expanded (nodes stay alive while composing)

    def compose_node(self, parent, index):
        alias = self.check_event(yaml.AliasEvent)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ValidationError(f"nested more than {MAX_DEPTH} levels deep: refused")
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if alias:
            return node
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self.sizes.get(id(child), 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self.sizes.get(id(k), 1) + self.sizes.get(id(v), 1) for k, v in node.value)
        else:
            size = 1
        if size > MAX_NODES:
            raise ValidationError(f"would expand to more than {MAX_NODES:,} values through its aliases (an alias bomb?): refused")
        self.sizes[id(node)] = size
        return node


def read_document(path: Path) -> dict[str, Any]:
    from interdict.io import text_of

    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read: {exc.strerror}", where=str(path)) from None
    text = text_of(data_bytes, str(path))
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=_GuardedLoader)
    except ValidationError as exc:
        raise ValidationError(exc.reason, where=str(path)) from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ValidationError(f"not valid {'JSON' if is_json else 'YAML'}: {exc}", where=str(path)) from None
    except RecursionError:
        raise ValidationError(f"nested too deeply to read as {'JSON' if is_json else 'YAML'}", where=str(path)) from None
    if not isinstance(data, dict):
        raise ValidationError("the file must hold a mapping with 'dataset', 'agency', 'sources', 'entities'", where=str(path))
    return data


class _Parser:
    def __init__(self, data: dict[str, Any], known_entities: set[str]) -> None:
        self.data = data
        self.known_entities = known_entities

    def parse(self) -> tuple[DatasetWrite, dict[str, Any]]:
        data = self.data
        _check_keys(data, FILE_KEYS, "file")
        dataset = _id(_need(data, "dataset", "file"), "dataset")
        agency = parse_agency_code(_need(data, "agency", "file"))
        defaults = data.get("defaults") or {}
        _check_keys(defaults, {"marking", "grade"}, "defaults")
        self.default_marking = self._marking(defaults, None, "defaults") if "marking" in defaults else None
        self.default_grade = self._grade(defaults, None, "defaults") if "grade" in defaults else None
        write = DatasetWrite(dataset=dataset, agency=agency)
        self.source_ids: set[str] = set()
        for i, raw in enumerate(data.get("sources") or []):
            write.sources.append(self._source(raw, f"sources[{i}]"))
        entity_defs = data.get("entities") or []
        if not isinstance(entity_defs, list):
            raise ValidationError("must be a list", where="entities")
        self.file_entities: dict[str, Any] = {}
        for i, raw in enumerate(entity_defs):
            where = f"entities[{i}]"
            _check_keys(raw, ENTITY_KEYS, where)
            entity_id = _id(_need(raw, "id", where), f"{where}.id")
            if entity_id in self.file_entities:
                raise ValidationError(f"duplicate entity id {entity_id!r}", where=where)
            self.file_entities[entity_id] = raw
        for i, raw in enumerate(entity_defs):
            write.statements.extend(self._entity(raw, f"entities[{i}] (id={raw['id']})"))
        keys = set()
        for i, raw in enumerate(data.get("claims") or []):
            claim = self._claim(raw, f"claims[{i}]")
            if claim.key in keys:
                raise ValidationError(f"duplicate claim key {claim.key!r}", where=f"claims[{i}]")
            keys.add(claim.key)
            write.claims.append(claim)
        meta = {"title": str(data.get("title") or dataset), "synthetic": bool(data.get("synthetic", False))}
        return write, meta

    def _marking(self, raw: Mapping[str, Any], inherited: Marking | None, where: str) -> Marking:
        return self._inherit(raw, "marking", Marking.parse, inherited, where)

    def _grade(self, raw: Mapping[str, Any], inherited: Grade | None, where: str) -> Grade:
        return self._inherit(raw, "grade", Grade.parse, inherited, where)

    @staticmethod
    def _inherit(raw: Mapping[str, Any], key: str, parse: Any, inherited: Any, where: str) -> Any:
        """The record's own value (parsed), else the inherited one; never a silent default."""
        if key in raw:
            try:
                return parse(raw[key])
            except ValidationError as exc:
                raise exc.at(where) from None
        if inherited is None:
            raise ValidationError(f"no {key} (give '{key}' here, on its entity, or in 'defaults')", where=where)
        return inherited

    def _source_ref(self, raw: Mapping[str, Any], inherited: str | None, where: str) -> str:
        source = raw.get("source", inherited)
        if not source:
            raise ValidationError("no source (give 'source' here or on its entity)", where=where)
        if source not in self.source_ids:
            raise ValidationError(f"unknown source {source!r} (declare it under 'sources')", where=where)
        return str(source)

    def _source(self, raw: Any, where: str) -> SourceRecord:
        _check_keys(raw, SOURCE_KEYS, where)
        source_id = _id(_need(raw, "id", where), f"{where}.id")
        where = f"{where} (id={source_id})"
        if source_id in self.source_ids:
            raise ValidationError("duplicate source id", where=where)
        kind = str(_need(raw, "kind", where))
        if kind not in SOURCE_KINDS:
            raise ValidationError(f"unknown kind {kind!r} (one of {', '.join(SOURCE_KINDS)})", where=f"{where}.kind")
        reliability = str(_need(raw, "reliability", where)).upper()
        if reliability not in Grade.RELIABILITY:
            raise ValidationError(f"unknown reliability {reliability!r} (A-F)", where=f"{where}.reliability")
        self.source_ids.add(source_id)
        return SourceRecord(
            id=source_id,
            title=str(_need(raw, "title", where)),
            kind=kind,
            reliability=reliability,
            marking=self._marking(raw, self.default_marking, where),
            publisher=raw.get("publisher"),
            published=_date(raw.get("published"), f"{where}.published"),
            url=raw.get("url"),
            notes=raw.get("notes"),
        )

    def _entity(self, raw: Mapping[str, Any], where: str) -> list[StatementRecord]:  # noqa: C901 - one check per field of a records-file entity, each naming the field in its error
        schema_name = _need(raw, "schema", where)
        schema = model.get(schema_name)
        if schema is None:
            raise ValidationError(f"unknown FollowTheMoney schema {schema_name!r}", where=f"{where}.schema")
        if schema.abstract:
            raise ValidationError(f"schema {schema_name!r} is abstract; use a concrete one", where=f"{where}.schema")
        marking = self._marking(raw, self.default_marking, where) if "marking" in raw or self.default_marking else None
        grade = self._grade(raw, self.default_grade, where) if "grade" in raw or self.default_grade else None
        source = raw.get("source")
        items: list[tuple[Mapping[str, Any], str]] = []
        properties = raw.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise ValidationError("must be a mapping of property to value(s)", where=f"{where}.properties")
        for prop, values in properties.items():
            for value in values if isinstance(values, list) else [values]:
                items.append(({"prop": prop, "value": value}, f"{where}.properties.{prop}"))
        for i, extra in enumerate(raw.get("statements") or []):
            _check_keys(extra, STATEMENT_KEYS, f"{where}.statements[{i}]")
            items.append((extra, f"{where}.statements[{i}]"))
        if not items:
            raise ValidationError("an entity needs at least one property", where=where)
        out = []
        seen: set[tuple[str, str, str]] = set()
        for item, item_where in items:
            prop_name = str(_need(item, "prop", item_where))
            prop = schema.get(prop_name)
            if prop is None:
                raise ValidationError(f"schema {schema.name} has no property {prop_name!r}", where=item_where)
            value = _need(item, "value", item_where)
            cleaned = prop.type.clean(str(value), format=prop.format)
            if cleaned is None:
                raise ValidationError(f"invalid {prop.type.name} value {value!r}", where=item_where)
            if prop.type.name == "entity" and cleaned not in self.file_entities and cleaned not in self.known_entities:
                raise ValidationError(f"refers to unknown entity {cleaned!r}", where=item_where)
            source_id = self._source_ref(item, source, item_where)
            if (prop.name, cleaned, source_id) in seen:
                raise ValidationError(f"duplicate statement {prop.name}={cleaned!r} from {source_id}", where=item_where)
            seen.add((prop.name, cleaned, source_id))
            out.append(
                StatementRecord(
                    entity_id=str(raw["id"]),
                    schema=schema.name,
                    prop=prop.name,
                    prop_type=prop.type.name,
                    value=cleaned,
                    source_id=source_id,
                    grade=self._grade(item, grade, item_where),
                    marking=self._marking(item, marking, item_where),
                    lang=item.get("lang"),
                    original_value=item.get("original_value"),
                )
            )
        return out

    def _claim(self, raw: Any, where: str) -> ClaimRecord:
        _check_keys(raw, CLAIM_KEYS, where)
        key = _id(_need(raw, "key", where), f"{where}.key")
        where = f"{where} (key={key})"
        entity = raw.get("entity")
        if entity is not None and entity not in self.file_entities and entity not in self.known_entities:
            raise ValidationError(f"refers to unknown entity {entity!r}", where=f"{where}.entity")
        reading = str(_need(raw, "reading", where))
        if reading not in CLAIM_READINGS:
            raise ValidationError(f"unknown reading {reading!r} (one of {', '.join(CLAIM_READINGS)})", where=f"{where}.reading")
        low, best, high = (_number(raw.get(k), f"{where}.{k}") for k in ("low", "best", "high"))
        if low is None and best is None and high is None:
            raise ValidationError("a claim needs at least one of low, best, high", where=where)
        if low is not None and high is not None and low > high:
            raise ValidationError(f"low {low:g} is above high {high:g}", where=where)
        if best is not None and ((low is not None and best < low) or (high is not None and best > high)):
            raise ValidationError(f"best {best:g} lies outside low-high", where=where)
        if reading in ("range", "p5_p95") and (low is None or high is None):
            raise ValidationError(f"reading {reading!r} needs both low and high", where=where)
        return ClaimRecord(
            key=key,
            text=str(_need(raw, "text", where)),
            quantity=str(_need(raw, "quantity", where)),
            unit=str(_need(raw, "unit", where)),
            reading=reading,
            source_id=self._source_ref(raw, None, where),
            grade=self._grade(raw, self.default_grade, where),
            marking=self._marking(raw, self.default_marking, where),
            entity_id=entity,
            low=low,
            best=best,
            high=high,
            period_start=_date(raw.get("period_start"), f"{where}.period_start"),
            period_end=_date(raw.get("period_end"), f"{where}.period_end"),
        )


def load_records_file(engine: Engine, path: str | Path) -> LoadResult:
    """Validate and load one records file. Raises ValidationError naming file, record, field."""
    path = Path(path)
    data = read_document(path)
    try:
        code = parse_agency_code(_need(data, "agency", "file"))
    except ValidationError as exc:
        raise exc.at(str(path)) from None
    with engine.begin() as conn:
        agency = conn.execute(select(agencies).where(agencies.c.code == code)).first()
        if agency is None:
            raise ValidationError(f"unknown agency {code!r} (register it with `interdict agency add`)", where=f"{path}: agency")
        # references resolve only to entities the file's agency may see: whether a load succeeds
        # must not reveal that another agency's hidden entity exists
        loader = Viewer(username=f"loader:{code}", agency=code, country=agency.country,
                        law_enforcement=agency.law_enforcement)
        known = set(conn.execute(
            select(statements.c.entity_id)
            .where(*visible(statements, loader)).distinct()
        ).scalars())
        try:
            write, meta = _Parser(data, known).parse()
        except ValidationError as exc:
            raise exc.at(str(path)) from None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            changes = write_dataset(conn, write, path=str(path), sha256=digest)
        except ValidationError as exc:
            raise exc.at(str(path)) from None
    return LoadResult(
        dataset=write.dataset,
        title=meta["title"],
        agency=write.agency,
        synthetic=meta["synthetic"],
        entities=len({s.entity_id for s in write.statements}),
        statements=len(write.statements),
        claims=len(write.claims),
        sources=len(write.sources),
        changes=changes,
    )
