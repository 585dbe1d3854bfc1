"""Shared fixtures: real projects in temp folders, the CLI run as a user runs it.

With ``QUALCODE_TEST_POSTGRES`` set to a PostgreSQL server URL (``.ci/run`` starts one), every
test that can make a project (it has a temp folder or a project fixture) runs twice: on SQLite
and on the server, where each ``Project.init`` gets a fresh database of its own and a copied
project is ``CREATE DATABASE ... TEMPLATE`` of the original. A test about the SQLite file by
nature is marked ``sqlite_only`` with its reason. Without the variable the suite runs on SQLite.
"""

import itertools
import json
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
GUARD_DIR = REPO / "tests" / "no_network"
POSTGRES_ENV = "QUALCODE_TEST_POSTGRES"
THROWAWAY_ENV = "QUALCODE_TEST_POSTGRES_THROWAWAY"  # set: the server goes after the run, databases and all
SERVER = os.environ.get(POSTGRES_ENV)
NEEDS_SERVER = f"needs a PostgreSQL server: set {POSTGRES_ENV}=postgresql://... (.ci/run starts one)"
# A test with one of these can make a project, so it runs on every backend.
MAKES_PROJECTS = {"tmp_path", "tmp_path_factory", "project", "new_project", "new_project_file", "demo_run"}


def pytest_generate_tests(metafunc):
    """A test that can make a project runs on each backend: SQLite unless it is marked
    ``postgres`` (about the server), the server unless it is marked ``sqlite_only``."""
    if SERVER and MAKES_PROJECTS & set(metafunc.fixturenames):
        marked = {name for name in ("sqlite_only", "postgres") if metafunc.definition.get_closest_marker(name)}
        params = ([] if "postgres" in marked else [pytest.param("sqlite")]) + \
            ([] if "sqlite_only" in marked else [pytest.param("postgresql", marks=pytest.mark.postgres)])
        metafunc.parametrize("backend", params, indirect=True, scope="session")




class Server:
    """The test server: a fresh database per project, databases copied as templates, all
    dropped at the end of the session."""

    current = None  # the session's server, once a test needed it

    def __init__(self, url: str):
        import sqlalchemy as sa

        from qualcode.store import is_server_url
        from qualcode.store.core import database_url

        assert is_server_url(url), f"{POSTGRES_ENV} must be a postgresql:// URL, not {url!r}"
        self.url = sa.engine.make_url(database_url(url))
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created = []
        self.names = (f"qualcode_test_{os.getpid()}_{n}" for n in itertools.count())

    def _create(self, template: str) -> str:
        """A new database copied from ``template``: file by file where the server can (15 and
        later), a quarter of the time of writing every page to the WAL for a test's small one."""
        name = next(self.names)
        with self.admin.connect() as conn:
            strategy = " STRATEGY FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}' +
                                 (" LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'" if template == "template0" else ""))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "", 1)

    def fresh(self) -> str:
        """The URL of a new empty database (byte order collation, as SQLite sorts)."""
        return self._create("template0")

    def copy(self, url: str) -> str:
        """A new database holding what the one at ``url`` holds (nobody may be connected to it)."""
        import sqlalchemy as sa

        return self._create(sa.engine.make_url(url).database)

    def close(self) -> None:
        """Drop the session's databases, unless the whole server is thrown away after the run
        (``.ci/run`` says so): dropping them one by one took a worker 15-20 s."""
        if not os.environ.get(THROWAWAY_ENV):
            with self.admin.connect() as conn:
                for name in self.created:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    if not SERVER:
        pytest.skip(NEEDS_SERVER)
    server = Server.current = Server(SERVER)
    yield server
    server.close()


@pytest.fixture(scope="session", autouse=True)
def backend(request):
    """The backend this test's projects live on: 'sqlite', or 'postgresql' (then every
    ``Project.init`` without a database of its own makes a fresh one on the test server)."""
    name = getattr(request, "param", "sqlite")
    if name == "sqlite":
        yield name
        return
    from qualcode.project import Project

    server = request.getfixturevalue("postgres_server")
    original = Project.init.__func__

    def init(cls, directory=".", *, codebook=None, database=None):
        return original(cls, directory, codebook=codebook, database=database or server.fresh())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Project, "init", classmethod(init))
        yield name


def copy_project(found: Path, folder: Path) -> Path:
    """Copy the project whose file is ``found`` into ``folder`` (made), on its own backend:
    the SQLite file, or a new server database made from the original's. Returns the new file."""
    from qualcode.location import SERVER_FILE, database_of
    from qualcode.project import server_file_text

    folder.mkdir(parents=True, exist_ok=True)
    if found.name != SERVER_FILE:
        shutil.copyfile(found, folder / found.name)
    else:
        (folder / SERVER_FILE).write_text(server_file_text(Server.current.copy(database_of(found))), encoding="utf-8")
    return folder / found.name


# Started first, longest first, so that under pytest-xdist the longest files do not start last
# and leave one worker running alone at the end (file order otherwise); in the order of their
# wall time in the suite: the README's commands (three cross-validations) take the longest, the
# keyboard coder's pilot mostly waits for the screen to settle between key presses.
LONGEST_FIRST = ("test_readme.py", "test_tui.py", "test_pseudonymise.py", "test_report.py", "test_suggest.py",
                 "test_fuzz.py", "test_concurrency.py", "test_interop.py")


def pytest_configure(config):
    """pytest-xdist (3.8 here) sends files to its workers by their number of tests, most
    first, unless told not to: that put the README's two tests last of all, after LONGEST_FIRST
    had put them first."""
    config.option.loadscopereorder = False


# The files whose server tests read the server demo (``demo_run``): one unit, so that one worker
# builds it (7-10 s), not each.
SERVER_DEMO_READERS = ("test_readme.py", "test_demo.py", "test_interop.py", "test_network.py", "test_project_reads.py")


def pytest_xdist_make_scheduler(config, log):
    """xdist's ``--dist loadfile``, with a file's server tests a unit of their own: a file's
    SQLite and PostgreSQL halves share no fixtures, and the README walk run on each backend
    (a minute each) would otherwise hold one worker for both. The server tests of
    :data:`SERVER_DEMO_READERS` are one unit."""
    from xdist.scheduler import LoadFileScheduling

    class FileAndBackend(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if "postgresql" not in nodeid.partition("[")[2]:
                return scope
            return "server-demo[postgresql]" if Path(scope).name in SERVER_DEMO_READERS else f"{scope}[postgresql]"

    return FileAndBackend(config, log)


def pytest_collection_modifyitems(config, items):
    """The longest files first; without a server, the server's tests are skipped with the reason."""
    items.sort(key=lambda item: LONGEST_FIRST.index(item.path.name) if item.path.name in LONGEST_FIRST else len(LONGEST_FIRST))
    if SERVER:
        return
    needs = pytest.mark.skip(reason=NEEDS_SERVER)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(needs)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Tests never see the developer's own project or coder."""
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    monkeypatch.delenv("QUALCODE_DATABASE", raising=False)


def shared_folder(tmp_path_factory, worker_id) -> Path:
    """The folder all pytest-xdist workers of this run share (the session's own without xdist)."""
    shared = tmp_path_factory.getbasetemp()
    return shared.parent if worker_id != "master" else shared


def guarded_env(log) -> dict:
    """Environment for a subprocess in which every network call fails and is written to ``log``."""
    return {"PYTHONPATH": f"{GUARD_DIR}:{REPO}", "QUALCODE_NETWORK_LOG": str(log)}


@pytest.fixture(scope="session")
def guarded_demo(tmp_path_factory, worker_id):
    """``python -m qualcode demo DIR`` run once per test run as a user's shell runs it, in a
    subprocess with every network call made to fail (``tests/no_network``): (its folder, what it
    printed, the network log it would have written, {file: permissions} right after it ended).
    The SQLite ``demo_run`` is this same build, so the network check costs no demo of its own."""
    from filelock import FileLock

    shared = shared_folder(tmp_path_factory, worker_id)
    directory, printed = shared / "guarded-demo", shared / "guarded-demo.out"
    log, made = shared / "guarded-demo-network.log", shared / "guarded-demo-files.json"
    with FileLock(shared / "guarded-demo.lock"):
        if not printed.exists():
            done = run_qualcode("demo", directory, env=guarded_env(log), timeout=900)
            assert done.returncode == 0, done.stderr
            made.write_text(json.dumps({
                path.relative_to(directory).as_posix(): oct(path.stat().st_mode & 0o777)
                for path in sorted(directory.rglob("*")) if path.is_file() and path.name != ".qualcode-demo"}))
            printed.write_text(done.stdout, encoding="utf-8")
    return directory, printed.read_text(encoding="utf-8"), log, json.loads(made.read_text())


# What a worker built once for its whole run, by (what, backend): a session fixture that depends on
# ``backend`` is torn down whenever the next test's backend differs, and would build again.
BUILT = {}


@pytest.fixture(scope="session")
def demo_run(backend, tmp_path_factory, request):
    """The demo, built once per test run as ``qualcode demo DIR`` builds it: (its folder, what it
    printed). Tests read it; one that changes it works on a copy. On SQLite it is
    ``guarded_demo``'s build (under pytest-xdist the first worker that needs it builds it in the
    run's shared folder and the others wait for it); on the server the worker that runs
    :data:`SERVER_DEMO_READERS` builds its own in-process, once (a worker drops the databases it
    made when it ends, and the folder's paths are in what the demo printed)."""
    if backend == "sqlite":
        return request.getfixturevalue("guarded_demo")[:2]
    if ("demo", backend) not in BUILT:
        from qualcode.cli import cli as command

        directory = tmp_path_factory.mktemp("shared-demo") / "demo"
        result = CliRunner().invoke(command, ["demo", str(directory)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        BUILT["demo", backend] = directory, result.output
    return BUILT["demo", backend]


def _template(backend: str, tmp_path_factory, codebook: Path | None) -> Path:
    """The file of a project ``Project.init`` made with ``codebook`` (by its text), once per
    worker and backend: a copy costs a fraction of making one (on the server 0.03 s instead of
    0.25 s: creating the schema and reading the codebook)."""
    from qualcode import Project

    key = ("template", backend, codebook.read_text(encoding="utf-8") if codebook else None)
    if key not in BUILT:
        with Project.init(tmp_path_factory.mktemp("template") / "study", codebook=codebook) as made:
            BUILT[key] = made.path
    return BUILT[key]


@pytest.fixture(scope="session")
def new_project_file(backend, tmp_path_factory):
    """The file of a new project with the shipped codebook, made once per session."""
    return _template(backend, tmp_path_factory, CODEBOOK)


@pytest.fixture
def new_project(backend, tmp_path_factory):
    """``new_project(folder, codebook=None)``: an open project in ``folder`` as ``Project.init``
    makes it, copied from :func:`_template` (so its codes and first audit entries have the
    template's GUIDs: a test that merges or compares two projects makes the second with init)."""
    from qualcode import Project

    def make(folder: Path, codebook: Path | None = None):
        return Project(copy_project(_template(backend, tmp_path_factory, codebook), folder))

    return make


@pytest.fixture
def project(tmp_path, new_project):
    """A new project with the shipped codebook, in a temp folder."""
    with new_project(tmp_path / "study", CODEBOOK) as opened:
        yield opened


@pytest.fixture(scope="session")
def quick_pilot():
    """Textual's pilot polls every 20 ms, twice after each key, until the app is idle (used under
    a twentieth of the poll's time): typing thirty keys slept over a second. Polling every 2 ms
    waits for the same events (a key is handled before the next is sent); idle is then under a
    quarter of the poll, as waking up alone can cost a twentieth of 2 ms on a busy machine, and
    every poll would run to the pilot's 1 s limit. A test that reads sizes calls
    ``pilot.pause()``, which also lays the screen out. ``textual._wait`` is private: were it
    renamed, this only slows."""
    from textual import _wait

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_wait, "SLEEP_GRANULARITY", 1 / 500, raising=False)
        patch.setattr(_wait, "SLEEP_IDLE", 1 / 2000, raising=False)
        yield


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
    inherited = {k: v for k, v in os.environ.items() if k not in ("QUALCODE_PROJECT", "QUALCODE_CODER", "QUALCODE_DATABASE")}
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
