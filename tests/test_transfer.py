"""``qualcode copy``: a project moved whole between SQLite and PostgreSQL, identical on arrival."""

import pytest
import sqlalchemy as sa

from qualcode import Project
from qualcode.errors import BadInput
from qualcode.store import metadata
from sample_coding import build


def every_row(project) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with project.store.reading() as conn:
        return {table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables}


@pytest.fixture
def coded(project, make_document):
    """The shared sample coding plus memos, a decision and a codebook edit: a row in every table."""
    build(project, make_document)
    project.add_memo("Twijfel over KT-WET", segment="km01:2", author="anna")
    project.add_memo("Eerste ronde klaar", author="bram")
    project.adjudicate("km01:1", ["KV-LEER"])
    project.add_code("NIEUW", "Nieuwe code", parent="KV")
    return project


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def destination(request, tmp_path):
    """Where a copy goes: a new folder (SQLite), or an empty database on the test server."""
    if request.param == "sqlite":
        return tmp_path / "copy", None
    return tmp_path / "copy", request.getfixturevalue("postgres_server").fresh()


def test_a_copy_holds_every_row_of_every_table_and_its_chain_verifies(coded, destination):
    folder, database = destination
    before = every_row(coded)
    made = coded.copy_to(folder, database=database)
    with Project(made) as copy:
        after = every_row(copy)
        verified = copy.verify_log()
        assert copy.status()["audit_head"] == coded.status()["audit_head"]
        copy.tag("cl01:1", ["KT-WET"], coder="bram")  # the copy goes on: new ids follow the copied ones
        assert copy.verify_log().ok
    assert after == before
    assert all(before[name] for name in ("documents", "segments", "codings", "reviews", "memos", "decisions", "audit"))
    assert verified.ok and verified.entries == len(before["audit"])
    assert every_row(coded) == before  # the source is untouched, its log too


def test_a_copy_back_to_sqlite_is_the_same_project(coded, tmp_path):
    there = coded.copy_to(tmp_path / "there")
    with Project(there) as middle:
        back = middle.copy_to(tmp_path / "back")
    with Project(back) as copy:
        assert every_row(copy) == every_row(coded)


def test_copy_refuses_a_destination_that_holds_a_project_and_writes_nothing(coded, tmp_path, cli):
    other = Project.init(tmp_path / "other")
    other.close()
    with pytest.raises(BadInput, match="already holds a qualcode project"):
        coded.copy_to(tmp_path / "other")
    with Project(tmp_path / "other") as unchanged:
        assert unchanged.status()["documents"] == 0


@pytest.mark.postgres
def test_copy_refuses_a_database_that_is_not_empty_and_leaves_it_as_it_was(coded, tmp_path, postgres_server):
    database = postgres_server.fresh()
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE memos (id integer)")
    with pytest.raises(BadInput, match=r"not empty \(holds memos\); copy into a new folder or an empty database$"):
        coded.copy_to(tmp_path / "copy", database=database)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["memos"]
    engine.dispose()
    assert not (tmp_path / "copy" / "qualcode.toml").exists()


def test_copy_on_the_command_line_names_both_ends(coded, tmp_path, cli):
    result = cli("copy", coded.path.parent, tmp_path / "offline")
    head = coded.status()["audit_head"]
    assert result.exit_code == 0, result.output
    assert result.output == (f"copied {coded.location} to {tmp_path / 'offline' / 'qualcode.sqlite'}: 2 documents, "
                             f"{coded.status()['codings']} codings, audit log head {head}\n")
    again = cli("copy", coded.path.parent, tmp_path / "offline")
    assert again.exit_code == 2
    assert again.stderr == (f"qualcode: error: {tmp_path / 'offline'}: already holds a qualcode project; use it, "
                            f"or pick another folder\n")
