"""Summaries on a hand-made complete table, against hand counts and the Wilson formula written out."""

import math

import pandas as pd
import pytest

from analysis.record.model import RecordModel, cell_group
from analysis.stats import summaries

from conftest import ALL_32, APPENDIX_4, NINE

GRADES = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]


@pytest.fixture(scope="module")
def model():
    # Partnership k has grade (k + j) % 6 on indicator j (0-based positions in Appendix 4 order / NINE).
    groups = [cell_group(p, i, GRADES[(k + j) % 6], "table") for k, p in enumerate(ALL_32) for j, i in enumerate(NINE)]
    return RecordModel(groups, "complete grade table")


def _wilson(x, n, z=1.959963984540054):
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_good_or_better_with_wilson(model):
    gob = summaries.good_or_better(model).set_index(["indicator", "scope"])
    # 1.1 (j = 0): Good or better when k % 6 in {3, 4, 5}. All 32: k = 3..5, 9..11, 15..17, 21..23, 27..29 -> 15.
    row = gob.loc[("1.1", "all")]
    assert (row["min"], row["max"], row["n_partnerships"]) == (15, 15, 32)
    assert row["ci_low"] == pytest.approx(_wilson(15, 32)[0], abs=1e-9)
    assert row["ci_high"] == pytest.approx(_wilson(15, 32)[1], abs=1e-9)
    assert row["interval"] == "wilson"
    # Pre-2014 is k = 0..10: k in {3, 4, 5, 9, 10} -> 5 of 11.
    assert gob.loc[("1.1", "pre-2014"), "min"] == 5
    # Post-2016 is k = 23..31: k % 6 in {3,4,5}: 23, 27, 28, 29 -> 4 of 9.
    assert gob.loc[("1.1", "post-2016"), "max"] == 4


def test_grade_distribution_counts(model):
    dist = summaries.grade_distribution(model).set_index(["indicator", "scope", "grade"])
    # 9.4 (j = 8): grade (k + 8) % 6 = (k + 2) % 6. Excellent when k % 6 == 3: k = 3, 9, 15, 21, 27 -> 5.
    assert dist.loc[("9.4", "all", "Excellent"), "min"] == 5
    # Unsatisfactory when (k + 2) % 6 == 0 -> k % 6 == 4: k = 4, 10, 16, 22, 28 -> 5; in 2014-16 (k = 11..22): 16, 22.
    assert dist.loc[("9.4", "2014-16", "Unsatisfactory"), "max"] == 2
    assert dist.groupby(level=["indicator", "scope"], observed=True)["min"].sum().loc[("5.1", "all")] == 32


def test_median(model):
    med = summaries.median_grade(model).set_index(["indicator", "scope"])
    # 1.1 pre-2014 grades by k = 0..10: 0,1,2,3,4,5,0,1,2,3,4 -> sorted 0,0,1,1,2,2,3,3,4,4,5;
    # 6th smallest = 2 (Adequate).
    assert med.loc[("1.1", "pre-2014"), "median_low"] == "Adequate"
    assert med.loc[("1.1", "pre-2014"), "fixed"]


def test_profile_rank(model):
    prof = summaries.partnership_profile(model, "Angus").set_index("indicator")
    # Angus is k = 24; on 1.1 its grade is 24 % 6 = 0 (Unsatisfactory); 32 - 6 others share... partnerships
    # strictly higher: all with k % 6 != 0, i.e. 32 - 6 (k = 0, 6, 12, 18, 24, 30) = 26 -> rank 27.
    assert prof.loc["1.1", "grade"] == "Unsatisfactory"
    assert (prof.loc["1.1", "rank_min"], prof.loc["1.1", "rank_max"]) == (27, 27)
    assert prof.loc["1.1", "vs_national_median"] == "below"


def test_all_good_or_better_none_in_cycling_table(model):
    # Every partnership has one Unsatisfactory somewhere among its nine cycling grades.
    res = summaries.all_good_or_better(model)
    assert set(res["all_good_or_better"]) == {"no"}
    assert len(res) == 32 and list(res["partnership"][:11]) == APPENDIX_4["pre-2014"]


def test_profile_rank_bounds_for_an_open_cell():
    # Angus 1.1 (k = 24) left out: any grade is possible. Best case rank 1 (no other must be above
    # Excellent); worst 1 + the others above Unsatisfactory: 31 others minus the five with residue 0
    # (k = 0, 6, 12, 18, 30) = 26 -> 27.
    groups = [
        cell_group(p, i, GRADES[(k + j) % 6], "table")
        for k, p in enumerate(ALL_32)
        for j, i in enumerate(NINE)
        if (p, i) != ("Angus", "1.1")
    ]
    prof = summaries.partnership_profile(RecordModel(groups, "public record"), "Angus").set_index("indicator")
    row = prof.loc["1.1"]
    assert pd.isna(row["grade"]) and not row["rank_exact"]
    assert (row["lowest"], row["highest"]) == ("Unsatisfactory", "Excellent")
    assert (row["rank_min"], row["rank_max"]) == (1, 27)
    assert row["vs_national_median"] == "undetermined"
    assert prof.loc["2.1", "rank_exact"]


def test_summarise_table_hand_counts():
    # Two periods x one indicator. Period A: Good, Good, Weak, Excellent (n 4; good or better 3;
    # lower median = 2nd smallest of W G G E = Good). Period B: Adequate, Weak, Weak (n 3; none good or
    # better; lower median = 2nd smallest of W W A = Weak).
    rows = [
        ("A", "Good"),
        ("A", "Good"),
        ("A", "Weak"),
        ("A", "Excellent"),
        ("B", "Adequate"),
        ("B", "Weak"),
        ("B", "Weak"),
    ]
    table = pd.DataFrame(rows, columns=["period", "grade"])
    out = summaries.summarise_table(table, "period").set_index("period")
    assert out.loc["A", ["n", "Good", "Weak", "Excellent", "good_or_better"]].tolist() == [4, 2, 1, 1, 3]
    assert out.loc["B", ["n", "Weak", "Adequate", "good_or_better"]].tolist() == [3, 2, 1, 0]
    assert out.loc["A", "median_grade"] == "Good" and out.loc["B", "median_grade"] == "Weak"
    assert out.loc["A", "ci_low"] == pytest.approx(_wilson(3, 4)[0], abs=1e-9)
    assert out.loc["B", "ci_high"] == pytest.approx(_wilson(0, 3)[1], abs=1e-9)
    with pytest.raises(ValueError, match="V. good"):
        summaries.summarise_table(pd.DataFrame({"period": ["A"], "grade": ["V. good"]}), "period")
