"""Sanctions list importers: OFAC SDN legacy CSV (+ alt.csv aliases, add.csv addresses) and the
OFAC SDN advanced XML (`sdn_advanced.xml`, same entity ids), the UN
Security Council consolidated list (XML), and FollowTheMoney JSON lines (OpenSanctions, Aleph).

Each list becomes FtM entities stored as statements through `interdict.intel.writer`, graded A1 (the
list is an authoritative record of designations) and marked TLP:CLEAR unless told otherwise. The
list keeps one stable source id, so importing a newer version is a diff: new designations are
added, changed ones versioned, delisted ones retracted; `ListImport.diff` counts entities added,
removed and changed. A value FtM cannot clean (an impossible date, say) is not stored; it is
counted with its entity and property in `ListImport.unclean`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.schema import Schema
from sqlalchemy import Engine, select

from interdict.errors import ValidationError
from interdict.intel.writer import DatasetWrite, SourceRecord, StatementRecord, write_dataset
from interdict.markings import TLP, Grade, Marking
from interdict.tables import statements

OFAC_TYPES = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "-0-": "LegalEntity"}
NULL = "-0-"


def _schema(name: str) -> Schema:
    """The FtM schema of that name (the importers only name schemata that exist)."""
    found = model.get(name)
    if found is None:
        raise ValidationError(f"unknown FtM schema {name!r}", where="schema")
    return found


@dataclass
class ListImport:
    dataset: str
    source: str
    entities: int
    statements: int
    changes: dict[str, dict[str, int]]
    diff: dict[str, int]
    unclean: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str | None]] = field(default_factory=list)  # up to 20 retracted entities, with names
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["unclean_count"] = len(self.unclean)
        data["unclean"] = self.unclean[:20]
        return data


class _Builder:
    """Collects entity properties, then cleans them with FtM into statements."""

    def __init__(self) -> None:
        self.entities: dict[str, tuple[str, dict[str, list[str]]]] = {}
        self.unclean: list[dict[str, str]] = []

    def entity(self, entity_id: str, schema: str) -> dict[str, list[str]]:
        if entity_id not in self.entities:
            self.entities[entity_id] = (schema, defaultdict(list))
        return self.entities[entity_id][1]

    def add(self, entity_id: str, schema: str, prop: str, *values: Any) -> None:
        props = self.entity(entity_id, schema)
        for value in values:
            if value is None:
                continue
            text = str(value).strip()
            if text and text != NULL and text not in props[prop]:
                props[prop].append(text)

    def records(self, source_id: str, grade: Grade, marking: Marking) -> list[StatementRecord]:
        out = []
        for entity_id, (schema_name, props) in self.entities.items():
            schema = _schema(schema_name)
            seen = set()
            for prop_name, values in props.items():
                prop = schema.get(prop_name)
                if prop is None:
                    raise ValidationError(f"schema {schema_name} has no property {prop_name!r}", where=entity_id)
                for value in values:
                    cleaned = prop.type.clean(value, format=prop.format)
                    if cleaned is None:
                        self.unclean.append({"entity": entity_id, "prop": prop_name, "value": value})
                        continue
                    if (prop.name, cleaned) in seen:
                        continue
                    seen.add((prop.name, cleaned))
                    out.append(StatementRecord(entity_id=entity_id, schema=schema.name, prop=prop.name,
                                               prop_type=prop.type.name, value=cleaned, source_id=source_id,
                                               grade=grade, marking=marking))
        return out


# -- OFAC --------------------------------------------------------------------------------------
_IMO = re.compile(r"IMO (\d{7})")
_AKA = re.compile(r"\b(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.) '([^']+)'")
_LINKED = re.compile(r"Linked To: ([^;.]+(?:\.[^;]+)?)[.;]?")
_DOB = re.compile(r"\bDOB (?:circa )?(\d{1,2} [A-Z][a-z]{2} \d{4}|[A-Z][a-z]{2} \d{4}|\d{4})")
_POB = re.compile(r"\bPOB ([^;]+)")
_NATIONALITY = re.compile(r"\bnationality ([^;]+)")
_MMSI = re.compile(r"MMSI (\d{9})")


MAX_LIST_BYTES = int(float(os.environ.get("INTERDICT_MAX_LIST_MB", 512)) * (1 << 20))  # OFAC's advanced XML: ~110 MB


def _read(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip, zstd or zip; refused past MAX_LIST_BYTES
    (no published list comes near; a bomb or a wrong file would fill the memory)."""
    from interdict.io import open_input

    parts, size = [], 0
    with open_input(path) as stream:
        while part := stream.read(1 << 20):
            size += len(part)
            if size > MAX_LIST_BYTES:
                raise ValidationError(f"larger than {MAX_LIST_BYTES >> 20} MB (INTERDICT_MAX_LIST_MB): not a sanctions list "
                                      "this node reads", where=str(path))
            parts.append(part)
    return b"".join(parts)


def _read_ofac(path: Path) -> list[list[str]]:
    from interdict.io import refuse_binary

    raw = _read(path).rstrip(b"\x1a\r\n")
    refuse_binary(raw[:65536], str(path))
    text = raw.decode("cp1252", errors="replace")  # OFAC publishes its CSV in Windows-1252
    try:
        return [row for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as exc:
        raise ValidationError(f"not the SDN CSV layout: {exc}", where=str(path)) from None


def _ofac_date(text: str) -> str:
    from datetime import datetime

    for fmt, keep in (("%d %b %Y", "%Y-%m-%d"), ("%b %Y", "%Y-%m"), ("%Y", "%Y")):
        try:
            return datetime.strptime(text.strip(), fmt).strftime(keep)
        except ValueError:
            continue
    return text


def parse_ofac(sdn: Path, alt: Path | None = None, add: Path | None = None) -> _Builder:  # noqa: C901 - one branch per column of the published SDN layout
    builder = _Builder()
    names: dict[str, str] = {}
    rows = _read_ofac(sdn)
    for n, row in enumerate(rows):
        if len(row) < 12:
            raise ValidationError(f"expected 12 columns, found {len(row)}", where=f"{sdn}: row {n + 1}")
        ent, name, kind, program, title, call_sign, vess_type, tonnage, grt, flag, _owner, remarks = (c.strip() for c in row[:12])
        schema = OFAC_TYPES.get(kind.lower() if kind != NULL else NULL)
        if schema is None:
            raise ValidationError(f"unknown SDN type {kind!r}", where=f"{sdn}: row {n + 1} (ent {ent})")
        entity_id = f"ofac-{ent}"
        names[name.upper()] = entity_id
        builder.add(entity_id, schema, "name", name)
        builder.add(entity_id, schema, "topics", "sanction")
        programs = [p.strip() for p in program.split("] [")] if program != NULL else []
        builder.add(entity_id, schema, "program", *programs)
        builder.add(entity_id, schema, "notes", remarks if remarks != NULL else None)
        if schema == "Person":
            builder.add(entity_id, schema, "position", title if title != NULL else None)
            builder.add(entity_id, schema, "birthDate", *(_ofac_date(d) for d in _DOB.findall(remarks)))
            builder.add(entity_id, schema, "birthPlace", *(p.strip() for p in _POB.findall(remarks)))
            builder.add(entity_id, schema, "nationality", *(p.strip() for p in _NATIONALITY.findall(remarks)))
        if schema == "Vessel":
            builder.add(entity_id, schema, "callSign", call_sign)
            builder.add(entity_id, schema, "type", vess_type)
            builder.add(entity_id, schema, "tonnage", tonnage.replace(",", ""))
            builder.add(entity_id, schema, "grossRegisteredTonnage", grt.replace(",", ""))
            builder.add(entity_id, schema, "flag", flag)
            builder.add(entity_id, schema, "imoNumber", *(f"IMO{m}" for m in _IMO.findall(remarks)))
            builder.add(entity_id, schema, "mmsi", *_MMSI.findall(remarks))
        for quality, alias in _AKA.findall(remarks):
            builder.add(entity_id, schema, "previousName" if quality == "f.k.a." else "alias", alias)
        sanction_id = f"ofac-{ent}-sanction"
        builder.add(sanction_id, "Sanction", "entity", entity_id)
        builder.add(sanction_id, "Sanction", "authority", "US Treasury, Office of Foreign Assets Control")
        builder.add(sanction_id, "Sanction", "program", *programs)
        builder.add(sanction_id, "Sanction", "country", "us")
    # "Linked To: NAME." in remarks becomes an UnknownLink to the named SDN entry, when it is one
    for row in rows:
        ent, remarks = row[0].strip(), row[11].strip()
        for target in _LINKED.findall(remarks):
            target_id = names.get(target.strip().rstrip(".").upper())
            if target_id:
                link_id = f"ofac-{ent}-link-{target_id.removeprefix('ofac-')}"
                builder.add(link_id, "UnknownLink", "subject", f"ofac-{ent}")
                builder.add(link_id, "UnknownLink", "object", target_id)
                builder.add(link_id, "UnknownLink", "role", "Linked To (OFAC)")
    known = {eid for eid in builder.entities}
    if alt is not None:
        for row in _read_ofac(alt):
            entity_id = f"ofac-{row[0].strip()}"
            if entity_id in known and len(row) >= 4:
                schema = builder.entities[entity_id][0]
                quality = row[2].strip().lower()
                builder.add(entity_id, schema, "previousName" if quality == "fka" else "alias", row[3])
    if add is not None:
        for row in _read_ofac(add):
            entity_id = f"ofac-{row[0].strip()}"
            if entity_id in known and len(row) >= 5:
                schema = builder.entities[entity_id][0]
                if _schema(schema).get("address") is None:
                    continue
                parts = [p.strip() for p in row[2:5] if p.strip() and p.strip() != NULL]
                builder.add(entity_id, schema, "address", ", ".join(parts) if parts else None)
                builder.add(entity_id, schema, "country", row[4] if row[4].strip() != NULL else None)
    return builder


# -- OFAC SDN "advanced" XML -------------------------------------------------------------------
# The same designations as the legacy CSV, fully structured: reference value sets (types of
# aliases, parties, features, documents, countries) that the entries point at by ID. Entity ids
# are `ofac-<FixedRef>`, the CSV's entity numbers, so either format keeps the same entities.
ADVANCED_PARTY_TYPES = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}
ADVANCED_FEATURES = {  # feature type (lower case) -> FtM property
    "vessel call sign": "callSign", "vessel flag": "flag", "vessel type": "type", "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage", "vessel year of build": "buildDate",
    "birthdate": "birthDate", "place of birth": "birthPlace", "nationality country": "nationality",
    "citizenship country": "citizenship", "gender": "gender", "title": "position", "website": "website",
    "email address": "email", "phone number": "phone", "location": "address", "aircraft model": "model",
    "aircraft manufacturer's serial number (msn)": "serialNumber", "aircraft tail number": "registrationNumber",
}
ADVANCED_DOCUMENTS = {  # document type (lower case) -> FtM property
    "vessel registration identification": "imoNumber", "mmsi": "mmsi", "passport": "passportNumber",
    "national id no.": "idNumber", "registration number": "registrationNumber", "tax id no.": "taxNumber",
    "company number": "registrationNumber",
}
PERSON_NAME_ORDER = ("first name", "middle name", "patronymic", "matronymic", "last name")


def _strip_namespaces(root: ET.Element) -> ET.Element:
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _date_of(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    parts = [element.findtext(p) for p in ("Year", "Month", "Day")]
    if not parts[0]:
        return None
    return "-".join([parts[0]] + [f"{int(x):02d}" for x in parts[1:] if x])


def parse_ofac_advanced(path: Path) -> tuple[_Builder, str | None]:  # noqa: C901 - one branch per element of OFAC's published XML schema
    try:
        root = _strip_namespaces(ET.fromstring(_read(path)))
    except ET.ParseError as exc:
        raise ValidationError(f"not XML: {exc}", where=str(path)) from None
    if root.tag != "Sanctions" or root.find("DistinctParties") is None:
        raise ValidationError("not an OFAC advanced XML file (no Sanctions/DistinctParties)", where=str(path))
    issued = _date_of(root.find("DateOfIssue"))
    ref: dict[str, dict[str, str]] = defaultdict(dict)  # value set item tag -> ID -> text
    value_sets = root.find("ReferenceValueSets")
    for value_set in (value_sets if value_sets is not None else []):
        for item in value_set:
            ref[item.tag][item.get("ID", "")] = (item.text or "").strip()
    locations: dict[str, tuple[str, str | None]] = {}
    for location in root.iter("Location"):
        parts = [(ref["LocPartType"].get(part.get("LocPartTypeID", ""), ""), part.findtext("LocationPartValue/Value") or "")
                 for part in location.findall("LocationPart")]
        country = location.find("LocationCountry")
        country_name = ref["Country"].get(country.get("CountryID", "")) if country is not None else None
        text = ", ".join(v.strip() for _, v in parts if v.strip())
        locations[location.get("ID", "")] = (", ".join(x for x in (text, country_name) if x), country_name)
    documents: dict[str, list[tuple[str, str]]] = defaultdict(list)  # identity id -> (doc type, number)
    for document in root.iter("IDRegDocument"):
        kind = ref["IDRegDocType"].get(document.get("IDRegDocTypeID", ""), "").lower()
        number = (document.findtext("IDRegistrationNo") or "").strip()
        if number:
            documents[document.get("IdentityID", "")].append((kind, number))
    builder = _Builder()
    profile_entity: dict[str, str] = {}
    for party in root.iter("DistinctParty"):
        fixed = party.get("FixedRef")
        profile = party.find("Profile")
        if not fixed or profile is None:
            raise ValidationError("DistinctParty without FixedRef or Profile", where=f"{path}: DistinctParty {fixed or '?'}")
        subtype = ref["PartySubType"].get(profile.get("PartySubTypeID", ""), "").lower()
        schema = ADVANCED_PARTY_TYPES.get(subtype, "LegalEntity")
        entity_id = f"ofac-{fixed}"
        profile_entity[profile.get("ID", fixed)] = entity_id
        builder.add(entity_id, schema, "topics", "sanction")
        for identity in profile.findall("Identity"):
            groups = {g.get("ID", ""): ref["NamePartType"].get(g.get("NamePartTypeID", ""), "").lower()
                      for g in identity.iter("NamePartGroup")}
            for alias in identity.findall("Alias"):
                alias_type = ref["AliasType"].get(alias.get("AliasTypeID", ""), "").lower()
                for documented in alias.findall("DocumentedName"):
                    parts = [(groups.get(v.get("NamePartGroupID", ""), ""), (v.text or "").strip())
                             for v in documented.iter("NamePartValue") if (v.text or "").strip()]
                    if schema == "Person" and any(kind in PERSON_NAME_ORDER for kind, _ in parts):
                        last = " ".join(v for kind, v in parts if kind == "last name")
                        given = " ".join(v for kind in PERSON_NAME_ORDER[:-1] for k, v in parts if k == kind)
                        others = " ".join(v for kind, v in parts if kind not in PERSON_NAME_ORDER)
                        name = ", ".join(x for x in (last, " ".join(y for y in (given, others) if y)) if x)
                    else:
                        name = " ".join(v for _, v in parts)
                    if alias.get("Primary") == "true" and identity.get("Primary", "true") == "true":
                        prop = "name"
                    elif alias_type.startswith("f.k.a"):
                        prop = "previousName"
                    elif alias.get("LowQuality") == "true":
                        prop = "weakAlias"
                    else:
                        prop = "alias"
                    builder.add(entity_id, schema, prop, name)
            for kind, number in documents.get(identity.get("ID", ""), []):
                document_prop = ADVANCED_DOCUMENTS.get(kind)
                if document_prop == "imoNumber":
                    digits = re.sub(r"\D", "", number)
                    number = f"IMO{digits}" if len(digits) == 7 else number
                if document_prop and _schema(schema).get(document_prop) is not None:
                    builder.add(entity_id, schema, document_prop, number)
        for feature in profile.findall("Feature"):
            feature_prop = ADVANCED_FEATURES.get(ref["FeatureType"].get(feature.get("FeatureTypeID", ""), "").lower())
            if feature_prop is None or _schema(schema).get(feature_prop) is None:
                continue
            for version in feature.findall("FeatureVersion"):
                values: list[str | None] = []
                for detail in version.findall("VersionDetail"):
                    values.append(ref["DetailReference"].get(detail.get("DetailReferenceID", ""))
                                  if detail.get("DetailReferenceID") else (detail.text or "").strip())
                for place in version.findall("VersionLocation"):
                    address, place_country = locations.get(place.get("LocationID", ""), ("", None))
                    values.append(address if feature_prop == "address" else (place_country or address))
                    if feature_prop == "address" and _schema(schema).get("country") is not None:
                        builder.add(entity_id, schema, "country", place_country)
                period = version.find("DatePeriod")
                if period is not None:
                    values.append(_date_of(period.find("Start/From")) or _date_of(period.find("Start")))
                if feature_prop in ("tonnage", "grossRegisteredTonnage"):
                    values = [v.replace(",", "") if v else v for v in values]
                builder.add(entity_id, schema, feature_prop, *values)
    for entry in root.iter("SanctionsEntry"):
        listed_id = profile_entity.get(entry.get("ProfileID", ""))
        if listed_id is None:
            continue
        entity_id = listed_id
        schema = builder.entities[entity_id][0]
        programs = [(m.findtext("Comment") or "").strip() for m in entry.findall("SanctionsMeasure")
                    if ref["SanctionsType"].get(m.get("SanctionsTypeID", ""), "Program").lower() == "program"]
        programs = [p for p in programs if p]
        builder.add(entity_id, schema, "program", *programs)
        sanction_id = f"{entity_id}-sanction"
        builder.add(sanction_id, "Sanction", "entity", entity_id)
        builder.add(sanction_id, "Sanction", "authority", "US Treasury, Office of Foreign Assets Control")
        builder.add(sanction_id, "Sanction", "program", *programs)
        builder.add(sanction_id, "Sanction", "country", "us")
        builder.add(sanction_id, "Sanction", "listingDate", _date_of(entry.find("EntryEvent/Date")))
    for relation in root.iter("ProfileRelationship"):
        source, target = profile_entity.get(relation.get("From-ProfileID", "")), profile_entity.get(relation.get("To-ProfileID", ""))
        if source and target:
            kind = ref["RelationType"].get(relation.get("RelationTypeID", ""), "Linked To")
            link_id = f"{source}-link-{target.removeprefix('ofac-')}"
            builder.add(link_id, "UnknownLink", "subject", source)
            builder.add(link_id, "UnknownLink", "object", target)
            builder.add(link_id, "UnknownLink", "role", f"{kind} (OFAC)")
    return builder, issued


# -- UN Security Council consolidated list ------------------------------------------------------
def parse_un(path: Path) -> tuple[_Builder, str | None]:  # noqa: C901 - one branch per element of the UN list's published XML schema
    try:
        root = ET.fromstring(_read(path))
    except ET.ParseError as exc:
        raise ValidationError(f"not valid XML: {exc}", where=str(path)) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ValidationError(f"expected CONSOLIDATED_LIST, found {root.tag}", where=str(path))
    builder = _Builder()
    for kind, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "LegalEntity")):
        for node in root.iter(kind):
            data_id = node.findtext("DATAID")
            if not data_id:
                raise ValidationError("record without DATAID", where=f"{path}: {kind}")
            entity_id = f"un-{data_id}"
            add = lambda prop, *values, _id=entity_id, _schema=schema: builder.add(_id, _schema, prop, *values)  # noqa: E731
            parts = [node.findtext(t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            add("name", " ".join(p.strip() for p in parts if p and p.strip()))
            add("topics", "sanction")
            add("program", node.findtext("UN_LIST_TYPE"))
            add("programId", node.findtext("REFERENCE_NUMBER"))
            add("notes", node.findtext("COMMENTS1"))
            add("createdAt", node.findtext("LISTED_ON"))
            for alias in node.iter(f"{kind}_ALIAS"):
                quality = (alias.findtext("QUALITY") or "").lower()
                # UN alias quality: "Good" and "a.k.a." are aliases; "Low" ones are weak
                add("weakAlias" if quality == "low" else "alias", alias.findtext("ALIAS_NAME"))
            if schema == "Person":
                add("alias", node.findtext("NAME_ORIGINAL_SCRIPT"))
                add("title", *(v.text for v in node.findall("TITLE/VALUE")))
                add("position", *(v.text for v in node.findall("DESIGNATION/VALUE")))
                add("nationality", *(v.text for v in node.findall("NATIONALITY/VALUE")))
                for dob in node.iter("INDIVIDUAL_DATE_OF_BIRTH"):
                    add("birthDate", dob.findtext("DATE") or dob.findtext("YEAR"))
                for pob in node.iter("INDIVIDUAL_PLACE_OF_BIRTH"):
                    add("birthPlace", ", ".join(p for p in (pob.findtext("CITY"), pob.findtext("STATE_PROVINCE"),
                                                             pob.findtext("COUNTRY")) if p))
            for address in node.iter(f"{kind}_ADDRESS"):
                parts = [address.findtext(t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")]
                text = ", ".join(p.strip() for p in parts if p and p.strip())
                add("address", text or None)
                add("country", address.findtext("COUNTRY"))
            sanction_id = f"{entity_id}-sanction"
            builder.add(sanction_id, "Sanction", "entity", entity_id)
            builder.add(sanction_id, "Sanction", "authority", "United Nations Security Council")
            builder.add(sanction_id, "Sanction", "program", node.findtext("UN_LIST_TYPE"))
            builder.add(sanction_id, "Sanction", "programId", node.findtext("REFERENCE_NUMBER"))
            builder.add(sanction_id, "Sanction", "listingDate", node.findtext("LISTED_ON"))
    return builder, (root.get("dateGenerated") or "")[:10] or None


# -- FollowTheMoney JSON lines -----------------------------------------------------------------
def parse_ftm(path: Path) -> _Builder:
    builder = _Builder()
    from interdict.io import text_of

    with io.StringIO(text_of(_read(path), str(path))) as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                entity_id, schema = str(data["id"]), str(data["schema"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValidationError(f"not an FtM entity: {exc}", where=f"{path}: line {n}") from None
            if model.get(schema) is None:
                raise ValidationError(f"unknown schema {schema!r}", where=f"{path}: line {n} (id={entity_id})")
            for prop, values in (data.get("properties") or {}).items():
                if _schema(schema).get(prop) is None:
                    raise ValidationError(f"schema {schema} has no property {prop!r}", where=f"{path}: line {n} (id={entity_id})")
                builder.add(entity_id, schema, prop, *(values if isinstance(values, list) else [values]))
    return builder


# -- import ------------------------------------------------------------------------------------
LISTS = {
    "ofac": ("ofac-sdn", "OFAC Specially Designated Nationals list", "US Treasury, Office of Foreign Assets Control"),
    "un": ("un-sc-consolidated", "United Nations Security Council Consolidated List", "United Nations Security Council"),
}


DEFAULT_MAX_SHRINK = 0.1  # a new version may retract at most this share of the list's entities unless allowed


def import_list(engine: Engine, kind: str, paths: list[Path], *, agency: str, list_date: str | None = None,  # noqa: C901 - one branch per list kind
                dataset: str | None = None, marking: Marking | None = None, grade: Grade | None = None,
                max_shrink: float = DEFAULT_MAX_SHRINK, allow_shrink: bool = False, dry_run: bool = False) -> ListImport:
    """Import one version of a list. A version that would retract more than `max_shrink` of the
    entities now recorded (an empty or truncated file looks like a mass delisting) is refused,
    nothing written, unless `allow_shrink`; `dry_run` computes the diff and writes nothing."""
    if not 0 <= max_shrink <= 1:
        raise ValidationError(f"must be between 0 and 1, not {max_shrink}", where="--max-shrink")
    marking = marking or Marking(TLP.CLEAR)
    grade = grade or Grade("A", "1")
    if kind == "ofac":
        if not paths or len(paths) > 3:
            raise ValidationError("give sdn.csv, optionally followed by alt.csv and add.csv", where="ofac")
        sdn = paths[0]
        alt = next((p for p in paths[1:] if p.name.lower().startswith("alt")), None)
        add = next((p for p in paths[1:] if p.name.lower().startswith("add")), None)
        if len(paths) > 1 + (alt is not None) + (add is not None):
            raise ValidationError("the files after sdn.csv must be named alt.csv and add.csv (compressed or not)", where="ofac")
        builder = parse_ofac(sdn, alt, add)
        dataset_id, title, publisher = LISTS["ofac"]
    elif kind == "ofac-advanced":
        if len(paths) != 1:
            raise ValidationError("give one sdn_advanced.xml", where="ofac-advanced")
        builder, issued = parse_ofac_advanced(paths[0])
        list_date = list_date or issued
        dataset_id, title, publisher = LISTS["ofac"]
    elif kind == "un":
        builder, generated = parse_un(paths[0])
        list_date = list_date or generated
        dataset_id, title, publisher = LISTS["un"]
    elif kind == "ftm":
        if not dataset:
            raise ValidationError("FtM imports need --dataset NAME", where="ftm")
        builder = parse_ftm(paths[0])
        dataset_id, title, publisher = dataset, f"FollowTheMoney import {paths[0].name}", None
    else:
        raise ValidationError(f"unknown list kind {kind!r} (ofac, ofac-advanced, un, ftm)", where="lists import")
    dataset_id = dataset or dataset_id
    source = SourceRecord(id=dataset_id, title=title, kind="dataset", reliability=grade.reliability, marking=marking,
                          publisher=publisher, published=list_date)
    write = DatasetWrite(dataset=dataset_id, agency=agency, sources=[source],
                         statements=builder.records(dataset_id, grade, marking))
    digest = hashlib.sha256(b"".join(_read(p) for p in paths)).hexdigest()
    with engine.connect() as conn, conn.begin() as transaction:
        before = _entity_states(conn, dataset_id, agency)
        changes = write_dataset(conn, write, path=", ".join(str(p) for p in paths), sha256=digest)
        after = _entity_states(conn, dataset_id, agency)
        removed = sorted(before.keys() - after.keys())
        diff = {
            "added": len(after.keys() - before.keys()),
            "removed": len(removed),
            "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
            "unchanged": sum(1 for k in after.keys() & before.keys() if after[k] == before[k]),
        }
        examples = _captions(conn, dataset_id, agency, removed[:20])
        if before and len(removed) > max_shrink * len(before) and not allow_shrink:
            shown = ", ".join(f"{e['id']} ({e['name']})" if e["name"] else str(e["id"]) for e in examples[:5])
            raise ValidationError(
                f"this version would retract {len(removed):,} of the {len(before):,} entities recorded from {dataset_id} "
                f"({len(removed) / len(before):.0%}, more than the {max_shrink:.0%} allowed), e.g. {shown}; nothing was "
                "written. Check the file, see the whole diff with --dry-run, or give --allow-shrink",
                where=", ".join(p.name for p in paths))
        if dry_run:
            transaction.rollback()
    return ListImport(dataset=dataset_id, source=dataset_id, entities=len(builder.entities),
                      statements=len(write.statements), changes=changes, diff=diff, unclean=builder.unclean,
                      removed=examples, dry_run=dry_run)


def _captions(conn, dataset: str, agency: str, entity_ids: list[str]) -> list[dict[str, str | None]]:
    """Entity ids with a name each (the list's own, live or just retracted), for a diff a person can read."""
    if not entity_ids:
        return []
    names: dict[str, str] = {}
    for entity_id, value in conn.execute(select(statements.c.entity_id, statements.c.value).where(
            statements.c.dataset == dataset, statements.c.agency == agency, statements.c.prop == "name",
            statements.c.entity_id.in_(entity_ids)).order_by(statements.c.entity_id, statements.c.value)):
        names.setdefault(entity_id, value)
    return [{"id": e, "name": names.get(e)} for e in entity_ids]


def _entity_states(conn, dataset: str, agency: str) -> dict[str, frozenset[tuple[str, int]]]:
    """entity id -> its live statements (id, version) in the agency's dataset: what a list diff compares."""
    states: dict[str, set[tuple[str, int]]] = defaultdict(set)
    rows = conn.execute(select(statements.c.entity_id, statements.c.id, statements.c.version)
                        .where(statements.c.dataset == dataset, statements.c.agency == agency,
                               statements.c.retracted_at.is_(None)))
    for entity_id, statement_id, version in rows:
        states[entity_id].add((statement_id, version))
    return {k: frozenset(v) for k, v in states.items()}
