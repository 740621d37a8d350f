"""How long the DPRK brief takes to render, from a workspace holding the bundled demo data
(case file, synthetic AFP notes, the seven real seizure tables). No peer: the issue asks for the
figure. Usage: .venv/bin/python bench/dprk_brief.py [--runs 3] [--user incb.monitor]"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from interdict.api import Interdict, data_path
from interdict.demo import import_demo_seizures, setup_node
from interdict.monitoring import reports


def _pages(html: str) -> int:
    """Pages of the brief, laid out once more by WeasyPrint (not timed): the PDF's page tree sits in
    compressed object streams (WeasyPrint >= 61), so counting '/Count' in its bytes finds nothing."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return len(weasyprint.HTML(string=html, url_fetcher=fetcher).render().pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--user", default="incb.monitor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        node = Interdict.open(Path(folder) / "ws")
        started = time.perf_counter()
        setup_node(node)
        node.load_case_file()
        node.load(data_path("demo/synthetic_afp_notes.yaml"))
        imported = import_demo_seizures(node)
        print(f"setup: {sum(r['accepted'] for r in imported):,} seizure records in {time.perf_counter() - started:.1f} s")
        build, html_s, pdf_s, pages = [], [], [], 0
        for _ in range(args.runs):
            me = node.as_user(args.user)  # a new session each run: nothing cached but the table read
            t0 = time.perf_counter()
            ctx, content = reports.build(me.report_inputs("dprk-brief"), "dprk-brief")
            t1 = time.perf_counter()
            html = reports.render_html(ctx, content)
            t2 = time.perf_counter()
            pdf = reports.html_to_pdf(html)
            t3 = time.perf_counter()
            build.append(t1 - t0)
            html_s.append(t2 - t1)
            pdf_s.append(t3 - t2)
        pages = _pages(html)
        total = [a + b + c for a, b, c in zip(build, html_s, pdf_s)]
        print(f"DPRK brief for {args.user}, median of {args.runs}: total {statistics.median(total):.2f} s "
              f"(data, indicators, estimates and charts {statistics.median(build):.2f} s; HTML {statistics.median(html_s):.2f} s; "
              f"PDF {statistics.median(pdf_s):.2f} s); {len(pdf) / 1024:,.0f} KB PDF, {pages} pages")
        node.close()


if __name__ == "__main__":
    main()
