"""Every command at study scale, run as a user runs it, as a JSON report (issue 21).

For each size, builds a project of N interviews (52 respondent segments of 40-120 words each,
the shipped codebook) through the store's tables, writes a codings CSV of four coders with
three codes per segment each (12 codings per segment: 800 interviews give 41,600 segments and
499,200 codings), then runs ``qualcode`` in a subprocess per command and records its wall
time, CPU time (user + system; the figure to trust on a shared machine) and peak memory. The
report gives, per command, the figures at each size and how much each grew against the input
(1.0 is linear); table commands are timed beside their CSV form.

    python benchmarks/scale.py [--documents 200 800] [--only agreement ...]
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import Project  # noqa: E402 - after the path, so a checkout runs without installing
from qualcode.coding import exclusive_branch  # noqa: E402
from qualcode.store import document_attributes, documents, new_guid, now, segments, turns  # noqa: E402

SEGMENTS = 52  # respondent turns per interview
CODERS = ("anna", "bram", "carla", "dirk")
CODES_PER_SEGMENT = 3
WORDS = ("klant werk traject uitkering plan aanpak gesprek collega team regels intake diagnose "
         "werkgever proefplaatsing scholing caseload maatwerk regie sanctie overleg").split()


def build(folder: Path, n_documents: int, rng: random.Random) -> Project:
    """A project with the shipped codebook and N uncoded interviews (interviewer and respondent turns)."""
    project = Project.init(folder, codebook=REPO / "codebooks" / "professioneel-handelen.yaml")
    stamp = now()
    doc_rows, attr_rows, turn_rows, seg_rows = [], [], [], []
    turn_id = 0
    for d in range(1, n_documents + 1):
        text, name = "", f"doc{d:04d}"
        for t in range(SEGMENTS * 2):
            said = " ".join(rng.choices(WORDS, k=rng.randint(8, 20) if t % 2 == 0 else rng.randint(40, 120)))
            start = len(text) + (2 if text else 0)
            text = f"{text}\n\n{said}" if text else said
            turn_id += 1
            respondent = t % 2 == 1
            turn_rows.append({"id": turn_id, "document_id": d, "number": t + 1, "speaker": "R" if respondent else "I",
                              "role": "respondent" if respondent else "interviewer", "start": start, "end": len(text),
                              "time_start": float(t * 20)})
            if respondent:
                seg_rows.append({"document_id": d, "unit": "turn", "number": (t + 1) // 2, "start": start,
                                 "end": len(text), "speaker": "R", "turn_id": turn_id})
        doc_rows.append({"id": d, "name": name, "source_file": f"{name}.docx", "sha256": f"{d:064d}",
                         "imported_at": stamp, "text": text, "metadata": "{}", "guid": new_guid()})
        attr_rows += [{"document_id": d, "key": "respondent_id", "value": f"R{d:04d}", "type": "category"},
                      {"document_id": d, "key": "role", "value": ("klantmanager", "client", "manager")[d % 3],
                       "type": "category"}]
    with project.store.atomic("bench.generate", str(folder)) as conn:
        for table, rows in ((documents, doc_rows), (document_attributes, attr_rows), (turns, turn_rows),
                            (segments, seg_rows)):
            conn.execute(table.insert(), rows)
    return project


def codable_codes(project: Project) -> list[str]:
    """Codes a coder may apply any number of on one segment: codable and under no exclusive group."""
    book = project.codebook()
    parents = {code.id: parent for code, parent, _ in book.walk()}
    exclusive = {code.id for code, _, _ in book.walk() if code.exclusive}
    return [code.id for code, _, _ in book.walk()
            if code.codable and not code.children and exclusive_branch(code.id, parents, exclusive) is None]


def write_codings(path: Path, codes: list[str], n_documents: int, rng: random.Random) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "segment", "coder", "code"])
        rows = 0
        for d in range(1, n_documents + 1):
            for s in range(1, SEGMENTS + 1):
                for coder in CODERS:
                    for code in rng.sample(codes, CODES_PER_SEGMENT):
                        writer.writerow([f"doc{d:04d}", s, coder, code])
                        rows += 1
    return rows


def run(args: list[str], project: Path) -> dict:
    """``qualcode ARGS --project PROJECT`` in a subprocess (output to /dev/null): wall and CPU
    seconds and peak memory in MB."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "160"}
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        child = subprocess.Popen([sys.executable, "-m", "qualcode", *args, "--project", str(project)],
                                 stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"qualcode {' '.join(args)} failed: {child.stderr.read().decode()}")
    child.stderr.close()
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_mb": round(usage.ru_maxrss / 1024)}


def commands(codings_csv: Path) -> dict[str, list[str]]:
    """Name -> arguments, each command after the one it depends on (apply first)."""
    return {
        "apply": ["apply", str(codings_csv), "--coder", "anna"],
        "apply again (nothing new)": ["apply", str(codings_csv), "--coder", "anna"],
        "status": ["status"],
        "documents": ["documents"],
        "show doc0001": ["show", "doc0001"],
        "segments --code KT (table)": ["segments", "--code", "KT"],
        "segments --code KT --format csv": ["segments", "--code", "KT", "--format", "csv"],
        "segments --doc doc0001 (table)": ["segments", "--doc", "doc0001"],
        "segments --doc doc0001 --format csv": ["segments", "--doc", "doc0001", "--format", "csv"],
        "codings (table)": ["codings", "--format", "table"],
        "codings --format csv": ["codings", "--format", "csv"],
        "log (table)": ["log"],
        "log --format csv": ["log", "--format", "csv"],
        "matrix (table)": ["matrix"],
        "agreement": ["agreement"],
        "export project (.qdpx)": ["export", "project", str(codings_csv.with_suffix(".qdpx"))],
    }


def measure(n_documents: int, folder: Path, only: list[str] | None = None) -> dict:
    rng = random.Random(21)
    started = time.perf_counter()
    project = build(folder / f"study{n_documents}", n_documents, rng)
    path = project.path
    codings_csv = folder / f"codings{n_documents}.csv"
    n_rows = write_codings(codings_csv, codable_codes(project), n_documents, rng)
    project.close()
    built_s = time.perf_counter() - started
    results = {name: run(args, path) for name, args in commands(codings_csv).items()
               if not only or name == "apply" or name in only}
    return {"documents": n_documents, "segments": n_documents * SEGMENTS, "codings": n_rows,
            "build_s": round(built_s, 1), "load_before": round(os.getloadavg()[0], 2), "results": results}


def growth(small: dict, large: dict) -> dict:
    """Per command: how the CPU time grew against the input (large/small CPU over large/small size)."""
    factor = large["documents"] / small["documents"]
    return {name: round((large["results"][name]["cpu_s"] / max(small["results"][name]["cpu_s"], 0.01)) / factor, 2)
            for name in small["results"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[200, 800])
    parser.add_argument("--only", nargs="+", choices=list(commands(Path("codings.csv"))), metavar="COMMAND",
                        help="run only these (apply always runs: the others need its codings)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sizes = [measure(n, Path(folder), args.only) for n in sorted(args.documents)]
    report = {"sizes": sizes}
    if len(sizes) > 1:
        report["cpu_growth_over_input_growth"] = growth(sizes[0], sizes[-1])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
