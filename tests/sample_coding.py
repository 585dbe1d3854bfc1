"""A small hand-coded project shared by the coding, retrieval, quotes and codebook tests.

Two documents, two coders; every count asserted in the tests can be checked by eye here.
"""

KM01 = [
    ("I", "interviewer", "Hoe leert u het vak?"),
    ("R", "respondent", "Vooral door intervisie met collega's."),
    ("I", "interviewer", "En de regels?"),
    ("R", "respondent", "De Participatiewet pas ik streng toe."),
]
CL01 = [
    ("I", "interviewer", "Hoe gaat het contact?"),
    ("R", "respondent", "Mijn klantmanager luistert echt naar me."),
    ("I", "interviewer", "En de regels?"),
    ("R", "respondent", "Ik kreeg een Sanctie; ik was écht boos op de Gemeente."),
]
CODINGS = [  # (ref, coder, codes); an empty tuple is reviewed with no code
    ("km01:1", "anna", ("KV-LEER",)),
    ("km01:2", "anna", ("KT-WET", "ROL-CTRL")),
    ("cl01:1", "anna", ("KG-REL",)),
    ("cl01:2", "anna", ()),
    ("km01:1", "bram", ("KV-LEER", "KD-OVL")),
    ("km01:2", "bram", ("KT-WET",)),
    ("cl01:2", "bram", ("KT-WET",)),
]


def build(project, make_document) -> None:
    make_document("km01", KM01, {"role": "klantmanager", "municipality": "Maasdelta"})
    make_document("cl01", CL01, {"role": "client", "municipality": "Veenstad"})
    for ref, coder, codes in CODINGS:
        if codes:
            project.tag(ref, list(codes), coder=coder)
        else:
            project.review(ref, coder=coder)
