"""The review's conclusions (claims) and a user's table reconciled with the record.

Claims: on the tiny record of test_trend_bounds (a complete synthetic table with ten cells
opened up, tied by a count statement and a cross-indicator condition), every consistent table is
listed by hand and each reading's truth computed directly from the grades (means, shares,
counts, the association C); the expected verdict is confirmed / possible / contradicted as the
reading holds in all, some or none of them.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_trend_bounds import GROUP, P, _consistent_tables, _model

from analysis.domain import areas, indicators
from analysis.domain.load import load_record
from analysis.record.model import RecordModel
from analysis.stats.claims import evaluate_claims
from analysis.stats.statements import evaluate_statements, reconcile

IND = list(indicators.INDICATORS)
GOB = 4  # Good = 4 on the 1-6 scale


def _claim(cid, ind, relation, measure, groups, strict, value=np.nan, value_max=np.nan):
    return {"claim_id": cid, "claim": cid, "indicator": ind, "relation": relation, "measure": measure,
            "groups": tuple(groups), "strict": strict, "value": value, "value_max": value_max,
            "reading": cid, "source_id": "test", "section": "test", "quote": cid}


PRE, MID, POST = areas.PERIOD_GROUPS
CLAIMS = [
    _claim("5.2-mean-ends", "5.2", "rises", "mean_grade", [PRE, POST], True),
    _claim("5.2-mean-steps", "5.2", "rises", "mean_grade", [PRE, MID, POST], False),
    _claim("5.2-mean-steps-strict", "5.2", "rises", "mean_grade", [PRE, MID, POST], True),
    _claim("5.2-gob-ends", "5.2", "rises", "good_or_better_share", [PRE, POST], True),
    _claim("5.2-gob-steps", "5.2", "rises", "good_or_better_share", [PRE, MID, POST], False),
    _claim("5.2-falls-ends", "5.2", "falls", "mean_grade", [PRE, POST], False),
    _claim("5.2-association-up", "5.2", "association_up", "mean_grade", [PRE, MID, POST], True),
    _claim("6.2-association-down", "6.2", "association_down", "mean_grade", [PRE, MID, POST], True),
    _claim("1.1-steps-strict", "1.1", "rises", "mean_grade", [PRE, MID, POST], True),
    _claim("1.1-falls", "1.1", "falls", "mean_grade", [PRE, POST], True),
    _claim("5.2-highest-mean", "5.2", "highest", "mean_grade", [PRE, MID, POST], False),
    _claim("1.1-highest-mean-strict", "1.1", "highest", "mean_grade", [PRE, MID, POST], True),
    _claim("6.2-highest-gob", "6.2", "highest", "good_or_better_count", [PRE, MID, POST], False),
    _claim("5.2-top3-gob", "5.2", "top", "good_or_better_count", [PRE, MID, POST], False, 3),
    _claim("5.2-top5-mean", "5.2", "top", "mean_grade", [PRE, MID, POST], False, 5),
    _claim("5.2-most-improved", "5.2", "most_improved", "mean_grade", [PRE, POST], False),
    _claim("5.2-at-least-3.5", "5.2", "at_least", "mean_grade", [PRE, MID, POST], False, 3.5),
    _claim("5.2-post-gob-between", "5.2", "between", "good_or_better_count", [POST], False, 5, 7),
]


def _truth(claim, table) -> bool:
    """The reading, computed directly from the grades of one table."""
    def values(ind, groups):
        return np.array([table[(p, ind)] for p in P if areas.period_group_of()[p] in groups])

    def measure(ind, groups, how):
        v = values(ind, groups)
        if how == "mean_grade":
            return v.mean()
        if how == "good_or_better_share":
            return (v >= GOB).mean()
        return int((v >= GOB).sum())

    ind, rel, how, groups, strict = (claim["indicator"], claim["relation"], claim["measure"], claim["groups"],
                                     claim["strict"])
    if rel in ("rises", "falls"):
        m = [measure(ind, [g], how) for g in groups]
        if rel == "falls":
            m = [-x for x in m]
        if strict:
            return all(b > a + 1e-12 for a, b in zip(m, m[1:]))
        return all(b >= a - 1e-12 for a, b in zip(m, m[1:]))
    if rel.startswith("association"):
        v = np.array([table[(p, ind)] for p in P])
        u = np.array([GROUP[p] for p in P])
        c = float(((u - u.mean()) * v).sum())
        return c > 1e-12 if rel == "association_up" else c < -1e-12
    everyone = list(areas.PERIOD_GROUPS)
    if rel == "highest":
        mine = measure(ind, everyone, how)
        others = [measure(y, everyone, how) for y in IND if y != ind]
        return all(mine > o + 1e-12 for o in others) if strict else all(mine >= o - 1e-12 for o in others)
    if rel == "top":
        mine = measure(ind, everyone, how)
        return sum(measure(y, everyone, how) > mine + 1e-12 for y in IND if y != ind) <= claim["value"] - 1
    if rel == "most_improved":
        def rise(y):
            return measure(y, [groups[1]], how) - measure(y, [groups[0]], how)
        return all(rise(ind) >= rise(y) - 1e-12 for y in IND if y != ind)
    if rel == "at_least":
        return measure(ind, groups, how) >= claim["value"] - 1e-12
    if rel == "between":
        return claim["value"] <= measure(ind, groups, how) <= claim["value_max"]
    raise AssertionError(rel)


@pytest.fixture(scope="module")
def expected():
    tables = list(_consistent_tables())
    out = {}
    for claim in CLAIMS:
        truths = {_truth(claim, t) for t in tables}
        out[claim["claim_id"]] = ("confirmed" if truths == {True} else "contradicted" if truths == {False}
                                  else "possible")
    return out


@pytest.fixture(scope="module")
def evaluated():
    record = SimpleNamespace(claims=pd.DataFrame(CLAIMS))
    return evaluate_claims(record, _model()).set_index("claim_id")


def test_expected_verdicts_cover_every_kind(expected):
    """The hand-made record is not trivial: each verdict occurs."""
    assert set(expected.values()) == {"confirmed", "possible", "contradicted"}


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["claim_id"] for c in CLAIMS])
def test_claim_verdict_equals_brute_force(claim, expected, evaluated):
    assert evaluated.loc[claim["claim_id"], "verdict"] == expected[claim["claim_id"]]


def test_witnesses_and_evidence(evaluated, expected):
    for cid, verdict in expected.items():
        row = evaluated.loc[cid]
        assert bool(row["holds_in"]) == (verdict != "contradicted")
        assert bool(row["fails_in"]) == (verdict != "confirmed")
    # a confirmed reading with one way to fail names the rows that rule it out
    row = evaluated.loc["1.1-falls"]
    assert row["verdict"] == "contradicted" and row["evidence"] and row["explanations"]


def test_claims_are_never_constraints():
    """Adding the claims changes no range: the model is built from cells, counts and statements only."""
    record = load_record()
    model = RecordModel.from_record(record)
    assert not any(g.id.startswith("cl-") for g in model.groups + model.alternatives)
    assert len(record.claims) >= 40


def test_public_record_claims():
    """Verdicts on the public record that follow from the review's own counts, by hand:
    - 6.3 has 25 Good or better (rv-6.3-gob) and 2.1 has 30 (rv-2.1-gob), so 6.3 cannot have the most
      Good-or-better evaluations: 'strongest' on counts is contradicted;
    - 5.3 has no area below Adequate (rv-5.3-below), so its mean grade is at least 3: confirmed, decided
      by the same sentence ('no area evaluated less than Adequate')."""
    record = load_record()
    frame = evaluate_claims(record).set_index("claim_id")
    assert frame.loc["cl-6.3-strongest-gob-ties", "verdict"] == "contradicted"
    assert "2.1 Good/Very good/Excellent in all 32 = 30" in frame.loc["cl-6.3-strongest-gob-ties", "evidence"]
    assert frame.loc["cl-5.3-reasonable-mean", "verdict"] == "confirmed"
    assert frame.loc["cl-5.3-reasonable-mean", "decided_by"] == "same source only"
    assert set(frame["verdict"]) <= {"confirmed", "possible", "contradicted"}


def test_statement_readings_settled():
    """5.3's 'none Excellent' is the extra condition of the stronger reading of 'only two areas were
    evaluated as Very good', not a rival to 'exactly two Very good'; 9.4's two readings of 'the
    latter period' are rivals, and both are consistent with the Outer Hebrides (2014-16) being Weak."""
    record = load_record()
    st = record.statements.set_index("statement_id")
    assert st.loc["rv-5.3-excellent-none", "adds_to"] == "rv-5.3-very-good"
    assert not st.loc["rv-5.3-excellent-none", "alternative_to"]
    assert st.loc["rv-9.4-weak-latter-2014-on", "alternative_to"] == "rv-9.4-weak-latter-post-2016"
    frame = evaluate_statements(record).set_index("statement_id")
    for sid in ("rv-9.4-weak-latter-post-2016", "rv-9.4-weak-latter-2014-on"):
        assert frame.loc[sid, "verdict"] != "contradicted"
    cells = record.cell_grades
    oh = cells[(cells["partnership"] == "Outer Hebrides") & (cells["indicator"] == "9.4")]
    assert list(oh["grade"].astype(str)) == ["Weak"]


def test_decided_by_same_source():
    """'Two thirds of the areas inspected ... good or better' (8 of 12) is fixed by the release's other
    sentence ('Four areas were rated as adequate and none were below adequate'): 12 - 4 - 0 = 8, the same
    source, other words."""
    frame = evaluate_statements(load_record()).set_index("statement_id")
    row = frame.loc["ov-1.1-gob-2014-16"]
    assert row["verdict"] == "confirmed" and row["decided_by"] == "same source only"
    assert row["explanations"]


def _consistent_table(record):
    model = RecordModel.from_record(record)
    return model.table(model.solve())


def test_a_consistent_table_disagrees_only_with_readings_not_assumed():
    record = load_record()
    table = _consistent_table(record)
    found = reconcile(record, table)
    assert not found["in_force"].any()


def test_reconcile_lists_exactly_the_changed_cell_and_count():
    """Argyll and Bute 5.1 is stated Very good and its area has no published counts; moving it to Good
    keeps every 5.1 statement (still Good or better). An area with published counts gets its 2.2 grade
    changed (2.2 has no statements and the cell is not stated): only its counts disagree."""
    record = load_record()
    table = _consistent_table(record)
    table["grade"] = table["grade"].astype(str)
    ab = (table["partnership"] == "Argyll and Bute") & (table["indicator"] == "5.1")
    assert table.loc[ab, "grade"].item() == "Very good"
    table.loc[ab, "grade"] = "Good"
    stated = {(str(p), str(i)) for p, i in zip(record.cell_grades["partnership"], record.cell_grades["indicator"])}
    area = next(str(p) for p in record.area_counts["partnership"]
                if (str(p), "2.2") not in stated and str(p) != "North Lanarkshire"
                and not record.area_counts.set_index("partnership").loc[p, "within"])
    cell = (table["partnership"] == area) & (table["indicator"] == "2.2")
    old = table.loc[cell, "grade"].item()
    table.loc[cell, "grade"] = "Excellent" if old != "Excellent" else "Weak"
    found = reconcile(record, table)
    in_force = found[found["in_force"]]
    assert sorted(in_force["row_id"]) == sorted(["Argyll and Bute|5.1", area])
    cell_row = in_force[in_force["kind"] == "cell"].iloc[0]
    assert cell_row["table"] == "Good" and "Very good" in cell_row["record"] and cell_row["quote"]
    assert in_force[in_force["kind"] == "count"].iloc[0]["source_id"]
