"""Several coders at once: writer processes and a reader on one project, as a JSON report.

Builds a project of ``--documents`` interviews in a temp folder (an SQLite file, or with
``--database URL`` an empty PostgreSQL database), then runs ``--writers`` processes (each its
own coder, each calling tag, untag, review, memo and apply at random on the same documents, as
fast as it can) and one reader process (status and the codings table) for ``--duration``
seconds. Every write must be acknowledged (no error) and stored: afterwards the store is counted
against what each writer was told: its actions in the audit log, its codings and review marks
(replayed from its own calls), its memos, and the audit chain verified; and the audit log,
replayed from the start, must give exactly the codings, review marks and memos the tables hold.
Reports latency per action (issue 18's target: tag p95 <= 50 ms with 8 coders on a server).

    python benchmarks/concurrency.py [--duration 60] [--writers 3] [--documents 10] [--database URL] [--think 0.5]
"""

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qualcode import Project  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from qualcode.store import NewDocument, NewSegment, NewTurn, codings, insert_document, memos, reviews  # noqa: E402
from qualcode.store import reads  # noqa: E402

CODEBOOK = Path(__file__).resolve().parents[1] / "codebooks" / "professioneel-handelen.yaml"
SEGMENTS = 20  # respondent segments per document
CODES = ["KV-LEER", "KT-WET", "KD-OVL", "KG-REL", "ROL-CTRL"]
LOGGED_AS = {"memo": "memo.add"}  # the audit action of a writer's action, where the names differ


def build(folder: Path, n_documents: int, database: str | None = None) -> Path:
    with Project.init(folder, codebook=CODEBOOK, database=database) as project, \
            project.store.atomic("benchmark.documents") as conn:
        for d in range(n_documents):
            text, turns, segments = "", [], []
            for t in range(SEGMENTS * 2):
                said = f"beurt {t} van interview {d}: de klant en de regels"
                start = len(text) + (2 if text else 0)
                text = f"{text}\n\n{said}" if text else said
                turns.append(NewTurn("R" if t % 2 else "I", "respondent" if t % 2 else "interviewer", start, len(text)))
                if t % 2:
                    segments.append(NewSegment("turn", start, len(text), "R", t))
            insert_document(project.store, conn, NewDocument(
                name=f"doc{d:02d}", source_file=f"doc{d:02d}.txt", sha256=f"{d:064d}", text=text, turns=turns,
                segments=segments))
        return project.path


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1) if ordered else 0.0


def writer(path: str, coder: str, n_documents: int, duration: float, seed: int, start, results, think: float = 0.0) -> None:
    """Tag, untag, review, memo and apply at random for ``duration`` seconds from the common
    start; report what was acknowledged and how long each call took."""
    import pandas  # noqa: PLC0415 - before the clock starts; apply takes a DataFrame

    rng = random.Random(seed)
    waits = []
    project = Project(path, coder=coder, on_wait=lambda: waits.append(time.monotonic()))
    start.wait()
    until = time.monotonic() + duration
    done, failed, latencies = Counter(), [], {}
    codings, reviewed = set(), set()
    while time.monotonic() < until:
        time.sleep(rng.uniform(0, 2 * think))
        document, segment = f"doc{rng.randrange(n_documents):02d}", rng.randrange(1, SEGMENTS + 1)
        ref = f"{document}:{segment}"
        action = rng.choice(("tag", "tag", "untag", "review", "memo", "apply"))
        code = rng.choice(CODES)
        began = time.perf_counter()
        try:
            if action == "tag":
                project.tag(ref, [code])
                codings.add((ref, code))
                reviewed.add(ref)
            elif action == "apply":
                project.apply_codings(pandas.DataFrame([{"document": document, "segment": segment, "coder": coder,
                                                         "code": code}]))
                codings.add((ref, code))
                reviewed.add(ref)
            elif action == "untag":
                project.untag(ref, [code])
                codings.discard((ref, code))
            elif action == "review":
                project.review(ref)
                reviewed.add(ref)
            else:
                project.add_memo(f"{coder} over {ref}", segment=ref)
        except Exception as exc:  # noqa: BLE001 - the benchmark counts every failure, whatever it is
            failed.append(f"{action} {ref}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        latencies.setdefault(action, []).append((time.perf_counter() - began) * 1000)
        done[action] += 1
    project.close()
    results.put({"coder": coder, "done": dict(done), "failed": failed, "waited": len(waits),
                 "codings": sorted(codings), "reviewed": sorted(reviewed), "latencies_ms": latencies})


def reader(path: str, duration: float, start, results) -> None:
    project = Project(path)
    project.codings()  # pandas imported before the clock starts
    start.wait()
    until = time.monotonic() + duration
    reads, failed, latencies = 0, [], []
    while time.monotonic() < until:
        began = time.perf_counter()
        try:
            project.status()
            project.codings()
        except Exception as exc:  # noqa: BLE001 - the benchmark counts every failure
            failed.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        reads += 1
    project.close()
    results.put({"coder": None, "reads": reads, "failed": failed, "p50_ms": _percentile(latencies, 0.5),
                 "max_ms": round(max(latencies, default=0.0), 1)})


def stored(path: Path, report: dict) -> dict:
    """What the store holds per writer against what the writer was told, and the chain."""
    with Project(path) as project:
        log = project.log()
        table = project.codings()
        memos = project.memos()
        verification = project.verify_log()
    checks, lost = {}, 0
    for coder, told in report.items():
        mine = table[table["coder"] == coder]
        actions = Counter(log[log["actor"] == coder]["action"])
        has = {(f"{d}:{s}", c) for d, s, c in zip(mine["document"], mine["segment"], mine["code"]) if c}
        was_told = {tuple(pair) for pair in told["codings"]}
        reviewed = {f"{d}:{s}" for d, s in zip(mine["document"], mine["segment"])}
        n_memos = int((memos["author"] == coder).sum())
        checks[coder] = {
            "actions_logged": {a: actions[LOGGED_AS.get(a, a)] for a in told["done"]} == told["done"],
            "codings": has == was_told,
            "reviewed": reviewed == set(told["reviewed"]),
            "memos": n_memos == told["done"].get("memo", 0),
        }
        lost += (sum(max(0, n - actions[LOGGED_AS.get(a, a)]) for a, n in told["done"].items()) + len(was_told - has)
                 + len(set(told["reviewed"]) - reviewed) + max(0, told["done"].get("memo", 0) - n_memos))
    return {"per_coder": checks, "writes_lost": lost, "chain_ok": verification.ok, "audit_entries": verification.entries,
            "log_matches_data": log_matches_data(path)}


def log_matches_data(path: Path) -> bool:
    """Replay the whole audit log (every coding, review mark and memo added or deleted) and
    compare it with the tables: equal only if no write reached the data without its entry, or
    the log without its data."""
    with Project(path) as project, project.store.reading() as conn:
        entries = reads.audit_rows(conn)
        held = {
            "codings": set(conn.execute(sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder))),
            "reviews": set(conn.execute(sa.select(reviews.c.segment_id, reviews.c.coder))),
            "memos": set(conn.execute(sa.select(memos.c.id)).scalars()),
        }
    replayed = {"codings": set(), "reviews": set(), "memos": set()}
    for entry in entries:
        detail, segment = json.loads(entry["detail"]), entry["target"]
        kind, _, change = entry["action"].partition(".")
        if kind == "coding" and change in ("add", "delete"):
            item, into = (int(segment), detail["code"], detail["coder"]), replayed["codings"]
        elif kind == "review" and change in ("add", "delete"):
            item, into = (int(segment), detail["coder"]), replayed["reviews"]
        elif kind == "memo" and change == "add":
            item, into = detail["memo"], replayed["memos"]
        else:
            continue
        (into.add if change == "add" else into.discard)(item)
    return replayed == held


def run(duration: float, n_writers: int, n_documents: int, database: str | None = None, think: float = 0.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "study", n_documents, database)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        start = context.Barrier(n_writers + 1)  # all begin together, once started and warm
        processes = [context.Process(target=writer, args=(str(path), f"coder{i}", n_documents, duration, i, start, results, think))
                     for i in range(n_writers)]
        processes.append(context.Process(target=reader, args=(str(path), duration, start, results)))
        for process in processes:
            process.start()
        found = [results.get(timeout=duration + 120) for _ in processes]
        for process in processes:
            process.join()
        writers = {item["coder"]: item for item in found if item["coder"] is not None}
        [read] = [item for item in found if item["coder"] is None]
        checks = stored(path, writers)
    acknowledged = sum(sum(item["done"].values()) for item in writers.values())
    all_stored = checks["chain_ok"] and checks["log_matches_data"] and all(all(c.values()) for c in checks["per_coder"].values())
    timings = {}
    for item in writers.values():
        for action, values in item["latencies_ms"].items():
            timings.setdefault(action, []).extend(values)
    return {
        "backend": "postgresql" if database else "sqlite",
        "duration_s": duration,
        "think_s": think,
        "latency_ms": {action: {"calls": len(values), "p50": _percentile(values, 0.5), "p95": _percentile(values, 0.95),
                                "max": round(max(values), 1)} for action, values in sorted(timings.items())},
        "writers": {name: {k: v for k, v in item.items() if k not in ("coder", "codings", "reviewed", "latencies_ms")}
                    for name, item in writers.items()},
        "reader": {k: v for k, v in read.items() if k != "coder"},
        "writes_acknowledged": acknowledged,
        "writes_failed": sum(len(item["failed"]) for item in writers.values()),
        "writes_lost": checks["writes_lost"],
        "reads_failed": len(read["failed"]),
        "times_waited_over_a_second": sum(item["waited"] for item in writers.values()),
        "all_stored": all_stored,
        "stored": checks,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds the writers and the reader run.")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--database", metavar="URL", help="An empty PostgreSQL database to build the project in.")
    parser.add_argument("--think", type=float, default=0.0,
                        help="Mean seconds a coder pauses between writes (default 0: write back to back).")
    args = parser.parse_args(argv)
    report = run(args.duration, args.writers, args.documents, args.database, args.think)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["all_stored"] and not report["writes_failed"] and not report["reads_failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
