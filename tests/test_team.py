"""Roles and blind coding on a PostgreSQL project, enforced by the server: first through a raw
psycopg connection as each login (what a coder with psql could do), then through qualcode.

Server tests (marked ``postgres``) need ``QUALCODE_TEST_POSTGRES`` to name a login that may create
databases and roles (``.ci/run`` starts a throwaway server) and are skipped without it.
"""

import json
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
               "VALUES ('segment', %s, %s, %s, 'now', 'now', %s)",
               (str(segment), who, f"memo of {name}", str(uuid.uuid4())))
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
    assert refused(anna, "INSERT INTO coders (name, kind, created_at, guid) "
                         "VALUES ('x', 'human', 'now', 'g')") == "42501"
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


# ---- the same through qualcode, run as each login ------------------------------------------


@pytest.fixture
def qualcode(cli, team_db):
    """``qualcode ARGS`` as one of PEOPLE (None: the owner) on the team project: (exit code,
    stdout and stderr as the terminal shows them)."""

    def run(name, *args, input=None, env=None):
        result = cli(*args, "--project", url_as(team_db, name), input=input, env=env)
        return result.exit_code, result.output

    return run


def codings_of(qualcode, name) -> set[tuple[str, str, str]]:
    status, output = qualcode(name, "codings", "--format", "json")
    assert status == 0, output
    return {(row["coder"], f'{row["document"]}:{row["segment"]}', row["code"])
            for row in json.loads(output) if row["code"]}


@pytest.mark.postgres
def test_qualcode_as_a_coder_tags_memos_and_reads_only_their_own_while_blind(qualcode, connect):
    code, other = code_ids(connect("lea"))
    assert qualcode("anna", "tag", "km01:1", code) == (0, f"km01:1: added {code}\n")
    assert qualcode("bram", "tag", "km01:1", other)[0] == 0
    assert qualcode("anna", "memo", "add", "mijn idee", "--segment", "km01:1")[0] == 0
    assert qualcode("bram", "memo", "add", "zijn idee", "--segment", "km01:1")[0] == 0
    assert codings_of(qualcode, "anna") == {(login("anna"), "km01:1", code)}
    assert codings_of(qualcode, "lea") == {(login("anna"), "km01:1", code), (login("bram"), "km01:1", other)}
    status, output = qualcode("anna", "memo", "list", "--format", "json")
    assert status == 0 and [memo["text"] for memo in json.loads(output)] == ["mijn idee"]
    status, output = qualcode("anna", "log", "--format", "json")
    assert {entry["actor"] for entry in json.loads(output)} == {login("anna")}

    assert qualcode("lea", "team", "blind", "off") == (0, "blind coding off\n")
    assert codings_of(qualcode, "anna") == codings_of(qualcode, "lea")


@pytest.mark.postgres
def test_qualcode_names_the_role_a_command_needs_in_one_line(qualcode, connect):
    code, _ = code_ids(connect("lea"))
    anna, rik = login("anna"), login("rik")
    assert qualcode("anna", "tag", "km01:1", code, "--coder", login("bram")) == (2, (
        f"qualcode: error: {anna} is a coder in this project and writes only their own codings, reviews and memos; "
        f"'tag' for another coder needs the lead role\n"))
    assert qualcode("anna", "codes", "add", "NIEUW", "--name", "Nieuwe code") == (2, (
        f"qualcode: error: 'codes.add' needs the lead role; {anna} is a coder in this project\n"))
    assert qualcode("anna", "agreement") == (2, (
        f"qualcode: error: comparing coders (agreement, disagreements, consensus) reads other coders' work, which "
        f"needs the lead role while the project is blind; {anna} is a coder in this project\n"))
    assert qualcode("anna", "team", "blind", "off") == (2, (
        f"qualcode: error: 'team.blind' needs the lead role; {anna} is a coder in this project\n"))
    assert qualcode("anna", "log", "--verify") == (2, (
        f"qualcode: error: {anna} is a coder in this project; reading this needs the lead or reader role\n"))
    assert qualcode("rik", "tag", "km01:1", code) == (2, (
        f"qualcode: error: 'tag' needs the coder or lead role; {rik} is a reader in this project\n"))
    assert qualcode("lea", "team", "blind", "off")[0] == 0
    assert qualcode("anna", "consensus", "--rule", "union") == (2, (
        f"qualcode: error: 'consensus' needs the lead role; {anna} is a coder in this project\n"))


@pytest.mark.postgres
def test_a_lead_edits_the_codebook_and_measures_agreement_while_blind(qualcode, connect):
    code, _ = code_ids(connect("lea"))
    for name in ("anna", "bram"):
        assert qualcode(name, "tag", "km01:1", code)[0] == 0
        assert qualcode(name, "review", "km01:2")[0] == 0
    assert qualcode("lea", "codes", "add", "NIEUW", "--name", "Nieuwe code")[0] == 0
    status, output = qualcode("lea", "agreement", "--format", "json", "--codes", code)
    assert status == 0, output
    assert json.loads(output)["coders"] == [login("anna"), login("bram")]


@pytest.mark.postgres
def test_the_team_listed_added_and_removed_by_the_owner(qualcode, connect):
    code, _ = code_ids(connect("lea"))
    qualcode("anna", "tag", "km01:1", code)
    status, output = qualcode(None, "team", "list", "--format", "json")
    assert status == 0, output
    listed = json.loads(output)
    assert listed["blind"] is True and listed["you"]["role"] == "owner"
    assert [(p["name"], p["role"], p["coder"]) for p in listed["people"]] == [
        (login("anna"), "coder", True), (login("bram"), "coder", True), (login("lea"), "lead", True),
        (login("rik"), "reader", False)]
    assert listed["people"][0]["last_activity"] is not None

    assert qualcode(None, "team", "add", login("rik"), "--role", "coder") == (
        0, f"{login('rik')} is a coder in {connect(None).info.dbname}\n")
    assert qualcode(None, "team", "remove", login("bram"))[0] == 0
    status, output = qualcode(None, "team")
    assert status == 0
    assert login("bram") not in output, output
    assert f"│ {login('rik')}  │ coder │ yes   │" in output, output
    assert qualcode("bram", "status") == (2, (
        f"qualcode: error: {login('bram')} has no role in this project; the project's owner adds one with "
        f"'qualcode team add {login('bram')} --role coder' (or lead, or reader)\n"))
    assert qualcode("anna", "team", "add", "someone", "--role", "coder", env={"QUALCODE_PASSWORD": "x"}) == (2, (
        f"qualcode: error: adding a person needs the project's owner on a login that may create roles (CREATEROLE), "
        f"or a superuser; {login('anna')} is neither: ask whoever ran 'qualcode init --database'\n"))


@pytest.mark.postgres
def test_status_says_who_you_are_and_hides_the_chain_head_from_a_coder(qualcode):
    status, output = qualcode("anna", "status")
    assert status == 0, output
    assert "audit log head (the server keeps it)\n" in output
    assert f"team      you are {login('anna')} (coder); blind coding on\n" in output
    status, output = qualcode("lea", "status", "--format", "json")
    info = json.loads(output)
    assert info["team"] == {"login": login("lea"), "role": "lead", "blind": True}
    assert len(info["audit_head"]) == 64


@pytest.mark.postgres
def test_the_log_verifies_after_coders_wrote_through_qualcode(qualcode, connect):
    code, other = code_ids(connect("lea"))
    qualcode("anna", "tag", "km01:1", code)
    qualcode("bram", "tag", "km01:2", other)
    qualcode("anna", "untag", "km01:1", code)
    tricky = 'zei "ja"\n\tC:\\map café 😀 \x01 \u2028 end'  # hashed by the server as by Python
    assert qualcode("bram", "memo", "add", tricky, "--segment", "km01:2")[0] == 0
    status, output = qualcode("rik", "log", "--verify")
    assert status == 0, output
    assert output.endswith("triggers: all present\n") and "break" not in output


@pytest.mark.sqlite_only("the refusal of an SQLite project")
@pytest.mark.parametrize("args", [["team"], ["team", "add", "anna", "--role", "coder"], ["team", "blind", "on"],
                                  ["team", "remove", "anna"]])
def test_roles_need_a_server_project(project, cli, args):
    result = cli(*args, "--project", project.path, env={"QUALCODE_PASSWORD": "x"})
    assert (result.exit_code, result.output) == (2, (
        "qualcode: error: roles need a PostgreSQL project: this one is an SQLite file, where whoever can open the "
        "file can change it ('qualcode copy' moves it to a server)\n"))


@pytest.mark.postgres
@pytest.mark.usefixtures("quick_pilot")
def test_the_keyboard_coder_codes_as_the_login_and_shows_no_other_coders_work_while_blind(team_db):
    from qualcode.tui.coder import CoderApp
    from test_tui import drive, panel

    with Project(url_as(team_db, "bram")) as bram:
        bram.tag("km01:1", ["KG-REL"])
    with Project(url_as(team_db, "anna")) as anna:
        assert anna.coder() == login("anna")
        app = CoderApp(anna, anna.worklist(), coder=anna.coder(), show_others=True)
        shown = drive(app, "slash", *"kd-col", "enter", "right", "exclamation_mark", *"mooi", "enter",
                      then=lambda running: panel(running, "#codings"))
    assert login("bram") not in shown and "KG" not in shown
    with Project(url_as(team_db, "lea")) as lea:
        table = lea.codings()
        rows = {(c, f"{d}:{n}", code) for c, d, n, code
                in zip(table["coder"], table["document"], table["segment"], table["code"]) if code}
        memos = lea.memos()
    assert rows == {(login("bram"), "km01:1", "KG-REL"), (login("anna"), "km01:1", "KD-COL")}
    assert list(zip(memos["author"], memos["text"])) == [(login("anna"), "mooi")]


@pytest.mark.postgres
def test_an_owner_who_is_no_superuser_sets_up_the_team(postgres_server):
    """As the README has it: the project's owner owns the database and may create roles."""
    import sqlalchemy as sa

    owner = login("owner")
    url = sa.engine.make_url(postgres_server.fresh())
    with postgres_server.admin.connect() as admin:
        admin.exec_driver_sql(f'DROP ROLE IF EXISTS "{owner}"')
        admin.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'x\'')
        admin.exec_driver_sql(f'ALTER DATABASE "{url.database}" OWNER TO "{owner}"')
    as_owner = url.set(username=owner, password="x").render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="qualcode-team-"))
    try:
        with Project.init(folder / "study", codebook=CODEBOOK, database=as_owner) as made:
            made.team_add(login("anna"), "coder", PASSWORD.format("anna"))
            made.set_blind(True)
            assert made.standing().role == "owner"
            n_codes = len(made.codes())
        with Project(url_as(as_owner, "anna")) as anna:
            assert anna.standing() == store_team.Standing(login("anna"), "coder", roles_on=True, blind=True)
            assert len(anna.codes()) == n_codes > 0
    finally:
        shutil.rmtree(folder)
        with postgres_server.admin.connect() as admin:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            for role in store_team.ROLES:
                admin.exec_driver_sql(f'DROP ROLE IF EXISTS "{url.database}_{role}"')
            admin.exec_driver_sql(f'DROP ROLE IF EXISTS "{owner}"')


@pytest.mark.postgres
def test_a_reader_exports_and_the_export_is_logged_under_their_name(qualcode, connect, tmp_path):
    code, _ = code_ids(connect("lea"))
    assert qualcode("anna", "tag", "km01:1", code)[0] == 0
    out = tmp_path / "themes.csv"
    status, output = qualcode("rik", "matrix", "--out", str(out))
    assert status == 0, output
    assert out.is_file()
    exported = connect("lea").execute("SELECT actor, target FROM audit WHERE action = 'export'").fetchall()
    assert exported == [(login("rik"), "matrix")]
