"""The one list of a notebook's results is its template: what the cells call is what the build computes."""

import json

from analysis import config
from analysis.report import shown

# Hand-written from reading each template's cells (the values each table, figure and finding is made from).
EXPECTED = {
    "partnership": [
        "summaries.partnership_grades(model, record, partnership)",
        "statements.conflicts_of(model, partnership)",
        "summaries.published_counts(model, record, partnership)",
        "summaries.partnership_profile(model, partnership)",
        "summaries.partnership_ties(model, partnership)",
    ],
    "period_group": [
        "areas.schedule(period_group)",
        "summaries.grade_distribution(model)",
        "summaries.good_or_better(model)",
        "summaries.median_grade(model)",
        "summaries.partnership_grades(model, record, period_group=period_group)",
    ],
    "statements": [
        "statements.evaluate_statements(record, model)",
        "statements.conflicts_table(model)",
        "claims.evaluate_claims(record, model)",
        "claims.deciding_quantities(record, model)",
        "settle.what_would_settle(record, model)",
        "settle.settle_witnesses(record, model)",
        "fragility.fragility(record, model)",
        "statements.reconcile(record, model.grade_table)",
    ],
}


def test_each_template_lists_the_calls_its_cells_make():
    for kind, expected in EXPECTED.items():
        assert [str(c) for c in shown.calls(config.NOTEBOOKS_DIR / f"{kind}.ipynb")] == expected, kind
    review = [str(c) for c in shown.calls(config.NOTEBOOKS_DIR / "review.ipynb")]
    # every table and figure of the national page: the record's own tables, the summaries, the trend bounds
    for call in ("scale.grade_table()", "record.staff_survey", "record.headline_counts",
                 "summaries.all_good_or_better(model)", "trend_bounds.trend_bounds(model)",
                 "trends.trend_tests(model.grade_table)", "settle.what_would_settle(record, model)",
                 "claims.trend_summary(bounds['bounds'], claims.evaluate_claims(record, model))",
                 "statements.evaluate_statements(record, model)", "trends.witness_one_sided(bounds)",
                 "power.trend_power(shift=1.0)"):
        assert call in review
    assert not any(c.startswith(("figures.", "r.")) for c in review)  # drawing and showing compute nothing


def _edited(tmp_path, kind, *cells):
    nb = json.loads((config.NOTEBOOKS_DIR / f"{kind}.ipynb").read_text(encoding="utf-8"))
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in cells]
    path = tmp_path / f"{kind}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_a_cell_added_by_a_researcher_joins_the_list(tmp_path):
    path = _edited(tmp_path, "partnership",
                   'r.table(summaries.median_grade(model), "median")',
                   "profile = 3",  # rebound: no longer a result's name
                   "r.table(summaries.good_or_better(model, profile), 'x')",
                   "summaries.partnership_grades(model, record, partnership)")  # the same call again: listed once
    found = [str(c) for c in shown.calls(path)]
    assert found == EXPECTED["partnership"] + ["summaries.median_grade(model)"]


def test_the_values_are_those_the_cells_make(tmp_path):
    from analysis.report import open_report
    from analysis.stats import summaries

    from conftest import ALL_32, NINE, write_grades_long

    grades = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    path = write_grades_long(tmp_path / "g.csv", [(p, i, grades[(k + j) % 6]) for k, p in enumerate(ALL_32)
                                                 for j, i in enumerate(NINE)])
    page = open_report("partnership", "Fife", grades=str(path), cache=str(tmp_path / "cache"))
    values = shown.shown_values(page)
    assert list(values) == EXPECTED["partnership"]
    # Fife is k = 20 in Appendix 4 order: 1.1 is grades[20 % 6] = Adequate, 2.1 grades[21 % 6] = Good
    got = values[EXPECTED["partnership"][0]].set_index("indicator")["grade"]
    assert (got["1.1"], got["2.1"]) == ("Adequate", "Good")
    expected = summaries.partnership_profile(page.model, "Fife")
    assert values[EXPECTED["partnership"][3]].equals(expected)
