"""Agreement on a synthetic study, as a JSON report.

Builds a project with the shipped codebook and ``--segments`` turn segments, lets ``--coders``
synthetic coders review every segment (each applies one to three codes; a second coder copies
the first with probability ``--agree`` per segment), then times ``Project.agreement`` over all
54 codes (with the 1,000-draw bootstrap per code), ``disagreements`` and ``consensus``.

    python benchmarks/agreement.py [--segments 2000] [--coders 2] [--agree 0.8]
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

from qualcode import Project
from qualcode.store import NewDocument, NewSegment, insert_document  # noqa: E402
from qualcode.store import coding as store_coding


def build(folder: Path, n_segments: int, n_coders: int, agree: float) -> Project:
    project = Project.init(folder, codebook=REPO / "codebooks" / "professioneel-handelen.yaml")
    code_ids = list(project.codes()["id"])
    rng = random.Random(7)
    per_document = 100
    with project.store.atomic("benchmark.build") as conn:
        for start in range(0, n_segments, per_document):
            n = min(per_document, n_segments - start)
            insert_document(project.store, conn, NewDocument(
                name=f"doc{start // per_document:03}", source_file="synthetic", sha256=f"{start:064}",
                text="x" * (2 * n), segments=[NewSegment(unit="turn", start=2 * i, end=2 * i + 1) for i in range(n)],
            ))
        reviewed, coded = [], []
        for segment_id in range(1, n_segments + 1):
            first = rng.sample(code_ids, rng.randint(1, 3))
            for index in range(n_coders):
                codes = first if index == 0 or rng.random() < agree else rng.sample(code_ids, rng.randint(0, 3))
                reviewed.append((segment_id, f"coder{index}"))
                coded += [(segment_id, code, f"coder{index}") for code in codes]
        store_coding.mark_reviewed_many(project.store, conn, reviewed)
        store_coding.tag_many(project.store, conn, coded)
    return project


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return round(time.perf_counter() - started, 3), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--coders", type=int, default=2)
    parser.add_argument("--agree", type=float, default=0.8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        build_s, project = timed(lambda: build(Path(folder) / "study", args.segments, args.coders, args.agree))
        agreement_s, result = timed(project.agreement)
        nine_s, _ = timed(lambda: project.agreement(codes=["KV", "KT", "KD", "IN", "VB", "KG", "WG", "SW", "MW"]))
        disagreements_s, table = timed(project.disagreements)
        consensus_s, _ = timed(lambda: project.consensus("majority"))
        project.close()
    overall = result.to_dict()["overall"]
    print(json.dumps({
        "segments": args.segments, "coders": args.coders, "codes": len(result.codes),
        "seconds": {"build": build_s, "agreement_all_codes": agreement_s, "agreement_nine_dimensions": nine_s,
                    "disagreements": disagreements_s, "consensus_majority": consensus_s},
        "alpha_pooled": round(overall["alpha_pooled"], 3), "disagreeing_segments": len(table),
    }, indent=2))


if __name__ == "__main__":
    main()
