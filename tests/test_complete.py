"""Shell completion: the script, and values completed from the project."""

import pytest
from click.shell_completion import ShellComplete

from sample_coding import build


@pytest.fixture
def coded(project, make_document, monkeypatch):
    build(project, make_document)
    monkeypatch.chdir(project.path.parent)
    monkeypatch.setenv("_QUALCODE_COMPLETE", "bash_complete")
    return project


def complete(*words):
    from qualcode.cli import cli

    *args, incomplete = words
    return [item.value for item in ShellComplete(cli, {}, "qualcode", "_QUALCODE_COMPLETE").get_completions(list(args), incomplete)]


@pytest.mark.parametrize("words, expected", [
    (("suggest", "k"), ["km01"]),
    (("suggest", "km01:"), ["km01:1", "km01:2"]),
    (("tag", "c"), ["cl01:"]),
    (("tag", "cl01:2", "KV-L"), ["KV-LEER"]),
    (("segments", "--code", "KT,KV-"), ["KT,KV-OPL", "KT,KV-ZELF", "KT,KV-LEER"]),
    (("segments", "--doc", ""), ["cl01", "km01"]),
    (("matrix", "--coder", ""), ["anna", "bram"]),
    (("matrix", "--rows", ""), ["municipality", "role"]),
    (("segments", "--attr", "r"), ["role="]),
    (("segments", "--attr", "role="), ["role=client", "role=klantmanager"]),
    (("memo", "add", "x", "--segment", "km01:"), ["km01:1", "km01:2"]),
])
def test_arguments_complete_from_the_project(coded, words, expected):
    assert complete(*words) == expected


def test_outside_a_project_nothing_is_completed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("_QUALCODE_COMPLETE", "bash_complete")
    assert complete("suggest", "k") == []


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")])
def test_completion_prints_the_script_for_each_shell(cli, shell, marker):
    result = cli("completion", shell)
    assert result.exit_code == 0
    assert "_QUALCODE_COMPLETE" in result.output and marker in result.output
