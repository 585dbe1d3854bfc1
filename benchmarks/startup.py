"""Start-up time of light commands, as a JSON report.

Runs the installed ``qualcode`` entry point (the one on PATH, else ``python -m qualcode``)
several times per command and reports the median and best wall time in milliseconds, beside
a bare ``python -c pass`` as the floor. Target (issue 2): ``qualcode --help`` <= 150 ms.

    python benchmarks/startup.py [--runs 15]
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall_times(command: list[str], runs: int, cwd: str) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    entry = shutil.which("qualcode")
    qualcode = [entry] if entry else [sys.executable, "-m", "qualcode"]
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([*qualcode, "init", folder], check=True, capture_output=True)
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "qualcode --help": [*qualcode, "--help"],
            "qualcode --version": [*qualcode, "--version"],
            "qualcode status": [*qualcode, "status"],
        }
        report = {"entry_point": " ".join(qualcode), "runs": args.runs, "target_ms": {"qualcode --help": 150}, "results": {}}
        for name, command in cases.items():
            times = wall_times(command, args.runs, folder)
            report["results"][name] = {"median_ms": round(statistics.median(times), 1), "best_ms": round(min(times), 1)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
