import json

import pytest

from qualcode.auditlog import parse_since
from qualcode.errors import BadInput
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def test_log_filters_by_coder_and_action(coded):
    anna = coded.log(coder="anna", action="coding")
    assert anna["action"].tolist() == ["coding.add"] * 4
    assert sorted(json.loads(d)["code"] for d in anna["detail"]) == ["KG-REL", "KT-WET", "KV-LEER", "ROL-CTRL"]
    assert coded.log(coder="bram", action="review")["action"].tolist() == ["review.add"] * 3
    assert coded.log(coder="anna", action="review")["action"].tolist() == ["review.add"] * 3 + ["review", "review.add"]
    assert coded.log(action="codebook.load")["target"].str.endswith("professioneel-handelen.yaml").tolist() == [True]


def test_log_since_a_date(coded):
    everything = coded.log()
    assert len(coded.log(since="2000-01-01")) == len(everything)
    assert coded.log(since="2999-01-01").empty
    assert parse_since("2026-11-27") == "2026-11-27T00:00:00+00:00"
    assert parse_since("2026-11-27T15:00+01:00") == "2026-11-27T14:00:00+00:00"
    with pytest.raises(BadInput, match=r"^bad --since '27-11-2026': write a date such as 2026-11-27, or 2026-11-27T14:00$"):
        coded.log(since="27-11-2026")


def test_log_command_as_json(coded, cli):
    coded.merge_codes(["KD-OVL"], "KV-LEER")
    result = cli("log", "--action", "code.merge", "--format", "json", "--project", coded.path)
    [entry] = json.loads(result.output)
    assert (entry["action"], entry["target"], json.loads(entry["detail"])["collapsed"]) == ("code.merge", "KD-OVL", 1)


def test_log_names_segments_as_doc_n(coded):
    coded.add_memo("streng", segment="km01:2", author="anna")
    anna = coded.log(coder="anna", action="coding")
    assert sorted(anna["target"]) == ["cl01:1", "km01:1", "km01:2", "km01:2"]
    assert coded.log(action="memo.add")["target"].tolist() == ["segment:km01:2"]


def test_a_memo_is_one_log_entry(coded):
    before = len(coded.log())
    coded.add_memo("streng", segment="km01:2", author="anna")
    added = coded.log().iloc[before:]
    assert added[["actor", "action", "target"]].values.tolist() == [["anna", "memo.add", "segment:km01:2"]]


# ---- the hash chain: each way of rewriting the log is caught ---------------------------------

import re  # noqa: E402
import sqlite3  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from qualcode.auditlog import GENESIS, entry_hash  # noqa: E402
from qualcode.errors import BrokenChain  # noqa: E402
from qualcode.store import audit  # noqa: E402
from qualcode.store.schema import create_audit_triggers  # noqa: E402


def raw(project, *statements, **values):
    """Rewrite the log as an insider would: plain SQL on the project's database, no qualcode
    (on PostgreSQL a trigger is dropped from its table)."""
    with project.store.engine.connect() as conn, conn.begin():
        for statement in statements:
            if project.store.on_server and statement.startswith("DROP TRIGGER"):
                statement += " ON audit"
            conn.execute(sa.text(statement), values)


SQLITE_SYNTAX = pytest.mark.sqlite_only(reason="SQLite's own INSERT OR REPLACE, which PostgreSQL does not have")


def entry(project, entry_id) -> dict:
    with project.store.reading() as conn:
        return dict(conn.execute(sa.select(audit).where(audit.c.id == entry_id)).mappings().one())


def last_id(project) -> int:
    with project.store.reading() as conn:
        return conn.execute(sa.select(sa.func.max(audit.c.id))).scalar()


def verified(project):
    result = project.verify_log()
    first = result.first_break
    return (first.entry, first.problem) if first else None, result.missing_triggers


def test_an_untouched_log_verifies_and_every_entry_links_to_the_one_before(coded):
    result = coded.verify_log()
    assert (result.ok, result.breaks, result.missing_triggers) == (True, [], [])
    rows = [entry(coded, i) for i in range(1, last_id(coded) + 1)]
    assert rows[0]["prev_hash"] == GENESIS
    assert all(row["prev_hash"] == before["hash"] for before, row in zip(rows, rows[1:]))
    assert all(entry_hash(row) == row["hash"] for row in rows)
    assert result.head == rows[-1]["hash"] == coded.status()["audit_head"]


@SQLITE_SYNTAX
def test_insert_or_replace_is_refused_and_caught_when_its_trigger_is_dropped(coded):
    with pytest.raises(sa.exc.IntegrityError, match="append-only"):
        raw(coded, "INSERT OR REPLACE INTO audit (id, at, actor, action, target, detail) "
                   "VALUES (5, '2026-01-01T00:00:00+00:00', 'bram', 'coding.add', 'x', '{}')")
    raw(coded, "DROP TRIGGER audit_no_replace",
        "INSERT OR REPLACE INTO audit (id, at, actor, action, target, detail, prev_hash, hash) "
        "SELECT id, at, 'bram', action, target, detail, prev_hash, hash FROM audit WHERE id = 5")
    assert verified(coded) == ((5, "changed: its fields no longer match its hash"), ["audit_no_replace"])


def test_drop_trigger_then_update_is_caught(coded):
    raw(coded, "DROP TRIGGER audit_no_update", "UPDATE audit SET actor = 'bram' WHERE id = 7")
    assert verified(coded) == ((7, "changed: its fields no longer match its hash"), ["audit_no_update"])


def test_a_changed_entry_with_its_hash_recomputed_is_caught_by_the_next(coded):
    changed = {**entry(coded, 7), "actor": "bram"}
    raw(coded, "DROP TRIGGER audit_no_update",
        f"UPDATE audit SET actor = 'bram', hash = '{entry_hash(changed)}' WHERE id = 7")
    assert verified(coded)[0] == (7, "changed and its hash recomputed: entry #8 links to another entry #7")


def test_a_deleted_entry_is_caught_in_the_middle_and_at_the_end(coded):
    end = last_id(coded)
    raw(coded, "DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE id = 9")
    assert verified(coded)[0] == (10, "entry #9 before it was removed")
    raw(coded, f"DELETE FROM audit WHERE id = {end}")
    with pytest.raises(BrokenChain, match="the audit log's append-only trigger audit_no_delete is gone"):
        coded.tag("km01:1", ["KG-REL"], coder="anna")


def test_a_deleted_last_entry_is_caught_by_the_recorded_head(coded):
    end = last_id(coded)
    raw(coded, "DROP TRIGGER audit_no_delete", f"DELETE FROM audit WHERE id = {end}")
    with coded.store.engine.connect() as conn, conn.begin():
        create_audit_triggers(conn, ["audit_no_delete"])
    assert verified(coded) == ((end - 1, "entries after it were removed: the project recorded another chain head"), [])


def test_an_entry_inserted_in_the_middle_is_caught(coded):
    before = entry(coded, 6)
    forged = {"at": before["at"], "actor": "bram", "action": "coding.add", "target": "1",
              "detail": '{"code": "KG-REL", "coder": "bram"}', "prev_hash": before["hash"]}
    raw(coded, "DROP TRIGGER audit_no_update", "UPDATE audit SET id = -id WHERE id > 6",
        "UPDATE audit SET id = 1 - id WHERE id < 0")
    raw(coded, "INSERT INTO audit (id, at, actor, action, target, detail, prev_hash, hash) VALUES "
               "(7, :at, :actor, :action, :target, :detail, :prev_hash, :hash)", **forged, hash=entry_hash(forged))
    assert verified(coded)[0] == (7, "inserted: entry #8 links to the entry before it")


def test_an_entry_written_from_python_under_another_name_is_caught(coded):
    with coded.store.engine.begin() as conn:  # straight to the table, not through the chain
        conn.execute(audit.insert().values(at="2026-11-28T00:00:00+00:00", actor="bram", action="coding.delete",
                                           target="1", detail="{}"))
    end = last_id(coded)
    assert verified(coded)[0] == (end, "changed or written outside qualcode: it carries no hash")
    with pytest.raises(BrokenChain, match=rf"^{re.escape(coded.location)}: audit entry #{end} does not match its hash; nothing "
                                          r"was written; see 'qualcode log --verify', and run this again with "
                                          r"--accept-break to record the break in the log and go on$"):
        coded.tag("km01:1", ["KG-REL"], coder="anna")
    assert "KG-REL" not in coded.codings(coder="anna").query("document == 'km01' and segment == 1")["code"].tolist()


def test_accept_break_records_the_break_and_the_chain_goes_on_from_it(coded, cli):
    raw(coded, "DROP TRIGGER audit_no_update", "UPDATE audit SET actor = 'bram' WHERE id = 7")
    refused = cli("tag", "km01:1", "KG-REL", "--coder", "anna", "--project", coded.path)
    assert (refused.exit_code, refused.output) == (1, "qualcode: error: " + (
        f"{coded.location}: the audit log's append-only trigger audit_no_update is gone; nothing was written; see "
        "'qualcode log --verify', and run this again with --accept-break to record the break in the log and go on\n"))
    done = cli("tag", "km01:1", "KG-REL", "--coder", "anna", "--accept-break", "--project", coded.path)
    assert done.exit_code == 0, done.output
    accepted = coded.log(action="audit.break")
    detail = json.loads(accepted["detail"].item())
    assert (accepted["actor"].item(), detail["missing_triggers"]) == ("anna", ["audit_no_update"])
    assert detail["breaks"] == ["entry #7: changed: its fields no longer match its hash"]
    result = coded.verify_log()
    assert (result.ok, [b.describe() for b in result.breaks]) == (
        True, [f"entry #7: changed: its fields no longer match its hash (accepted by entry #{accepted['id'].item()})"])
    verify = cli("log", "--verify", "--project", coded.path)
    assert verify.exit_code == 0
    assert verify.output.splitlines()[1:] == [
        "triggers: all present",
        f"break at entry #7: changed: its fields no longer match its hash (accepted by entry #{accepted['id'].item()})",
    ]


def test_log_verify_names_the_first_break_and_exits_1(coded, cli):
    raw(coded, "DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE id = 9")
    result = cli("log", "--verify", "--format", "json", "--project", coded.path)
    assert result.exit_code == 1
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert (report["ok"], report["missing_triggers"], report["breaks"]) == (
        False, ["audit_no_delete"], [{"entry": 10, "problem": "entry #9 before it was removed", "accepted_by": None}])
    assert result.output.endswith("qualcode: error: the audit log was tampered with at entry #10: entry #9 before it was removed\n")


@pytest.mark.sqlite_only(reason="builds an SQLite file of schema 2 by hand")
def test_a_project_from_before_the_chain_is_hashed_in_order_by_its_migration(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '2');
            CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at VARCHAR(32) NOT NULL, actor VARCHAR(64) NOT NULL,
                                action VARCHAR(64) NOT NULL, target VARCHAR(255) NOT NULL, detail TEXT NOT NULL);
            CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;
            CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;
            INSERT INTO audit (at, actor, action, target, detail) VALUES ('2026-01-01T00:00:00+00:00', 'anna', 'init', '', '{}');
            INSERT INTO audit (at, actor, action, target, detail) VALUES ('2026-01-02T00:00:00+00:00', 'anna', 'tag', 'a:1', '{}');
        """)
    conn.close()
    from qualcode.store import Store

    store = Store.open(path, actor="anna")
    with store.atomic("test.after"):
        pass
    with store.reading() as conn:
        rows = [dict(row) for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]
    store.close()
    assert [row["action"] for row in rows] == ["init", "tag", "migrate", "test.after"]
    first = {**rows[0], "prev_hash": GENESIS}
    assert (rows[0]["prev_hash"], rows[0]["hash"], rows[1]["prev_hash"]) == (GENESIS, entry_hash(first), entry_hash(first))
    assert all(row["prev_hash"] == before["hash"] and entry_hash(row) == row["hash"] for before, row in zip(rows, rows[1:]))


def test_a_removed_tail_accepted_by_a_write_is_listed_as_accepted(coded):
    end = last_id(coded)
    raw(coded, "DROP TRIGGER audit_no_delete", f"DELETE FROM audit WHERE id = {end}")
    coded.store.accept_break = True
    coded.tag("km01:1", ["KG-REL"], coder="anna")
    result = coded.verify_log()
    problem = ("the audit log's append-only trigger audit_no_delete is gone")
    accepting = coded.log(action="audit.break")["id"].item()  # SQLite reuses the removed id, a server's sequence goes on
    assert accepting == (end + 1 if coded.store.on_server else end)
    assert (result.ok, [(b.entry, b.problem, b.accepted_by) for b in result.breaks]) == (True, [(accepting, problem, accepting)])
    assert result.head == coded.status()["audit_head"]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", ["UPDATE audit SET actor = 'bram' WHERE id = 7", "DELETE FROM audit WHERE id = 7",
                                       "TRUNCATE audit", "TRUNCATE audit CASCADE"])
def test_the_server_refuses_to_rewrite_the_log(coded, statement):
    with pytest.raises(sa.exc.IntegrityError, match="the audit log is append-only"):
        raw(coded, statement)
    assert verified(coded) == (None, [])


@pytest.mark.postgres
def test_a_disabled_trigger_on_the_server_counts_as_gone(coded):
    raw(coded, "ALTER TABLE audit DISABLE TRIGGER audit_no_update", "UPDATE audit SET actor = 'bram' WHERE id = 7")
    assert verified(coded) == ((7, "changed: its fields no longer match its hash"), ["audit_no_update"])
    with pytest.raises(BrokenChain, match="the audit log's append-only trigger audit_no_update is gone"):
        coded.tag("km01:1", ["KG-REL"], coder="anna")
    coded.store.accept_break = True
    coded.tag("km01:1", ["KG-REL"], coder="anna")
    assert verified(coded)[1] == [] and coded.verify_log().ok
