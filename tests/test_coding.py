import re

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import CODEBOOK as CODEBOOK_PATH
from qualcode import Project
from qualcode.errors import BadInput, InvalidRows, UnknownItem
from qualcode.selection import fingerprint
from qualcode.store import audit, coders, codings, reviews
from sample_coding import build
from qualcode.store import coding as store_coding
from qualcode.store import reads

TURNS = [
    ("I", "interviewer", "Hoe leert u het vak?"),
    ("R", "respondent", "Vooral door intervisie met collega's."),
    ("I", "interviewer", "En de regels?"),
    ("R", "respondent", "De Participatiewet pas ik streng toe."),
]


@pytest.fixture
def doc(make_document):
    make_document("km01", TURNS, {"role": "klantmanager", "municipality": "Maasdelta"})
    return "km01"


def _codings(project):
    with project.store.reading() as conn:
        return sorted(conn.execute(sa.select(codings.c.code_id, codings.c.coder, codings.c.origin)).all())


def test_tag_untag_review_are_recorded_and_audited(project, doc):
    assert project.tag("km01:1", ["KV-LEER", "KD-OVL"], coder="anna") == ["KV-LEER", "KD-OVL"]
    assert project.tag("km01:1", ["KV-LEER"], coder="anna") == []
    assert project.review("km01:2", coder="anna") is True
    assert project.untag("km01:1", ["KD-OVL"], coder="anna") == ["KD-OVL"]
    assert _codings(project) == [("KV-LEER", "anna", "manual")]
    with project.store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reviews)).scalar() == 2
        actions = conn.execute(sa.select(audit.c.action).where(audit.c.action.like("coding.%"))).scalars().all()
    assert actions == ["coding.add", "coding.add", "coding.delete"]


def test_unreview_withdraws_the_mark_and_the_codes(project, doc):
    project.tag("km01:2", ["KT-WET"], coder="bram")
    assert project.unreview("km01:2", coder="bram") is True
    assert _codings(project) == []


def test_bad_references_name_what_is_wrong(project, doc):
    with pytest.raises(UnknownItem, match=r"unknown document 'km1': did you mean km01\?"):
        project.tag("km1:1", ["KT-WET"], coder="anna")
    with pytest.raises(BadInput, match=r"km01 has no segment 9: its segments are 1 to 2"):
        project.tag("km01:9", ["KT-WET"], coder="anna")
    with pytest.raises(UnknownItem, match=r"unknown code 'KT-WETT': did you mean KT-WET"):
        project.tag("km01:1", ["KT-WETT"], coder="anna")
    with pytest.raises(BadInput, match="no coder named"):
        project.tag("km01:1", ["KT-WET"])
    assert _codings(project) == []


def test_segments_carry_exact_text_and_filter_by_attribute(project, doc, make_document):
    make_document("cl01", [("I", "interviewer", "Vraag"), ("R", "respondent", "Mijn klantmanager luistert.")],
                  {"role": "client", "municipality": "Veenstad"})
    table = project.segments()
    assert table["ref"].tolist() == ["cl01:1", "km01:1", "km01:2"]
    assert table.set_index("ref").loc["km01:2", "text"] == "De Participatiewet pas ik streng toe."
    clients = project.segments(attributes={"role": "Client"})
    assert clients["text"].tolist() == ["Mijn klantmanager luistert."]
    with pytest.raises(UnknownItem, match="unknown attribute 'rol'"):
        project.segments(attributes={"rol": "client"})


def test_memos_attach_to_segments_documents_codes_and_the_project(project, doc):
    from qualcode.store import memos

    project.add_memo("Mooi citaat over intervisie", segment="km01:1", author="anna")
    project.add_memo("Respondent was moe", document="km01", author="anna")
    project.add_memo("Grens met KD-OVL is vaag", code="KV-LEER", author="bram")
    project.add_memo("Eerste ronde klaar", author="bram")
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(memos.c.target_type, memos.c.author).order_by(memos.c.id)).all()
    assert rows == [("segment", "anna"), ("document", "anna"), ("code", "bram"), ("project", "bram")]
    with pytest.raises(UnknownItem, match="unknown document 'km02'"):
        project.add_memo("x", document="km02", author="anna")


# ---- codings tables: apply and export -----------------------------------------------------


HEADER = "document,segment,coder,code,memo\n"


def _write(tmp_path, text, name="codings.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _state(project):
    """Everything apply can change: codings, review marks, memos, coders."""
    from qualcode.store import coders, memos

    with project.store.reading() as conn:
        return (
            sorted(conn.execute(sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder)).all()),
            sorted(conn.execute(sa.select(reviews.c.segment_id, reviews.c.coder)).all()),
            sorted(conn.execute(sa.select(memos.c.target_id, memos.c.author, memos.c.text)).all()),
            sorted(conn.execute(sa.select(coders.c.name)).scalars()),
        )


@pytest.fixture
def two_docs(project, make_document):
    from sample_coding import CL01, KM01

    make_document("km01", KM01, {"role": "klantmanager"})
    make_document("cl01", CL01, {"role": "client"})
    return project


def test_apply_writes_codings_reviews_and_memos_then_reapplying_changes_nothing(two_docs, tmp_path, cli):
    path = _write(tmp_path, HEADER + "km01,1,anna,KV-LEER,Mooi citaat\nkm01,1,anna,KD-OVL,\nkm01,2,anna,,\ncl01,2,bram,KT-WET,\n")
    first = cli("apply", path, "--project", two_docs.path)
    assert first.exit_code == 0, first.output
    assert first.output == (
        f"{path}: comma-separated, 4 rows; codings 3 added, 0 already present (anna 2, bram 1); 3 segments newly reviewed; "
        "memos 1 added, 0 already present\n"
    )
    codings_now, reviews_now, memos_now, coders_now = _state(two_docs)
    assert [(code, coder) for _, code, coder in codings_now] == [("KD-OVL", "anna"), ("KV-LEER", "anna"), ("KT-WET", "bram")]
    assert len(reviews_now) == 3
    assert [(author, text) for _, author, text in memos_now] == [("anna", "Mooi citaat")]
    assert coders_now == ["anna", "bram"]
    with two_docs.store.reading() as conn:
        origins = set(conn.execute(sa.select(codings.c.origin)).scalars())
    assert origins == {"import"}
    before = _state(two_docs)
    again = cli("apply", path, "--project", two_docs.path)
    assert again.output == (
        f"{path}: comma-separated, 4 rows; codings 0 added, 3 already present (anna 0, bram 0); 0 segments newly reviewed; "
        "memos 0 added, 1 already present\n"
    )
    assert _state(two_docs) == before


def test_apply_lists_every_bad_row_and_applies_nothing(two_docs, tmp_path, cli):
    path = _write(tmp_path, HEADER + (
        "km01,1,anna,KV-LEER,\n"       # good
        "km1,1,anna,KV-LEER,\n"        # unknown document
        "km01,9,anna,KV-LEER,\n"       # no such segment
        "km01,1,,KV-LEER,\n"           # coder missing
        "km01,x,bram,KV-LEERR,\n"      # segment not a number and unknown code
        "cl01,2,bram,KT-WET,\n"        # good
    ))
    before = _state(two_docs)
    result = cli("apply", path, "--project", two_docs.path)
    assert result.exit_code == 2
    assert result.output == (
        f"qualcode: error: {path}: 4 bad rows, nothing applied: "
        "line 3: unknown document 'km1': did you mean km01?; "
        "line 4: km01 has no segment 9: its segments are 1 to 2; "
        "line 5: coder is empty: name who coded the row; "
        "line 6: segment 'x' is not a whole number (the N of DOC:N); "
        "line 6: unknown code 'KV-LEERR': did you mean KV-LEER, KV-OPL, KV-ZELF?; "
        "fix them and apply again\n"
    )
    assert _state(two_docs) == before


def test_apply_refuses_a_bad_header_and_counts_lines_of_multiline_memos(two_docs, tmp_path):
    from qualcode.errors import InvalidRows

    with pytest.raises(InvalidRows) as caught:
        two_docs.apply_codings(_write(tmp_path, "document,segment,codr,code,notes\nkm01,1,anna,KV-LEER,\n"))
    assert caught.value.problems == [
        (1, "missing column coder; the header must be document,segment,coder,code[,memo][,fingerprint]"),
        (1, "unknown columns codr, notes; allowed: document, segment, fingerprint, coder, code, memo"),
    ]
    with pytest.raises(InvalidRows) as caught:
        two_docs.apply_codings(_write(tmp_path, HEADER + 'km01,1,anna,KV-LEER,"twee\nregels"\nkm01,3,anna,KV-LEER,\n'))
    assert caught.value.problems == [(4, "km01 has no segment 3: its segments are 1 to 2")]
    assert _state(two_docs)[0] == []


def test_apply_takes_a_dataframe(two_docs):
    import pandas as pd

    frame = pd.DataFrame({"document": ["km01", "km01"], "segment": [1, 2], "coder": ["anna", "anna"], "code": ["KV-LEER", None]})
    report = two_docs.apply_codings(frame)
    assert (report.codings_added, report.reviews_added, report.added_per_coder) == (1, 2, {"anna": 1})


def test_apply_tells_how_many_rows_it_checked_and_wrote(two_docs, tmp_path):
    path = _write(tmp_path, HEADER + "km01,1,anna,KV-LEER,\nkm01,1,bram,KV-LEER,\nkm01,2,anna,,\n")
    told = []
    two_docs.apply_codings(path, progress=lambda *step: told.append(step))
    assert told == [(f"checking the rows of {path}", 0, None), (f"checking the rows of {path}", 3, None),
                    ("marking 3 segment reviews", 0, 3), ("marking 3 segment reviews", 3, 3),
                    ("writing 2 codings", 0, 2), ("writing 2 codings", 2, 2),
                    ("logging 2 codings", 0, 2), ("logging 2 codings", 2, 2)]


def test_codings_export_round_trips_through_apply(project, make_document, tmp_path, cli):
    build(project, make_document)
    project.add_memo("Twijfel tussen KT-WET en ROL-CTRL", segment="km01:2", author="anna")
    project.add_memo("Tweede gedachte", segment="km01:2", author="anna")
    project.add_memo("Derde gedachte", segment="km01:2", author="anna")
    exported = cli("codings", "--coder", "anna", "--project", project.path)
    texts = dict(zip(project.segments()["ref"], project.segments()["text"]))
    lines = [line.split(",", 3) for line in exported.output.splitlines()]
    assert [f"{doc}:{n}" for doc, n, _, _ in lines[1:]] == ["cl01:1", "cl01:2", "km01:1", "km01:2", "km01:2", "km01:2"]
    assert [printed for doc, n, printed, _ in lines[1:]] == [fingerprint(texts[f"{doc}:{n}"]) for doc, n, _, _ in lines[1:]]
    assert "\n".join(",".join((doc, n, rest)) for doc, n, _, rest in lines) + "\n" == HEADER + (
        "cl01,1,anna,KG-REL,\n"
        "cl01,2,anna,,\n"
        "km01,1,anna,KV-LEER,\n"
        "km01,2,anna,KT-WET,Twijfel tussen KT-WET en ROL-CTRL\n"
        "km01,2,anna,ROL-CTRL,Tweede gedachte\n"
        "km01,2,anna,,Derde gedachte\n"
    )
    before = _state(project)
    path = _write(tmp_path, exported.output)
    assert project.apply_codings(path).codings_present == 4
    assert _state(project) == before

    from conftest import CODEBOOK
    from qualcode import Project

    with Project.init(tmp_path / "copy", codebook=CODEBOOK) as copy:
        for name in ("km01", "cl01"):
            _copy_document(project, copy, name)
        report = copy.apply_codings(path)
        assert (report.codings_added, report.reviews_added, report.memos_added) == (4, 4, 3)
        assert copy.codings(coder="anna").equals(project.codings(coder="anna"))


def _copy_document(source, target, name):
    """Copy a document with its turns and segments from one project to another."""
    from qualcode.store import NewDocument, NewSegment, NewTurn, documents, insert_document, segments, turns

    with source.store.reading() as conn:
        doc = conn.execute(sa.select(documents).where(documents.c.name == name)).mappings().one()
        turn_rows = conn.execute(sa.select(turns).where(turns.c.document_id == doc["id"]).order_by(turns.c.number)).mappings().all()
        seg_rows = conn.execute(sa.select(segments).where(segments.c.document_id == doc["id"]).order_by(segments.c.number)).mappings().all()
    turn_index = {row["id"]: i for i, row in enumerate(turn_rows)}
    new = NewDocument(
        name=name, source_file=doc["source_file"], sha256=doc["sha256"], text=doc["text"],
        turns=[NewTurn(r["speaker"], r["role"], r["start"], r["end"], r["time_start"], r["time_end"]) for r in turn_rows],
        segments=[NewSegment(r["unit"], r["start"], r["end"], r["speaker"], turn_index.get(r["turn_id"])) for r in seg_rows],
    )
    with target.store.atomic("test.copy", name) as conn:
        insert_document(target.store, conn, new)


def test_codings_filter_by_code_includes_sub_codes(project, make_document):
    build(project, make_document)
    table = project.codings(code="KT")
    assert table[["document", "segment", "coder", "code"]].values.tolist() == [
        ["cl01", 2, "bram", "KT-WET"], ["km01", 2, "anna", "KT-WET"], ["km01", 2, "bram", "KT-WET"],
    ]


def test_tag_command_refuses_a_code_that_only_groups_others(two_docs, cli):
    result = cli("tag", "km01:1", "KV-LEER", "KV", "--coder", "anna", "--project", two_docs.path)
    assert (result.exit_code, result.output) == (2, (
        "qualcode: error: code KV only groups other codes and is not codable: apply one of its sub-codes "
        "(KV-OPL, KV-ZELF, KV-LEER)\n"))
    assert two_docs.codings().empty


def test_the_library_refuses_a_code_that_only_groups_others_in_tag_and_apply(two_docs, tmp_path):
    reason = "code KV only groups other codes and is not codable: apply one of its sub-codes (KV-OPL, KV-ZELF, KV-LEER)"
    with pytest.raises(BadInput, match=f"^{re.escape(reason)}$"):
        two_docs.tag("km01:1", ["KV-LEER", "KV"], coder="anna")
    with pytest.raises(BadInput, match=f"^{re.escape(reason)}$"):
        two_docs.tag_replacing("km01:1", "KV", coder="anna")
    path = _write(tmp_path, HEADER + "km01,1,anna,KV-LEER,\nkm01,2,anna,KT,\ncl01,1,bram,KV,\n")
    with pytest.raises(InvalidRows) as caught:
        two_docs.apply_codings(path)
    assert str(caught.value) == (
        f"{path}: 2 bad rows, nothing applied: line 3: code KT only groups other codes and is not codable: apply one of "
        f"its sub-codes (KT-WET, KT-METH, KT-AFW, KT-WAT); line 4: {reason}; fix them and apply again")
    assert two_docs.codings().empty


def test_codings_on_a_code_that_only_groups_others_are_kept_and_status_lists_them(two_docs, cli):
    with two_docs.store.atomic("test.import") as conn:  # as a REFI-QDA import of another program's coding leaves them
        for ref in ("km01:1", "km01:2"):
            store_coding.tag(two_docs.store, conn, reads.resolve_segment(conn, ref), ["KV"], "anna", "import")
    assert two_docs.status()["codings_on_groups"] == [{"code": "KV", "codings": 2, "sub_codes": ["KV-OPL", "KV-ZELF", "KV-LEER"]}]
    assert ("code KV only groups other codes but holds 2 coding(s), imported or from before: recode them to one of its "
            "sub-codes (KV-OPL, KV-ZELF, KV-LEER)") in cli("status", "--project", two_docs.path).output.splitlines()


def test_tag_untag_review_commands(project, make_document, cli):
    build(project, make_document)
    where = ("--project", project.path)
    assert cli("tag", "cl01:1", "KG-REL", "KG-MAAT", "--coder", "anna", *where).output == "cl01:1: added KG-MAAT; already there: KG-REL\n"
    assert cli("untag", "cl01:1", "KG-MAAT", "KV-OPL", "--coder", "anna", *where).output == "cl01:1: removed KG-MAAT; not there: KV-OPL\n"
    assert cli("review", "cl01:1", "--coder", "bram", *where).output == "cl01:1: marked reviewed\n"
    assert cli("review", "cl01:1", "--coder", "bram", *where).output == "cl01:1: was already reviewed\n"
    assert project.codings(coder="bram")["code"].tolist() == ["", "KT-WET", "KD-OVL", "KV-LEER", "KT-WET"]


def test_apply_refuses_an_unreadable_csv_with_its_line(two_docs, tmp_path):
    from qualcode.errors import BadFile

    path = _write(tmp_path, HEADER + "km01,1,anna,KV-LEER,\nkm01,2,anna,KV-LEER,\"" + "x" * 200_000 + "\"\n")
    with pytest.raises(BadFile, match=r"codings\.csv: line 3: not a readable CSV row \(field larger than field limit \(131072\)\); check its quotes$"):
        two_docs.apply_codings(path)
    assert _state(two_docs)[0] == []


def test_audit_entries_name_the_coder_who_made_the_change(project, doc):
    project.tag("km01:1", ["KV-LEER"], coder="anna")
    with project.store.reading() as conn:
        actors = set(conn.execute(sa.select(audit.c.actor).where(audit.c.action.in_(["tag", "coding.add"]))).scalars())
    assert actors == {"anna"}


def test_a_bulk_write_that_fails_halfway_leaves_nothing(project, doc, monkeypatch):
    write_log = project.store.log_many

    def failing(conn, entries):
        entries = list(entries)
        if entries[0][0] == "coding.add":
            raise RuntimeError("disk full")
        write_log(conn, entries)

    monkeypatch.setattr(project.store, "log_many", failing)
    with pytest.raises(RuntimeError, match="disk full"), project.store.atomic("test.bulk") as conn:
        first, second = (reads.resolve_segment(conn, ref) for ref in ("km01:1", "km01:2"))
        store_coding.tag_many(project.store, conn, [(first, "KV-LEER", "anna"), (second, "KD-OVL", "anna")])
    with project.store.reading() as conn:
        written = [conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() for table in (codings, reviews)]
        logged = conn.execute(sa.select(audit.c.action).where(audit.c.action.in_(["test.bulk", "review.add", "coder.add"]))).all()
        anna = conn.execute(sa.select(coders.c.name).where(coders.c.name == "anna")).all()
    assert (written, logged, anna) == ([0, 0], [], [])


def test_tag_many_checks_codes_once_and_names_the_unknown_one(project, doc):
    with pytest.raises(UnknownItem, match=r"^unknown code 'NOPE': 63 known, e.g. CTX, CTX-CASE, CTX-FLEX, CTX-POL, CTX-PRES; see 'qualcode codebook show'$"), project.store.atomic("test.bulk") as conn:
        first = reads.resolve_segment(conn, "km01:1")
        store_coding.tag_many(project.store, conn, [(first, "KV-LEER", "anna"), (first, "NOPE", "anna")])
    assert _codings(project) == []


@pytest.mark.parametrize("delimiter,name", [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_apply_reads_comma_semicolon_and_tab_with_or_without_bom_and_says_which(two_docs, tmp_path, cli, delimiter, name, bom):
    path = tmp_path / "codings.csv"
    rows = ["document,segment,coder,code,memo", "km01,1,anna,KV-LEER,'=1+1 is een formule", "km01,2,anna,,"]
    path.write_bytes(bom + "\r\n".join(row.replace(",", delimiter) for row in rows).encode("utf-8") + b"\r\n")
    result = cli("apply", path, "--project", two_docs.path)
    assert result.output.startswith(f"{path}: {name}-separated, 2 rows; codings 1 added"), result.output
    assert [text for _, _, text in _state(two_docs)[2]] == ["=1+1 is een formule"]  # qualcode's own escaping undone


def test_apply_refuses_doubled_columns_control_characters_and_non_ascii_digits(two_docs, tmp_path):
    from qualcode.errors import BadFile, InvalidRows

    path = _write(tmp_path, "document,segment,coder,code,code\nkm01,1,anna,KV-LEER,\n")
    with pytest.raises(BadFile) as caught:
        two_docs.apply_codings(path)
    assert str(caught.value) == f"{path}: line 1: the column 'code' appears 2 times; keep one"
    with pytest.raises(InvalidRows) as caught:
        two_docs.apply_codings(pd.DataFrame([["km01", 1, "anna", "KV-LEER"]], columns=["document", "segment", "coder", "coder"]))
    assert caught.value.problems == [(1, "missing column code; the header must be document,segment,coder,code[,memo][,fingerprint]"),
                                     (1, "the column 'coder' appears 2 times; keep one")]
    with pytest.raises(InvalidRows) as caught:
        two_docs.apply_codings(_write(tmp_path, HEADER + (
            "km01,1,fuz\x00zer,KV-LEER,\n"
            "km01,\u0661,anna,KV-LEER,\n"        # Arabic-Indic one
            "km01,2,anna,KV-LEER,memo\x07bel\n"
            "km01,2,anna,KV-LEER,\"twee\tregels\nmag\"\n"
        )))
    assert caught.value.problems == [
        (2, "coder holds the control character U+0000; remove it"),
        (3, "segment '\u0661' is not a whole number (the N of DOC:N)"),
        (4, "memo holds the control character U+0007; remove it"),
    ]
    assert _state(two_docs)[0] == []


def test_apply_names_the_line_of_a_quote_left_open(two_docs, tmp_path):
    from qualcode.errors import BadFile

    path = _write(tmp_path, HEADER + 'km01,1,anna,KV-LEER,"begint\nkm01,2,anna,KV-LEER,\n')
    with pytest.raises(BadFile) as caught:
        two_docs.apply_codings(path)
    assert str(caught.value).startswith(f"{path}: line 2: a quote opened in this row is never closed")
    assert _state(two_docs)[0] == []


def test_a_segment_reference_takes_ascii_digits_only(two_docs):
    from qualcode.errors import BadInput

    with pytest.raises(BadInput, match="bad segment reference 'km01:\u0661'"):
        two_docs.tag("km01:\u0661", ["KV-LEER"], coder="anna")


def test_apply_names_who_applied_it_in_the_log_and_checks_again_when_another_wrote_first(two_docs, tmp_path, cli):
    path = _write(tmp_path, HEADER + "km01,1,anna,KV-LEER,\ncl01,2,bram,KT-WET,\n")
    assert cli("apply", path, "--coder", "carla", "--project", two_docs.path).exit_code == 0
    assert two_docs.log(action="apply")["actor"].tolist() == ["carla"]
    assert two_docs.log(action="coding.add")["actor"].tolist() == ["carla", "carla"]
    # A code deleted after the check and before the write lock: the check runs again inside.
    two_docs.add_code("KX", "Tijdelijk")
    path.write_text(HEADER + "km01,2,anna,KX,\n")
    real_atomic = two_docs.store.atomic

    def code_deleted_meanwhile(*args, **kwargs):
        two_docs.store.atomic = real_atomic
        two_docs.delete_code("KX")
        return real_atomic(*args, **kwargs)

    two_docs.store.atomic = code_deleted_meanwhile
    with pytest.raises(InvalidRows, match=r"line 2: unknown code 'KX'"):
        two_docs.apply_codings(path)
    assert two_docs.log(action="coding.add")["actor"].tolist() == ["carla", "carla"]


def test_an_unknown_coder_is_an_error_with_a_did_you_mean_and_an_empty_valid_filter_says_so(project, make_document, cli):
    make_document("d", [("R", "respondent", "Eerste antwoord."), ("R2", "respondent", "Tweede antwoord.")])
    project.tag("d:1", ["KV-OPL"], coder="anna")
    project.remember_coder("bram")
    where = ("--project", project.path)
    for command in (("codings", "--coder", "annna"), ("log", "--coder", "annna")):
        refused = cli(*command, *where)
        assert refused.exit_code == 2, command
        assert refused.output.strip() == "qualcode: error: unknown coder 'annna': did you mean anna?; see 'qualcode status'"
    empty = cli("codings", "--coder", "bram", "--format", "table", *where)
    assert (empty.exit_code, empty.output.strip()) == (0, "no codings match (coder bram); the filter is valid")


def test_exclusive_group_second_child_is_refused_by_tag_and_apply_and_reported(project, make_document, cli, tmp_path):
    make_document("d", [("R", "respondent", "Eerste antwoord."), ("R2", "respondent", "Tweede antwoord.")])
    where = ("--project", project.path)
    both = cli("tag", "d:1", "ROL-HULP", "ROL-CTRL", "--coder", "anna", *where)
    assert both.exit_code == 2
    assert both.output.strip() == ("qualcode: error: d:1: ROL-CTRL and ROL-HULP are in exclusive group ROL: a segment "
                                   "takes one of its children; remove the other first (untag)")
    assert cli("tag", "d:1", "ROL-HULP", "--coder", "anna", *where).exit_code == 0
    assert cli("tag", "d:1", "ROL-CTRL", "--coder", "anna", *where).exit_code == 2
    assert cli("tag", "d:1", "ROL-CTRL", "--coder", "bram", *where).exit_code == 0  # another coder may differ
    table = tmp_path / "rows.csv"
    table.write_text("document,segment,coder,code\nd,1,anna,ROL-CTRL\nd,2,anna,ROL-HULP\nd,2,anna,ROL-CTRL\nd,2,anna,KV-OPL\n",
                     encoding="utf-8")
    refused = cli("apply", table, *where)
    assert refused.exit_code == 2
    reason = "ROL-CTRL and ROL-HULP are in exclusive group ROL: a segment takes one of its children; remove the other first (untag)"
    assert refused.output.strip() == (f"qualcode: error: {table}: 3 bad rows, nothing applied: line 2: {reason}; "
                                      f"line 3: {reason}; line 4: {reason}; fix them and apply again")
    assert project.codings(coder="anna")["code"].tolist() == ["ROL-HULP"]
    with project.store.atomic("test.violation") as conn:  # as an older qualcode or an import could leave it
        store_coding.tag(project.store, conn, reads.resolve_segment(conn, "d:1"), ["ROL-CTRL"], "anna")
    line = "exclusive group ROL broken on d:1 by anna: ROL-CTRL, ROL-HULP (keep one: qualcode untag)"
    assert line in cli("status", *where).output.splitlines()
    assert project.status()["exclusive_violations"] == [
        {"ref": "d:1", "coder": "anna", "group": "ROL", "codes": ["ROL-CTRL", "ROL-HULP"]}]
    assert line in cli("agreement", *where).output.splitlines()


def test_apply_refuses_rows_whose_fingerprint_names_other_text(project, tmp_path, cli):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "transcripts" / "cl-maasdelta-01.docx"
    where = ("--project", project.path)
    project.import_files([sample], interviewers=["Eva Jansen"])
    project.tag("cl-maasdelta-01:1", ["KG-REL"], coder="anna")
    project.tag("cl-maasdelta-01:2", ["KT-WET"], coder="anna")
    table = _write(tmp_path, cli("codings", "--coder", "anna", *where).output, "anna.csv")
    printed = table.read_text(encoding="utf-8").splitlines()
    other = tmp_path / "other"
    assert cli("init", other, "--codebook", CODEBOOK_PATH).exit_code == 0
    assert cli("import", sample, "--project", other).exit_code == 0  # no --interviewer: Eva's questions are segments
    refused = cli("apply", table, "--project", other)
    assert refused.exit_code == 2
    assert re.findall(r"line (\d+): ", refused.output) == ["2", "3"]
    assert "2 bad rows, nothing applied" in refused.output
    assert "cl-maasdelta-01:1 holds other text than when the row was written (fingerprint " \
           f"{printed[1].split(',')[2]}, here " in refused.output
    with Project(other) as opened:
        assert opened.codings().empty
    unprinted = _write(tmp_path, "\n".join(",".join(line.split(",")[:2] + line.split(",")[3:]) for line in printed) + "\n")
    assert cli("apply", unprinted, "--project", other).exit_code == 0  # no fingerprint column: not checked
    refreshed = cli("codings", "--add-fingerprints", unprinted, *where)
    assert refreshed.output.splitlines() == printed
