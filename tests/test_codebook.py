import pytest

from conftest import CODEBOOK, run_qualcode
from qualcode import codebook
from qualcode.errors import Conflict

NINE = ["KV", "KT", "KD", "IN", "VB", "KG", "WG", "SW", "MW"]


def test_the_shipped_codebook_is_valid_and_complete():
    assert codebook.check(CODEBOOK) == []
    book = codebook.read(CODEBOOK)
    top = [code.id for code in book.codes]
    assert top[:9] == NINE
    assert {"HRM", "CTX", "OUT"} <= set(top)
    for code in book.codes[:9]:
        assert 2 <= len(code.children) <= 4, code.id
    hrm = next(code for code in book.codes if code.id == "HRM")
    assert [child.id for child in hrm.children] == ["HRM-A", "HRM-M", "HRM-O"]
    for code, _parent, _depth in book.walk():
        assert code.name and code.label and code.definition and code.include and code.exclude, code.id
        assert code.keywords and code.examples, code.id
    assert [code.id for code, _, _ in book.walk() if code.exclusive] == ["ROL"]


BROKEN = """\
title: Test
codes:
  - id: A
    name: Alpha
    colour: "#123456"
  - id: A
    name: Again
  - id: B
    color: "red"
  - id: C
    name: Gamma
    keywords: word
    exclusive: maybe
"""


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    assert codebook.check(path) == [
        (5, "unknown key 'colour' in code 'A'; allowed: children, color, definition, examples, exclude, "
            "exclusive, id, include, keywords, label, name, shortcut"),
        (6, "duplicate code id 'A' (first at line 3)"),
        (8, "code 'B' has no name; add 'name: ...'"),
        (9, "bad colour 'red' in code 'B': use #RRGGBB, e.g. \"#1F77B4\" (quoted)"),
        (12, "keywords of code 'C' must be a list (one '- item' per line)"),
        (13, "exclusive of code 'C' must be true or false"),
    ]
    result = run_qualcode("codebook", "check", path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1] == f"{path}:6: duplicate code id 'A' (first at line 3)"
    assert len(result.stderr.splitlines()) == 6


def test_yaml_syntax_errors_have_a_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("codes:\n  - id: A\n    name: [unclosed\n")
    [(line, message)] = codebook.check(path)
    assert line == 4 and message.startswith("not valid YAML")


def test_check_passes_on_the_shipped_codebook_from_the_cli(cli):
    result = cli("codebook", "check", CODEBOOK)
    assert result.exit_code == 0
    assert result.stdout == f"{CODEBOOK}: ok, 54 codes (13 top-level)\n"


def test_show_prints_the_nine_dimensions(tmp_path, cli):
    assert cli("init", tmp_path, "--codebook", CODEBOOK).exit_code == 0
    result = cli("codebook", "show", "--format", "json", cwd=tmp_path)
    import json

    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows if row["depth"] == 0][:9] == NINE
    tree = cli("codebook", "show", cwd=tmp_path, env={"COLUMNS": "200"}).stdout
    for name in ["Knowledge acquisition", "Knowledge use", "Knowledge sharing", "Client orientation",
                 "Employer orientation", "Methodical working"]:
        assert name in tree


def test_load_updates_by_id_and_keeps_codings(project, make_document, tmp_path):
    from qualcode.store import codings, new_guid, now, segments
    import sqlalchemy as sa

    make_document("d1", [("I", "interviewer", "Vraag"), ("R", "respondent", "Antwoord over scholing")])
    with project.store.atomic("test.code") as conn:
        project.store.ensure_coder(conn, "anna")
        segment_id = conn.execute(sa.select(segments.c.id)).scalar()
        conn.execute(codings.insert().values(segment_id=segment_id, code_id="KV-OPL", coder="anna",
                                             created_at=now(), guid=new_guid()))
    book = codebook.read(CODEBOOK)
    book.codes[0].children[0].name = "Training and courses"
    book.codes[0].children.append(codebook.Code(id="KV-NEW", name="New way of learning"))
    edited = tmp_path / "edited.yaml"
    edited.write_text(codebook.dump(book))
    report = project.load_codebook(edited)
    assert (report.added, report.updated, report.removed) == (["KV-NEW"], ["KV-OPL"], [])
    assert project.codes().set_index("id").loc["KV-OPL", ["name", "codings"]].tolist() == ["Training and courses", 1]

    book.codes[0].children = [child for child in book.codes[0].children if child.id != "KV-OPL"]
    edited.write_text(codebook.dump(book))
    with pytest.raises(Conflict, match=r"drops codes that have codings: KV-OPL \(1 codings\)"):
        project.load_codebook(edited)
    assert "KV-OPL" in project.codebook().ids()


def test_dump_round_trips(tmp_path, project):
    path = tmp_path / "out.yaml"
    path.write_text(codebook.dump(project.codebook()))
    assert codebook.check(path) == []
    original, again = codebook.read(CODEBOOK), codebook.read(path)
    strip = lambda book: [(c.id, p, c.name, c.label, c.definition, c.keywords, c.examples, c.color, c.exclusive)
                          for c, p, _ in book.walk()]
    assert strip(again) == strip(original)
    assert again.title == original.title and again.version == original.version
