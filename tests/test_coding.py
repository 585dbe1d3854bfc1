import pytest
import sqlalchemy as sa

from qualcode.errors import BadInput, UnknownItem
from qualcode.store import audit, codings, reviews

TURNS = [
    ("I", "interviewer", "Hoe leert u het vak?"),
    ("R", "respondent", "Vooral door intervisie met collega's."),
    ("I", "interviewer", "En de regels?"),
    ("R", "respondent", "De Participatiewet pas ik streng toe."),
]


@pytest.fixture
def doc(make_document):
    make_document("km01", TURNS, {"role": "klantmanager", "municipality": "Maasdelta"})
    return "km01"


def _codings(project):
    with project.store.reading() as conn:
        return sorted(conn.execute(sa.select(codings.c.code_id, codings.c.coder, codings.c.origin)).all())


def test_tag_untag_review_are_recorded_and_audited(project, doc):
    assert project.tag("km01:1", ["KV-LEER", "KD-OVL"], coder="anna") == ["KV-LEER", "KD-OVL"]
    assert project.tag("km01:1", ["KV-LEER"], coder="anna") == []
    assert project.review("km01:2", coder="anna") is True
    assert project.untag("km01:1", ["KD-OVL"], coder="anna") == ["KD-OVL"]
    assert _codings(project) == [("KV-LEER", "anna", "manual")]
    with project.store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reviews)).scalar() == 2
        actions = conn.execute(sa.select(audit.c.action).where(audit.c.action.like("coding.%"))).scalars().all()
    assert actions == ["coding.add", "coding.add", "coding.delete"]


def test_unreview_withdraws_the_mark_and_the_codes(project, doc):
    project.tag("km01:2", ["KT-WET"], coder="bram")
    assert project.unreview("km01:2", coder="bram") is True
    assert _codings(project) == []


def test_bad_references_name_what_is_wrong(project, doc):
    with pytest.raises(UnknownItem, match=r"unknown document 'km1': did you mean km01\?"):
        project.tag("km1:1", ["KT-WET"], coder="anna")
    with pytest.raises(BadInput, match=r"km01 has no segment 9: its segments are 1 to 2"):
        project.tag("km01:9", ["KT-WET"], coder="anna")
    with pytest.raises(UnknownItem, match=r"unknown code 'KT-WETT': did you mean KT-WET"):
        project.tag("km01:1", ["KT-WETT"], coder="anna")
    with pytest.raises(BadInput, match="no coder named"):
        project.tag("km01:1", ["KT-WET"])
    assert _codings(project) == []


def test_segments_carry_exact_text_and_filter_by_attribute(project, doc, make_document):
    make_document("cl01", [("I", "interviewer", "Vraag"), ("R", "respondent", "Mijn klantmanager luistert.")],
                  {"role": "client", "municipality": "Veenstad"})
    table = project.segments()
    assert table["ref"].tolist() == ["cl01:1", "km01:1", "km01:2"]
    assert table.set_index("ref").loc["km01:2", "text"] == "De Participatiewet pas ik streng toe."
    clients = project.segments(attributes={"role": "Client"})
    assert clients["text"].tolist() == ["Mijn klantmanager luistert."]
    with pytest.raises(UnknownItem, match="unknown attribute 'rol'"):
        project.segments(attributes={"rol": "client"})


def test_memos_attach_to_segments_documents_codes_and_the_project(project, doc):
    from qualcode.store import memos

    project.add_memo("Mooi citaat over intervisie", segment="km01:1", author="anna")
    project.add_memo("Respondent was moe", document="km01", author="anna")
    project.add_memo("Grens met KD-OVL is vaag", code="KV-LEER", author="bram")
    project.add_memo("Eerste ronde klaar", author="bram")
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(memos.c.target_type, memos.c.author).order_by(memos.c.id)).all()
    assert rows == [("segment", "anna"), ("document", "anna"), ("code", "bram"), ("project", "bram")]
    with pytest.raises(UnknownItem, match="unknown document 'km02'"):
        project.add_memo("x", document="km02", author="anna")
