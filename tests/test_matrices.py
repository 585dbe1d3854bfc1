import json
from collections import defaultdict

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import CODEBOOK, copy_project
from qualcode.errors import BadInput, NotEnoughData, UnknownItem
from qualcode.store import NewDocument, NewSegment, NewTurn, codings, insert_document

TOP = ["KV", "KT", "KD", "IN", "VB", "KG", "WG", "SW", "MW", "KBRON", "PH", "HRM", "CTX", "OUT", "ROL"]
ANNA = {
    "km01:1": ["KV-OPL", "KV-LEER"], "km01:2": ["KD-COL", "KV-LEER"], "km01:3": ["KT-WET"],
    "km02:1": ["SW-INT"], "km02:2": ["MW-PLAN", "KV"], "cl01:1": ["KG-REL"],
}
BRAM = {"km01:1": ["KV-OPL"], "km01:3": ["KT-WET", "ROL-CTRL"], "km02:2": ["MW-PLAN"], "cl01:2": ["ROL-CTRL"]}


def add_interview(project, name, turns, attributes=None):
    """Insert a document: ``turns`` are (role, [sentence, ...]); each respondent sentence is a
    segment of its turn (a turn of one sentence is a turn segment). An attribute value is typed
    number (int) or category, or given as (text, type)."""
    text, new_turns, new_segments = "", [], []
    for index, (role, sentences) in enumerate(turns):
        start = len(text) + (2 if text else 0)
        text += ("\n\n" if text else "") + " ".join(sentences)
        new_turns.append(NewTurn("R" if role == "respondent" else "I", role, start, len(text)))
        offset = start
        for sentence in sentences if role == "respondent" else []:
            unit = "turn" if len(sentences) == 1 else "sentence"
            new_segments.append(NewSegment(unit, offset, offset + len(sentence), "R", index))
            offset += len(sentence) + 1
    attributes = {k: v if isinstance(v, tuple) else (str(v), "number" if isinstance(v, int) else "category")
                  for k, v in (attributes or {}).items()}
    with project.store.atomic("test.add_document", name) as conn:
        insert_document(project.store, conn, NewDocument(name, f"{name}.txt", name.rjust(64, "0"), text,
                                                         attributes=attributes, turns=new_turns, segments=new_segments))


def build_study(project, survey=False):
    """Three interviews coded by anna and bram; the numbers in the tests below follow from this.
    ``survey`` adds what a survey hand-off has: a respondent_id and a numeric attribute (age)."""
    def attrs(role, municipality, rid, age):
        return {"role": role, "municipality": municipality, **({"respondent_id": rid, "age": age} if survey else {})}

    add_interview(project, "km01", [
        ("interviewer", ["Hoe leert u?"]),
        ("respondent", ["Ik volg een cursus motiverende gespreksvoering."]),
        ("interviewer", ["En daarna?"]),
        ("respondent", ["Ik deel dat met collega's."]),
        ("respondent", ["De regels zijn streng."]),
    ], attrs("klantmanager", "Maasdelta", "R01", 41))
    add_interview(project, "km02", [
        ("respondent", ["Wij overleggen veel."]),
        ("respondent", ["Ik werk planmatig met een plan van aanpak."]),
    ], attrs("klantmanager", "Veenstad", "R02", 35))
    add_interview(project, "cl01", [
        ("respondent", ["Mijn klantmanager luistert."]),
        ("respondent", ["Ik moest solliciteren."]),
    ], attrs("client", "Veenstad", "R03", 52))
    for coder, coded in (("anna", ANNA), ("bram", BRAM)):
        for ref, code_ids in coded.items():
            project.tag(ref, code_ids, coder=coder)
    project.review("cl01:2", coder="anna")
    return project


_TEMPLATES = {}


def built_copy(build, tmp_path_factory, tmp_path, backend):
    """A project made by ``build``: built once per session and backend, copied for each test."""
    from qualcode import Project

    if (build, backend) not in _TEMPLATES:
        with Project.init(tmp_path_factory.mktemp("template"), codebook=CODEBOOK) as made:
            build(made)
            _TEMPLATES[build, backend] = made.path
    with Project(copy_project(_TEMPLATES[build, backend], tmp_path / "study")) as opened:
        yield opened


@pytest.fixture
def study(tmp_path_factory, tmp_path, backend):
    yield from built_copy(build_study, tmp_path_factory, tmp_path, backend)


def independent_counts(project, *, coders, per_coder=False, words=False):
    """Top-level counts from Project.segments and the codings table, with plain Python sets."""
    segs = project.segments().set_index("segment_id")
    codes = project.codes()
    parent = dict(zip(codes["id"], codes["parent_id"].fillna(""), strict=True))
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder)).all()
    seen, counts = set(), defaultdict(int)
    for segment_id, code_id, coder in rows:
        if coder not in coders:
            continue
        top = code_id
        while parent[top]:
            top = parent[top]
        key = (segment_id, top, coder if per_coder else None)
        if key in seen:
            continue
        seen.add(key)
        document = segs.loc[segment_id, "document"]
        counts[(document, top)] += len(segs.loc[segment_id, "text"].split()) if words else 1
    return dict(counts)


def nonzero(frame):
    return {(row, column): value for row, values in frame.iterrows() for column, value in values.items()
            if pd.notna(value) and value}


def test_counts_match_an_independent_tally_for_every_rule(study):
    union = study.matrix()
    assert list(union.columns) == TOP
    assert list(union.index) == ["cl01", "km01", "km02"] and union.index.name == "document"
    assert nonzero(union) == independent_counts(study, coders={"anna", "bram"})
    assert nonzero(union) == {
        ("cl01", "KG"): 1, ("cl01", "ROL"): 1,
        ("km01", "KV"): 2, ("km01", "KT"): 1, ("km01", "KD"): 1, ("km01", "ROL"): 1,
        ("km02", "KV"): 1, ("km02", "SW"): 1, ("km02", "MW"): 1,
    }
    every = study.matrix(coder="all")
    assert nonzero(every) == independent_counts(study, coders={"anna", "bram"}, per_coder=True)
    assert (every.loc["km01", "KV"], every.loc["km01", "KT"], every.loc["km02", "MW"]) == (3, 2, 2)
    anna = study.matrix(coder="anna")
    assert nonzero(anna) == independent_counts(study, coders={"anna"})
    assert anna.loc["km01", "ROL"] == 0


def test_the_result_states_the_coding_rule(study):
    assert study.matrix().attrs["qualcode"]["coding_rule"] == (
        "union of coders anna, bram: a segment has a code if any of them applied it")
    assert study.matrix(coder="all").attrs["qualcode"]["coding_rule"] == (
        "all codings of coders anna, bram, added up over coders (a segment coded by two coders counts twice)")
    assert study.matrix(coder="bram").attrs["qualcode"]["coding_rule"] == "codings by coder bram"
    study.tag("km01:1", ["KD-OVL"], coder="consensus")
    consensus = study.matrix()
    assert consensus.attrs["qualcode"]["coding_rule"] == "consensus codings (coder 'consensus')"
    assert nonzero(consensus) == {("km01", "KD"): 1}
    assert consensus.loc[["cl01", "km02"]].isna().all(axis=None)  # nobody in the rule reviewed them: missing, not 0
    assert study.matrix(coder="union").loc["km01", "KD"] == 1  # the consensus coder is no member of the union


def test_values_presence_share_and_words(study):
    presence = study.matrix(value="presence")
    assert presence.loc["km01"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    share = study.matrix(value="share")
    assert share.loc["km01", "KV"] == pytest.approx(2 / 3)
    assert share.loc["km02", "MW"] == pytest.approx(1 / 2)
    assert share.loc["cl01", "ROL"] == pytest.approx(1 / 2)
    # under "all": 3 KV codings over 5 segment reviews (anna reviewed km01:1-3, bram km01:1 and 3)
    assert study.matrix(value="share", coder="all").loc["km01", "KV"] == pytest.approx(3 / 5)
    words = study.matrix(value="words")
    assert nonzero(words) == independent_counts(study, coders={"anna", "bram"}, words=True)
    assert (words.loc["km01", "KV"], words.loc["km02", "MW"], words.loc["km01", "KT"]) == (6 + 5, 8, 4)
    assert study.matrix(value="words", coder="all").loc["km01", "KV"] == 6 + 5 + 6


def test_word_counts_agree_with_str_split_on_any_span():
    from qualcode.matrices import word_counts

    text = "Een  twee\u00a0drie\n\nvier, vijf.\tzes"
    spans = [(0, len(text)), (5, 9), (6, 14), (0, 0), (9, 10), (len(text) - 2, len(text)), (3, 5)]
    starts, ends = zip(*spans, strict=True)
    assert word_counts(text, starts, ends).tolist() == [len(text[s:e].split()) for s, e in spans]
    assert word_counts(text, starts, ends).tolist() == [6, 1, 2, 0, 0, 1, 0]


def test_sub_codes_roll_up_into_their_top_level_code(study):
    every_code = study.matrix(codes="all")
    assert list(every_code.columns[:4]) == ["KV", "KV-OPL", "KV-ZELF", "KV-LEER"]
    assert (every_code.loc["km01", "KV"], every_code.loc["km01", "KV-OPL"], every_code.loc["km01", "KV-LEER"]) == (2, 1, 2)
    assert every_code.loc["km02", "KV"] == 1 and every_code.loc["km02", "KV-OPL"] == 0
    listed = study.matrix(codes=["KV-LEER", "KT"])
    assert list(listed.columns) == ["KV-LEER", "KT"]
    assert listed.loc["km01"].tolist() == [2, 1]
    info = listed.attrs["qualcode"]["variables"]
    assert info["KT"]["source_codes"] == ["KT", "KT-WET", "KT-METH", "KT-AFW", "KT-WAT"]
    assert info["KT"]["label"] == "Kennis toepassen (KT)"  # the codebook's language is nl
    assert study.matrix(codes=["KT"], labels="en").attrs["qualcode"]["variables"]["KT"]["label"] == "Knowledge use (KT)"


def test_rows_by_attribute_sum_counts_and_average_shares(study):
    counts = study.matrix(rows="role")
    assert counts.index.name == "role" and list(counts.index) == ["client", "klantmanager"]
    assert counts.loc["klantmanager", ["documents", "KV", "KT", "ROL"]].tolist() == [2, 3, 1, 1]
    assert counts.loc["client", ["documents", "KG", "ROL"]].tolist() == [1, 1, 1]
    presence = study.matrix(rows="municipality", value="presence")
    assert presence.loc["Veenstad", ["documents", "KV", "ROL", "KG"]].tolist() == [2, 1, 1, 1]
    share = study.matrix(rows="role", value="share")
    assert share.loc["klantmanager", "KV"] == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_attribute_filters_and_attribute_columns(study):
    clients = study.matrix(attributes={"role": "Client"}, attribute_columns=True)
    assert list(clients.index) == ["cl01"]
    assert clients.loc["cl01", ["municipality", "role", "KG", "ROL"]].tolist() == ["Veenstad", "client", 1, 1]


def test_respondent_id_is_the_key_when_every_document_has_one(project):
    build_study(project, survey=True)
    frame = project.matrix(attribute_columns=True)
    assert frame.index.name == "respondent_id" and list(frame.index) == ["R03", "R01", "R02"]
    assert frame.loc["R01", "document"] == "km01"


def test_bad_inputs_name_the_valid_choices(study):
    with pytest.raises(UnknownItem) as caught:
        study.matrix(coder="ann")
    assert str(caught.value) == "unknown coder 'ann': did you mean anna, union?; use --coder anna, bram, consensus, union, all"
    with pytest.raises(BadInput) as caught:
        study.matrix(coder="consensus")
    assert str(caught.value) == "no consensus coding in this project yet (no coder named 'consensus'): use --coder anna, bram, union, all"
    with pytest.raises(UnknownItem) as caught:
        study.matrix(rows="gemeente")
    assert str(caught.value) == "unknown attribute 'gemeente': known: municipality, role; use --rows document or an attribute key"
    with pytest.raises(UnknownItem) as caught:
        study.matrix(attributes={"role": "manager"})
    assert str(caught.value) == "unknown role value 'manager': did you mean klantmanager?; see 'qualcode documents'"
    with pytest.raises(BadInput) as caught:
        study.matrix(value="mean")
    assert str(caught.value) == "unknown value 'mean': use one of count, presence, share, words"
    add_interview(study, "mgr01", [("respondent", ["Ik stuur het team aan."])], {"role": "manager"})
    with pytest.raises(NotEnoughData) as caught:
        study.matrix(attributes={"role": "manager"})
    assert str(caught.value) == (
        "no codings to count (union of coders anna, bram: a segment has a code if any of them applied it) "
        "in the selected documents and codes")


def test_no_coders_yet_says_so(project, make_document):
    make_document("km01", [("R", "respondent", "Tekst.")])
    with pytest.raises(NotEnoughData, match="^no coder has coded anything yet: code some segments with 'qualcode tag' first$"):
        project.matrix()


# ---- co-occurrence: a hand-built example with sentence segments inside turns ----------------

def build_cooccurrence(project):
    # d1: turn 1 = segments 1, 2; turn 2 = segment 3.  d2: turn 1 = segment 1.
    add_interview(project, "d1", [("respondent", ["Een.", "Twee."]), ("respondent", ["Drie."])])
    add_interview(project, "d2", [("respondent", ["Vier."])])
    for ref, code_ids in {"d1:1": ["KV", "KD"], "d1:2": ["KT"], "d1:3": ["KV-OPL"], "d2:1": ["KT", "KD"]}.items():
        project.tag(ref, code_ids, coder="anna")


@pytest.fixture
def cooc(tmp_path_factory, tmp_path, backend):
    yield from built_copy(build_cooccurrence, tmp_path_factory, tmp_path, backend)


CODES3 = ["KV", "KD", "KT"]


@pytest.mark.parametrize("within,expected", [
    ("segment", [[2, 1, 0], [1, 2, 1], [0, 1, 2]]),
    ("turn", [[2, 1, 1], [1, 2, 2], [1, 2, 2]]),
    ("document", [[1, 1, 1], [1, 2, 2], [1, 2, 2]]),
])
def test_cooccurrence_counts_at_each_level(cooc, within, expected):
    table = cooc.cooccurrence(within=within, codes=CODES3)
    assert list(table.index) == CODES3 and list(table.columns) == CODES3
    assert table.to_numpy().tolist() == expected


@pytest.mark.parametrize("within,kv_kd,kd_kt,kv_kt", [
    ("segment", 1 / 3, 1 / 3, 0.0),
    ("turn", 1 / 3, 1.0, 1 / 3),
    ("document", 1 / 2, 1.0, 1 / 2),
])
def test_cooccurrence_jaccard_at_each_level(cooc, within, kv_kd, kd_kt, kv_kt):
    table = cooc.cooccurrence(within=within, measure="jaccard", codes=CODES3)
    assert table.loc["KV", "KD"] == pytest.approx(kv_kd)
    assert table.loc["KD", "KT"] == pytest.approx(kd_kt)
    assert table.loc["KT", "KV"] == pytest.approx(kv_kt)
    assert [table.loc[c, c] for c in CODES3] == [1.0, 1.0, 1.0]


def test_cooccurrence_under_the_all_rule_counts_each_coders_units(cooc):
    cooc.tag("d2:1", ["KT", "KD"], coder="bram")
    assert cooc.cooccurrence(codes=CODES3, coder="all").loc["KD", "KT"] == 2
    assert cooc.cooccurrence(codes=CODES3, coder="union").loc["KD", "KT"] == 1


# ---- framework matrix ------------------------------------------------------------------------

def test_framework_cells_hold_quotes_memos_and_what_was_left_out(study):
    study.add_memo("sterk voorbeeld van scholing", segment="km01:1", author="anna")
    frame = study.framework(quotes=1)
    assert frame.loc["km01", "KV"] == (
        "\u201cIk volg een cursus motiverende gespreksvoering.\u201d (km01:1)\n"
        "memo (anna): sterk voorbeeld van scholing\n\n(+1 more)"
    )
    assert frame.loc["cl01", "ROL"] == "\u201cIk moest solliciteren.\u201d (cl01:2)"
    assert frame.loc["cl01", "KV"] == ""
    both = study.framework(quotes=2, codes=["KV"])
    assert both.loc["km01", "KV"].endswith("\u201cIk deel dat met collega's.\u201d (km01:2)")


# ---- the commands --------------------------------------------------------------------------

def test_matrix_command_prints_the_table_and_the_rule(study, cli):
    result = cli("matrix", "--codes", "KV", "--codes", "ROL", "--project", study.path)
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    assert [line.split("│")[1:4] for line in lines] == [
        [" cl01     ", "  0 ", "   1 "], [" km01     ", "  2 ", "   1 "], [" km02     ", "  1 ", "   0 "]]
    assert result.output.endswith("\ncoding rule: union of coders anna, bram: a segment has a code if any of them applied it\n")


def test_a_matrix_too_wide_for_the_terminal_is_shown_with_codes_as_rows(study, cli):
    result = cli("matrix", "--codes", "all", "--project", study.path, env={"COLUMNS": "70"})
    assert "count per document (transposed to fit: codes as rows)" in " ".join(result.output.split())
    rows = [line.split("│")[1:5] for line in result.output.splitlines() if line.startswith("│")]
    assert [cell.strip() for cell in rows[0]] == ["KV", "0", "2", "1"]
    assert [cell.strip() for cell in rows[2]] == ["KV-ZELF", "0", "0", "0"]


def test_a_table_wider_than_the_terminal_shows_the_columns_that_fit_and_none_empty(study, cli):
    result = cli("cooccurrence", "--codes", "all", "--project", study.path, env={"COLUMNS": "80"})
    header = next(line for line in result.output.splitlines() if line.startswith("┃"))
    cells = [cell.strip() for cell in header.split("┃")[1:-1]]
    assert cells == ["code", "KV", "KV-OPL", "KV-ZELF", "KV-LEER", "KT", "KT-WET", "KT-METH"]  # KBRON-REGEL widens the first
    assert result.output.endswith("the first 7 of 63 columns fit this terminal; write them all to a file with --out FILE.xlsx (or .csv)\n")


def test_the_coder_error_names_each_choice_once(study):
    study.consensus("union")
    with pytest.raises(UnknownItem) as caught:
        study.matrix(coder="nobody")
    assert str(caught.value) == "unknown coder 'nobody': known: all, anna, bram, consensus, union; use --coder anna, bram, consensus, union, all"


def test_matrix_command_writes_the_file_and_says_where(study, cli, tmp_path):
    out = tmp_path / "themes.csv"
    result = cli("matrix", "--value", "presence", "--attr", "role=klantmanager", "--out", out, "--project", study.path)
    assert result.output == (
        f"wrote {out} (2 rows x 17 columns)\n"
        f"data dictionary: {tmp_path / 'themes.csv.dictionary.csv'}, {tmp_path / 'themes.csv.dictionary.json'}\n"
    )
    assert out.read_text().splitlines()[:2] == [
        "document,municipality,role,KV,KT,KD,IN_v,VB,KG,WG,SW,MW,KBRON,PH,HRM,CTX,OUT,ROL",
        "km01,Maasdelta,klantmanager,1,1,1,0,0,0,0,0,0,0,0,0,0,0,1",
    ]
    assert json.loads((tmp_path / "themes.csv.dictionary.json").read_text())["coding_rule"].startswith("union of coders")


def test_cooccurrence_and_framework_commands_write_files(cooc, cli, tmp_path):
    result = cli("cooccurrence", "--within", "turn", "--codes", "KV", "--codes", "KD", "--codes", "KT",
                 "--out", tmp_path / "co.csv", "--project", cooc.path)
    assert result.exit_code == 0
    assert (tmp_path / "co.csv").read_text() == "code,KV,KD,KT\nKV,2,1,1\nKD,1,2,2\nKT,1,2,2\n"
    result = cli("framework", "--quotes", "1", "--out", tmp_path / "fw.docx", "--project", cooc.path)
    assert result.exit_code == 0 and (tmp_path / "fw.docx").is_file()


@pytest.mark.parametrize("args,line", [
    (["matrix", "--codes", "KX"], "unknown code 'KX': did you mean KV, KT, KG?; see 'qualcode codebook show'"),
    (["matrix", "--rows", "rol"], "unknown attribute 'rol': did you mean role?; use --rows document or an attribute key"),
    (["matrix", "--coder", "brem"], "unknown coder 'brem': did you mean bram?; use --coder anna, bram, consensus, union, all"),
    (["matrix", "--out", "m.txt"], "m.txt: cannot write a matrix as '.txt'; use one of .csv, .xlsx, .sav, .dta, .parquet"),
    (["framework", "--out", "f.csv"], "f.csv: cannot write a framework as '.csv'; use one of .xlsx, .docx"),
    (["matrix", "--attr", "role=manager", "--out", "m.csv"],
     "unknown role value 'manager': did you mean klantmanager?; see 'qualcode documents'"),
])
def test_bad_command_input_is_one_line_exit_2_and_writes_nothing(study, cli, tmp_path, args, line):
    result = cli(*args, "--project", study.path, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"qualcode: error: {line}\n"
    assert list(tmp_path.iterdir()) == [study.path.parent]


def test_matrices_compute_on_plain_frames_without_a_database():
    from dataclasses import replace

    from qualcode.codebook import Code, Codebook
    from qualcode.matrices import coding_rule, cooccurrence, matrix
    from qualcode.store.matrix import MatrixSources

    book = Codebook(title="t", version="1", language="nl", description="",
                    codes=[Code(id="A", name="Alpha", children=[Code(id="A1", name="Sub")]), Code(id="B", name="Beta")])
    sources = MatrixSources(
        coders={"anna": "human"},
        book=book,
        documents=pd.DataFrame({"document": pd.array(["d1", "d2"], dtype="string")}, index=pd.Index([1, 2], name="document_id")),
        attributes=pd.DataFrame({"document_id": [1, 2], "key": ["role", "role"], "value": ["client", "klantmanager"],
                                 "type": ["category", "category"]}),
        codings=pd.DataFrame({"segment_id": [10, 11, 12, 12], "code_id": pd.Categorical(["A1", "B", "A", "B"])}),
        segments=pd.DataFrame({"segment_id": [10, 11, 12], "document_id": [1, 1, 2], "turn_id": [1.0, 2.0, 3.0],
                               "number": [1, 2, 1], "start": [0, 5, 0], "end": [4, 9, 4]}),
        reviews=pd.DataFrame({"segment_id": [10, 11, 12], "coder": pd.Categorical(["anna"] * 3)}),
        unit="turn",
    )
    rule = coding_rule(sources.coders, None)
    table = matrix(sources, rule)
    assert table.to_dict() == {"A": {"d1": 1, "d2": 1}, "B": {"d1": 1, "d2": 1}}
    unreviewed = replace(sources, reviews=sources.reviews[sources.reviews["segment_id"] != 12],
                         codings=sources.codings[sources.codings["segment_id"] != 12])
    assert matrix(unreviewed, rule).loc["d2"].isna().all() and matrix(unreviewed, rule).loc["d1"].tolist() == [1, 1]
    unmarked = replace(sources, reviews=sources.reviews.iloc[:0])  # a coded segment counts as reviewed
    assert matrix(unmarked, rule).to_dict() == table.to_dict()
    assert table.attrs["qualcode"]["unit"] == "turn"
    assert matrix(sources, rule, attributes={"role": "Client"}).to_dict() == {"A": {"d1": 1}, "B": {"d1": 1}}
    assert cooccurrence(sources, rule).loc["A", "B"] == 1
