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
    assert [code.id for code, _, _ in book.walk() if code.exclusive] == ["ROL"]  # KBRON: a turn may name several sources


def test_the_shipped_codebook_cites_a_source_per_dimension_and_marks_employer_orientation_provisional():
    book = codebook.read(CODEBOOK)
    assert all(code.source for code in book.codes)
    confirmed = [code.id for code in book.codes if "International Journal of Social Welfare, 31(2)" in code.source]
    assert confirmed == ["KV", "KT", "KD", "IN", "VB", "KG", "SW", "MW"]
    employer = book.codes[NINE.index("WG")]
    assert employer.source.startswith("VOORLOPIG. Theoretisch model van het onderzoeksteam")
    assert "ZonMw-projectartikel" in employer.source


def test_in_the_shipped_codebook_exactly_the_codes_with_children_are_not_codable():
    book = codebook.read(CODEBOOK)
    assert [code.id for code, _, _ in book.walk() if not code.codable] == [
        code.id for code, _, _ in book.walk() if code.children]
    assert codebook.keyword_overlaps(book) == []
    assert book.rules[0].startswith("Bovenliggende codes: de dimensies en andere groepen")
    assert len(book.rules) == 6


def test_keyword_overlaps_name_both_codes_and_lines():
    book, problems = codebook.parse(
        "codes:\n  - id: A\n    name: Alpha\n    keywords: [intervisie, regie]\n"
        "  - id: B\n    name: Beta\n    keywords: [Intervisie]\n"
    )
    assert problems == []
    assert codebook.keyword_overlaps(book) == [
        (5, "keyword 'intervisie' of code 'B' is also a keyword of 'A' (line 2); keep it in one code")]


def test_codable_source_and_rules_round_trip_through_dump():
    text = ('rules:\n  - "Code the sub-codes."\ncodes:\n  - id: A\n    name: Alpha\n    source: "Smith 2020"\n'
            "    codable: false\n    children:\n      - id: A1\n        name: One\n")
    book, problems = codebook.parse(text)
    assert problems == []
    again, _ = codebook.parse(codebook.dump(book))
    assert (again.rules, again.codes[0].source, again.codes[0].codable, again.codes[0].children[0].codable) == (
        ["Code the sub-codes."], "Smith 2020", False, True)


def test_a_leaf_that_is_not_codable_is_a_problem():
    _, problems = codebook.parse("codes:\n  - id: A\n    name: Alpha\n    codable: false\n")
    assert problems == [(4, "code 'A' is not codable but has no children, so nothing below it can be coded")]


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
        (5, "unknown key 'colour' in code 'A'; allowed: children, codable, color, definition, examples, "
            "exclude, exclusive, id, include, keywords, label, name, shortcut, source"),
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
    assert result.stdout == f"{CODEBOOK}: ok, 63 codes (15 top-level)\n"


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
    assert "KV  Knowledge acquisition (Kennis verwerven) not codable" in tree
    assert "source: VOORLOPIG. Theoretisch model van het onderzoeksteam" in tree
    by_id = {row["id"]: row for row in rows}
    assert (by_id["KV"]["codable"], by_id["KV-OPL"]["codable"]) == (False, True)
    assert by_id["PH"]["source"].startswith("Kernvraag van het project")
    rules = run_qualcode("codebook", "show", "--rules", cwd=tmp_path).stdout.splitlines()
    assert len(rules) == 6 and rules[0].startswith("1. Bovenliggende codes: de dimensies en andere groepen")


def test_check_warns_about_a_keyword_in_two_codes_and_still_passes(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("codes:\n  - id: A\n    name: Alpha\n    keywords: [regie]\n"
                    "  - id: B\n    name: Beta\n    keywords: [regie]\n")
    result = run_qualcode("codebook", "check", path)
    assert (result.returncode, result.stdout) == (0, f"{path}: ok, 2 codes (2 top-level)\n")
    assert result.stderr == f"qualcode: warning: {path}:5: keyword 'regie' of code 'B' is also a keyword of 'A' (line 2); keep it in one code\n"


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


# ---- hostile and mistyped YAML -------------------------------------------------------------

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)) + "codes: *j\n"


@pytest.mark.parametrize("text,expected", [
    (ALIAS_BOMB, (1, "the anchor &a: a codebook has no use for YAML anchors and aliases; write each value out")),
    ("codes:\n  - &c\n    id: A\n    name: Alpha\n    children: [*c]\n",
     (2, "the anchor &c: a codebook has no use for YAML anchors and aliases; write each value out")),
    ("codes:\n  - id: A\n    name: *nothing\n",
     (3, "the alias *nothing: a codebook has no use for YAML anchors and aliases; write each value out")),
    ("codes: " + "[" * 300 + "]" * 300 + "\n",
     (1, "nested more than 40 levels deep; a codebook needs far fewer (check the indentation)")),
])
def test_anchors_aliases_and_deep_nesting_are_refused_at_once(tmp_path, text, expected):
    import time

    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    started = time.perf_counter()
    assert codebook.check(path) == [expected]
    assert time.perf_counter() - started < 1


def test_300_levels_of_children_are_refused_with_a_line_not_a_recursion_error(tmp_path):
    lines = ["codes:"]
    for depth in range(300):
        pad = "  " * (2 * depth)
        lines += [f"{pad}  - id: C{depth}", f"{pad}    name: Code {depth}", f"{pad}    children:"]
    lines.append("  " * 600 + "  - {id: LAST, name: Last}")
    path = tmp_path / "deep.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert codebook.check(path) == [(59, "nested more than 40 levels deep; a codebook needs far fewer (check the indentation)")]


UNCLOSED = """\
codes:
  - id: A
    name: "Alpha
    definition: Eerste code.
    include: altijd"
  - id: B
    name: Beta
    definition: |
      Een definitie met een regel die op een sleutel lijkt:
      name: dat mag in een blok.
"""


def test_a_quote_that_swallows_the_next_keys_is_warned_about_with_its_line(tmp_path, cli):
    path = tmp_path / "unclosed.yaml"
    path.write_text(UNCLOSED)
    book, problems = codebook.parse(UNCLOSED)
    assert problems == []
    assert book.codes[0].name == "Alpha definition: Eerste code. include: altijd"
    assert book.warnings == [(3, "the quoted name of code 'A' runs on to line 4, which looks like the key 'definition:'; "
                                 "is a closing \" missing? (the value is now 'Alpha definition: Eerste code. include: altijd'...)")]
    result = cli("codebook", "check", path)
    assert result.exit_code == 0
    assert result.output == (f"qualcode: warning: {path}:3: {book.warnings[0][1]}\n"
                             f"{path}: ok, 2 codes (2 top-level)\n")
    assert cli("init", tmp_path / "study").exit_code == 0
    loaded = cli("codebook", "load", path, "--project", tmp_path / "study")
    assert loaded.output.splitlines() == [f"qualcode: warning: {path}:3: {book.warnings[0][1]}",
                                          f"{path}: 2 added, 0 updated, 0 unchanged, 0 removed"]
