"""User text is data: every terminal table shows speech, names, codes, memos and attributes
exactly as written, never as console markup (``[naam]`` is an anonymisation marker, not a tag)."""

import pytest

MARKED = "Alles gaat in [organisatie], ons [b]systeem[/b] [/] [link=x]hier[/link] voor [naam]"


@pytest.fixture
def marked(project, make_document, tmp_path, monkeypatch):
    make_document("km[1]", [("Eva", "interviewer", "Vraag?"), ("[naam]", "respondent", MARKED)],
                  attributes={"role": "[link=x]km", "municipality": "[b]Maasdelta"})
    project.add_code("X-B", "Naam [/] met [bold]opmaak", parent="KV")
    project.tag("km[1]:1", ["X-B", "KT-WET"], coder="anna")
    project.tag("km[1]:1", ["KT-WET"], coder="bram")
    project.add_memo("memo [/] met [naam]", segment="km[1]:1", author="anna")
    monkeypatch.chdir(project.path.parent)
    monkeypatch.setenv("COLUMNS", "400")
    return project


@pytest.mark.parametrize("command, expected", [
    (["segments"], [MARKED, "km[1]:1", "[link=x]km", "[b]Maasdelta"]),
    (["segments", "--code", "X-B"], [MARKED, "X-B"]),
    (["disagreements", "--coders", "anna,bram"], [MARKED, "X-B"]),
    (["codings"], ["km[1],1,", ",anna,KT-WET,memo [/] met [naam]"]),
    (["documents"], ["km[1]", "[link=x]km", "[b]Maasdelta"]),
    (["show", "km[1]"], [MARKED, "[naam]"]),
    (["memo", "list"], ["memo [/] met [naam]"]),
    (["codebook", "show"], ["X-B", "Naam [/] met [bold]opmaak"]),
    (["matrix", "--codes", "X-B"], ["km[1]", "X-B"]),
    (["agreement", "--coders", "anna,bram", "--codes", "X-B"], ["X-B"]),
    (["cooccurrence", "--codes", "X-B", "--codes", "KT-WET"], ["X-B"]),
    (["log", "--all"], ["km[1]:1"]),
])
def test_every_table_shows_user_text_literally(marked, cli, command, expected):
    result = cli(*command)
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output, (text, result.output)
