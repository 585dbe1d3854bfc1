"""The look-only commands (status, documents, show, segments, codings, log, codebook show,
memo list and show) read an SQLite project without SQLAlchemy or pandas (issue 21), and show exactly what the full ``Project`` shows."""

import json
import sqlite3
import subprocess
import sys

import pytest

from conftest import REPO, copy_project
from qualcode import Project
from qualcode.errors import SchemaTooNew
from qualcode.project_reads import ProjectView, open_for_looking

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


@pytest.mark.sqlite_only("the bare sqlite3 reader opens SQLite files only; a server project opens as a Project")
@pytest.mark.parametrize("words", LOOK_ONLY, ids=" ".join)
def test_look_only_commands_load_neither_sqlalchemy_nor_pandas(demo_run, words):
    done = subprocess.run([sys.executable, "-c", LOADED_AT_EXIT, *words], cwd=demo_run[0], capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr.strip().splitlines()[-1] == "[]"


def records(frame) -> list[dict]:
    """A DataFrame's rows as the CLI prints them (a missing value as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@pytest.mark.sqlite_only("compares the bare sqlite3 reader with the Store on the same SQLite file")
def test_the_view_reads_what_the_project_reads(demo_run):
    with ProjectView(demo_run[0] / "qualcode.sqlite") as view, Project(demo_run[0]) as project:
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
    with open_for_looking(copied.parent) as opened:
        assert isinstance(opened, ProjectView)
    with sqlite3.connect(copied) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaTooNew):
        open_for_looking(copied.parent)


def test_an_unknown_document_or_segment_is_named_with_what_there_is(demo_run, cli):
    result = cli("show", "km-maasdelta-1", cwd=demo_run[0])
    assert result.exit_code == 2 and "km-maasdelta-01" in result.output
    result = cli("show", "km-maasdelta-01:999", cwd=demo_run[0])
    assert result.exit_code == 2 and "km-maasdelta-01:999" in result.output
