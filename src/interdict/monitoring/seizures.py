"""Seizure and arrest records: the model, row validation, atomic writes and access-filtered reads.

A record is one reported quantity (or one set of enforcement totals) for a country and period,
modelled on the UNODC Individual Drug Seizures fields. "Missing" (the cell was empty), "not
known" (the reporter said so) and zero (a reported 0) are kept apart in `quantity_status` and
`quantity`. Every record carries the usual provenance and markings (`interdict.tables.record_columns`).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, select

from interdict.access import Viewer, visible
from interdict.errors import ValidationError
from interdict.intel.writer import SourceRecord, WriteCounts, sync_records, write_sources
from interdict.markings import Grade, Marking
from interdict.monitoring.codes import code_lists, countries
from interdict.monitoring.units import UnitTable, default_units
from interdict.tables import seizures, source_key
from interdict.util import stable_uuid, utcnow

KINDS = ("seizure", "arrests")
STATUSES = ("reported", "not_known", "missing")
NOT_KNOWN = {"not known", "nk", "n/k", "unknown", "n.k.", "not available", "n/a"}
MISSING = {"", "null", "nan", "none", "na", "-"}  # how exports write an empty cell

# The template's columns, in order, with what each means (also the field list in the Excel template).
FIELDS: list[tuple[str, str]] = [
    ("kind", "seizure (a quantity seized) or arrests (enforcement totals: events = cases, arrests); default seizure"),
    ("country", "country of seizure, ISO 3166-1 alpha-3 (e.g. JPN) or its UN name; required"),
    ("area", "state, province, port or field office inside the country (optional)"),
    ("date", "YYYY-MM-DD when the day is known (optional)"),
    ("year", "reference year; required unless date is given"),
    ("month", "1-12 when the month is known (optional)"),
    ("drug_group", "drug group code (see the Codes sheet): ats, ecstasy, cannabis, cocaine, opioids, ..."),
    ("drug", "drug name as reported (e.g. Methamphetamine, Heroin)"),
    ("quantity", "amount as reported; leave empty if missing, write 'not known' if not known, 0 for none"),
    ("unit", "kg, g, lb, t, viss, picul, L, mL, US gallon, tablet, capsule, ampoule, dose, blot, bottle, plant"),
    ("purity", "purity as a fraction 0-1 when known (optional)"),
    ("producing_country", "ISO3 (optional)"),
    ("departure_country", "ISO3 (optional)"),
    ("transit_countries", "ISO3 codes separated by spaces or commas (optional)"),
    ("destination_country", "ISO3 (optional)"),
    ("conveyance", "conveyance code: sea, air, road, rail, postal, pedestrian, unknown (optional)"),
    ("concealment", "concealment code: body, luggage, cargo, structure, mail, open, unknown (optional)"),
    ("seizing_agency", "agency that made the seizure (optional)"),
    ("events", "number of seizure events or cases (optional, whole number)"),
    ("arrests", "number of persons arrested (optional, whole number)"),
    ("entity_ids", "linked entity ids in Interdict (vessel, people, companies), separated by spaces (optional)"),
]
FIELD_NAMES = [name for name, _ in FIELDS]


@dataclass(frozen=True)
class RawRow:
    """One input row: where it came from, the row as read, and the fields in the model's terms."""

    number: int
    key: str  # natural key within the dataset (stable across re-imports of a newer file)
    raw: dict[str, Any]
    fields: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    row: int
    reason: str
    raw: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason, "raw": self.raw}


@dataclass
class ImportResult:
    dataset: str
    format: str
    path: str
    rows: int
    accepted: int
    rejected: list[Rejected]
    changes: dict[str, int] = field(default_factory=dict)
    quarantine: str | None = None
    written: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "format": self.format, "path": self.path, "rows": self.rows,
            "accepted": self.accepted, "rejected": len(self.rejected), "written": self.written,
            "changes": self.changes, "quarantine": self.quarantine,
            "rejections": [r.to_dict() for r in self.rejected[:50]],
        }


def _number(value: Any, *, where: str, whole: bool = False) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().replace(",", "") if not isinstance(value, (int, float)) else value
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(f"not a number: {value!r}", where=where) from None
    if math.isinf(number) or number < 0:
        raise ValidationError(f"must be a finite number >= 0, got {value!r}", where=where)
    if whole and number != int(number):
        raise ValidationError(f"must be a whole number, got {value!r}", where=where)
    return number


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _country(value: Any, where: str) -> str | None:
    text = _text(value)
    return countries().resolve(text, where=where) if text else None


def validate(fields: dict[str, Any], *, units: UnitTable | None = None, today: date | None = None) -> dict[str, Any]:  # noqa: C901 - one check per column of the seizure model, each naming the column in its error
    """Model columns for one row's fields, or ValidationError naming the field and the reason."""
    units = units or default_units()
    today = today or date.today()
    lists = code_lists()
    if "_reject" in fields:
        raise ValidationError(fields["_reject"], where="row")
    unknown = set(fields) - set(FIELD_NAMES) - {"country_name", "region", "subregion", "kg", "kg_basis"}
    if unknown:
        raise ValidationError(f"unknown column(s): {', '.join(sorted(unknown))}", where="row")
    kind = _text(fields.get("kind")).lower() or "seizure"
    if kind not in KINDS:
        raise ValidationError(f"kind must be seizure or arrests, got {kind!r}", where="kind")
    country = _country(fields.get("country"), "country")
    if country is None:
        raise ValidationError("country is required", where="country")
    info = countries().get(country)

    day = _text(fields.get("date"))
    year = _number(fields.get("year"), where="year", whole=True)
    month = _number(fields.get("month"), where="month", whole=True)
    if day:
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise ValidationError(f"date must be YYYY-MM-DD, got {day!r}", where="date") from None
        if year is not None and int(year) != parsed.year:
            raise ValidationError(f"date {day} disagrees with year {int(year)}", where="year")
        if month is not None and int(month) != parsed.month:
            raise ValidationError(f"date {day} disagrees with month {int(month)}", where="month")
        if parsed > today:
            raise ValidationError(f"date {day} is in the future", where="date")
        year, month = parsed.year, parsed.month
    if year is None:
        raise ValidationError("year (or date) is required", where="year")
    if not 1900 <= year <= today.year:
        raise ValidationError(f"year {int(year)} is outside 1900-{today.year}", where="year")
    if month is not None and not 1 <= month <= 12:
        raise ValidationError(f"month must be 1-12, got {int(month)}", where="month")

    group_text = _text(fields.get("drug_group"))
    drug = _text(fields.get("drug")) or None
    group = lists["drug_groups"].code(group_text, where="drug_group") if group_text else None
    if group is None and drug:
        group = lists["drug_groups"].find(drug)
    if kind == "seizure" and group is None:
        raise ValidationError("drug_group is required for a seizure (or a drug name the code list knows)", where="drug_group")

    raw_quantity = fields.get("quantity")
    unit = _text(fields.get("unit")) or None
    quantity: float | None = None
    kg = fields.get("kg")
    kg_basis = fields.get("kg_basis")
    if _text(raw_quantity).lower() in NOT_KNOWN:
        status = "not_known"
    elif _text(raw_quantity).lower() in MISSING:
        status = "missing"
    else:
        quantity = _number(raw_quantity, where="quantity")
        status = "missing" if quantity is None else "reported"
    if kind == "seizure" and status == "reported":
        if not unit:
            raise ValidationError("unit is required with a quantity", where="unit")
        if not units.known(unit):
            raise ValidationError(f"unknown unit {unit!r}", where="unit")
        if kg is None:
            conversion = units.to_kg(quantity or 0.0, unit, drug=drug or group or "", region=info.subregion if info else "")
            kg, kg_basis = conversion.kg, conversion.basis
            if kg is not None and not math.isfinite(kg):  # 1e308 t is finite; in kg it is not
                raise ValidationError(f"{quantity:g} {unit} is too large a quantity to record", where="quantity")
    elif unit and not units.known(unit):
        raise ValidationError(f"unknown unit {unit!r}", where="unit")
    purity = _number(fields.get("purity"), where="purity")
    if purity is not None and purity > 1:
        raise ValidationError(f"purity is a fraction 0-1, got {purity}", where="purity")

    transit_text = _text(fields.get("transit_countries"))
    transit = [countries().resolve(part, where="transit_countries") for part in re.split(r"[,;\s]+", transit_text) if part]
    conveyance = _text(fields.get("conveyance"))
    concealment = _text(fields.get("concealment"))
    events = _number(fields.get("events"), where="events", whole=True)
    arrests = _number(fields.get("arrests"), where="arrests", whole=True)
    if kind == "arrests" and events is None and arrests is None:
        raise ValidationError("an arrests record needs events (cases) or arrests", where="arrests")
    entity_ids = [part for part in re.split(r"[,\s]+", _text(fields.get("entity_ids"))) if part]
    return {
        "kind": kind,
        "country": country,
        "country_name": _text(fields.get("country_name")) or (info.name if info else country),
        "region": _text(fields.get("region")) or (info.region if info else None) or None,
        "subregion": _text(fields.get("subregion")) or (info.subregion if info else None) or None,
        "area": _text(fields.get("area")) or None,
        "year": int(year),
        "month": int(month) if month is not None else None,
        "date": day or None,
        "drug_group": group,
        "drug": drug,
        "quantity": quantity,
        "unit": unit,
        "quantity_status": status,
        "kg": kg,
        "kg_basis": kg_basis,
        "purity": purity,
        "producing_country": _country(fields.get("producing_country"), "producing_country"),
        "departure_country": _country(fields.get("departure_country"), "departure_country"),
        "transit_countries": ",".join(transit) or None,
        "destination_country": _country(fields.get("destination_country"), "destination_country"),
        "conveyance": lists["conveyance"].code(conveyance, where="conveyance") if conveyance else None,
        "concealment": lists["concealment"].code(concealment, where="concealment") if concealment else None,
        "seizing_agency": _text(fields.get("seizing_agency")) or None,
        "events": int(events) if events is not None else None,
        "arrests": int(arrests) if arrests is not None else None,
        "entity_ids": " ".join(entity_ids) or None,
    }


def import_rows(
    engine: Engine,
    rows: Iterable[RawRow],
    *,
    dataset: str,
    fmt: str,
    path: Path,
    sha256: str,
    agency: str,
    source: SourceRecord,
    grade: Grade,
    marking: Marking,
    quarantine_dir: Path,
    accept_valid: bool = False,
) -> ImportResult:
    """Validate every row, then write the valid ones in one transaction.

    With rejected rows and `accept_valid` False nothing is written (the file is refused whole);
    with `accept_valid` the valid rows are written. Either way every rejected row is kept in a
    quarantine CSV with its reason, and counted."""
    from interdict.accounts import check_release_codes

    with engine.connect() as conn:
        check_release_codes(conn, [marking, source.marking], where="--releasable-to")
    units = default_units()
    wanted: dict[str, dict[str, Any]] = {}
    origins: dict[str, RawRow] = {}
    rejected: list[Rejected] = []
    total = 0
    for row in rows:
        total += 1
        try:
            columns = validate(row.fields, units=units)
        except ValidationError as exc:
            rejected.append(Rejected(row.number, str(exc), row.raw))
            continue
        record_id = stable_uuid("seizure", agency, dataset, row.key)
        if record_id in wanted:
            rejected.append(Rejected(row.number, f"duplicate of an earlier row with the same key ({row.key})", row.raw))
            continue
        origins[record_id] = row
        wanted[record_id] = {
            **columns,
            **marking.columns(),
            "source_id": source_key(agency, source.id),
            "reliability": grade.reliability,
            "credibility": grade.credibility,
            "source_row": f"{path.name}:{row.number}",
            "details": json.dumps(row.raw, sort_keys=True, default=str),
        }
    _check_entity_links(engine, agency, wanted, origins, rejected)
    rejected.sort(key=lambda r: r.row)
    result = ImportResult(dataset=dataset, format=fmt, path=str(path), rows=total, accepted=len(wanted), rejected=rejected)
    if rejected:
        result.quarantine = str(_write_quarantine(quarantine_dir, dataset, sha256, rejected))
    if rejected and not accept_valid:
        return result
    if not wanted:
        kept = f"; {len(rejected):,} rejected, kept with reasons in {result.quarantine}" if rejected else ""
        raise ValidationError(f"no valid rows to import ({total:,} read{kept})", where=str(path))
    from interdict.tables import imports

    with engine.begin() as conn:
        source_counts = write_sources(conn, [source], dataset=dataset, agency=agency)
        counts: WriteCounts = sync_records(conn, seizures, dataset, agency, wanted,
                                           uncompared=frozenset({"source_row", "details"}))
        result.changes = counts.to_dict()
        conn.execute(imports.insert().values(
            id=stable_uuid("import", dataset, sha256, utcnow().isoformat()), dataset=dataset, path=str(path),
            sha256=sha256, agency=agency, loaded_at=utcnow(),
            counts=json.dumps({"seizures": result.changes, "sources": source_counts.to_dict(), "rows": total,
                               "rejected": len(rejected), "quarantine": result.quarantine}, sort_keys=True),
        ))
    result.written = True
    return result


def _check_entity_links(engine: Engine, agency: str, wanted: dict[str, dict[str, Any]], origins: dict[str, RawRow],
                        rejected: list[Rejected]) -> None:
    """Linked entity ids must name entities the importing agency may see; whether an import
    succeeds must not reveal that another agency's hidden entity exists."""
    from interdict.tables import agencies, statements

    linked = {i for columns in wanted.values() for i in (columns["entity_ids"] or "").split()}
    if not linked:
        return
    with engine.connect() as conn:
        row = conn.execute(select(agencies).where(agencies.c.code == agency)).first()
        if row is None:
            raise ValidationError(f"unknown agency {agency!r}", where="agency")
        loader = Viewer(username=f"loader:{agency}", agency=agency, country=row.country, law_enforcement=row.law_enforcement)
        known = set(conn.execute(select(statements.c.entity_id).distinct().where(
            statements.c.entity_id.in_(linked), *visible(statements, loader))).scalars())
    for record_id in list(wanted):
        missing = [i for i in (wanted[record_id]["entity_ids"] or "").split() if i not in known]
        if missing:
            origin = origins[record_id]
            rejected.append(Rejected(origin.number, f"entity_ids: unknown entity {', '.join(map(repr, missing))}", origin.raw))
            del wanted[record_id]


def _write_quarantine(folder: Path, dataset: str, sha256: str, rejected: list[Rejected]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', dataset)}-{sha256[:12]}.rejected.csv"
    columns = sorted({key for r in rejected for key in r.raw})
    tmp = target.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "reason", *columns])
        for r in rejected:
            writer.writerow([r.row, r.reason, *[r.raw.get(c, "") for c in columns]])
    tmp.replace(target)
    return target


@dataclass(frozen=True)
class SeizureQuery:
    countries: tuple[str, ...] = ()
    drug_groups: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    kind: str | None = None
    year_from: int | None = None
    year_to: int | None = None


def read(engine: Engine, viewer: Viewer, query: SeizureQuery = SeizureQuery()) -> list[dict[str, Any]]:
    """Live seizure/arrest records the viewer may see (the one access decision, in SQL), without
    the bulky original-row `details`."""
    c = seizures.c
    columns = [col for col in seizures.c if col.name != "details"]
    stmt = select(*columns).where(*visible(seizures, viewer))
    if query.countries:
        stmt = stmt.where(c.country.in_(query.countries))
    if query.drug_groups:
        stmt = stmt.where(c.drug_group.in_(query.drug_groups))
    if query.datasets:
        stmt = stmt.where(c.dataset.in_(query.datasets))
    if query.kind:
        stmt = stmt.where(c.kind == query.kind)
    if query.year_from is not None:
        stmt = stmt.where(c.year >= query.year_from)
    if query.year_to is not None:
        stmt = stmt.where(c.year <= query.year_to)
    with engine.connect() as conn:
        result = conn.execute(stmt.order_by(c.country, c.year, c.month, c.drug_group))
        names = list(result.keys())
        return [dict(zip(names, row)) for row in result]


def datasets(engine: Engine, viewer: Viewer) -> list[dict[str, Any]]:
    from sqlalchemy import func

    c = seizures.c
    stmt = (select(c.dataset, c.agency, c.source_id, func.count().label("records"), func.min(c.year).label("year_from"),
                   func.max(c.year).label("year_to"), func.count(func.distinct(c.country)).label("countries"))
            .where(*visible(seizures, viewer))
            .group_by(c.dataset, c.agency, c.source_id).order_by(c.dataset))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def iter_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for a CSV with a header row; line numbers count the header as 1."""
    from interdict.io import LEGACY_HINT, UTF16_BOMS, open_input, refuse_binary

    with open_input(path) as binary:
        head = binary.read(65536)
    encoding = "utf-16" if head.startswith(UTF16_BOMS) else "utf-8-sig"
    if encoding != "utf-16":
        refuse_binary(head, str(path))
    with open_input(path) as binary:
        import io

        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        reader = csv.DictReader(text)
        number = 1
        try:
            for number, row in enumerate(reader, start=2):
                yield number, {k.strip() if k else "": v for k, v in row.items()}
        except UnicodeDecodeError as exc:
            raise ValidationError(f"not {encoding.upper().removesuffix('-SIG')} text after line {number}: byte "
                                  f"0x{exc.object[exc.start]:02x}; {LEGACY_HINT}", where=str(path)) from None
        except csv.Error as exc:
            raise ValidationError(f"line {number + 1}: not readable as CSV: {exc}", where=str(path)) from None


def record_markings(records: list[dict[str, Any]]) -> list[Marking]:
    """The distinct markings of seizure/arrest records as `read` returns them."""
    seen: dict[tuple[Any, ...], Marking] = {}
    for r in records:
        key = (r["tlp"], r["releasable_to"], r["orcon"], r["handling"])
        if key not in seen:
            seen[key] = Marking.from_row(SimpleNamespace(**{k: r[k] for k in ("tlp", "releasable_to", "orcon", "handling")}))
    return list(seen.values())
