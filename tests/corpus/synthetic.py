"""The synthetic half of the conformance corpus: one builder per real-export shape of issue 15.

Each builder writes its file with python-docx (or as text) from fixed content, so the corpus is
the same on every run; ``expected.yaml`` holds the turns each file must give. The people and
the words are invented; the shapes are those of real exports (Teams, Google Meet / Gemini,
Otter, a typist's Word file, a timed table, social-media text from a REFI-QDA project).
"""

from transcript_files import docx_file

FILLER = ("Ik werk nu twaalf jaar bij de gemeente en in die tijd is er veel veranderd in hoe we met klanten "
          "omgaan, hoe we de regels lezen en hoeveel ruimte we krijgen om zelf te beslissen.")


def teams_one_speaker(path):
    speech = "\n".join([
        "Eva Jansen   0:04",
        "Goedemorgen, dit is de wekelijkse terugkoppeling over het project.",
        "Ik loop de drie punten van vorige week langs.",
        "Eerst de planning, dan de caseload en tot slot de evaluatie.",
    ])
    return docx_file(path, ["Terugkoppeling project", "3 november 2025, 09:02", "Eva Jansen started transcription",
                            speech, "Eva Jansen stopped transcription"])


def teams_three_speakers(path):
    speech = "\n".join([
        "Jansen, Eva (Gemeente)   0:03", "Welkom allebei, fijn dat jullie tijd hebben.",
        "Ronald Kuipers   0:11", "Graag gedaan.",
        "Sanne de Wit   0:15", "Ja, dank je.", "Ik moet om elf uur weg.",
        "Jansen, Eva (Gemeente)   0:22", "Dan beginnen we meteen.",
        "Ronald Kuipers   1:02:07", "Zal ik eerst vertellen hoe het begon?",
    ])
    return docx_file(path, ["Focusgroep klantmanagers", "12 mei 2025, 10:00", "1h 2m 30s",
                            "Eva Jansen started transcription", speech, "Eva Jansen stopped transcription"])


def teams_txt(path):
    """Teams' text download: title, date, duration, then `Name   0:03` blocks."""
    path.write_text(
        "Overleg intake-20250710_154212-Meeting Recording\nJuly 10, 2025, 8:42PM\n31m 5s\n\n"
        "Eva Jansen started transcription\n\n"
        "Ronald Kuipers   0:03\nmet u. En dan de intake, die gaat in juli anders.\n\n"
        "Eva Jansen   0:21\nMhm.\n\n"
        "Ronald Kuipers   0:28\nDan komt er een tweede gesprek.\nNa twee weken.\n\n"
        "Eva Jansen stopped transcription\n", encoding="utf-8")
    return path


def meet_gemini(path):
    return docx_file(path, [
        "Interview 12 - 2025/03/04 10:00 CET - Notes by Gemini",
        "Summary",
        "Eva Jansen and Ronald Kuipers discussed the caseload of the team, the new rules for the intake and the "
        "evaluation planned for the spring. Ronald Kuipers described how the team divides the work and which cases "
        "take the most time; Eva Jansen will send the questions for the second interview next week.",
        "Next steps",
        "[Eva Jansen] Send the questions for the second interview.",
        "Invited Eva Jansen Ronald Kuipers",
        "Attachments Interview 12",
        "📖 Transcript",
        "Mar 4, 2025",
        "Interview 12 - Transcript",
        "00:00:11",
        "Eva Jansen: Goedemorgen, kunt u zich even voorstellen?",
        "00:00:18",
        "Ronald Kuipers: Ik ben Ronald, ik werk sinds 2013 als klantmanager.",
        "00:00:31",
        "Eva Jansen: Dank u. Hoe groot is uw caseload?",
        "Transcription ended after 00:00:39",
        "This editable transcript was computer generated and might contain errors. People can also change the text "
        "after it was created.",
    ])


def otter_docx(path):
    return docx_file(path, [
        "Interview klantmanager 3",
        "Wed, 8/3 3:46PM • 45:57",
        [("SUMMARY KEYWORDS", True)],
        "caseload, regels, team, intake, evaluatie",
        [("SPEAKERS", True)],
        "Interviewer (Eva), Ronald Kuipers",
        [("Interviewer (Eva)", True), ("  00:00", False)],
        "Zullen we beginnen met uw rol?",
        [("Ronald Kuipers", True), ("  00:07", False)],
        "Ik ben klantmanager in het team werk.",
        "Al sinds 2013.",
        "Interviewer (Eva)  01:15",
        "Hoe ziet een gewone week eruit?",
        "Ronald Kuipers  01:22",
        "Veel gesprekken, en veel rapportages.",
    ], footer="Transcribed by https://otter.ai")


def typist_docx(path):
    separator = [("* * *", True)]
    return docx_file(path, [
        [("Interviewer (Eva)", True)],
        "Welkom. Ik stel u eerst een paar vragen over uw achtergrond. " + FILLER + " Wilt u vertellen hoe u hier "
        "terecht bent gekomen en wat u daarvoor deed?",
        separator,
        [("MS-1030", True)],
        "Ik kwam hier na mijn opleiding sociaal werk. " + FILLER,
        separator,
        [("Interviewer (Eva)", True)],
        "En hoe was dat, de eerste jaren?",
        separator,
        [("MS-1030", True)],
        "Zwaar, maar leerzaam.",
        separator,
        [("Interviewer (Eva)", True)],
        "Wat zou u anders doen?",
        separator,
        [("MS-1030", True)],
        "Eerder om hulp vragen.",
    ], header="Project KM-2024 | respondent MS-1030", footer="Transcribed by J. de Vries, 12-03-2024")


def typist_plain(path):
    """The typist's layout without bold: plain labels with a parenthesis or a participant id."""
    return docx_file(path, [
        "Interviewer (Eva)", "Hoe lang werkt u hier?",
        "R3", "Twaalf jaar.", "Ja.",
        "Interviewer (Eva)", "En daarvoor?",
        "R3", "Bij een uitzendbureau.",
    ])


def timed_table(path):
    rows = []
    for number, words in enumerate(["Ik werk hier al lang.", "En met plezier, meestal.", "", "Soms ook niet.",
                                    "Dat hangt van de week af."]):
        if not words:
            rows.append(["", ""])
            continue
        minutes, secs = 19 + number, (13 + 7 * number) % 60
        rows.append([[(f"{minutes}m ", False), (f"{secs}s", False), (":", False)], words])
    return docx_file(path, table=rows)


def refi_comments(path):
    """Social-media comments as a REFI-QDA text source holds them: `Page: comment` lines."""
    pages = ["Koronavírus", "Index", "Telex", "Kovács Anna", "Nagy Péter", "Szabó Éva", "Tóth Gábor", "Horváth Ilona",
             "Kiss Márton", "Varga Zsófia", "Molnár Dávid", "Németh Réka", "Farkas Bence", "Balogh Kitti"]
    lines = []
    for number in range(30):
        page = pages[0] if number % 3 == 0 else pages[1 + number % (len(pages) - 1)]
        lines.append(f"{page}: Hozzászólás {number + 1}, a járványügyi intézkedésekről és az oltásról.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def policy_notes(path):
    """A document with a few `Word:` lines that are headings of prose, not speakers."""
    return docx_file(path, [
        "Achtergrond: de gemeente wil de intake anders inrichten.",
        "De klantmanagers zien daarin kansen en risico's.",
        "Doel: minder wachttijd en meer maatwerk.",
        "Aanpak: twee teams proberen het een half jaar.",
        "Evaluatie: in het voorjaar, met interviews.",
        "Daarna besluit het college.",
    ])


BUILDERS = {
    "teams-one-speaker.docx": teams_one_speaker,
    "teams-three-speakers.docx": teams_three_speakers,
    "teams-export.txt": teams_txt,
    "meet-gemini.docx": meet_gemini,
    "otter.docx": otter_docx,
    "typist.docx": typist_docx,
    "typist-plain.docx": typist_plain,
    "timed-table.docx": timed_table,
    "refi-comments.txt": refi_comments,
    "policy-notes.docx": policy_notes,
}


def build(folder):
    """Write every synthetic corpus file into ``folder``; returns ``{name: path}``."""
    return {name: builder(folder / name) for name, builder in BUILDERS.items()}
