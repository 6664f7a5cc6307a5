"""What the pages say, read as a reader meets it: each row names its indicator and what is counted, the
verdicts say what they rest on, conflicts and ties are named where the reader meets them, and no
identifier of the data reaches a page.

Expected values come from the review's own words (its counts for 2.1, 5.2 and 6.3), hand counts on
the worked example table (partnership k graded (k + j) mod 6 + 1 on indicator j) or hand-written
frames kept here.
"""

import dataclasses

import pandas as pd
import pytest

from analysis.domain import load
from analysis.publish import present, tables
from analysis.record.model import RecordModel
from analysis.report.page import PartnershipPage, ReviewPage
from analysis.stats import claims, statements, summaries


@pytest.fixture(scope="module")
def record():
    return load.load_record()


@pytest.fixture(scope="module")
def model(record):
    return RecordModel.from_record(record)


def _statement(**kw):
    row = {"statement_id": "rv-6.2-weak", "indicator": "6.2", "scope": "all", "grades": "Weak", "comparator": "=",
           "value": 8, "value_max": pd.NA, "min": 4, "max": 8, "verdict": "possible", "evidence": "",
           "evidence_ids": "", "evidence_sources": "", "decided_by": "", "explanations": "", "set_aside": False,
           "alternative_to": "", "adds_to": "", "reading": "Programme count for QI 6.2.", "section": "4",
           "source_id": "review-2012-17", "quote": "we evaluated eight partnerships as 'Weak'"}
    return row | kw


def test_every_statement_row_names_its_indicator_what_is_counted_and_the_reviews_number():
    frame = pd.DataFrame([
        _statement(),
        _statement(statement_id="rv-6.2-excellent", grades="Excellent", value=1, min=1, max=1, verdict="confirmed"),
        _statement(statement_id="rv-5.1-not-gob-post-2016", indicator="5.1", scope="post-2016",
                   grades="Adequate|Weak|Unsatisfactory", value=1, min=2, max=4, verdict="contradicted",
                   set_aside=True, reading="Exactly one of them below Good on QI 5.1."),
        _statement(statement_id="rv-5.2-good", indicator="5.2", grades="Good", comparator="between", value=17,
                   value_max=19, min=8, max=26, reading="Just over half (rv-6.2-excellent)."),
    ])
    shown = tables.spec("statements").show(frame, "statements.csv")
    view = shown.frame.set_index(shown.frame.index)
    assert list(view["Quality indicator"]) == ["6.2 Planning and improving services"] * 2 + [
        "5.1 Providing help and support at an early stage", "5.2 Assessing and responding to risks and needs"]
    assert view.loc[0, "What is counted"] == "Partnerships graded Weak, of all 32"
    assert view.loc[2, "What is counted"] == ("Partnerships graded Adequate, Weak or Unsatisfactory, of the 9 in the "
                                              "Post-2016 group")
    assert list(view["The review says"]) == ["8", "1", "1", "17 to 19"]
    assert list(view["The rest of the record allows"]) == ["4 to 8", "1", "2 to 4", "8 to 26"]
    # "possible" is explained in the row: the review's own count is not fixed once the statement is left out
    assert view.loc[0, "Verdict"] == "possible: the rest of the record allows the review’s 8 and other counts."
    assert view.loc[3, "Verdict"] == ("possible: the rest of the record allows counts that agree with the review "
                                      "(17 to 19) and counts that do not.")
    assert view.loc[1, "Verdict"] == "confirmed: the rest of the record fixes it at 1, as the review says."
    assert view.loc[2, "Verdict"].startswith("contradicted: the rest of the record never allows the review’s 1; "
                                             "set aside")
    # the source is named under the table, never by its id; another row's id is not shown
    assert "[1]" in view.loc[0, "The review’s words, and how they are read"]
    assert shown.sources[0][0].startswith("Care Inspectorate, The joint strategic inspection")
    assert not any("review-2012-17" in str(v) or "rv-6.2" in str(v) for v in view.to_numpy().ravel())


def test_statements_of_a_complete_table_say_what_the_table_gives():
    frame = pd.DataFrame([_statement(min=15, max=15, verdict="contradicted", evidence="the complete table gives 15")])
    view = tables.spec("statements").show(frame, "statements.csv").frame
    assert "The table gives" in view.columns and view["Verdict"].iloc[0] == ("contradicted: the table gives 15, not "
                                                                            "the review’s 8.")


def test_a_step_by_step_reading_shows_each_step(record):
    # the worked example: on 1.1 the groups' grades sum to 36 (11 areas), 42 (12) and 30 (9): means 3.27, 3.50,
    # 3.33, so the steps are +0.23 and -0.17, and the last group is 0.06 above the first
    model = RecordModel.from_grades(load.example_grades())
    ids = ["cl-1.1-improved-mean-steps", "cl-1.1-improved-mean-ends"]
    few = dataclasses.replace(record, claims=record.claims[record.claims["claim_id"].isin(ids)])
    read = claims.evaluate_claims(few, model, evidence=False)
    view = tables.spec("claims").show(read, "claims.csv", detail=claims.deciding_quantities(few, model)).frame
    decides = dict(zip(read["claim_id"], view["What decides it (smallest to largest over the consistent tables)"]))
    assert decides["cl-1.1-improved-mean-steps"] == ("Mean grade, each step: 2014-16 minus Pre-2014 +0.23; "
                                                     "Post-2016 minus 2014-16 -0.17.")
    assert decides["cl-1.1-improved-mean-ends"] == "Mean grade, Post-2016 minus Pre-2014 +0.06."
    assert set(view["Quality indicator"]) == {"1.1 Improvements in the wellbeing of children and young people"}


def test_the_strongest_indicator_reading_shows_every_indicators_count(record, model):
    # the review's own counts: 30 of 32 Good or better on 2.1, 25 on 5.1 and 25 on 6.3 (and 18 on 9.4, 14 on 6.2)
    few = dataclasses.replace(record, claims=record.claims[record.claims["claim_id"] == "cl-6.3-strongest-gob-ties"])
    q = claims.deciding_quantities(few, model)
    counts = {r.indicator: (r.min, r.max) for r in q.itertuples()}
    assert counts["6.3"] == (25, 25) and counts["2.1"] == (30, 30) and counts["5.1"] == (25, 25)
    text = present.deciding_text(q, "6.3")
    assert text.startswith("Partnerships good or better over all 32: 6.3: 25; the others: ")
    assert "2.1: 30" in text and "6.2: 14" in text


def test_rank_one_on_5_2_is_shared_with_16_to_18_others(model):
    # the review: "just over half" (17 to 19) Good on 5.2 and none Very good or Excellent, so South Ayrshire's
    # Good is the top grade given, shared with 16 to 18 of the other 31
    ties = summaries.partnership_ties(model, "South Ayrshire").set_index("indicator")
    assert (int(ties.loc["5.2", "tied_min"]), int(ties.loc["5.2", "tied_max"])) == (16, 18)
    profile = summaries.partnership_profile(model, "South Ayrshire")
    view = tables.spec("profile").show(profile, "profile.csv", detail=ties.reset_index()).frame
    rank = view.set_index("Quality indicator").loc["5.2", "Rank among 32 (1 + those graded higher)"]
    assert rank == "1, shared with 16 to 18 others"


def test_south_ayrshire_names_the_conflict_its_5_1_grade_is_in(model):
    page = PartnershipPage("South Ayrshire")
    page.model = model
    found = page._conflict_findings()
    assert len(found) == 1
    text = found[0]
    assert text.startswith("Its grade on 5\\.1 Providing help and support at an early stage (Adequate, derived) is "
                           "one of 3 rows of the record that cannot all be true together")
    assert "Moray" in text and "only one area failed to achieve 'Good' or better" in text and "set aside" in text
    # and its grades table marks that grade
    cells = pd.DataFrame({"indicator": ["5.1", "6.2"], "title": ["a", "b"], "grade": ["Adequate", "Weak"],
                          "possible": ["Adequate", "Weak"], "status": ["derived", "stated"],
                          "source_id": ["ayrshiredailynews-south-ayrshire", "ci-news-3404-south-ayrshire"],
                          "quote": ["x", "y"]})
    view = tables.spec("grades").show(cells, "grades.csv",
                                      detail=statements.conflicts_of(model, "South Ayrshire")).frame
    assert "cannot all be true" in view["How it is known"].iloc[0]
    assert view["How it is known"].iloc[1] == "stated"
    fife = PartnershipPage("Fife")  # a partnership outside the conflict
    fife.model = model
    assert fife._conflict_findings() == []


def test_the_index_findings_name_the_contradicted_conclusions_by_number_and_title():
    page = ReviewPage(None)
    page.model = RecordModel.from_grades(load.example_grades())  # only its kind of basis is read
    stated = pd.DataFrame([_statement(verdict="contradicted", set_aside=True,
                                      reading="Exactly one post-2016 area below Good on QI 5.1.", indicator="5.1")])
    read = pd.DataFrame({"indicator": ["6.3", "6.2"], "verdict": ["contradicted", "possible"],
                         "reading": ['"The strongest quality indicator" read as the most areas graded Good or better.',
                                     "x"], "relation": ["highest", "falls"], "measure": ["good_or_better_count"] * 2,
                         "quote": ["q1", "q2"]})
    good = pd.DataFrame({"indicator": ["2.1", "6.3", "5.1"], "scope": ["all"] * 3, "min": [30, 25, 25],
                         "max": [30, 25, 25], "n_partnerships": [32] * 3})
    found = page._contradicted_findings(stated, read, good)
    assert found[0].startswith("The complete table contradicts 1 of the review's 1 statements: on 5\\.1 "
                               "Providing help and support at an early stage, Exactly one post\\-2016 area below "
                               "Good on QI 5\\.1")
    assert found[1] == ("The complete table contradicts 1 of the 2 readings of the review's conclusions: on 6\\.3 "
                        "Participation of children, young people, families and other stakeholders, \"The strongest "
                        "quality indicator\" read as the most areas graded Good or better — at most 25 of 32 are "
                        "good or better on 6\\.3; at least 30 on 2\\.1 Impact on children and young people.")


def test_readings_name_other_rows_and_files_in_words():
    frame = pd.DataFrame({"statement_id": ["rv-5.3-very-good", "rv-5.3-excellent-none"], "grades": ["Very good",
                                                                                                    "Excellent"],
                          "indicator": ["5.3", "5.3"]})
    names = present._statement_names(frame)
    text = present.plain_reading("In force together with rv-5.3-very-good (exactly two Very good), "
                                 "not the stronger (rv-5.3-excellent-none). See tables/trend_bounds.csv.", names)
    assert "rv-" not in text and "tables/" not in text
    assert text.startswith("In force together with the row counting Very good on 5.3 (exactly two Very good), not "
                           "the stronger.")


def test_a_notebook_run_by_hand_links_where_the_build_wrote_and_shows_long_tables_folded(monkeypatch, tmp_path):
    from analysis import config
    from analysis.report.page import ReviewPage

    monkeypatch.chdir(config.NOTEBOOKS_DIR)  # where JupyterLab starts a template's kernel
    page = ReviewPage(None)
    assert page.csv_link("claims") == "../reports/tables/claims.csv"  # reports/ seen from notebooks/
    assert (config.NOTEBOOKS_DIR / page.csv_link("claims")).resolve() == config.REPORTS_DIR / "tables" / "claims.csv"
    frame = pd.DataFrame({"indicator": ["1.1"] * 3, "scope": ["all"] * 3, "n": [1, 2, 3]})
    by_hand = page.table(frame, "grade_distribution", inline=False)
    assert "<details>" in by_hand._repr_html_() and "Show the table: 3 rows" in by_hand._repr_html_()
    # in a build the page has the caption and the link only; what nbval compares (the text) is the same
    monkeypatch.chdir(tmp_path)
    built = ReviewPage(None, output_dir=str(tmp_path / "out"))
    shown = built.table(frame, "grade_distribution", inline=False)
    assert "<details>" not in shown._repr_html_() and shown.csv == "../../tables/grade_distribution.csv"
    # and a published notebook re-run where it lies (nbval), with the cache its build gave it, shows the same,
    # its text and its HTML
    monkeypatch.chdir(config.REPORTS_DIR / "notebooks" / "review")
    rerun = ReviewPage(None, cache="../../.cache/results").table(frame, "grade_distribution", inline=False)
    assert repr(rerun) == repr(shown) and rerun._repr_html_() == shown._repr_html_()  # nbval compares both
    # cells are left-aligned where the page's stylesheet is absent (JupyterLab right-aligns them)
    inline = page.table(frame, "grade_distribution")._repr_html_()
    assert '<td style="text-align: left; vertical-align: top">1.1</td>' in inline
