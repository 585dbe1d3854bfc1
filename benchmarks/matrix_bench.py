"""Theme matrices on a large synthetic project, as a JSON report.

Builds a project of 200 documents, 50,000 segments (two sentence segments per respondent turn)
and 200,000 codings (coders anna and bram, two codes each per segment), inserted in bulk
through the store's tables in one transaction; then times, in this process (interpreter start
excluded), every matrix kind and every output format, several runs each. Target (issue 7):
any matrix in any format <= 1 s.

    python benchmarks/matrix_bench.py [--runs 3] [--documents 200] [--segments 50000]
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import Project  # noqa: E402 - after the path, so a checkout runs without installing
from qualcode.store import (  # noqa: E402
    codings, coders, document_attributes, documents, new_guid, now, reviews, segments, turns,
)
from qualcode.store.transfer import continue_sequences  # noqa: E402

WORDS = ("klant werk traject uitkering plan aanpak gesprek collega team regels intake diagnose "
         "werkgever proefplaatsing scholing caseload maatwerk regie sanctie overleg").split()
CODERS = ("anna", "bram")


def build(folder: Path, n_documents: int, n_segments: int, seed: int = 7, database: str | None = None) -> Project:
    """A project with the shipped codebook and synthetic interviews, coded by two coders (in
    the empty PostgreSQL ``database`` when given)."""
    rng = random.Random(seed)
    project = Project.init(folder, codebook=REPO / "codebooks" / "professioneel-handelen.yaml", database=database)
    code_ids = project.codebook().ids()
    stamp = now()
    per_document = n_segments // n_documents
    doc_rows, attr_rows, turn_rows, seg_rows, coding_rows, review_rows = [], [], [], [], [], []
    segment_id = turn_id = 0
    for d in range(1, n_documents + 1):
        text, spans = "", []
        for _ in range(per_document):
            sentence = " ".join(rng.choices(WORDS, k=rng.randint(8, 40))).capitalize() + "."
            start = len(text) + (1 if text else 0)
            text += (" " if text else "") + sentence
            spans.append((start, len(text)))
        name = f"doc{d:03d}"
        doc_rows.append({"id": d, "name": name, "source_file": f"{name}.docx", "sha256": f"{d:064d}",
                         "imported_at": stamp, "text": text, "metadata": "{}", "guid": new_guid()})
        attr_rows += [
            {"document_id": d, "key": "respondent_id", "value": f"R{d:04d}", "type": "category"},
            {"document_id": d, "key": "role", "value": rng.choice(["klantmanager", "client", "manager"]), "type": "category"},
            {"document_id": d, "key": "municipality", "value": f"Gemeente{rng.randint(1, 18):02d}", "type": "category"},
            {"document_id": d, "key": "age", "value": str(rng.randint(22, 64)), "type": "number"},
        ]
        for number, (start, end) in enumerate(spans, start=1):
            if number % 2:
                turn_id += 1
                turn_rows.append({"id": turn_id, "document_id": d, "number": (number + 1) // 2, "speaker": "R",
                                  "role": "respondent", "start": start, "end": spans[min(number, len(spans) - 1)][1]})
            segment_id += 1
            seg_rows.append({"id": segment_id, "document_id": d, "unit": "sentence", "number": number,
                             "start": start, "end": end, "speaker": "R", "turn_id": turn_id})
            for coder in CODERS:
                review_rows.append({"segment_id": segment_id, "coder": coder, "reviewed_at": stamp})
                for code_id in rng.sample(code_ids, 2):
                    coding_rows.append({"segment_id": segment_id, "code_id": code_id, "coder": coder,
                                        "created_at": stamp, "origin": "import", "guid": new_guid()})
    with project.store.atomic("bench.generate", str(folder)) as conn:
        conn.execute(coders.insert(), [{"name": c, "kind": "human", "created_at": stamp, "guid": new_guid()} for c in CODERS])
        for table, rows in ((documents, doc_rows), (document_attributes, attr_rows), (turns, turn_rows),
                            (segments, seg_rows), (codings, coding_rows), (reviews, review_rows)):
            conn.execute(table.insert(), rows)
        continue_sequences(conn)
    return project


def timed(action, runs: int) -> dict:
    """Wall time, and this process's CPU time (what the wall time would be on an idle machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"median_s": round(statistics.median(wall), 3), "best_s": round(min(wall), 3),
            "cpu_median_s": round(statistics.median(cpu), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--segments", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        project = build(Path(folder) / "study", args.documents, args.segments)
        build_s = time.perf_counter() - started
        project.matrix()  # first call imports pandas and friends; not part of any figure
        load_before = round(os.getloadavg()[0], 2)
        status = project.status()
        matrices = {
            "matrix top count": dict(),
            "matrix top presence": dict(value="presence"),
            "matrix top share": dict(value="share"),
            "matrix top words": dict(value="words"),
            "matrix all codes count": dict(codes="all"),
            "matrix coder all (added over coders)": dict(coder="all"),
            "matrix one coder": dict(coder="anna"),
            "matrix rows=role share": dict(rows="role", value="share"),
            "matrix rows=municipality words": dict(rows="municipality", value="words"),
            "matrix filtered role=client": dict(attributes={"role": "client"}),
        }
        results = {name: timed(lambda o=options: project.matrix(**o), args.runs) for name, options in matrices.items()}
        for within in ("segment", "turn", "document"):
            for measure in ("count", "jaccard"):
                results[f"cooccurrence {within} {measure}"] = timed(
                    lambda w=within, m=measure: project.cooccurrence(within=w, measure=m), args.runs)
        results["cooccurrence all codes segment"] = timed(lambda: project.cooccurrence(codes="all"), args.runs)
        results["framework top 3 quotes"] = timed(lambda: project.framework(quotes=3), args.runs)
        out = Path(folder) / "out"
        out.mkdir()
        for suffix in (".csv", ".xlsx", ".sav", ".dta", ".parquet"):
            results[f"export presence matrix {suffix} (compute + write)"] = timed(
                lambda s=suffix: project.export_matrix(out / f"themes{s}", value="presence"), args.runs)
        results["export all-codes matrix .xlsx (compute + write)"] = timed(
            lambda: project.export_matrix(out / "all.xlsx", codes="all"), args.runs)
        for suffix in (".xlsx", ".docx"):
            results[f"export framework {suffix} (compute + write)"] = timed(
                lambda s=suffix: project.export_matrix(out / f"framework{s}", frame=project.framework(quotes=3)), args.runs)
        project.close()
    slowest = max(results.items(), key=lambda item: item[1]["median_s"])
    report = {
        "project": {"documents": status["documents"], "segments": status["segments"], "codings": status["codings"],
                    "build_s": round(build_s, 1)},
        "runs": args.runs,
        "load_average_1min_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "target_s": 1.0,
        "slowest": {"case": slowest[0], **slowest[1]},
        "all_within_target": all(r["median_s"] <= 1.0 for r in results.values()),
        "all_within_target_cpu": all(r["cpu_median_s"] <= 1.0 for r in results.values()),
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
