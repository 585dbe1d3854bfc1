"""Start-up time of light commands on the demo project, as a JSON report.

Runs the installed ``qualcode`` entry point (the one on PATH, else ``python -m qualcode``)
several times per command and reports the median and best wall time and the median CPU time
(user + system, the figure to trust on a shared machine) in milliseconds, beside a bare
``python -c pass`` and ``import sqlalchemy`` as floors. Targets: ``qualcode --help`` <= 150 ms
(issue 2); ``status``, ``documents``, ``show``, ``segments``, ``codings``, ``tag``, ``review``
and ``log`` <= 300 ms on the demo project (issue 21).

    python benchmarks/startup.py [--runs 10] [--project DEMO_FOLDER]

Without ``--project`` the demo is built first in a temp folder (``qualcode demo``).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIGHT = {
    "status": ["status"],
    "documents": ["documents"],
    "show": ["show", "km-maasdelta-01"],
    "segments": ["segments", "--doc", "km-maasdelta-01"],
    "codings": ["codings", "--coder", "anna"],
    "tag": ["tag", "km-maasdelta-01:12", "KV-LEER", "--coder", "anna"],
    "review": ["review", "km-maasdelta-01:13", "--coder", "anna"],
    "log": ["log", "--action", "coding"],
}


def times(command: list[str], runs: int, cwd: str) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each run."""
    wall, cpu = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with open(os.devnull, "w") as sink:
            child = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(child.pid, 0)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read().decode()}")
        child.stderr.close()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--project", type=Path, help="a folder made by 'qualcode demo' (default: build one)")
    args = parser.parse_args()
    entry = shutil.which("qualcode")
    qualcode = [entry] if entry else [sys.executable, "-m", "qualcode"]
    with tempfile.TemporaryDirectory() as folder:
        demo = args.project
        if demo is None:
            demo = Path(folder) / "demo"
            subprocess.run([*qualcode, "demo", str(demo)], check=True, capture_output=True)
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "python -c 'import sqlalchemy' (floor of the store)": [sys.executable, "-c", "import sqlalchemy"],
            "qualcode --help": [*qualcode, "--help"],
            **{f"qualcode {' '.join(words)}": [*qualcode, *words] for words in LIGHT.values()},
        }
        report = {"entry_point": " ".join(qualcode), "runs": args.runs, "load_before": round(os.getloadavg()[0], 2),
                  "target_ms": {"qualcode --help": 150, **{f"qualcode {name}": 300 for name in LIGHT}}, "results": {}}
        for name, command in cases.items():
            wall, cpu = times(command, args.runs, str(demo))
            report["results"][name] = {"median_ms": round(statistics.median(wall)), "best_ms": round(min(wall)),
                                       "cpu_median_ms": round(statistics.median(cpu))}
        report["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
