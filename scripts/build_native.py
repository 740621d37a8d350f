"""Compile src/interdict/intel/matching.py with mypyc into interdict.intel._matching_native.

    .venv/bin/python scripts/build_native.py      (`make` runs it after installing the package)

matching.py stays the one source: the compiled twin is that file, unchanged, plus the SHA-256 of
it, and matching.py uses the twin only while the digest equals its own. An edited matching.py
therefore runs as plain Python until this script is run again; nothing goes stale silently.
Needs mypy (the `native` extra) and a C compiler with the Python headers.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "interdict" / "intel"
TWIN = "_matching_native"


def main() -> int:
    source = PACKAGE / "matching.py"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    for old in PACKAGE.glob(f"{TWIN}*"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "interdict" / "intel"
        staged.mkdir(parents=True)
        (staged.parent / "__init__.py").write_text("", encoding="utf-8")
        (staged / "__init__.py").write_text("", encoding="utf-8")
        text = source.read_text(encoding="utf-8") + f'\nSOURCE_SHA256: Final = "{digest}"\n'
        (staged / f"{TWIN}.py").write_text(text, encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "mypyc", f"interdict/intel/{TWIN}.py"], cwd=tmp, capture_output=True, text=True)
        built = sorted(staged.glob(f"{TWIN}*.so"))
        if run.returncode or not built:
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            print(f"build_native: mypyc could not compile {source}; interdict.intel.matching runs as plain Python", file=sys.stderr)
            return 1
        for library in built:
            shutil.copy2(library, PACKAGE / library.name)
    print(f"build_native: {source.name} compiled ({', '.join(b.name for b in built)}), source sha256 {digest[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
