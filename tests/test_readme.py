"""The README, line by line: every ``sh`` block runs in order on a fresh project and must work.

Skipped: the two install commands (CI runs those) and the interactive coders (``qualcode code``,
``qualcode adjudicate``). qualcode lines run in-process, as a user's shell would run them.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import REPO

INTERACTIVE = ("qualcode code", "qualcode adjudicate")


def readme_lines() -> list[tuple[int, str]]:
    """(line number, command) of every ``sh`` block of the README, in order, but the skipped ones."""
    lines, block = [], None
    for number, line in enumerate((REPO / "README.md").read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            block = [] if line == "```sh" and block is None else None
            continue
        if block is not None and line.strip() and "pip install" not in line and not line.startswith(INTERACTIVE):
            lines.append((number, line))
    return lines


def run_line(line: str, cwd) -> tuple[int, str]:
    """Run one README line from ``cwd``: exit code and output; ``cd`` gives the new folder."""
    words = shlex.split(line, comments=True)
    if words[0] == "cd":
        return 0, str((cwd / words[1]).resolve())
    if words[0] != "qualcode":
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # the venv's qualcode
        done = subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True, env={**os.environ, "PATH": path})
        return done.returncode, done.stdout + done.stderr
    from qualcode.cli import cli as command

    target = None
    if ">" in words:
        words, target = words[:words.index(">")], words[words.index(">") + 1]
    result = CliRunner().invoke(command, words[1:], catch_exceptions=False)
    if target:
        (cwd / target).write_text(result.stdout, encoding="utf-8")
    return result.exit_code, result.output


def test_the_readme_runs_line_by_line_and_gives_what_the_demo_gives(demo_run, tmp_path, monkeypatch):
    from qualcode import Project

    for folder in ("codebooks", "transcripts", "survey"):
        (tmp_path / folder).symlink_to(REPO / folder)
    monkeypatch.setenv("COLUMNS", "160")
    cwd = tmp_path
    for number, line in readme_lines():
        monkeypatch.chdir(cwd)
        code, output = run_line(line, cwd)
        assert code == 0, f"README.md:{number}: {line}\n{output}"
        if line.startswith("cd "):
            cwd = type(tmp_path)(output)
    columns = ["name", "turns", "segments", "speakers"]
    with Project(tmp_path / "my-study") as mine, Project(demo_run[0]) as demo:
        assert mine.documents()[columns].equals(demo.documents()[columns])


def test_the_readme_lines_are_found():
    lines = [line for _, line in readme_lines()]
    assert lines[0] == "qualcode init my-study --codebook codebooks/professioneel-handelen.yaml"
    assert not any(re.match(r"qualcode (code|adjudicate)\b", line) or "pip install" in line for line in lines)
