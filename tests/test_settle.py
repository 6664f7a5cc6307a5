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
def tiny(tmp_path_factory):
    from analysis import RecordModel, load_record

    data = make_programme(tmp_path_factory.mktemp("tiny") / "data", **TINY)
    record = load_record(data)
    yield record, RecordModel.from_record(record), data
    use(None)


@pytest.fixture(scope="module")
def found(tiny):
    from analysis.stats import settle

    record, model, _ = tiny
    return settle.what_would_settle(record, model), settle.open_questions(record, model)


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
    monkeypatch.setattr(settle._PairProgram, "solve",
                        lambda self, cover=(), linked=(), some=False: solve(self, cover, (), some))
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


# -- witness pairs: brute force over the same tiny programme --------------------------------------------------
def canonical_pair(tables, holds, fails, reports):
    """Brute force: the lexicographically first pair (a, b) of tables, a where the verdict holds and b where it
    fails, the same on the reports' rows (grades compared by value, Poor first; areas and indicators in order)."""
    pairs = [(a, b) for a in tables if holds(a) for b in tables if fails(b)
             and all(row(a, p) == row(b, p) for p in reports)]
    return min(pairs) if pairs else None


def as_tuple(frame):
    grade = {(str(r.partnership), str(r.indicator)): VALUE[str(r.grade)] for r in frame.itertuples()}
    return tuple(grade[(a, i)] for a in AREAS for i in IND)


def test_witness_pairs_are_the_canonical_pairs_brute_force_finds(tiny, found):
    from analysis.stats import settle

    _, model, data = tiny
    use(data)  # another test may have left the default package in use
    by_id = {q.id: q for q in found[1]}
    checked = 0
    for vid, tables, verdict in (("statement:late-2.1-good", CONTEXT, statement), ("claim:cl-1.1-up", ACTIVE, claim)):
        for reports in [[a] for a in AREAS] + [["Birch", "Cedar"], ["Cedar", "Damson"]]:
            want = canonical_pair(tables, verdict, lambda t, v=verdict: not v(t), reports)
            got = settle.witness_pair(model, by_id[vid], reports)
            assert (got is None) == (want is None) == settles(tables, verdict, reports), (vid, reports)
            if want is not None:
                assert (as_tuple(got[0]), as_tuple(got[1])) == want, (vid, reports)
                checked += 1
    assert checked >= 8
    # a cell: the lexicographically first pair of tables that differ on it, the same on Damson's row
    pairs = [(a, b) for a in ACTIVE for b in ACTIVE if row(a, "Damson") == row(b, "Damson")
             and cell(a, "Birch", "1.1") != cell(b, "Birch", "1.1")]
    got = settle.witness_pair(model, by_id["cell:Birch|1.1"], ["Damson"])
    assert (as_tuple(got[0]), as_tuple(got[1])) == min(pairs)


def test_the_published_witnesses_cover_every_report_that_does_not_settle(tiny):
    from analysis.domain import scale
    from analysis.stats import settle

    record, model, data = tiny
    use(data)
    found = settle.settle_witnesses(record, model)
    uses, pairs = found["uses"], found["tables"]
    grade_of = {abbrev: g for g, abbrev in scale.ABBREVIATIONS_OF.items()}
    assert not uses.empty and set(pairs["table"]) == {"a", "b"} and set(uses["witness_id"]) == set(pairs["witness_id"])
    for vid, tables, verdict in (("statement:late-2.1-good", CONTEXT, statement), ("claim:cl-1.1-up", ACTIVE, claim)):
        rows = uses[uses["verdict_id"] == vid]
        covered = {p for r in rows["reports"] for p in r.split("|")}
        assert covered == {a for a in AREAS if not settles(tables, verdict, [a])}, vid
        for use_ in rows.itertuples():
            pair = pairs[pairs["witness_id"] == use_.witness_id]
            t = {side: tuple(VALUE[grade_of[pair[pair["table"] == side].set_index("indicator").loc[i, a]]]
                             for a in AREAS for i in IND) for side in "ab"}
            holds, fails = (t["a"], t["b"]) if use_.holds_in == "a" else (t["b"], t["a"])
            assert holds in tables and fails in tables and verdict(holds) and not verdict(fails), use_
            for p in use_.reports.split("|"):
                assert row(t["a"], p) == row(t["b"], p), (use_, p)


def test_a_witness_that_ignores_the_reports_is_caught(tiny, found, monkeypatch):
    """A mutation: the canonical pair is not linked on the reports. Brute force then disagrees."""
    from analysis.stats import settle

    _, model, data = tiny
    use(data)
    canonical = settle._PairProgram.canonical
    monkeypatch.setattr(settle._PairProgram, "canonical", lambda self, linked, limit=6**12: canonical(self, []))
    q = {q.id: q for q in found[1]}["claim:cl-1.1-up"]
    caught = []
    for reports in ([a] for a in AREAS if not settles(ACTIVE, claim, [a])):
        got = settle.witness_pair(model, q, reports)
        caught.append((as_tuple(got[0]), as_tuple(got[1])) != canonical_pair(ACTIVE, claim, lambda t: not claim(t),
                                                                             reports))
    assert any(caught)


# -- the published record ---------------------------------------------------------------------------------------
def _published_witnesses():
    import pandas as pd

    from conftest import ROOT

    use(None)  # the tiny programme's tests above leave it in use
    tables = ROOT / "reports" / "tables"
    return tuple(pd.read_csv(tables / f"{name}.csv", keep_default_na=False, dtype=str)
                 for name in ("settle_witnesses", "settle_witness_tables"))


def _witness_table(pair, side):
    """One witness table as {(partnership, indicator): grade}."""
    from analysis.domain import scale

    grade_of = {a: g for g, a in scale.ABBREVIATIONS_OF.items()}
    rows = pair[pair["table"] == side]
    return {(p, r["indicator"]): grade_of[r[p]] for _, r in rows.iterrows() for p in rows.columns[3:]}


def _fits_stated_rows(table, skip=()) -> bool:
    """By hand from data/record: every stated grade as stated, every partnership's published grade counts
    (and 'every grade within') as published. (The review's statements are checked separately.)"""
    import pandas as pd

    from conftest import ROOT

    record = ROOT / "data" / "record"
    cells = pd.read_csv(record / "cell_grades.csv", keep_default_na=False, dtype=str)
    if any(table[(r.partnership, r.indicator)] != r.grade for r in cells.itertuples()
           if f"cell:{r.partnership}|{r.indicator}" not in skip):
        return False
    counts = pd.read_csv(record / "area_grade_counts.csv", keep_default_na=False, dtype=str)
    for r in counts.to_dict("records"):
        grades = [g for (p, _), g in table.items() if p == r["partnership"]]
        # counts over more indicators than the nine (North Lanarkshire: ten) allow that many fewer here
        extra = int(r["n_indicators"]) - len(grades) if r["n_indicators"] else 0
        for col, label in (("excellent", "Excellent"), ("very_good", "Very good"), ("good", "Good"),
                           ("adequate", "Adequate"), ("weak", "Weak"), ("unsatisfactory", "Unsatisfactory")):
            if r[col] != "" and not int(r[col]) - extra <= grades.count(label) <= int(r[col]):
                return False
        if r["within"] and not set(grades) <= set(r["within"].split("|")):
            return False
    return True


def test_the_published_trend_verdicts_no_single_report_settles_with_witnesses():
    """Every open trend verdict is published as needing at least 2 reports, and each of its witness pairs is
    checked here by an independent route: the exact test on each table (no search), the stated grades and
    counts read from data/record by hand, the review's statements evaluated on each complete table, and the
    two tables the same on the rows of the reports they witness."""
    import numpy as np
    import pandas as pd

    from analysis import RecordModel, load_record
    from analysis.domain import scale
    from analysis.record.model import D
    from analysis.stats.exact import lbl_exact
    from analysis.stats.statements import evaluate_statements
    from analysis.stats.trend_bounds import group_scores

    from conftest import ROOT

    use(None)
    tables = ROOT / "reports" / "tables"
    bounds = pd.read_csv(tables / "trend_bounds.csv", dtype={"indicator": str})
    open_ids = {f"trend:{r.indicator}|{r.direction}" for r in bounds.itertuples() if r.verdict == "possible"}
    settles = pd.read_csv(tables / "what_would_settle.csv", keep_default_na=False)
    trends = settles[settles["kind"] == "trend"]
    assert set(trends["verdict_id"]) == open_ids and len(open_ids) == 17
    assert set(trends["method"]) == {"at least 2 reports (no one report settles it)"}
    reading = pd.read_csv(tables / "reading_list.csv")
    # the statements in force on the public record: not set aside, not a rival reading or a stronger one's part
    published = pd.read_csv(tables / "statements.csv", keep_default_na=False)
    in_force = published.loc[(published["set_aside"].astype(str) == "False") & (published["alternative_to"] == "")
                             & (published["adds_to"] == ""), "statement_id"].tolist()
    assert len(in_force) == len(published) - 4
    uses, pairs = _published_witnesses()
    u, value = group_scores(), {g: k + 1 for k, g in enumerate(scale.GRADES)}
    record = load_record()
    checked = 0
    for vid in sorted(open_ids):
        rows = uses[uses["verdict_id"] == vid]
        covered = {p for r in rows["reports"] for p in r.split("|")}
        assert covered == set(reading["partnership"]), vid  # every report that could be read
        ind, direction = vid.removeprefix("trend:").split("|")
        sign = 1 if direction == "up" else -1
        for use_ in rows.iloc[:1].itertuples():
            wid, pair = use_.witness_id, pairs[pairs["witness_id"] == use_.witness_id]
            a, b = _witness_table(pair, "a"), _witness_table(pair, "b")
            for table, significant in ((a, use_.holds_in == "a"), (b, use_.holds_in == "b")):
                v = np.array([value[table[(p, ind)]] for p in D.P])
                t = lbl_exact(u, v)
                trends_that_way = (len(u) * int(u @ v) - int(u.sum()) * int(v.sum())) * sign > 0
                assert (trends_that_way and t["tail_two_sided"] * 20 <= t["n_assignments"]) == significant, wid
                assert _fits_stated_rows(table), wid
                frame = pd.DataFrame([(p, i, g) for (p, i), g in table.items()],
                                     columns=["partnership", "indicator", "grade"])
                verdicts = evaluate_statements(record, RecordModel.from_grades(frame), evidence=False)
                assert set(verdicts.set_index("statement_id").loc[in_force, "verdict"]) == {"confirmed"}, wid
            for p in use_.reports.split("|"):
                assert all(a[(p, i)] == b[(p, i)] for i in D.I), (wid, p)
            checked += 1
    assert checked == 17


def test_a_statement_is_asked_about_without_its_own_words():
    """A statement that alone fixes a cell ("the first partnership is Good on 1.1") is open against the rest of
    the record (here nothing else): by hand, its own partnership's report settles it and no other does, and the
    pair for another report has that cell Good in one table and not in the other. Programs that took the
    record's possible grades with the statement in force would find it decided (no pair)."""
    import numpy as np

    from analysis.record.model import D, Group, RecordModel, var
    from analysis.stats.settle import Question, settled_by, witness_pair

    P = D.P
    good = np.array([var(P[0], "1.1", "Good")])
    said = Group("statement:s", "statement", f"{P[0]} 1.1 is Good", rows=((good, 1, 1),))
    model = RecordModel([said], "example")
    assert model.possible[D.PI[P[0]], D.II["1.1"]].sum() == 1  # in force, the statement fixes the cell
    q = Question("statement:s", "statement", said.label, "1.1", exclude=(said.id,), holds=(((good, 1, 1),),),
                 fails=(((good, 0, 0),),))
    assert settled_by(model, q, P[:3]) == [P[0]]
    a, b = witness_pair(model, q, [P[1]])
    grade = [t.set_index(["partnership", "indicator"]).loc[(P[0], "1.1"), "grade"] for t in (a, b)]
    assert grade[0] == "Good" and grade[1] != "Good"
