"""The data folder is one parameter: a second, small programme (tests/programme.py: 6 areas,
3 indicators, 2 period groups, a 4-point scale) builds end to end from its own data package, and
its pages, tables, figures and manifest name its own areas and indicators. Expected values are
worked out by hand from the few facts the package states."""

import csv
import json

import pytest
from programme import AREAS, INDICATORS, make_programme

from analysis.domain import areas, indicators, scale
from analysis.domain.package import use

from conftest import ROOT


@pytest.fixture
def programme(tmp_path):
    data = make_programme(tmp_path / "data")
    yield data
    use(None)  # the rest of the tests read data/


def test_the_domain_is_the_data_package_named(programme):
    from analysis import RecordModel, load_record, summaries

    record = load_record(programme)
    assert areas.partnerships() == tuple(a for a, _ in AREAS)
    assert indicators.codes() == ("1.1", "2.1", "3.1")
    assert scale.grades() == ("Poor", "Fair", "Good", "Excellent")
    assert scale.abbreviations() == {"E": "Excellent", "G": "Good", "F": "Fair", "P": "Poor"}
    assert areas.match_partnership("Isle of Sark") == "Sark"
    model = RecordModel.from_record(record)
    frame = model.possible_grades()
    possible = {(r.partnership, r.indicator): r.possible for r in frame.itertuples()}
    # stated: Alderney 1.1 Excellent, Alderney 2.1 Good, Herm 3.1 Poor, Sark 1.1 Fair (4 cells fixed);
    # Lihou: one Excellent and two Good (none fixed); every late area Good or better on 2.1 (not fixed).
    fixed = {k: v[0] for k, v in possible.items() if len(v) == 1}
    assert fixed == {("Alderney", "1.1"): "Excellent", ("Alderney", "2.1"): "Good", ("Herm", "3.1"): "Poor",
                     ("Sark", "1.1"): "Fair"}
    assert set(possible[("Lihou", "1.1")]) == {"Good", "Excellent"}
    assert set(possible[("Jethou", "2.1")]) == {"Good", "Excellent"}  # the statement: all late areas
    assert set(possible[("Brecqhou", "2.1")]) == {"Poor", "Fair", "Good", "Excellent"}
    # good or better on 2.1, all six: Alderney + the three late areas at least (4), Brecqhou and Herm open (6)
    gob = summaries.good_or_better(model).set_index(["indicator", "scope"])
    assert (int(gob.loc[("2.1", "all"), "min"]), int(gob.loc[("2.1", "all"), "max"])) == (4, 6)
    assert int(gob.loc[("2.1", "all"), "n_partnerships"]) == 6
    use(None)
    assert len(areas.partnerships()) == 32 and scale.grades()[-1] == "Excellent" and len(scale.grades()) == 6


def test_a_second_programme_builds_end_to_end(programme, tmp_path):
    from analysis.pipeline.build import build

    out = tmp_path / "out"
    summary = build(out_dir=out, data_dir=programme, progress=lambda *a: None)
    assert summary.failed == [] and summary.count("done") == 1 + 2 + 6 + 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(j for j in manifest["jobs"] if j.startswith("partnership/")) == sorted(
        f"partnership/{a.lower()}" for a, _ in AREAS)
    assert sorted(j for j in manifest["jobs"] if j.startswith("period_group/")) == ["period_group/early",
                                                                                    "period_group/late"]
    assert set(manifest["data_files"]) >= {"datapackage.json", "reference/partnerships.csv"}
    with open(out / "tables" / "good_or_better.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["indicator"] for r in rows} == {c for c, _ in INDICATORS}
    assert {r["scope"] for r in rows} == {"all", "early", "late"}
    page = (out / "html" / "review" / "national.html").read_text(encoding="utf-8")
    assert "6 partnerships × 3 indicators" in page and "across all 6 partnerships" in page
    assert "The four-point grade scale" in page and "Fair" in page
    sark = (out / "html" / "partnership" / "sark.html").read_text(encoding="utf-8")
    assert "Sark" in sark and "Outcomes for people" in sark
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(a in index for a, _ in AREAS)
    assert "Edinburgh" not in index and "Edinburgh" not in page
    described = json.loads((out / "tables" / "datapackage.json").read_text(encoding="utf-8"))
    undescribed = [(r["path"], f["name"]) for r in described["resources"] for f in r["schema"]["fields"]
                   if not f["description"]]
    assert undescribed == []
    fields = {f["name"]: f["description"] for r in described["resources"] for f in r["schema"]["fields"]}
    assert fields["period_group"] == "Period group of the inspection: early or late."
    assert fields["indicator"] == "Quality indicator (1.1, 2.1, 3.1)."
    assert fields["grade"] == "Grade on the four-point scale (Poor, Fair, Good, Excellent)."
    # the national page's prose is the programme's: 6!/(3! 3!) = 20 allocations, groups scored 1, 2
    import re

    text = re.sub(r"<[^>]+>", "", page)
    assert "period groups scored 1, 2 (early, late) and grades 1 (Poor) to 4 (Excellent)" in text
    assert "every one of the 20 ways to share the 6 partnerships' grades among groups of 3 and 3" in text
    assert "The two groups are different partnerships" in text and "With groups of 3 and 3 partnerships" in text
    for word in ("six-point", "nine", " 32 ", "37,924", "pre-2014", "post-2016", "Unsatisfactory"):
        assert word not in text, word
    assert (ROOT / "data" / "datapackage.json").is_file()  # and data/ was not touched


def test_the_trend_tests_of_a_complete_table_have_its_groups(programme, tmp_path):
    from analysis.domain.load import grades_from_cells
    from analysis.stats import trends

    # early areas all Poor, late all Excellent on every indicator: separated, so no coefficient; the
    # likelihood-ratio test has 1 df (two groups); C is as extreme as it can be: p_exact = 2 / C(6, 3) = 0.1
    use(programme)
    cells = [(a, i, "Poor" if g == "early" else "Excellent") for a, g in AREAS for i, _ in INDICATORS]
    frame = trends.trend_tests(grades_from_cells(cells))
    assert list(frame.columns) == ["indicator", "n", "mean_early", "mean_late", "statistic", "expected", "r",
                                   "p_exact", "p_up", "p_down", "p_exact_holm", "p_asymptotic", "coef_late",
                                   "p_late", "lr_stat", "lr_p", "lr_p_holm", "status"]
    row = frame.iloc[0]
    assert (row["mean_early"], row["mean_late"], row["status"]) == (1.0, 4.0, "separated")
    assert row["p_exact"] == pytest.approx(0.1)
