"""Monitoring: seizure records, unit conversions, imports with row-level validation, indicators,
estimates with uncertainty, and reports (HTML, PDF) that show each user only what they may see."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import form_post

from interdict.api import Interdict
from interdict.demo import import_demo_seizures, setup_node
from interdict.errors import NotFound, ValidationError
from interdict.markings import TLP, Marking
from interdict.monitoring import estimates, indicators, seizures
from interdict.monitoring.routes import IDS_FOLDER, load_ids_network
from interdict.monitoring.template import write_template
from interdict.monitoring.units import area_to_hectares, default_units
from interdict.tables import seizures as seizures_table


# -- units -----------------------------------------------------------------------------------
@pytest.mark.parametrize("quantity, unit, drug, region, kg", [
    (2, "kg", "", "", 2.0),
    (1500, "g", "", "", 1.5),
    (10, "lb", "", "", 4.5359237),
    (1, "ton", "", "", 1000.0),
    (2, "viss", "Opium", "", 3.266),
    (1, "picul", "Opium", "", 60.48),
    (3, "L", "Codeine syrup", "", 3.0),
    (500, "mL", "", "", 0.5),
    (2, "US gallon", "", "", 7.570823568),
    (3, "10 g", "", "", 0.03),  # UNODC price units such as "10 g"
    (10_000, "tablets", "Methamphetamine", "East and South-East Asia", 0.9),
    (10_000, "tablet", "Methamphetamine", "Western and Central Europe", 1.0),
    (1_000, "tablet", "MDMA (ecstasy)", "", 0.3),
])
def test_unit_conversions(quantity, unit, drug, region, kg):
    conversion = default_units().to_kg(quantity, unit, drug=drug, region=region)
    assert conversion.kg == pytest.approx(kg)
    assert conversion.basis


def test_units_without_a_weight_keep_the_quantity_and_say_why():
    bottle = default_units().to_kg(40, "bottle", drug="Codeine-based cough syrup")
    assert bottle.kg is None and "no weight configured" in bottle.basis
    area = default_units().to_kg(3, "hectare", drug="Opium poppy")
    assert area.kg is None and "not a weight" in area.basis
    with pytest.raises(ValidationError, match="unknown unit 'bushel'"):
        default_units().to_kg(1, "bushel")


def test_pyung_to_hectares_matches_the_brief():
    # DOMAIN.md: 1.3 M / 12.8 M / 21.8 M pyung ~ 430 / 4,231 / 7,207 ha
    assert [round(area_to_hectares(p, "pyung")) for p in (1.3e6, 12.8e6, 21.8e6)] == [430, 4231, 7207]


# -- validation and imports ---------------------------------------------------------------------
def _template(path: Path, rows: list[dict[str, object]]) -> Path:
    write_template(path)
    header = path.read_text().strip().split(",")
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        for row in rows:
            writer.writerow(row)
    return path


GOOD = [
    {"country": "JPN", "year": 2021, "drug_group": "ats", "drug": "Methamphetamine", "quantity": "12.5", "unit": "kg",
     "conveyance": "sea", "departure_country": "PRK", "destination_country": "JPN"},
    {"country": "Republic of Korea", "date": "2022-03-04", "drug_group": "opioids", "drug": "Heroin", "quantity": "0",
     "unit": "kg"},
    {"country": "AUS", "year": 2020, "drug_group": "ats", "drug": "Methamphetamine", "quantity": "", "unit": ""},
    {"country": "AUS", "year": 2019, "drug_group": "ats", "drug": "Methamphetamine", "quantity": "not known", "unit": ""},
    {"country": "PHL", "year": 2021, "drug_group": "ats", "drug": "Methamphetamine", "quantity": "20000", "unit": "tablet"},
    {"kind": "arrests", "country": "IND", "year": 2022, "events": "12", "arrests": "15"},
]
BROKEN = [
    ({"country": "XYZ", "year": 2021, "drug_group": "ats", "quantity": "1", "unit": "kg"}, "country: unknown country 'XYZ'"),
    ({"country": "JPN", "year": 2021, "drug_group": "ats", "quantity": "-3", "unit": "kg"}, "quantity: must be a finite number >= 0"),
    ({"country": "JPN", "year": 2021, "drug_group": "ats", "quantity": "5", "unit": "bushel"}, "unit: unknown unit 'bushel'"),
    ({"country": "JPN", "year": 2021, "drug_group": "ats", "quantity": "5", "unit": ""}, "unit: unit is required"),
    ({"country": "JPN", "drug_group": "ats", "quantity": "5", "unit": "kg"}, "year: year (or date) is required"),
    ({"country": "JPN", "date": "2999-01-01", "drug_group": "ats", "quantity": "5", "unit": "kg"}, "is in the future"),
    ({"country": "JPN", "year": 2021, "month": 13, "drug_group": "ats", "quantity": "5", "unit": "kg"}, "month must be 1-12"),
    ({"country": "JPN", "year": 2021, "drug_group": "crack", "quantity": "5", "unit": "kg"}, "unknown drug groups 'crack'"),
    ({"country": "JPN", "year": 2021, "drug_group": "ats", "quantity": "five", "unit": "kg"}, "quantity: not a number: 'five'"),
    ({"country": "JPN", "year": 2021, "drug_group": "ats", "quantity": "1", "unit": "kg", "purity": "80"}, "purity is a fraction"),
    ({"kind": "arrests", "country": "IND", "year": 2022}, "needs events (cases) or arrests"),
]


def _count(node: Interdict) -> int:
    with node.workspace.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(seizures_table)
                            .where(seizures_table.c.retracted_at.is_(None))).scalar()


@pytest.fixture
def registered(node: Interdict) -> Interdict:
    setup_node(node)
    return node


def test_broken_rows_refuse_the_file_whole_and_are_kept_with_reasons(registered, tmp_path):
    path = _template(tmp_path / "return.csv", GOOD + [row for row, _ in BROKEN])
    result = registered.import_seizures(path, agency="JCG")
    assert not result.written and _count(registered) == 0
    assert result.rows == len(GOOD) + len(BROKEN) == result.accepted + len(result.rejected)
    by_row = {r.row: r.reason for r in result.rejected}
    for offset, (_, reason) in enumerate(BROKEN):
        assert reason in by_row[2 + len(GOOD) + offset], (reason, by_row)
    with open(result.quarantine, newline="") as fh:
        kept = list(csv.DictReader(fh))
    assert len(kept) == len(BROKEN) and all(k["reason"] for k in kept)


def test_accept_valid_imports_the_good_rows_and_counts_the_rest(registered, tmp_path):
    path = _template(tmp_path / "return.csv", GOOD + [row for row, _ in BROKEN])
    result = registered.import_seizures(path, agency="JCG", accept_valid=True)
    assert result.written and result.changes["added"] == len(GOOD) == _count(registered)
    assert len(result.rejected) == len(BROKEN) and Path(result.quarantine).exists()


def test_missing_not_known_and_zero_stay_distinct(registered, tmp_path):
    registered.import_seizures(_template(tmp_path / "return.csv", GOOD), agency="JCG")
    rows = registered.as_user("jcg.watch").seizure_records()
    by = {(r["country"], r["year"], r["kind"]): r for r in rows}
    assert by[("KOR", 2022, "seizure")]["quantity"] == 0 and by[("KOR", 2022, "seizure")]["quantity_status"] == "reported"
    assert by[("KOR", 2022, "seizure")]["month"] == 3 and by[("KOR", 2022, "seizure")]["date"] == "2022-03-04"
    assert by[("AUS", 2020, "seizure")]["quantity"] is None and by[("AUS", 2020, "seizure")]["quantity_status"] == "missing"
    assert by[("AUS", 2019, "seizure")]["quantity"] is None and by[("AUS", 2019, "seizure")]["quantity_status"] == "not_known"
    tablets = by[("PHL", 2021, "seizure")]
    assert tablets["kg"] == pytest.approx(1.8) and tablets["kg_basis"].startswith("0.09 g per tablet")
    assert by[("IND", 2022, "arrests")]["arrests"] == 15


def test_reimport_is_idempotent_and_changes_are_versioned(registered, tmp_path):
    path = _template(tmp_path / "return.csv", GOOD)
    registered.import_seizures(path, agency="JCG")
    again = registered.import_seizures(path, agency="JCG")
    assert again.changes == {"added": 0, "updated": 0, "unchanged": len(GOOD), "retracted": 0}
    changed = [dict(GOOD[0], quantity="13"), *GOOD[1:-1]]
    path2 = _template(tmp_path / "return2.csv", changed)
    third = registered.import_seizures(path2, agency="JCG", dataset="return")
    assert third.changes == {"added": 0, "updated": 1, "unchanged": len(GOOD) - 2, "retracted": 1}
    with registered.workspace.engine.connect() as conn:
        versions = conn.execute(sa.select(seizures_table.c.version, seizures_table.c.retracted_at)).all()
    assert sorted(v for v, _ in versions) == [1] * (len(GOOD) - 2) + [2, 2]
    assert sum(1 for _, retracted in versions if retracted is not None) == 1


def test_another_agency_cannot_overwrite_a_dataset(registered, tmp_path):
    """Datasets are named per agency: KCG importing the same file (so the same default dataset
    name) makes a dataset of its own and leaves JCG's alone (issue 14, case 6)."""
    path = _template(tmp_path / "return.csv", GOOD)
    registered.import_seizures(path, agency="JCG")
    jcg_before = registered.as_user("jcg.watch").seizure_records()
    result = registered.import_seizures(path, agency="KCG")
    assert result.written and result.changes["added"] == len(GOOD)
    jcg_after = [r for r in registered.as_user("jcg.watch").seizure_records() if r["agency"] == "JCG"]
    assert jcg_after == [r for r in jcg_before if r["agency"] == "JCG"] and len(jcg_after) == len(GOOD)


def test_restricted_seizure_records_follow_the_access_rule(registered, tmp_path):
    path = _template(tmp_path / "return.csv", GOOD[:1])
    registered.import_seizures(path, agency="AFP", marking=Marking(TLP.AMBER, frozenset({"JCG"})))
    assert len(registered.as_user("afp.analyst").seizure_records()) == 1
    assert len(registered.as_user("jcg.watch").seizure_records()) == 1
    assert registered.as_user("kcg.analyst").seizure_records() == []
    assert registered.as_user("incb.monitor").seizure_records() == []


def test_linked_entities_must_exist_and_be_visible_to_the_importer(registered, tmp_path):
    from interdict.api import data_path

    registered.load_case_file()
    registered.load(data_path("demo/synthetic_afp_notes.yaml"))
    rows = [dict(GOOD[0], entity_ids="case-pong-su"), dict(GOOD[1], entity_ids="case-pong-su no-such-entity"),
            dict(GOOD[4], entity_ids="synthetic-afp-person-of-interest")]  # AFP's RED person: JCG may not see it
    result = registered.import_seizures(_template(tmp_path / "r.csv", rows), agency="JCG")
    assert not result.written
    assert [(r.row, r.reason) for r in result.rejected] == [
        (3, "entity_ids: unknown entity 'no-such-entity'"),
        (4, "entity_ids: unknown entity 'synthetic-afp-person-of-interest'")]
    ok = registered.import_seizures(_template(tmp_path / "r.csv", rows[2:]), agency="AFP")
    assert ok.written and ok.accepted == 1


def test_unknown_format_and_missing_file_are_named(registered, tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValidationError, match="unrecognised seizure table"):
        registered.import_seizures(odd, agency="JCG")
    with pytest.raises(ValidationError, match="no such file"):
        registered.import_seizures(tmp_path / "nope.csv", agency="JCG")
    bad = tmp_path / "bad.csv"
    bad.write_text("country,quantity,unit,colour\nJPN,1,kg,red\n")
    with pytest.raises(ValidationError, match=r"unknown column\(s\): colour"):
        registered.import_seizures(bad, agency="JCG")


def test_excel_template_round_trip(registered, tmp_path):
    import openpyxl

    path = write_template(tmp_path / "return.xlsx")
    book = openpyxl.load_workbook(path)
    assert {"Seizures", "Fields", "Codes"} <= set(book.sheetnames)
    sheet = book["Seizures"]
    header = [c.value for c in sheet[1]]
    assert header == seizures.FIELD_NAMES
    assert sheet.data_validations.dataValidation, "drop-down code lists"
    sheet.append([{"country": "JPN", "year": 2021, "drug_group": "ats", "drug": "Methamphetamine", "quantity": 3.5,
                   "unit": "kg"}.get(h) for h in header])
    book.save(path)
    result = registered.import_seizures(path, agency="JCG")
    assert result.written and result.format == "template" and result.accepted == 1


# -- the real tables ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Interdict:
    """A SQLite node with the case file, the synthetic AFP notes and every bundled seizure table."""
    from interdict.api import data_path

    node = Interdict.open(tmp_path_factory.mktemp("monitoring") / "ws")
    setup_node(node)
    node.load_case_file()
    node.load(data_path("demo/synthetic_afp_notes.yaml"))
    node.summary = import_demo_seizures(node)  # type: ignore[attr-defined]
    yield node
    node.close()


def test_bundled_tables_import_completely(real):
    by_format = {}
    for r in real.summary:
        assert r["rows"] == r["accepted"] + r["rejected"]
        by_format.setdefault(r["format"], 0)
        by_format[r["format"]] += r["accepted"]
    assert by_format == {"unodc-portal": 11_013, "unodc-kg-equiv": 51_201, "cbp": 10_092 + 7_895 + 1_772 + 1_292,
                         "india-ncb": 239 * 31, "template": 1}


def test_csv_and_xlsx_exports_give_the_same_records(shared_data, tmp_path):
    node = Interdict.open(tmp_path / "ws")
    setup_node(node)
    folder = shared_data / "seizures"
    a = node.import_seizures(folder / "unodc_drug_seizures_2018_2022.csv", agency="INCB", dataset="csv")
    b = node.import_seizures(folder / "unodc_drug_seizures_2018_2022.xlsx", agency="INCB", dataset="xlsx")
    assert a.accepted == b.accepted == 11_013
    rows = node.as_user("incb.monitor").seizure_records()
    key = lambda r: (r["country"], r["year"], r["drug"], r["quantity"])  # noqa: E731
    assert sorted(map(key, (r for r in rows if r["dataset"] == "csv")), key=str) == \
        sorted(map(key, (r for r in rows if r["dataset"] == "xlsx")), key=str)


def test_cbp_fiscal_years_become_calendar_months(real):
    rows = [r for r in real.as_user("incb.monitor").seizure_records() if r["dataset"].startswith("cbp_")]
    assert all(r["country"] == "USA" and r["unit"] == "lb" and r["month"] for r in rows)
    # FY2026 (FYTD) runs from October 2025: its December rows are December 2025.
    fy26 = [r for r in rows if r["dataset"] == "cbp_nationwide-drugs-fy23-fy26-dec" and r["year"] == 2025 and r["month"] == 12]
    assert fy26 and all(r["kg"] == pytest.approx(r["quantity"] * 0.45359237) for r in fy26)
    assert min((r["year"], r["month"]) for r in rows) == (2018, 10)


def test_india_mixed_units_and_arrests(real):
    rows = [r for r in real.as_user("incb.monitor").seizure_records() if r["dataset"].startswith("india")]
    arrests = [r for r in rows if r["kind"] == "arrests"]
    assert len(arrests) == 239
    units = {r["unit"] for r in rows if r["kind"] == "seizure"}
    assert {"kg", "L", "blot", "bottle", "unit"} <= units
    assert all(r["kg"] is None for r in rows if r["unit"] == "bottle")
    national = sum(r["arrests"] for r in arrests if r["year"] == 2018)
    assert national == 60_156  # SOURCE.md: national sum of arrests in 2018


def test_kg_equivalent_split_rows_are_summed(real):
    rows = real.as_user("incb.monitor").seizure_records()
    df = indicators.frame([r for r in rows if r["dataset"] == "unodc_seizures_kg_equiv_1970_2020"])
    meth = [r for r in rows if r["dataset"] == "unodc_seizures_kg_equiv_1970_2020" and r["country"] == "JPN"
            and r["year"] == 2000 and r["drug"] == "Methamphetamine"]
    assert sorted(r["quantity"] for r in meth) == pytest.approx([0.08586, 0.470999986, 1030.58])  # three source rows
    series = indicators.choose_series(df)
    total = series.filter((series["country"] == "JPN") & (series["year"] == 2000) & (series["drug"] == "Methamphetamine"))["kg"].sum()
    assert total == pytest.approx(1030.58 + 0.470999986 + 0.08586)


# -- indicators -------------------------------------------------------------------------------
def test_japan_methamphetamine_2020_is_flagged(real):
    result = real.as_user("incb.monitor").indicators("JPN")
    flags = [a for a in result["anomalies"] if a["drug"] == "Methamphetamine" and a["year"] == 2020]
    assert len(flags) == 1
    flag = flags[0]
    assert flag["kg"] == pytest.approx(0.06751) and flag["before"] == pytest.approx(2650) and flag["after"] == pytest.approx(1484.55)
    assert "reporting or unit error" in flag["text"]
    assert not [a for a in result["anomalies"] if a["drug"] == "Methamphetamine" and a["year"] in (2019, 2021)]


def test_one_series_per_country_year_so_nothing_is_counted_twice(real):
    result = real.as_user("incb.monitor").indicators("JPN")
    ats = {r["year"]: r for r in result["series"] if r["drug_group"] == "ats"}
    # 2019 is in both UNODC datasets; the portal export (reaching 2022) wins.
    assert ats[2019]["dataset"] == "unodc_drug_seizures_2018_2022" and ats[2019]["kg"] == pytest.approx(2650.0)
    assert ats[2017]["dataset"] == "unodc_seizures_kg_equiv_1970_2020"
    # India: the UNODC national figures win over the NCB state breakdown where both exist.
    india = real.as_user("incb.monitor").indicators("IND")
    years = {r["year"]: r["dataset"] for r in india["series"]}
    assert years[2022] == "unodc_drug_seizures_2018_2022" and years[2023] == "india_ncb_state_seizures_arrests_2018_2024"


def test_enforcement_ratios_where_arrests_exist(real):
    india = real.as_user("incb.monitor").indicators("IND")
    rows = {e["year"]: e for e in india["enforcement"]}
    assert rows[2018]["cases"] == 49_450 and rows[2018]["arrests"] == 60_156
    assert rows[2018]["arrests_per_case"] == pytest.approx(60_156 / 49_450)
    assert real.as_user("incb.monitor").indicators("JPN")["enforcement"] == []


def test_share_of_region_and_completeness(real):
    result = real.as_user("incb.monitor").indicators("JPN")
    shares = [r for r in result["share_of_region"] if r["year"] == 2022 and r["drug_group"] == "ats"]
    assert len(shares) == 1 and 0 < shares[0]["share"] < 1 and shares[0]["countries_reporting"] > 5
    c = result["completeness"]
    assert c["years_reported"] <= len(c["cells"]) and c["cells"][-1]["year"] == 2022
    with pytest.raises(NotFound):
        real.as_user("incb.monitor").indicators("PRK")  # the DPRK reports nothing


def test_route_network_resolves_every_country_name():
    from interdict.api import data_path

    routes = load_ids_network(data_path(IDS_FOLDER))
    assert routes.unresolved == {} and len(routes.edges) > 3000
    heroin = routes.graph("Heroin")
    assert heroin.has_edge("AFG", "PAK") or heroin.has_edge("PAK", "AFG")


def test_routes_from_records_follow_departure_transit_destination(real):
    links = real.as_user("jcg.watch").routes().country("AUS")
    heroin = [r for r in links if r["drug"] == "Heroin"]
    assert any(x["country"] == "PRK" for x in heroin[0]["from"])  # the AFP return (AMBER, releasable to JCG)
    hidden = real.as_user("incb.monitor").routes().country("AUS")
    assert not any(x["country"] == "PRK" for r in hidden for x in r["from"])


# -- estimates --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def claims(real):
    return {c.key: c for c in real.as_user("incb.monitor").claims()}


def test_published_range_as_lognormal_has_median_219m(claims):
    e = estimates.run("dprk-revenue-published-range", claims, seed=7)
    assert e.p50 == pytest.approx(219e6, rel=0.02) and e.best == pytest.approx(219.09e6, rel=0.001)
    assert e.p5 == pytest.approx(48e6, rel=0.03) and e.p95 == pytest.approx(1e9, rel=0.03)
    source = e.to_dict()["inputs"][0]["claim"]
    assert source["key"] == "dprk-drug-revenue-range" and source["grade"] == "C3" and source["source"]["id"] == "INCB:pacnet-26-2003"


@pytest.mark.parametrize("name", estimates.names())
def test_every_estimate_is_ordered_and_reproducible(name, claims):
    a = estimates.run(name, claims, seed=3, samples=5_000)
    b = estimates.run(name, claims, seed=3, samples=5_000)
    c = estimates.run(name, claims, seed=4, samples=5_000)
    assert a.p5 <= a.p50 <= a.p95 and a.p5 <= a.mean
    assert a.to_dict() == b.to_dict()
    spread = a.p95 > a.p5
    assert (a.p50 != c.p50) == spread
    assert all(i.basis for i in a.inputs)


def test_production_from_area_uses_the_pyung_conversion(claims):
    e = estimates.run("dprk-opium-production-1994", claims, seed=0)
    # best = 21.8 M pyung x 3.3058 m2 / 10,000 x 12 kg/ha / 1000
    assert e.best == pytest.approx(21.8e6 * 3.3058 / 10_000 * 12 / 1000)
    assert e.p5 < 86.5 < e.p95


def test_price_inputs_come_from_the_unodc_price_table(claims):
    e = estimates.run("dprk-opium-revenue-1994", claims, seed=0)
    price = next(i for i in e.inputs if i.name == "opium_usd_per_kg")
    assert price.distribution == "lognormal" and price.evidence
    assert {row["country"] for row in price.evidence} == {"MMR", "LAO", "MYS"}
    assert price.params["p5"] == pytest.approx(519.69, rel=0.01)  # Myanmar wholesale 2022, 0.52 USD/g


def test_an_estimate_needs_claims_the_user_may_see(claims):
    partial = {k: v for k, v in claims.items() if k != "dprk-poppy-area-1994"}
    with pytest.raises(NotFound, match="dprk-poppy-area-1994"):
        estimates.run("dprk-opium-production-1994", partial)
    compared = estimates.compare("dprk-opium-production", partial, samples=1_000)
    kinds = [i["kind"] for i in compared["items"]]
    assert kinds.count("unavailable") == 1 and kinds.count("estimate") == 2


def test_formulas_allow_arithmetic_only():
    assert estimates.evaluate("a * (b + 2) / c ** 2", {"a": 3, "b": 1, "c": 3}) == 1
    for bad in ("__import__('os')", "a.real", "[a]", "a if a else 1"):
        with pytest.raises(ValidationError):
            estimates.evaluate(bad, {"a": 1})


# -- reports ------------------------------------------------------------------------------------
def _pdf_text(data: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("INTERDICT_REQUIRE_BROWSER"):
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_dprk_brief_pdf_holds_the_figures_and_the_banner(real, tmp_path):
    text = _pdf_text(real.as_user("incb.monitor").report("dprk-brief", fmt="pdf"), tmp_path)
    pages = text.split("\f")
    for needle in ("North Korea's narcotics trade", "$48 M to $1.00 B", "$219 M", "$500 M", "Pong Su",
                   "Methods and caveats", "Sources and grades", "Who reports", "Methamphetamine 2020"):
        assert needle in text, needle
    # the INCB monitor sees the GREEN case-file notes but no AFP AMBER or RED ones
    assert "[SYNTHETIC] Community note" in text
    assert "[SYNTHETIC] Shared with Japan Coast Guard" not in text and "AFP internal only" not in text
    assert "[SYNTHETIC] Law-enforcement only" not in text  # H0, and the INCB is not law enforcement
    banner = "TLP:GREEN"
    assert all(page.count(banner) >= 2 for page in pages if page.strip()), "banner at top and bottom of every page"
    assert "TLP:AMBER" not in text and "TLP:RED" not in text


def test_report_for_another_agency_omits_the_first_agencys_restricted_statements(real, tmp_path):
    afp = _pdf_text(real.as_user("afp.analyst").report("dprk-brief", fmt="pdf"), tmp_path)
    kcg = _pdf_text(real.as_user("kcg.analyst").report("dprk-brief", fmt="pdf"), tmp_path)
    jcg = _pdf_text(real.as_user("jcg.watch").report("dprk-brief", fmt="pdf"), tmp_path)
    assert "AFP internal only" in afp and "AMBER+STRICT): source protection" in afp
    for other in (kcg, jcg):
        assert "AFP internal only" not in other and "source protection detail" not in other
    assert "Shared with Japan Coast Guard" in kcg and "Shared with Japan Coast Guard" in jcg
    first_line = lambda text: next(line.strip() for line in text.splitlines() if line.strip())  # noqa: E731
    assert first_line(afp).startswith("TLP:RED")
    assert first_line(kcg).startswith("TLP:AMBER") and "RED" not in first_line(kcg)


def test_banner_is_the_highest_marking_of_the_content(real):
    from interdict.monitoring.reports import build

    me = real.as_user("kcg.analyst")
    ctx, content = build(me.report_inputs("dprk-brief"), "dprk-brief", samples=1_000)
    shown = [s.marking for e in ctx["entities"] for s in e["statements"]]
    assert any(m.tlp is TLP.AMBER for m in shown)
    assert content.banner.tlp is TLP.AMBER
    me = real.as_user("incb.monitor")
    ctx, content = build(me.report_inputs("country"), "country", country="JPN")
    assert content.banner.tlp is TLP.CLEAR and content.banner.label == "TLP:CLEAR"


def test_country_and_region_reports(real, tmp_path):
    me = real.as_user("incb.monitor")
    country = _pdf_text(me.report("country", country="JPN", fmt="pdf"), tmp_path)
    assert "Japan: drug seizures and enforcement" in country and "Methamphetamine 2020: 0.0675 kg" in country
    region = _pdf_text(me.report("region", fmt="pdf"), tmp_path)
    assert "East Asia and Oceania: drug seizures" in region and "Who reported" in region
    html = me.report("region", fmt="html").decode()
    assert html.count("data:image/png;base64,") >= 3 and "http://" not in html and "https://" not in html
    with pytest.raises(ValidationError, match="needs --country"):
        me.report("country")
    with pytest.raises(ValidationError, match="unknown report kind"):
        me.report("weekly")


# -- CLI and web ---------------------------------------------------------------------------------
def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    import sys

    env = {k: v for k, v in os.environ.items() if k != "INTERDICT_DATABASE_URL"}
    env.update({"INTERDICT_HOME": str(home), "COLUMNS": "200"})
    return subprocess.run([str(Path(sys.executable).parent / "interdict"), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_import_refuses_broken_rows_and_names_them(tmp_path):
    home = tmp_path / "ws"
    node = Interdict.open(home)
    setup_node(node)
    node.close()
    path = _template(tmp_path / "return.csv", GOOD + [BROKEN[0][0]])
    out = _cli("seizures", "import", str(path), "--agency", "JCG", home=home)
    assert out.returncode == 2
    assert f"return.csv row {2 + len(GOOD)}: country: unknown country 'XYZ'" in out.stderr
    assert "nothing imported" in out.stderr
    ok = _cli("seizures", "import", str(path), "--agency", "JCG", "--accept-valid", "--json", home=home)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["accepted"] == len(GOOD) and data["rejected"] == 1 and data["changes"]["added"] == len(GOOD)
    template = _cli("seizures", "template", "-o", str(tmp_path / "t.xlsx"), home=home)
    assert template.returncode == 0 and (tmp_path / "t.xlsx").exists()


def test_cli_indicators_estimate_and_report(real, tmp_path):
    home = real.workspace.home
    ind = json.loads(_cli("indicators", "--country", "JPN", "-u", "incb.monitor", "--json", home=home).stdout)
    assert ind["country"] == "JPN" and any(a["year"] == 2020 for a in ind["anomalies"])
    est = json.loads(_cli("estimate", "dprk-revenue-published-range", "--seed", "1", "-u", "incb.monitor", "--json", home=home).stdout)
    assert set(est) >= {"name", "unit", "best", "p5", "p50", "p95", "mean", "inputs"}
    assert est["p5"] < est["p50"] < est["p95"]
    listed = json.loads(_cli("estimate", "--list", "--json", home=home).stdout)
    assert {e["name"] for e in listed["estimates"]} == set(estimates.names())
    missing = _cli("estimate", "no-such-thing", "-u", "incb.monitor", home=home)
    assert missing.returncode == 2 and "no estimate named 'no-such-thing'" in missing.stderr
    out = tmp_path / "brief.pdf"
    made = _cli("report", "--kind", "dprk-brief", "-o", str(out), "-u", "kcg.analyst", home=home)
    assert made.returncode == 0, made.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_web_dashboard_reports_and_api(real):
    from fastapi.testclient import TestClient

    from interdict.web.app import create_app

    client = TestClient(create_app(real))
    assert client.get("/monitoring", follow_redirects=False).status_code == 303
    assert client.get("/api/estimates/dprk-revenue-usfk").status_code == 401
    form_post(client, "/login", data={"username": "jcg.watch", "password": "interdict-demo"})
    page = client.get("/monitoring")
    assert page.status_code == 200 and 'data-testid="seizure-map"' in page.text and "Who reported" in page.text
    assert "TLP:AMBER" in page.text  # the AFP return releasable to JCG is part of the dashboard
    # the map's year: the latest year with data by default, any year with data on request, a year without is a 400
    years = [int(y) for y in re.findall(r'<option value="(\d{4})"', page.text.split('data-testid="map-year"')[1].split("</select>")[0])]
    assert years == sorted(years, reverse=True) and len(years) > 5
    assert re.search(rf'<option value="{years[0]}" selected>', page.text) and "(the latest year with data" in page.text
    older = client.get("/monitoring", params={"group": "ats", "year": years[5]}).text
    assert f"seized in {years[5]}:" in older and re.search(rf'<option value="{years[5]}" selected>', older)
    missing = client.get("/monitoring", params={"group": "ats", "year": 1700})
    assert missing.status_code == 400 and "years with reports" in missing.text
    country = client.get("/monitoring/countries/JPN")
    assert country.status_code == 200 and "Methamphetamine 2020" in country.text
    assert "Reports" in client.get("/reports").text
    pdf = client.get("/reports/render", params={"kind": "country", "country": "JPN", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get("/reports/render", params={"kind": "country", "format": "pdf"}).status_code == 422
    reports = client.get("/reports").text
    assert 'data-testid="report-audience"' in reports and '<option value="public">' in reports
    public = client.get("/reports/render", params={"kind": "dprk-brief", "format": "html", "audience": "public"}).text
    assert re.search(r"data-banner>TLP:CLEAR<", public) and "Edition for the public" in public
    assert 'data-figure="brief-map"' in public
    assert client.get("/api/reports/dprk-brief", params={"format": "html", "audience": "nobody"}).status_code == 422
    est = client.get("/api/estimates/dprk-opium-production-1994", params={"seed": 2, "samples": 2000}).json()
    assert est["p5"] < est["p50"] < est["p95"] and est["inputs"]
    assert client.get("/api/indicators/JPN").json()["country"] == "JPN"
    amber = lambda: [r for r in client.get("/api/seizures", params={"country": "AUS", "year": 2003}).json()["records"]  # noqa: E731
                     if r["tlp"] == "AMBER"]
    assert [r["dataset"] for r in amber()] == ["demo-afp-seizure-return"]
    form_post(client, "/logout")
    form_post(client, "/login", data={"username": "incb.monitor", "password": "interdict-demo"})
    assert amber() == []  # releasable to JCG and Korea only


def test_failure_midway_leaves_the_store_as_it_was(registered, tmp_path, monkeypatch):
    """A crash while writing the records rolls back the source and import rows too."""
    import interdict.monitoring.seizures as module

    path = _template(tmp_path / "return.csv", GOOD)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(module, "sync_records", crash)
    with pytest.raises(RuntimeError):
        registered.import_seizures(path, agency="JCG")
    monkeypatch.undo()
    from interdict.tables import imports, sources

    with registered.workspace.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sources)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(imports)).scalar() == 0
    assert _count(registered) == 0
    assert registered.import_seizures(path, agency="JCG").changes["added"] == len(GOOD)


def test_a_file_with_no_valid_row_says_how_many_were_read_and_where_they_are_kept(registered, tmp_path):
    path = _template(tmp_path / "bad.csv", [row for row, _ in BROKEN[:3]])
    with pytest.raises(ValidationError, match=r"no valid rows to import \(3 read; 3 rejected, kept with reasons in .*rejected\.csv\)"):
        registered.import_seizures(path, agency="JCG", accept_valid=True)
    assert _count(registered) == 0


def test_charts_are_rendered_once_per_distinct_input():
    """The dashboard's charts are cached by a hash of what they draw: the same numbers give the
    very same picture (no re-rendering), other numbers another one."""
    from interdict.monitoring import charts

    series = {"JPN": [(2019, 10.0), (2020, 12.5)], "KOR": [(2019, 3.0), (2020, 4.0)]}
    first = charts.trend_chart(series, title="SYNTHETIC trend")
    again = charts.trend_chart({k: list(v) for k, v in series.items()}, title="SYNTHETIC trend")
    other = charts.trend_chart({**series, "KOR": [(2019, 3.0), (2020, 40.0)]}, title="SYNTHETIC trend")
    assert first is again and first.startswith(b"\x89PNG") and other != first


def test_quantities_read_as_people_write_them():
    from interdict.monitoring.indicators import readable_number

    assert readable_number(125_200.4) == "125,200" and readable_number(219_089_000.0) == "219,089,000"
    assert readable_number(12.5) == "12.5" and readable_number(0.03124) == "0.0312" and readable_number(None) == "—"
    assert "e+" not in readable_number(4.443e5) and "e+" not in readable_number(1.5e12)
