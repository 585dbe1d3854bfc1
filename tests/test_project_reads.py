"""The quick commands (status, documents, show, segments, codings, log, codebook show, memo list
and show; tag, untag and review) open an SQLite project without SQLAlchemy or pandas (issue 21),
and show and write exactly what the full ``Project`` does."""

import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO, copy_project
from qualcode import Project
from qualcode.errors import BrokenChain, SchemaTooNew
from qualcode.project_reads import QuickProject, open_quick

LOOK_ONLY = [
    ["status"],
    ["documents"],
    ["show", "km-maasdelta-01"],
    ["show", "km-maasdelta-01:12"],
    ["codings", "--coder", "anna"],
    ["codings", "--code", "KV"],
    ["log", "--action", "coding"],
    ["segments", "--doc", "km-maasdelta-01"],
    ["codebook", "show"],
    ["memo", "list"],
    ["segments", "--code", "KV", "--attr", "role=klantmanager", "--format", "csv"],
]

LOADED_AT_EXIT = (
    "import sys\nfrom qualcode.cli import cli\n"
    "try:\n    cli.main(sys.argv[1:], prog_name='qualcode')\n"
    "finally:\n    print(sorted(m for m in ('sqlalchemy', 'pandas', 'numpy', 'spacy', 'sklearn') if m in sys.modules),"
    " file=sys.stderr)"
)


QUICK_WRITES = [
    ["tag", "km-maasdelta-01:12", "KV-LEER", "KD-OVL", "--coder", "zed"],
    ["untag", "km-maasdelta-01:12", "KD-OVL", "--coder", "zed"],
    ["review", "km-maasdelta-01:13", "--coder", "zed"],
]


def loaded_at_exit(folder, words) -> str:
    """What ``qualcode WORDS`` printed, after asserting it loaded none of the heavy libraries."""
    done = subprocess.run([sys.executable, "-c", LOADED_AT_EXIT, *words], cwd=folder, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    return done.stdout


@pytest.mark.sqlite_only("the bare sqlite3 reader opens SQLite files only; a server project opens as a Project")
@pytest.mark.parametrize("words", LOOK_ONLY, ids=" ".join)
def test_look_only_commands_load_neither_sqlalchemy_nor_pandas(demo_run, words):
    assert loaded_at_exit(demo_run[0], words).strip()


@pytest.mark.sqlite_only("the quick writer writes SQLite files only")
def test_tag_untag_review_load_no_sqlalchemy_and_write_what_the_project_writes(demo_run, tmp_path):
    quick = copy_project(demo_run[0] / "qualcode.sqlite", tmp_path / "quick").parent
    full = copy_project(demo_run[0] / "qualcode.sqlite", tmp_path / "full").parent
    printed = [loaded_at_exit(quick, words) for words in QUICK_WRITES]
    assert printed == ["km-maasdelta-01:12: added KV-LEER, KD-OVL\n", "km-maasdelta-01:12: removed KD-OVL\n",
                       "km-maasdelta-01:13: marked reviewed\n"]
    with Project(full) as project:
        project.tag("km-maasdelta-01:12", ["KV-LEER", "KD-OVL"], coder="zed")
        project.untag("km-maasdelta-01:12", ["KD-OVL"], coder="zed")
        project.review("km-maasdelta-01:13", coder="zed")
    with Project(demo_run[0]) as demo:
        before = len(demo.log())
    with Project(quick) as written, Project(full) as expected:
        new = len(expected.log()) - before
        assert written.verify_log().ok
        assert records(written.codings("zed")) == records(expected.codings("zed"))
        assert written.status()["coders"]["zed"] == expected.status()["coders"]["zed"] == {
            "kind": "human", "codings": 1, "from_suggestions": 0, "reviewed": 2, "share_reviewed": round(2 / 291, 4)}
        without_time = ["actor", "action", "target", "detail"]
        assert records(written.log()[without_time].tail(new)) == records(expected.log()[without_time].tail(new))
        assert [row["action"] for row in written.log_records(coder="zed")] == [
            "tag", "coder.add", "review.add", "coding.add", "coding.add", "untag", "coding.delete", "review", "review.add"]


@pytest.mark.sqlite_only("the quick writer writes SQLite files only")
def test_a_quick_write_hands_a_broken_chain_to_the_store(demo_run, tmp_path):
    copied = copy_project(demo_run[0] / "qualcode.sqlite", tmp_path / "study")
    with sqlite3.connect(copied) as db:
        db.execute("DROP TRIGGER audit_no_update")
    with open_quick(copied.parent) as quick:
        assert isinstance(quick, QuickProject)
        with pytest.raises(BrokenChain, match="audit_no_update is gone; nothing was written"):
            quick.tag("km-maasdelta-01:12", ["KV-LEER"], coder="zed")
        assert "zed" not in quick.coders()
    with open_quick(copied.parent, accept_break=True) as full:
        assert not isinstance(full, QuickProject)
        assert full.tag("km-maasdelta-01:12", ["KV-LEER"], coder="zed") == ["KV-LEER"]
    with open_quick(copied.parent) as quick:
        assert quick.review("km-maasdelta-01:3", coder="zed")
        assert quick.verify_log().breaks[0].accepted_by is not None


@pytest.mark.sqlite_only("the SQLite write lock")
def test_a_quick_write_waits_for_the_lock_says_so_once_and_writes(demo_run, tmp_path):
    copied = copy_project(demo_run[0] / "qualcode.sqlite", tmp_path / "study")
    holder = sqlite3.connect(copied, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(1.5, holder.execute, ["COMMIT"]).start()
    waits = []
    started = time.monotonic()
    with open_quick(copied.parent, on_wait=lambda: waits.append(time.monotonic() - started)) as quick:
        assert quick.tag("km-maasdelta-01:12", ["KV-LEER"], coder="zed") == ["KV-LEER"]
    assert len(waits) == 1 and 1.0 <= waits[0] < 1.5 <= time.monotonic() - started
    holder.close()


def records(frame) -> list[dict]:
    """A DataFrame's rows as the CLI prints them (a missing value as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@pytest.mark.sqlite_only("compares the bare sqlite3 reader with the Store on the same SQLite file")
def test_the_view_reads_what_the_project_reads(demo_run):
    with QuickProject(demo_run[0] / "qualcode.sqlite") as view, Project(demo_run[0]) as project:
        assert view.status() == project.status()
        assert view.status()["codings"] > 1000
        assert view.document_records()[0] == records(project.documents())
        assert view.transcript_records("km-maasdelta-01") == records(project.transcript("km-maasdelta-01"))
        assert view.coding_records("anna", "KV") == records(project.codings("anna", "KV"))
        assert len(view.coding_records("anna", "KV")) > 20
        assert view.log_records(action="coding") == records(project.log(action="coding"))
        rows, columns = view.segment_records(["km-maasdelta-01"], codes=["KV"])
        assert 0 < len(rows) < 40 and {row["document"] for row in rows} == {"km-maasdelta-01"}
        assert rows == records(project.segments(["km-maasdelta-01"], codes=["KV"])[columns])
        assert view.code_records() == records(project.codes())
        assert view.codebook() == project.codebook()
        assert view.memo_records() == records(project.memos())
        assert view.verify_log().ok


def test_status_json_is_the_same_through_the_view_and_the_project(demo_run, cli):
    shown = json.loads(cli("status", "--format", "json", cwd=demo_run[0]).output)
    with Project(demo_run[0]) as project:
        assert shown == json.loads(json.dumps(project.status()))


@pytest.mark.sqlite_only("about which object opens an SQLite file")
def test_a_file_not_of_this_qualcodes_schema_opens_as_a_project_which_migrates_or_refuses_it(tmp_path, demo_run):
    copied = copy_project(demo_run[0] / "qualcode.sqlite", tmp_path / "study")
    with open_quick(copied.parent) as opened:
        assert isinstance(opened, QuickProject)
    with sqlite3.connect(copied) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaTooNew):
        open_quick(copied.parent)


def test_an_unknown_document_or_segment_is_named_with_what_there_is(demo_run, cli):
    result = cli("show", "km-maasdelta-1", cwd=demo_run[0])
    assert result.exit_code == 2 and "km-maasdelta-01" in result.output
    result = cli("show", "km-maasdelta-01:999", cwd=demo_run[0])
    assert result.exit_code == 2 and "km-maasdelta-01:999" in result.output
