"""Shared fixtures: real projects in temp folders, the CLI run as a user runs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

# One BLAS thread per test process (and the subprocesses it starts): with a worker per core,
# OpenBLAS's own threads only spin against the other worker ('evaluate --baselines' took 6x
# the CPU time and over 600 s instead of 156 s on a busy 2-core machine).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "professioneel-handelen.yaml"
TRANSCRIPTS = REPO / "transcripts"


# Started first, so that under pytest-xdist the longest files do not start last and leave one
# worker running alone at the end (file order otherwise).
LONGEST_FIRST = ("test_readme.py", "test_report.py", "test_tui.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Tests never see the developer's own project or coder."""
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_CODER", raising=False)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, worker_id):
    """The demo, built once per test run in-process as ``qualcode demo DIR`` builds it: (its
    folder, what it printed). Tests read it; one that changes it works on a copy. Under
    pytest-xdist the first worker that needs it builds it in the run's shared folder and the
    others wait for it."""
    from filelock import FileLock

    from qualcode.cli import cli as command

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    directory, printed = shared / "shared-demo", shared / "shared-demo.out"
    with FileLock(shared / "shared-demo.lock"):
        if not printed.exists():
            result = CliRunner().invoke(command, ["demo", str(directory)], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            printed.write_text(result.output, encoding="utf-8")
    return directory, printed.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def new_project_file(tmp_path_factory):
    """The file of a new project with the shipped codebook, made once per session: copying it
    costs a twentieth of reading the codebook into a new project for every test."""
    from qualcode import Project

    with Project.init(tmp_path_factory.mktemp("template") / "study", codebook=CODEBOOK) as made:
        return made.path


@pytest.fixture
def project(tmp_path, new_project_file):
    """A new project with the shipped codebook, in a temp folder."""
    from qualcode import Project

    (tmp_path / "study").mkdir()
    shutil.copyfile(new_project_file, tmp_path / "study" / new_project_file.name)
    with Project(tmp_path / "study") as opened:
        yield opened


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process (click's runner) from a given folder; returns the Result."""
    from qualcode.cli import cli as command

    def run(*args, cwd=None, env=None, input=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        runner = CliRunner()
        return runner.invoke(command, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run


def run_qualcode(*args, cwd=None, env=None, timeout=120):
    """Run ``python -m qualcode`` in a subprocess, exactly as a user's shell would."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("QUALCODE_PROJECT", "QUALCODE_CODER")}
    full_env = {**inherited, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "qualcode", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def make_document(project):
    """Insert a document straight into the store: ``make_document(name, [(speaker, role, text), ...])``.

    Each respondent turn becomes one turn segment; interviewer turns are stored but not segmented.
    Returns the document id.
    """
    from qualcode.store import NewDocument, NewSegment, NewTurn, insert_document

    def make(name, turns, attributes=None):
        text, new_turns, new_segments = "", [], []
        for index, (speaker, role, said) in enumerate(turns):
            if text:
                text += "\n\n"
            start = len(text)
            text += said
            new_turns.append(NewTurn(speaker=speaker, role=role, start=start, end=len(text), time_start=float(index * 10)))
            if role == "respondent":
                new_segments.append(NewSegment(unit="turn", start=start, end=len(text), speaker=speaker, turn=index))
        doc = NewDocument(
            name=name, source_file=f"{name}.txt", sha256=f"{name:0>64}"[-64:], text=text,
            attributes={k: (str(v), "number" if isinstance(v, (int, float)) else "category") for k, v in (attributes or {}).items()},
            turns=new_turns, segments=new_segments,
        )
        with project.store.atomic("test.add_document", name) as conn:
            return insert_document(project.store, conn, doc)

    return make
