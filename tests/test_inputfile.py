import pytest

from qualcode.errors import BadFile
from qualcode.inputfile import control_character, read_table, read_utf8, sniff_delimiter

HINTS = {"max_bytes": 2_000_000, "missing": "no such file; give one", "too_large": "split it", "kind": "CSV"}


def test_reads_utf8_with_or_without_bom(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffcliënt,ja\n".encode("utf-8"))
    assert read_utf8(path, **HINTS) == "cliënt,ja\n"


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "no such file; give one"),
    (lambda p: p.write_bytes(b"x" * 2_000_001), "larger than 2 MB; split it"),
    (lambda p: p.write_bytes("cliënt".encode("cp1252")), "not UTF-8 text; save the CSV as UTF-8"),
])
def test_refusals_name_the_file_and_what_to_do(tmp_path, make, message):
    path = tmp_path / "a.csv"
    make(path)
    with pytest.raises(BadFile) as caught:
        read_utf8(path, **HINTS)
    assert str(caught.value) == f"{path}: {message}"


# ---- CSV tables: delimiter, BOM, doubled columns, open quotes ------------------------------


@pytest.mark.parametrize("delimiter,name", [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_a_table_is_read_with_the_delimiter_of_its_header(tmp_path, delimiter, name, bom):
    d = delimiter
    text = f'{bom}file{d}role{d}age\r\na.docx{d}"client{d} ""new"""{d}"4,5"\r\nb.docx{d}{d}\r\n'
    table = read_table(tmp_path / "a.csv", text)
    assert (table.delimiter, table.describe()) == (delimiter, f"{name}-separated")
    assert table.columns == ["file", "role", "age"]
    assert list(table.rows()) == [
        (2, {"file": "a.docx", "role": f'client{d} "new"', "age": "4,5"}),
        (3, {"file": "b.docx", "role": "", "age": ""}),
    ]


def test_a_one_column_header_is_comma_separated():
    assert sniff_delimiter("file") == ","


def test_empty_unnamed_columns_excel_leaves_behind_are_dropped(tmp_path):
    table = read_table(tmp_path / "a.csv", "file;role;;\na;client;;\n")
    assert (table.columns, list(table.rows())) == (["file", "role"], [(2, {"file": "a", "role": "client"})])


@pytest.mark.parametrize("text,message", [
    ("file,role,role\na,b,c\n", "line 1: the column 'role' appears 2 times; keep one"),
    ("file,,role\na,x,c\n", "line 2: 'x' is in a column without a name; name the column in the header or remove the value"),
    ('file,memo\na,"fine"\nb,"never closed\nc,d\n',
     'line 3: a quote opened in this row is never closed, so the rest of the file would be one field; '
     'close the quote (a quote inside a field is written "")'),
    ('file,memo\na,"closed" then text\n', "line 2: not a readable CSV row (',' expected after '\"'); check its quotes"),
])
def test_table_refusals_name_the_line(tmp_path, text, message):
    path = tmp_path / "a.csv"
    with pytest.raises(BadFile) as caught:
        read_table(path, text)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize("text,allowed,found", [
    ("fuz\x00zer", "", "U+0000"), ("a\tb", "", "U+0009"), ("a\tb\nc\r", "\t\n\r", None), ("a\x85b", "", "U+0085"),
    ("cliënt — ok", "", None),
])
def test_control_characters_are_named(text, allowed, found):
    assert control_character(text, allowed) == found
