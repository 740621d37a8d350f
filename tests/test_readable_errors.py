"""Bad input of every kind ends in one line naming the file and the reason, exit code 2, never a
traceback (issue 16): usage errors, files in other encodings, binary files, nested and alias-bomb
YAML, unknown release codes, quantities too large to record. Through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interdict.api import Interdict
from interdict.demo import setup_node

BIN = Path(sys.executable).parent / "interdict"


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "INTERDICT_DATABASE_URL"}
    env.update({"INTERDICT_HOME": str(home), "COLUMNS": "200"})
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("errors") / "ws"
    node = Interdict.open(folder)
    setup_node(node)
    node.close()
    return folder


def one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "╭" not in result.stderr, result.stderr
    text = " ".join(result.stderr.split())
    for part in expected:
        assert part in text, result.stderr


@pytest.mark.parametrize("args, expected", [
    (["ais", "ingest"], "Missing argument 'paths'"),
    (["risk"], "Missing option '--user'"),
    (["nosuchcommand"], "No such command 'nosuchcommand'"),
    (["risk", "-u", "jcg.watch", "--top", "many"], "Invalid value for '--top'"),
])
def test_usage_errors_are_a_few_lines(home, args, expected):
    result = run(*args, home=home)
    one_line_error(result, expected)
    assert len(result.stderr.strip().splitlines()) <= 4, result.stderr


def _seizure_csv(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(("country,year,drug_group,drug,quantity,unit\n" + text).encode(encoding))
    return path


def test_seizure_tables_in_other_encodings(home, tmp_path):
    latin = _seizure_csv(tmp_path / "latin1.csv", "JPN,2021,ats,Méthamphétamine,1,kg\n", "latin-1")
    one_line_error(run("seizures", "import", str(latin), "--agency", "JCG", home=home),
                   "latin1.csv: not UTF-8 text", "iconv -f cp1252")
    # UTF-16 with its byte-order mark (what Excel's "Unicode text" writes) is read
    wide = _seizure_csv(tmp_path / "utf16.csv", "JPN,2021,ats,Méthamphétamine,1,kg\n", "utf-16")
    ok = run("seizures", "import", str(wide), "--agency", "JCG", "--json", home=home)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["accepted"] == 1
    binary = tmp_path / "binary.csv"
    binary.write_bytes(os.urandom(4096).replace(b"\n", b"") + b"\x00" * 200)
    one_line_error(run("seizures", "import", str(binary), "--agency", "JCG", home=home), "binary.csv: a binary file, not text")


def test_a_quantity_too_large_is_refused_not_stored_as_infinity(home, tmp_path):
    path = _seizure_csv(tmp_path / "huge.csv", "JPN,2021,ats,Methamphetamine,1e308,t\n", "utf-8")
    result = run("seizures", "import", str(path), "--agency", "JCG", home=home)
    one_line_error(result, "too large a quantity to record")


def test_lists_that_are_not_text(home, tmp_path):
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(b"\x00\x01\x02PK" * 2000)
    one_line_error(run("lists", "import", "ofac", str(sdn), "--agency", "INCB", home=home), "sdn.csv: a binary file, not text")
    ftm = tmp_path / "entities.ftm.json"
    ftm.write_bytes('{"id": "x", "schema": "Person", "properties": {"name": ["Müller"]}}\n'.encode("latin-1"))
    one_line_error(run("lists", "import", "ftm", str(ftm), "--agency", "INCB", "--dataset", "x", home=home),
                   "entities.ftm.json: not UTF-8 text: byte 0xfc at line 1")


def test_records_files_nested_too_deep_or_full_of_aliases(home, tmp_path):
    nested = tmp_path / "nested.yaml"
    nested.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    one_line_error(run("load", str(nested), home=home), "nested.yaml:", "nested")
    bomb = tmp_path / "bomb.yaml"  # the 788-byte "billion laughs" that once passed 4 GB in 60 s
    bomb.write_text(textwrap.dedent("""\
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """))
    one_line_error(run("load", str(bomb), home=home), "bomb.yaml: would expand to more than 1,000,000 values")
    # in bounded memory: read in a process of its own, its peak measured
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from pathlib import Path
        from interdict.errors import ValidationError
        from interdict.intel.recordfile import read_document
        try:
            read_document(Path({str(bomb)!r}))
        except ValidationError:
            pass
        # VmHWM: this process's own peak (ru_maxrss would carry the forking test worker's)
        print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) // 1024)
        """)], capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert int(probe.stdout.split()[-1]) < 300, probe.stdout  # MB peak


def test_unknown_release_codes_are_refused(home, tmp_path):
    records = tmp_path / "records.yaml"
    records.write_text(textwrap.dedent("""\
        dataset: rel-test
        agency: AFP
        defaults: {marking: {tlp: AMBER, releasable_to: [JCG, NOSUCHAGENCY]}}
        sources: [{id: s, title: t, kind: press, reliability: B}]
        entities: [{id: e, schema: Vessel, source: s, grade: B2, properties: {name: [X]}}]
        """))
    one_line_error(run("load", str(records), home=home), "releasable_to names NOSUCHAGENCY", "no registered agency")
    ok = records.read_text().replace("NOSUCHAGENCY", "KOR")  # a country is a valid release code
    records.write_text(ok)
    assert run("load", str(records), home=home).returncode == 0


def test_ais_in_utf16_is_named_not_decoded_to_nothing(home, tmp_path):
    nmea = tmp_path / "wide.nmea"
    nmea.write_bytes("!AIVDM,1,1,,B,15NG6V0P01G?cFhE`R2IU?wn28R>,0*05\n".encode("utf-16"))
    one_line_error(run("ais", "decode", str(nmea), home=home), "wide.nmea: UTF-16 text", "iconv -f UTF-16")
    one_line_error(run("ais", "ingest", str(nmea), "--agency", "JCG", "--tlp", "GREEN", "--grade", "B2", home=home),
                   "wide.nmea: UTF-16 text")
