"""Monitoring for the INCB and the UN: seizure and arrest records, indicators, estimates, reports.

    from interdict.api import Interdict
    node = Interdict.open("interdict-data")
    node.import_seizures("unodc_drug_seizures_2018_2022.csv", agency="INCB")
    me = node.as_user("incb.monitor")
    me.indicators("JPN")
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from interdict.intel.writer import SourceRecord
from interdict.markings import TLP, Grade, Marking
from interdict.monitoring.importers import FORMATS, default_dataset, sniff
from interdict.monitoring.seizures import ImportResult, import_rows
from interdict.util import file_digest


def import_seizures(
    engine: Engine,
    path: str | Path,
    *,
    agency: str,
    quarantine_dir: Path,
    fmt: str = "auto",
    dataset: str | None = None,
    grade: Grade | None = None,
    marking: Marking | None = None,
    accept_valid: bool = False,
    published: str | None = None,
) -> ImportResult:
    from interdict.errors import ValidationError

    path = Path(path)
    if not path.is_file():
        raise ValidationError("no such file", where=str(path))
    if fmt == "auto":
        format_ = sniff(path)
    elif fmt in FORMATS:
        format_ = FORMATS[fmt]
    else:
        raise ValidationError(f"unknown format {fmt!r} (auto, {', '.join(FORMATS)})", where="--format")
    grade = grade or format_.grade
    marking = marking or Marking(TLP.CLEAR)
    dataset = dataset or default_dataset(path)
    source = SourceRecord(id=f"seizures:{dataset}", title=f"{format_.title}: {path.name}", kind="dataset",
                          reliability=grade.reliability, marking=marking, publisher=format_.publisher, published=published)
    return import_rows(engine, format_.read(path), dataset=dataset, fmt=format_.name, path=path, sha256=file_digest(path),
                       agency=agency, source=source, grade=grade, marking=marking, quarantine_dir=quarantine_dir,
                       accept_valid=accept_valid)
