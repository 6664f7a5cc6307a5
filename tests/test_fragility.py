"""How fragile each decided verdict is, checked against brute force: on two tiny programmes (4 areas in 2
groups, 2 indicators, a 3-point scale: 3^8 = 6,561 grade tables) every table is enumerated, and for every
decided verdict every set of record rows is tried: the fewest whose dropping lets a table give the other
answer, how many such sets there are, and the first in the record's order."""

import itertools

import pytest
from programme import TINY, make_programme

from analysis.domain.package import use

AREAS = [a for a, _ in TINY["areas"]]
IND = [c for c, _ in TINY["indicators"]]
GROUP = dict(TINY["areas"])
VALUE = {"Poor": 1, "Fair": 2, "Good": 3}
ALL = list(itertools.product((1, 2, 3), repeat=len(AREAS) * len(IND)))

# One: Ash and Birch stated Good on 1.1; Cedar's counts say both its grades are Good. The statement
# (a late area Good on 2.1) and Cedar's grades follow from the counts alone; the claim (the late group's
# 1.1 mean higher) is contradicted by the two stated cells, either of which being wrong lets it hold.
# Two: Cedar stated Good on 1.1 and counted Good on both, the statement about 1.1: only both wrong
# together overturn it.
SPECS = {
    "one": dict(TINY, stated=[("Ash", "1.1", "Good"), ("Birch", "1.1", "Good")],
                counts=("Cedar", {"good": 2, "fair": 0, "poor": 0})),
    "two": dict(TINY, stated=[("Cedar", "1.1", "Good")], counts=("Cedar", {"good": 2, "fair": 0, "poor": 0}),
                statement=("late-1.1-good", "1.1", "late", "Good", ">=", 1)),
}


def cell(t, area, ind):
    return t[AREAS.index(area) * len(IND) + IND.index(ind)]


def rows_of(spec):
    """The record's rows as (id, predicate), in the record's order (stated cells, counts, statement)."""
    out = [(f"cell:{a}|{i}", lambda t, a=a, i=i, g=g: cell(t, a, i) == VALUE[g]) for a, i, g in spec["stated"]]
    area, counts = spec["counts"]
    want = sorted(VALUE[g.capitalize()] for g, n in counts.items() for _ in range(n))
    out.append((f"count:{area}", lambda t: sorted(cell(t, area, i) for i in IND) == want))
    sid, ind, group, grade, _, value = spec["statement"]
    out.append((f"statement:{sid}", lambda t: sum(cell(t, a, ind) == VALUE[grade] for a in AREAS
                                                  if GROUP[a] == group) >= value))
    return out


def claim(t):  # the late group's mean grade on 1.1 is higher (groups of 2: compare the sums)
    return cell(t, "Cedar", "1.1") + cell(t, "Damson", "1.1") > cell(t, "Ash", "1.1") + cell(t, "Birch", "1.1")


def brute_force(spec):
    """{verdict id: (verdict, fewest rows, every smallest set, sorted in the record's order)}."""
    rows = rows_of(spec)
    stated = {rid for rid, _ in rows if rid.startswith("cell:")}
    sid = rows[-1][0]
    verdicts = [(sid, rows[-1][1], [r for r in rows if r[0] != sid]), ("claim:cl-1.1-up", claim, rows)]
    consistent = [t for t in ALL if all(f(t) for _, f in rows)]
    for a in AREAS:
        for i in IND:
            values = {cell(t, a, i) for t in consistent}
            if len(values) == 1 and f"cell:{a}|{i}" not in stated:
                v = values.pop()
                verdicts.append((f"cell:{a}|{i}", lambda t, a=a, i=i, v=v: cell(t, a, i) == v, rows))
    out = {}
    for vid, holds, context in verdicts:
        tables = [t for t in ALL if all(f(t) for _, f in context)]
        answers = {holds(t) for t in tables}
        if len(answers) != 1:
            continue  # open
        answer = answers.pop()
        for k in range(len(context) + 1):
            sets = []
            for dropped in itertools.combinations([rid for rid, _ in context], k):
                kept = [f for rid, f in context if rid not in dropped]
                if any(holds(t) != answer for t in ALL if all(f(t) for f in kept)):
                    sets.append(list(dropped))
            if sets:
                out[vid] = (answer, k, sets)
                break
    return out


@pytest.fixture(scope="module", params=sorted(SPECS))
def case(request, tmp_path_factory):
    from analysis import RecordModel, load_record
    from analysis.stats import fragility

    spec = SPECS[request.param]
    data = make_programme(tmp_path_factory.mktemp(request.param) / "data", **spec)
    record = load_record(data)
    yield spec, fragility.fragility(record, RecordModel.from_record(record))
    use(None)


def test_the_hand_derived_cases():
    one, two = brute_force(SPECS["one"]), brute_force(SPECS["two"])
    assert one["statement:late-2.1-good"] == (True, 1, [["count:Cedar"]])
    assert one["claim:cl-1.1-up"] == (False, 1, [["cell:Ash|1.1"], ["cell:Birch|1.1"]])
    assert set(one) == {"statement:late-2.1-good", "claim:cl-1.1-up", "cell:Cedar|1.1", "cell:Cedar|2.1"}
    assert two["statement:late-1.1-good"] == (True, 2, [["cell:Cedar|1.1", "count:Cedar"]])
    assert "cell:Cedar|1.1" not in two  # stated: only derived grades are listed


def test_the_fewest_rows_agree_with_brute_force(case):
    spec, found = case
    expected = brute_force(spec)
    got = found.set_index("verdict_id")
    assert list(got.index) == list(expected), "the same decided verdicts, in order"
    for vid, (_, k, sets) in expected.items():
        row = got.loc[vid]
        assert int(row["rows_wrong"]) == k, vid
        assert row["row_ids"] == "; ".join(sets[0]), vid  # brute force lists sets in the record's order
        assert row["explanations"] == ("the only smallest set" if len(sets) == 1
                                       else f"one of {len(sets)} smallest sets"), vid
        assert int(row["sources_wrong"]) == 1  # every row of the tiny record cites one source


def test_the_verdicts_are_those_the_statements_page_gives(case):
    spec, found = case
    expected = brute_force(spec)
    for vid, (answer, _, _) in expected.items():
        verdict = found.set_index("verdict_id").loc[vid, "verdict"]
        if vid.startswith("cell:"):
            assert verdict in VALUE
        else:
            assert verdict == ("confirmed" if answer else "contradicted"), vid


def test_a_single_row_is_said_in_words(case):
    _, found = case
    for r in found.itertuples():
        if r.rows_wrong == 1:
            assert r.rests_on.startswith("a single row: ") and r.rows in r.rests_on
        else:
            assert r.rests_on.startswith("a single source: ")


def test_flipping_the_overturn_is_caught(monkeypatch, tmp_path):
    """A mutation: the program asks for the verdict itself rather than the other answer. Then nothing need
    be wrong, and the result disagrees with brute force."""
    from analysis import RecordModel, load_record
    from analysis.stats import fragility

    monkeypatch.setattr(fragility, "_overturn", lambda q: q.holds if q.verdict == "confirmed" else q.fails)
    data = make_programme(tmp_path / "data", **SPECS["two"])
    record = load_record(data)
    try:
        rows = fragility.fragility(record, RecordModel.from_record(record)).set_index("verdict_id")
    finally:
        use(None)
    assert int(rows.loc["statement:late-1.1-good", "rows_wrong"]) != 2


def test_a_switch_that_does_not_drop_its_row_is_caught(monkeypatch, tmp_path):
    """A mutation: a switched row still holds. Then no verdict can be overturned."""
    from analysis import RecordModel, load_record
    from analysis.record.rows import SparseRows
    from analysis.stats import fragility

    monkeypatch.setattr(SparseRows, "switched", lambda self, row, offset, switch, on: self.alternatives([[row]],
                                                                                                       offset, []))
    data = make_programme(tmp_path / "data", **SPECS["one"])
    record = load_record(data)
    try:
        rows = fragility.fragility(record, RecordModel.from_record(record))
    finally:
        use(None)
    assert rows["rows_wrong"].isna().all()


def test_the_published_record_a_verdict_resting_on_one_stated_grade():
    """By hand, on the public record: the review's "one Excellent on 6.2" (rv-6.2-excellent) is
    confirmed because NHS Tayside states Perth and Kinross Excellent on 6.2 (at least one) and the other
    rows allow no second. Were that stated grade wrong, Perth and Kinross's counts (2 Excellent of 9)
    would still place its Excellents elsewhere, and no row forces one on 6.2: one wrong row overturns it,
    and it is that row, from that source."""
    import pandas as pd

    from conftest import ROOT

    f = pd.read_csv(ROOT / "reports" / "tables" / "fragility.csv", keep_default_na=False).set_index("verdict_id")
    row = f.loc["statement:rv-6.2-excellent"]
    assert (row["verdict"], int(row["rows_wrong"]), int(row["sources_wrong"])) == ("confirmed", 1, 1)
    assert row["row_ids"] == "cell:Perth and Kinross|6.2" and row["sources"] == "nhstayside-perth-and-kinross"
    # a stated grade is not a derived verdict: no stated cell is listed as a cell verdict
    stated = pd.read_csv(ROOT / "data" / "record" / "cell_grades.csv", keep_default_na=False)
    cells = {v.removeprefix("cell:") for v in f.index if v.startswith("cell:")}
    assert not cells & {f"{p}|{i}" for p, i in zip(stated["partnership"], stated["indicator"])}
