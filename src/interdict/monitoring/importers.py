"""Readers for the seizure tables member states and UN bodies publish, each turning rows into the
model's fields (`interdict.monitoring.seizures.FIELDS`). Validation happens once, in
`seizures.validate`, whatever the format.

Formats (`--format auto` sniffs the header):
- `unodc-portal`: UNODC Data Portal export "Drug seizures" (country x drug x year, kg), CSV or xlsx.
- `unodc-kg-equiv`: UNODC annual seizures in kg equivalent 1970-2020; a (country, drug, year) may
  come on several rows (one per originally reported unit): each row is kept as its own record and
  the indicators sum them.
- `cbp`: US CBP nationwide or Air and Marine Operations monthly seizures (fiscal years, pounds).
- `india-ncb`: India NCB state-wise seizures by drug in mixed units, with cases and arrests.
- `template`: the member-state template (`interdict seizures template`), CSV or xlsx.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interdict.errors import ValidationError
from interdict.markings import Grade
from interdict.monitoring.seizures import FIELD_NAMES, RawRow, iter_csv

MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    publisher: str
    grade: Grade
    signature: frozenset[str]  # header columns that identify it
    read: Callable[[Path], Iterator[RawRow]]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
    else:
        yield from iter_csv(path)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet after its header row (the first row whose cells are mostly text;
    the UNODC export has a title in row 1 and the header in row 2)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken file
        raise ValidationError(f"cannot read as an Excel workbook: {exc}", where=str(path)) from None
    sheet = book["Seizures"] if "Seizures" in book.sheetnames else book.worksheets[0]
    header: list[str] | None = None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if header is None:
            cells = [v for v in values if v is not None]
            if len(cells) >= 3 and all(isinstance(v, str) for v in cells):
                header = [str(v).strip() if v is not None else "" for v in values]
            continue
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        yield number, {h: v for h, v in zip(header, values) if h}
    book.close()


def header_of(path: Path) -> set[str]:
    for _, row in _rows(path):
        return {k for k in row if k}
    raise ValidationError("the file has no rows", where=str(path))


def _keyed(rows: Iterator[tuple[int, dict[str, Any], str, dict[str, Any]]]) -> Iterator[RawRow]:
    """Number repeated natural keys (#2, #3 ...) so distinct rows never collapse into one."""
    seen: Counter[str] = Counter()
    for number, raw, key, fields in rows:
        seen[key] += 1
        yield RawRow(number, key if seen[key] == 1 else f"{key}#{seen[key]}", {k: _plain(v) for k, v in raw.items()}, fields)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


def read_unodc_portal(path: Path) -> Iterator[RawRow]:
    def rows():
        for number, r in _rows(path):
            fields = {
                "country": r.get("msCode") or r.get("Country"), "country_name": r.get("Country"),
                "region": r.get("Region"), "subregion": r.get("SubRegion"),
                "year": r.get("Reference year"), "drug_group": r.get("DrugGroup"),
                "drug": r.get("DrugName") or r.get("DrugSubGroup"), "quantity": r.get("Kilograms"), "unit": "kg",
            }
            key = "|".join(str(r.get(k)) for k in ("msCode", "DrugGroup", "DrugSubGroup", "DrugName", "Reference year"))
            yield number, r, key, fields
    return _keyed(rows())


def read_unodc_kg_equiv(path: Path) -> Iterator[RawRow]:
    def rows():
        for number, r in _rows(path):
            fields = {
                "country": _present(r.get("ISO Code")) or r.get("country"), "country_name": r.get("country"),
                "region": r.get("Region"), "year": r.get("Year"), "drug_group": r.get("Drug Group"),
                "drug": r.get("Drug"), "quantity": r.get("KG Equivalent"), "unit": "kg",
                "kg_basis": "kg equivalent as reported by UNODC",
            }
            key = "|".join(str(r.get(k)) for k in ("ISO Code", "Drug Group", "Drug", "Year"))
            yield number, r, key, fields
    return _keyed(rows())


def _present(value: Any) -> Any:
    """None for the ways exports write an empty cell."""
    return None if value is None or str(value).strip().upper() in ("", "NULL", "NA", "N/A") else value


def read_cbp(path: Path) -> Iterator[RawRow]:
    def rows():
        for number, r in _rows(path):
            fy_text = str(r.get("FY") or "")
            month_text = str(r.get("Month (abbv)") or "").strip().upper()
            fy_match = re.match(r"^\s*(\d{4})", fy_text)
            fields: dict[str, Any] = {"country": "USA", "seizing_agency": f"US CBP, {r.get('Component')}",
                                      "drug": r.get("Drug Type"), "drug_group": r.get("Drug Type"),
                                      "quantity": r.get("Sum Qty (lbs)"), "unit": "lb", "events": r.get("Count of Event"),
                                      "area": r.get("Area of Responsibility") or r.get("Branch")}
            # US federal fiscal year N runs from October N-1 to September N.
            if fy_match and month_text in MONTHS:
                month = MONTHS[month_text]
                fields["year"] = int(fy_match.group(1)) - (1 if month >= 10 else 0)
                fields["month"] = month
            else:
                fields["year"] = f"FY {fy_text!r} month {month_text!r}"  # fails validation with this text
            key = "|".join(str(r.get(k)) for k in ("FY", "Month (abbv)", "Component", "Region", "Land Filter",
                                                   "Area of Responsibility", "Branch", "Drug Type"))
            yield number, r, key, fields
    return _keyed(rows())


# India NCB columns: <Drug>_<Unit>. Drug group by name; unit as written.
_NCB_UNITS = {"kg": "kg", "litre": "L", "no": "unit", "blots": "blot", "bottle": "bottle"}
_NCB_DRUGS = {
    "Acetic_Anhydride": ("precursors", "Acetic anhydride"), "ATS": ("ats", "Amphetamine-type stimulants"),
    "Anthralic_Acid": ("precursors", "Anthranilic acid"), "Cocaine": ("cocaine", "Cocaine"),
    "Codeine": ("opioids", "Codeine"), "CBCS": ("opioids", "Codeine-based cough syrup"),
    "Ephedrine": ("precursors", "Ephedrine"), "Fentanyl_HCL": ("opioids", "Fentanyl HCl"),
    "Ganja": ("cannabis", "Ganja (cannabis herb)"), "Hashish": ("cannabis", "Hashish"),
    "Hashish_Oil": ("cannabis", "Hashish oil"), "Heroin": ("opioids", "Heroin"), "Ketamine": ("nps", "Ketamine"),
    "Khat_Leaves": ("nps", "Khat leaves"), "LSD": ("hallucinogens", "LSD"), "MDMA": ("ecstasy", "MDMA"),
    "Mephedrone": ("nps", "Mephedrone"), "Mescaline": ("hallucinogens", "Mescaline"),
    "Mandrax": ("sedatives", "Mandrax (methaqualone)"), "Morphine": ("opioids", "Morphine"),
    "Opium": ("opioids", "Opium"), "Phensidyl": ("opioids", "Phensedyl (codeine cough syrup)"),
    "Poppy_Husk_Straw": ("opioids", "Poppy husk/straw"), "Injection": ("other", "Injections (unspecified)"),
    "Tablets": ("other", "Tablets (unspecified)"),
}


def read_india_ncb(path: Path) -> Iterator[RawRow]:
    def rows():
        for number, r in _rows(path):
            state = r.get("State_UT")
            if str(r.get("Is_Total_Row", "")).strip().lower() == "true":
                # A national total row repeats the states' figures; keeping it would double count.
                yield number, r, f"{r.get('Year')}|{state}|total", {
                    "_reject": "national total row: it repeats the states' figures, so importing it would double count"}
                continue
            base = {"country": "IND", "area": state, "year": r.get("Year"), "seizing_agency": "India NCB (compiled)"}
            yield number, r, f"{r.get('Year')}|{state}|arrests", {**base, "kind": "arrests", "events": _whole(r.get("Total_Cases")),
                                                                  "arrests": _whole(r.get("Total_Arrested"))}
            for column, value in r.items():
                if column.count("_") < 1 or column.startswith(("Total_", "Is_")) or column in ("State_UT",):
                    continue
                drug_key, _, unit_key = column.rpartition("_")
                if drug_key not in _NCB_DRUGS:
                    continue
                group, drug = _NCB_DRUGS[drug_key]
                unit = _NCB_UNITS.get(unit_key.lower(), unit_key)
                cell = {"Year": r.get("Year"), "State_UT": state, column: value}
                yield number, cell, f"{r.get('Year')}|{state}|{column}", {**base, "drug_group": group, "drug": drug,
                                                                         "quantity": value, "unit": unit}
    return _keyed(rows())


def _whole(value: Any) -> Any:
    """The NCB file writes counts as floats ('49.0'); keep other text for validation to reject."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number == int(number) else value


def read_template(path: Path) -> Iterator[RawRow]:
    def rows():
        for number, r in _rows(path):
            fields = {k: v for k, v in r.items() if k}
            yield number, r, f"row {number}", fields
    return _keyed(rows())


FORMATS: dict[str, Format] = {
    f.name: f for f in [
        Format("unodc-portal", "UNODC Data Portal: drug seizures", "UNODC", Grade("A", "2"),
               frozenset({"msCode", "DrugGroup", "Reference year", "Kilograms"}), read_unodc_portal),
        Format("unodc-kg-equiv", "UNODC annual drug seizures, kg equivalent", "UNODC (via Kaggle)", Grade("B", "2"),
               frozenset({"ISO Code", "Drug Group", "KG Equivalent"}), read_unodc_kg_equiv),
        Format("cbp", "US CBP drug seizures", "U.S. Customs and Border Protection", Grade("A", "2"),
               frozenset({"FY", "Month (abbv)", "Drug Type", "Sum Qty (lbs)"}), read_cbp),
        Format("india-ncb", "India NCB state-wise seizures and arrests", "Narcotics Control Bureau (India), compiled by third parties",
               Grade("C", "3"), frozenset({"State_UT", "Total_Cases", "Total_Arrested"}), read_india_ncb),
        Format("template", "Member-state seizure return", "member state", Grade("B", "2"),
               frozenset({"country", "quantity", "unit"}), read_template),
    ]
}


def sniff(path: Path) -> Format:
    header = header_of(path)
    for fmt in FORMATS.values():
        if fmt.signature <= header:
            if fmt.name == "template":
                unknown = header - set(FIELD_NAMES)
                if unknown:
                    raise ValidationError(f"looks like the template but has unknown column(s): {', '.join(sorted(unknown))}",
                                          where=str(path))
            return fmt
    raise ValidationError(f"unrecognised seizure table (columns: {', '.join(sorted(header)[:12])}); "
                          f"give --format ({', '.join(FORMATS)})", where=str(path))


def default_dataset(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".zst", ".zip", ".csv", ".xlsx", ".xlsm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "seizures"
