"""The record solver against brute-force enumeration on small instances.

Each instance fixes all but a few cells of the 32 x 9 table, adds counts and statements over
the free cells, and compares the solver with plain enumeration of every assignment of the
free cells (6^k tables), written independently here.
"""

import itertools

import pandas as pd
import pytest

from analysis.record.model import RecordModel, cell_group, count_group, statement_group

from conftest import ALL_32, NINE

GRADES = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
FREE_AREAS = ["Fife", "Falkirk", "Moray"]  # 2014-16, 2014-16, post-2016
FREE_INDS = ["5.1", "6.2"]
FREE = [(p, i) for p in FREE_AREAS for i in FREE_INDS]


def _fixed_background(grade="Good"):
    return [cell_group(p, i, grade, "table") for p in ALL_32 for i in NINE if (p, i) not in FREE]


def _count_rec(p, counts, n=9, within=()):
    rec = {"partnership": p, "n_indicators": n, "within": within, "source_id": "test", "quote": "test"}
    cols = ["excellent", "very_good", "good", "adequate", "weak", "unsatisfactory"]
    for c, g in zip(cols, GRADES[::-1]):
        rec[c] = counts.get(g, 0)
    return rec


def _stmt_rec(indicator, grades, groups, comparator, value, value_max=None, sid="s"):
    return {"statement_id": sid, "indicator": indicator, "grades": tuple(grades), "period_groups": tuple(groups),
            "comparator": comparator, "value": value, "value_max": value_max if value_max is not None else pd.NA,
            "source_id": "test", "quote": "test", "alternative_to": "", "reading": "", "section": ""}


def _brute(checks):
    """Every assignment of the free cells passing all checks (functions of a dict cell -> grade)."""
    out = []
    for combo in itertools.product(GRADES, repeat=len(FREE)):
        table = dict(zip(FREE, combo))
        if all(check(table) for check in checks):
            out.append(table)
    return out


def _area_counts(table, p, background_grade="Good"):
    counts = {g: 0 for g in GRADES}
    for i in NINE:
        counts[table.get((p, i), background_grade)] += 1
    return counts


# Instance: Fife has 7 Good (its 7 fixed cells) plus its two free cells: counts say 8 Good, 1 Adequate.
# Falkirk's two free cells are "Good or Very good" (within). Statement: on 6.2, exactly 1 of the
# 2014-16 group is Very good or better (the fixed 2014-16 cells are all Good).
FIFE = {"Good": 8, "Adequate": 1}


def _instance():
    groups = _fixed_background()
    groups.append(count_group(_count_rec("Fife", FIFE)))
    falkirk = _count_rec("Falkirk", {}, n=None, within=("Good", "Very good"))
    groups.append(count_group(falkirk))
    stmt = _stmt_rec("6.2", ["Very good", "Excellent"], ["2014-16"], "=", 1)
    groups.append(statement_group(stmt))
    checks = [
        lambda t: _area_counts(t, "Fife") == {**{g: 0 for g in GRADES}, **FIFE},
        lambda t: t[("Falkirk", "5.1")] in ("Good", "Very good") and t[("Falkirk", "6.2")] in ("Good", "Very good"),
        lambda t: sum(t[(p, "6.2")] in ("Very good", "Excellent") for p in ["Fife", "Falkirk"]) == 1,
    ]
    return RecordModel(groups, "test"), _brute(checks)


def test_possible_sets_match_enumeration():
    model, tables = _instance()
    assert tables, "the hand-made instance must be feasible"
    frame = model.possible_grades().set_index(["partnership", "indicator"])
    for cell in FREE:
        expected = tuple(g for g in GRADES if any(t[cell] == g for t in tables))
        assert frame.loc[cell, "possible"] == expected, cell
    # By hand: Fife's two free cells are one Good and one Adequate, so Fife 6.2 cannot be Very good,
    # so Falkirk 6.2 must be the one Very good. Moray is unconstrained.
    assert frame.loc[("Fife", "6.2"), "possible"] == ("Adequate", "Good")
    assert frame.loc[("Falkirk", "6.2"), "possible"] == ("Very good",)
    assert frame.loc[("Falkirk", "5.1"), "possible"] == ("Good", "Very good")
    assert frame.loc[("Moray", "5.1"), "possible"] == tuple(GRADES)
    assert frame.loc[("Edinburgh", "1.1"), "possible"] == ("Good",)


@pytest.mark.parametrize("indicator,grades,scope", [
    ("5.1", ("Good", "Very good", "Excellent"), None),
    ("6.2", ("Very good", "Excellent"), ["Fife", "Falkirk", "Moray"]),
    ("5.1", ("Adequate",), ["Fife", "Moray"]),
    ("6.2", ("Weak", "Unsatisfactory"), ["Moray"]),
])
def test_count_ranges_match_enumeration(indicator, grades, scope):
    model, tables = _instance()
    members = ALL_32 if scope is None else scope
    values = [sum((t.get((p, indicator), "Good")) in grades for p in members) for t in tables]
    assert model.count_range(indicator, grades, members) == (min(values), max(values))


def test_count_ranges_in_turn_match_enumeration():
    """Many ranges asked of one model in turn, and of a model relaxed from it: each solve's table (and
    the tables behind the possible grades) may answer a later range without a solve, so every answer
    is checked against enumeration, not against the solver. The statement couples the three free cells
    of 5.1 (exactly one Very good or better), so the ranges the possible grades suggest are often wrong
    (each cell may be Excellent, but at most one is)."""
    stmt = statement_group(_stmt_rec("5.1", ["Very good", "Excellent"], ["pre-2014", "2014-16", "post-2016"], "=", 1))
    model = RecordModel(_fixed_background() + [stmt], "test")
    tables = _brute([lambda t: sum(t[(p, "5.1")] in ("Very good", "Excellent") for p in FREE_AREAS) == 1])
    runs = [tuple(GRADES[a:b]) for a in range(6) for b in range(a + 1, 7)]
    scopes = [ALL_32, ["Fife", "Falkirk"], ["Moray"]]
    for indicator in FREE_INDS:
        for grades in runs:
            for members in scopes:
                values = [sum(t.get((p, indicator), "Good") in grades for p in members) for t in tables]
                assert model.count_range(indicator, grades, members) == (min(values), max(values)), \
                    (indicator, grades, members)
    # by hand: three cells may each be Excellent, one at most is
    assert model.count_range("5.1", ["Excellent"]) == (0, 1)
    relaxed = model.relaxed([g for g in model.active if g is not stmt])
    for grades in runs:
        free = sum(p in FREE_AREAS for p in ALL_32)
        background = sum("Good" in grades for p in ALL_32 if p not in FREE_AREAS)
        every = free if len(grades) == len(GRADES) else 0  # a free cell is counted always only then
        assert relaxed.count_range("5.1", grades) == (background + every, background + free), grades


def test_conflict_found_and_statement_set_aside():
    # Fife's counts say 8 Good + 1 Adequate; a statement says no 2014-16 area is Adequate on 5.1 or 6.2 -> the two
    # clash, since Fife's Adequate must be on 5.1 or 6.2 (its other seven cells are fixed Good).
    groups = _fixed_background() + [count_group(_count_rec("Fife", FIFE))]
    s1 = statement_group(_stmt_rec("5.1", ["Adequate"], ["2014-16"], "=", 0, sid="a"))
    s2 = statement_group(_stmt_rec("6.2", ["Adequate"], ["2014-16"], "=", 0, sid="b"))
    model = RecordModel(groups + [s1, s2], "test")
    conflicts = model.resolve_conflicts()
    assert len(conflicts) == 1
    # Minimal: the count, both statements, and Fife's seven fixed cells (without any one of them the
    # Adequate could sit on that cell instead).
    fixed = {f"table:Fife|{i}" for i in NINE if i not in FREE_INDS}
    assert {g.id for g in conflicts[0]} == {"count:Fife", "statement:a", "statement:b"} | fixed
    assert {g.id for g in model.set_aside} == {"statement:a", "statement:b"}
    assert model.feasible()


def test_complete_table_gives_exact_values():
    groups = [cell_group(p, i, GRADES[(k + j) % 6], "table") for k, p in enumerate(ALL_32) for j, i in enumerate(NINE)]
    model = RecordModel(groups, "complete grade table")
    assert model.complete
    # Hand count: on indicator j, partnership k has grade (k + j) % 6. For 1.1 (j = 0) the grades cycle
    # 0..5 over k = 0..31: grade 3 (Good), 4, 5 occur for k % 6 in {3, 4, 5}: k = 3,4,5,9,10,11,...,27,28,29 -> 15.
    assert model.count_range("1.1", ("Good", "Very good", "Excellent")) == (15, 15)


def test_the_solver_prints_nothing():
    """HiGHS prints a banner the first time a solver object is made in a process; it must never reach a
    terminal, a notebook or a page. Run in a new process (the banner is once per process)."""
    import subprocess
    import sys

    code = ("import numpy as np\nfrom analysis.record.solver import Program\n"
            "print(Program(np.ones((1, 2)), np.array([1.0]), np.array([1.0])).solve(np.zeros(2)).sum())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "1\n"
    assert "HiGHS" not in done.stderr


def test_a_relaxed_model_finds_the_grades_a_fresh_one_does():
    """A relaxed model starts from the grades its parent finds possible; on a small record its possible grades
    equal those of a model of the same groups built from nothing, and both equal brute force: Edinburgh and
    Orkney have one Excellent between them on 1.1 (each Weak or Excellent), Orkney's 2.1 is stated Good."""
    import itertools

    import numpy as np

    from analysis.record.model import D, Group, var

    pair = ["Edinburgh", "Orkney"]
    rows = [(np.array([var(p, "1.1", "Weak"), var(p, "1.1", "Excellent")]), 1, 1) for p in pair]
    rows.append((np.array([var(p, "1.1", "Excellent") for p in pair]), 1, 1))
    count = Group("count:x", "count", "one Excellent", rows=tuple(rows))
    stated = cell_group("Orkney", "2.1", "Good")
    parent = RecordModel([count, stated], "example")
    relaxed, fresh = parent.relaxed([count]), RecordModel([count], "example")
    assert (relaxed.possible == fresh.possible).all()
    # brute force over the two 1.1 cells (every other cell is free: all six grades)
    seen = {p: set() for p in pair}
    for a, b in itertools.product(D.G, repeat=2):
        if {a, b} <= {"Weak", "Excellent"} and [a, b].count("Excellent") == 1:
            seen["Edinburgh"].add(a)
            seen["Orkney"].add(b)
    for p in pair:
        assert {g for g in D.G if relaxed.possible[D.PI[p], D.II["1.1"], D.GI[g]]} == seen[p] == {"Weak", "Excellent"}
    assert relaxed.possible[D.PI["Orkney"], D.II["2.1"]].all()  # the stated grade was dropped
    assert parent.possible[D.PI["Orkney"], D.II["2.1"]].sum() == 1
    with pytest.raises(ValueError):
        relaxed.relaxed([stated])


def _small_programs(count=25, cells=4, values=3, seed=7):
    """Random small 0/1 programs: ``cells`` one-hot cells of ``values`` variables and two random rows over the
    cells' values (value = position in the cell), each with the list of solutions found by enumeration."""
    import itertools

    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        weights = rng.integers(-2, 3, size=(2, cells))
        bounds = [sorted(rng.integers(-4, 5, size=2)) for _ in range(2)]
        A = np.zeros((cells + 2, cells * values))
        for c in range(cells):
            A[c, c * values:(c + 1) * values] = 1
            for r in range(2):
                A[cells + r, c * values:(c + 1) * values] = weights[r, c] * np.arange(values)
        lo = np.array([1.0] * cells + [b[0] for b in bounds])
        hi = np.array([1.0] * cells + [b[1] for b in bounds])
        solutions = [t for t in itertools.product(range(values), repeat=cells)
                     if all(lo[cells + r] <= weights[r] @ np.array(t) <= hi[cells + r] for r in range(2))]
        out.append((A, lo, hi, solutions))
    return out


def test_the_lexicographic_minimum_is_the_one_enumeration_finds():
    """Against enumeration of all 3^4 assignments, for blocks of one cell, of two and of all four (the blocks'
    place values then reach 81), and the proof step alone from every solution: none below the minimum, and
    from any other a smaller one differing first where the earliest smaller solution does."""
    import numpy as np

    from analysis.record.solver import Program, lexicographic_minimum

    cells = [[3 * c, 3 * c + 1, 3 * c + 2] for c in range(4)]

    def values(z):
        return tuple(int(np.flatnonzero(z[cell])[0]) for cell in cells)

    feasible = 0
    for A, lo, hi, solutions in _small_programs():
        program = Program(A, lo, hi)
        for limit in (3, 9, 81):
            found = lexicographic_minimum(program, cells, limit=limit)
            assert (found is None) == (not solutions)
            if solutions:
                assert values(found) == min(solutions)
        for t in solutions:
            z = np.zeros(12, dtype=int)
            z[[cells[c][v] for c, v in enumerate(t)]] = 1
            smaller = program.smaller(cells, z)
            below = [s for s in solutions if s < t]
            assert (smaller is None) == (not below)
            if below:
                s = values(smaller)
                assert s in solutions and s < t
                first = min(next(c for c in range(4) if b[c] != t[c]) for b in below)
                assert s[:first] == t[:first] and s[first] < t[first]
        feasible += bool(solutions)
    assert 5 < feasible < 25  # both kinds of instance were tried


def test_hints_change_how_the_lexicographic_minimum_is_found_never_which():
    """Against enumeration, as above: with every solution as a hint in turn (the minimum itself, proved at once;
    any other, kept up to where the earliest smaller solution differs), with every assignment that is not a
    solution (tried, not admitted), and with a few of each together, the minimum is the one enumeration finds."""
    import itertools

    import numpy as np

    from analysis.record.solver import Program, lexicographic_minimum

    cells = [[3 * c, 3 * c + 1, 3 * c + 2] for c in range(4)]

    def vector(t):
        z = np.zeros(12, dtype=int)
        z[[cells[c][v] for c, v in enumerate(t)]] = 1
        return z

    def values(z):
        return tuple(int(np.flatnonzero(z[cell])[0]) for cell in cells)

    kept = 0
    for A, lo, hi, solutions in _small_programs():
        if not solutions:
            continue
        program = Program(A, lo, hi)
        others = [t for t in itertools.product(range(3), repeat=4) if t not in solutions]
        hint_sets = [[vector(t)] for t in solutions] + [[vector(t)] for t in others[:20]]
        hint_sets.append([vector(t) for t in solutions[-2:] + others[:2]])
        for hints in hint_sets:
            for limit in (3, 81):
                assert values(lexicographic_minimum(program, cells, limit=limit, hints=hints)) == min(solutions)
        kept += any(t[0] == min(solutions)[0] and t != min(solutions) for t in solutions)
    assert kept  # some hint agrees with the minimum on a leading cell and not after it
