"""The record in data/ against the documents and shared/public-record/ (independent sources)."""

import csv
import re

import pytest

from analysis.domain.load import load_record

GRADE_WORDS = {"excellent": "Excellent", "very good": "Very good", "good": "Good", "adequate": "Adequate",
               "weak": "Weak", "unsatisfactory": "Unsatisfactory"}


@pytest.fixture(scope="module")
def record():
    return load_record()


def _norm(text):
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”]", '"', text).replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()


def test_every_seed_quote_occurs_in_its_seed(record, shared_dir):
    seeds = dict(zip(record.sources["source_id"], record.sources["seed_file"]))
    tables = {"cell_grades": record.cell_grades, "area_counts": record.area_counts,
              "statements": record.statements, "staff_survey": record.staff_survey,
              "case_records": record.case_records, "headline_counts": record.headline_counts,
              "claims": record.claims}
    checked = 0
    for name, frame in tables.items():
        for rec in frame.itertuples():
            seed = seeds[rec.source_id]
            if not seed:
                continue
            text = _norm((shared_dir / "seeds" / seed).read_text(encoding="utf-8"))
            for part in _norm(rec.quote).split(" ... "):
                assert part in text, f"{name}: quote not in {seed}: {part!r}"
            checked += 1
    assert checked >= 89  # statements (28) + claims (49) + staff survey (7) + case records (11) + ...


def test_seed_files_exist(record, shared_dir):
    for seed in record.sources["seed_file"]:
        if seed:
            assert (shared_dir / "seeds" / seed).is_file()


def _shared_rows(shared_dir, name):
    with open(shared_dir / "public-record" / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ALIAS = {"Outer Hebrides (Eilean Siar)": "Outer Hebrides", "City of Edinburgh": "Edinburgh",
         "Aberdeen City": "Aberdeen"}


@pytest.mark.parametrize("name,basis", [("stated_grades.csv", "stated"), ("derived_grades.csv", "derived")])
def test_every_public_record_grade_is_present(record, shared_dir, name, basis):
    rows = _shared_rows(shared_dir, name)
    assert len(rows) == {"stated": 32, "derived": 5}[basis]
    cells = {(str(r.partnership), str(r.indicator)): (str(r.grade), r.basis) for r in record.cell_grades.itertuples()}
    for row in rows:
        area = ALIAS.get(row["area"], row["area"])
        code = row["indicator"].split()[0]
        assert cells[(area, code)] == (row["grade"], basis), row


def _counts_from_summary(summary):
    """Hand-style parse of '9 QIs: 3 Very good, 2 Good, 3 Adequate, 1 Weak (...)'."""
    found = {}
    for n, words in re.findall(r"(\d+) (Excellent|Very good|Good|Adequate|Weak|Unsatisfactory)", summary):
        found[words] = int(n)
    total = re.match(r"(\d+) QIs", summary)
    return (int(total.group(1)) if total else None), found


def test_every_public_record_count_is_present(record, shared_dir):
    counts = record.area_counts.set_index(record.area_counts["partnership"].astype(str))
    cols = {"Excellent": "excellent", "Very good": "very_good", "Good": "good", "Adequate": "adequate",
            "Weak": "weak", "Unsatisfactory": "unsatisfactory"}
    seen = 0
    for row in _shared_rows(shared_dir, "area_summaries.csv"):
        total, found = _counts_from_summary(row["summary"])
        if total is None:
            continue
        area = ALIAS.get(row["area"], row["area"])
        rec = counts.loc[area]
        assert rec["n_indicators"] == total, area
        for grade, col in cols.items():
            assert rec[col] == found.get(grade, 0), (area, grade)
        seen += 1
    assert seen == 20  # 22 area rows, less Edinburgh and Argyll and Bute which give no counts
    edinburgh = counts.loc["Edinburgh"]
    assert edinburgh["within"] == ("Good", "Very good")
    assert counts.loc["North Lanarkshire", "n_indicators"] == 10


def _stmt(record, indicator, grades, group="all"):
    s = record.statements
    rows = s[(s["indicator"] == indicator) & (s["grades"] == tuple(grades))]
    if group != "all":
        rows = rows[rows["period_groups"] == tuple(group)]
    else:
        rows = rows[rows["period_groups"].map(len) == 3]
    return rows


@pytest.mark.parametrize("grade,count", [("Weak", 8), ("Adequate", 10), ("Good", 9), ("Very good", 4),
                                         ("Excellent", 1)])
def test_programme_counts_for_6_2(record, grade, count):
    # Review, section 3, QI 6.2: "eight ... 'Weak', 10 ... 'Adequate', nine ... 'Good', four ... 'Very Good'
    # and one ... 'Excellent'".
    rows = _stmt(record, "6.2", [grade])
    assert list(rows["comparator"]) == ["="] and list(rows["value"]) == [count]


def test_statements_for_9_4(record):
    # Review, section 4: 'Very good' (eight), 'Excellent' (two), 18 Good or better, 14 Adequate or Weak,
    # "two evaluations of 'Weak' in the latter period" (two readings).
    assert list(_stmt(record, "9.4", ["Very good"])["value"]) == [8]
    assert list(_stmt(record, "9.4", ["Excellent"])["value"]) == [2]
    assert list(_stmt(record, "9.4", ["Good", "Very good", "Excellent"])["value"]) == [18]
    assert list(_stmt(record, "9.4", ["Weak", "Adequate"])["value"]) == [14]
    latter = record.statements[record.statements["statement_id"].str.startswith("rv-9.4-weak-latter")]
    assert len(latter) == 2 and set(latter["value"]) == {2}


def test_required_statements_present(record):
    s = record.statements
    have = set(zip(s["indicator"].astype(str), s["period_groups"].map(len) == 3))
    for ind in ["2.1", "5.1", "5.2", "5.3", "6.2", "6.3", "9.4"]:
        assert (ind, True) in have, ind
    assert ("1.1", False) in have  # 2014-16 group statement on 1.1
    nine_from_2016 = s[(s["indicator"] == "5.1") & (s["period_groups"] == ("post-2016",))]
    assert len(nine_from_2016) >= 2
    just_over_half = s[s["statement_id"] == "rv-5.2-good"].iloc[0]
    assert (just_over_half["comparator"], just_over_half["value"], just_over_half["value_max"]) == ("between", 17, 19)


def test_staff_survey(record):
    pct = {(r.measure, r.period_group): r.percent_positive for r in record.staff_survey.itertuples()}
    assert (pct[("girfec", "pre-2014")], pct[("girfec", "2014-16")], pct[("girfec", "post-2016")]) == (68, 75, 72)
    assert (pct[("lead_professional", "pre-2014")], pct[("lead_professional", "post-2016")]) == (87, 80)
    assert (pct[("named_person", "pre-2014")], pct[("named_person", "post-2016")]) == (76, 64)


def test_headline_counts(record):
    h = record.headline_counts.set_index("measure")
    assert h.loc["children_young_people_met", "value"] == 2744
    assert h.loc["parents_carers_met", "value"] == 1502
    assert (h.loc["case_records_read", "value"], h.loc["case_records_read", "qualifier"]) == (3000, "more than")
    responses = h.loc["staff_survey_responses"]
    assert (responses["value"], responses["qualifier"]) == (7000, "more than")


def test_every_row_has_a_source(record):
    ids = set(record.sources["source_id"])
    for frame in [
        record.cell_grades,
        record.area_counts,
        record.statements,
        record.staff_survey,
        record.case_records,
        record.headline_counts,
        record.claims,
    ]:
        assert frame["source_id"].isin(ids).all()
        assert (frame["quote"].str.len() > 0).all()


def test_typed(record):
    assert record.cell_grades["grade"].cat.ordered
    assert list(record.cell_grades["grade"].cat.categories)[0] == "Unsatisfactory"
    assert len(record.cell_grades["partnership"].cat.categories) == 32
