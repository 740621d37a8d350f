"""The seizure return template a member state fills in, generated from the model
(`seizures.FIELDS`, the code lists and the unit table), as CSV or Excel."""

from __future__ import annotations

import csv
from pathlib import Path

from interdict.errors import ValidationError
from interdict.monitoring.codes import code_lists
from interdict.monitoring.seizures import FIELD_NAMES, FIELDS


def write_template(path: Path) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerow(FIELD_NAMES)
        return path
    if suffix == ".xlsx":
        return _write_xlsx(path)
    raise ValidationError("the template file must end in .csv or .xlsx", where=str(path))


def _write_xlsx(path: Path) -> Path:  # noqa: C901 - one sheet after another, as the template shows them
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Seizures"
    sheet.append(FIELD_NAMES)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    sheet.freeze_panes = "A2"
    for column, (name, _) in enumerate(FIELDS, start=1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = max(12, len(name) + 2)

    codes = book.create_sheet("Codes")
    codes.append(["list", "code", "meaning"])
    lists = code_lists()
    ranges: dict[str, str] = {}
    row = 2
    for list_name in ("drug_groups", "conveyance", "concealment"):
        start = row
        for code, label in lists[list_name].labels.items():
            codes.append([list_name, code, label])
            row += 1
        ranges[list_name] = f"Codes!$B${start}:$B${row - 1}"
    start = row
    for unit in ["kg", "g", "lb", "t", "viss", "picul", "L", "mL", "US gallon", "tablet", "capsule", "ampoule", "dose",
                 "blot", "bottle", "plant"]:
        codes.append(["unit", unit, "unit of the quantity"])
        row += 1
    ranges["unit"] = f"Codes!$B${start}:$B${row - 1}"
    for cell in codes[1]:
        cell.font = Font(bold=True)

    column_of = {name: sheet.cell(1, i).column_letter for i, name in enumerate(FIELD_NAMES, start=1)}
    for field, list_name in (("drug_group", "drug_groups"), ("conveyance", "conveyance"), ("concealment", "concealment"),
                             ("unit", "unit")):
        validation = DataValidation(type="list", formula1=ranges[list_name], allow_blank=True,
                                    error=f"Choose a code from the Codes sheet ({list_name}).", showErrorMessage=True)
        sheet.add_data_validation(validation)
        validation.add(f"{column_of[field]}2:{column_of[field]}5000")
    kind = DataValidation(type="list", formula1='"seizure,arrests"', allow_blank=True)
    sheet.add_data_validation(kind)
    kind.add(f"{column_of['kind']}2:{column_of['kind']}5000")

    fields = book.create_sheet("Fields")
    fields.append(["column", "what to write"])
    for name, meaning in FIELDS:
        fields.append([name, meaning])
    fields.column_dimensions["A"].width = 22
    fields.column_dimensions["B"].width = 110
    for cell in fields[1]:
        cell.font = Font(bold=True)
    for r in fields.iter_rows(min_row=2):
        r[1].alignment = Alignment(wrap_text=True)
    book.save(path)
    return path
