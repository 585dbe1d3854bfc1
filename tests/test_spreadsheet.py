"""Formula injection: every CSV and .xlsx writer, read back with hostile names, values, speech and memos."""

import csv
import io

import pytest
from openpyxl import load_workbook

from qualcode.spreadsheet import csv_cell, unescape

CALC = "=cmd|' /C calc'!A0"
HOSTILE = (CALC, "+1", "@SUM(A1)", "-2+3")


@pytest.mark.parametrize("value,escaped", [
    (CALC, "'" + CALC), ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\r=1", "'\r=1"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-2, -2), (-2.5, -2.5), (None, None),
    ("-2", "-2"), ("-1.5", "-1.5"), ("-1e-05", "-1e-05"), ("-2-3", "'-2-3"), ("- 2", "'- 2"), ("-", "'-"), ("+2", "'+2"),
])
def test_csv_cell_quotes_formula_text_and_leaves_numbers(value, escaped):
    assert csv_cell(value) == escaped
    assert csv_cell(value, raw=True) == value
    if isinstance(value, str):
        assert unescape(csv_cell(value)) == value


@pytest.fixture
def hostile(project, make_document):
    """Code names, attribute values, a speaker, speech and memos that a spreadsheet would run."""
    project.add_code("X1", CALC)
    project.add_code("X2", "+1", parent="X1")
    make_document("doc-a", [("I", "interviewer", "Vraag?"), ("R", "respondent", "R: " + CALC),
                            ("I", "interviewer", "En?"), ("@SUM(A1)", "respondent", CALC)],
                  attributes={"role": "@SUM(A1)", "municipality": CALC, "age": -2})
    make_document("doc-b", [("I", "interviewer", "Vraag?"), ("R", "respondent", "-2+3")],
                  attributes={"role": "+1", "municipality": "-2+3", "age": 40})
    for ref in ("doc-a:1", "doc-a:2", "doc-b:1"):
        project.tag(ref, ["X1", "X2"], coder="anna")
    project.add_memo("-2+3", segment="doc-a:2", author="anna")
    project.add_memo(CALC, code="X1", author="anna")
    return project


def _cells(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _assert_csv_escaped(cells, raw=False):
    for text in HOSTILE:
        assert ("'" + text in cells) is not raw, text
        assert (text in cells) is raw, text


def _xlsx_strings(path):
    """Every cell of every sheet: (sheet, value, data_type); formulas would show as type 'f'."""
    book = load_workbook(path)
    return [(sheet.title, cell.value, cell.data_type) for sheet in book for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("command", ["matrix", "cooccurrence"])
def test_matrix_csv_and_its_dictionary_escape_formula_text(hostile, tmp_path, cli, command):
    out = tmp_path / f"{command}.csv"
    assert cli(command, "--codes", "all", "--out", out, "--project", hostile.path).exit_code == 0
    dictionary = _cells(tmp_path / f"{command}.csv.dictionary.csv")
    assert f"'{CALC} (X1)" in dictionary and "'+1 (X2)" in dictionary
    if command == "matrix":
        cells = _cells(out)
        assert "'@SUM(A1)" in cells and "'-2+3" in cells and "'+1" in cells and "'" + CALC in cells
        assert "-2" in cells  # a negative number stays a number
        assert "'-2" not in cells


def test_matrix_csv_raw_keeps_the_bytes(hostile, tmp_path, cli):
    out = tmp_path / "m.csv"
    assert cli("matrix", "--codes", "all", "--raw", "--out", out, "--project", hostile.path).exit_code == 0
    cells = _cells(out)
    assert "@SUM(A1)" in cells and CALC in cells and "'" + CALC not in cells
    assert f"{CALC} (X1)" in _cells(tmp_path / "m.csv.dictionary.csv")


@pytest.mark.parametrize("command", ["matrix", "cooccurrence"])
def test_matrix_xlsx_writes_formula_text_as_strings(hostile, tmp_path, cli, command):
    out = tmp_path / f"{command}.xlsx"
    assert cli(command, "--codes", "all", "--out", out, "--project", hostile.path).exit_code == 0
    cells = _xlsx_strings(out)
    assert not [cell for cell in cells if cell[2] == "f"]
    values = {value for _, value, _ in cells}
    assert f"{CALC} (X1)" in values and "+1 (X2)" in values
    if command == "matrix":
        assert ("matrix", "@SUM(A1)", "s") in cells and ("matrix", "-2+3", "s") in cells
        assert ("matrix", -2, "n") in cells


def test_framework_xlsx_writes_formula_text_as_strings(hostile, tmp_path, cli):
    out = tmp_path / "framework.xlsx"
    assert cli("framework", "--codes", "all", "--out", out, "--project", hostile.path).exit_code == 0
    cells = _xlsx_strings(out)
    assert not [cell for cell in cells if cell[2] == "f"]
    assert ("framework", f"{CALC} (X1)", "s") in cells  # the code name in a header
    assert any(sheet == "framework" and "R: " + CALC in str(value) and kind == "s" for sheet, value, kind in cells)


def test_quotes_csv_escapes_unless_raw(hostile, tmp_path, cli):
    out = tmp_path / "quotes.csv"
    assert cli("quotes", "--memos", "--out", out, "--project", hostile.path).exit_code == 0
    cells = _cells(out)
    assert {"'" + CALC, "'+1", "'@SUM(A1)", "'-2+3"} <= set(cells)
    assert "'anna: -2+3" not in cells and "anna: -2+3" in cells  # the memo column starts with its author
    assert cli("quotes", "--raw", "--out", out, "--project", hostile.path).exit_code == 0
    assert {CALC, "+1", "@SUM(A1)", "-2+3"} <= set(_cells(out))


@pytest.mark.parametrize("args", [
    ("segments", "--format", "csv"),
    ("codings", "--format", "csv"),
    ("documents", "--format", "csv"),
    ("codebook", "show", "--format", "csv"),
    ("memo", "list", "--format", "csv"),
])
def test_csv_output_of_listing_commands_escapes_unless_raw(hostile, cli, args):
    result = cli(*args, "--project", hostile.path)
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.output)) for cell in row]
    found = [text for text in HOSTILE if "'" + text in cells]
    assert found and not [text for text in HOSTILE if text in cells]
    if args[0] == "segments":
        assert "-2" in cells and "'-2" not in cells  # doc-a's age, a negative number stored as text
    raw = cli(*args, "--raw", "--project", hostile.path)
    raw_cells = [cell for row in csv.reader(io.StringIO(raw.output)) for cell in row]
    assert [text for text in HOSTILE if text in raw_cells] == found


def test_codings_csv_round_trips_through_apply(hostile, tmp_path, cli):
    out = tmp_path / "anna.csv"
    out.write_text(cli("codings", "--coder", "anna", "--project", hostile.path).output, encoding="utf-8")
    assert "'-2+3" in out.read_text(encoding="utf-8")
    result = cli("apply", out, "--project", hostile.path)
    assert result.exit_code == 0, result.output
    assert "memos 0 added, 1 already present" in result.output


def test_every_command_that_writes_csv_takes_raw():
    import click

    from qualcode.cli import COMMANDS, cli

    ctx = click.Context(cli)
    commands = {}
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        subcommands = command.commands.items() if isinstance(command, click.Group) else [("", command)]
        commands |= {f"{name} {sub}".strip(): cmd for sub, cmd in subcommands}
    writes_csv = {
        name for name, command in commands.items()
        if any(param.name == "fmt" and "csv" in param.type.choices for param in command.params)
    } | {"matrix", "cooccurrence", "quotes"}
    assert {"segments", "codings", "documents", "disagreements", "suggest", "memo list", "log", "codebook show"} <= writes_csv
    for name in sorted(writes_csv):
        options = {opt for param in commands[name].params for opt in param.opts}
        assert "--raw" in options, name


def test_control_characters_in_speech_do_not_stop_xlsx_and_docx_exports(project, make_document, tmp_path, cli):
    import docx

    make_document("vt", [("I", "interviewer", "Vraag?"), ("R", "respondent", "Ant\x0bwoord met \x01 teken.")])
    project.tag("vt:1", ["KV-OPL"], coder="anna")
    where = ("--project", project.path)
    for command in (("framework", "--out", tmp_path / "f.xlsx"), ("framework", "--out", tmp_path / "f.docx"),
                    ("quotes", "--out", tmp_path / "q.docx")):
        result = cli(*command, *where)
        assert result.exit_code == 0, (command, result.output)
    assert any("Ant\ufffdwoord met \ufffd teken." in str(value) for _, value, _ in _xlsx_strings(tmp_path / "f.xlsx"))
    assert "Ant\ufffdwoord met \ufffd teken." in [p.text for p in docx.Document(tmp_path / "q.docx").paragraphs]
    cells = [cell.text for table in docx.Document(tmp_path / "f.docx").tables for row in table.rows for cell in row.cells]
    assert any("Ant\ufffdwoord met \ufffd teken." in text for text in cells)
