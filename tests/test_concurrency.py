"""Several coders at once: the concurrency benchmark, run short, loses and fails nothing."""

import json
import subprocess
import sys

from conftest import REPO


def test_three_writers_and_a_reader_lose_and_fail_nothing():
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "concurrency.py"), "--duration", "3", "--writers", "3", "--documents", "4"],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    report = json.loads(result.stdout)
    assert (result.returncode, report["writes_failed"], report["reads_failed"], report["all_stored"]) == (0, 0, 0, True), result.stdout
    assert sorted(report["writers"]) == ["coder0", "coder1", "coder2"]
    assert all(sum(item["done"].values()) > 0 for item in report["writers"].values())
    assert report["writes_acknowledged"] == sum(sum(item["done"].values()) for item in report["writers"].values())
    assert report["reader"]["reads"] > 0
    assert report["stored"]["chain_ok"] is True
    assert all(all(checks.values()) for checks in report["stored"]["per_coder"].values())
