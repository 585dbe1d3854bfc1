import json
import re
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from conftest import REPO
from qualcode import __version__
from qualcode.errors import BadInput
from qualcode.export import WRITERS, variable_name, variable_names
from test_matrices import add_interview, build_study, built_copy, cooc  # noqa: F401 - cooc is a fixture

RULE = "union of coders anna, bram: a segment has a code if any of them applied it"
CODE_VARIABLES = ["KV", "KT", "KD", "IN_v", "VB", "KG", "WG", "SW", "MW", "KBRON", "PH", "HRM", "CTX", "OUT", "ROL"]
CASE_VARIABLES = ["respondent_id", "document", "age", "municipality", "role"]


def build_survey(project):
    build_study(project, survey=True)


@pytest.fixture
def survey(tmp_path_factory, tmp_path, backend):
    yield from built_copy(build_survey, tmp_path_factory, tmp_path, backend)


@pytest.mark.parametrize("code,name", [
    ("KV-OPL", "KV_OPL"), ("KG.REL", "KG_REL"), ("TO", "TO_v"), ("with", "with_v"), ("in", "in_v"),
    ("str12", "str12_v"), ("1e-fase", "v1e_fase"), ("Één-op-één", "Een_op_een"), ("-", "v"),
    ("Knowledge acquisition and use of knowledge in daily practice", "Knowledge_acquisition_and_use_o"),
])
def test_variable_names_follow_spss_and_stata_rules(code, name):
    assert variable_name(code) == name
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", name)


def test_clashing_names_are_numbered_in_column_order():
    assert variable_names(["KV-OPL", "KV_OPL", "kv.opl", "KV"]) == {
        "KV-OPL": "KV_OPL", "KV_OPL": "KV_OPL_2", "kv.opl": "kv_opl_3", "KV": "KV"}


def test_sav_has_names_labels_value_labels_measures_and_provenance(survey, tmp_path):
    out = tmp_path / "themes.sav"
    written = survey.export_matrix(out, value="presence", labels="en")
    assert written == [out, *(tmp_path / f"themes.sav.{end}" for end in ("dictionary.csv", "dictionary.json", "R", "do"))]
    data, meta = pyreadstat.read_sav(out)
    assert meta.column_names == CASE_VARIABLES + CODE_VARIABLES
    assert data["respondent_id"].tolist() == ["R03", "R01", "R02"]
    assert data.loc[1, ["document", "age", "municipality", "role", "KV", "KT", "ROL", "SW"]].tolist() == [
        "km01", 41, 1, 2, 1, 1, 1, 0]
    labels = meta.column_names_to_labels
    assert (labels["KV"], labels["IN_v"], labels["respondent_id"]) == (
        "Knowledge acquisition (KV)", "Innovation of services (IN)", "Respondent")
    assert meta.variable_value_labels["role"] == {1: "client", 2: "klantmanager"}
    assert meta.variable_value_labels["municipality"] == {1: "Maasdelta", 2: "Veenstad"}
    assert meta.variable_value_labels["KV"] == {0: "absent", 1: "present"}
    assert "age" not in meta.variable_value_labels
    assert {name: meta.variable_measure[name] for name in ("respondent_id", "role", "age", "KV")} == {
        "respondent_id": "nominal", "role": "nominal", "age": "scale", "KV": "nominal"}
    assert meta.file_label == "personal data; qualcode matrix: presence by document"
    notes = " ".join(meta.notes)
    assert "codebook: Professioneel handelen van klantmanagers 2.0.0" in notes
    assert f"qualcode version: {__version__}" in notes
    assert re.search(r"exported at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", notes)


def test_counts_in_sav_are_scale_without_value_labels(survey, tmp_path):
    survey.export_matrix(tmp_path / "counts.sav", codes=["KV-OPL", "KT"], labels="en")
    data, meta = pyreadstat.read_sav(tmp_path / "counts.sav")
    assert meta.column_names[-2:] == ["KV_OPL", "KT"]
    assert data.set_index("respondent_id").loc["R01", ["KV_OPL", "KT"]].tolist() == [1, 1]
    assert (meta.variable_measure["KV_OPL"], "KV_OPL" in meta.variable_value_labels) == ("scale", False)
    assert meta.column_names_to_labels["KV_OPL"] == "Formal training (KV-OPL)"


def test_dta_has_names_labels_and_value_labels(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.dta", value="presence", labels="en")
    data, meta = pyreadstat.read_dta(tmp_path / "themes.dta")
    assert meta.column_names == CASE_VARIABLES + CODE_VARIABLES
    assert meta.column_names_to_labels["MW"] == "Methodical working (MW)"
    assert meta.variable_value_labels["role"] == {1: "client", 2: "klantmanager"}
    assert meta.variable_value_labels["ROL"] == {0: "absent", 1: "present"}
    assert data.set_index("respondent_id").loc["R03", ["role", "KG", "ROL", "KV"]].tolist() == [1, 1, 1, 0]
    assert meta.file_label == "personal data; qualcode matrix: presence by document"


def test_xlsx_has_the_matrix_and_a_dictionary_sheet(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.xlsx", value="share", labels="en")
    book = load_workbook(tmp_path / "themes.xlsx")
    assert book.sheetnames == ["matrix", "dictionary"]
    rows = list(book["matrix"].iter_rows(values_only=True))
    assert list(rows[0]) == CASE_VARIABLES + CODE_VARIABLES
    km01 = dict(zip(rows[0], rows[2], strict=True))
    assert (km01["respondent_id"], km01["role"], km01["age"]) == ("R01", "klantmanager", 41)
    assert km01["KV"] == pytest.approx(2 / 3) and km01["KD"] == pytest.approx(1 / 3)
    dictionary = list(book["dictionary"].iter_rows(values_only=True))
    assert dictionary[0] == ("variable", "label", "meaning", "source_codes", "reference", "value_labels", "measure", "storage")
    kv = next(row for row in dictionary if row[0] == "KV")
    assert kv[1] == "Knowledge acquisition (KV)"
    assert kv[2] == ("share of the respondent's reviewed segments coded KV or a sub-code (KV-OPL, KV-ZELF, KV-LEER); "
                     "per the respondent; missing (not 0) where none of the rule's coders reviewed any segment of the "
                     "document: system-missing in .sav, . in .dta, empty in .csv/.xlsx, null in .parquet")
    assert kv[3] == "KV KV-OPL KV-ZELF KV-LEER"
    about = {row[0]: row[1] for row in dictionary if row and row[0] in ("coding rule", "codebook", "qualcode version")}
    assert about == {"coding rule": RULE, "codebook": "Professioneel handelen van klantmanagers 2.0.0",
                     "qualcode version": __version__}


def test_parquet_reads_back_with_the_dictionary_in_its_metadata(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.parquet", value="words", rows="role")
    data = pd.read_parquet(tmp_path / "themes.parquet")
    assert data.columns.tolist()[:4] == ["role", "documents", "unreviewed", "KV"]
    assert data.set_index("role").loc["klantmanager", ["documents", "KV", "MW"]].tolist() == [2, 6 + 5 + 8, 8]
    assert data.attrs["qualcode"]["coding_rule"] == RULE


def test_csv_is_byte_identical_across_exports_and_the_json_records_provenance(survey, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    exported = survey.status()["audit_head"]  # the state exported; the export itself is logged after
    survey.export_matrix(first / "themes.csv")
    survey.export_matrix(second / "themes.csv")
    for name in ("themes.csv", "themes.csv.dictionary.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert (first / "themes.csv").read_text() == (
        "respondent_id,document,age,municipality,role,KV,KT,KD,IN_v,VB,KG,WG,SW,MW,KBRON,PH,HRM,CTX,OUT,ROL\n"
        "R03,cl01,52,Veenstad,client,0,0,0,0,0,1,0,0,0,0,0,0,0,0,1\n"
        "R01,km01,41,Maasdelta,klantmanager,2,1,1,0,0,0,0,0,0,0,0,0,0,0,1\n"
        "R02,km02,35,Veenstad,klantmanager,1,0,0,0,0,0,0,1,1,0,0,0,0,0,0\n"
    )
    dictionary = json.loads((first / "themes.csv.dictionary.json").read_text())
    assert {k: dictionary[k] for k in ("file", "kind", "coder", "coding_rule", "codebook", "value", "rows", "qualcode_version")} == {
        "file": "themes.csv", "kind": "matrix", "coder": "union", "coding_rule": RULE,
        "codebook": {"title": "Professioneel handelen van klantmanagers", "version": "2.0.0"},
        "value": "count", "rows": "document", "qualcode_version": __version__,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", dictionary["exported_at"])
    assert dictionary["audit_head"] == exported != survey.status()["audit_head"]
    assert survey.log(action="export")["target"].tolist() == ["matrix", "matrix"]
    kv = next(v for v in dictionary["variables"] if v["variable"] == "IN_v")
    assert (kv["column"], kv["label"], kv["source_codes"][0], kv["measure"]) == ("IN", "Innoveren van dienstverlening (IN)", "IN", "scale")
    assert kv["reference"].startswith("Van Berkel, R., Penning de Vries, J. & Van der Aa, P. (2022). Practising professionalism")
    employer = next(v for v in dictionary["variables"] if v["variable"] == "WG")
    assert employer["reference"].startswith("VOORLOPIG. Theoretisch model van het onderzoeksteam")


def test_cooccurrence_exports_with_the_code_as_key(cooc, tmp_path):
    frame = cooc.cooccurrence(within="document", codes=["KV", "KD", "KT"])
    cooc.export_matrix(tmp_path / "co.sav", frame=frame)
    data, meta = pyreadstat.read_sav(tmp_path / "co.sav")
    assert meta.column_names == ["code", "KV", "KD", "KT"]
    assert data.values.tolist() == [["KV", 1, 1, 1], ["KD", 1, 2, 2], ["KT", 1, 2, 2]]
    assert meta.file_label == "qualcode cooccurrence: count by code"


def test_framework_reads_back_from_xlsx_and_docx(survey, tmp_path):
    import docx

    frame = survey.framework(quotes=1, codes=["KV", "ROL"], labels="en")
    survey.export_matrix(tmp_path / "fw.xlsx", frame=frame)
    survey.export_matrix(tmp_path / "fw.docx", frame=frame)
    rows = list(load_workbook(tmp_path / "fw.xlsx")["framework"].iter_rows(values_only=True))
    assert rows[0] == ("Respondent", "Knowledge acquisition (KV)", "Role conception (ROL)")
    assert rows[2] == ("R01", "\u201cIk volg een cursus motiverende gespreksvoering.\u201d (km01:1)\n\n(+1 more)",
                       "\u201cDe regels zijn streng.\u201d (km01:3)")
    table = docx.Document(tmp_path / "fw.docx").tables[0]
    assert [cell.text for cell in table.rows[0].cells] == list(rows[0])
    assert [cell.text for cell in table.rows[1].cells] == ["R03", "", "\u201cIk moest solliciteren.\u201d (cl01:2)"]
    assert tuple(cell.text for cell in table.rows[2].cells) == rows[2]


def test_out_is_checked_before_any_work(survey, tmp_path):
    with pytest.raises(BadInput) as caught:
        survey.export_matrix(tmp_path / "nowhere" / "m.csv")
    assert str(caught.value) == f"{tmp_path / 'nowhere' / 'm.csv'}: the folder {tmp_path / 'nowhere'} does not exist; create it first"
    with pytest.raises(BadInput) as caught:
        survey.export_matrix(tmp_path / "m", coder="nobody")
    assert str(caught.value) == f"{tmp_path / 'm'}: cannot write a matrix as no suffix; use one of .csv, .xlsx, .sav, .dta, .parquet"


def test_readme_format_table_comes_from_the_writers():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 6. Theme matrices"):readme.index("### 7.")]
    table = re.findall(r"^\| `(\.\w+)` \| (.+?) \|$", section, flags=re.MULTILINE)
    assert table == [(suffix, writer.description) for suffix, writer in WRITERS.items()]


def test_demo_step_writes_the_dimension_matrix_in_three_formats(survey, tmp_path):
    from qualcode.demo import export_theme_matrices

    detail = export_theme_matrices(survey, tmp_path / "exports")
    exports = tmp_path / "exports"
    assert detail.splitlines() == [
        f"respondent x dimension matrix, 3 respondents x 15 top-level codes (coding rule: {RULE}):",
        f"   {exports / 'dimensions.csv'}",
        f"   {exports / 'dimensions.xlsx'}",
        f"   {exports / 'dimensions.sav'}",
        "   each with its data dictionary (dimensions.csv.dictionary.csv and .json); dimensions.sav.R and .do load it in R and Stata",
        "   respondents per code: KV 2, KT 1, KD 1, IN 0, VB 0, KG 1, WG 0, SW 1, MW 1, KBRON 0, PH 0, HRM 0, CTX 0, OUT 0, ROL 2",
    ]
    data, meta = pyreadstat.read_sav(exports / "dimensions.sav")
    assert data.set_index("respondent_id").loc["R01", "KV"] == 2
    assert meta.column_names_to_labels["KG"] == "Klantgerichtheid (KG)"


# ---- issue 16: missing is not zero, the key survives, every export reads back -----------------

def build_gaps(project):
    """The survey study plus km03 (R04), which only bram reviewed, with an interview date and no
    municipality: under --coder anna its cells are missing."""
    build_study(project, survey=True)
    add_interview(project, "km03", [("respondent", ["Ik leer veel."]), ("respondent", ["Ik plan."])],
                  {"respondent_id": "R04", "role": "klantmanager", "age": 29, "interview_date": ("2018-03-14", "date")})
    project.tag("km03:1", ["KV-OPL"], coder="bram")


@pytest.fixture
def gaps(tmp_path_factory, tmp_path, backend):
    yield from built_copy(build_gaps, tmp_path_factory, tmp_path, backend)


def test_an_unreviewed_respondent_is_missing_in_every_format(gaps, tmp_path):
    frame = gaps.matrix(coder="anna", codes=["KV", "MW"])
    assert frame.loc["R04"].isna().all() and frame.loc["R01"].tolist() == [2, 0]
    assert frame.attrs["qualcode"]["not_reviewed"] == 1
    for suffix in (".csv", ".sav", ".dta", ".parquet", ".xlsx"):
        gaps.export_matrix(tmp_path / f"m{suffix}", coder="anna", codes=["KV", "MW"])
    assert (tmp_path / "m.csv").read_text().splitlines()[1:] == [
        "R03,cl01,52,,Veenstad,client,0,0",
        "R01,km01,41,,Maasdelta,klantmanager,2,0",
        "R02,km02,35,,Veenstad,klantmanager,1,1",
        "R04,km03,29,2018-03-14,,klantmanager,,",
    ]
    sav, sav_meta = pyreadstat.read_sav(tmp_path / "m.sav")
    dta, dta_meta = pyreadstat.read_dta(tmp_path / "m.dta")
    parquet = pd.read_parquet(tmp_path / "m.parquet")
    for data in (sav, dta, parquet):
        row = data.set_index("respondent_id").loc["R04"]
        assert pd.isna(row["KV"]) and pd.isna(row["MW"]) and pd.isna(row["municipality"])
        assert data.set_index("respondent_id").loc["R01", "KV"] == 2
    assert parquet["KV"].dtype == "Int64" and parquet["municipality"].isna().tolist() == [False, False, False, True]
    rows = list(load_workbook(tmp_path / "m.xlsx")["matrix"].iter_rows(values_only=True))
    assert rows[4][-2:] == (None, None) and rows[4][4] is None
    assert (sav_meta.original_variable_types["KV"], sav_meta.original_variable_types["age"]) == ("F8.0", "F8.0")
    assert sav_meta.original_variable_types["interview_date"].startswith("DATE")
    assert dta_meta.original_variable_types["interview_date"] == "%td"
    assert str(sav.loc[3, "interview_date"]) == "2018-03-14" and pd.isna(sav.loc[0, "interview_date"])
    assert str(parquet.loc[3, "interview_date"]) == "2018-03-14"
    dictionary = json.loads((tmp_path / "m.sav.dictionary.json").read_text())
    assert dictionary["missing"].startswith("missing (not 0) where none of the rule's coders reviewed")
    assert dictionary["not_reviewed"] == 1


def test_rows_by_attribute_use_only_reviewed_documents_and_say_how_many(gaps):
    share = gaps.matrix(rows="role", value="share", coder="anna", codes=["KV"])
    assert share.loc["klantmanager", ["documents", "unreviewed"]].tolist() == [2, 1]
    assert share.loc["klantmanager", "KV"] == pytest.approx((2 / 3 + 1 / 2) / 2)  # km03 does not pull it down
    counts = gaps.matrix(rows="role", coder="bram", codes=["KV"])
    assert counts.loc["klantmanager", ["documents", "unreviewed", "KV"]].tolist() == [3, 0, 2]
    assert "reviewed documents" in counts.attrs["qualcode"]["variables"]["documents"]["meaning"]


def test_a_32_character_labelled_variable_writes_to_dta(survey, tmp_path):
    long_key = "gemeente_van_de_klantmanager_nu"[:31] + "x"
    assert len(long_key) == 32
    add_interview(survey, "km09", [("respondent", ["Tekst."])], {"respondent_id": "R09", long_key: "Maasdelta"})
    survey.tag("km09:1", ["KV-OPL"], coder="anna")
    survey.export_matrix(tmp_path / "m.dta", codes=["KV"])
    data, meta = pyreadstat.read_dta(tmp_path / "m.dta")
    assert long_key[:31] in meta.column_names
    assert meta.variable_value_labels[long_key[:31]] == {1: "Maasdelta"}


def test_a_failed_write_leaves_no_file(survey, tmp_path, monkeypatch):
    def broken(data, path, **options):
        Path(path).write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pyreadstat, "write_dta", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        survey.export_matrix(tmp_path / "m.dta")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["study"]


def test_an_attribute_named_like_a_code_gets_its_own_variable(survey, tmp_path):
    add_interview(survey, "km09", [("respondent", ["Tekst."])], {"respondent_id": "R09", "KV": "x"})
    survey.tag("km09:1", ["KV-OPL"], coder="anna")
    for suffix in (".sav", ".dta", ".parquet", ".csv"):
        survey.export_matrix(tmp_path / f"m{suffix}", codes=["KV"])
    data, meta = pyreadstat.read_sav(tmp_path / "m.sav")
    assert meta.column_names == ["respondent_id", "document", "KV_attribute", "age", "municipality", "role", "KV"]
    assert data.set_index("respondent_id").loc["R09", ["KV_attribute", "KV"]].tolist() == [1, 1]
    assert meta.variable_value_labels["KV_attribute"] == {1: "x"}
    listed = {row["variable"]: row for row in json.loads((tmp_path / "m.csv.dictionary.json").read_text())["variables"]}
    assert listed["KV_attribute"]["meaning"] == "case attribute 'KV' (category); renamed: a code is called 'KV'"
    assert listed["KV"]["source_codes"][0] == "KV"
    assert pd.read_parquet(tmp_path / "m.parquet").columns.tolist()[-2:] == ["role", "KV"]


def test_a_duplicated_respondent_id_is_an_error_unless_rows_add_them_up(survey):
    add_interview(survey, "km01b", [("respondent", ["Tweede gesprek."])], {"respondent_id": "R01", "role": "klantmanager"})
    survey.tag("km01b:1", ["KV-OPL"], coder="anna")
    with pytest.raises(BadInput) as caught:
        survey.matrix()
    assert str(caught.value) == (
        "respondent_id 'R01' is on more than one document (km01, km01b): a row per respondent needs one document "
        "each; add them up with --rows respondent_id, or correct the attribute")
    added = survey.matrix(rows="respondent_id", codes=["KV"])
    assert added.loc["R01", ["documents", "KV"]].tolist() == [2, 3]


def test_the_key_is_text_and_documents_without_one_are_listed(survey, tmp_path, cli):
    add_interview(survey, "km09", [("respondent", ["Tekst."])], {"role": "klantmanager"})
    add_interview(survey, "km10", [("respondent", ["Tekst."])], {"respondent_id": ("1001", "number")})
    for ref in ("km09:1", "km10:1"):
        survey.tag(ref, ["KV-OPL"], coder="anna")
    result = cli("matrix", "--codes", "KV", "--out", tmp_path / "m.sav", "--project", survey.path)
    assert result.exit_code == 0, result.output
    assert "documents without a respondent_id (no survey row can match them): km09\n" in result.output
    for data, meta in (pyreadstat.read_sav(tmp_path / "m.sav"), ):
        assert data["respondent_id"].tolist() == ["R03", "R01", "R02", "", "1001"]
        assert "respondent_id" not in meta.variable_value_labels
    survey.export_matrix(tmp_path / "m.dta", codes=["KV"])
    assert pyreadstat.read_dta(tmp_path / "m.dta")[0]["respondent_id"].tolist() == ["R03", "R01", "R02", "", "1001"]


def test_each_export_has_its_own_dictionary_and_sav_dta_get_scripts(survey, tmp_path):
    survey.export_matrix(tmp_path / "m.csv", value="presence")
    survey.export_matrix(tmp_path / "m.sav", value="count")
    survey.export_matrix(tmp_path / "m.dta", value="count")
    assert json.loads((tmp_path / "m.csv.dictionary.json").read_text())["value"] == "presence"
    assert json.loads((tmp_path / "m.sav.dictionary.json").read_text())["value"] == "count"
    r_script = (tmp_path / "m.sav.R").read_text()
    assert 'themes <- read_sav("m.sav")' in r_script
    assert 'merged <- left_join(survey, themes, by = "respondent_id")' in r_script
    assert 'themes$respondent_id <- as.character(themes$respondent_id)' in r_script
    do = (tmp_path / "m.dta.do").read_text()
    assert 'use "m.dta", clear' in do and "merge 1:1 respondent_id using `themes'" in do
    assert 'import spss using "m.sav", clear' in (tmp_path / "m.sav.do").read_text()
    assert 'read_dta("m.dta")' in (tmp_path / "m.dta.R").read_text()


@pytest.mark.parametrize("labels,kv", [("nl", "Kennis verwerven (KV)"), ("en", "Knowledge acquisition (KV)"), (None, "Kennis verwerven (KV)")])
def test_labels_choose_the_language_of_the_variable_labels(survey, tmp_path, cli, labels, kv):
    result = cli("matrix", "--codes", "KV", *(["--labels", labels] if labels else []), "--out", tmp_path / "m.sav",
                 "--project", survey.path)
    assert result.exit_code == 0, result.output
    assert pyreadstat.read_sav(tmp_path / "m.sav", metadataonly=True)[1].column_names_to_labels["KV"] == kv


def test_export_tells_its_progress(survey, tmp_path):
    told = []
    survey.export_matrix(tmp_path / "m.csv", progress=lambda *step: told.append(step))
    assert told == [("reading the codings", 0, None), ("counting the codings", 0, None), ("writing m.csv (3 rows)", 0, None)]
    for table in (survey.cooccurrence, survey.framework):  # the matrix commands that print or write a table
        told.clear()
        table(progress=lambda *step: told.append(step))
        assert told == [("reading the codings", 0, None), ("counting the codings", 0, None)]
