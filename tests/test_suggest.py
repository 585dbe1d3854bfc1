import json
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from qualcode.errors import Conflict, NotEnoughData
from qualcode.store import audit, coders, codings, reviews

TRAINING = {
    "KV-OPL": [
        "Ik heb vorig jaar een cursus gevolgd over motiverende gespreksvoering, drie dagen lang.",
        "Die training heeft me echt geholpen, de opleiding was goed opgezet.",
        "Ik doe nu een vakopleiding voor klantmanagers, met een certificaat aan het eind.",
        "Ik heb zelf om die cursus gevraagd, want ik wilde bijleren over gesprekken.",
        "De workshop over schulden was nuttig, ik heb er veel van opgestoken in die training.",
        "We krijgen elk jaar een opleiding, ik koos de cursus over de wet.",
    ],
    "CTX-CASE": [
        "Mijn caseload is veel te hoog, ik heb er honderdtwintig en dat is niet te doen.",
        "Door de werkdruk zie ik mensen maar eens per kwartaal, dat vind ik zonde.",
        "Honderdveertig klanten op mijn caseload, dan moet je keuzes maken.",
        "Er ligt een achterstand, de werkdruk is enorm sinds de reorganisatie.",
        "Met zo'n caseload kom je niet aan gesprekken toe, de werkdruk blijft.",
        "Ik heb te veel klanten, die caseload groeit elk jaar door.",
    ],
}
NEUTRAL = [
    "Ik werk hier nu ongeveer tien jaar, eerst in een ander team.",
    "Dat weet ik eigenlijk niet zo goed, daar heb ik nooit over nagedacht.",
    "Ja, dat klopt wel, zo gaat het meestal bij ons.",
]


@pytest.fixture
def coded(project, make_document):
    """Six interviews, each coded by anna: one KV-OPL turn, one CTX-CASE turn, one neutral turn."""
    for n in range(6):
        turns = [("I", "interviewer", "Vertel eens.")]
        for said in (TRAINING["KV-OPL"][n], TRAINING["CTX-CASE"][n], NEUTRAL[n % 3]):
            turns += [("R", "respondent", said), ("I", "interviewer", "Hm.")]
        make_document(f"km-{n}", turns)
        project.tag(f"km-{n}:1", ["KV-OPL"], coder="anna")
        project.tag(f"km-{n}:2", ["CTX-CASE"], coder="anna")
        project.review(f"km-{n}:3", coder="anna")
    return project


def _probe(make_document, name="nieuw", text="Ik wil graag nog een cursus volgen, een training over de wet."):
    make_document(name, [("I", "interviewer", "En verder?"), ("R", "respondent", text)])


def test_suggestions_are_deterministic_and_come_from_the_model(coded, make_document):
    _probe(make_document)
    first = coded.suggest(["nieuw"])
    second = coded.suggest(["nieuw"])
    assert first.equals(second)
    top = first.iloc[0]
    assert (top.ref, top.code, top.source) == ("nieuw:1", "KV-OPL", "model")
    assert top.score > 0.5
    assert set(top.reasons.split(", ")) <= {"cursus", "training", "volgen", "wet", "graag"}
    assert "cursus" in top.reasons


def test_a_code_without_positives_falls_back_to_the_codebook(coded, make_document):
    _probe(make_document, text="Ik lees elke week de nieuwsbrief en soms een vakblad.")
    table = coded.suggest(["nieuw"], top=5)
    row = table[table.code == "KV-ZELF"].iloc[0]
    assert row.source == "codebook"
    assert row.reasons.split(", ")[:2] == ["nieuwsbrief", "vakblad"]
    assert row.score >= 1 - 0.6**2


def test_unreviewed_segments_never_become_negatives(coded, make_document):
    before = coded.training_set()
    probe = "Ik heb een cursus gevolgd, een training met certificaat."
    scores_before = coded.suggest(["km-0"]).query("ref == 'km-0:1'").set_index("code").score
    # Uncoded, unreviewed segments full of KV-OPL words: as negatives they would pull KV-OPL down.
    make_document("unread", [("R", "respondent", probe)] * 4)
    coded.tag("unread:1", ["CTX-CASE"], coder="model-run")
    with coded.store.atomic("test.kind", "model-run") as conn:
        conn.execute(coders.update().where(coders.c.name == "model-run").values(kind="model"))
    after = coded.training_set()
    assert after.segment_ids == before.segment_ids
    assert len(before.segment_ids) == 18
    assert sorted(map(sorted, after.labels)).count(["KV-OPL"]) == 6
    scores_after = coded.suggest(["km-0"]).query("ref == 'km-0:1'").set_index("code").score
    assert scores_after.equals(scores_before)


def test_labels_are_the_union_of_the_human_coders(coded):
    coded.tag("km-0:3", ["KG-REL"], coder="bram")
    data = coded.training_set()
    labels = dict(zip(data.segment_ids, data.labels))
    with coded.store.reading() as conn:
        from qualcode.store.reads import resolve_segment

        third, first = resolve_segment(conn, "km-0:3"), resolve_segment(conn, "km-0:1")
    assert labels[third] == {"KG-REL"}
    assert labels[first] == {"KV-OPL"}


def test_grouped_folds_never_leak_a_document(coded):
    from qualcode.evaluation import grouped_folds
    data = coded.training_set()
    groups = np.asarray(data.groups)
    folds = grouped_folds(groups, 3)
    assert len(folds) == 3
    for train, test in folds:
        assert set(groups[train]).isdisjoint(groups[test])
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(18))


def test_scikit_learn_manners():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GroupKFold, cross_validate

    from qualcode.suggest import CodeCue, SegmentSuggester

    cues = (CodeCue("A", ("cursus",)), CodeCue("B", ("caseload",)))
    model = SegmentSuggester(codes=cues, min_positives=2, alpha=1e-3)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    with pytest.raises(NotFittedError):
        twin.predict(["een cursus"])
    texts = TRAINING["KV-OPL"] + TRAINING["CTX-CASE"]
    labels = [[1, 0]] * 6 + [[0, 1]] * 6
    assert model.fit(texts, labels) is model
    assert list(model.source_) == ["model", "model"]
    result = cross_validate(model, texts, np.array(labels), groups=[0, 1, 2, 0, 1, 2] * 2, cv=GroupKFold(3))
    assert len(result["test_score"]) == 3
    assert model.predict(["weer een cursus gevolgd", "mijn caseload is hoog"]).tolist() == [[1, 0], [0, 1]]


def test_codebook_keywords_are_found_as_whole_words_including_hyphenated_ones():
    from qualcode.suggest import CodeCue, SegmentSuggester, phrase_matcher

    assert phrase_matcher((CodeCue("A", (), ("een voorbeeld",)),)) is None
    cues = (CodeCue("HRM", ("hr-beleid", "zo'n regeling")), CodeCue("KV", ("cursus",)))
    model = SegmentSuggester(codes=cues, min_positives=5).fit(["iets anders"] * 3, [[0, 0]] * 3)
    found = model.suggest(["Het HR-beleid, zo'n regeling: geen cursussen.", "Beleid en een cursus."], top=2)
    assert [(s.code, s.reasons[:2]) for s in found[0]] == [("HRM", ("hr-beleid", "zo'n regeling"))]
    assert [(s.code, s.reasons[:1]) for s in found[1]] == [("KV", ("cursus",))]


def test_autocode_writes_a_model_coder_and_leaves_human_codings_alone(coded, make_document):
    _probe(make_document)
    with coded.store.reading() as conn:
        human_before = conn.execute(sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder, codings.c.origin).where(codings.c.coder == "anna")).all()
    report = coded.autocode(min_score=0.5)
    again = coded.autocode(min_score=0.5)
    with coded.store.reading() as conn:
        kind = conn.execute(sa.select(coders.c.kind).where(coders.c.name == "model")).scalar()
        model_rows = conn.execute(sa.select(codings.c.code_id, codings.c.origin).where(codings.c.coder == "model")).all()
        human_after = conn.execute(sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder, codings.c.origin).where(codings.c.coder == "anna")).all()
        model_reviews = conn.execute(sa.select(sa.func.count()).select_from(reviews).where(reviews.c.coder == "model")).scalar()
        logged = conn.execute(sa.select(audit.c.detail).where(audit.c.action == "autocode.write")).scalars().all()
    assert kind == "model"
    assert human_after == human_before
    assert {origin for _, origin in model_rows} == {"suggestion"}
    assert report["segments"] == model_reviews == 19
    assert len(model_rows) == report["codings"] == again["codings"] == again["replaced"]
    assert ("KV-OPL", "suggestion") in model_rows
    assert json.loads(logged[-1])["replaced"] == report["codings"]
    # Every row the second run replaced and wrote is in the log, so the coding can be rebuilt.
    log = coded.log()
    second = log[log["id"] > log[log["action"] == "autocode"]["id"].iloc[-1]]
    written = sorted((t, json.loads(d)["code"]) for t, d in second[second["action"] == "coding.add"][["target", "detail"]].values)
    removed = second[second["action"] == "coding.delete"]["detail"].map(json.loads)
    assert len(written) == len(removed) == report["codings"]
    assert (second["action"] == "review.add").sum() == (second["action"] == "review.delete").sum() == 19
    assert {entry["origin"] for entry in removed} == {"suggestion"}
    from qualcode.store.reads import segment_refs

    with coded.store.reading() as conn:
        refs = segment_refs(conn)
        stored = conn.execute(sa.select(codings.c.segment_id, codings.c.code_id).where(codings.c.coder == "model")).all()
    assert written == sorted((refs[segment_id], code) for segment_id, code in stored)


def test_autocode_refuses_a_human_coder(coded):
    with pytest.raises(Conflict) as caught:
        coded.autocode(coder="anna")
    assert str(caught.value) == (
        "coder 'anna' is a human coder; autocode writes only under a model coder: "
        "pass --coder with a new name, e.g. --coder model"
    )


def test_evaluate_says_how_much_more_data_is_needed(coded):
    with pytest.raises(NotEnoughData) as caught:
        coded.evaluate(folds=8)
    assert str(caught.value) == (
        "evaluate needs reviewed segments in at least 8 documents for 8 folds by document; "
        "the project has 6: review segments in 2 more document(s), or pass --folds 6"
    )


def test_evaluate_needs_a_code_with_enough_positives(project, make_document):
    for n in range(3):
        make_document(f"d{n}", [("R", "respondent", TRAINING["KV-OPL"][n])])
        project.tag(f"d{n}:1", ["KV-OPL"], coder="anna")
    with pytest.raises(NotEnoughData) as caught:
        project.evaluate(folds=3)
    assert str(caught.value) == (
        "no code has 5 coded segments yet (most: KV-OPL with 3): "
        "code at least 2 more segment(s) with one code before evaluating"
    )


def test_evaluate_reports_grouped_cross_validation(coded):
    result = coded.evaluate(folds=3, min_positives=3)
    assert (result.documents, result.segments, result.coded_segments) == (6, 18, 12)
    per_code = result.per_code.set_index("code")
    assert per_code.loc["KV-OPL", "support"] == 6 and per_code.loc["CTX-CASE", "support"] == 6
    assert per_code.loc["KV-OPL", "model_folds"] == 3
    precision, recall, f1 = per_code.loc["CTX-CASE", ["precision", "recall", "f1"]]
    assert recall == 1.0 and f1 == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-4)
    assert result.macro["f1"] == pytest.approx(per_code.f1.mean(), abs=1e-4)
    assert result.hit_at_3 == 1.0 and result.hit_at_1 >= 0.5
    curve = result.learning_curve
    assert curve.share_of_documents.tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert curve.training_segments.tolist() == [3.0, 6.0, 9.0, 12.0, 12.0]
    assert curve.micro_f1.iloc[-1] == result.micro["f1"]
    read_back = coded.evaluate(folds=3, min_positives=3, learning_curve=False)  # kept: no model fitted
    assert read_back.learning_curve.to_dict(orient="records") == [curve.iloc[-1].to_dict()]
    assert {**read_back.to_dict(), "learning_curve": None} == {**result.to_dict(), "learning_curve": None}


def test_an_evaluation_of_unchanged_data_is_read_back_and_any_change_fits_again(coded, monkeypatch):
    from qualcode import evaluation

    class Fitting(Exception):
        """Raised by the first fit: enough to know the evaluation was not read back."""

    def refuse_to_fit(*args, **kwargs):
        raise Fitting

    def fits(**options) -> bool:
        with monkeypatch.context() as patch:
            patch.setattr(evaluation, "out_of_fold_scores", refuse_to_fit)
            try:
                coded.evaluate(**options)
            except Fitting:
                return True
        return False

    first = coded.evaluate(folds=3, learning_curve=False)
    assert not fits(folds=3, learning_curve=False)
    again = coded.evaluate(folds=3, learning_curve=False)
    assert again.to_dict() == first.to_dict() and again.per_fold == first.per_fold
    assert again.per_code.equals(first.per_code) and again.learning_curve.equals(first.learning_curve)
    kept = coded.path.parent / coded.EVALUATION_FILE
    assert "KV-OPL" in kept.read_text(encoding="utf-8") and "cursus" not in kept.read_text(encoding="utf-8")

    assert fits(folds=3)  # the one kept has no learning curve
    assert fits(folds=2, learning_curve=False) and fits(folds=3, min_positives=3, learning_curve=False)
    coded.tag("km-0:3", ["KV-OPL"], coder="anna")
    assert fits(folds=3, learning_curve=False)
    coded.untag("km-0:3", ["KV-OPL"], coder="anna")
    assert not fits(folds=3, learning_curve=False)  # the same coding again
    kept.write_text("{ not json", encoding="utf-8")
    assert fits(folds=3, learning_curve=False)


def test_session_suggester_for_the_terminal_coder(coded, make_document):
    _probe(make_document)
    from qualcode.store.reads import resolve_segment

    with coded.store.reading() as conn:
        probe = resolve_segment(conn, "nieuw:1")
        neutral = resolve_segment(conn, "km-0:3")
        opl = resolve_segment(conn, "km-0:1")
    session = coded.suggester()
    assert session is coded.suggester()
    code, score, reasons = session.suggest(probe)[0]
    assert (code, "cursus" in reasons) == ("KV-OPL", True)
    assert coded.uncertain_order([opl, neutral, probe])[0] in (neutral, probe)
    assert sorted(session.order([opl, neutral, probe])) == sorted([opl, neutral, probe])
    assert "KG-REL" not in dict((c, s) for c, s, _ in session.suggest(neutral) if s > 0.5)
    for n in range(6):
        coded.tag(f"km-{n}:3", ["KG-REL"], coder="anna")
    worker = threading.Thread(target=session.retrain)
    worker.start()
    worker.join()
    assert session.model.source_[list(session.model.classes_).index("KG-REL")] == "model"


def test_cli_suggest_autocode_evaluate(coded, make_document, cli):
    _probe(make_document)
    where = ("--project", coded.path)
    suggested = json.loads(cli("suggest", "nieuw", "--top", "1", "--format", "json", *where).output)
    assert [(r["ref"], r["code"], r["source"]) for r in suggested] == [("nieuw:1", "KV-OPL", "model")]
    one = json.loads(cli("suggest", "km-0:2", "nieuw:1", "--top", "1", "--format", "json", *where).output)
    assert [r["ref"] for r in one] == ["km-0:2", "nieuw:1"]
    written = cli("autocode", "--min-score", "0.5", *where)
    assert written.exit_code == 0
    assert written.output.startswith("coder model: ")
    measured = json.loads(cli("evaluate", "--folds", "3", "--format", "json", *where).output)
    assert (measured["documents"], measured["hit_at_3"]) == (6, 1.0)
    refused = cli("evaluate", "--folds", "9", *where)
    assert refused.exit_code == 1


def test_codes_that_only_group_others_are_never_suggested(coded, make_document):
    _probe(make_document, text="Kennis verwerven, kennis toepassen en kennis delen: leren, cursus, opleiding.")
    table = coded.suggest(["nieuw"], top=63)
    groups = {row.id for row in coded.codes().itertuples() if not row.codable}
    assert groups == {"KV", "KT", "KBRON", "KD", "IN", "VB", "KG", "WG", "SW", "MW", "HRM", "CTX", "OUT", "ROL"}
    assert len(table) == 63 - len(groups) and not groups & set(table.code)


def test_codebook_rows_label_each_description_and_example_with_its_code():
    from qualcode.suggest import CodeCue, codebook_rows

    texts, labels = codebook_rows((CodeCue("A", examples=("a1", "a2"), description="about A"), CodeCue("B"),
                                   CodeCue("C", description="about C")))
    assert texts == ["about A", "a1", "a2", "about C"]
    assert labels.tolist() == [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 0, 1]]


def test_evaluate_baselines_compares_on_the_same_folds(coded, cli):
    result = cli("evaluate", "--folds", "3", "--baselines", "--format", "json", "--project", coded.path)
    table = {row.pop("method"): row for row in json.loads(result.output)["baselines"]}
    assert list(table) == ["suggester", "tf-idf + logistic regression", "keywords only", "prior"]
    assert table["suggester"] == {"hit_at_3_mean": 1.0, "hit_at_3_sd": 0.0, "micro_f1_mean": 0.963, "micro_f1_sd": 0.0642,
                                  "hit_at_3_gain_mean": None, "hit_at_3_gain_sd": None, "micro_f1_gain_mean": None,
                                  "micro_f1_gain_sd": None}
    assert table["prior"] == {"hit_at_3_mean": 1.0, "hit_at_3_sd": 0.0, "micro_f1_mean": 0.0, "micro_f1_sd": 0.0,
                              "hit_at_3_gain_mean": 0.0, "hit_at_3_gain_sd": 0.0, "micro_f1_gain_mean": 0.963,
                              "micro_f1_gain_sd": 0.0642}
    assert table["keywords only"] == {"hit_at_3_mean": 0.9167, "hit_at_3_sd": 0.1443, "micro_f1_mean": 0.3556, "micro_f1_sd": 0.3355,
                                      "hit_at_3_gain_mean": 0.0833, "hit_at_3_gain_sd": 0.1443, "micro_f1_gain_mean": 0.6074,
                                      "micro_f1_gain_sd": 0.3488}
    # the suggester's micro F1 fold by fold minus the pipeline's: a gain of 0.169 with sd 0.046 over 3 folds
    assert [table["tf-idf + logistic regression"][key] for key in ("micro_f1_mean", "micro_f1_gain_mean", "micro_f1_gain_sd")] == [
        0.7937, 0.1693, 0.0458]


def test_the_plain_baseline_fits_with_one_blas_thread(monkeypatch):
    """OpenBLAS threads waking for each of L-BFGS's small steps made --baselines 3x slower."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_info, threadpool_limits

    from qualcode.evaluation import PlainPipeline
    from qualcode.suggest import CodeCue

    def blas_threads():
        return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")

    seen, fit = [], LogisticRegression.fit
    monkeypatch.setattr(LogisticRegression, "fit", lambda self, *args, **kwargs: seen.append(blas_threads()) or fit(self, *args, **kwargs))
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == 2
        PlainPipeline(codes=(CodeCue("A"), CodeCue("B"))).fit(["een cursus", "de klant", "nog een cursus"], [[1, 0], [0, 1], [1, 0]])
    assert seen == [1, 1]


def test_long_calls_tell_their_progress(coded, make_document):
    _probe(make_document)
    told = []
    coded.suggest(["nieuw"], progress=lambda *step: told.append(step))
    assert told == [("training the suggester on the reviewed segments", 0, None),
                    ("scoring segments", 0, 1), ("scoring segments", 1, 1)]
    told.clear()
    evaluated = coded.evaluate(folds=3, progress=lambda *step: told.append(step))
    what = "fitting 15 models (3 folds x 5 training sizes)"
    assert told == [(what, n, 15) for n in range(16)]
    told.clear()
    coded.compare_baselines(folds=3, evaluated=evaluated, progress=lambda *step: told.append(step))
    what = "fitting 9 models for the comparison (3 folds x 3 methods)"  # the suggester's folds are lent
    assert told == [(what, n, 9) for n in range(10)]
    told.clear()
    coded.autocode(progress=lambda *step: told.append(step))
    assert [step[0] for step in told][:2] == ["training the suggester on the reviewed segments", "scoring segments"]
    assert told[-1][0].startswith("writing ") and told[-1][0].endswith(" codings")


def test_blind_suggestions_for_a_coder_ignore_other_coders_work_on_that_document(coded, make_document, cli):
    _probe(make_document)
    make_document("tweede", [("I", "interviewer", "En?"), ("R", "respondent", TRAINING["CTX-CASE"][0]),
                             ("I", "interviewer", "Hm."), ("R", "respondent", NEUTRAL[1])])
    coded.review("tweede:2", coder="anna")
    before = coded.suggest(["nieuw", "tweede"], coder="anna")
    unblind_before = coded.suggest(["nieuw"])
    from qualcode.store.reads import resolve_segment
    with coded.store.reading() as conn:
        probe = resolve_segment(conn, "nieuw:1")
    tui_before = coded.suggester(coder="anna").suggest(probe)
    coded.tag("nieuw:1", ["CTX-CASE"], coder="bram")  # another coder codes the very segment
    coded.add_memo("Twijfel KV-OPL", segment="nieuw:1", author="bram")
    assert coded.suggest(["nieuw"], coder="anna").equals(before[before["ref"].str.startswith("nieuw:")])
    assert coded.suggester(coder="anna").suggest(probe) == tui_before
    assert not coded.suggest(["nieuw"]).equals(unblind_before)  # not blind: bram's coding counts
    second = coded.suggest(["tweede"], coder="anna")
    coded.tag("tweede:1", ["KV-OPL"], coder="bram")  # and a document where anna reviewed a segment too
    coded.tag("tweede:2", ["CTX-CASE"], coder="bram")
    assert coded.suggest(["tweede"], coder="anna").equals(second)
    assert [(c.coder, c.code_id) for c in coded.segment_state(probe, "anna").codings] == []
    assert coded.segment_state(probe, "anna").memos == []
    assert coded.segment_state(probe, "anna", others=True).memos == [("bram", "Twijfel KV-OPL")]
    shown = cli("suggest", "nieuw", "--coder", "anna", "--format", "json", "--project", coded.path)
    assert shown.exit_code == 0, shown.output
    assert [row["code"] for row in json.loads(shown.output)] == list(before[before["ref"] == "nieuw:1"]["code"])
    typo = cli("suggest", "nieuw", "--coder", "annna", "--project", coded.path)
    assert typo.exit_code == 2
    assert typo.output.strip() == "qualcode: error: unknown coder 'annna': did you mean anna?; see 'qualcode status'"


def test_accepted_suggestions_are_counted_per_coder(coded, cli):
    coded.tag("km-0:1", ["KG-REL"], coder="bram", origin="suggestion")
    coded.tag("km-1:1", ["KV-OPL"], coder="bram")
    status = json.loads(cli("status", "--format", "json", "--project", coded.path).output)
    assert {name: (c["kind"], c["codings"], c["from_suggestions"]) for name, c in status["coders"].items()} == {
        "anna": ("human", 12, 0), "bram": ("human", 2, 1)}
    result = json.loads(cli("agreement", "--format", "json", "--project", coded.path).output)
    assert result["from_suggestions"] == {"anna": 0, "bram": 1}
    table = cli("agreement", "--project", coded.path).output
    assert "codings from accepted suggestions: anna 0, bram 1" in table.splitlines()


def test_each_segment_comes_with_the_interviewer_question_it_answers(coded):
    data = coded.training_set()
    assert data.questions[:3] == ["Vertel eens.", "Hm.", "Hm."]
    assert data.inputs[0] == (data.texts[0], "Vertel eens.")


def test_the_question_asked_moves_the_suggestion_for_the_same_answer():
    from qualcode.suggest import CodeCue, SegmentSuggester

    cues = (CodeCue("KV-OPL"), CodeCue("KG-REL"))
    asked = {"Welke cursus volgde je?": [1, 0], "Hoe is het contact met de klant?": [0, 1]}
    answers = [f"ja, dat was {word}" for word in ("goed", "prima", "fijn", "mooi", "leuk", "aardig")]
    segments = [(answer, question) for answer in answers for question in asked]
    model = SegmentSuggester(codes=cues, min_positives=1).fit(segments, [asked[question] for _, question in segments])
    after_course, after_contact = model.predict_proba([("ja, dat was goed", question) for question in asked])
    assert after_course[0] > 0.9 > 0.1 > after_course[1] and after_contact[1] > 0.9 > 0.1 > after_contact[0]
    assert model.predict_proba(["ja, dat was goed"]).shape == (1, 2)
