"""Joining the theme matrix onto a survey file, and the joint display (issue 16)."""

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from qualcode.errors import BadInput, UnknownItem
from test_export import build_survey
from test_matrices import built_copy


@pytest.fixture
def study(tmp_path_factory, tmp_path, backend):
    yield from built_copy(build_survey, tmp_path_factory, tmp_path, backend)


def write_survey(path):
    """A survey of three respondents: R01 and R02 were interviewed (R03 was interviewed but is
    not in it), R05 was not; it has a variable KV of its own that the themes must not overwrite."""
    data = pd.DataFrame({"respondent_id": ["R01", "R02", "R05"], "workload": [1.0, 2.0, 2.0], "KV": [7.0, 8.0, 9.0],
                         "score": [3.5, 4.0, 1.5]})
    pyreadstat.write_sav(data, path, column_labels={"respondent_id": "Respondent", "workload": "Workload",
                                                    "KV": "Survey item KV", "score": "Satisfaction score"},
                         variable_value_labels={"workload": {1: "low", 2: "high"}})
    return path


def test_join_keeps_every_survey_row_both_labels_and_lists_unmatched_keys(study, tmp_path, cli):
    survey = write_survey(tmp_path / "survey.sav")
    out = tmp_path / "merged.sav"
    result = cli("join", survey, "--out", out, "--codes", "KV", "--codes", "ROL", "--labels", "en", "--project", study.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"wrote {out} (3 survey rows, 2 of them interviewed)",
        "theme variable KV renamed qc_KV: the survey has a variable of that name",
        "survey only (not interviewed): 1: R05",
        "interview only (not in the survey): 1: R03",
        f"every unmatched key: {tmp_path / 'merged.sav.unmatched.csv'}",
    ]
    data, meta = pyreadstat.read_sav(out)
    assert meta.column_names == ["respondent_id", "workload", "KV", "score", "qc_interviewed", "document", "age",
                                 "municipality", "role", "qc_KV", "ROL"]
    rows = data.set_index("respondent_id")
    assert rows.loc["R01", ["KV", "qc_KV", "ROL", "qc_interviewed", "age"]].tolist() == [7.0, 1.0, 1.0, 1.0, 41.0]
    assert rows.loc["R05", ["KV", "qc_interviewed"]].tolist() == [9.0, 0.0]
    assert rows.loc["R05", ["qc_KV", "ROL", "age"]].isna().all()
    labels = meta.column_names_to_labels
    assert (labels["workload"], labels["KV"], labels["qc_KV"], labels["ROL"]) == (
        "Workload", "Survey item KV", "Knowledge acquisition (KV)", "Role conception (ROL)")
    assert meta.variable_value_labels["workload"] == {1: "low", 2: "high"}
    assert meta.variable_value_labels["qc_interviewed"] == {0: "not interviewed", 1: "interviewed"}
    assert meta.variable_value_labels["role"] == {1: "client", 2: "klantmanager"}
    assert meta.original_variable_types["qc_KV"] == "F8.0"
    assert (tmp_path / "merged.sav.unmatched.csv").read_text() == (
        "respondent_id,side\nR05,survey only: not interviewed\nR03,interview only: not in the survey\n")


def test_join_onto_a_csv_survey_with_numeric_keys(study, tmp_path):
    from qualcode.survey import key_text

    assert key_text(pd.Series([1001.0, None, 7.0])).tolist() == ["1001", pd.NA, "7"]
    (tmp_path / "survey.csv").write_text("respondent_id,q1\nR01,5\nR02,3\n", encoding="utf-8")
    joined = study.join_survey(tmp_path / "survey.csv", tmp_path / "merged.dta", codes=["KV"])
    data, meta = pyreadstat.read_dta(tmp_path / "merged.dta")
    assert data[["respondent_id", "q1", "KV", "qc_interviewed"]].values.tolist() == [["R01", 5, 2, 1], ["R02", 3, 1, 1]]  # counts
    assert (joined.survey_only, joined.interview_only, joined.renamed) == ([], ["R03"], {})


def test_join_refuses_an_unknown_key_and_a_duplicated_one(study, tmp_path):
    (tmp_path / "survey.csv").write_text("id,q1\nR01,5\n", encoding="utf-8")
    with pytest.raises(UnknownItem, match="^unknown survey variable 'respondent_id': known: id, q1; use --key"):
        study.join_survey(tmp_path / "survey.csv", tmp_path / "merged.csv")
    (tmp_path / "twice.csv").write_text("respondent_id,q1\nR01,5\nR01,6\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        study.join_survey(tmp_path / "twice.csv", tmp_path / "merged.csv")
    assert str(caught.value) == f"{tmp_path / 'twice.csv'}: respondent_id 'R01' is on more than one survey row; a key must name one respondent"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["study", "survey.csv", "twice.csv"]


def test_joint_display_shows_prevalence_and_a_quote_per_group(study, tmp_path, cli):
    survey = write_survey(tmp_path / "survey.sav")
    table = study.joint_display(survey, by="workload", codes=["KV", "MW", "ROL"])
    assert list(table.columns) == ["low", "high"] and list(table.index) == ["KV", "MW", "ROL"]
    assert table.loc["KV", "low"] == "1 of 1 (100%)\n\u201cIk deel dat met collega's.\u201d (km01:2)"
    assert table.loc["MW", "high"] == "1 of 1 (100%)\n\u201cIk werk planmatig met een plan van aanpak.\u201d (km02:2)"
    assert table.loc["ROL", "high"] == "0 of 1 (0%)"
    assert table.attrs["qualcode"]["interviewed_not_in_survey"] == ["R03"]
    assert list(study.joint_display(survey, by="score", codes=["KV"]).columns) == ["1.5", "3.5", "4.0"]
    for suffix in (".xlsx", ".docx"):
        result = cli("joint-display", survey, "--by", "workload", "--codes", "KV", "--labels", "en",
                     "--out", tmp_path / f"joint{suffix}", "--project", study.path)
        assert result.exit_code == 0, result.output
    rows = list(load_workbook(tmp_path / "joint.xlsx")["joint display"].iter_rows(values_only=True))
    assert rows[0] == ("theme", "low", "high")
    assert rows[1][0] == "Knowledge acquisition (KV)" and rows[1][2].startswith("1 of 1 (100%)")


def test_a_numeric_variable_with_many_values_is_cut_into_score_bands(tmp_path):
    from qualcode.survey import Survey, survey_groups

    scores = Survey(tmp_path / "s.csv", pd.DataFrame({"id": [f"R{i}" for i in range(9)], "score": range(1, 10)}), "id")
    groups, order = survey_groups(scores, "score", bands=3)
    assert order == ["score 1 to 3", "score 4 to 6", "score 7 to 9"]
    assert groups.tolist() == [order[0]] * 3 + [order[1]] * 3 + [order[2]] * 3


def test_demo_joins_the_fictional_survey(tmp_path_factory, tmp_path):
    """The demo's survey step on the sample interviews: KM01, KM02 and KM04 meet the survey;
    the other eight interviewees are listed, the 20 survey-only klantmanagers too."""
    from qualcode import Project
    from qualcode.demo import CODEBOOK, REFERENCE_CODING, _import_interviews, bundled, survey_step

    with Project.init(tmp_path / "demo", codebook=bundled(CODEBOOK)) as project:
        _import_interviews(project, lambda step, detail: None)
        project.apply_codings(bundled(REFERENCE_CODING))
        detail = survey_step(project, tmp_path)
    assert detail.splitlines()[:3] == [
        "joined the dimensions onto survey/klantmanagers.sav (fictional, 23 klantmanagers):",
        f"   {tmp_path / 'themes-survey.sav'}: 3 survey respondents interviewed; 20 not interviewed",
        "   interviewed but not in the survey: CL01, CL02, CL03, KM03, MG01, MG02, MG03, MG04 (listed in themes-survey.sav.unmatched.csv)",
    ]
    data, meta = pyreadstat.read_sav(tmp_path / "themes-survey.sav")
    assert len(data) == 23 and meta.column_names[:5] == ["respondent_id", "municipality", "workload", "caseload", "autonomy"]
    assert meta.variable_value_labels["workload"][5] == "zeer hoog"
    assert data.set_index("respondent_id").loc[["KM01", "KM02", "KM04"], "qc_interviewed"].tolist() == [1, 1, 1]
    assert data.set_index("respondent_id").loc["KM05", ["KV", "ROL"]].isna().all()
    rows = list(load_workbook(tmp_path / "joint-display.xlsx")["joint display"].iter_rows(values_only=True))
    assert rows[0] == ("theme", "laag", "gemiddeld", "hoog", "zeer hoog")
    assert rows[1][:3] == ("Kennis verwerven (KV)", "no interviewee", "no interviewee")


def test_documents_without_a_key_never_match_survey_rows_without_one(study, tmp_path):
    from test_matrices import add_interview

    add_interview(study, "km09", [("respondent", ["Tekst."])], {"role": "klantmanager"})
    add_interview(study, "km10", [("respondent", ["Tekst."])], {"role": "klantmanager"})
    study.tag("km09:1", ["KV"], coder="anna")
    study.tag("km10:1", ["KV"], coder="anna")
    (tmp_path / "survey.csv").write_text("respondent_id,q1\nR01,5\n,6\n", encoding="utf-8")
    joined = study.join_survey(tmp_path / "survey.csv", tmp_path / "merged.csv", codes=["KV"])
    assert joined.data["qc_interviewed"].tolist() == [1, 0]
    assert pd.isna(joined.data.loc[1, "KV"]) and joined.interview_only == ["R02", "R03"]


def test_join_without_out_only_reports_how_the_keys_match(study, tmp_path, cli):
    survey = write_survey(tmp_path / "survey.sav")
    result = cli("join", survey, "--project", study.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"{survey}: 3 survey rows, 2 of them interviewed; nothing written (give --out FILE)"
    assert "interview only (not in the survey): 1: R03" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["study", "survey.sav"]
