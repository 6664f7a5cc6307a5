"""What would settle it, checked against brute force: on a tiny programme (4 areas in 2 groups, 2
indicators, a 3-point scale: 3^8 = 6,561 grade tables) every consistent table is enumerated, and which
reports settle which verdicts is derived by grouping tables on the reports' rows."""

import itertools

import pytest
from programme import TINY, make_programme

from analysis.domain.package import use

AREAS = [a for a, _ in TINY["areas"]]
IND = [c for c, _ in TINY["indicators"]]
VALUE = {"Poor": 1, "Fair": 2, "Good": 3}
GRADE = {v: g for g, v in VALUE.items()}


def cell(t, area, ind):
    return t[AREAS.index(area) * len(IND) + IND.index(ind)]


def stated_and_counts(t):
    # Ash 1.1 Good; Cedar: one Good and one Fair
    return cell(t, "Ash", "1.1") == 3 and sorted(cell(t, "Cedar", i) for i in IND) == [2, 3]


def statement(t):  # at least 1 of the late areas (Cedar, Damson) Good on 2.1
    return (cell(t, "Cedar", "2.1") == 3) + (cell(t, "Damson", "2.1") == 3) >= 1


def claim(t):  # the late group's mean grade on 1.1 is higher (groups of 2: compare the sums)
    return cell(t, "Cedar", "1.1") + cell(t, "Damson", "1.1") > cell(t, "Ash", "1.1") + cell(t, "Birch", "1.1")


ALL = list(itertools.product((1, 2, 3), repeat=len(AREAS) * len(IND)))
ACTIVE = [t for t in ALL if stated_and_counts(t) and statement(t)]
CONTEXT = [t for t in ALL if stated_and_counts(t)]  # the statement is judged without itself


def row(t, area):
    k = AREAS.index(area) * len(IND)
    return t[k:k + len(IND)]


def settles(tables, verdict, reports) -> bool:
    """Brute force: tables with the same rows for ``reports`` always give the same verdict."""
    seen = {}
    for t in tables:
        key = tuple(row(t, a) for a in reports)
        if seen.setdefault(key, verdict(t)) != verdict(t):
            return False
    return True


def expected(tables, verdict, candidates, own=None):
    """(the single settling reports, or else the smallest set: fewest, then the latest member earliest)."""
    singles = [p for p in candidates if p != own and settles(tables, verdict, [p])]
    if singles or own is not None:
        return singles, None
    for k in range(2, len(candidates) + 1):
        sets = [list(s) for s in itertools.combinations(candidates, k) if settles(tables, verdict, s)]
        if sets:
            return [], min(sets, key=lambda s: sum(2 ** candidates.index(p) for p in s))
    return [], None


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    from analysis import RecordModel, load_record
    from analysis.stats import settle

    data = make_programme(tmp_path_factory.mktemp("tiny") / "data", **TINY)
    record = load_record(data)
    model = RecordModel.from_record(record)
    yield settle.what_would_settle(record, model), settle.open_questions(record, model)
    use(None)


def test_the_brute_force_sees_open_verdicts():
    for tables, verdict in ((CONTEXT, statement), (ACTIVE, claim)):
        assert {verdict(t) for t in tables} == {True, False}
    # hand count: Ash 2.1 (3) x Birch (9) x Cedar's row (2) x Damson (9) = 486; with the statement, Cedar
    # 2.1 Good leaves Damson free (9), Cedar 2.1 Fair needs Damson 2.1 Good (3): 27 x 12 = 324
    assert (len(CONTEXT), len(ACTIVE)) == (486, 324)


def test_the_open_verdicts_are_those_brute_force_finds(found):
    _, questions = found
    ids = [q.id for q in questions]
    open_cells = [f"cell:{a}|{i}" for a in AREAS for i in IND if len({cell(t, a, i) for t in ACTIVE}) > 1]
    assert ids == ["statement:late-2.1-good", "claim:cl-1.1-up"] + open_cells
    assert "cell:Ash|1.1" not in ids


def test_each_verdict_is_settled_by_the_reports_brute_force_finds(found):
    result, _ = found
    rows = result["settles"]
    for vid, tables, verdict in (("statement:late-2.1-good", CONTEXT, statement), ("claim:cl-1.1-up", ACTIVE, claim)):
        singles, smallest = expected(tables, verdict, AREAS)
        got = rows[rows["verdict_id"] == vid]
        if singles:
            assert got["reports"].tolist() == singles and set(got["method"]) == {"one report"}, vid
        elif vid.startswith("statement:"):
            assert got["reports"].tolist() == ["|".join(smallest)], vid
            assert got["method"].tolist() == ["smallest set (proven)"]
        else:  # a conclusion no one report settles: a lower bound of 2, true since brute force needs more
            assert got["n_reports"].tolist() == [2] and got["method"].iloc[0].startswith("at least 2")
            assert len(smallest) >= 2
    for a in AREAS:
        for i in IND:
            vid = f"cell:{a}|{i}"
            if vid not in set(result["settles"]["verdict_id"]) and len({cell(t, a, i) for t in ACTIVE}) == 1:
                continue
            singles, _ = expected(ACTIVE, lambda t, a=a, i=i: cell(t, a, i), AREAS, own=a)
            assert rows.loc[rows["verdict_id"] == vid, "reports"].tolist() == singles, vid


def test_the_hand_derived_cases(found):
    """Cedar's row is one of (Good, Fair), (Fair, Good): its 1.1 decides its 2.1, so no other report
    fixes either. The statement (one late area Good on 2.1) is settled by Cedar and Damson together
    and by neither alone: Cedar 2.1 Fair leaves it to Damson, and Damson not Good leaves it to Cedar."""
    result, _ = found
    rows = result["settles"].set_index("verdict_id")
    assert "cell:Cedar|1.1" not in rows.index
    assert rows.loc["statement:late-2.1-good", "reports"] == "Cedar|Damson"


def test_the_reading_list_counts_what_each_report_settles(found):
    result, questions = found
    reading = result["reading_list"].set_index("partnership")
    verdicts = (("statement:late-2.1-good", CONTEXT, statement), ("claim:cl-1.1-up", ACTIVE, claim))
    for a in AREAS:
        n = sum(settles(tables, v, [a]) for _, tables, v in verdicts)
        cells = sum(settles(ACTIVE, lambda t, b=b, i=i: cell(t, b, i), [a])
                    for b in AREAS for i in IND if b != a and len({cell(t, b, i) for t in ACTIVE}) > 1)
        assert (int(reading.loc[a, "verdicts_settled"]), int(reading.loc[a, "cells_fixed"])) == (n, cells), a
    # brute force: the statement's smallest set is Cedar and Damson (as derived by hand above), the claim's
    # Birch, Cedar and Damson (the 1.1 grades it compares, Ash's being stated)
    sets = [expected(tables, v, AREAS)[1] or [] for _, tables, v in verdicts]
    assert sets == [["Cedar", "Damson"], ["Birch", "Cedar", "Damson"]]
    # smallest sets are searched for statements only
    assert reading["in_smallest_sets"].to_dict() == {a: int(a in sets[0]) for a in AREAS}


def test_the_headline_pair_settles_what_it_says(found):
    result, _ = found
    head = result["headline"].iloc[0]
    pair = head["reports"].split("|")
    verdicts = ((CONTEXT, statement), (ACTIVE, claim))
    assert int(head["n_open"]) == 2
    assert int(head["n_settled"]) == sum(settles(tables, v, pair) for tables, v in verdicts)


def test_a_complete_table_leaves_nothing_to_settle():
    from analysis import RecordModel, load_record
    from analysis.domain.load import example_grades
    from analysis.stats import settle

    frames = settle.what_would_settle(load_record(), RecordModel.from_grades(example_grades()))
    assert [len(frames[k]) for k in ("settles", "reading_list", "headline")] == [0, 0, 0]
    assert list(frames["settles"].columns) == settle.SETTLE_COLUMNS


def test_dropping_the_row_link_is_caught(monkeypatch, tmp_path):
    """A mutation: the program ignores the reports' rows. Then no set of reports is ever proven to
    settle the statement, and the result disagrees with brute force."""
    from analysis import RecordModel, load_record
    from analysis.stats import settle

    solve = settle._PairProgram.solve
    monkeypatch.setattr(settle._PairProgram, "solve", lambda self, cover=(), linked=(): solve(self, cover, ()))
    data = make_programme(tmp_path / "data", **TINY)
    record = load_record(data)
    try:
        rows = settle.what_would_settle(record, RecordModel.from_record(record))["settles"]
    finally:
        use(None)
    got = rows.loc[rows["verdict_id"] == "statement:late-2.1-good", "method"].tolist()
    assert got != ["smallest set (proven)"]


def test_the_published_record_reports_with_every_grade_fixed_settle_nothing_new():
    """By hand, on the public record: Scottish Borders, South Ayrshire and Perth and Kinross have all nine
    grades fixed (their stated grades and counts). Reading their reports adds nothing, so none is on the
    reading list, and none settles a conclusion or a cell. Perth and Kinross appears only in the smallest
    set of one statement, rv-5.2-vg-excellent: a statement is judged without itself, and that statement is
    what fixes Perth and Kinross's 5.2."""
    import pandas as pd

    from conftest import ROOT

    tables = ROOT / "reports" / "tables"
    possible = pd.read_csv(tables / "possible_grades.csv")
    fixed = sorted(p for p, n in possible.groupby("partnership")["n_possible"].max().items() if n == 1)
    assert fixed == ["Perth and Kinross", "Scottish Borders", "South Ayrshire"]
    reading = pd.read_csv(tables / "reading_list.csv")
    assert not set(fixed) & set(reading["partnership"])
    rows = pd.read_csv(tables / "what_would_settle.csv", keep_default_na=False)
    named = rows[rows["reports"].str.split("|").apply(lambda s: bool(set(s) & set(fixed)))]
    assert named["verdict_id"].tolist() == ["statement:rv-5.2-vg-excellent"]
    assert "Perth and Kinross" in named["reports"].iloc[0].split("|")
