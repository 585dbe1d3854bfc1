"""The methods report on the 200-interview benchmark project, as a JSON report.

Builds the project of ``matrix_bench`` (200 documents, 50,000 segments, 200,000 codings by two
coders), then times ``Project.report`` without the cross-validation (``evaluate=False``) and the
writing of the HTML and Word files, in this process, with a breakdown by part. Target (issue 20):
the report in <= 10 s. ``--evaluate`` adds the timed cross-validation.

    python benchmarks/report_bench.py [--documents 200] [--segments 50000] [--evaluate]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_bench import build  # noqa: E402 - the same benchmark project as the matrices

from qualcode import report_write  # noqa: E402


def clock(action):
    started, started_cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - started_cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--segments", type=int, default=50_000)
    parser.add_argument("--evaluate", action="store_true", help="Also run the cross-validation (slow).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = build(Path(folder) / "study", args.documents, args.segments)
        status = project.status()
        load_before = round(os.getloadavg()[0], 2)
        parts = {}
        for name, call in (("agreement (top-level codes, 1000 draws)", lambda: project.agreement(codes=list(project.codes().query("depth == 0")["id"]))),
                           ("coding events", project.coding_events),
                           ("matrix rows=role", lambda: project.matrix(rows="role")),
                           ("cooccurrence jaccard", lambda: project.cooccurrence(measure="jaccard"))):
            parts[name] = clock(call)[1]
        built, timings = clock(lambda: project.report(evaluate=args.evaluate))
        results = {"Project.report (tables and figures)": timings}
        for suffix in (".html", ".docx"):
            path, written = clock(lambda s=suffix: report_write.write(built, Path(folder) / f"report{s}"))
            results[f"write {suffix}"] = {**written, "bytes": path.stat().st_size}
        project.close()
    total_html = results["Project.report (tables and figures)"]["wall_s"] + results["write .html"]["wall_s"]
    print(json.dumps({
        "project": {"documents": status["documents"], "segments": status["segments"], "codings": status["codings"]},
        "evaluate": args.evaluate, "cpus": os.cpu_count(),
        "load_average_1min_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "target_s": 10.0, "report_html_total_s": round(total_html, 2), "within_target": total_html <= 10.0,
        "results": results, "parts_alone": parts,
    }, indent=2))


if __name__ == "__main__":
    main()
