"""Every layout of the formats file read from a real file, and every hostile file refused."""

import zipfile

import pytest

from qualcode import ingest
from qualcode.errors import BadFile
from qualcode.ingest import READERS, read
from transcript_files import docx_file, ole_file, replace_part


def turns(transcript):
    return [(t.speaker, t.role, transcript.turn_text(t), t.time_start, t.time_end) for t in transcript.turns]


def offsets_hold(transcript):
    pieces = [transcript.turn_text(t) for t in transcript.turns]
    assert transcript.text == "\n\n".join(pieces)


# ---- Word layouts ---------------------------------------------------------------------------

def test_label_prefix_with_continuation_paragraph_soft_break_and_annotations(tmp_path):
    path = docx_file(tmp_path / "km.docx", [
        "I: Hoe lang werk je hier al?",
        "R: Twaalf jaar. (lacht) Bij de sociale dienst in [gemeente].\nDat is lang.",
        "En ik blijf nog wel even. //mhm//",
        "I: Dank je.",
    ], title="Interview KM01", header="Respondent KM01", footer="Transcribed by [naam]")
    transcript = read(path)
    assert turns(transcript) == [
        ("I", "interviewer", "Hoe lang werk je hier al?", None, None),
        ("R", "respondent", "Twaalf jaar. (lacht) Bij de sociale dienst in [gemeente].\nDat is lang.\n\n"
                            "En ik blijf nog wel even. //mhm//", None, None),
        ("I", "interviewer", "Dank je.", None, None),
    ]
    assert transcript.metadata["headers"] == ["Respondent KM01"]
    assert transcript.metadata["footers"] == ["Transcribed by [naam]"]
    assert transcript.metadata["properties"]["title"] == "Interview KM01"
    assert transcript.name == "km"
    offsets_hold(transcript)


@pytest.mark.parametrize("interviewer,respondent", [
    ("Interviewer", "Geïnterviewde"), ("INT", "Klantmanager"), ("Int", "R1"), ("I", "B"),
    ("SP1", "SP2"), ("Speaker 1", "Speaker 2"), ("Spreker 1", "JdV"),
])
def test_label_variants_and_interviewer_recognition(tmp_path, interviewer, respondent):
    path = docx_file(tmp_path / "t.docx", [
        f"{interviewer}:\tWat doe je?", f"{respondent}: Ik ben klantmanager.",
        f"{interviewer}: En verder?", f"{respondent}: Niets.",
    ])
    expected_role = "interviewer" if interviewer.casefold() in ("interviewer", "int", "i") else "respondent"
    transcript = read(path)
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        (interviewer, expected_role), (respondent, "respondent"), (interviewer, expected_role), (respondent, "respondent"),
    ]
    assert transcript.turn_text(transcript.turns[0]) == "Wat doe je?"
    assert read(path, interviewers=[interviewer.upper()]).turns[0].role == "interviewer"


def test_f4_end_times_close_the_turn(tmp_path):
    path = docx_file(tmp_path / "f4.docx", [
        "I: Wat is je rol? #00:00:08-3#",
        "B: Ik ben klantmanager. #00:00:19-0#",
        "Al zes jaar. #00:01:17-5#",
    ])
    assert turns(read(path)) == [
        ("I", "interviewer", "Wat is je rol?", None, 8.3),
        ("B", "respondent", "Ik ben klantmanager.\n\nAl zes jaar.", None, 77.5),
    ]


def test_bold_label_paragraph_split_over_runs_with_a_time_run(tmp_path):
    path = docx_file(tmp_path / "bold.docx", [
        [("Inter", True), ("viewer ", True), ("00:00:04", False)],
        "Hoe ben je ingewerkt?",
        [("Klant", True), ("manager", True)],
        "Met een buddy.",
        "Dat was fijn.",
        [("Interviewer", True)],
        "En daarna?",
    ])
    assert turns(read(path)) == [
        ("Interviewer", "interviewer", "Hoe ben je ingewerkt?", 4.0, None),
        ("Klantmanager", "respondent", "Met een buddy.\n\nDat was fijn.", None, None),
        ("Interviewer", "interviewer", "En daarna?", None, None),
    ]


def test_teams_docx_whole_meeting_in_one_paragraph(tmp_path):
    meeting = "\n".join([
        "Eva Jansen started transcription",
        "Eva Jansen   0:04", "Fijn dat u er bent.",
        "Ronald Kuipers   0:12", "Dank u.", "Ik vertel graag.",
        "Ronald Kuipers   0:20", "Nog iets.",
        "Eva Jansen   1:02:03", "Tot slot.",
        "Eva Jansen stopped transcription",
    ])
    path = docx_file(tmp_path / "teams.docx", ["Interview cliënt (fictief)\n9 februari 2021, 10:02\n14m 4s", meeting])
    transcript = read(path, interviewers=["Eva Jansen"])
    assert turns(transcript) == [
        ("Eva Jansen", "interviewer", "Fijn dat u er bent.", 4.0, None),
        ("Ronald Kuipers", "respondent", "Dank u.\nIk vertel graag.\n\nNog iets.", 12.0, None),
        ("Eva Jansen", "interviewer", "Tot slot.", 3723.0, None),
    ]
    assert transcript.metadata["dropped"] == ["Eva Jansen started transcription", "Eva Jansen stopped transcription"]
    assert transcript.metadata["preamble"] == ["Interview cliënt (fictief)", "9 februari 2021, 10:02", "14m 4s"]


def test_word_transcribe_and_bracketed_time_headers(tmp_path):
    path = docx_file(tmp_path / "wt.docx", [
        "00:00:05 Speaker 1", "Goedemorgen.", "00:00:09 Speaker 2", "Morgen.",
        "[00:01:10] Speaker 1", "Zullen we?",
    ])
    assert turns(read(path, interviewers=["Speaker 1"])) == [
        ("Speaker 1", "interviewer", "Goedemorgen.", 5.0, None),
        ("Speaker 2", "respondent", "Morgen.", 9.0, None),
        ("Speaker 1", "interviewer", "Zullen we?", 70.0, None),
    ]


def test_time_line_then_name_colon_text(tmp_path):
    path = docx_file(tmp_path / "amber.docx", [
        "00:00:04", "Interviewer: Wat doet u?", "", "00:00:12", "Teamleider: Ik leid een team.", "Van twaalf mensen.", "",
    ])
    assert turns(read(path)) == [
        ("Interviewer", "interviewer", "Wat doet u?", 4.0, None),
        ("Teamleider", "respondent", "Ik leid een team.\n\nVan twaalf mensen.", 12.0, None),
    ]


def test_table_time_speaker_text_with_header_and_spacer_rows_every_timed_row_a_turn(tmp_path):
    path = docx_file(tmp_path / "table.docx", table=[
        ["Tijd", "Spreker", "Tekst"],
        ["00:00:08", "Interviewer", "Hoe gaat het?"],
        ["", "", ""],
        ["00:00:17", "Respondent", "Goed.\nHeel goed zelfs."],
        ["00:00:30", "Respondent", "Echt waar."],
    ])
    transcript = read(path)
    assert turns(transcript) == [
        ("Interviewer", "interviewer", "Hoe gaat het?", 8.0, None),
        ("Respondent", "respondent", "Goed.\nHeel goed zelfs.", 17.0, None),
        ("Respondent", "respondent", "Echt waar.", 30.0, None),
    ]
    assert transcript.metadata["table_header"] == ["Tijd", "Spreker", "Tekst"]


def test_table_speaker_text_and_time_text_with_split_timestamp_runs(tmp_path):
    two = docx_file(tmp_path / "two.docx", table=[["I", "Wat doe je?"], ["R", "Ik werk bij de gemeente."]])
    assert [(t.speaker, t.role) for t in read(two).turns] == [("I", "interviewer"), ("R", "respondent")]
    timed = docx_file(tmp_path / "timed.docx", table=[
        [[("19m ", False), ("13s", False), (":", False)], "Ik werk hier al lang."],
        [[("20m ", False), ("2s:", False)], "En met plezier."],
    ])
    transcript = read(timed)
    assert turns(transcript) == [("Respondent", "respondent", "Ik werk hier al lang.", 1153.0, None),
                                 ("Respondent", "respondent", "En met plezier.", 1202.0, None)]
    assert str(transcript.detection) == "table (confidence 0.80)"
    assert transcript.warnings == [f"{timed}: one speaker only (Respondent); if more people speak, check with "
                                   "'qualcode inspect' and force a layout with --layout NAME"]


def test_no_labels_is_paragraphs_by_one_speaker_and_a_colon_mid_prose_is_no_label(tmp_path):
    path = docx_file(tmp_path / "prose.docx", [
        "Ik werk al twaalf jaar als klantmanager.",
        "Mijn teamleider zei: dat moet anders.",
        "[naam] vond dat ook.",
    ])
    transcript = read(path)
    assert turns(transcript) == [
        ("Respondent", "respondent", "Ik werk al twaalf jaar als klantmanager.", None, None),
        ("Respondent", "respondent", "Mijn teamleider zei: dat moet anders.", None, None),
        ("Respondent", "respondent", "[naam] vond dat ook.", None, None),
    ]
    assert transcript.detection.layout == "paragraphs"
    assert transcript.warnings == [
        f"{path}: no consistent speaker labels (no speaker label rule matched); read as paragraphs by one speaker; "
        "check with 'qualcode inspect' and force a layout with --layout NAME if it is an interview"]


def test_labels_inside_a_turn_are_not_speakers_unless_they_recur(tmp_path):
    path = docx_file(tmp_path / "t.docx", [
        "I: Wat zei hij?", "R: Hij zei het zo.", "Kortom: niets.", "I: Oké.",
    ])
    assert [t.speaker for t in read(path).turns] == ["I", "R", "I"]


# ---- text, WebVTT, SubRip -----------------------------------------------------------------

def test_otter_txt_preamble_headers_and_footer(tmp_path):
    path = tmp_path / "otter.txt"
    path.write_text(
        "Interview (fictief)\nThu, 5/20 10:02AM • 14:24\n\nSUMMARY KEYWORDS\nteam, dossiers\n\nSPEAKERS\nLisa, Peter\n\n"
        "Lisa Vermeulen  0:08\nWat doe je?\n\nPeter Hoekstra  0:17\nIk leid een team.\nMet plezier.\n\n"
        "Transcribed by https://otter.ai\n", encoding="utf-8")
    transcript = read(path, interviewers=["Lisa Vermeulen"])
    assert turns(transcript) == [
        ("Lisa Vermeulen", "interviewer", "Wat doe je?", 8.0, None),
        ("Peter Hoekstra", "respondent", "Ik leid een team.\nMet plezier.", 17.0, None),
    ]
    assert transcript.metadata["preamble"][:3] == ["Interview (fictief)", "Thu, 5/20 10:02AM • 14:24", "SUMMARY KEYWORDS"]
    assert transcript.metadata["dropped"] == ["Transcribed by https://otter.ai"]


def test_noscribe_atrain_and_id_text_layouts(tmp_path):
    noscribe = tmp_path / "noscribe.txt"
    noscribe.write_text("noScribe transcript\naudio.mp3\n\nS01: [00:00:12] Hoe gaat het?\n\nS02: [00:00:15] Goed (..) denk ik.\n",
                        encoding="utf-8")
    assert turns(read(noscribe, interviewers=["S01"])) == [
        ("S01", "interviewer", "Hoe gaat het?", 12.0, None), ("S02", "respondent", "Goed (..) denk ik.", 15.0, None),
    ]
    atrain = tmp_path / "atrain.txt"
    atrain.write_text("SPEAKER_00\n[00:00:01] - Hallo.\n[00:00:03] - Hoe gaat het?\n\nSPEAKER_01\n[00:00:05] - Prima.\n\n"
                      "SPEAKER_00\n[00:00:09] - Mooi.\n", encoding="utf-8")
    assert turns(read(atrain)) == [
        ("SPEAKER_00", "respondent", "Hallo.\nHoe gaat het?", 1.0, None),
        ("SPEAKER_01", "respondent", "Prima.", 5.0, None),
        ("SPEAKER_00", "respondent", "Mooi.", 9.0, None),
    ]
    ids = tmp_path / "ids.md"
    ids.write_text("# Interview 3\n\n[i] Wat doe je?\n[id1] Ik werk. [onverstaanbaar]\n[i] Dank je.\n", encoding="utf-8")
    transcript = read(ids)
    assert [(t.speaker, t.role, transcript.turn_text(t)) for t in transcript.turns] == [
        ("i", "interviewer", "Wat doe je?"), ("id1", "respondent", "Ik werk. [onverstaanbaar]"), ("i", "interviewer", "Dank je."),
    ]
    assert transcript.metadata["headings"] == ["Interview 3"]


def test_teams_vtt_voices_entities_cue_ids_and_split_utterances(tmp_path):
    path = tmp_path / "teams.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "6a3e/1-0\n00:00:04.000 --> 00:00:09.500\n<v Farías, Tom (Gemeente)>Goedemiddag, fijn dat\nu er bent.</v>\n\n"
        "6a3e/2-0\n00:00:10.087 --> 00:00:13.130\n<v No&#235;lle Brouwer>Ik had veel schulden.</v>\n\n"
        "6a3e/2-1\n00:00:13.130 --> 00:00:20.000\n<v No&#235;lle Brouwer>Nu niet meer.</v>\n",
        encoding="utf-8")
    transcript = read(path, interviewers=["Farías, Tom (Gemeente)"])
    assert turns(transcript) == [
        ("Farías, Tom (Gemeente)", "interviewer", "Goedemiddag, fijn dat\nu er bent.", 4.0, 9.5),
        ("Noëlle Brouwer", "respondent", "Ik had veel schulden. Nu niet meer.", 10.087, 20.0),
    ]


def test_noscribe_vtt_title_notes_unclosed_and_malformed_voices(tmp_path):
    path = tmp_path / "noscribe.vtt"
    path.write_text(
        "WEBVTT - interview 4\n\nNOTE\nTranscribed with noScribe\n\n"
        "0:0:5.100 --> 0:0:8.250\n<v S01>Hoe is het?\n\n"
        "0:0:8.250 --> 0:0:12.000\n<v //S02>Goed. (lacht)\n", encoding="utf-8")
    transcript = read(path, interviewers=["S01"])
    assert turns(transcript) == [("S01", "interviewer", "Hoe is het?", 5.1, 8.25), ("S02", "respondent", "Goed. (lacht)", 8.25, 12.0)]
    assert transcript.metadata["title"] == "interview 4"
    assert transcript.metadata["notes"] == ["Transcribed with noScribe"]


def test_zoom_vtt_with_crlf_and_name_colon_cues_and_srt(tmp_path):
    zoom = tmp_path / "zoom.vtt"
    zoom.write_bytes(
        b"WEBVTT\r\n\r\n1\r\n00:00:01.000 --> 00:00:03.000\r\nAnna de Vries: Welkom.\r\n\r\n"
        b"2\r\n00:00:03.000 --> 00:00:06.000\r\nAnna de Vries: Zullen we beginnen?\r\n\r\n"
        b"3\r\n00:00:06.000 --> 00:00:09.000\r\nPiet: Ja.\r\n")
    assert turns(read(zoom, interviewers=["Anna de Vries"])) == [
        ("Anna de Vries", "interviewer", "Welkom. Zullen we beginnen?", 1.0, 6.0), ("Piet", "respondent", "Ja.", 6.0, 9.0),
    ]
    srt = tmp_path / "sub.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,500\nI: Hoi.\n\n2\n00:00:03,000 --> 00:00:04,000\nR: Hallo.\n", encoding="utf-8")
    assert turns(read(srt)) == [("I", "interviewer", "Hoi.", 1.0, 2.5), ("R", "respondent", "Hallo.", 3.0, 4.0)]


def test_text_with_bom_and_cp1252_fallback_warns(tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffI: Café?\nR: Ja.\n".encode("utf-8"))
    assert turns(read(bom))[0][2] == "Café?"
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("I: Café?\nR: Één.\n".encode("cp1252"))
    transcript = read(legacy)
    assert turns(transcript)[1][2] == "Één."
    assert transcript.warnings == [
        f"{legacy}: not UTF-8; read as Windows-1252 (cp1252); check accented letters, or save it as UTF-8 and import again with --replace"
    ]


@pytest.mark.parametrize("stamp,expected", [
    ("#00:01:17-0#", 77.0), ("#01:02:03.250#", 3723.25), ("[00:00:12]", 12.0), ("[00:12]", 12.0), ("[0:12]", 12.0),
    ("[01.02.03]", 3723.0), ("[02.03]", 123.0), ("{00:01:00}", 60.0), ("0:02:03", 123.0), ("02:03", 123.0),
    ("19m 13s:", 1153.0), ("0:0:5.100", 5.1), ("00:00:10,087", 10.087),
])
def test_every_timestamp_shape(stamp, expected):
    from qualcode.turns import seconds

    assert seconds(stamp) == pytest.approx(expected)


def test_timestamps_leave_the_text_and_name_glued_to_a_time(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("00:03:40.5Anna: Welkom {00:03:42} hier.\nPiet: [00:03:50] Dank je. #00:03:55-2#\n", encoding="utf-8")
    assert turns(read(path, interviewers=["Anna"])) == [
        ("Anna", "interviewer", "Welkom hier.", 220.5, None), ("Piet", "respondent", "Dank je.", 230.0, 235.2),
    ]


# ---- hostile and bad files -------------------------------------------------------------------

def test_non_zip_named_docx(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("I: hallo\n")
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: is not a Word .docx file (not a zip archive); open it in Word, save it as .docx and import again"


def test_truncated_docx(tmp_path):
    path = docx_file(tmp_path / "cut.docx", ["I: hallo", "R: dag"])
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: is damaged or incomplete (a broken zip archive); copy the file again or re-save it in Word"


def test_encrypted_docx_and_legacy_doc(tmp_path):
    encrypted = ole_file(tmp_path / "secret.docx", encrypted=True)
    with pytest.raises(BadFile) as caught:
        read(encrypted)
    assert str(caught.value) == f"{encrypted}: is password-protected (encrypted); remove the password in Word and import again"
    for legacy in (ole_file(tmp_path / "old.doc", encrypted=False), ole_file(tmp_path / "renamed.docx", encrypted=False)):
        with pytest.raises(BadFile) as caught:
            read(legacy)
        assert str(caught.value) == (f"{legacy}: is a legacy Word 97-2003 document (.doc); open it in Word, "
                                     "save it as .docx and import again")


def test_xml_with_dtd_or_entities_is_never_parsed(tmp_path):
    path = docx_file(tmp_path / "xxe.docx", ["I: hallo", "R: dag"])
    replace_part(path, "word/document.xml", lambda xml: xml.replace(
        b"?>", b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1))
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == (f"{path}: word/document.xml declares a DTD or XML entities, which qualcode never "
                                 "resolves; re-save it in Word and import again")


def test_zip_bomb(tmp_path):
    path = docx_file(tmp_path / "bomb.docx", ["I: hallo"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("word/media/padding.xml", b"\0" * (20 * 2**20))
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}: unpacks to 20 MB in word/media/padding.xml (compressed ")
    assert str(caught.value).endswith(" kB), which looks like a zip bomb; qualcode refuses it; re-save the transcript in Word")


def test_oversized_file(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 2**20)
    path = tmp_path / "big.txt"
    path.write_text("I: " + "woord " * 400_000)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: is 2 MB, more than the 1 MB qualcode reads; split the transcript into smaller files"


def test_empty_docx(tmp_path):
    path = docx_file(tmp_path / "empty.docx", ["", "   "], header="Respondent KM09")
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: holds no transcript text; check that it is the right file"


@pytest.mark.parametrize("suffix", sorted(set(READERS) - {".docx"}))
@pytest.mark.parametrize("content,problem", [
    (b"", "holds no transcript text; check that it is the right file"),
    (b"\n  \n\t\n", "holds no transcript text; check that it is the right file"),
    (b"I: \x81\x8d\x8f", "is neither UTF-8 nor Windows-1252 text; save it as UTF-8 and import again"),
    (b"PK\x03\x04\x00\x00binary", "is not a text file (it holds binary data); export the transcript as UTF-8 text and import again"),
])
def test_every_text_reader_refuses_the_same_bad_files(tmp_path, suffix, content, problem):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: {problem}"


def test_unknown_suffix(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == f"{path}: is not a transcript type qualcode reads; use one of .docx, .md, .srt, .txt, .vtt"


def test_readme_format_table_is_the_reader_registry():
    from conftest import REPO

    assert ingest.format_table() in (REPO / "README.md").read_text(encoding="utf-8")


def test_bold_whole_interviewer_turns_without_labels(tmp_path):
    path = docx_file(tmp_path / "bolded.docx", [
        [("Hoe lang werk je hier al?", True)], "Twaalf jaar.", "Met plezier.",
        [("En je caseload?", True)], "Te hoog.",
    ])
    transcript = read(path)
    assert turns(transcript) == [
        ("Interviewer", "interviewer", "Hoe lang werk je hier al?", None, None),
        ("Respondent", "respondent", "Twaalf jaar.\n\nMet plezier.", None, None),
        ("Interviewer", "interviewer", "En je caseload?", None, None),
        ("Respondent", "respondent", "Te hoog.", None, None),
    ]
    assert transcript.warnings == [
        f"{path}: no speaker labels; bold paragraphs are read as the interviewer's turns, the others as the respondent's"]


def test_zip_bomb_of_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_UNPACKED_BYTES", 2 * 2**20)
    path = docx_file(tmp_path / "many.docx", ["I: hallo"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as packed:
        for number in range(3):
            packed.writestr(f"word/media/part{number}.bin", b"x" * 2**20)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == (f"{path}: unpacks to more than 2 MB in all, which looks like a zip bomb; qualcode "
                                 "refuses it; re-save the transcript in Word")
