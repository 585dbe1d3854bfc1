import json
import re

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from conftest import REPO
from qualcode import __version__
from qualcode.errors import BadInput
from qualcode.export import WRITERS, variable_name, variable_names
from test_matrices import build_study, built_copy, cooc  # noqa: F401 - cooc is a fixture

RULE = "union of coders anna, bram: a segment has a code if any of them applied it"
CODE_VARIABLES = ["KV", "KT", "KD", "IN_v", "VB", "KG", "WG", "SW", "MW", "HRM", "CTX", "OUT", "ROL"]
CASE_VARIABLES = ["respondent_id", "document", "age", "municipality", "role"]


def build_survey(project):
    build_study(project, survey=True)


@pytest.fixture
def survey(tmp_path_factory, tmp_path):
    yield from built_copy(build_survey, tmp_path_factory, tmp_path)


@pytest.mark.parametrize("code,name", [
    ("KV-OPL", "KV_OPL"), ("KG.REL", "KG_REL"), ("TO", "TO_v"), ("with", "with_v"), ("in", "in_v"),
    ("str12", "str12_v"), ("1e-fase", "v1e_fase"), ("Één-op-één", "Een_op_een"), ("-", "v"),
    ("Knowledge acquisition and use of knowledge in daily practice", "Knowledge_acquisition_and_use_of"),
])
def test_variable_names_follow_spss_and_stata_rules(code, name):
    assert variable_name(code) == name
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", name)


def test_clashing_names_are_numbered_in_column_order():
    assert variable_names(["KV-OPL", "KV_OPL", "kv.opl", "KV"]) == {
        "KV-OPL": "KV_OPL", "KV_OPL": "KV_OPL_2", "kv.opl": "kv_opl_3", "KV": "KV"}


def test_sav_has_names_labels_value_labels_measures_and_provenance(survey, tmp_path):
    out = tmp_path / "themes.sav"
    written = survey.export_matrix(out, value="presence")
    assert written == [out, tmp_path / "themes.dictionary.csv", tmp_path / "themes.dictionary.json"]
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
    assert meta.file_label == "qualcode matrix: presence by document"
    notes = " ".join(meta.notes)
    assert "codebook: Professioneel handelen van klantmanagers 1.0.0" in notes
    assert f"qualcode version: {__version__}" in notes
    assert re.search(r"exported at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", notes)


def test_counts_in_sav_are_scale_without_value_labels(survey, tmp_path):
    survey.export_matrix(tmp_path / "counts.sav", codes=["KV-OPL", "KT"])
    data, meta = pyreadstat.read_sav(tmp_path / "counts.sav")
    assert meta.column_names[-2:] == ["KV_OPL", "KT"]
    assert data.set_index("respondent_id").loc["R01", ["KV_OPL", "KT"]].tolist() == [1, 1]
    assert (meta.variable_measure["KV_OPL"], "KV_OPL" in meta.variable_value_labels) == ("scale", False)
    assert meta.column_names_to_labels["KV_OPL"] == "Formal training (KV-OPL)"


def test_dta_has_names_labels_and_value_labels(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.dta", value="presence")
    data, meta = pyreadstat.read_dta(tmp_path / "themes.dta")
    assert meta.column_names == CASE_VARIABLES + CODE_VARIABLES
    assert meta.column_names_to_labels["MW"] == "Methodical working (MW)"
    assert meta.variable_value_labels["role"] == {1: "client", 2: "klantmanager"}
    assert meta.variable_value_labels["ROL"] == {0: "absent", 1: "present"}
    assert data.set_index("respondent_id").loc["R03", ["role", "KG", "ROL", "KV"]].tolist() == [1, 1, 1, 0]
    assert meta.file_label == "qualcode matrix: presence by document"


def test_xlsx_has_the_matrix_and_a_dictionary_sheet(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.xlsx", value="share")
    book = load_workbook(tmp_path / "themes.xlsx")
    assert book.sheetnames == ["matrix", "dictionary"]
    rows = list(book["matrix"].iter_rows(values_only=True))
    assert list(rows[0]) == CASE_VARIABLES + CODE_VARIABLES
    km01 = dict(zip(rows[0], rows[2], strict=True))
    assert (km01["respondent_id"], km01["role"], km01["age"]) == ("R01", "klantmanager", 41)
    assert km01["KV"] == pytest.approx(2 / 3) and km01["KD"] == pytest.approx(1 / 3)
    dictionary = list(book["dictionary"].iter_rows(values_only=True))
    assert dictionary[0] == ("variable", "label", "meaning", "source_codes", "value_labels", "measure")
    kv = next(row for row in dictionary if row[0] == "KV")
    assert kv[1] == "Knowledge acquisition (KV)"
    assert kv[2] == "share of the respondent's segments coded KV or a sub-code (KV-OPL, KV-ZELF, KV-LEER); per the respondent"
    assert kv[3] == "KV KV-OPL KV-ZELF KV-LEER"
    about = {row[0]: row[1] for row in dictionary if row and row[0] in ("coding rule", "codebook", "qualcode version")}
    assert about == {"coding rule": RULE, "codebook": "Professioneel handelen van klantmanagers 1.0.0",
                     "qualcode version": __version__}


def test_parquet_reads_back_with_the_dictionary_in_its_metadata(survey, tmp_path):
    survey.export_matrix(tmp_path / "themes.parquet", value="words", rows="role")
    data = pd.read_parquet(tmp_path / "themes.parquet")
    assert data.columns.tolist()[:3] == ["role", "documents", "KV"]
    assert data.set_index("role").loc["klantmanager", ["documents", "KV", "MW"]].tolist() == [2, 6 + 5 + 8, 8]
    assert data.attrs["qualcode"]["coding_rule"] == RULE


def test_csv_is_byte_identical_across_exports_and_the_json_records_provenance(survey, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    survey.export_matrix(first / "themes.csv")
    survey.export_matrix(second / "themes.csv")
    for name in ("themes.csv", "themes.dictionary.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert (first / "themes.csv").read_text() == (
        "respondent_id,document,age,municipality,role,KV,KT,KD,IN_v,VB,KG,WG,SW,MW,HRM,CTX,OUT,ROL\n"
        "R03,cl01,52,Veenstad,client,0,0,0,0,0,1,0,0,0,0,0,0,1\n"
        "R01,km01,41,Maasdelta,klantmanager,2,1,1,0,0,0,0,0,0,0,0,0,1\n"
        "R02,km02,35,Veenstad,klantmanager,1,0,0,0,0,0,0,1,1,0,0,0,0\n"
    )
    dictionary = json.loads((first / "themes.dictionary.json").read_text())
    assert {k: dictionary[k] for k in ("file", "kind", "coder", "coding_rule", "codebook", "value", "rows", "qualcode_version")} == {
        "file": "themes.csv", "kind": "matrix", "coder": "union", "coding_rule": RULE,
        "codebook": {"title": "Professioneel handelen van klantmanagers", "version": "1.0.0"},
        "value": "count", "rows": "document", "qualcode_version": __version__,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", dictionary["exported_at"])
    assert dictionary["audit_head"] == survey.status()["audit_head"] == survey.verify_log().head
    kv = next(v for v in dictionary["variables"] if v["variable"] == "IN_v")
    assert (kv["column"], kv["label"], kv["source_codes"][0], kv["measure"]) == ("IN", "Innovation of services (IN)", "IN", "scale")


def test_cooccurrence_exports_with_the_code_as_key(cooc, tmp_path):
    frame = cooc.cooccurrence(within="document", codes=["KV", "KD", "KT"])
    cooc.export_matrix(tmp_path / "co.sav", frame=frame)
    data, meta = pyreadstat.read_sav(tmp_path / "co.sav")
    assert meta.column_names == ["code", "KV", "KD", "KT"]
    assert data.values.tolist() == [["KV", 1, 1, 1], ["KD", 1, 2, 2], ["KT", 1, 2, 2]]
    assert meta.file_label == "qualcode cooccurrence: count by code"


def test_framework_reads_back_from_xlsx_and_docx(survey, tmp_path):
    import docx

    frame = survey.framework(quotes=1, codes=["KV", "ROL"])
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
        f"respondent x dimension matrix, 3 respondents x 13 top-level codes (coding rule: {RULE}):",
        f"   {exports / 'dimensions.csv'}",
        f"   {exports / 'dimensions.xlsx'}",
        f"   {exports / 'dimensions.sav'}",
        f"   data dictionary: {exports / 'dimensions.dictionary.csv'} and .json",
        "   respondents per code: KV 2, KT 1, KD 1, IN 0, VB 0, KG 1, WG 0, SW 1, MW 1, HRM 0, CTX 0, OUT 0, ROL 2",
    ]
    data, meta = pyreadstat.read_sav(exports / "dimensions.sav")
    assert data.set_index("respondent_id").loc["R01", "KV"] == 2
    assert meta.column_names_to_labels["KG"] == "Client orientation (KG)"
