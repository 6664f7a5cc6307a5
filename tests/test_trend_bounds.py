"""Exact trend bounds under a record, against brute force.

A tiny record: a complete synthetic 32 x 9 table in which nine cells of QI 5.2 and one cell of
QI 6.2 are opened up (each to two or three grades), tied by a count statement and a
cross-indicator condition. Every consistent table is listed by hand (product of the open cells,
filtered by the constraints written out in Python, not by the solver), each one's exact p-value
computed, and the minimum and maximum per direction, the verdicts and the linear bounds compared
with :func:`analysis.stats.trend_bounds.trend_bounds`.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.domain import areas, indicators, scale
from analysis.record.model import Group, RecordModel, cell_group, var
from analysis.stats.exact import distribution
from analysis.stats.trend_bounds import trend_bounds
from analysis.stats.trends import trend_tests

P = list(areas.PARTNERSHIPS)
GROUP = {p: areas.PERIOD_GROUPS.index(areas.period_group_of()[p]) + 1 for p in P}
U = np.array([GROUP[p] for p in P])
G = list(scale.GRADES)  # worst first: value = index + 1


def _base_table() -> dict:
    """value 1-6 per (partnership, indicator): QI 1.1 rises steeply with the group (a forced upward
    trend), QI 5.2 rises mildly, the rest vary without a trend."""
    out = {}
    for j, p in enumerate(P):
        k = GROUP[p]
        for i, ind in enumerate(indicators.INDICATORS):
            if ind == "1.1":
                value = {1: 2, 2: 4, 3: 6}[k] - (j % 2)
            elif ind == "5.2":
                value = 3 + (j % 3 == 0) + (k == 3 and j % 2 == 0)
            else:
                value = 2 + (j + 2 * i) % 4
            out[(p, ind)] = value
    return out


# the open cells: (partnership, indicator) -> grades allowed (values)
OPEN = {
    ("Edinburgh", "5.2"): (2, 3, 4),
    ("Orkney", "5.2"): (3, 4, 5),
    ("Highland", "5.2"): (1, 3, 5),
    ("Aberdeen", "5.2"): (3, 4),
    ("Fife", "5.2"): (2, 4, 5),
    ("Dundee", "5.2"): (3, 5),
    ("Angus", "5.2"): (2, 4, 6),
    ("Moray", "5.2"): (3, 4, 5),
    ("Glasgow", "5.2"): (1, 4, 6),
    ("Glasgow", "6.2"): (3, 4),
}
# a statement: at most two of the post-2016 group are Very good or Excellent on 5.2
STATEMENT_MEMBERS = areas.members("post-2016")
# a cross-indicator condition in one area (like an area's grade counts): Glasgow is Good on
# exactly one of 5.2 and 6.2


def _model() -> RecordModel:
    base = _base_table()
    groups = []
    for (p, ind), value in base.items():
        if (p, ind) in OPEN:
            allowed = OPEN[(p, ind)]
            groups.append(Group(f"open:{p}|{ind}", "cell", f"{p} {ind} open", rows=(
                (np.array([var(p, ind, G[v - 1]) for v in allowed]), 1, 1),)))
        else:
            groups.append(cell_group(p, ind, G[value - 1], "table"))
    groups.append(Group("statement:vg", "statement", "post-2016 5.2 VG or E <= 2", rows=(
        (np.array([var(p, "5.2", g) for p in STATEMENT_MEMBERS for g in ("Very good", "Excellent")]), 0, 2),)))
    groups.append(Group("count:glasgow", "count", "Glasgow Good on exactly one of 5.2, 6.2", rows=(
        (np.array([var("Glasgow", "5.2", "Good"), var("Glasgow", "6.2", "Good")]), 1, 1),)))
    return RecordModel(groups, "tiny test record")


def _consistent_tables():
    base = _base_table()
    keys = list(OPEN)
    for combo in itertools.product(*(OPEN[k] for k in keys)):
        table = dict(base)
        table.update(dict(zip(keys, combo)))
        vg = sum(table[(p, "5.2")] >= 5 for p in STATEMENT_MEMBERS)
        glasgow = (table[("Glasgow", "5.2")] == 4) + (table[("Glasgow", "6.2")] == 4)
        if vg <= 2 and glasgow == 1:
            yield table


def _direction_p(v, cache={}):  # noqa: B006 - a memo shared by every call, on purpose
    """(p for an upward trend, p for a downward trend): the exact two-sided p-value for the
    direction the table trends, 1 for the other (and 1 for both with no trend)."""
    key = tuple(sorted(v))
    if key not in cache:
        cache[key] = distribution(U, v)
    dist = cache[key]
    nc = dist.n * int(U @ v) - dist.sum_u * dist.sum_v
    p = dist.tail(int(U @ v))[0] / dist.total
    return (p if nc > 0 else 1.0), (p if nc < 0 else 1.0)


@pytest.fixture(scope="module")
def brute():
    out = {}
    tables = list(_consistent_tables())
    assert 100 < len(tables) < 20_000  # the constraints bind, and the enumeration is a real one
    for ind in ("5.2", "6.2", "1.1"):
        ups, downs, means = [], [], []
        for t in tables:
            v = np.array([t[(p, ind)] for p in P])
            up, down = _direction_p(v)
            ups.append(up)
            downs.append(down)
            means.append([v[k == U].mean() for k in (1, 2, 3)] + [v[U == 3].mean() - v[U == 1].mean(),
                                                                    float(((U - U.mean()) * v).sum())])
        out[ind] = (np.array(ups), np.array(downs), np.array(means))
    return out


@pytest.fixture(scope="module")
def bounds():
    return trend_bounds(_model())


def _verdict(ps):
    return "forced" if ps.max() <= 0.05 else "impossible" if ps.min() > 0.05 else "possible"


@pytest.mark.parametrize("ind", ["5.2", "6.2", "1.1"])
def test_p_bounds_equal_brute_force(brute, bounds, ind):
    ups, downs, _ = brute[ind]
    frame = bounds["bounds"].set_index(["indicator", "direction"])
    for direction, ps in (("up", ups), ("down", downs)):
        row = frame.loc[(ind, direction)]
        assert row["p_min"] == pytest.approx(ps.min(), rel=1e-12, abs=0)
        assert row["p_max"] == pytest.approx(ps.max(), rel=1e-12, abs=0)
        assert row["verdict"] == _verdict(ps)


def test_the_tiny_record_exercises_every_verdict(brute):
    """The expected values are not all alike: the record leaves 5.2's upward trend open, forces
    1.1's, and rules out 1.1's downward trend."""
    ups, downs, _ = brute["5.2"]
    assert _verdict(ups) == "possible" and ups.min() < 0.05 < ups.max()
    assert _verdict(brute["1.1"][0]) == "forced" and _verdict(brute["1.1"][1]) == "impossible"


@pytest.mark.parametrize("ind", ["5.2", "6.2"])
def test_linear_bounds_equal_brute_force(brute, bounds, ind):
    _, _, means = brute[ind]
    row = bounds["linear"].set_index("indicator").loc[ind]
    names = ["mean_pre_2014", "mean_2014_16", "mean_post_2016", "mean_diff", "centred_statistic"]
    for k, name in enumerate(names):
        assert row[f"{name}_min"] == pytest.approx(means[:, k].min(), abs=1e-9)
        assert row[f"{name}_max"] == pytest.approx(means[:, k].max(), abs=1e-9)


def test_witnesses_attain_their_bounds_and_are_consistent(bounds):
    """Each witness is one of the enumerated tables' columns, and reproduces its bound."""
    consistent = {ind: {tuple(t[(p, ind)] for p in P) for t in _consistent_tables()} for ind in ("5.2", "6.2")}
    value_of = {scale.ABBREVIATIONS_OF[g]: k + 1 for k, g in enumerate(G)}
    frame = bounds["bounds"].set_index(["indicator", "direction"])
    wit = bounds["witnesses"]
    for r in wit[wit["indicator"].isin(["5.2", "6.2"])].to_dict("records"):
        v = tuple(value_of[r[p]] for p in P)
        assert v in consistent[r["indicator"]]
        if r["bound"] in ("p_min", "p_max"):
            up, down = _direction_p(np.array(v))
            expected = frame.loc[(r["indicator"], r["direction"]), r["bound"]]
            assert (up if r["direction"] == "up" else down) == pytest.approx(expected, rel=1e-12)


def test_complete_table_bounds_are_its_own_p_values():
    base = _base_table()
    grades = pd.DataFrame([{"partnership": p, "indicator": i, "grade": G[v - 1]} for (p, i), v in base.items()])
    model = RecordModel.from_grades(grades)
    frame = trend_bounds(model)["bounds"].set_index(["indicator", "direction"])
    tests = trend_tests(grades).set_index("indicator")
    for ind in indicators.INDICATORS:
        v = np.array([base[(p, ind)] for p in P])
        nc = len(v) * int(U @ v) - int(U.sum()) * int(v.sum())
        for direction, sign in (("up", 1), ("down", -1)):
            row = frame.loc[(ind, direction)]
            assert row["p_min"] == row["p_max"]
            expected = tests.loc[ind, "p_exact"] if sign * nc > 0 else 1.0
            assert row["p_min"] == pytest.approx(expected, rel=1e-12)
            assert row["verdict"] == ("forced" if expected <= 0.05 else "impossible")


def test_p_max_search_when_every_table_trends_one_way():
    """Four open cells of QI 1.1, whose steep upward trend no choice can undo: p_max is then the
    largest p-value of a consistent table (not 1), found by the same exact search."""
    base = _base_table()
    opened = {("Stirling", "1.1"): (1, 2, 3), ("Falkirk", "1.1"): (2, 3, 4, 5), ("Inverclyde", "1.1"): (3, 4, 5, 6),
              ("Moray", "1.1"): (1, 5, 6)}
    groups = []
    for (p, ind), value in base.items():
        if (p, ind) in opened:
            groups.append(Group(f"open:{p}|{ind}", "cell", f"{p} {ind} open", rows=(
                (np.array([var(p, ind, G[v - 1]) for v in opened[(p, ind)]]), 1, 1),)))
        else:
            groups.append(cell_group(p, ind, G[value - 1], "table"))
    frame = trend_bounds(RecordModel(groups, "tiny test record"))["bounds"].set_index(["indicator", "direction"])
    ups = []
    for combo in itertools.product(*opened.values()):
        table = dict(base) | dict(zip(opened, combo))
        v = np.array([table[(p, "1.1")] for p in P])
        up, down = _direction_p(v)
        assert down == 1.0  # every table trends up
        ups.append(up)
    ups = np.array(ups)
    assert ups.max() < 1
    assert frame.loc[("1.1", "up"), "p_max"] == pytest.approx(ups.max(), rel=1e-12)
    assert frame.loc[("1.1", "up"), "p_min"] == pytest.approx(ups.min(), rel=1e-12)
    assert frame.loc[("1.1", "down"), "p_min"] == 1.0


def test_witnesses_are_the_canonical_tables(bounds):
    """Each published witness is the lexicographically smallest consistent column (partnerships in
    Appendix 4 order, Unsatisfactory first) among those attaining its bound (for a p-value: with
    its grade counts and statistic), found here by enumeration; so it does not depend on which
    optimum the solver happened to return (nor on the machine)."""
    columns = {ind: sorted({tuple(t[(p, ind)] for p in P) for t in _consistent_tables()}) for ind in ("5.2", "6.2")}
    value_of = {scale.ABBREVIATIONS_OF[g]: k + 1 for k, g in enumerate(G)}
    weights = {"mean_pre_2014": (U == 1) / (U == 1).sum(), "mean_2014_16": (U == 2) / (U == 2).sum(),
               "mean_post_2016": (U == 3) / (U == 3).sum(),
               "mean_diff": (U == 3) / (U == 3).sum() - (U == 1) / (U == 1).sum(), "centred_statistic": U - U.mean()}
    wit = bounds["witnesses"]
    checked = 0
    for r in wit[wit["indicator"].isin(["5.2", "6.2"])].to_dict("records"):
        v = np.array([value_of[r[p]] for p in P])
        if r["bound"] in ("p_min", "p_max"):
            same = [c for c in columns[r["indicator"]]
                    if sorted(c) == sorted(v) and int(U @ np.array(c)) == int(U @ v)]
        else:
            w = weights[r["bound"].rsplit("_", 1)[0]]
            same = [c for c in columns[r["indicator"]] if abs(w @ np.array(c) - w @ v) < 1e-9]
        assert len(same) >= 1
        assert tuple(v) == min(same), (r["indicator"], r["bound"], r["direction"])
        checked += len(same) > 1  # a real choice among several tables
    assert checked >= 5


def test_canonical_in_several_blocks_is_the_smallest_table():
    """RecordModel.canonical taken a few cells at a time (a small place-value limit forces several
    blocks) still gives the lexicographically smallest consistent column, found by enumeration."""
    from analysis.record.model import grade_values

    model = _model()
    columns = sorted({tuple(t[(p, "5.2")] for p in P) for t in _consistent_tables()})
    for limit in (2, 5, 6 ** 8):
        got = tuple(int(v) for v in grade_values(model.canonical("5.2", limit=limit), "5.2"))
        assert got == columns[0], limit
    # with a condition: Glasgow Good on 5.2 (so not on 6.2): the smallest column with that value
    extra = [(np.array([var("Glasgow", "5.2", "Good")]), 1, 1)]
    allowed = sorted(c for c in columns if c[P.index("Glasgow")] == 4)
    assert tuple(int(v) for v in grade_values(model.canonical("5.2", extra, limit=3), "5.2")) == allowed[0]
