"""Agreement, disagreements, consensus, adjudication and merging, on real projects.

Published worked examples (values reproduced through ``qualcode agreement --format json``):
- Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (nominal data,
  4 coders, 12 units, missing values): alpha = 0.743; section A (binary, 2 coders, 10 units):
  alpha = 0.095. The paper's coincidence marginals give the exact values below.
- Cohen's kappa: the 2 x 2 example of the Wikipedia article "Cohen's kappa" (50 proposals,
  20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no): po = 0.7, pe = 0.5, kappa = 0.4.
- Fleiss (1971) as worked in the Wikipedia article "Fleiss' kappa" (10 subjects, 14 raters,
  5 categories): P = 0.378, Pe = 0.213, kappa = 0.210. Fleiss' overall kappa is the
  p_j (1 - p_j)-weighted mean of the per-category kappas (Fleiss 1971, eq. 15), and each
  per-category kappa is our per-code Fleiss' kappa of the binary variable "category j".
- Gwet's AC1 on Krippendorff's 4-coder data, as in Gwet (2014, Handbook of Inter-Rater
  Reliability) and the irrCAC documentation (gwet.ac1.raw(cac.raw4raters)): pa = 0.8181818,
  pe = 0.1903212, AC1 = 0.77544.

Categories of a nominal example are the children V1..V5 of an exclusive code V (a test
codebook); a binary example is the code Y applied (1) or the segment reviewed without it (0).
"""

import asyncio
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import copy_project
from qualcode import Project
from qualcode.agreement import (NONE, SEED, Units, category_counts, fleiss_kappa, gwet_ac1, krippendorff_alpha,
                                pairable, percent_agreement, pooled_alpha, resample, unit_patterns, weighted_alphas)
from qualcode.errors import BadInput, Conflict
from qualcode.store import audit, codings, coders, memos
from qualcode.store import coding as store_coding
from qualcode.store import reads

CODEBOOK = """\
title: Agreement tests
version: "1"
codes:
  - id: V
    name: A nominal variable
    exclusive: true
    children:
""" + "".join(f"      - id: V{i}\n        name: Value {i}\n" for i in range(1, 6)) + """\
  - id: Y
    name: A binary variable
    children:
      - id: Y-SUB
        name: A sub-code of Y
"""

NAN = None
KRIPPENDORFF_NOMINAL = {  # Krippendorff (2011), section C: coders x units 1-12
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
}
FLEISS = [  # Fleiss' kappa (Wikipedia): raters per category 1-5, per subject
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]


@pytest.fixture
def project(tmp_path, new_project):
    """A project with the small test codebook (overrides the shared fixture, so make_document uses it)."""
    book = tmp_path / "agreement.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    with new_project(tmp_path / "study", book) as opened:
        yield opened


@pytest.fixture
def doc(make_document):
    """Document "d" with 50 respondent turns: segments d:1 .. d:50."""

    def make(n=50, name="d"):
        turns = [("R", "respondent", f"Antwoord {i} over [het] werk.") for i in range(1, n + 1)]
        make_document(name, turns)
        return name

    return make


def code_rows(project, rows):
    """Apply (document, segment, coder, code) rows in one transaction; code None = reviewed, no code."""
    with project.store.atomic("test.codings") as conn:
        for document, number, coder, code in rows:
            segment_id = reads.resolve_segment(conn, f"{document}:{number}")
            if code is None:
                store_coding.mark_reviewed(project.store, conn, segment_id, coder)
            else:
                store_coding.tag(project.store, conn, segment_id, [code], coder)


def binary_rows(document, coder, values):
    """Rows for a binary variable: 1 = Y applied, 0 = reviewed without Y, None = not reviewed."""
    return [(document, i, coder, "Y" if v else None) for i, v in enumerate(values, start=1) if v is not None]


def agreement_json(cli, project, *args):
    result = cli("agreement", "--project", project.path, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_krippendorff_nominal_example_with_missing_data(project, doc, cli):
    doc(12)
    code_rows(project, [("d", u, coder, f"V{v}") for coder, values in KRIPPENDORFF_NOMINAL.items()
                        for u, v in enumerate(values, start=1) if v is not None])
    out = agreement_json(cli, project, "--codes", "V")
    # Coincidence marginals of the paper: n = 40 pairable values, n_c = 9, 13, 10, 5, 3, 32 on the diagonal.
    expected = 1 - (40 - 1) * (40 - 32) / (40**2 - (9**2 + 13**2 + 10**2 + 5**2 + 3**2))
    (group,) = out["groups"]
    assert (group["code"], group["alpha"], group["n_units"]) == ("V", pytest.approx(expected, abs=1e-9), 11)
    assert round(group["alpha"], 3) == 0.743
    # irrCAC's cac.raw4raters is the same data: Fleiss 0.76117, percent agreement 0.8181818. AC1 divides
    # chance by q - 1 categories: irrCAC's 0.77544 has q = 5 (pe 0.1903212); the group has 6 (V1-V5, none).
    chance = 0.1903212 * 4 / 5
    assert (group["fleiss_kappa"], group["ac1"], group["percent_agreement"], group["kappa"]) == (
        pytest.approx(0.76117, abs=5e-6), pytest.approx((9 / 11 - chance) / (1 - chance), abs=1e-6), pytest.approx(9 / 11), None)
    assert out["coders"] == ["A", "B", "C", "D"]


def test_gwet_ac1_on_the_four_coder_example():
    values = pd.DataFrame(KRIPPENDORFF_NOMINAL, dtype=float)
    assert gwet_ac1(category_counts(values, [1, 2, 3, 4, 5])).value == pytest.approx(0.775444068, abs=1e-6)


def test_fleiss_kappa_in_gwets_missing_data_form_on_irrcac_raw4raters():
    # irrCAC fleiss.kappa.raw(cac.raw4raters): pa 0.8181818, pe 0.2387153, kappa 0.76117; no unit
    # has all four raters, so the complete-case form had nothing to measure on some rows.
    counts = category_counts(pd.DataFrame(KRIPPENDORFF_NOMINAL, dtype=float), [1, 2, 3, 4, 5])
    assert percent_agreement(counts).value == pytest.approx(0.8181818, abs=1e-7)
    assert fleiss_kappa(counts, 4).value == pytest.approx((0.8181818 - 0.2387153) / (1 - 0.2387153), abs=1e-6)
    assert round(fleiss_kappa(counts, 4).value, 5) == 0.76117
    assert round(krippendorff_alpha(counts).value, 5) == 0.74342


def test_batched_bootstrap_alphas_equal_the_krippendorff_package():
    import krippendorff
    import numpy as np

    counts = category_counts(pd.DataFrame(KRIPPENDORFF_NOMINAL, dtype=float), [1, 2, 3, 4, 5])
    patterns, weights = resample(pairable(counts), 20, SEED)
    assert weights.sum(axis=1).tolist() == [11] * 20
    expected = [krippendorff.alpha(value_counts=np.repeat(patterns, w.astype(int), axis=0), level_of_measurement="nominal")
                for w in weights]
    assert weighted_alphas(patterns, weights) == pytest.approx(expected, abs=1e-12)


def test_units_hold_what_each_coder_gave_cell_by_cell():
    # The arrays against the plain definitions on code sets, with a coder who broke exclusivity,
    # segments reviewed without a code, segments a coder never saw and one nobody saw (4).
    import numpy as np

    rows = {"A": [(1, "A", None), (1, "A", "V1"), (1, "A", "V2"), (2, "A", None), (3, "A", "Y-SUB"), (5, "A", "Y")],
            "B": [(1, "B", "V1"), (2, "B", "Y"), (2, "B", "V3"), (5, "B", None)],
            "C": []}
    units = Units.read((name, list(found)) for name, found in rows.items())
    sets = {(s, coder): set() for found in rows.values() for s, coder, _ in found}
    for found in rows.values():
        for s, coder, code in found:
            sets[s, coder] |= {code} - {None}
    expected = pd.DataFrame([[frozenset(sets[s, c]) if (s, c) in sets else None for c in "ABC"] for s in (1, 2, 3, 5)],
                            index=pd.Index([1, 2, 3, 5], name="segment_id"), columns=list("ABC"), dtype=object)
    pd.testing.assert_frame_equal(units.table(), expected)
    table = units.table()
    applied = table.apply(lambda column: column.map(lambda codes: np.nan if codes is None else float(bool(codes & {"Y", "Y-SUB"}))))
    pd.testing.assert_frame_equal(units.applied({"Y", "Y-SUB"}), applied)
    children = {f"V{i}": {f"V{i}"} for i in (1, 2, 3)}
    assert units.category(children).to_numpy().tolist() == [
        ["V1+V2", "V1", None], [NONE, "V3", None], [NONE, None, None], [NONE, NONE, None]]


def test_pooled_alpha_and_unit_patterns_equal_the_package_and_numpy():
    import krippendorff
    import numpy as np

    rng = np.random.default_rng(SEED)
    per_code = [pairable(rng.multinomial(n, [0.7, 0.3], size=500).astype(float)) for n in rng.integers(0, 5, size=40)]
    found = [unit_patterns(counts) for counts in per_code]
    for counts, (patterns, frequency) in zip(per_code, found):
        expected = np.unique(counts, axis=0, return_counts=True)
        assert (patterns.tolist(), frequency.tolist()) == (expected[0].tolist(), expected[1].tolist())
    wide = rng.integers(0, 9, size=(50, 25)).astype(float)  # 9**25 overflows a 64-bit key: numpy's own way
    assert unit_patterns(wide)[0].tolist() == np.unique(wide, axis=0).tolist()
    everything = krippendorff.alpha(value_counts=np.vstack(per_code), level_of_measurement="nominal")
    assert pooled_alpha(found).value == pytest.approx(everything, abs=1e-12)
    assert pooled_alpha([unit_patterns(np.array([[3.0, 0.0], [2.0, 0.0]]))]).reason == (
        "no variation: all values are the same category")
    assert pooled_alpha([unit_patterns(np.zeros((0, 2)))]).reason == "no pairable units (no segment reviewed by two coders)"
    assert pooled_alpha([]).reason == "no codes"


def test_krippendorff_binary_two_coder_example(project, doc, cli):
    doc(10)
    code_rows(project, binary_rows("d", "A", [0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
              + binary_rows("d", "B", [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]))
    (y,) = agreement_json(cli, project, "--codes", "Y")["codes"]
    assert y["alpha"] == pytest.approx(1 - 19 * 4 / (14 * 6), abs=1e-9)  # 0.095 in the paper
    assert y["kappa"] == pytest.approx((0.6 - 0.56) / (1 - 0.56), abs=1e-9)
    assert (y["percent_agreement"], y["n_units"], y["fleiss_kappa"]) == (pytest.approx(0.6), 10, None)
    low, high = y["alpha_ci"]
    assert low < y["alpha"] < high


def test_cohen_kappa_and_ac1_on_the_two_by_two_example(project, doc, cli):
    doc(50)
    first = [1] * 25 + [0] * 25
    second = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    code_rows(project, binary_rows("d", "A", first) + binary_rows("d", "B", second))
    out = agreement_json(cli, project, "--codes", "Y", "--coders", "A,B")
    (y,) = out["codes"]
    assert y["kappa"] == pytest.approx(0.4, abs=1e-9)
    propensity = (25 + 30) / 100  # Gwet (2008), two raters: pe = 2 pi (1 - pi)
    assert y["ac1"] == pytest.approx((0.7 - 2 * propensity * (1 - propensity)) / (1 - 2 * propensity * (1 - propensity)), abs=1e-9)
    assert out["overall"] == {"alpha_pooled": pytest.approx(y["alpha"]), "alpha_mean": pytest.approx(y["alpha"])}


def test_fleiss_kappa_example(project, doc, cli):
    doc(10)
    rows = []
    for subject, counts in enumerate(FLEISS, start=1):
        raters = iter(range(14))
        rows += [("d", subject, f"r{next(raters):02}", f"V{category}")
                 for category, n in enumerate(counts, start=1) for _ in range(n)]
    code_rows(project, rows)
    out = agreement_json(cli, project, "--codes", "V1,V2,V3,V4,V5")
    share = [sum(row[j] for row in FLEISS) / 140 for j in range(5)]
    weights = [p * (1 - p) for p in share]
    overall = sum(w * c["fleiss_kappa"] for w, c in zip(weights, out["codes"])) / sum(weights)
    assert overall == pytest.approx(0.2099307044, abs=1e-6)  # 0.210 on Wikipedia
    assert all(c["kappa"] is None and c["n_units"] == 10 for c in out["codes"])


def test_unreviewed_is_missing_not_absent(project, doc, cli):
    doc(4)
    code_rows(project, binary_rows("d", "A", [1, 1, 0, 0]) + binary_rows("d", "B", [1, 0, None, None]))
    (y,) = agreement_json(cli, project, "--codes", "Y")["codes"]
    assert (y["n_units"], y["percent_agreement"]) == (2, 0.5)
    code_rows(project, [("d", 3, "B", None)])
    (y,) = agreement_json(cli, project, "--codes", "Y")["codes"]
    assert (y["n_units"], y["percent_agreement"]) == (3, pytest.approx(2 / 3))


def test_undefined_statistics_are_null_with_the_reason_in_the_table(project, doc, cli):
    doc(3)
    code_rows(project, binary_rows("d", "A", [0, 0, 0]) + binary_rows("d", "B", [0, 0, 0]))
    (y,) = agreement_json(cli, project, "--codes", "Y")["codes"]
    assert {k: y[k] for k in ("alpha", "alpha_ci", "kappa", "fleiss_kappa", "percent_agreement")} == {
        "alpha": None, "alpha_ci": None, "kappa": None, "fleiss_kappa": None, "percent_agreement": 1.0}
    table = cli("agreement", "--project", project.path, "--codes", "Y").output
    assert "unit: the segment; coders: A, B; 3 segments reviewed by at least one of them" in table
    assert "missing: a segment a coder did not review is missing for that coder" in table
    assert "[1] no variation: all values are the same category\n" in table
    assert "[2] no variation: both coders gave one and the same category throughout\n" in table
    assert "[3] Fleiss' kappa is for three or more coders; see kappa\n" in table


def test_attr_keeps_the_segments_of_matching_documents(project, make_document, cli):
    make_document("km", [("R", "respondent", "Ik leer van collega's."), ("R", "respondent", "Ik controleer.")], {"role": "klantmanager"})
    make_document("cl", [("R", "respondent", "Ze luistert.")], {"role": "client"})
    code_rows(project, [("km", 1, "A", "Y"), ("km", 1, "B", "Y"), ("km", 2, "A", None), ("km", 2, "B", "Y"),
                        ("cl", 1, "A", "Y"), ("cl", 1, "B", None)])
    (everything,) = agreement_json(cli, project, "--codes", "Y")["codes"]
    (km,) = agreement_json(cli, project, "--codes", "Y", "--attr", "role=klantmanager")["codes"]
    assert (everything["n_units"], everything["percent_agreement"]) == (3, pytest.approx(1 / 3))
    assert (km["n_units"], km["percent_agreement"]) == (2, 0.5)


def test_one_coder_is_not_enough(project, doc, cli):
    doc(2)
    code_rows(project, binary_rows("d", "A", [1, 0]))
    result = cli("agreement", "--project", project.path)
    assert result.exit_code == 1
    assert result.output == (
        "qualcode: error: agreement needs two coders who reviewed segments; found A: let a second coder "
        "code the same segments, or pass --coders A,B\n"
    )


def test_exclusive_group_has_a_none_category_and_sub_codes_count_unless_exact(project, doc, cli):
    doc(4)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V1"), ("d", 2, "A", None), ("d", 2, "B", None),
                        ("d", 3, "A", "V2"), ("d", 3, "B", None), ("d", 4, "A", "Y-SUB"), ("d", 4, "B", "Y")])
    out = agreement_json(cli, project, "--codes", "V,Y")
    # V as categories: (V1, V1), (none, none), (V2, none), (none, none): 8 values, 2 disagreeing.
    (group,) = out["groups"]
    assert (group["code"], group["alpha"], group["n_units"]) == (
        "V", pytest.approx(1 - (8 - 1) * 2 / (8**2 - (2**2 + 1**2 + 5**2)), abs=1e-9), 4)
    # Two coders: Cohen's kappa on the 4 pairs; categories V1, V2, none (and any V1+V2) for AC1.
    assert (group["percent_agreement"], group["fleiss_kappa"]) == (0.75, None)
    assert group["kappa"] == pytest.approx((0.75 - (1 / 4 * 1 / 4 + 2 / 4 * 3 / 4)) / (1 - (1 / 4 * 1 / 4 + 2 / 4 * 3 / 4)))
    y = {c["code"]: c for c in out["codes"]}["Y"]
    assert y["percent_agreement"] == 1.0
    (exact,) = agreement_json(cli, project, "--codes", "Y", "--exact")["codes"]
    assert exact["percent_agreement"] == 0.75


def test_disagreements_list_text_and_each_coders_codes(project, doc, cli):
    doc(3)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V2"), ("d", 2, "A", "Y"), ("d", 2, "B", "Y"),
                        ("d", 3, "A", "Y"), ("d", 3, "B", None)])
    rows = json.loads(cli("disagreements", "--project", project.path, "--format", "json").output)
    assert rows == [
        {"ref": "d:1", "text": "Antwoord 1 over [het] werk.", "A": "V1", "B": "V2"},
        {"ref": "d:3", "text": "Antwoord 3 over [het] werk.", "A": "Y", "B": "(no code)"},
    ]
    only_y = cli("disagreements", "--project", project.path, "--code", "Y", "--format", "csv").output
    assert only_y == "ref,text,A,B\nd:3,Antwoord 3 over [het] werk.,Y,(no code)\n"


def _codes_of(project, coder):
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(codings.c.segment_id, codings.c.code_id).where(codings.c.coder == coder)).all()
    return sorted(rows)


def test_consensus_rules_write_a_consensus_coder_and_rerun_changes_nothing(project, doc, cli):
    doc(2)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "A", "Y"), ("d", 1, "B", "V1"), ("d", 1, "C", "V2"),
                        ("d", 1, "C", "V1"), ("d", 2, "A", "Y"), ("d", 2, "B", None)])
    expected = {
        "union": [(1, "V1"), (1, "V2"), (1, "Y"), (2, "Y")],
        "intersection": [(1, "V1")],
        "majority": [(1, "V1")],
        "prefer:C": [(1, "V1"), (1, "V2")],
    }
    for rule, codes in expected.items():
        result = cli("consensus", "--project", project.path, "--rule", rule, "--into", "consensus")
        assert result.exit_code == 0, result.output
        assert _codes_of(project, "consensus") == codes, rule
    again = cli("consensus", "--project", project.path, "--rule", "prefer:C")
    assert again.output == "coder 'consensus' by rule prefer:C: 0 codes added, 0 removed, 0 segments withdrawn\n"
    with project.store.reading() as conn:
        kind = conn.execute(sa.select(coders.c.kind).where(coders.c.name == "consensus")).scalar()
        logged = conn.execute(sa.select(sa.func.count()).select_from(audit).where(audit.c.action == "consensus")).scalar()
    assert (kind, logged) == ("consensus", 5)
    # The consensus coder is not itself compared by default.
    assert agreement_json(cli, project, "--codes", "Y")["coders"] == ["A", "B", "C"]


def _changes_since(project, last_id):
    """The audit entries of changes to codings and review marks after entry ``last_id``."""
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(audit.c.action, audit.c.target, audit.c.detail).where(
            audit.c.id > last_id, audit.c.action.in_(["coding.add", "coding.delete", "review.add", "review.delete"])
        )).all()
        last = conn.execute(sa.select(sa.func.max(audit.c.id))).scalar()
    ordered = sorted((action, int(target), detail) for action, target, detail in rows)
    return [(action, target, json.loads(detail)) for action, target, detail in ordered], last


@pytest.mark.parametrize("few", [store_coding.FEW_SEGMENTS, 1])
def test_consensus_logs_one_audit_entry_per_change_in_bulk(project, doc, monkeypatch, few):
    monkeypatch.setattr(store_coding, "FEW_SEGMENTS", few)  # existing rows looked up by segment, or by coder
    doc(5)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "A", "Y"), ("d", 1, "B", "V1"), ("d", 2, "A", "Y"),
                        ("d", 2, "B", None), ("d", 3, "A", "V2"), ("d", 3, "B", "V2")])
    _, last = _changes_since(project, 0)
    assert project.consensus("union") == {"added": 4, "removed": 0, "withdrawn": 0, "kept": 0}
    entries, last = _changes_since(project, last)
    added = {"coder": "consensus", "origin": "import"}
    assert entries == [
        ("coding.add", 1, {**added, "code": "V1"}), ("coding.add", 1, {**added, "code": "Y"}),
        ("coding.add", 2, {**added, "code": "Y"}), ("coding.add", 3, {**added, "code": "V2"}),
        ("review.add", 1, {"coder": "consensus"}), ("review.add", 2, {"coder": "consensus"}),
        ("review.add", 3, {"coder": "consensus"}),
    ]
    assert project.adjudicate("d:5", ["Y"]) == {"added": 1, "removed": 0, "withdrawn": 0}
    _, last = _changes_since(project, last)
    assert project.consensus("intersection") == {"added": 0, "removed": 2, "withdrawn": 0, "kept": 1}
    entries, last = _changes_since(project, last)
    assert entries == [
        ("coding.delete", 1, {"coder": "consensus", "code": "Y"}), ("coding.delete", 2, {"coder": "consensus", "code": "Y"}),
    ]
    assert _codes_of(project, "consensus") == [(1, "V1"), (3, "V2"), (5, "Y")]
    assert project.consensus("intersection") == {"added": 0, "removed": 0, "withdrawn": 0, "kept": 1}
    assert _changes_since(project, last)[0] == []


def test_consensus_refuses_a_human_coder_and_unknown_rules(project, doc):
    doc(1)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V2"), ("d", 1, "C", "V3")])
    with pytest.raises(Conflict, match="^coder 'C' is a human coder; consensus goes into a coder of its own, e.g. --into consensus$"):
        project.consensus("union", into="C", coders=["A", "B"])
    with pytest.raises(BadInput, match=r"^unknown consensus rule 'prefer:Z': use one of union, intersection, majority, prefer:NAME, NAME one of the coders compared \(A, B, C\)$"):
        project.consensus("prefer:Z")
    assert _codes_of(project, "C") == [(1, "V3")]


def test_adjudicate_walks_disagreements_and_stores_each_decision(project, doc):
    from qualcode.tui.adjudicate import AdjudicateApp

    doc(3)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V2"), ("d", 2, "A", "Y"), ("d", 2, "B", "V3"),
                        ("d", 3, "A", "Y"), ("d", 3, "B", "Y")])

    shown = {}

    async def walk():
        app = AdjudicateApp(project, ["A", "B"], "consensus")
        async with app.run_test() as pilot:
            await pilot.press("b")
            shown.update({name: str(app.query_one(f"#{name}").content) for name in ("where", "text", "codes", "decision")})
            await pilot.press("n", "u", "1", "n", "q")
        return app

    app = asyncio.run(walk())
    assert shown == {"where": "d:1  (1 of 2)", "text": "Antwoord 1 over [het] werk.",
                     "codes": "a  A: V1\nb  B: V2\ntoggle: 1=V1  2=V2", "decision": "consensus: V2  (decided by hand)"}
    assert [row["ref"] for row in app.rows] == ["d:1", "d:2"]
    assert _codes_of(project, "consensus") == [(1, "V2"), (2, "Y")]


def _copy(project, tmp_path, name):
    project.store.close()  # the last connection closing folds the WAL into the file
    return Project(copy_project(project.path, tmp_path / name))


def test_merge_brings_a_copys_coders_and_twice_changes_nothing(project, doc, cli, tmp_path):
    doc(3)
    code_rows(project, [("d", 1, "A", "V1")])
    with _copy(project, tmp_path, "bram-copy") as copy:
        code_rows(copy, [("d", 1, "B", "V2"), ("d", 2, "B", None), ("d", 3, "B", "Y")])
        copy.add_memo("Twijfel tussen V2 en V1", segment="d:1", author="B")
        copy.add_memo("Respondent sprak snel", document="d", author="B")
    first = cli("merge", tmp_path / "bram-copy", "--project", project.path)
    assert first.output == f"1 coders, 3 reviews, 2 codings, 2 memos added from {tmp_path / 'bram-copy'}\n"
    assert _codes_of(project, "B") == [(1, "V2"), (3, "Y")]
    again = cli("merge", tmp_path / "bram-copy", "--project", project.path)
    assert again.output == f"0 coders, 0 reviews, 0 codings, 0 memos added from {tmp_path / 'bram-copy'}\n"
    merged = project.log(since="2000-01-01")
    merged = merged[merged["id"] > merged[merged["action"] == "merge"]["id"].iloc[0]]
    added = [(a, t, json.loads(d).get("code") or json.loads(d).get("text")) for a, t, d in merged[["action", "target", "detail"]].values
             if a in ("coding.add", "memo.add")]
    assert added[:4] == [("coding.add", "d:1", "V2"), ("coding.add", "d:3", "Y"),
                         ("memo.add", "segment:d:1", "Twijfel tussen V2 en V1"), ("memo.add", "document:1", "Respondent sprak snel")]
    assert (merged["action"] == "review.add").sum() == 3
    with project.store.reading() as conn:
        assert conn.execute(sa.select(memos.c.target_type, memos.c.target_id, memos.c.author)).all() == [
            ("segment", "1", "B"), ("document", "1", "B")]
    assert agreement_json(cli, project, "--codes", "V")["groups"][0]["n_units"] == 1


def test_merge_refuses_copies_with_other_documents(project, doc, cli, tmp_path):
    doc(2)
    with Project.init(tmp_path / "other") as other:
        other.store.close()
    result = cli("merge", tmp_path / "other", "--project", project.path)
    assert result.exit_code == 2
    assert result.output == (
        f"qualcode: error: {tmp_path / 'other'}: the two copies do not hold the same documents (only here: d); "
        "import the same transcripts in both, then merge\n"
    )


def test_merge_refuses_copies_segmented_differently(project, doc, cli, tmp_path):
    from qualcode.store import segments

    doc(2)
    with _copy(project, tmp_path, "resegmented") as copy:
        code_rows(copy, [("d", 2, "B", "Y")])
        with copy.store.atomic("test.resegment") as conn:
            conn.execute(segments.update().where(segments.c.number == 2).values(start=0))
    result = cli("merge", tmp_path / "resegmented", "--project", project.path)
    assert result.output == (
        f"qualcode: error: {tmp_path / 'resegmented'}: segments differ between the copies (e.g. d:2); "
        "segment both copies the same way, then merge\n"
    )
    assert _codes_of(project, "B") == []


def test_merge_matches_documents_by_content_and_segments_by_offsets_not_ids(project, tmp_path, cli):
    from qualcode.store import NewDocument, NewSegment, insert_document

    def add_documents(target, names):
        with target.store.atomic("test.add_documents") as conn:
            for name in names:
                text = f"{name} een. {name} twee."
                insert_document(target.store, conn, NewDocument(
                    name=name, source_file=f"{name}.txt", sha256=name * 64, text=text,
                    segments=[NewSegment("turn", 0, 6), NewSegment("turn", 7, len(text))]))

    add_documents(project, ["a", "b"])
    book = tmp_path / "agreement.yaml"
    with Project.init(tmp_path / "elsewhere", codebook=book) as other:
        add_documents(other, ["b", "a"])  # other ids for the same documents and segments
        code_rows(other, [("a", 2, "B", "Y"), ("b", 1, "B", "V1")])
        other.store.close()
    cli("merge", tmp_path / "elsewhere", "--project", project.path)
    with project.store.reading() as conn:
        merged = reads.segment_rows(conn)
    refs = {row["segment_id"]: row["ref"] for row in merged}
    assert sorted((refs[s], c) for s, c in _codes_of(project, "B")) == [("a:2", "Y"), ("b:1", "V1")]


def _autocoded(project, doc):
    """d:1..3 coded by humans A and B, and by the model coder on every segment (a model run)."""
    doc(4)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V1"), ("d", 2, "A", "V2"), ("d", 2, "B", "V1"),
                        ("d", 3, "A", "Y")])
    with project.store.atomic("test.autocode") as conn:
        ids = [reads.resolve_segment(conn, f"d:{n}") for n in range(1, 5)]
        from qualcode.store import suggest as store_suggest
        store_suggest.write_autocoding(project.store, conn, "model", ids, [(i, "Y") for i in ids])


def test_model_and_consensus_coders_count_only_when_named(project, doc, cli):
    _autocoded(project, doc)
    told = []
    assert project.agreement(progress=lambda *step: told.append(step), draws=50).coders == ["A", "B"]
    codes = len(project.codes())
    assert told == [("reading the codings of 2 coders", n, 2) for n in range(3)] + [
        (f"measuring agreement on {codes} codes (50 bootstrap draws each)", n, codes) for n in range(codes + 1)]
    assert list(project.disagreements().columns) == ["ref", "text", "A", "B"]
    told.clear()
    assert project.consensus("union", progress=lambda *step: told.append(step))["added"] == 4
    assert list(dict.fromkeys(what for what, *_ in told)) == [
        "reading the codings of 2 coders", "marking 3 segment reviews", "writing 4 codings", "logging 4 codings"]
    assert _codes_of(project, "consensus") == [(1, "V1"), (2, "V1"), (2, "V2"), (3, "Y")]
    assert project.agreement(["A", "model"]).coders == ["A", "model"]
    assert list(project.segments()["codes"])[:4] == ["A: V1 | B: V1", "A: V2 | B: V1", "A: Y", ""]
    assert project.matrix(coder="union").attrs["qualcode"]["coding_rule"].startswith("union of coders A, B:")
    refused = cli("autocode", "--coder", "A", "--project", project.path)
    assert refused.exit_code == 2
    assert refused.output.strip() == ("qualcode: error: coder 'A' is a human coder; autocode writes only under a model "
                                      "coder: pass --coder with a new name, e.g. --coder model")


def test_autocode_refuses_a_human_coder_before_it_trains(project, doc, monkeypatch):
    doc(1)
    code_rows(project, [("d", 1, "A", "V1")])
    monkeypatch.setattr(type(project), "_fitted", lambda self, *a: pytest.fail("trained before refusing"))
    with pytest.raises(Conflict, match="^coder 'A' is a human coder"):
        project.autocode(coder="A")


def test_consensus_keeps_adjudicated_segments_unless_overwrite(project, doc, cli):
    doc(3)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V2"), ("d", 2, "A", "Y"), ("d", 2, "B", "Y")])
    project.consensus("union")
    project.adjudicate("d:1", ["V2"])
    project.adjudicate("d:2", [])
    rerun = cli("consensus", "--rule", "majority", "--project", project.path)
    assert rerun.exit_code == 0, rerun.output
    assert rerun.output.strip() == ("coder 'consensus' by rule majority: 0 codes added, 0 removed, 0 segments withdrawn; "
                                    "2 segments decided by hand kept (--overwrite replaces them)")
    assert _codes_of(project, "consensus") == [(1, "V2")]
    assert project.decisions() == {"d:1": (["V2"], True), "d:2": ([], True)}
    assert project.consensus("majority", overwrite=True) == {"added": 1, "removed": 1, "withdrawn": 0, "kept": 0}
    assert _codes_of(project, "consensus") == [(2, "Y")]
    assert project.decisions() == {"d:1": ([], False), "d:2": (["Y"], False)}


def test_adjudicate_shows_the_stored_decision(project, doc):
    from qualcode.tui.adjudicate import AdjudicateApp

    doc(2)
    code_rows(project, [("d", 1, "A", "V1"), ("d", 1, "B", "V2"), ("d", 2, "A", "Y"), ("d", 2, "B", "V3")])
    project.consensus("prefer:A")
    project.adjudicate("d:2", ["V3"])

    async def walk():
        app = AdjudicateApp(project, ["A", "B"], "consensus")
        async with app.run_test() as pilot:
            first = str(app.query_one("#decision").content)
            await pilot.press("n")
            return first, str(app.query_one("#decision").content)

    assert asyncio.run(walk()) == ("consensus: V1  (by rule)", "consensus: V3  (decided by hand)")


def test_merge_matches_each_document_to_exactly_one_and_refuses_ambiguity(project, tmp_path, cli):
    from qualcode.store import NewDocument, NewSegment, insert_document

    def add_documents(target, names):
        with target.store.atomic("test.add_documents") as conn:
            for name in names:  # the same content under each name
                insert_document(target.store, conn, NewDocument(
                    name=name, source_file=f"{name}.txt", sha256="f" * 64, text="een. twee.",
                    segments=[NewSegment("turn", 0, 4), NewSegment("turn", 5, 10)]))

    add_documents(project, ["a", "b"])
    book = tmp_path / "agreement.yaml"
    with Project.init(tmp_path / "same", codebook=book) as other:
        add_documents(other, ["b", "a"])
        code_rows(other, [("b", 2, "B", "Y")])
        other.store.close()
    with Project.init(tmp_path / "renamed", codebook=book) as other:
        add_documents(other, ["a", "c"])
        code_rows(other, [("c", 1, "B", "V1")])
        other.store.close()
    cli("merge", tmp_path / "same", "--project", project.path)
    with project.store.reading() as conn:
        refs = {row["segment_id"]: row["ref"] for row in reads.segment_rows(conn)}
    assert [(refs[s], c) for s, c in _codes_of(project, "B")] == [("b:2", "Y")]
    refused = cli("merge", tmp_path / "renamed", "--project", project.path)
    assert refused.exit_code == 2
    assert refused.output == (
        f"qualcode: error: {tmp_path / 'renamed'}: documents cannot be matched one to one (b here and c in "
        f"{tmp_path / 'renamed'} hold the same content); give the copies the same document names, then merge\n")
    assert [(refs[s], c) for s, c in _codes_of(project, "B")] == [("b:2", "Y")]
