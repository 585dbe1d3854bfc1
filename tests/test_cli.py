import json
import subprocess
import sys

import click
import pytest

from conftest import CODEBOOK, REPO, run_qualcode
from qualcode.cli import cli as root


def _all_commands(group=root, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path,command", list(_all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_with_an_example(path, command, cli):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    if not isinstance(command, click.Group):
        assert "Example:" in result.output, f"qualcode {' '.join(path)} --help has no example"
        assert "qualcode " + path[0] in result.output


def test_help_and_version_do_not_import_heavy_libraries():
    code = (
        "import sys\nfrom qualcode.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'spacy', 'sklearn', 'sqlalchemy', 'numpy', 'rich', 'textual') if m in sys.modules))\n"
        "print(sorted(m for m in sys.modules if m.startswith('qualcode.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    heavy, commands_loaded = out.strip().splitlines()[-2:]
    assert heavy == "[]"
    assert commands_loaded == "[]", "listing the commands must not import them"


def test_the_command_list_shows_every_registered_command_with_its_summary(cli):
    from qualcode.cli import COMMANDS

    listed = cli("--help").output.split("Commands:")[1]
    for name, (_, summary) in COMMANDS.items():
        assert f"  {name} " in listed and summary in listed, name


def test_version():
    from qualcode import __version__

    result = run_qualcode("--version")
    assert result.stdout == f"qualcode, version {__version__}\n"


def test_bad_usage_exits_2_without_traceback(tmp_path):
    result = run_qualcode("status", "--format", "xml", cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--format'" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_project_is_one_line_and_exit_2(tmp_path):
    result = run_qualcode("status", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"qualcode: error: no qualcode project in {tmp_path.resolve()} or above; run 'qualcode init' here, "
        "or pass --project PATH (or set QUALCODE_PROJECT, or QUALCODE_DATABASE for a server)\n"
    )


def test_init_then_status_as_json(tmp_path, cli, backend):
    created = cli("init", tmp_path / "study", "--codebook", CODEBOOK)
    status = json.loads(cli("status", "--format", "json", "--project", tmp_path / "study").stdout)
    where = (tmp_path / "study" / "qualcode.sqlite" if backend == "sqlite"
             else f"{status['project']} (named in {tmp_path / 'study' / 'qualcode.toml'})")
    assert created.stdout == f"created {where} with 63 codes from {CODEBOOK}\n"
    assert (status["documents"], status["codes"], status["coders"]) == (0, 63, {})


def test_codebook_export_writes_the_projects_codebook(tmp_path, project, cli):
    out = tmp_path / "exported.yaml"
    result = cli("codebook", "export", out, "--project", project.path)
    assert result.output == f"wrote {out} (63 codes)\n"
    check = cli("codebook", "check", out)
    assert check.exit_code == 0
