"""Scriptable coding at study scale, as a JSON report.

Builds a synthetic project of 100 interviews (40 respondent segments each, 4,000 segments) in
a temp folder, writes a two-coder codings CSV (about 3 codes per segment per coder), and times
``apply`` (first and again), retrieval (a code with its sub-codes, a code for clients only,
a word search), the codings export and a quotes.docx for one dimension. Wall time in ms, best
of ``--runs`` for the reads.

    python benchmarks/coding.py [--documents 100] [--segments 40] [--runs 3]
"""

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qualcode import Project  # noqa: E402
from qualcode.store import NewDocument, NewSegment, NewTurn, insert_document  # noqa: E402

CODEBOOK = Path(__file__).resolve().parents[1] / "codebooks" / "professioneel-handelen.yaml"
WORDS = "klant werk regels sanctie collega intervisie gemeente uitkering cliënt traject re-integratie".split()


def build(project: Project, n_documents: int, n_segments: int, rng: random.Random) -> None:
    with project.store.atomic("benchmark.documents") as conn:
        for d in range(n_documents):
            text, turns, segments = "", [], []
            for t in range(n_segments * 2):
                said = " ".join(rng.choice(WORDS) for _ in range(60))
                start = len(text) + (2 if text else 0)
                text = f"{text}\n\n{said}" if text else said
                role = "respondent" if t % 2 else "interviewer"
                turns.append(NewTurn("R" if t % 2 else "I", role, start, len(text), float(t * 20)))
                if t % 2:
                    segments.append(NewSegment("turn", start, len(text), "R", t))
            role = ("klantmanager", "client", "manager")[d % 3]
            insert_document(project.store, conn, NewDocument(
                name=f"doc{d:03d}", source_file=f"doc{d:03d}.docx", sha256=f"{d:064d}", text=text,
                attributes={"role": (role, "category")}, turns=turns, segments=segments,
            ))


def write_codings(path: Path, codes: list[str], n_documents: int, n_segments: int, rng: random.Random) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "segment", "coder", "code", "memo"])
        for d in range(n_documents):
            for s in range(1, n_segments + 1):
                for coder in ("anna", "bram"):
                    for code in rng.sample(codes, rng.choice((0, 2, 3, 4))) or [""]:
                        writer.writerow([f"doc{d:03d}", s, coder, code, ""])
                        rows += 1
    return rows


def timed(fn, runs: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return round(best, 1), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--segments", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as folder:
        project = Project.init(Path(folder) / "study", codebook=CODEBOOK)
        build(project, args.documents, args.segments, rng)
        codes = [c for c in project.codebook().ids() if "-" in c]
        csv_path = Path(folder) / "codings.csv"
        n_rows = write_codings(csv_path, codes, args.documents, args.segments, rng)
        results = {}
        results["apply_ms"], report = timed(lambda: project.apply_codings(csv_path))
        results["apply_again_ms"], again = timed(lambda: project.apply_codings(csv_path))
        assert again.codings_added == 0
        results["segments_code_KT_ms"], kt = timed(lambda: project.segments(codes=["KT"]), args.runs)
        results["segments_code_KG_clients_ms"], _ = timed(lambda: project.segments(codes=["KG"], attributes={"role": "client"}), args.runs)
        results["segments_text_ms"], _ = timed(lambda: project.segments(text="Cliënt sanctie"), args.runs)
        results["codings_export_ms"], exported = timed(lambda: project.codings(), args.runs)
        results["quotes_docx_KV_ms"], sections = timed(lambda: project.quotes(Path(folder) / "q.docx", codes=["KV"]))
        print(json.dumps({
            "documents": args.documents, "segments": args.documents * args.segments, "csv_rows": n_rows,
            "codings_added": report.codings_added, "segments_with_KT": len(kt), "exported_rows": len(exported),
            "quotes_KV": sum(len(s.quotes) for s in sections), "results": results,
        }, indent=2))
        project.close()


if __name__ == "__main__":
    main()
