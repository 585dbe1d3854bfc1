"""codebook export over the file kept in git: only what changed changes."""

import difflib
import shutil

from conftest import CODEBOOK
from qualcode import codebook


def hunks(before: str, after: str) -> list[list[str]]:
    """The changed lines of each hunk of the diff from ``before`` to ``after``."""
    found = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""):
        if line.startswith("@@"):
            found.append([])
        elif found and line[:1] in "+-":
            found[-1].append(line)
    return found


def test_export_over_the_unchanged_file_changes_no_byte(project, cli, tmp_path):
    kept = tmp_path / "cb.yaml"
    shutil.copy(CODEBOOK, kept)
    result = cli("codebook", "export", kept, "--project", project.path)
    assert result.output == f"wrote {kept} (63 codes)\n"
    assert kept.read_bytes() == CODEBOOK.read_bytes()


def test_one_changed_code_gives_one_hunk_and_comments_and_quotes_stay(project, cli, tmp_path):
    kept = tmp_path / "cb.yaml"
    shutil.copy(CODEBOOK, kept)
    project.rename_code("KV-ZELF", "Self-study and reading")
    cli("codebook", "export", kept, "--project", project.path)
    after = kept.read_text(encoding="utf-8")
    assert hunks(CODEBOOK.read_text(encoding="utf-8"), after) == [
        ["-        name: Self-study", "+        name: Self-study and reading"]]
    assert after.startswith("# Codebook: Professioneel handelen van klantmanagers (qualcode)\n")
    assert '\nversion: "2.0.0"\n' in after


def test_added_and_removed_codes_land_in_their_place(project, tmp_path):
    kept = CODEBOOK.read_text(encoding="utf-8")
    book = codebook.read(CODEBOOK)
    knowledge = book.codes[0]
    knowledge.children.insert(1, codebook.Code("KV-PEER", "Learning from peers", definition="Leren van collega's."))
    del knowledge.children[2:]
    from qualcode.codebook_file import update

    after = update(kept, book)
    [changed] = hunks(kept, after)
    assert [line for line in changed if "- id:" in line] == [
        "-      - id: KV-ZELF", "-      - id: KV-LEER", "+      - id: KV-PEER"]
    assert changed[-2:] == ["+        name: Learning from peers", "+        definition: Leren van collega's."]
    path = tmp_path / "after.yaml"
    path.write_text(after, encoding="utf-8")
    assert [c.id for c in codebook.read(path).codes[0].children] == ["KV-OPL", "KV-PEER"]
