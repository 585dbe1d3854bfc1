"""Nothing leaves the machine: the demo and the commands that read, suggest, measure and write
run with every network call made to fail, in subprocesses (a ``sitecustomize`` on PYTHONPATH)
and in-process (the same guard, monkeypatched). The demo checked here is the suite's shared
SQLite demo, which conftest's ``guarded_demo`` builds under the guard."""

import importlib.util
import sys

import pytest

from conftest import GUARD_DIR, REPO, TRANSCRIPTS, copy_project, guarded_env
from qualcode.location import SERVER_FILE
from qualcode.store import PROJECT_FILE


@pytest.fixture
def guard(monkeypatch):
    """The guard installed in this process for one test; its ``REFUSED`` list starts empty."""
    spec = importlib.util.spec_from_file_location("no_network_guard", GUARD_DIR / "sitecustomize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install(monkeypatch.setattr)
    return module


def test_the_guard_refuses_every_way_out(tmp_path, guard):
    import socket

    for call in (lambda: socket.create_connection(("127.0.0.1", 9)), lambda: socket.getaddrinfo("pypi.org", 443),
                 lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("192.0.2.1", 80)),
                 lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", ("2001:db8::1", 53)),
                 lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).bind(("0.0.0.0", 0))):
        with pytest.raises(guard.NetworkUsed):
            call()
    assert len(guard.REFUSED) == 5
    log = tmp_path / "network.log"
    import subprocess

    done = subprocess.run([sys.executable, "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9')"],
                          env=guarded_env(log), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "network refused by the test: socket.create_connection" in done.stderr
    assert log.read_text().startswith("socket.create_connection(('127.0.0.1', 9)")


@pytest.mark.sqlite_only(reason="'qualcode demo' builds an SQLite project; the server's run is the in-process test below")
def test_the_demo_runs_with_the_network_cut_off(guarded_demo):
    folder, printed, log, made = guarded_demo  # exit code 0 checked where it was built
    assert printed.rstrip().endswith(f"the demo project is in {folder}; try: cd {folder} && qualcode status")
    assert not log.exists(), log.read_text()
    assert len(made) == 19 and made == {name: "0o600" for name in made}  # the project, its kept evaluation, every export and the report are private


def test_import_suggest_agreement_matrix_export_report_with_the_network_cut_off(demo_run, tmp_path, cli, guard):
    folder = tmp_path / "demo"
    demo_file = next(path for path in (demo_run[0] / PROJECT_FILE, demo_run[0] / SERVER_FILE) if path.exists())
    copy_project(demo_file, folder)  # on a server a copied folder would name the shared demo's database
    (folder / "exports").mkdir()
    project = ["--project", folder]
    commands = [
        ("import", TRANSCRIPTS / "mg-veenstad-02.txt", "--replace", *project),
        ("suggest", "km-maasdelta-01", "--top", "3", *project),
        ("agreement", "--coders", "anna,bram", "--codes", "KV,KT", *project),
        ("matrix", "--value", "presence", "--out", folder / "exports" / "themes.sav", *project),
        ("join", REPO / "survey" / "klantmanagers.sav", "--key", "respondent_id", "--out", folder / "exports" / "merged.csv", *project),
        ("framework", "--quotes", "1", "--out", folder / "exports" / "framework.xlsx", *project),
        ("quotes", "--code", "KV", "--out", folder / "exports" / "kv.docx", *project),
        ("export", "project", folder / "exports" / "study.qdpx", *project),
        ("report", "--no-evaluate", "--out", folder / "report.docx", *project),
        ("forget", "cl-veenstad-01", "--reason", "consent withdrawn", "--yes", *project),
    ]
    for command in commands:
        result = cli(*command)
        assert result.exit_code == 0, (command[0], result.output)
    assert guard.REFUSED == []
