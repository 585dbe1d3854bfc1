import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from qualcode import Project
from qualcode.errors import BadFile, BadInput, Conflict, QualcodeError
from qualcode.interop.offsets import UNITS, convert, normalise
from qualcode.interop.schema import CODEBOOK_NS, PROJECT_NS, validate
from qualcode.store import audit, coders, codes, codings, document_attributes, documents, memos, segments

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "qualcode" / "data" / "refi-qda"
P = {"p": PROJECT_NS}
TURNS_A = [
    ("I", "interviewer", "Hoe leert u het vak?"),
    ("R", "respondent", "Vooral door intervisie met collega's 😀 en door te lezen."),
    ("I", "interviewer", "En de regels?"),
    ("R", "respondent", "De Participatiewet pas ik streng toe."),
]
TURNS_B = [("I", "interviewer", "Wat doet uw klantmanager?"), ("R", "respondent", "Zij luistert echt naar mij.")]


def official(kind):
    """The shipped schema, compiled here independently of the code under test."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / ("Project.xsd" if kind == "project" else "Codebook.xsd"))))


def qde_of(path):
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("project.qde"))


@pytest.fixture
def coded(project, make_document):
    make_document("km01", TURNS_A, {"gemeente": "Maasdelta", "leeftijd": 41})
    make_document("cl01", TURNS_B, {"gemeente": "Veenstad", "leeftijd": 29})
    project.tag("km01:1", ["KV-LEER", "KD-OVL"], coder="anna")
    project.tag("km01:1", ["KV-LEER"], coder="bram")
    project.tag("km01:2", ["KT-WET"], coder="bram")
    project.tag("cl01:1", ["KG-REL"], coder="anna")
    with project.store.atomic("test.span") as conn:
        conn.execute(codings.update().where(codings.c.code_id == "KD-OVL").values(start=22, end=47))
    project.add_memo("Mooi citaat over intervisie", segment="km01:1", author="anna")
    project.add_memo("Respondent was moe", document="km01", author="anna")
    project.add_memo("Grens met KD is vaag", code="KV-LEER", author="bram")
    project.add_memo("Eerste ronde klaar\nmet twee coders", author="bram")
    return project


def summary(path):
    """A .qdpx as comparable values: by names and offsets, not by bytes."""
    root = qde_of(path)
    with zipfile.ZipFile(path) as archive:
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("sources/")}
    users = {u.get("guid"): u.get("name") for u in root.iterfind("p:Users/p:User", P)}
    code_names = {c.get("guid"): c.get("name") for c in root.iterfind(".//p:Code", P)}
    tree = sorted(
        (c.get("name"), c.getparent().get("name"), c.get("color"), c.findtext("p:Description", "", P))
        for c in root.iterfind(".//p:Code", P)
    )
    notes = {n.get("guid"): n.findtext("p:PlainTextContent", None, P) for n in root.iterfind("p:Notes/p:Note", P)}
    sources, selections, attached = {}, set(), set()
    for source in root.iterfind("p:Sources/p:TextSource", P):
        text = texts[source.get("plainTextPath").removeprefix("internal://").join(["sources/", ""])]
        sources[source.get("name")] = text
        for ref in source.iterfind("p:NoteRef", P):
            attached.add(("source", source.get("name"), notes[ref.get("targetGUID")]))
        for selection in source.iterfind("p:PlainTextSelection", P):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            for coding in selection.iterfind("p:Coding", P):
                code = code_names[coding.find("p:CodeRef", P).get("targetGUID")]
                selections.add((source.get("name"), start, end, text[start:end], code, users[coding.get("creatingUser")]))
            for ref in selection.iterfind("p:NoteRef", P):
                attached.add(("selection", text[start:end], notes[ref.get("targetGUID")]))
    for code in root.iterfind(".//p:Code", P):
        for ref in code.iterfind("p:NoteRef", P):
            attached.add(("code", code.get("name"), notes[ref.get("targetGUID")]))
    for ref in root.iterfind("p:NoteRef", P):
        attached.add(("project", None, notes[ref.get("targetGUID")]))
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iterfind("p:Variables/p:Variable", P)}
    values = set()
    for case in root.iterfind("p:Cases/p:Case", P):
        for value in case.iterfind("p:VariableValue", P):
            name, kind = variables[value.find("p:VariableRef", P).get("targetGUID")]
            values.add((case.get("name"), name, kind, value[1].text))
    return {"users": sorted(users.values()), "codes": tree, "sources": sources, "selections": selections,
            "notes": attached, "values": values}


def guids(path):
    root = qde_of(path)
    return sorted((el.tag, el.get("guid")) for el in root.iter() if el.get("guid"))


def test_shipped_schemas_are_the_official_files():
    digests = {name: hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() for name in ("Project.xsd", "Codebook.xsd")}
    assert digests == {
        "Project.xsd": "a2cc1ffb4ab1c07c51d6c78e69f2c9968458a9f0ad3b317ddde27f1e86f15a15",
        "Codebook.xsd": "bc4706a6fdb736cc3248de1753366f2b1f5b13e6828d319cea2874deb7e61b52",
    }
    assert "Copyright 2019 REFI www.qdasoftware.org." in (SCHEMA_DIR / "LICENSE-NOTICE.txt").read_text()


def test_exported_codebook_validates_and_carries_the_code_tree(project, tmp_path):
    out = tmp_path / "book.qdc"
    assert project.export_refi_codebook(out) == {"codes": 63}
    root = etree.parse(str(out)).getroot()
    official("codebook").assertValid(root)
    kv = root.find("{%s}Codes/{%s}Code" % (CODEBOOK_NS, CODEBOOK_NS))
    assert (kv.get("name"), kv.get("color"), kv.get("isCodable")) == ("Knowledge acquisition", "#1F77B4", "false")
    description = kv.findtext("{%s}Description" % CODEBOOK_NS)
    assert description.startswith("De klantmanager verwerft zelf actief kennis")
    assert "\n\nInclude: Uitspraken over wat de klantmanager zelf doet" in description
    assert description.endswith("\n\nLabel: Kennis verwerven\n\nCode id: KV")
    assert [c.get("name") for c in kv.iterfind("{%s}Code" % CODEBOOK_NS)][:2] == ["Formal training", "Self-study"]


def test_exported_project_validates_with_plain_texts_and_code_point_offsets(coded, tmp_path):
    out = tmp_path / "study.qdpx"
    counts = coded.export_refi_project(out)
    assert counts == {"codes": 63, "documents": 2, "selections": 4, "codings": 5, "memos": 4, "users": 2, "variables": 2}
    root = qde_of(out)
    official("project").assertValid(root)
    assert [etree.QName(child).localname for child in root] == [
        "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "NoteRef"]
    with coded.store.reading() as conn:
        docs = dict(conn.execute(sa.select(documents.c.guid, documents.c.text)).all())
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(["project.qde", "qualcode/project.json", *(f"sources/{guid}.txt" for guid in docs)])
        written = {text: archive.read(f"sources/{guid}.txt").decode("utf-8") for guid, text in docs.items()}
    for text, seen in written.items():  # other programs see who speaks
        assert seen.replace("I: ", "").replace("R: ", "") == text
    assert sorted(seen[:39] for seen in written.values()) == ["I: Hoe leert u het vak?\n\nR: Vooral door", "I: Wat doet uw klantmanager?\n\nR: Zij lu"]
    found = summary(out)
    assert found["selections"] == {
        ("cl01", 33, 60, "Zij luistert echt naar mij.", "Working relationship and trust", "anna"),
        ("km01", 28, 84, "Vooral door intervisie met collega's 😀 en door te lezen.", "Learning from practice and feedback", "anna"),
        ("km01", 28, 84, "Vooral door intervisie met collega's 😀 en door te lezen.", "Learning from practice and feedback", "bram"),
        ("km01", 28, 53, "Vooral door intervisie me", "Sharing in structured meetings", "anna"),
        ("km01", 107, 144, "De Participatiewet pas ik streng toe.", "Applying law and rules", "bram"),
    }
    assert found["values"] == {("km01", "gemeente", "Text", "Maasdelta"), ("km01", "leeftijd", "Integer", "41"),
                               ("cl01", "gemeente", "Text", "Veenstad"), ("cl01", "leeftijd", "Integer", "29")}
    assert found["notes"] == {
        ("selection", "Vooral door intervisie met collega's 😀 en door te lezen.", "Mooi citaat over intervisie"),
        ("source", "km01", "Respondent was moe"),
        ("code", "Learning from practice and feedback", "Grens met KD is vaag"),
        ("project", None, "Eerste ronde klaar\nmet twee coders"),
    }
    with coded.store.reading() as conn:
        stored = dict(conn.execute(sa.select(coders.c.name, coders.c.guid)).all())
    assert {u.get("name"): u.get("guid") for u in root.iterfind("p:Users/p:User", P)} == stored


def test_an_empty_project_exports_without_empty_containers(tmp_path):
    with Project.init(tmp_path / "empty") as empty:
        empty.export_refi_project(tmp_path / "empty.qdpx")
        root = qde_of(tmp_path / "empty.qdpx")
        official("project").assertValid(root)
        assert len(root) == 0
        with pytest.raises(BadInput) as caught:
            empty.export_refi_codebook(tmp_path / "empty.qdc")
    assert str(caught.value) == (f"{tmp_path / 'empty.qdc'}: the project has no codes, and a REFI-QDA codebook needs one; "
                                 "load a codebook first ('qualcode codebook load FILE')")
    assert not (tmp_path / "empty.qdc").exists()


def test_validation_refuses_what_lxml_lets_through(tmp_path):
    root = etree.fromstring(
        f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code guid="{"a" * 8}-aaaa-aaaa-aaaa-{"a" * 12}" name="x" '
        f'isCodable="true" color="#aabbccdd"/></Codes></CodeBook>'
    )
    official("codebook").assertValid(root)
    with pytest.raises(QualcodeError) as caught:
        validate(root, "codebook", "x.qdc")
    assert str(caught.value) == "x.qdc: qualcode wrote the colour '#aabbccdd', which is not #RRGGBB; please report this as a bug"


def test_exporting_twice_gives_the_same_guids(coded, tmp_path):
    coded.export_refi_project(tmp_path / "one.qdpx")
    coded.export_refi_project(tmp_path / "two.qdpx")
    first = guids(tmp_path / "one.qdpx")
    assert first == guids(tmp_path / "two.qdpx")
    assert len(first) == len(set(first)) == 63 + 2 + 2 + 2 + 2 + 4 + 5 + 4  # codes users variables cases sources selections codings notes


def test_round_trip_into_a_new_project_gives_the_same_project(coded, tmp_path):
    told = []
    coded.export_refi_project(tmp_path / "one.qdpx", progress=lambda *step: told.append(step))
    assert told == [("reading the project", 0, None), ("building project.qde: 2 documents", 0, 2),
                    ("building project.qde: 2 documents", 2, 2), ("checking project.qde against the REFI-QDA schema", 0, None),
                    ("writing one.qdpx: 2 documents", 0, 2), ("writing one.qdpx: 2 documents", 2, 2)]
    told.clear()
    with Project.init(tmp_path / "copy") as copy:
        report = copy.import_refi(tmp_path / "one.qdpx", progress=lambda *step: told.append(step))
        assert told == [("reading one.qdpx", 0, None), ("reading one.qdpx: 2 sources", 0, 2),
                        ("reading one.qdpx: 2 sources", 2, 2), ("writing 2 documents into the project", 0, None)]
        assert report.counts == {"documents": 2, "turns": 6, "segments": 3, "codes_added": 63, "codes_matched": 0,
                                 "coders_added": 2, "selections": 4, "codings": 5, "coding_rows": 5, "reviews": 4,
                                 "attributes": 4, "memos": 4}
        assert report.skipped == []
        copy.export_refi_project(tmp_path / "two.qdpx")
        with copy.store.reading() as conn:
            spans = conn.execute(sa.select(codings.c.code_id, codings.c.start, codings.c.end).order_by(codings.c.id)).all()
    assert summary(tmp_path / "two.qdpx") == summary(tmp_path / "one.qdpx")
    assert guids(tmp_path / "two.qdpx") == guids(tmp_path / "one.qdpx")
    assert ("KD-OVL", 22, 47) in spans


def test_round_trip_into_a_project_with_the_codebook_matches_codes_by_id(coded, project, tmp_path):
    coded.export_refi_codebook(tmp_path / "book.qdc")
    report = project.import_refi(tmp_path / "book.qdc")
    assert report.counts == {"codes_added": 0, "codes_matched": 63}
    with Project.init(tmp_path / "other", codebook=Path(__file__).resolve().parents[1] / "codebooks" / "professioneel-handelen.yaml") as other:
        coded.export_refi_project(tmp_path / "one.qdpx")
        report = other.import_refi(tmp_path / "one.qdpx")
        assert (report.counts["codes_added"], report.counts["codes_matched"], report.counts["codings"]) == (0, 63, 5)
        with other.store.reading() as conn:
            rows = conn.execute(sa.select(codings.c.code_id, codings.c.coder).order_by(codings.c.code_id, codings.c.coder)).all()
    assert rows == [("KD-OVL", "anna"), ("KG-REL", "anna"), ("KT-WET", "bram"), ("KV-LEER", "anna"), ("KV-LEER", "bram")]


@given(st.lists(st.sampled_from(["a", "b", " ", "\r\n", "\n", "😀", "é", "𝄞"]), max_size=30))
def test_every_unit_maps_each_place_to_the_same_place_in_the_stored_text(tokens):
    raw = "".join(tokens)
    for unit in UNITS:
        mapped = convert(raw, unit)
        for cut in range(len(tokens) + 1):
            before = "".join(tokens[:cut])
            counted = len(before.encode("utf-16-le")) // 2 if unit.utf16 else len(before)
            counted -= 0 if unit.crlf_two else before.count("\r\n")
            assert mapped(counted) == len(normalise(before))
        assert mapped(-1) is None


def make_qdpx(path, qde, files=(), qde_name="project.qde"):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, qde)
        for name, data in dict(files).items():
            archive.writestr(name, data)
    return path


def u16(text):
    return len(text.encode("utf-16-le")) // 2


CODE_G = "{5A1B2C3D-0000-4000-8000-00000000000A}"
CHILD_G = "{5A1B2C3D-0000-4000-8000-00000000000B}"
USER_G = "{7F000000-0000-4000-8000-0000000000FF}"
SOURCE_A = "{AAAAAAAA-1111-4111-8111-111111111111}"
SOURCE_B = "BBBBBBBB-2222-4222-8222-222222222222"
NOTE_REF = '<NoteRef targetGUID="{99999999-0000-4000-8000-000000000001}"/>'
NVIVO_TEXT = ("Interviewer: Hoe gaat het? 😀\r\nAnna: Ik werk graag met klanten.\r\n"
              "Interviewer: En de regels? 🙂\r\nAnna: De Participatiewet pas ik streng toe.")


def nvivo_fixture(tmp_path):
    def selection(guid, phrase, end_phrase=None, code="5a1b2c3d-0000-4000-8000-00000000000b", note=""):
        user = "7f000000-0000-4000-8000-0000000000ff"
        start = u16(NVIVO_TEXT[: NVIVO_TEXT.index(phrase)])
        last = end_phrase or phrase
        end = u16(NVIVO_TEXT[: NVIVO_TEXT.index(last) + len(last)])
        return (f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
                f'<Coding guid="{guid.replace("CCCCCCCC", "EEEEEEEE")}" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding>'
                f'{note}</PlainTextSelection>')

    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Klantmanagers" origin="NVivo 14 for Windows">
  <Users><User guid="{USER_G}" name="Supervisor"/></Users>
  <CodeBook><Codes>
    <Code guid="{CODE_G}" name="Klantgerichtheid" isCodable="true" color="#FF8800">
      <Description>Gericht op de klant.</Description>
      <Code guid="{CHILD_G}" name="Plezier in het werk" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Variables><Variable guid="{{66666666-0000-4000-8000-000000000001}}" name="Leeftijd" typeOfVariable="Integer"/></Variables>
  <Cases><Case guid="{{55555555-0000-4000-8000-000000000001}}" name="Anna">
    <VariableValue><VariableRef targetGUID="66666666-0000-4000-8000-000000000001"/><IntegerValue>41</IntegerValue></VariableValue>
    <SourceRef targetGUID="aaaaaaaa-1111-4111-8111-111111111111"/></Case></Cases>
  <Sources>
    <TextSource guid="{SOURCE_A}" name="Interview Anna" plainTextPath="internal://Interview Anna.txt">
      {selection("{CCCCCCCC-0000-4000-8000-000000000001}", "Ik werk graag met klanten.", note=NOTE_REF)}
      {selection("{CCCCCCCC-0000-4000-8000-000000000002}", "De Participatiewet pas ik streng toe.")}
      {selection("{CCCCCCCC-0000-4000-8000-000000000003}", "klanten.", "En de regels? 🙂", code="5A1B2C3D-0000-4000-8000-00000000000A")}
      {selection("{CCCCCCCC-0000-4000-8000-000000000004}", "De Participatiewet pas ik streng toe.")}
    </TextSource>
    <TextSource guid="{SOURCE_B}" name="Interview Bram"/>
    <PDFSource guid="{{DDDDDDDD-0000-4000-8000-000000000001}}" name="Beleidsnota" path="internal://x.pdf"/>
  </Sources>
  <Notes><Note guid="{{99999999-0000-4000-8000-000000000001}}" name="n" creatingUser="{USER_G}">
    <PlainTextContent>Let op de toon</PlainTextContent></Note></Notes>
</Project>"""
    return make_qdpx(tmp_path / "nvivo.qdpx", qde.encode("utf-8"), {
        "Sources/Interview Anna.txt": b"\xef\xbb\xbf" + NVIVO_TEXT.encode("utf-8"),
        f"Sources/{SOURCE_B}.txt": b"\xef\xbb\xbfGeen codes hier.\r\nTweede regel.",
        "Sources/.root": b"",
    })


def coded_texts(project, document):
    with project.store.reading() as conn:
        text = conn.execute(sa.select(documents.c.text).where(documents.c.name == document)).scalar()
        rows = conn.execute(
            sa.select(codings.c.start, codings.c.end, codings.c.code_id, codings.c.coder, segments.c.number)
            .join(segments, segments.c.id == codings.c.segment_id).order_by(codings.c.start, segments.c.number)
        ).all()
    return text, [(text[start:end], code, coder, number) for start, end, code, coder, number in rows]


def test_nvivo_project_with_bom_crlf_emoji_and_utf16_offsets(tmp_path, new_project):
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(nvivo_fixture(tmp_path))
        text, found = coded_texts(project, "Interview Anna")
        assert text == NVIVO_TEXT.replace("\r\n", "\n")
        assert found == [
            ("Ik werk graag met klanten.", "Plezier-in-het-werk", "Supervisor", 2),
            ("klanten.\nInterviewer: En de regels? 🙂", "Klantgerichtheid", "Supervisor", 2),
            ("klanten.\nInterviewer: En de regels? 🙂", "Klantgerichtheid", "Supervisor", 3),
            ("De Participatiewet pas ik streng toe.", "Plezier-in-het-werk", "Supervisor", 4),
        ]
        assert project.segments(["Interview Anna"])[["speaker", "text"]].values.tolist() == [
            ["Interviewer", "Hoe gaat het? 😀"], ["Anna", "Ik werk graag met klanten."],
            ["Interviewer", "En de regels? 🙂"], ["Anna", "De Participatiewet pas ik streng toe."]]
        assert coded_texts(project, "Interview Bram")[0] == "Geen codes hier.\nTweede regel."
        with project.store.reading() as conn:
            assert conn.execute(sa.select(codes.c.guid).where(codes.c.id == "Klantgerichtheid")).scalar() == CODE_G
            assert conn.execute(sa.select(coders.c.guid)).scalar() == USER_G
            attributes = conn.execute(sa.select(document_attributes.c.key, document_attributes.c.value, document_attributes.c.type)
                                      .order_by(document_attributes.c.key)).all()
            memo = conn.execute(sa.select(memos.c.target_type, memos.c.author, memos.c.text)).one()
        assert attributes == [("Leeftijd", "41", "number"), ("case", "Anna", "category")]
        assert memo == ("segment", "Supervisor", "Let op de toon")
    assert report.skipped == ["PDF source Beleidsnota: qualcode holds text only",
                              f"coding {{EEEEEEEE-0000-4000-8000-000000000004}} in Interview Anna {text.index('De P')}-{len(text)}: "
                              "a second Plezier-in-het-werk by Supervisor on exactly the same passage; the passage is coded once"]
    assert report.in_file == {"selections": 4, "codings": 4}
    assert "positions read as UTF-16 code units, CRLF as two (origin NVivo 14 for Windows; 100% of selection edges at word boundaries)" in report.decisions
    assert (report.counts["selections"], report.counts["codings"]) == (4, 3)  # and one repeat, reported


def test_the_unit_is_checked_not_just_taken_from_the_origin(tmp_path, new_project):
    qde = nvivo_fixture(tmp_path)
    with zipfile.ZipFile(qde) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["project.qde"] = members["project.qde"].replace(b'origin="NVivo 14 for Windows"', b'origin="Some tool"')
    other = make_qdpx(tmp_path / "other.qdpx", members.pop("project.qde"), members)
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(other)
        assert coded_texts(project, "Interview Anna")[1][0][0] == "Ik werk graag met klanten."
    assert "positions read as UTF-16 code units, CRLF as two (origin Some tool; 100% of selection edges at word boundaries)" in report.decisions


def taguette_like(tmp_path, name="taguette.qdpx", qde_name="project.qde", extra=""):
    source = "0f8fad5b-d9cb-469f-a165-70867728950e"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="Taguette 1.4">
  <Users/>
  <CodeBook><Codes><Code guid="7c9e6679-7425-40de-944b-e07fc1f90ae7" name="werkdruk" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="{source}" name="doc one" plainTextPath="internal://{source}.txt">
    <PlainTextSelection guid="8c9e6679-7425-40de-944b-e07fc1f90ae7" startPosition="0" endPosition="9">
      <Coding guid="9c9e6679-7425-40de-944b-e07fc1f90ae7"><CodeRef targetGUID="7c9e6679-7425-40de-944b-e07fc1f90ae7"/></Coding>
    </PlainTextSelection></TextSource></Sources>
  <Notes/><Sets/>{extra}
</Project>"""
    return make_qdpx(tmp_path / name, qde, {f"sources/{source}.txt": "Te veel dossiers.\n\nEn weinig tijd."}, qde_name)


def test_taguette_empty_containers_and_atlas_qde_named_after_the_project(tmp_path):
    Project.init(tmp_path / "p").close()
    with Project(tmp_path / "p", coder="carla") as project:
        report = project.import_refi(taguette_like(tmp_path))
        assert coded_texts(project, "doc one")[1] == [("Te veel d", "werkdruk", "carla", 1)]
    assert "work without a creating user is attributed to carla" in report.decisions
    with Project.init(tmp_path / "q") as project:
        project.import_refi(taguette_like(tmp_path, "atlas.qdpx", "Klantmanagers studie.qde"))
        assert coded_texts(project, "doc one")[1] == [("Te veel d", "werkdruk", "refi-import", 1)]


@pytest.mark.parametrize("namespace", ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4"])
def test_codebook_namespace_variants_and_set_members(tmp_path, new_project, namespace):
    path = tmp_path / "book.qdc"
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{namespace}" origin="ATLAS.ti"><Codes>
  <Code guid="{{11111111-0000-4000-8000-000000000001}}" name="Samenwerken" isCodable="false" color="#00AA00">
    <Code guid="11111111-0000-4000-8000-000000000002" name="Met werkgevers" isCodable="true" color="#00aa0080"/>
  </Code></Codes>
  <Sets><Set guid="11111111-0000-4000-8000-000000000009" name="Kern"><MemberCode guid="11111111-0000-4000-8000-000000000002"/></Set></Sets>
</CodeBook>""", encoding="utf-8")
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(path)
        with project.store.reading() as conn:
            rows = conn.execute(sa.select(codes.c.id, codes.c.parent_id, codes.c.name, codes.c.color, codes.c.guid).order_by(codes.c.name.desc())).all()
    assert rows == [("Samenwerken", None, "Samenwerken", "#00AA00", "{11111111-0000-4000-8000-000000000001}"),
                    ("Met-werkgevers", "Samenwerken", "Met werkgevers", "#00AA00", "11111111-0000-4000-8000-000000000002")]
    assert report.skipped == ["set 'Kern' (1 members): qualcode has no sets; its codes and sources are imported as they are"]
    assert report.decisions == ["code Samenwerken: a folder (isCodable false) in the file; codable here"]


def test_codebook_merge_keeps_the_projects_codes_and_adds_new_ones_under_their_parent(project, tmp_path):
    path = tmp_path / "book.qdc"
    path.write_text(f"""<CodeBook xmlns="{CODEBOOK_NS}"><Codes>
  <Code guid="22222222-0000-4000-8000-000000000001" name="knowledge acquisition" isCodable="true">
    <Description>Iets anders</Description>
    <Code guid="22222222-0000-4000-8000-000000000002" name="Leren van collega's" isCodable="true"/>
  </Code></Codes></CodeBook>""", encoding="utf-8")
    report = project.import_refi(path)
    assert report.counts == {"codes_added": 1, "codes_matched": 1}
    with project.store.reading() as conn:
        kv = conn.execute(sa.select(codes.c.definition).where(codes.c.id == "KV")).scalar()
        added = conn.execute(sa.select(codes.c.id, codes.c.parent_id, codes.c.position).where(codes.c.name == "Leren van collega's")).one()
    assert kv.startswith("De klantmanager verwerft zelf actief kennis")
    assert tuple(added) == ("Leren-van-collega-s", "KV", 3)


def project_counts(project):
    with project.store.reading() as conn:
        return [conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in (documents, codes, coders, codings, memos, audit)]


def bad_inputs(tmp_path):
    good = taguette_like(tmp_path)
    with zipfile.ZipFile(good) as archive:
        qde, text = archive.read("project.qde"), archive.read("sources/0f8fad5b-d9cb-469f-a165-70867728950e.txt")
    source = {"sources/0f8fad5b-d9cb-469f-a165-70867728950e.txt": text}
    bomb = make_qdpx(tmp_path / "bomb.qdpx", qde, {**source, "sources/bomb.txt": bytes(20_000_000)})
    with zipfile.ZipFile(bomb) as archive:
        size = archive.getinfo("sources/bomb.txt").compress_size
    return {
        "no .qde": (make_qdpx(tmp_path / "noqde.qdpx", b"", source, "readme.txt"),
                    "holds no .qde project file, so it is no REFI-QDA project; export it again as a .qdpx project"),
        "broken XML": (make_qdpx(tmp_path / "broken.qdpx", qde.replace(b"</Sources>", b"</Source>"), source),
                       "project.qde is not well-formed XML (Opening and ending tag mismatch: Sources line 5 and Source, line 8, column 48); "
                       "export it again from the other program"),
        "entity": (make_qdpx(tmp_path / "xxe.qdpx", qde.replace(b"<Project", b'<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Project', 1), source),
                   "project.qde declares a DOCTYPE or ENTITY, which qualcode never reads; export it again without one"),
        "beyond the text": (make_qdpx(tmp_path / "beyond.qdpx", qde.replace(b'endPosition="9"', b'endPosition="90"'), source),
                            "selection 8c9e6679-7425-40de-944b-e07fc1f90ae7 in doc one (0-90) lies outside its text of 34 characters; "
                            "export the project again"),
        "zip bomb": (bomb, f"sources/bomb.txt expands {20_000_000 // size} times (20000000 bytes); refusing a possible zip bomb"),
        "traversal": (make_qdpx(tmp_path / "escape.qdpx", qde, {**source, "../../evil.txt": b"x"}),
                      "holds a file named '../../evil.txt' that points outside the archive; qualcode refuses such archives"),
        "not a zip": (tmp_path / "broken.qdc.qdpx", "not a readable .qdpx (a .qdpx is a zip archive: File is not a zip file); export it again"),
    }


def test_bad_files_are_one_line_errors_and_change_nothing(project, tmp_path):
    (tmp_path / "broken.qdc.qdpx").write_text("<CodeBook>")
    before = project_counts(project)
    for label, (path, problem) in bad_inputs(tmp_path).items():
        with pytest.raises(BadFile) as caught:
            project.import_refi(path)
        assert str(caught.value) == f"{path}: {problem}", label
    assert project_counts(project) == before


def test_hostile_codebook_and_a_second_import_are_refused(project, tmp_path):
    path = tmp_path / "evil.qdc"
    path.write_text('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY lol "lol">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>')
    before = project_counts(project)
    with pytest.raises(BadFile) as caught:
        project.import_refi(path)
    assert str(caught.value) == f"{path}: the codebook declares a DOCTYPE or ENTITY, which qualcode never reads; export it again without one"
    first = project.import_refi(taguette_like(tmp_path))
    assert first.counts["documents"] == 1
    after_first = project_counts(project)
    with pytest.raises(Conflict) as caught:
        project.import_refi(taguette_like(tmp_path))
    assert str(caught.value) == (f"{tmp_path / 'taguette.qdpx'}: the project already has documents named doc one; "
                                 "import into a new project ('qualcode init NEW') instead")
    assert project_counts(project) == after_first != before
    with pytest.raises(BadInput) as caught:
        project.import_refi(tmp_path / "notes.txt")
    assert str(caught.value) == f"{tmp_path / 'notes.txt'}: not a REFI-QDA file; give a .qdc codebook or a .qdpx project"


def test_cli_exports_and_the_export_imports_again(coded, cli, tmp_path):
    out = tmp_path / "exports" / "study.qdpx"
    result = cli("export", "project", out, "--project", coded.path)
    assert result.exit_code == 0
    assert result.output == (f"wrote {out}: 2 documents, 63 codes, 5 codings in 4 selections, 2 users, 4 memos, "
                             "2 variables; valid against Project.xsd\n")
    book = cli("export", "codebook", tmp_path / "book.qdc", "--project", coded.path)
    assert book.output == f"wrote {tmp_path / 'book.qdc'} (63 codes), valid against Codebook.xsd\n"
    with Project.init(tmp_path / "copy") as copy:
        copy.import_refi(tmp_path / "book.qdc")
        assert copy.import_refi(out).counts["codings"] == 5


def test_demo_step_7_writes_valid_refi_qda_files(demo_run):
    built, output = demo_run
    exports = built / "exports"
    official("project").assertValid(qde_of(exports / "demo.qdpx"))
    official("codebook").assertValid(etree.parse(str(exports / "demo.qdc")))
    detail = output.split("== 7. REFI-QDA export for other QDA tools\n")[1]
    assert detail.startswith(f"wrote {exports / 'demo.qdpx'} (")
    assert f"and {exports / 'demo.qdc'} (63 codes), both valid against the REFI-QDA schemas;" in " ".join(detail.split())


def test_the_import_report_prints_counts_and_every_skipped_item(tmp_path, new_project, capsys):
    from qualcode.cli.interop import show_import_report

    with new_project(tmp_path / "p") as project:
        report = project.import_refi(nvivo_fixture(tmp_path))
    show_import_report(report)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"imported {tmp_path / 'nvivo.qdpx'}: 2 documents, 6 segments, 2 codes added, 0 codes matched, "
                        "1 coders added, 4 selections, 3 codings, 4 coding rows, 2 attributes, 1 memos")
    assert lines[1] == "  in the file: 4 selections, 4 codings"
    assert "  skipped: PDF source Beleidsnota: qualcode holds text only" in lines
    assert sum(line.startswith("  skipped: coding {EEEEEEEE-0000-4000-8000-000000000004} in Interview Anna") for line in lines) == 1
    show_import_report(report, "json")
    assert json.loads(capsys.readouterr().out)["skipped"] == report.skipped


def test_a_control_character_is_named_not_a_traceback(coded, tmp_path):
    coded.add_memo("Pauze\x07 hier", author="anna")
    with pytest.raises(BadInput) as caught:
        coded.export_refi_project(tmp_path / "x.qdpx")
    assert str(caught.value) == (f"{tmp_path / 'x.qdpx'}: the Note 'Pauze\\x07 hier' holds a control character "
                                 "XML cannot carry; remove it in qualcode and export again")
    assert list(tmp_path.glob("x.qdpx*")) == []


def test_qualcode_import_hands_refi_qda_files_to_the_refi_import(coded, tmp_path, cli):
    coded.export_refi_project(tmp_path / "one.qdpx")
    coded.export_refi_codebook(tmp_path / "book.qdc")
    Project.init(tmp_path / "copy").close()
    result = cli("import", tmp_path / "one.qdpx", "--project", tmp_path / "copy")
    assert result.exit_code == 0, result.output
    with Project(tmp_path / "copy") as copy:
        assert copy.status()["documents"] == 2 and copy.status()["codings"] == 5
    Project.init(tmp_path / "books").close()
    assert cli("import", tmp_path / "book.qdc", "--project", tmp_path / "books").exit_code == 0
    with Project(tmp_path / "books") as books:
        assert len(books.codebook().ids()) == 63


def test_social_media_comments_in_a_refi_source_are_paragraphs_not_speakers():
    from qualcode.interop.load import segment_text

    pages = ["Koronavírus", "Index", "Telex", "Kovács Anna", "Nagy Péter", "Szabó Éva", "Tóth Gábor", "Kiss Márton",
             "Varga Zsófia", "Molnár Dávid", "Németh Réka", "Farkas Bence", "Balogh Kitti", "Horváth Ilona"]
    text = "\n".join(f"{page}: hozzászólás {number}." for number, page in enumerate(pages))
    turns, segments = segment_text(text)
    assert turns == []
    assert [(s.unit, text[s.start:s.end]) for s in segments[:2]] == [
        ("paragraph", "Koronavírus: hozzászólás 0."), ("paragraph", "Index: hozzászólás 1.")]
    assert len(segments) == 14
    interview = segment_text("Interviewer: Hoe gaat het?\nAnna: Goed.\nInterviewer: En verder?\nAnna: Ook goed.")
    assert [t.speaker for t in interview[0]] == ["Interviewer", "Anna", "Interviewer", "Anna"]


# ---- passages and the exact round trip (issue 13) ------------------------------------------

def natural_rows(project):
    """Every table but the audit log (and its head), with row ids replaced by what survives a copy (document
    GUIDs, segment and turn numbers), sorted: two projects are the same project when these match."""
    from qualcode.store import metadata, turns

    with project.store.reading() as conn:
        doc = dict(conn.execute(sa.select(documents.c.id, documents.c.guid)).all())
        seg = {r.id: (doc[r.document_id], r.number) for r in conn.execute(sa.select(segments.c.id, segments.c.document_id, segments.c.number))}
        turn = {r.id: (doc[r.document_id], r.number) for r in conn.execute(sa.select(turns.c.id, turns.c.document_id, turns.c.number))}
        memo_target = {"document": lambda v: doc[int(v)], "segment": lambda v: seg[int(v)]}
        found = {}
        for table in metadata.sorted_tables:
            if table.name == "audit":
                continue
            rows = []
            for row in conn.execute(sa.select(table)).mappings():
                if table.name == "meta" and row["key"] == "audit.head":
                    continue  # the head of the audit log, which a copy does not carry
                row = {k: v for k, v in row.items() if not (k == "id" and table.name != "codes")}
                for column, mapping in (("document_id", doc), ("segment_id", seg), ("turn_id", turn)):
                    if row.get(column) is not None:
                        row[column] = mapping[row[column]]
                if table.name == "memos" and row["target_type"] in memo_target:
                    row["target_id"] = memo_target[row["target_type"]](row["target_id"])
                rows.append(tuple(sorted((k, repr(v)) for k, v in row.items())))
            found[table.name] = sorted(rows)
    return found


@pytest.fixture(scope="module")
def demo_round_trip(backend, tmp_path_factory):
    """The demo project (interviews, attributes, both reference coders) with what the demo lacks
    (passages inside segments, a model and a consensus coder, memos on every target), exported
    and imported into a new project."""
    from qualcode import demo
    from qualcode.store import coding as store_coding

    folder = tmp_path_factory.mktemp("round")
    with Project.init(folder / "demo", codebook=demo.bundled(demo.CODEBOOK)) as original:
        transcripts = demo.bundled(demo.TRANSCRIPTS)
        original.import_files([transcripts], attributes_csv=transcripts / "cases.csv")
        original.apply_codings(demo.bundled(demo.REFERENCE_CODING))
        refs = original.segments()[["ref", "segment_id", "start", "end"]].values.tolist()
        original.consensus("intersection", coders=["anna", "bram"])
        original.tag(refs[0][0], ["KV-OPL"], coder="model", origin="suggestion")
        with original.store.atomic("test.passages") as conn:
            _, segment_id, start, _ = refs[1]
            store_coding.insert_codings(conn, [
                {"segment_id": segment_id, "code_id": "KV", "coder": "anna", "start": start, "end": start + 5},
                {"segment_id": segment_id, "code_id": "KV", "coder": "anna", "start": start + 10, "end": start + 20},
            ])
        original.add_memo("Mooi citaat", segment=refs[2][0], author="anna")
        original.add_memo("Grens met KD is vaag", code="KV", author="bram")
        original.add_memo("Eerste ronde klaar", author="bram")
        counts = original.export_refi_project(folder / "demo.qdpx")
        before = natural_rows(original)
    with Project.init(folder / "copy") as copy:
        report = copy.import_refi(folder / "demo.qdpx")
        after = natural_rows(copy)
        shown = copy.transcript(copy.documents()["name"].iloc[0])
    return {"before": before, "after": after, "report": report, "counts": counts, "path": folder / "demo.qdpx", "shown": shown}


@pytest.mark.parametrize("table", ["meta", "documents", "document_attributes", "turns", "segments", "codes", "coders",
                                   "codings", "reviews", "memos"])
def test_the_demo_project_survives_qdpx_and_back_table_by_table(demo_round_trip, table):
    before, after = demo_round_trip["before"][table], demo_round_trip["after"][table]
    assert len(before) > 0
    assert after == before


def test_the_round_trip_compares_every_table_and_reports_the_files_counts(demo_round_trip):
    from qualcode.store import metadata

    assert set(demo_round_trip["before"]) == {table.name for table in metadata.sorted_tables} - {"audit"}
    report, counts = demo_round_trip["report"], demo_round_trip["counts"]
    assert (report.counts["selections"], report.counts["codings"]) == (counts["selections"], counts["codings"])
    assert report.in_file == {"selections": counts["selections"], "codings": counts["codings"]}
    assert report.counts["coding_rows"] == len(demo_round_trip["before"]["codings"])
    assert report.skipped == []
    assert not demo_round_trip["shown"].empty and demo_round_trip["shown"]["speaker"].notna().all()


def test_other_programs_see_plain_text_with_speaker_labels_and_a_valid_project(demo_round_trip):
    path = demo_round_trip["path"]
    official("project").assertValid(qde_of(path))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        text = next(archive.read(name).decode("utf-8") for name in names if name.startswith("sources/"))
        carried = json.loads(archive.read("qualcode/project.json"))
    assert "qualcode/project.json" in names and carried["format"] == "qualcode-project"
    assert any(line.split(":")[0] in text for line in text.splitlines()[:3])


def test_a_changed_project_qde_is_read_as_plain_refi_qda_and_says_so(demo_round_trip, tmp_path, new_project):
    with zipfile.ZipFile(demo_round_trip["path"]) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    qde = members.pop("project.qde").replace(b'origin="qualcode', b'origin="NVivo 14 (qualcode')
    changed = make_qdpx(tmp_path / "changed.qdpx", qde, members)
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(changed)
    assert ("qualcode/project.json belongs to another version of project.qde (changed by another program?); "
            "read the REFI-QDA part only") in report.decisions
    assert report.counts["codings"] == report.in_file["codings"] == demo_round_trip["counts"]["codings"]
    assert report.counts["selections"] == report.in_file["selections"]


PASSAGE_TEXT = ("Interviewer: Hoe leert u het vak?\n\nAnna: Vooral door intervisie met collega's en door te lezen.\n\n"
                "Interviewer: En de regels?\n\nAnna: De Participatiewet pas ik streng toe, maar met maatwerk.")
CODE_1, CODE_2 = "11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"
USER_1, USER_SYS = "22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"


def passages_fixture(tmp_path, name="passages.qdpx"):
    """A project as a vendor writes it (ATLAS.ti here): two same-code passages in one segment,
    one passage across two segments, overlapping passages of two codes, a coding of the whole
    source, a source named by its GUID, and the program's own user."""
    counter = iter(range(1, 100))

    def selection(first, last, *codes, user=USER_1):
        start = PASSAGE_TEXT.index(first)
        end = PASSAGE_TEXT.index(last) + len(last)
        codings = "".join(f'<Coding guid="33333333-0000-4000-8000-{next(counter):012}" creatingUser="{user}">'
                          f'<CodeRef targetGUID="{code}"/></Coding>' for code in codes)
        return (f'<PlainTextSelection guid="44444444-0000-4000-8000-{next(counter):012}" startPosition="{start}" '
                f'endPosition="{end}" creatingUser="{user}">{codings}</PlainTextSelection>')

    source_guid = "55555555-0000-4000-8000-000000000001"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Passages" origin="ATLAS.ti 23.2">
  <Users><User guid="{USER_1}" name="Eva"/><User guid="{USER_SYS}" name="ATLAS.ti"/></Users>
  <CodeBook><Codes>
    <Code guid="{CODE_1}" name="Leren" isCodable="true"/><Code guid="{CODE_2}" name="Regels" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{source_guid}" name="{source_guid}" plainTextPath="internal://{source_guid}.txt" richTextPath="internal://board_2017.docx">
      {selection("Vooral", "intervisie", CODE_1)}
      {selection("collega's", "lezen.", CODE_1)}
      {selection("lezen.", "En de regels?", CODE_2)}
      {selection("De Participatiewet", "streng toe", CODE_2)}
      {selection("pas ik", "maatwerk.", CODE_1, CODE_2)}
      {selection("Vooral", "intervisie", CODE_1, user=USER_SYS)}
      <Coding guid="33333333-0000-4000-8000-000000000099" creatingUser="{USER_1}"><CodeRef targetGUID="{CODE_2}"/></Coding>
    </TextSource>
  </Sources>
</Project>"""
    return make_qdpx(tmp_path / name, qde.encode("utf-8"), {f"sources/{source_guid}.txt": PASSAGE_TEXT.encode("utf-8")})


def test_every_passage_is_kept_with_its_span_and_the_counts_equal_the_files(tmp_path, new_project):
    path = passages_fixture(tmp_path)
    official("project").assertValid(qde_of(path))
    in_file = {"selections": len(qde_of(path).findall(".//p:PlainTextSelection", P)),
               "codings": len(qde_of(path).findall(".//p:Coding", P))}
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(path)
        found = coded_texts(project, "board_2017.docx")[1]
        with project.store.reading() as conn:
            kinds = dict(conn.execute(sa.select(coders.c.name, coders.c.kind)).all())
        segment_codes = project.segments()["codes"].tolist()
        with pytest.raises(QualcodeError) as caught:
            project.agreement()
    assert in_file == {"selections": 6, "codings": 8}
    assert (report.counts["selections"], report.counts["codings"]) == (6, 8) and report.in_file == in_file
    assert report.skipped == []
    whole = PASSAGE_TEXT
    assert sorted(found) == sorted([
        ("Vooral door intervisie", "Leren", "Eva", 2),
        ("collega's en door te lezen.", "Leren", "Eva", 2),            # two same-code passages in one segment
        ("lezen.\n\nInterviewer: En de regels?", "Regels", "Eva", 2),  # one passage over two segments
        ("lezen.\n\nInterviewer: En de regels?", "Regels", "Eva", 3),
        ("De Participatiewet pas ik streng toe", "Regels", "Eva", 4),  # overlapping passages of two codes
        ("pas ik streng toe, maar met maatwerk.", "Leren", "Eva", 4),
        ("pas ik streng toe, maar met maatwerk.", "Regels", "Eva", 4),
        ("Vooral door intervisie", "Leren", "ATLAS.ti", 2),
        *[(whole, "Regels", "Eva", number) for number in (1, 2, 3, 4)],  # the coding of the whole source
    ])
    assert kinds == {"Eva": "human", "ATLAS.ti": "system"}
    assert "user ATLAS.ti: the program's own user, a coder of kind system (not counted as a human coder)" in report.decisions
    assert segment_codes[1] == "ATLAS.ti: Leren | Eva: Leren, Regels"  # each code once, however many passages
    assert "found Eva:" in str(caught.value)  # the program's user is no second coder


def test_passages_survive_qualcode_and_back(tmp_path):
    with Project.init(tmp_path / "p") as project:
        project.import_refi(passages_fixture(tmp_path))
        project.export_refi_project(tmp_path / "again.qdpx")
        before = natural_rows(project)
        first = summary(tmp_path / "again.qdpx")
    with Project.init(tmp_path / "q") as copy:
        copy.import_refi(tmp_path / "again.qdpx")
        assert natural_rows(copy) == before
    leren = sorted(text for name, _, _, text, code, user in first["selections"] if code == "Leren" and user == "Eva")
    assert leren == ["Vooral door intervisie", "collega's en door te lezen.", "pas ik streng toe, maar met maatwerk."]
    assert len(first["selections"]) == 8  # 7 passages of selections, and the whole source once


def test_the_tui_marks_a_code_that_covers_only_part_of_the_segment(tmp_path, new_project):
    with new_project(tmp_path / "p") as project:
        project.import_refi(passages_fixture(tmp_path))
        project.tag("board_2017.docx:3", ["Leren"], coder="Eva")
        segment_id = int(project.segments()["segment_id"].iloc[1])
        state = project.segment_state(segment_id, "Eva", others=True)
        third = project.segment_state(int(project.segments()["segment_id"].iloc[2]), "Eva")
    assert [(c.coder, c.code_id, c.partial) for c in state.codings] == [
        ("Eva", "Leren", True), ("Eva", "Regels", False), ("ATLAS.ti", "Leren", True)]
    assert [(c.code_id, c.partial) for c in third.codings] == [("Regels", False), ("Leren", False)]


def test_minutes_with_item_and_action_labels_are_paragraphs_not_speakers():
    from qualcode.interop.load import segment_text

    text = ("Board meeting 12 March 2017\n\nPresent: J. Smith, A. Jones, K. Brown\nApologies: none\n"
            "Minutes: approved without changes.\n\nItem 1: Budget. The treasurer presented the budget for 2017.\n"
            "Decision: the budget is approved.\nAction: J. Smith to circulate the figures.\n\n"
            "Item 2: Staffing. Two vacancies remain open.\nNote: recruitment starts in April.\n"
            "Action: A. Jones to draft the advert.")
    turns, segments = segment_text(text)
    assert turns == []
    assert [text[s.start:s.end].split("\n")[0] for s in segments] == [
        "Board meeting 12 March 2017", "Present: J. Smith, A. Jones, K. Brown", "Item 1: Budget. The treasurer presented the budget for 2017.",
        "Item 2: Staffing. Two vacancies remain open."]


def test_quotes_show_every_passage_and_whole_segments_stay_whole(tmp_path, new_project):
    with new_project(tmp_path / "p") as project:
        project.import_refi(passages_fixture(tmp_path))
        project.tag("board_2017.docx:3", ["Leren"], coder="Eva")
        sections = {section.code: section for section in project.quotes(tmp_path / "quotes.csv")}
        listed = project.segments().set_index("ref")["passages"].to_dict()
    assert [(q.ref, q.text, q.coders) for q in sections["Leren"].quotes] == [
        ("board_2017.docx:2", "Vooral door intervisie", ["ATLAS.ti", "Eva"]),
        ("board_2017.docx:2", "collega's en door te lezen.", ["Eva"]),
        ("board_2017.docx:3", "En de regels?", ["Eva"]),
        ("board_2017.docx:4", "pas ik streng toe, maar met maatwerk.", ["Eva"]),
    ]
    assert listed["board_2017.docx:2"].split(" | ") == [
        'ATLAS.ti: Leren "Vooral door intervisie"', 'Eva: Leren "Vooral door intervisie"',
        'Eva: Leren "collega\'s en door te lezen."']
    assert listed["board_2017.docx:3"] == ""  # Eva's code covers the whole segment: no passage to list
    regels = [(q.ref, q.text) for q in sections["Regels"].quotes]
    assert ("board_2017.docx:2", PASSAGE_TEXT.split("\n\n")[1].removeprefix("Anna: ")) in regels  # whole-source coding: whole segments


@pytest.mark.parametrize("carried", [b"[1, 2]", b"\xff", b'{"format": "qualcode-project", "version": 1}'])
def test_a_broken_sidecar_is_named_and_the_refi_qda_part_read(tmp_path, new_project, carried):
    with zipfile.ZipFile(passages_fixture(tmp_path)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    broken = make_qdpx(tmp_path / "broken.qdpx", members.pop("project.qde"), {**members, "qualcode/project.json": carried})
    with new_project(tmp_path / "p") as project:
        report = project.import_refi(broken)
    assert "qualcode/project.json is not qualcode's project data version 1; read the REFI-QDA part only" in report.decisions
    assert (report.counts["selections"], report.counts["codings"]) == (6, 8)
