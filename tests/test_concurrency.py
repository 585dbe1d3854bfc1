"""Several coders at once: the concurrency benchmark, run short, loses and fails nothing."""

import json
import subprocess
import sys

import pytest

from conftest import REPO


def _benchmark(*args):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "concurrency.py"), *args],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    return result, json.loads(result.stdout)


@pytest.mark.postgres
def test_eight_coders_on_a_server_lose_nothing_and_the_log_is_the_data(postgres_server):
    result, report = _benchmark("--duration", "1.5", "--writers", "8", "--documents", "2",
                                "--database", postgres_server.fresh())
    assert (result.returncode, report["backend"], report["writes_failed"], report["writes_lost"]) == (0, "postgresql", 0, 0), result.stdout
    assert sorted(report["writers"]) == [f"coder{i}" for i in range(8)]
    assert report["stored"]["log_matches_data"] is True and report["stored"]["chain_ok"] is True
    assert report["writes_acknowledged"] == sum(call["calls"] for call in report["latency_ms"].values())


def test_three_writers_and_a_reader_lose_and_fail_nothing():
    result, report = _benchmark("--duration", "1.5", "--writers", "3", "--documents", "4")
    assert (result.returncode, report["writes_failed"], report["reads_failed"], report["all_stored"]) == (0, 0, 0, True), result.stdout
    assert sorted(report["writers"]) == ["coder0", "coder1", "coder2"]
    assert all(sum(item["done"].values()) > 0 for item in report["writers"].values())
    assert report["writes_acknowledged"] == sum(sum(item["done"].values()) for item in report["writers"].values())
    assert report["reader"]["reads"] > 0
    assert report["stored"]["chain_ok"] is True
    assert all(all(checks.values()) for checks in report["stored"]["per_coder"].values())


def test_two_leads_merging_codes_at_once_are_serialised_and_the_second_is_refused_whole(project, make_document):
    """Lead A folds KV-LEER into KT-WET while lead B folds KT-WET into KV-LEER. Both wait for the
    write lock at once (held here until each has said it waits); then one merge is applied whole
    and the other, checked inside the lock, finds its source or target gone and writes nothing."""
    import threading

    from qualcode import Project
    from qualcode.errors import UnknownItem
    from sample_coding import build

    build(project, make_document)
    before = project.codings()
    waiting = {"a": threading.Event(), "b": threading.Event()}
    outcome = {}

    def lead(name, sources, dest):
        with Project(project.path or project.location, coder=f"lead-{name}", on_wait=waiting[name].set) as mine:
            try:
                outcome[name] = mine.merge_codes(sources, dest)
            except UnknownItem as exc:
                outcome[name] = exc

    with project.store.atomic("test.hold"):
        leads = [threading.Thread(target=lead, args=("a", ["KV-LEER"], "KT-WET")),
                 threading.Thread(target=lead, args=("b", ["KT-WET"], "KV-LEER"))]
        for thread in leads:
            thread.start()
        assert all(event.wait(30) for event in waiting.values())
    for thread in leads:
        thread.join(60)

    [won] = [name for name, result in outcome.items() if isinstance(result, dict)]
    [lost] = [name for name, result in outcome.items() if isinstance(result, UnknownItem)]
    gone, kept = ("KV-LEER", "KT-WET") if won == "a" else ("KT-WET", "KV-LEER")
    assert str(outcome[lost]).startswith(f"unknown code {gone!r}")
    after = project.codings()
    assert gone not in set(project.codes()["id"])
    assert gone not in set(after["code"]) and kept in set(after["code"])
    # every coded passage of either code is now one coding of the kept code
    merged = {(row.document, row.segment, row.coder) for row in before.itertuples() if row.code in (gone, kept)}
    assert {(row.document, row.segment, row.coder) for row in after.itertuples() if row.code == kept} == merged
    log = project.log()
    assert list(log[log["action"] == "codes.merge"]["actor"]) == [f"lead-{won}"]
    assert project.verify_log().ok
