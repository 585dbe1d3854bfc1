"""Roles and blind coding on a PostgreSQL project, enforced by the server: first through a raw
psycopg connection as each login (what a coder with psql could do), then through qualcode.

Server tests need ``QUALCODE_TEST_POSTGRES`` (a postgresql:// URL of a login that may create
databases and roles; ``.ci/run`` starts a throwaway server and sets it) and are skipped without it.
"""

import os
import uuid

import pytest

from qualcode import auditlog
from qualcode.codebook import read as read_codebook
from qualcode.store import NewDocument, NewSegment, Store, insert_document
from qualcode.store import codebook as store_codebook
from qualcode.store import team as store_team

from conftest import CODEBOOK

SERVER_ENV = "QUALCODE_TEST_POSTGRES"

# The test logins (cluster-wide on the server, so prefixed) and their roles.
PEOPLE = {"anna": "coder", "bram": "coder", "lea": "lead", "rik": "reader"}
PREFIX = "qct_"
PASSWORD = "secret-of-{}"


def login(name: str) -> str:
    return PREFIX + name


@pytest.fixture(scope="session")
def server():
    """The admin conninfo of the test server; skips when there is none."""
    psycopg = pytest.importorskip("psycopg")
    url = os.environ.get(SERVER_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: set {SERVER_ENV} to a postgresql:// URL of a login that may create "
                    f"databases and roles")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL server at {SERVER_ENV} not reachable: {exc}")
    yield url
    with psycopg.connect(url, autocommit=True) as admin:
        for name in PEOPLE:
            admin.execute(f'DROP ROLE IF EXISTS "{login(name)}"')


def conninfo(server: str, **changes) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(server, **changes)


def sqlalchemy_url(server: str, database: str, user: str | None = None) -> str:
    import sqlalchemy as sa
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(server)
    query = {key: str(parts[key]) for key in ("host", "port") if key in parts}
    return sa.engine.URL.create("postgresql+psycopg", username=user or parts.get("user"), database=database,
                                query=query).render_as_string(hide_password=False)


@pytest.fixture
def team_db(server):
    """A project database with the shipped codebook, one document of three segments, and the
    team of PEOPLE added by the owner (the admin login); the project is blind. Yields its name."""
    import psycopg

    database = f"qualcode_team_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    store = Store(sqlalchemy_url(server, database), actor="owner")
    try:
        with store.atomic("init", database) as conn:
            pass
        with store.atomic("codebook.load", str(CODEBOOK)) as conn:
            store_codebook.load_codebook(store, conn, read_codebook(CODEBOOK), str(CODEBOOK))
        with store.atomic("import", "km01") as conn:
            insert_document(store, conn, NewDocument(
                name="km01", source_file="km01.txt", sha256="0" * 64, text="Een. Twee. Drie.",
                segments=[NewSegment("sentence", 0, 4), NewSegment("sentence", 5, 10), NewSegment("sentence", 11, 16)]))
        for name, role in PEOPLE.items():
            with store.atomic("team.add", login(name), {"role": role}) as conn:
                store_team.add_member(conn, login(name), role, PASSWORD.format(name))
                if role != "reader":
                    store.ensure_coder(conn, login(name))
        with store.atomic("team.blind", "on") as conn:
            store_team.set_blind(conn, True)
        yield database
    finally:
        store.close()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in store_team.ROLES:
                admin.execute(f'DROP ROLE IF EXISTS "{database}_{role}"')


@pytest.fixture
def connect(server, team_db):
    """A raw psycopg connection (autocommit) to the project as one of PEOPLE, as psql would be."""
    import psycopg

    opened = []

    def as_person(name: str):
        made = psycopg.connect(conninfo(server, dbname=team_db, user=login(name), password=PASSWORD.format(name)),
                               autocommit=True)
        opened.append(made)
        return made

    yield as_person
    for made in opened:
        made.close()


def code_ids(db, n: int = 2) -> list[str]:
    return [row[0] for row in db.execute("SELECT id FROM codes WHERE codable ORDER BY id LIMIT %s", (n,))]


def segment_ids(db) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM segments ORDER BY number")]


def write_as(db, name: str, segment: int, code: str) -> None:
    """What qualcode's tag writes for a coder, by hand: a review mark, a coding, a memo and
    their audit entries (without hashes: the server chains them)."""
    who = login(name)
    db.execute("INSERT INTO reviews (segment_id, coder, reviewed_at) VALUES (%s, %s, 'now')", (segment, who))
    db.execute("INSERT INTO codings (segment_id, code_id, coder, created_at, origin, guid) "
               "VALUES (%s, %s, %s, 'now', 'manual', %s)", (segment, code, who, str(uuid.uuid4())))
    db.execute("INSERT INTO memos (target_type, target_id, author, text, created_at, updated_at, guid) "
               "VALUES ('segment', %s, %s, %s, 'now', 'now', %s)", (str(segment), who, f"memo of {name}", str(uuid.uuid4())))
    db.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES ('now', %s, 'coding.add', %s, %s)",
               (who, str(segment), f'{{"code": "{code}"}}'))


def refused(db, statement: str, params=()):
    """The SQLSTATE of the server's refusal of ``statement`` (None when it ran)."""
    import psycopg

    try:
        db.execute(statement, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def seen(db, table: str, column: str) -> set[str]:
    return {row[0] for row in db.execute(f"SELECT {column} FROM {table}")}


@pytest.mark.postgres
def test_a_blind_coder_reads_no_other_coders_codings_memos_marks_or_log_entries(connect):
    anna, bram, lea = connect("anna"), connect("bram"), connect("lea")
    first, second, _ = segment_ids(anna)
    code, _ = code_ids(anna)
    write_as(anna, "anna", first, code)
    write_as(bram, "bram", second, code)
    for table, column in (("codings", "coder"), ("reviews", "coder"), ("memos", "author"), ("audit", "actor")):
        assert seen(anna, table, column) == {login("anna")}, table
        assert seen(bram, table, column) == {login("bram")}, table
    assert {login("anna"), login("bram")} <= seen(lea, "audit", "actor")
    assert seen(lea, "codings", "coder") == {login("anna"), login("bram")}

    lea.execute("UPDATE meta SET value = 'off' WHERE key = %s", (store_team.BLIND_KEY,))
    for table, column in (("codings", "coder"), ("reviews", "coder"), ("memos", "author")):
        assert seen(anna, table, column) == {login("anna"), login("bram")}, table
    assert {login("anna"), login("bram"), "owner"} <= seen(anna, "audit", "actor")


@pytest.mark.postgres
def test_a_coder_never_reads_the_chain_hashes_nor_the_head(connect):
    anna = connect("anna")
    assert refused(anna, "SELECT hash FROM audit") == "42501"
    assert refused(anna, "SELECT prev_hash FROM audit") == "42501"
    assert refused(anna, "SELECT * FROM audit") == "42501"
    assert "audit.head" not in seen(anna, "meta", "key")
    assert {"schema_version", store_team.BLIND_KEY} <= seen(anna, "meta", "key")
    assert "audit.head" in seen(connect("rik"), "meta", "key")


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["anna", "lea", "rik"])
def test_nobody_updates_or_deletes_audit_entries(connect, name):
    db = connect(name)
    for statement in ("UPDATE audit SET action = 'x'", "DELETE FROM audit", "TRUNCATE audit"):
        assert refused(db, statement) == "42501", statement


@pytest.mark.postgres
def test_a_coder_writes_only_under_their_own_name(connect):
    anna, bram = connect("anna"), connect("bram")
    segment, *_ = segment_ids(anna)
    code, _ = code_ids(anna)
    assert refused(anna, "INSERT INTO codings (segment_id, code_id, coder, created_at, origin, guid) "
                         "VALUES (%s, %s, %s, 'now', 'manual', 'g1')", (segment, code, login("bram"))) == "42501"
    assert refused(anna, "INSERT INTO memos (target_type, target_id, author, text, created_at, updated_at, guid) "
                         "VALUES ('project', NULL, %s, 'x', 'now', 'now', 'g2')", (login("bram"),)) == "42501"
    assert refused(anna, "INSERT INTO audit (at, actor, action, target, detail) VALUES ('now', %s, 'tag', '1', '{}')",
                   (login("bram"),)) == "42501"
    write_as(bram, "bram", segment, code)
    connect("lea").execute("UPDATE meta SET value = 'off' WHERE key = %s", (store_team.BLIND_KEY,))
    assert anna.execute("DELETE FROM codings WHERE coder = %s", (login("bram"),)).rowcount == 0
    assert anna.execute("UPDATE memos SET text = 'mine now' WHERE author = %s", (login("bram"),)).rowcount == 0
    assert seen(bram, "codings", "coder") == {login("bram")}


@pytest.mark.postgres
def test_a_coder_does_not_edit_the_codebook_nor_lift_blindness(connect):
    anna = connect("anna")
    code, _ = code_ids(anna)
    assert refused(anna, "UPDATE codes SET name = 'x' WHERE id = %s", (code,)) == "42501"
    assert refused(anna, "INSERT INTO codes (id, position, name, definition, include, exclude, examples, keywords, "
                         "exclusive, guid) VALUES ('NEW', 0, 'n', '', '', '', '[]', '[]', false, 'g')") == "42501"
    assert refused(anna, "DELETE FROM codes") == "42501"
    assert refused(anna, "UPDATE meta SET value = 'off' WHERE key = %s", (store_team.BLIND_KEY,)) == "42501"
    assert refused(anna, "INSERT INTO coders (name, kind, created_at, guid) VALUES ('x', 'human', 'now', 'g')") == "42501"
    assert refused(anna, "DELETE FROM documents") == "42501"


@pytest.mark.postgres
def test_a_reader_reads_everything_and_writes_nothing(connect):
    anna, rik = connect("anna"), connect("rik")
    segment, *_ = segment_ids(anna)
    code, _ = code_ids(anna)
    write_as(anna, "anna", segment, code)
    assert seen(rik, "codings", "coder") == {login("anna")}
    assert refused(rik, "INSERT INTO reviews (segment_id, coder, reviewed_at) VALUES (%s, %s, 'now')",
                   (segment, login("rik"))) == "42501"
    assert refused(rik, "INSERT INTO audit (at, actor, action, target, detail) VALUES ('now', %s, 'x', '', '{}')",
                   (login("rik"),)) == "42501"
    assert refused(rik, "UPDATE codes SET name = 'x'") == "42501"
    assert refused(rik, "UPDATE meta SET value = 'off'") == "42501"


@pytest.mark.postgres
def test_a_lead_edits_the_codebook_writes_for_any_coder_and_unblinds(connect):
    lea, anna = connect("lea"), connect("anna")
    segment, *_ = segment_ids(lea)
    code, other = code_ids(lea)
    lea.execute("UPDATE codes SET name = 'renamed' WHERE id = %s", (code,))
    lea.execute("INSERT INTO codings (segment_id, code_id, coder, created_at, origin, guid) "
                "VALUES (%s, %s, %s, 'now', 'manual', 'g-lead')", (segment, other, login("anna")))
    assert seen(anna, "codings", "code_id") == {other}
    assert anna.execute("SELECT name FROM codes WHERE id = %s", (code,)).fetchone()[0] == "renamed"
    lea.execute("UPDATE meta SET value = 'off' WHERE key = %s", (store_team.BLIND_KEY,))
    assert anna.execute("SELECT qualcode_blind()").fetchone()[0] is False


@pytest.mark.postgres
def test_the_server_chains_every_roles_entries_into_one_verified_log(server, team_db, connect):
    import psycopg

    anna, bram = connect("anna"), connect("bram")
    first, second, third = segment_ids(anna)
    code, other = code_ids(anna)
    write_as(anna, "anna", first, code)
    write_as(bram, "bram", first, code)
    write_as(anna, "anna", second, other)
    write_as(bram, "bram", third, other)
    with psycopg.connect(conninfo(server, dbname=team_db)) as owner:
        owner.row_factory = psycopg.rows.dict_row
        rows = owner.execute("SELECT * FROM audit ORDER BY id").fetchall()
        head = owner.execute("SELECT value FROM meta WHERE key = 'audit.head'").fetchone()["value"]
    result = auditlog.verify(rows, missing_triggers=[], recorded_head=head)
    assert result.ok, result.breaks
    assert head == rows[-1]["hash"]
    assert [row["actor"] for row in rows[-4:]] == [login("anna"), login("bram"), login("anna"), login("bram")]


@pytest.mark.postgres
def test_a_coder_cannot_append_an_entry_that_breaks_the_chain(connect):
    anna = connect("anna")
    assert refused(anna, "INSERT INTO audit (at, actor, action, target, detail, prev_hash, hash) "
                         "VALUES ('now', %s, 'tag', '1', '{}', %s, %s)", (login("anna"), "0" * 64, "f" * 64)) == "42501"
