import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from conftest import REPO
from qualcode import Project
from qualcode.errors import LockTimeout, ProjectNotFound, SchemaTooNew
from qualcode.project import open_store
from qualcode.store import PROJECT_FILE, SCHEMA_VERSION, Store, audit, codes, new_guid
from qualcode.store.core import database_url

SQLITE_FILE = pytest.mark.sqlite_only(reason="about the SQLite file itself: its bytes, pragmas or hand-built old schema")


def raw(project, statement):
    """Change the database behind qualcode's back, as another program would."""
    with project.store.engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(statement)


@SQLITE_FILE
def test_init_creates_one_sqlite_file_in_wal_mode_with_foreign_keys(tmp_path):
    Project.init(tmp_path / "study").close()
    db = tmp_path / "study" / PROJECT_FILE
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    with Project(db) as project, project.store.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert project.store.get_meta(conn, "schema_version") == str(SCHEMA_VERSION)
    tables = {row[0] for row in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")}
    assert {"documents", "document_attributes", "turns", "segments", "codes", "coders",
            "codings", "reviews", "memos", "audit", "meta"} <= tables


def test_init_refuses_an_existing_project(tmp_path, cli):
    Project.init(tmp_path).close()
    result = cli("init", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"qualcode: error: {tmp_path}: already holds a qualcode project; use it, or pick another folder\n"


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path, cli):
    with Project.init(tmp_path) as made:
        raw(made, "update meta set value = '99' where key = 'schema_version'")
        db = made.location
    with pytest.raises(SchemaTooNew):
        Project(tmp_path)
    result = cli("status", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"qualcode: error: {db}: written by a newer qualcode (schema 99; ")
    assert result.stderr.endswith("upgrade with 'pip install -U qualcode'\n")
    assert "Traceback" not in result.stderr


@SQLITE_FILE
def test_a_failed_transaction_leaves_the_file_byte_for_byte_unchanged(project):
    project.close()
    before = project.path.read_bytes()
    store = Store.open(project.path)
    with pytest.raises(RuntimeError), store.atomic("test.fail") as conn:
        conn.execute(codes.insert().values(id="NEW", name="new", guid=new_guid()))
        raise RuntimeError("halfway")
    store.close()
    assert project.path.read_bytes() == before
    with Project(project.path) as reopened:
        assert "NEW" not in reopened.codebook().ids()


def test_the_audit_log_is_append_only(project):
    with project.store.reading() as conn:
        actions = conn.exec_driver_sql("select action from audit order by id").scalars().all()
    assert actions[:3] == ["migrate", "init", "codebook.load"]
    assert actions.count("code.add") == len(project.codebook().ids())
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), project.store.atomic("tamper") as conn:
        conn.exec_driver_sql("delete from audit")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), project.store.atomic("tamper") as conn:
        conn.exec_driver_sql("update audit set actor = 'someone else'")


def test_the_project_is_found_upward_from_the_working_folder(tmp_path, monkeypatch):
    made = Project.init(tmp_path / "study")
    made.close()
    deep = tmp_path / "study" / "notes" / "week1"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    with Project() as project:
        assert project.path == made.path
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectNotFound, match="no qualcode project in"):
        Project()
    monkeypatch.setenv("QUALCODE_PROJECT", str(tmp_path / "study"))
    with Project() as project:
        assert project.path == made.path


def test_status_counts(project, make_document):
    make_document("int01", [("I", "interviewer", "Wat doet u?"), ("R", "respondent", "Ik help klanten."),
                            ("I", "interviewer", "En verder?"), ("R", "respondent", "Werkgevers bellen.")])
    info = project.status()
    assert (info["documents"], info["segments"], info["codes"], info["codings"]) == (1, 2, 63, 0)
    assert info["codebook"]["title"] == "Professioneel handelen van klantmanagers"


@SQLITE_FILE
def test_a_non_project_file_is_refused(tmp_path, cli):
    fake = tmp_path / PROJECT_FILE
    fake.write_text("hello")
    result = cli("status", "--project", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"qualcode: error: {fake}: not a qualcode project (not an SQLite file)\n"


def test_init_with_a_bad_codebook_creates_nothing(tmp_path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes:\n  - id: A\n")
    result = cli("init", tmp_path / "study", "--codebook", bad)
    assert result.exit_code == 2
    assert result.stderr == f"qualcode: error: {bad}:2: code 'A' has no name; add 'name: ...'\n"
    assert not (tmp_path / "study" / PROJECT_FILE).exists()


def _statements(store: Store) -> list[str]:
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0]))
    return seen


def test_a_transaction_reads_the_schema_version_without_inspecting_the_database(project):
    project.close()
    store = open_store(project.path)
    seen = _statements(store)
    with store.atomic("test.one"):
        pass
    with store.atomic("test.two"):
        pass
    store.close()
    # The lock (BEGIN IMMEDIATE, or the server's advisory lock) goes to the driver directly; then the schema version, the chain tail (last
    # entry, triggers, recorded head), the entry, and the new recorded head.
    one_write = ["SELECT", "SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"]
    assert seen == one_write * 2


def test_an_upgrade_by_a_newer_qualcode_while_open_is_refused_at_the_next_write(project):
    with project.store.atomic("test.before"):
        pass
    raw(project, "update meta set value = '99' where key = 'schema_version'")
    with pytest.raises(SchemaTooNew), project.store.atomic("test.after"):
        pass


def test_a_migration_rolled_back_is_run_again_by_the_next_transaction(tmp_path, backend, request):
    target = request.getfixturevalue("postgres_server").fresh() if backend == "postgresql" else tmp_path / "new.sqlite"
    store = Store(database_url(target))
    with pytest.raises(RuntimeError), store.atomic("test.fail"):
        raise RuntimeError("halfway")
    with store.atomic("test.again") as conn:
        assert store.get_meta(conn, "schema_version") == str(SCHEMA_VERSION)
        actions = conn.execute(sa.select(audit.c.action).order_by(audit.c.id)).scalars().all()
    store.close()
    assert actions == ["migrate", "test.again"]


def _catalog(conn) -> dict:
    """Every table's columns, keys and constraints; every index and trigger as the database states it."""
    inspector = sa.inspect(conn)
    found = {table: {"columns": [(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in inspector.get_columns(table)],
                     "primary": inspector.get_pk_constraint(table)["constrained_columns"],
                     "foreign": sorted(str(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
                     "unique": sorted(str(sorted(uq.items())) for uq in inspector.get_unique_constraints(table))}
             for table in sorted(inspector.get_table_names())}
    if conn.dialect.name == "postgresql":
        indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        triggers = "SELECT tgname, tgtype FROM pg_trigger WHERE NOT tgisinternal"
    else:
        indexes, triggers = ("SELECT name, sql FROM sqlite_master WHERE type = 'index'",
                             "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    return found | {"indexes": sorted(map(tuple, conn.exec_driver_sql(indexes))),
                    "triggers": sorted(map(tuple, conn.exec_driver_sql(triggers)))}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")  # that index is compared by its SQL
def test_a_new_project_gets_at_once_the_schema_the_migrations_give_an_old_one(tmp_path, backend, request):
    """A new store is made in the current schema at once; an old one is migrated step by step
    from what version 1 made (all tables, two of the audit triggers): both end alike."""
    from qualcode.store.schema import MIGRATIONS, create_audit_triggers, metadata

    server = request.getfixturevalue("postgres_server") if backend == "postgresql" else None
    new, old = (server.fresh(), server.fresh()) if server else (tmp_path / "new.sqlite", tmp_path / "old.sqlite")
    Store.create(new).close()
    stores = [Store(database_url(new)), Store(database_url(old))]
    with stores[1].engine.connect() as conn, conn.begin():
        metadata.create_all(conn)
        create_audit_triggers(conn, ["audit_no_update", "audit_no_delete"])
        for version in range(1, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
    catalogs = []
    for store in stores:
        with store.engine.connect() as conn:
            catalogs.append(_catalog(conn))
        store.close()
    assert catalogs[0] == catalogs[1]
    assert {"documents", "codings", "decisions", "audit", "meta"} <= set(catalogs[0])


def test_migration_5_adds_source_and_codable_to_the_codes_of_an_older_project(tmp_path):
    from conftest import CODEBOOK

    with Project.init(tmp_path, codebook=CODEBOOK) as made:
        raw(made, "alter table codes drop column source")
        raw(made, "alter table codes drop column codable")
        raw(made, "update meta set value = '4' where key = 'schema_version'")
    with Project(tmp_path) as project:
        with project.store.atomic("test.upgrade") as conn:
            assert project.store.get_meta(conn, "schema_version") == str(SCHEMA_VERSION) == "5"
        table = project.codes().set_index("id")
    assert (table.loc["KV", "codable"], table.loc["KV", "source"]) == (True, "")


V1_CODINGS = """CREATE TABLE codings (id INTEGER NOT NULL, segment_id INTEGER NOT NULL, code_id VARCHAR(64) NOT NULL,
    coder VARCHAR(64) NOT NULL, created_at VARCHAR(32) NOT NULL, origin VARCHAR(16) NOT NULL, start INTEGER, "end" INTEGER,
    guid VARCHAR(40) NOT NULL, PRIMARY KEY (id), FOREIGN KEY(segment_id) REFERENCES segments (id),
    FOREIGN KEY(code_id) REFERENCES codes (id) ON UPDATE CASCADE, FOREIGN KEY(coder) REFERENCES coders (name) ON UPDATE CASCADE,
    UNIQUE (segment_id, code_id, coder), UNIQUE (guid))"""


@SQLITE_FILE
def test_migration_2_turns_a_schema_1_codings_table_into_passages_and_keeps_every_row(project, make_document):
    from qualcode.store import coding as store_coding

    make_document("km01", [("R", "respondent", "Vooral door intervisie met collega's.")])
    project.tag("km01:1", ["KV-LEER", "KD-OVL"], coder="anna")
    with sqlite3.connect(project.path) as raw:  # the codings table as schema 1 made it
        kept = raw.execute("select * from codings order by id").fetchall()
        raw.executescript(f"drop table codings; {V1_CODINGS}; create index ix_codings_code on codings (code_id); "
                          "create index ix_codings_coder on codings (coder); "
                          "update meta set value = '1' where key = 'schema_version';")
        raw.executemany("insert into codings values (?, ?, ?, ?, ?, ?, ?, ?, ?)", kept)
    with Project(project.path) as again, again.store.atomic("test.passages") as conn:
        segment_id = kept[0][1]
        repeated = store_coding.insert_codings(conn, [
            {"segment_id": segment_id, "code_id": "KV-LEER", "coder": "anna", "start": 0, "end": 6},
            {"segment_id": segment_id, "code_id": "KV-LEER", "coder": "anna", "start": 12, "end": 22},
            {"segment_id": segment_id, "code_id": "KV-LEER", "coder": "anna", "start": 12, "end": 22},
            {"segment_id": segment_id, "code_id": "KD-OVL", "coder": "anna"},
        ])
        rows = conn.execute(sa.text('select id, code_id, start, "end" from codings order by id')).all()
        version = again.store.get_meta(conn, "schema_version")
    assert version == str(SCHEMA_VERSION) == "5"
    assert [row[:2] for row in rows[:2]] == [row[:1] + row[2:3] for row in kept]
    assert [tuple(row[1:]) for row in rows[2:]] == [("KV-LEER", 0, 6), ("KV-LEER", 12, 22)]
    assert [(row["code_id"], row.get("start")) for row in repeated] == [("KV-LEER", 12), ("KD-OVL", None)]
    with pytest.raises(sa.exc.IntegrityError), again.store.atomic("test.twice") as conn:
        conn.execute(sa.text("insert into codings (segment_id, code_id, coder, created_at, origin, guid) "
                             "values (:s, 'KD-OVL', 'anna', 'now', 'manual', 'g')"), {"s": segment_id})


# ---- writers take the lock up front and wait their turn ---------------------------------------

def _hold_write_lock(path, seconds, release=None):
    """Hold the project's write lock from another connection for ``seconds`` (or until
    ``release`` is set), in a thread, as another qualcode command would."""
    held, release = threading.Event(), release or threading.Event()

    def hold():
        store = open_store(path)
        with store.locked():
            held.set()
            release.wait(seconds)
        store.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    return thread


def test_a_writer_waits_for_the_lock_says_so_once_and_succeeds(project, make_document):
    make_document("km01", [("R", "respondent", "Vooral door intervisie.")])
    calls = []
    project.store.on_wait = lambda: calls.append(time.monotonic())
    began = time.monotonic()
    holder = _hold_write_lock(project.path, 1.8)
    assert project.tag("km01:1", ["KV-LEER"], coder="anna") == ["KV-LEER"]
    holder.join()
    assert len(calls) == 1 and 0.9 < calls[0] - began < 1.8
    assert time.monotonic() - began >= 1.8


def test_a_writer_that_never_gets_the_lock_fails_with_one_line_and_writes_nothing(project, make_document):
    make_document("km01", [("R", "respondent", "Vooral door intervisie.")])
    project.store.lock_timeout = 0.5
    before = len(project.log())
    release = threading.Event()  # the lock is held until the writer gave up
    holder = _hold_write_lock(project.path, 120, release)
    with pytest.raises(LockTimeout, match=rf"^{re.escape(project.location)}: another qualcode command held the project's write "
                                          r"lock for 0.5 s; nothing was written; run this again when it has finished$"):
        project.tag("km01:1", ["KV-LEER"], coder="anna")
    release.set()
    holder.join()
    assert len(project.log()) == before
    assert project.codings().empty


def test_the_cli_says_it_waits_on_stderr_and_then_writes(project, make_document):
    make_document("km01", [("R", "respondent", "Vooral door intervisie.")])
    release = threading.Event()  # the lock is held until the command says it waits, however slow it starts
    holder = _hold_write_lock(project.path, 120, release)
    command = subprocess.Popen([sys.executable, "-m", "qualcode", "tag", "km01:1", "KV-LEER", "--coder", "anna",
                                "--project", str(project.path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    said = command.stderr.readline()
    release.set()
    _, rest = command.communicate(timeout=120)
    holder.join()
    assert (command.returncode, said + rest) == (
        0, "qualcode: another qualcode command is writing to this project; waiting for it to finish ...\n")
    assert project.codings(coder="anna")["code"].tolist() == ["KV-LEER"]


def test_bulk_log_entries_are_written_in_batches_and_stay_chained(project):
    from qualcode.store.journal import BATCH, in_batches

    assert list(in_batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    count = BATCH * 2 + 1
    with project.store.atomic("test.bulk") as conn:
        project.store.log_many(conn, (("test.entry", str(i), {"i": i}) for i in range(count)))
    assert project.log(action="test.entry")["target"].tolist() == [str(i) for i in range(count)]
    assert project.verify_log().ok


# ---- a project on a server is found as the file is ----------------------------------------------

@pytest.mark.postgres
def test_init_on_a_server_writes_the_server_file_and_every_way_of_finding_it_works(tmp_path, cli, monkeypatch,
                                                                                   postgres_server):
    from qualcode.project import server_file_text
    from qualcode.store.core import shown_url

    database = postgres_server.fresh()
    shown = shown_url(database_url(database))
    made = cli("init", tmp_path / "study", "--database", database)
    assert made.output == f"created {shown} (named in {tmp_path / 'study' / 'qualcode.toml'})\n"
    assert (tmp_path / "study" / "qualcode.toml").read_text(encoding="utf-8") == server_file_text(database)
    assert not (tmp_path / "study" / PROJECT_FILE).exists()
    (tmp_path / "study" / "notes").mkdir()
    found = json.loads(cli("status", "--format", "json", cwd=tmp_path / "study" / "notes").output)
    assert (found["project"], found["codes"]) == (shown, 0)
    monkeypatch.setenv("QUALCODE_DATABASE", database)
    with Project() as by_variable, Project(database) as by_url:
        assert (by_variable.location, by_url.location, by_url.path, by_url.name) == (shown, shown, None, database.split("/")[-1].split("?")[0])
    again = cli("init", tmp_path / "other", "--database", database)
    assert (again.exit_code, again.stderr) == (2, f"qualcode: error: {shown}: this database already holds a qualcode "
                                                  "project; open it (qualcode.toml or QUALCODE_DATABASE), or create "
                                                  "the project in an empty database\n")
    assert not (tmp_path / "other" / "qualcode.toml").exists()


@pytest.mark.sqlite_only(reason="puts a server file beside an SQLite file")
def test_a_folder_with_both_a_file_and_a_server_file_is_refused(tmp_path, cli):
    Project.init(tmp_path / "study").close()
    (tmp_path / "study" / "qualcode.toml").write_text('[database]\nurl = "postgresql://db/study"\n')
    result = cli("status", "--project", tmp_path / "study")
    assert (result.exit_code, result.stderr) == (2, f"qualcode: error: {tmp_path / 'study'}: holds both qualcode.sqlite "
                                                    "and qualcode.toml, so it is unclear which project to open; move "
                                                    "the one not in use elsewhere\n")


@pytest.mark.parametrize("text, problem", [
    ('[database]\nurl = "mysql://db/study"\n', "[database] url must be a postgresql:// URL, not 'mysql://db/study'"),
    ("[database\n", "cannot read the server's URL (Expected ']' at the end of a table declaration (at line 1, column 10)); "
                    'it should hold [database] with url = "postgresql://HOST/DATABASE"'),
])
def test_a_broken_server_file_is_refused_in_one_line(tmp_path, cli, text, problem):
    (tmp_path / "qualcode.toml").write_text(text)
    result = cli("status", cwd=tmp_path)
    assert (result.exit_code, result.stderr) == (2, f"qualcode: error: {tmp_path / 'qualcode.toml'}: {problem}\n")
