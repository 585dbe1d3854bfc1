import csv

import docx
import pytest

from qualcode.errors import BadInput, NotEnoughData
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    project.add_memo("Sanctie als keerpunt", segment="cl01:2", author="bram")
    project.add_memo("Wet versus eigen oordeel", code="KT-WET", author="anna")
    return project


def _code(project, code_id):
    return next(code for code, _, _ in project.codebook().walk() if code.id == code_id)


def test_quotes_docx_has_a_heading_per_code_then_quotes_with_attribution(coded, tmp_path, cli):
    out = tmp_path / "quotes.docx"
    result = cli("quotes", "--code", "KT", "--memos", "--out", out, "--project", coded.path)
    assert result.output == f"wrote {out}: 2 quotes under 1 codes\n"
    wet = _code(coded, "KT-WET")
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    assert paragraphs == [
        ("Title", "Quotes"),
        ("Normal", "2 quotes under 1 codes"),
        ("Heading 1", "Coding rules"),
        *[("List Number", rule) for rule in coded.codebook().rules],
        ("Heading 2", f"KT-WET {wet.name}"),
        ("Normal", wet.definition),
        ("Normal", "Memo (anna): Wet versus eigen oordeel"),
        ("Quote", "Ik kreeg een Sanctie; ik was écht boos op de Gemeente."),
        ("Normal", "cl01:2, R, 0:30; coded by bram"),  # no attribute unless asked for by name
        ("Normal", "Memo (bram): Sanctie als keerpunt"),
        ("Quote", "De Participatiewet pas ik streng toe."),
        ("Normal", "km01:2, R, 0:30; coded by anna, bram"),
    ]


def test_quotes_filtered_by_attribute_and_coder_without_memos(coded, tmp_path):
    out = tmp_path / "anna.docx"
    sections = coded.quotes(out, attributes={"role": "klantmanager"}, coder="anna", show_attributes=["role"])
    assert [(s.code, [q.ref for q in s.quotes]) for s in sections] == [
        ("KV-LEER", ["km01:1"]), ("KT-WET", ["km01:2"]), ("ROL-CTRL", ["km01:2"]),
    ]
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    assert texts[1] == "3 quotes under 3 codes (role=klantmanager, coder anna)"
    assert "km01:1, R, 0:10; role: klantmanager; coded by anna" in texts
    assert not any(text.startswith("Memo") for text in texts)


def test_quotes_csv_reads_back(coded, tmp_path):
    out = tmp_path / "quotes.csv"
    coded.quotes(out, codes=["KG", "KD"], show_attributes=["role"])
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert "municipality" not in rows[0]
    assert [(r["code"], r["ref"], r["coders"], r["role"], r["text"]) for r in rows] == [
        ("KD-OVL", "km01:1", "bram", "klantmanager", "Vooral door intervisie met collega's."),
        ("KG-REL", "cl01:1", "anna", "client", "Mijn klantmanager luistert echt naar me."),
    ]


def test_nothing_to_quote_and_unknown_suffix_are_refused(coded, tmp_path):
    with pytest.raises(NotEnoughData, match=r"^no coded segments match these codes and filters; code some first, or widen --code/--attr/--coder$"):
        coded.quotes(tmp_path / "q.docx", codes=["KT"], attributes={"role": "client"}, coder="anna")
    with pytest.raises(BadInput, match=r"q\.pdf: cannot write \.pdf quotes; end the file name in \.docx or \.csv$"):
        coded.quotes(tmp_path / "q.pdf")
    assert not (tmp_path / "q.docx").exists()
