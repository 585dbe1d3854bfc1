"""REFI-QDA export and import time on a synthetic project, as a JSON report.

Builds a project with the shipped codebook and ``--documents`` generated interviews (paragraphs
of Dutch-like text with an emoji now and then), codes a third of the segments for two coders
in one transaction, then times ``export_refi_project`` (including schema validation) and
``import_refi`` of that file into a new project.

    python benchmarks/refi_exchange.py [--documents 40] [--paragraphs 60]
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from qualcode import Project
from qualcode.store import NewDocument, NewSegment, insert_document, segments  # noqa: E402
from qualcode.store import coding as store_coding

WORDS = ("klantmanager werk traject uitkering gesprek regels collega intervisie werkgever plan "
         "caseload beslisruimte klant re-integratie maatwerk dossier 😀").split()


def build(project: Project, documents: int, paragraphs: int, rng: random.Random) -> int:
    code_ids = [code.id for code, _, _ in project.codebook().walk()]
    n_codings = 0
    with project.store.atomic("benchmark.build") as conn:
        for number in range(documents):
            text, parts = "", []
            for _ in range(paragraphs):
                if text:
                    text += "\n\n"
                start = len(text)
                text += " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + "."
                parts.append(NewSegment(unit="paragraph", start=start, end=len(text)))
            document_id = insert_document(project.store, conn, NewDocument(
                name=f"doc{number:03}", source_file="synthetic", sha256=f"{number:064}", text=text, segments=parts))
            ids = conn.execute(sa.select(segments.c.id).where(segments.c.document_id == document_id)).scalars().all()
            for segment_id in rng.sample(ids, len(ids) // 3):
                for coder in ("anna", "bram"):
                    n_codings += len(store_coding.tag(project.store, conn, segment_id, rng.sample(code_ids, 2), coder))
    return n_codings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--paragraphs", type=int, default=60)
    args = parser.parse_args()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with Project.init(folder / "source", codebook=REPO / "codebooks" / "professioneel-handelen.yaml") as project:
            n_codings = build(project, args.documents, args.paragraphs, rng)
            started = time.perf_counter()
            counts = project.export_refi_project(folder / "study.qdpx")
            export_s = time.perf_counter() - started
        with Project.init(folder / "copy") as copy:
            started = time.perf_counter()
            report = copy.import_refi(folder / "study.qdpx")
            import_s = time.perf_counter() - started
        print(json.dumps({
            "documents": args.documents, "paragraphs_per_document": args.paragraphs, "codings": n_codings,
            "qdpx_bytes": (folder / "study.qdpx").stat().st_size, "export": counts,
            "export_seconds": round(export_s, 2), "import_seconds": round(import_s, 2),
            "imported": report.counts,
        }, indent=2))


if __name__ == "__main__":
    main()
