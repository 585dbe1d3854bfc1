"""Broken archives and hostile XML: each is that file's one-line refusal, and a batch goes on.

Damage is done to the bytes of real archives (python-docx documents, qualcode's own .qdpx): a
flipped byte inside a compressed member, an unknown compression method, the encrypted flag, a
wrong CRC, in both the central directory and the local header as a zip tool would see them.
"""

import io
import random
import struct
import zipfile

import pytest

from qualcode.errors import BadFile
from qualcode.ingest import read
from transcript_files import docx_file, replace_part


def _member(data: bytes, name: str) -> tuple[int, int, int]:
    """Offsets of ``name``'s central directory entry, local header and compressed data."""
    with zipfile.ZipFile(io.BytesIO(data)) as packed:
        local = packed.getinfo(name).header_offset
    name_length, extra_length = struct.unpack("<HH", data[local + 26:local + 30])
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name.encode() or data[central + 28:central + 30] != struct.pack("<H", len(name)):
        central = data.index(b"PK\x01\x02", central + 4)
    return central, local, local + 30 + name_length + extra_length


def damage(path, name: str, how: str):
    """Damage member ``name`` of the archive at ``path`` in place."""
    data = bytearray(path.read_bytes())
    central, local, start = _member(bytes(data), name)
    if how == "flipped byte":
        size = struct.unpack("<I", data[central + 20:central + 24])[0]
        data[start + size // 2] ^= 0xFF
    elif how == "unknown method":
        data[central + 10:central + 12] = data[local + 8:local + 10] = struct.pack("<H", 99)
    elif how == "encrypted flag":
        for offset in (central + 8, local + 6):
            data[offset] |= 0x1
    elif how == "bad crc":
        data[central + 16:central + 20] = data[local + 14:local + 18] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    return path


DOCX_REFUSALS = {
    "flipped byte": "is damaged or incomplete (word/document.xml cannot be unpacked); copy the file again or re-save it in Word",
    "unknown method": "word/document.xml is stored in a way qualcode cannot unpack (That compression method is not "
                      "supported); re-save the transcript in Word",
    "encrypted flag": "is encrypted (word/document.xml needs a password); remove the password in Word and import again",
    "bad crc": "is damaged or incomplete (word/document.xml cannot be unpacked); copy the file again or re-save it in Word",
}


@pytest.mark.parametrize("how", DOCX_REFUSALS)
def test_a_damaged_docx_is_refused_in_one_line(tmp_path, how):
    path = damage(docx_file(tmp_path / "a.docx", ["I: Hoe gaat het?", "R: " + "Goed, dank u. " * 200]), "word/document.xml", how)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: {DOCX_REFUSALS[how]}"


@pytest.mark.parametrize("how", DOCX_REFUSALS)
def test_a_batch_goes_on_after_a_damaged_docx_and_counts_it(project, tmp_path, cli, how):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text("I: Vraag?\nR: Eerste.\n", encoding="utf-8")
    damage(docx_file(folder / "b.docx", ["I: Vraag?", "R: " + "Tweede. " * 300]), "word/document.xml", how)
    (folder / "c.txt").write_text("I: Vraag?\nR: Derde.\n", encoding="utf-8")
    result = cli("import", folder, "--project", project.path)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "imported a: 2 turns, 1 segments, speakers I, R; layout label-prefix (confidence 1.00)",
        f"qualcode: error: {folder / 'b.docx'}: {DOCX_REFUSALS[how]}",
        "imported c: 2 turns, 1 segments, speakers I, R; layout label-prefix (confidence 1.00)",
        "2 imported, 1 refused (of 3 files)",
    ]
    assert sorted(project.documents()["name"]) == ["a", "c"]


@pytest.fixture
def qdpx(project, make_document, tmp_path):
    make_document("km01", [("I", "interviewer", "Vraag?"), ("R", "respondent", "Een antwoord. " * 200)])
    project.tag("km01:1", ["KV-LEER"], coder="anna")
    path = tmp_path / "project.qdpx"
    project.export_refi_project(path)
    return path


def _qde(path) -> str:
    with zipfile.ZipFile(path) as packed:
        return next(name for name in packed.namelist() if name.endswith(".qde"))


@pytest.mark.parametrize("how,problem", [
    ("flipped byte", "cannot be unpacked ("),
    ("unknown method", "is stored in a way qualcode cannot unpack (That compression method is not supported); export the project again"),
    ("encrypted flag", "is encrypted; export the project again without a password"),
    ("bad crc", "cannot be unpacked (Bad CRC-32 for file"),
])
@pytest.mark.sqlite_only(reason="compares the SQLite file's bytes before and after")
def test_a_damaged_qdpx_is_refused_in_one_line_and_changes_nothing(tmp_path, qdpx, how, problem, cli):
    from qualcode import Project

    member = _qde(qdpx)
    damage(qdpx, member, how)
    target = tmp_path / "other"
    with Project.init(target):
        pass
    before = (target / "qualcode.sqlite").read_bytes()
    result = cli("import", qdpx, "--project", target)
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith(f"qualcode: error: {qdpx}: {member} {problem}") or line.startswith(f"qualcode: error: {qdpx}: {problem}"), line
    assert "Traceback" not in result.output
    assert (target / "qualcode.sqlite").read_bytes() == before


# ---- XML inside the .docx ------------------------------------------------------------------

@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""),
                                          ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_a_dtd_in_utf16_or_utf32_xml_is_refused_after_decoding(tmp_path, encoding, bom):
    path = docx_file(tmp_path / "wide.docx", ["I: hallo", "R: dag"])

    def widen(xml: bytes) -> bytes:
        text = xml.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding[:6].upper()}"')
        text = text.replace("?>", '?><!DOCTYPE w:document [<!ENTITY x "boom">]>', 1)
        return bom + text.encode(encoding)

    replace_part(path, "word/document.xml", widen)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == (f"{path}: word/document.xml declares a DTD or XML entities, which qualcode never "
                                 "resolves; re-save it in Word and import again")


def test_the_same_document_in_utf16_without_a_dtd_is_read(tmp_path):
    path = docx_file(tmp_path / "wide.docx", ["I: hallo", "R: dag"])
    replace_part(path, "word/document.xml", lambda xml: b"\xff\xfe" + xml.decode().replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le"))
    assert [(turn.speaker, transcript_text) for turn, transcript_text in
            ((t, read(path).turn_text(t)) for t in read(path).turns)] == [("I", "hallo"), ("R", "dag")]


def test_a_20_mb_paragraph_is_read(tmp_path):
    digits = random.Random(14).randbytes(9_000_000).hex()  # not repetitive: a zip bomb check must not fire
    said = " ".join(digits[i:i + 8] for i in range(0, len(digits), 8))  # 20 MB of "speech" in one paragraph
    path = docx_file(tmp_path / "long.docx", ["I: Vertel eens.", "R: " + said])
    transcript = read(path)
    assert [len(transcript.turn_text(turn)) for turn in transcript.turns] == [len("Vertel eens."), len(said.strip())]


def test_content_controls_nested_too_deep_are_refused_not_recursed(tmp_path):
    path = docx_file(tmp_path / "deep.docx", ["I: hallo", "R: dag"])
    opening = b"<w:sdt><w:sdtContent>" * 1000
    closing = b"</w:sdtContent></w:sdt>" * 1000
    replace_part(path, "word/document.xml", lambda xml: xml.replace(b"<w:body>", b"<w:body>" + opening + b"<w:p/>" + closing, 1))
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == (f"{path}: word/document.xml nests content controls more than 100 deep, which no Word "
                                 "file does; re-save it in Word and import again")


def test_an_empty_content_control_is_skipped(tmp_path):
    path = docx_file(tmp_path / "sdt.docx", ["I: hallo", "R: dag"])
    replace_part(path, "word/document.xml", lambda xml: xml.replace(b"<w:body>", b"<w:body><w:sdt><w:sdtPr/></w:sdt>", 1))
    transcript = read(path)
    assert [transcript.turn_text(turn) for turn in transcript.turns] == ["hallo", "dag"]


def test_a_dtd_in_a_utf32_qde_is_refused_after_decoding(qdpx, tmp_path):
    from qualcode.interop.reader import read_project

    member = _qde(qdpx)
    replace_part(qdpx, member, lambda xml: b"\xff\xfe\x00\x00" + xml.decode("utf-8").replace(
        "?>", '?><!DOCTYPE Project [<!ENTITY x "boom">]>', 1).encode("utf-32-le"))
    with pytest.raises(BadFile) as caught:
        read_project(qdpx)
    assert str(caught.value) == (f"{qdpx}: {member} declares a DOCTYPE or ENTITY, which qualcode never reads; "
                                 "export it again without one")
