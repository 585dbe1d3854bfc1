"""Roles and blind coding on a PostgreSQL project, enforced by the server: first through a raw
psycopg connection as each login (what a coder with psql could do), then through qualcode.

Server tests (marked ``postgres``) need ``QUALCODE_TEST_POSTGRES`` to name a login that may create
databases and roles (``.ci/run`` starts a throwaway server) and are skipped without it.
"""

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from qualcode import Project, auditlog
from qualcode.store import NewDocument, NewSegment, insert_document
from qualcode.store import team as store_team

from conftest import CODEBOOK

# The test logins (cluster-wide on the server, so prefixed) and their roles.
PEOPLE = {"anna": "coder", "bram": "coder", "lea": "lead", "rik": "reader"}
PREFIX = "qct_"
PASSWORD = "secret-of-{}"


def login(name: str) -> str:
    return PREFIX + name


def url_as(url: str, name: str | None) -> str:
    """The project's URL for person ``name`` (None: the owner, who made the project)."""
    import sqlalchemy as sa

    made = sa.engine.make_url(url)
    if name is not None:
        made = made.set(username=login(name), password=PASSWORD.format(name))
    return made.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template(postgres_server):
    """A server project with the shipped codebook and one document of three segments, made once;
    each test works on a copy (the roles are per database, so they are added to the copy)."""
    folder = Path(tempfile.mkdtemp(prefix="qualcode-team-"))
    with Project.init(folder / "study", codebook=CODEBOOK, database=postgres_server.fresh()) as made:
        with made.store.atomic("import", "km01") as conn:
            insert_document(made.store, conn, NewDocument(
                name="km01", source_file="km01.txt", sha256="0" * 64, text="Een. Twee. Drie.",
                segments=[NewSegment("sentence", 0, 4), NewSegment("sentence", 5, 10), NewSegment("sentence", 11, 16)]))
        url = made.store.url.replace("+psycopg", "", 1)
    yield url
    shutil.rmtree(folder)
    with postgres_server.admin.connect() as admin:
        for name in PEOPLE:
            admin.exec_driver_sql(f'DROP ROLE IF EXISTS "{login(name)}"')


@pytest.fixture
def team_db(postgres_server, template):
    """A copy of the template with the team of PEOPLE added by the owner; the project is blind.
    Yields the owner's URL."""
    url = postgres_server.copy(template)
    with Project(url) as owner:
        for name, role in PEOPLE.items():
            owner.team_add(login(name), role, PASSWORD.format(name))
        owner.set_blind(True)
    yield url
    import sqlalchemy as sa

    database = sa.engine.make_url(url).database
    with postgres_server.admin.connect() as admin:
        admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in store_team.ROLES:
            admin.exec_driver_sql(f'DROP ROLE IF EXISTS "{database}_{role}"')


@pytest.fixture
def connect(team_db):
    """A raw psycopg connection (autocommit) to the project as one of PEOPLE, as psql would be."""
    import psycopg

    opened = []

    def as_person(name: str | None):
        made = psycopg.connect(url_as(team_db, name), autocommit=True)
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
    assert seen(anna, "audit", "actor") == seen(lea, "audit", "actor")


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
def test_the_server_chains_every_roles_entries_into_one_verified_log(connect):
    import psycopg

    anna, bram = connect("anna"), connect("bram")
    first, second, third = segment_ids(anna)
    code, other = code_ids(anna)
    write_as(anna, "anna", first, code)
    write_as(bram, "bram", first, code)
    write_as(anna, "anna", second, other)
    write_as(bram, "bram", third, other)
    with connect(None) as owner:
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
