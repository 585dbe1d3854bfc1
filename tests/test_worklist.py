"""The work list reads behind the keyboard coder: selection, context turns, segment state, order."""

from qualcode.worklist import ORDERS, Item, Turn, context


def test_select_loads_text_speaker_and_time_in_document_order(project, make_document):
    make_document("b", [("I", "interviewer", "Vraag?"), ("Ria", "respondent", "Antwoord een.")])
    make_document("a", [("I", "interviewer", "Vraag?"), ("Jan", "respondent", "Ja."), ("I", "interviewer", "En?"),
                        ("Jan", "respondent", "Nee.")], {"role": "klantmanager"})
    items = project.worklist()
    assert [(i.ref, i.speaker, i.time_start, i.text) for i in items] == [
        ("a:1", "Jan", 10.0, "Ja."), ("a:2", "Jan", 30.0, "Nee."), ("b:1", "Ria", 10.0, "Antwoord een."),
    ]
    assert [i.ref for i in project.worklist(attributes={"role": "klantmanager"})] == ["a:1", "a:2"]


def test_context_takes_the_turns_before_and_after_including_the_interviewer(project, make_document):
    make_document("a", [("I", "interviewer", "Eerst?"), ("Jan", "respondent", "Een."), ("I", "interviewer", "Dan?"),
                        ("Jan", "respondent", "Twee."), ("I", "interviewer", "Slot?")])
    second = project.worklist()[1]
    before, after = context(project.turns("a"), second)
    assert [(t.speaker, t.role, t.text) for t in before] == [("Jan", "respondent", "Een."), ("I", "interviewer", "Dan?")]
    assert [(t.speaker, t.time_start, t.text) for t in after] == [("I", 40.0, "Slot?")]
    assert context(project.turns("a"), second, before=0, after=0) == ([], [])


def test_context_of_a_sentence_leaves_out_its_own_turn():
    turn = Turn("Jan", "respondent", 0.0, 0, 20, "Een zin. Nog een zin.")
    sentence = Item(1, "a:1", "a", 1, "Jan", 0.0, 9, 20, "Nog een zin.")
    assert context([turn], sentence) == ([], [])


def test_segment_state_is_blind_unless_others_are_asked_for(project, make_document):
    make_document("a", [("Jan", "respondent", "Ja.")])
    project.tag("a:1", ["KT-WET"], coder="bram")
    project.tag("a:1", ["KG-REL", "KD-COL"], coder="anna", origin="suggestion")
    project.add_memo("let op", segment="a:1", author="bram")
    segment_id = project.worklist()[0].segment_id
    blind = project.segment_state(segment_id, "anna")
    assert blind.reviewed is True
    assert [(c.coder, c.code_id, c.origin) for c in blind.codings] == [("anna", "KG-REL", "suggestion"), ("anna", "KD-COL", "suggestion")]
    assert blind.memos == []  # another coder's memo is theirs while coding blind
    open_ = project.segment_state(segment_id, "anna", others=True)
    assert open_.memos == [("bram", "let op")]
    assert [(c.coder, c.code_id) for c in open_.codings] == [("anna", "KG-REL"), ("anna", "KD-COL"), ("bram", "KT-WET")]
    assert open_.codes_of("bram") == ["KT-WET"]
    assert project.segment_state(segment_id, "carla").reviewed is False


def test_reviewed_segments_and_the_uncoded_order(project, make_document):
    make_document("a", [("Jan", "respondent", "Een."), ("Jan", "respondent", "Twee."), ("Jan", "respondent", "Drie.")])
    project.review("a:2", coder="anna")
    project.tag("a:1", ["KT-WET"], coder="bram")
    items = project.worklist()
    reviewed = project.reviewed_segments("anna")
    assert reviewed == {items[1].segment_id}
    assert [i.ref for i in ORDERS["uncoded"](items, reviewed)] == ["a:1", "a:3", "a:2"]
    assert [i.ref for i in ORDERS["document"](items, reviewed)] == ["a:1", "a:2", "a:3"]
