"""How fragile each decided verdict is: the fewest record rows that would have to be wrong to overturn it.

A verdict the record decides (a statement or a reading of a conclusion confirmed or contradicted,
or a cell's grade the record fixes without stating it) rests on the record's rows: stated grades,
grade counts and the review's statements (with a complete table, its cells). It is overturned
when, with some rows taken as wrong (their conditions dropped), a table satisfying the rest gives
the other answer.

How it is found, exactly: one integer program over the grade table with a 0/1 switch per record
row (1: the row is taken as wrong), the other answer required, and the number of switches
minimised to a zero gap. The minimum is the verdict's **fragility**: that many rows would have to
be wrong, and no fewer can overturn it. The same program with one switch per source (all its rows
wrong together) gives the fewest **sources** that would have to be wrong.

Several sets of that size may overturn a verdict. They are counted up to :data:`CAP` (each found
set is cut off and the program solved again), and the one named is the same on every machine: the
first in the record's order (its earliest row as early as possible, then its next, and so on).

A statement is judged without itself and its rival readings, as on the statements page.

Trend verdicts (a significant trend one way at 5% *impossible* or *forced*) are not linear in the
table, so they take another route: each row (and each source) is taken as wrong in turn and the
decision form of the exact trend search asks whether some table then gives the other answer
(:func:`analysis.stats.trend_bounds.beyond_alpha`). A row that shares no cell, directly or through
other rows, with the indicator's cells cannot change it and is skipped. One wrong row is exact;
when none would do, the table says at least 2 (larger sets are not searched).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.record.cache import cached
from analysis.record.model import D, RecordModel
from analysis.record.rows import SparseRows, row_parts
from analysis.record.solver import Program
from analysis.stats.verdicts import Question, verdict_questions

__all__ = ["fewest_wrong", "decided_questions", "fragility", "FRAGILITY_COLUMNS", "CAP"]

FRAGILITY_COLUMNS = ["verdict_id", "kind", "about", "indicator", "verdict", "rows_wrong", "row_ids", "rows",
                     "sources", "quotes", "explanations", "sources_wrong", "source_ids", "rests_on"]

#: Smallest sets counted before the count is given as a lower bound.
CAP = 5


def decided_questions(record, model: RecordModel) -> list[Question]:
    """The verdicts the record decides: statements and claim readings confirmed or contradicted, trend verdicts
    impossible or forced, then every cell the record fixes at one grade that no row states (partnerships in
    the schedule's order).

    Parameters
    ----------
    record : PublicRecord
        The public record.
    model : RecordModel
        What the verdicts are judged against.

    Returns
    -------
    list of Question
        Statements, claim readings, trend verdicts, then cells; each with its verdict (for a cell, the grade it
        is fixed at).

    Examples
    --------
    With a complete table every statement, claim reading and trend verdict (9 indicators, up and down) is
    decided, and no cell is derived:

    >>> from analysis.domain import load
    >>> record, model = load.load_record(), RecordModel.from_grades(load.example_grades())
    >>> found = decided_questions(record, model)
    >>> len(found) == len(record.statements) + len(record.claims) + 18, sorted({q.kind for q in found})
    (True, ['claim', 'statement', 'trend'])
    """
    out = verdict_questions(record, model, ("confirmed", "contradicted")) + trend_questions(model)
    if model.complete:
        return out
    stated = {g.id for g in model.active if g.kind in ("cell", "table")}
    possible = model.possible
    for a, p in enumerate(D.P):
        for b, i in enumerate(D.I):
            if possible[a, b].sum() == 1 and f"cell:{p}|{i}" not in stated:
                grade = D.G[int(np.argmax(possible[a, b]))]
                out.append(Question(f"cell:{p}|{i}", "cell", f"{p} {i} is {grade}", i, cell=(p, i), verdict=grade))
    return out


def trend_questions(model: RecordModel) -> list[Question]:
    """The trend verdicts at 5% the record decides (*impossible* or *forced*), in the trend table's order.

    Parameters
    ----------
    model : RecordModel
        What the verdicts are judged against.

    Returns
    -------
    list of Question
        Kind ``trend``, id ``trend:<indicator>|<direction>``, verdict ``impossible`` or ``forced``.

    Examples
    --------
    On the worked complete table (the values cycle with the partnership) no indicator trends
    significantly either way:

    >>> from analysis.domain import load
    >>> found = trend_questions(RecordModel.from_grades(load.example_grades()))
    >>> len(found), sorted({q.verdict for q in found})
    (18, ['impossible'])
    """
    from analysis.stats import trend_bounds as tb

    return [Question(f"trend:{r.indicator}|{r.direction}", "trend",
                     f"a significant {r.direction}ward trend in QI {r.indicator} (5% level)", str(r.indicator),
                     verdict=r.verdict)
            for r in tb.trend_bounds(model)["bounds"].itertuples() if r.verdict != "possible"]


def _touching(units: list[list], indicator: str) -> list[bool]:
    """Whether each unit can bear on ``indicator``'s grades: its rows share a cell, directly or through
    other units' rows, with the indicator's cells (a unit in another component constrains other cells only)."""
    n_cells = D.NP * D.NI
    parent = list(range(n_cells + 1))  # the cells, then one node for the indicator

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def cells(groups):
        return {int(v) // D.NG for g in groups for row in g.rows for v in row_parts(row)[0]}

    hub = n_cells
    for p in D.P:
        parent[find(D.PI[p] * D.NI + D.II[indicator])] = find(hub)
    unit_cells = [cells(groups) for groups in units]
    for cs in unit_cells:
        cs = sorted(cs)
        for c in cs[1:]:
            parent[find(c)] = find(cs[0])
    return [bool(cs) and find(min(cs)) == find(hub) for cs in unit_cells]


def _trend_fewest(model: RecordModel, q: Question, context: list, units: list[list], first_only: bool = False):
    """As :func:`fewest_wrong`, for a trend verdict: each unit taken as wrong in turn, the decision form of the
    exact search (:func:`analysis.stats.trend_bounds.beyond_alpha`) asks whether a table then gives the other
    answer. Only sets of one unit are searched: (1, the first, how many, True) when one unit overturns it;
    else (None, [], 0, True) when no table on the scale gives the other answer even with every unit dropped,
    and (None, [], 0, False) when some would: at least 2 would have to be wrong."""
    from analysis.stats import trend_bounds as tb

    direction = q.id.rsplit("|", 1)[1]
    goal = "min" if q.verdict == "impossible" else "max"
    hits = []
    for u, (groups, bears) in enumerate(zip(units, _touching(units, q.indicator))):
        if not bears:
            continue
        drop = {g.id for g in groups}
        rest = model.relaxed([g for g in context if g.id not in drop])
        model.solves += 1
        if tb.beyond_alpha(rest, q.indicator, direction, goal) is not None:
            hits.append(u)
            if first_only:
                break
    if hits:
        return 1, hits[:1], len(hits), True
    # none alone: with every unit dropped, does any table on the scale give the other answer at all?
    model.solves += 1
    nothing = model.relaxed([g for g in context if not any(g in groups for groups in units)])
    return None, [], 0, tb.beyond_alpha(nothing, q.indicator, direction, goal) is None


def _overturn(q: Question) -> tuple:
    """The alternatives under which ``q``'s verdict is overturned."""
    if q.kind == "cell":
        p, i = q.cell
        v = (D.PI[p] * D.NI + D.II[i]) * D.NG + D.GI[q.verdict]
        return (((np.array([v]), 0, 0),),)
    return q.fails if q.verdict == "confirmed" else q.holds


class _SwitchProgram:
    """The grade table, the verdict's other answer, one switch z per unit (a set of groups), and one marker y
    per unit (y <= z; used to find the earliest unit a solution can switch)."""

    def __init__(self, model: RecordModel, q: Question, units: list[list]):
        n = D.NVAR
        alts = _overturn(q)
        ns = len(alts) if len(alts) > 1 else 0
        self.nu = len(units)
        self.z0, self.y0 = n + ns, n + ns + self.nu
        self.n_vars = n + ns + 2 * self.nu
        rows = SparseRows()
        rows.alternatives(alts, 0, list(range(n, n + ns)))
        for u, groups in enumerate(units):
            for g in groups:
                for row in g.rows:
                    rows.switched(row, 0, self.z0 + u, on=False)
            rows.add([self.y0 + u, self.z0 + u], [1, -1], -np.inf, 0)
        extra, lo, hi = rows.matrix(self.n_vars)
        one_grade = sparse.hstack([D.BASE, sparse.csr_array((D.BASE.shape[0], self.n_vars - n))], format="csr")
        self.program = Program(sparse.vstack([one_grade, extra], format="csr"),
                               np.concatenate([np.ones(D.BASE.shape[0]), lo]),
                               np.concatenate([np.ones(D.BASE.shape[0]), hi]))
        # one marker on (for earliest), off until asked; each cut a row of its own, on while it is asked for
        self._earliest_row = self.program.add_row(np.arange(self.nu) + self.y0, np.ones(self.nu), -np.inf, np.inf)
        # at least this many on (a bound known from an earlier solve, which the solver would otherwise prove again)
        self._least_row = self.program.add_row(np.arange(self.nu) + self.z0, np.ones(self.nu), -np.inf, np.inf)
        self._cut_rows: dict[frozenset, int] = {}
        self.model = model

    def solve(self, cuts=(), on=(), off=(), earliest=False, at_least=0):
        """The switches (a 0/1 array, one per unit) of a solution with the fewest on, or None if there is
        none: none of the sets in ``cuts`` all on, the units ``on`` on and ``off`` off; with ``earliest``,
        among the fewest, one whose earliest other unit on is as early as can be (and that unit). ``at_least``
        is a number of units known to be needed (it only spares the solver proving it).
        (An objective, not a size constraint: the solver proves an optimum much faster than it finds a
        solution of a given size.)"""
        z0, y0, nu = self.z0, self.y0, self.nu
        wanted = {frozenset(c) for c in cuts}
        for cut in wanted - set(self._cut_rows):
            self._cut_rows[cut] = self.program.add_row(np.array(sorted(cut)) + z0, np.ones(len(cut)), -np.inf,
                                                       np.inf)
        for cut, row in self._cut_rows.items():
            self.program.set_row_bounds(row, -np.inf, len(cut) - 1 if cut in wanted else np.inf)
        self.program.set_row_bounds(self._earliest_row, 1 if earliest else -np.inf, 1 if earliest else np.inf)
        self.program.set_row_bounds(self._least_row, at_least, np.inf)
        lower, upper = np.zeros(self.n_vars), np.ones(self.n_vars)
        upper[y0:] = 0
        lower[[z0 + u for u in on]] = 1
        upper[[z0 + u for u in off]] = 0
        c = np.zeros(self.n_vars)
        c[z0:y0] = nu + 1  # the number on first: any choice of the earliest weighs less than one more unit
        if earliest:
            upper[y0:] = 1
            upper[[y0 + u for u in list(on) + list(off)]] = 0
            c[y0:] = np.arange(nu)
        self.model.solves += 1
        x = self.program.solve(c, lower, upper)
        if x is None:
            return None
        return (x[z0:y0], int(np.flatnonzero(x[y0:])[0])) if earliest else x[z0:y0]

    def first_smallest(self, k: int) -> list[int]:
        """The first set of ``k`` units (the fewest), in the units' order, whose switching overturns the
        verdict: its earliest unit as early as any such set's, then its next, and so on (a solve per unit)."""
        first: list[int] = []
        while len(first) < k:
            last = first[-1] if first else -1
            off = [u for u in range(last + 1) if u not in first]
            _, u = self.solve(on=first, off=off, earliest=True)
            first.append(u)
        return first


def fewest_wrong(model: RecordModel, q: Question, units: list[list], cap: int = CAP):
    """The fewest of ``units`` (each a list of groups) that would have to be wrong to overturn ``q``.

    Parameters
    ----------
    model : RecordModel
        The record's model.
    q : Question
        A decided verdict (:func:`decided_questions`).
    units : list of list of Group
        The record's rows (or sources), each a list of the groups wrong together; groups in force not
        listed always hold.
    cap : int, optional
        Smallest sets counted before the count is a lower bound (0: not counted).

    Returns
    -------
    tuple
        (size, the first smallest set in the order of ``units`` as positions, how many smallest sets were
        found (at most ``cap`` + 1), True when that is all of them); size None when no choice of units
        overturns it.

    Examples
    --------
    Two rows each say Edinburgh is Good on 1.1; a third that Orkney is Excellent on 2.1. The first
    two would both have to be wrong for Edinburgh to be anything else:

    >>> from analysis.record.model import cell_group
    >>> rows = [cell_group("Edinburgh", "1.1", "Good"), cell_group("Edinburgh", "1.1", "Good", kind="table"),
    ...         cell_group("Orkney", "2.1", "Excellent")]
    >>> model = RecordModel(rows, "example")
    >>> q = Question("cell:Edinburgh|1.1", "cell", "", "1.1", cell=("Edinburgh", "1.1"), verdict="Good")
    >>> fewest_wrong(model, q, [[g] for g in rows])
    (2, [0, 1], 1, True)
    """
    program = _SwitchProgram(model, q, units)
    z = program.solve()
    if z is None:
        return None, [], 0, True
    k = int(z.sum())
    found = [frozenset(np.flatnonzero(z).tolist())]
    while len(found) <= cap:
        z = program.solve(cuts=found, at_least=k)  # cuts only remove solutions: never fewer than k
        if z is None or z.sum() > k:
            break
        found.append(frozenset(np.flatnonzero(z).tolist()))
    exact = len(found) <= cap
    return k, program.first_smallest(k), len(found), exact


def _explanations(n: int, exact: bool) -> str:
    if n == 1 and exact:
        return "the only smallest set"
    return f"one of {n} smallest sets" if exact else f"one of at least {n} smallest sets"


@cached
def fragility(record, model: RecordModel | None = None) -> pd.DataFrame:
    """For every decided verdict, the fewest record rows and sources that would have to be wrong to overturn it.

    Parameters
    ----------
    record : PublicRecord
        The public record (its statements, claims and sources).
    model : RecordModel, optional
        Its model (default ``RecordModel.from_record(record)``); with a complete table, its cells are
        the rows.

    Returns
    -------
    pandas.DataFrame
        One row per decided verdict (:func:`decided_questions`); columns :data:`FRAGILITY_COLUMNS`:
        rows_wrong (the fewest rows; empty when no rows can overturn it), the first such set (row_ids,
        rows, sources, quotes, each joined by '; '), explanations (whether it is the only smallest
        set), sources_wrong and source_ids (the same for whole sources) and rests_on (in words).

    Examples
    --------
    The worked complete table (:func:`analysis.domain.load.example_grades`): the review's "30 of 32
    Good or better on 2.1" is contradicted there (the table gives 15), and at least 15 of its cells
    would have to be wrong for it to hold:

    >>> from analysis.domain import load
    >>> out = fragility(load.load_record(), RecordModel.from_grades(load.example_grades()))
    >>> row = out.set_index("verdict_id").loc["statement:rv-2.1-gob"]
    >>> row["verdict"], int(row["rows_wrong"])
    ('contradicted', 15)
    """
    model = model or RecordModel.from_record(record)
    titles = dict(zip(record.sources["source_id"], record.sources["title"]))
    out = []
    for q in decided_questions(record, model):
        context = [g for g in model.active if g.id not in set(q.exclude)]
        sources = list(dict.fromkeys(g.source_id for g in context))
        by_source = [[g for g in context if g.source_id == s] for s in sources]
        if q.kind == "trend":
            k, first, n, exact = _trend_fewest(model, q, context, [[g] for g in context])
            ks, first_s, _, _ = _trend_fewest(model, q, context, by_source, first_only=True)
        else:
            k, first, n, exact = fewest_wrong(model, q, [[g] for g in context])
            ks, first_s, _, _ = fewest_wrong(model, q, by_source, cap=0)
        chosen = [context[u] for u in first]
        row = {"verdict_id": q.id, "kind": q.kind, "about": q.label, "indicator": q.indicator, "verdict": q.verdict,
               "rows_wrong": k, "row_ids": "; ".join(g.id for g in chosen),
               "rows": "; ".join(g.label for g in chosen),
               "sources": "; ".join(dict.fromkeys(g.source_id for g in chosen if g.source_id)),
               "quotes": "; ".join(dict.fromkeys(g.quote for g in chosen if g.quote)),
               "explanations": _explanations(n, exact) if k else "",
               "sources_wrong": ks, "source_ids": "; ".join(sources[u] or "(no source)" for u in first_s)}
        if k is None and q.kind == "trend" and not exact:
            row["rests_on"] = (f"a single source: {titles.get(sources[first_s[0]], sources[first_s[0]])} (no "
                               "single row)" if ks == 1 else "at least 2 rows: no single wrong row or source would "
                               "overturn it (larger sets are not searched)")
        elif k is None:
            row["rests_on"] = "no record row: no table on the scale gives the other answer"
        elif k == 1:
            g = chosen[0]
            row["rests_on"] = f"a single row: {g.label} ({titles.get(g.source_id, g.source_id)})"
        elif ks == 1:
            s = sources[first_s[0]]
            row["rests_on"] = f"a single source: {titles.get(s, s)}"
        else:
            row["rests_on"] = f"{k} rows from {ks} sources"
        out.append(row)
    frame = pd.DataFrame(out, columns=FRAGILITY_COLUMNS)
    for col in ("rows_wrong", "sources_wrong"):
        frame[col] = frame[col].astype("Int64")
    return frame
