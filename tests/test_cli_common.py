"""Terminal tables: the first rows with a count of the rest, long text given the width."""

import pytest

LONG = ("Ik heb vorig jaar de vakopleiding klantmanager gedaan en daarna nog een cursus over "
        "motiverende gespreksvoering, en dat heeft mijn gesprekken echt veranderd.")


@pytest.fixture
def many(project, make_document):
    turns = []
    for n in range(60):
        turns += [("I", "interviewer", "En toen?"), ("Karin", "respondent", f"antwoord {n + 1}. {LONG}")]
    make_document("km01", turns, {"role": "klantmanager", "municipality": "Maasdelta", "team": "werk en inkomen"})
    return project


def test_a_table_shows_the_first_rows_and_counts_the_rest(many, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    shown = cli("segments", "--project", many.path)
    assert "km01:50 " in shown.output and "km01:51 " not in shown.output
    assert shown.output.endswith("first 50 of 60 rows; --all shows every row, --format csv writes them for a spreadsheet\n")
    every = cli("segments", "--all", "--project", many.path)
    assert "km01:60 " in every.output and "first 50" not in every.output
    assert len(cli("segments", "--format", "csv", "--project", many.path).output.splitlines()) == 61


def test_long_text_gets_the_width_at_160_columns(many, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    output = cli("segments", "--project", many.path).output
    widest = max(len(line.split("│")[4].strip()) for line in output.splitlines() if line.count("│") > 4)
    assert widest >= 60


def test_a_table_too_wide_for_its_text_becomes_one_block_per_row(many, cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    output = cli("segments", "--project", many.path).output
    assert "│" not in output
    assert "km01:1  speaker: Karin  time: 0:10  municipality: Maasdelta" in output
    assert "antwoord 1. Ik heb vorig jaar de vakopleiding klantmanager gedaan en daarna nog" in output


@pytest.mark.parametrize("args, line", [
    (["export", "codebook", "cb.yaml"], "cb.yaml: a REFI-QDA codebook is .qdc, not .yaml; for a .yaml file use 'qualcode codebook export cb.yaml'"),
    (["export", "project", "p.qdc"], "p.qdc: a REFI-QDA project is .qdpx, not .qdc; for a .qdc file use 'qualcode export codebook p.qdc'"),
    (["codebook", "load", "cb.qdc"], "cb.qdc: a codebook file is .yaml or .yml, not .qdc; for a .qdc file use 'qualcode import cb.qdc'"),
    (["codebook", "export", "cb.qdc"], "cb.qdc: a codebook file is .yaml or .yml, not .qdc; for a .qdc file use 'qualcode export codebook cb.qdc'"),
    (["codebook", "export", "cb.txt"], "cb.txt: a codebook file is .yaml or .yml, not .txt; give a .yaml or .yml file"),
])
def test_a_suffix_that_does_not_fit_the_format_is_refused_with_the_command_that_fits(project, cli, tmp_path, args, line):
    (tmp_path / "cb.qdc").write_text("<CodeBook/>")
    result = cli(*args, "--project", project.path, cwd=tmp_path)
    assert (result.exit_code, result.stderr) == (2, f"qualcode: error: {line}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.qdc", "study"]


def test_progress_is_drawn_on_a_terminal_stderr_only(monkeypatch):
    import io
    import sys

    from qualcode.cli.common import progress_on_stderr

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, drawn in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        with progress_on_stderr() as progress:
            progress("scoring segments", 2, 2)
            progress("writing 5 codings", 0, 5)  # a new step after a finished one
            progress("writing 5 codings", 3, 5)
        assert ("scoring segments" in stream.getvalue()) is drawn
        assert ("writing 5 codings" in stream.getvalue() and "3/5" in stream.getvalue()) is drawn


def test_csv_into_a_file_counts_its_rows_on_a_terminal_stderr_after_a_second(monkeypatch):
    import io
    import itertools
    import sys

    from qualcode.cli import common

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    # (stdout, seconds per clock reading, counted): onto the terminal the rows show it, and a
    # CSV written within a second draws nothing (nor loads rich)
    for out, tick, counted in ((io.StringIO(), 1.0, True), (io.StringIO(), 0.0, False), (Terminal(), 1.0, False)):
        clock = itertools.count(step=tick)
        monkeypatch.setattr(common.time, "monotonic", lambda: next(clock))
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", Terminal())
        common._write_csv(["n"], ({"n": n} for n in range(3)))
        assert out.getvalue() == "n\n0\n1\n2\n"
        assert ("writing CSV rows" in sys.stderr.getvalue() and "3/?" in sys.stderr.getvalue()) is counted


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("shown", [5, 60])
def test_a_stream_of_rows_renders_as_the_same_rows_in_a_list(fmt, shown, monkeypatch):
    """``log`` streams its entries: a table keeps only the rows it shows, CSV writes as it reads."""
    import click
    from click.testing import CliRunner

    from qualcode.cli.common import emit, format_option

    rows = [{"id": n, "text": f"={n}" if n % 7 == 0 else LONG[:n], "extra": "not a column"} for n in range(shown)]

    @click.command()
    @format_option()
    @click.option("--stream", is_flag=True)
    def show(fmt, stream):
        emit(iter(rows) if stream else rows, fmt, columns=["id", "text"], empty="nothing")

    monkeypatch.setenv("COLUMNS", "120")
    listed, streamed = (CliRunner().invoke(show, ["--format", fmt, *extra]) for extra in ([], ["--stream"]))
    assert listed.exit_code == streamed.exit_code == 0
    assert streamed.output == listed.output
    assert "not a column" not in streamed.output and ("'=0" in streamed.output) == (fmt == "csv")
    assert ("first 50 of 60 rows" in streamed.output) == (fmt == "table" and shown == 60)
