"""A large project on a PostgreSQL server, as a JSON report: matrices, and ``copy`` both ways.

Builds matrix_bench's project (200 documents, 50,000 segments, 200,000 codings, inserted in
bulk through the store's tables in one transaction) in a new database on ``--server``, times
the theme matrices there (issue 18's target: <= 1 s, as on SQLite), then copies the project to
an SQLite file and from that file back to another new database on the server, checking that
both copies hold the same counts and that their audit chains verify. The databases it made are
dropped at the end.

    python benchmarks/server_bench.py --server postgresql://postgres@/postgres?host=/tmp/pg [--runs 3]
"""

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import sqlalchemy as sa  # noqa: E402

from matrix_bench import build, timed  # noqa: E402
from qualcode import Project  # noqa: E402
from qualcode.store.core import database_url  # noqa: E402


class Databases:
    """New empty databases on the server (byte-order collation, as SQLite sorts), dropped on close."""

    def __init__(self, server: str):
        self.url = sa.engine.make_url(database_url(server))
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.made = []

    def new(self) -> str:
        name = f"qualcode_bench_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'")
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "", 1)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in self.made:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.dispose()


def counts(path) -> dict:
    with Project(path) as project:
        status = project.status()
        return {"documents": status["documents"], "segments": status["segments"], "codings": status["codings"],
                "audit_head": status["audit_head"], "chain_ok": project.verify_log().ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("QUALCODE_TEST_POSTGRES"),
                        help="A postgresql:// URL of a database on a server where this login may create databases.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--segments", type=int, default=50_000)
    args = parser.parse_args()
    if not args.server:
        parser.error("give --server postgresql://... (or set QUALCODE_TEST_POSTGRES)")
    databases = Databases(args.server)
    try:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            started = time.perf_counter()
            project = build(folder / "study", args.documents, args.segments, database=databases.new())
            build_s = time.perf_counter() - started
            project.matrix()  # first call imports pandas and friends; not part of any figure
            load_before = round(os.getloadavg()[0], 2)
            cases = {
                "matrix top count": lambda: project.matrix(),
                "matrix top presence": lambda: project.matrix(value="presence"),
                "matrix all codes count": lambda: project.matrix(codes="all"),
                "matrix rows=role share": lambda: project.matrix(rows="role", value="share"),
                "matrix top words": lambda: project.matrix(value="words"),
                "cooccurrence segment count": lambda: project.cooccurrence(),
            }
            results = {name: timed(action, args.runs) for name, action in cases.items()}
            copies = {}
            started = time.perf_counter()
            to_file = project.copy_to(folder / "offline")
            copies["server -> sqlite"] = {"s": round(time.perf_counter() - started, 2)}
            project.close()
            with Project(to_file) as offline:
                started = time.perf_counter()
                back = offline.copy_to(folder / "back", database=databases.new())
                copies["sqlite -> server"] = {"s": round(time.perf_counter() - started, 2)}
            original = counts(folder / "study")
            for name, path in (("server -> sqlite", to_file), ("sqlite -> server", back)):
                copies[name]["identical_counts_and_head"] = counts(path) == original
            report = {
                "project": {**{k: original[k] for k in ("documents", "segments", "codings")}, "build_s": round(build_s, 1)},
                "runs": args.runs,
                "load_average_1min_before_after": [load_before, round(os.getloadavg()[0], 2)],
                "cpus": os.cpu_count(),
                "target_s": 1.0,
                "all_within_target": all(r["median_s"] <= 1.0 for r in results.values()),
                "all_within_target_cpu": all(r["cpu_median_s"] <= 1.0 for r in results.values()),
                "results": results,
                "copy": copies,
                "chain_ok": original["chain_ok"],
            }
    finally:
        databases.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
