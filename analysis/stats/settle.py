"""What would settle it: for each open verdict, the inspection reports that would decide it.

The natural unit of new evidence is one partnership's inspection report, whose appendix gives its
grades. A verdict the record leaves open (a statement or a reading of a conclusion that is
*possible*, or a cell whose grade is not fixed) is **settled by** a set S of reports when the
record plus those reports leave one answer, whatever the reports say: there is no pair of tables,
both consistent with the record, that agree on every grade of the partnerships in S but differ on
the verdict. That is an integer program over two copies of the grade table, linked on the rows of
S; no solution means S settles the verdict. "Settles" says nothing about which answer.

How it is decided, exactly:

- **One report.** One program per verdict finds a pair of tables that differ on the verdict and
  agree on as many partnerships' rows as possible (one 0/1 variable per partnership, 1 only when
  the two rows agree); each partnership that agrees cannot settle it. The program is solved again
  for the partnerships not yet covered until its maximum is 0: each remaining one settles it.
  A pair found for one cell answers every other cell on which it differs (a pool of pairs).
- **The smallest set** of reports, for a statement no single report settles (for a reading of a
  conclusion, which compares means or shares, the search is too slow to publish: "at least 2"): every
  pair that differs on the verdict and on the rows D of some partnerships shows that a settling set
  must include one of D. The smallest set that includes one of every D found so far (a small
  integer program) is tried; if a pair still agrees on all of it, its D is added and the set found
  again; when none does, the set settles and it is the smallest (implicit hitting sets). Among
  sets of that size the one returned is the same on every machine: the one whose latest
  partnership in the schedule's order is earliest (then the next latest, and so on).

- **Trend verdicts** (a significant trend one way at 5%, found *possible* by
  :func:`analysis.stats.trend_bounds.trend_bounds`). Significance is not a linear condition on the
  table, so the pair searched for is of a narrower form: one table with the indicator's grades of
  the p_min witness (significant, by construction), the other with no trend that way or the grades
  of the p_max witness (not significant). Every pair found is a true witness that the partnerships
  on whose rows it agrees do not settle the verdict, so "no one report settles it" is exact. A
  partnership no such pair covers is reported *undecided* (the narrower form cannot prove that a
  report settles it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.domain import areas
from analysis.errors import ReviewError
from analysis.record.cache import cached
from analysis.record.model import D, RecordModel, var
from analysis.record.rows import SparseRows, row_parts
from analysis.record.solver import Program, lexicographic_minimum
from analysis.stats.verdicts import Question, verdict_questions

__all__ = ["Question", "open_questions", "trend_questions", "settled_by", "witness_pair", "settle_witnesses",
           "smallest_settling_set", "what_would_settle", "SETTLE_COLUMNS", "READING_COLUMNS", "HEADLINE_COLUMNS",
           "WITNESS_COLUMNS", "WITNESS_TABLE_COLUMNS"]

SETTLE_COLUMNS = ["verdict_id", "kind", "about", "indicator", "reports", "n_reports", "method"]
READING_COLUMNS = ["partnership", "period_group", "verdicts_settled", "in_smallest_sets", "cells_fixed", "verdict_ids"]
HEADLINE_COLUMNS = ["reports", "n_settled", "n_open"]

#: The method of a trend verdict's row for a partnership no witness pair of the narrower form covers.
TREND_UNDECIDED = "undecided (no witness pair of the form searched; the exact test is not run)"

#: Rounds of the smallest-set search before it reports a lower bound instead.
MAX_ROUNDS = 100

#: The relative gap at which a search for a pair agreeing on many rows stops (any pair found is checked by
#: its tables; the gap only saves the solver proving it could not agree on more).
COVER_GAP = 0.5


def open_questions(record, model: RecordModel) -> list[Question]:
    """The verdicts the record leaves open: statements and claim readings found *possible*, and open cells.

    Parameters
    ----------
    record : PublicRecord
        The public record (its statements and claims).
    model : RecordModel
        What they are judged against.

    Returns
    -------
    list of Question
        Statements first (in the record's order), then claim readings, then open cells
        (partnerships in the schedule's order, indicators in order). Empty with a complete table.

    Examples
    --------
    >>> from analysis.domain import load
    >>> open_questions(load.load_record(), RecordModel.from_grades(load.example_grades()))
    []
    """
    out = verdict_questions(record, model)
    if not model.complete:
        n_possible = model.possible.sum(axis=2)
        for a, p in enumerate(D.P):
            for b, i in enumerate(D.I):
                if n_possible[a, b] > 1:
                    out.append(Question(f"cell:{p}|{i}", "cell", f"{p} {i}", i, cell=(p, i), verdict="open"))
    return out


def trend_questions(model: RecordModel) -> list[Question]:
    """The trend verdicts the record leaves open, each as a pair condition of the narrower form (see above).

    Parameters
    ----------
    model : RecordModel
        What the verdicts are judged against.

    Returns
    -------
    list of Question
        One per indicator and direction whose verdict at 5% is *possible*, in the trend table's order; ``holds``
        fixes the indicator's grades to the p_min witness's, ``fails`` is no trend that way or the p_max
        witness's grades. Empty with a complete table.

    Examples
    --------
    >>> from analysis.domain import load
    >>> trend_questions(RecordModel.from_grades(load.example_grades()))
    []
    """
    from analysis.domain import scale
    from analysis.stats import trend_bounds as tb

    found = tb.trend_bounds(model)
    w = found["witnesses"].astype({"indicator": str})
    grade_of = {a: g for g, a in scale.ABBREVIATIONS_OF.items()}
    out = []
    for r in found["bounds"].itertuples():
        if r.verdict != "possible":
            continue
        ind = str(r.indicator)

        def grades(bound, ind=ind, r=r):
            row = w[(w["indicator"] == ind) & (w["bound"] == bound) & (w["direction"] == r.direction)].iloc[0]
            return tuple((np.array([var(p, ind, grade_of[row[p]])]), 1, 1) for p in D.P)

        out.append(Question(f"trend:{ind}|{r.direction}", "trend",
                            f"a significant {r.direction}ward trend in QI {ind} (5% level)", ind,
                            holds=(grades("p_min"),), fails=((tb.no_trend_row(ind, r.direction),), grades("p_max")),
                            verdict="possible"))
    return out


# -- the two-copy program ----------------------------------------------------------------------------------
def _row_vars(partnership: str) -> np.ndarray:
    a = D.PI[partnership]
    return np.arange(a * D.NI * D.NG, (a + 1) * D.NI * D.NG)


class _PairProgram:
    """Two copies of the grade table for one question: x satisfies the context and the verdict one way, y
    the context and the verdict the other way (or, for a cell, another grade)."""

    def __init__(self, model: RecordModel, question: Question):
        self.model, self.q = model, question
        self.context = context = [g for g in model.active if g.id not in set(question.exclude)]
        A, lo, hi = model.constraints(groups=context)
        pair = sparse.block_diag([A, A], format="csr")
        n = D.NVAR
        self.nh = len(question.holds) if len(question.holds) > 1 else 0
        self.nf = len(question.fails) if len(question.fails) > 1 else 0
        self.n_fixed = 2 * n + self.nh + self.nf
        # a grade no table of the context admits is 0 in both copies, and a cell the context leaves one grade
        # agrees in every pair (for a statement, the context is the record without it: its own possible grades)
        self.upper = np.ones(2 * n)
        if not model.complete:
            grid = model.without(question.exclude).possible
            possible = grid.reshape(-1)
            self.upper[:n][~possible] = 0
            self.upper[n:][~possible] = 0
            self.open_vars = {p: _row_vars(p)[possible[_row_vars(p)] & np.repeat(grid.sum(axis=2)[D.PI[p]] > 1, D.NG)]
                              for p in D.P}
        else:
            self.open_vars = {p: _row_vars(p) for p in D.P}
        static = SparseRows()
        if question.cell is not None:
            p, i = question.cell
            for g in D.G:
                v = (D.PI[p] * D.NI + D.II[i]) * D.NG + D.GI[g]
                static.add([v, n + v], [1, 1], -np.inf, 1)  # not the same grade in both
        else:
            static.alternatives(question.holds, 0, list(range(2 * n, 2 * n + self.nh)))
            static.alternatives(question.fails, n, list(range(2 * n + self.nh, self.n_fixed)))
        # one agreement variable per partnership (after the selectors): a_p = 1 only when the rows agree,
        # x_v - y_v + a_p <= 1 on each open variable of the row (each cell has one grade in each copy, so
        # x <= y on a row means x = y there). A report linked has a_p = 1; one to cover, a_p free with
        # objective -1; any other, a_p = 0. The matrix is the same for every solve of the question.
        self.n_vars = self.n_fixed + D.NP
        for p in D.P:
            v = np.asarray(self.open_vars[p], dtype=int)
            static.add_rows(np.column_stack([v, n + v, np.full(len(v), self.n_fixed + D.PI[p])]), [1, -1, 1],
                            -np.inf, 1)
        extra, e_lo, e_hi = static.matrix(self.n_vars)
        base = sparse.hstack([pair, sparse.csr_array((pair.shape[0], self.n_vars - 2 * n))], format="csr")
        self.program = Program(sparse.vstack([base, extra], format="csr"), np.concatenate([lo, lo, e_lo]),
                               np.concatenate([hi, hi, e_hi]))
        # "the pair agrees on at least one row of the cover": off (no bounds) until a solve asks for it
        self._cover_row = self.program.add_row([], [], -np.inf, np.inf)
        self._cover_on: list[int] = []

    def solve(self, cover=(), linked=(), some=False):
        """A pair linked on the rows of ``linked`` that agrees on many rows of ``cover``: (x, y, the
        partnerships of ``cover`` on whose rows the two tables agree), or None when there is none. With
        ``some``, only pairs agreeing on at least one row of ``cover`` count (None: no pair agrees on any).

        The solver maximises the rows agreed on to within :data:`COVER_GAP` of the most: every caller needs
        a pair and the rows it agrees on (read from the tables), not the largest such set, so every answer
        built on these pairs is the same whichever pair the solver finds."""
        n = D.NVAR
        lower, upper = np.zeros(self.n_vars), np.concatenate([self.upper, np.ones(self.n_fixed - 2 * n),
                                                              np.zeros(D.NP)])
        c = np.zeros(self.n_vars)
        cols = [self.n_fixed + D.PI[p] for p in cover]
        upper[cols] = 1
        c[cols] = -1
        for p in linked:
            lower[self.n_fixed + D.PI[p]] = upper[self.n_fixed + D.PI[p]] = 1
        self._cover(cols if some else [])
        self.model.solves += 1
        z = self.program.solve(c, lower, upper, gap=COVER_GAP if cover else 0.0)
        if z is None:
            return None
        x, y = z[:n], z[n:2 * n]
        return x, y, [p for p in cover if not _differs(x, y, p)]

    def canonical(self, linked, limit: int = 6**18, hints=()):
        """The canonical pair linked on the rows of ``linked`` (None when there is none): the first table
        lexicographically smallest (partnerships in the schedule's order, indicators in order, the worst
        grade first), then the second given the first (its linked rows are the first's), each found and
        proved smallest by :func:`analysis.record.solver.lexicographic_minimum`, so every machine finds the
        same pair. ``limit`` bounds the place values of one block of that search; ``hints`` are tables (0/1
        vectors) that may be in the pair: those that satisfy the rows of the first table (or of the second,
        with the first's linked rows) are tried there first; they change how the pair is found, never which."""
        n = D.NVAR
        lower = np.zeros(self.n_vars)
        upper = np.concatenate([self.upper, np.ones(self.n_fixed - 2 * n), np.zeros(D.NP)])
        for p in linked:
            lower[self.n_fixed + D.PI[p]] = upper[self.n_fixed + D.PI[p]] = 1
        tied = {D.PI[p] for p in linked}
        first = [np.arange(a * D.NG, (a + 1) * D.NG) for a in range(D.NP * D.NI)]
        second = [n + cell for a, cell in enumerate(first) if a // D.NI not in tied]
        self._cover([])
        # hints: tables that satisfy the rows of the first table (then of the second)
        if hints:
            ok = _satisfied_by(self.model, self.context)
            hints = [t for t in hints if ok(t)]
        pad = np.zeros(self.n_vars - 2 * n)
        guesses = [np.concatenate([t, t, pad]) for t in hints if self.q.cell is not None or _holds(self.q.holds, t)]
        z = lexicographic_minimum(self.program, first, lower, upper, limit, hints=guesses)
        if z is not None:  # the first table fixed; the second found given it
            lower[:n] = upper[:n] = z[:n]
            linked_vars = np.concatenate([_row_vars(p) for p in linked]) if linked else np.array([], dtype=int)
            guesses = [np.concatenate([z[:n], t, pad]) for t in hints if (t[linked_vars] == z[linked_vars]).all()
                       and (self.q.cell is not None or _holds(self.q.fails, t))]
            z = lexicographic_minimum(self.program, second, lower, upper, limit, hints=guesses, solution=z)
        self.model.solves += 1
        return None if z is None else (z[:n], z[n:2 * n])

    def _cover(self, want) -> None:
        """Switch the cover row to "agree on at least one row of ``want``" (off when ``want`` is empty)."""
        if want != self._cover_on:
            self.program.set_row(self._cover_row, self._cover_on + want,
                                 [0.0] * len(self._cover_on) + [1.0] * len(want))
            self._cover_on = want
            self.program.set_row_bounds(self._cover_row, 1 if want else -np.inf, np.inf)


def _differs(x, y, partnership: str) -> bool:
    v = _row_vars(partnership)
    return bool((x[v] != y[v]).any())


def settled_by(model: RecordModel, question: Question, candidates, pool=None) -> list[str]:
    """The partnerships among ``candidates`` whose report alone settles ``question``, whatever it says.

    Parameters
    ----------
    model : RecordModel
        The record's model.
    question : Question
        An open verdict (:func:`open_questions`).
    candidates : sequence of str
        Partnerships to consider (for a cell, its own partnership settles it and is left out).
    pool : list, optional
        Pairs of tables found so far for other cells (each ``(x, y)``), reused and extended.

    Returns
    -------
    list of str
        The settling partnerships, in the order of ``candidates``.

    Raises
    ------
    ReviewError
        If the question is not open (no pair of consistent tables differs on it).

    Examples
    --------
    The first two partnerships are Weak or Excellent on 1.1, with one Excellent between them: the
    second's report settles the first's cell, and no third report does.

    >>> import numpy as np
    >>> from analysis.record.model import Group, var
    >>> P = D.P
    >>> rows = [(np.array([var(p, "1.1", "Weak"), var(p, "1.1", "Excellent")]), 1, 1) for p in P[:2]]
    >>> rows.append((np.array([var(p, "1.1", "Excellent") for p in P[:2]]), 1, 1))
    >>> model = RecordModel([Group("count:x", "count", "one Excellent", rows=tuple(rows))], "example")
    >>> q = Question(f"cell:{P[0]}|1.1", "cell", "", "1.1", cell=(P[0], "1.1"))
    >>> settled_by(model, q, P[:4]) == [P[1]]
    True
    """
    program = _PairProgram(model, question)
    cover = [p for p in candidates if question.cell is None or p != question.cell[0]]
    if question.cell is not None and pool:
        p, i = question.cell
        v = slice((D.PI[p] * D.NI + D.II[i]) * D.NG, (D.PI[p] * D.NI + D.II[i] + 1) * D.NG)
        for x, y in pool:
            if (x[v] != y[v]).any():
                cover = [r for r in cover if _differs(x, y, r)]
    first = True
    while cover:
        found = program.solve(cover, some=True)
        if found is None:
            if first and program.solve() is None:
                raise ReviewError(f"{question.id} is not open: no two consistent tables differ on it")
            break
        first = False
        x, y, agree = found
        if not agree:
            raise RuntimeError(f"{question.id}: the solver's pair agrees on no row it was asked to")
        if pool is not None and question.cell is not None:
            pool.append((x, y))
        cover = [p for p in cover if p not in agree]
    return cover


def witness_pair(model: RecordModel, question: Question, reports) -> tuple | None:
    """Two tables, both consistent with the record, that agree on the rows of ``reports`` and differ on
    ``question``: the canonical pair (the same on every machine), or None when the reports settle it.

    Parameters
    ----------
    model : RecordModel
        The record's model.
    question : Question
        An open verdict (:func:`open_questions`, :func:`trend_questions`).
    reports : sequence of str
        The partnerships whose reports are read.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame) or None
        The two tables (columns partnership, indicator, grade): in the first the verdict holds (for a cell,
        it has the lexicographically first grade), in the second it fails (another grade). None when no such
        pair exists: the reports settle the verdict.

    Examples
    --------
    The first two partnerships are Weak or Excellent on 1.1, with one Excellent between them: the second's
    report settles the first's cell, and a third's does not (its pair: the first Weak, then Excellent).

    >>> from analysis.record.model import Group, var
    >>> P = D.P
    >>> rows = [(np.array([var(p, "1.1", "Weak"), var(p, "1.1", "Excellent")]), 1, 1) for p in P[:2]]
    >>> rows.append((np.array([var(p, "1.1", "Excellent") for p in P[:2]]), 1, 1))
    >>> model = RecordModel([Group("count:x", "count", "one Excellent", rows=tuple(rows))], "example")
    >>> q = Question(f"cell:{P[0]}|1.1", "cell", "", "1.1", cell=(P[0], "1.1"))
    >>> witness_pair(model, q, [P[1]]) is None
    True
    >>> a, b = witness_pair(model, q, [P[2]])
    >>> [t.set_index(["partnership", "indicator"]).loc[(P[0], "1.1"), "grade"] for t in (a, b)]
    ['Weak', 'Excellent']
    """
    found = _PairProgram(model, question).canonical(list(reports))
    if found is None:
        return None
    return tuple(model.table(x) for x in found)


def _first_linkable(program: _PairProgram, rest: list[str]) -> list[str]:
    """The longest prefix of ``rest`` on whose rows some pair agrees (empty when none does). Linking more rows
    only removes pairs, so the prefixes that can be linked are those up to some length: found by bisection."""
    if program.solve((), linked=rest) is not None:
        return list(rest)
    lo, hi = 0, len(rest) - 1  # rest[:lo] can be linked (the empty prefix trivially), rest[:hi + 1] cannot
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if program.solve((), linked=rest[:mid]) is not None:
            lo = mid
        else:
            hi = mid - 1
    return list(rest[:lo])


WITNESS_COLUMNS = ["verdict_id", "kind", "witness_id", "holds_in", "reports"]
WITNESS_TABLE_COLUMNS = ["witness_id", "table", "indicator"]


@cached
def settle_witnesses(record, model: RecordModel | None = None) -> dict:
    """For every open statement, conclusion reading and trend verdict, pairs of tables showing which reports
    do not settle it: both consistent with the record, the same on those reports' rows, differing on it.

    The partnerships whose report alone does not settle the verdict are taken in the schedule's order:
    the longest run of them from the first on whose rows some pair agrees (found by bisection, one
    feasibility program a step) is linked, the canonical pair linked on it is the witness
    (:func:`witness_pair`) for every one of them on whose row its two tables agree, and the rest are
    taken again until none is left. Every set and pair depends only on the record, so every machine
    publishes the same witnesses.

    Parameters
    ----------
    record : PublicRecord
        The public record.
    model : RecordModel, optional
        Its model (default ``RecordModel.from_record(record)``).

    Returns
    -------
    dict of pandas.DataFrame
        ``uses`` (:data:`WITNESS_COLUMNS`): one row per verdict and witness pair, ``holds_in`` the table of
        the pair in which the verdict holds (``a`` or ``b``; for a trend, the significant one), ``reports``
        the partnerships, joined by '|', whose report alone the pair shows does not settle it. ``tables``
        (:data:`WITNESS_TABLE_COLUMNS`, then one column per partnership, grades abbreviated E, VG, G, A, W,
        U): each pair once, its tables ``a`` and ``b`` of one row per indicator (``a`` is where the verdict
        it was found for holds). Both empty with a complete table.

    Examples
    --------
    >>> from analysis.domain import load
    >>> found = settle_witnesses(load.load_record(), RecordModel.from_grades(load.example_grades()))
    >>> len(found["uses"]), len(found["tables"])
    (0, 0)
    """
    from analysis.domain import scale

    model = model or RecordModel.from_record(record)
    table_columns = WITNESS_TABLE_COLUMNS + list(D.P)
    if model.complete:
        return {"uses": pd.DataFrame(columns=WITNESS_COLUMNS), "tables": pd.DataFrame(columns=table_columns)}
    found = what_would_settle(record, model)["settles"]
    singles = found[found["method"] == "one report"].groupby("verdict_id")["reports"].agg(set).to_dict()
    n_possible = model.possible.sum(axis=2)
    candidates = [p for p in D.P if (n_possible[D.PI[p]] > 1).any()]
    questions = [q for q in open_questions(record, model) if q.kind != "cell"] + trend_questions(model)
    abbrev = scale.ABBREVIATIONS_OF
    pool: list[tuple[str, np.ndarray, np.ndarray, set]] = []  # (id, a, b, partnerships on whose rows they agree)
    uses, tables = [], []

    written: set[str] = set()

    def add(wid, q, a, b, holds_in, reports):
        uses.append({"verdict_id": q.id, "kind": q.kind, "witness_id": wid, "holds_in": holds_in,
                     "reports": "|".join(reports)})
        if wid in written:
            return
        written.add(wid)
        for side, z in zip("ab", (a, b)):
            cells = z.reshape(D.NP, D.NI, D.NG).argmax(axis=2)
            for k, i in enumerate(D.I):
                tables.append({"witness_id": wid, "table": side, "indicator": i}
                              | {p: abbrev[D.G[cells[a_, k]]] for a_, p in enumerate(D.P)})

    for q in questions:
        context = [g for g in model.active if g.id not in set(q.exclude)]
        rest = [p for p in (list(D.P) if q.exclude else candidates) if p not in singles.get(q.id, set())]
        # a pair found for another verdict answers this one too if it is consistent here and differs on it
        satisfies = _satisfied_by(model, context)
        for wid, a, b, agree in pool:
            covered = [p for p in rest if p in agree]
            if not covered or not (satisfies(a) and satisfies(b)):
                continue
            side_a, side_b = _side(q, a), _side(q, b)
            if side_a is None or side_b is None or side_a == side_b:
                continue
            add(wid, q, a, b, "a" if side_a else "b", covered)
            rest = [p for p in rest if p not in covered]
        program = _PairProgram(model, q) if rest else None
        while rest:
            linked = _first_linkable(program, rest)
            if not linked:
                break  # no pair agrees on any of them: each is undecided (a trend's narrower form) or settles
            pair = program.canonical(linked, hints=[z for _, a, b, _ in reversed(pool) for z in (a, b)])
            if pair is None:
                raise RuntimeError(f"{q.id}: the solver found a pair linked on {linked} and then none")
            a, b = pair
            wid = f"w{len(pool) + 1}"
            pool.append((wid, a, b, {p for p in D.P if not _differs(a, b, p)}))
            covered = [p for p in rest if p in pool[-1][3]]
            add(wid, q, a, b, "a", covered)
            rest = [p for p in rest if p not in covered]
    return {"uses": pd.DataFrame(uses, columns=WITNESS_COLUMNS), "tables": pd.DataFrame(tables, columns=table_columns)}


def _satisfied_by(model: RecordModel, groups):
    """A test of whether a table (a 0/1 vector) satisfies every row of ``groups``: their matrix built once."""
    A, lo, hi = model.constraints(groups=groups)

    def satisfies(z: np.ndarray) -> bool:
        value = A @ z
        return bool(((lo - 1e-9 <= value) & (value <= hi + 1e-9)).all())

    return satisfies


def _row_holds(z: np.ndarray, row) -> bool:
    idx, coef, lo, hi = row_parts(row)
    value = float(coef @ z[idx])
    return lo - 1e-9 <= value <= hi + 1e-9


def _holds(alternatives, z: np.ndarray) -> bool:
    """Whether the table ``z`` satisfies every row of one of ``alternatives``."""
    return any(all(_row_holds(z, r) for r in alt) for alt in alternatives)


def _side(q: Question, z: np.ndarray) -> bool | None:
    """True when ``q``'s verdict holds in the table ``z`` (for a trend: significant that way at 5%, by the exact
    test), False when it fails, None when neither alternative holds (a narrower form's gap)."""
    if q.kind == "trend":
        from analysis.record.model import grade_values
        from analysis.stats import trend_bounds as tb
        from analysis.stats.exact import distribution

        u, col = tb.group_scores(), grade_values(z, q.indicator)
        dist = distribution(u, col)
        t = int(u @ col)
        sign = 1 if q.id.endswith("|" + tb.DIRECTIONS[0]) else -1
        trending = (dist.n * t - dist.sum_u * dist.sum_v) * sign > 0
        return bool(trending and dist.tail(t)[0] <= tb._alpha_limit(dist.total, tb.ALPHA))
    holds, fails = _holds(q.holds, z), _holds(q.fails, z)
    return True if holds and not fails else False if fails and not holds else None


def _hitting_set(sets, candidates) -> list[str]:
    """The smallest set of candidates meeting every set in ``sets``; among those, the one whose latest
    member in the candidates' order is earliest (then the next latest ...): weights 2^position."""
    k = len(candidates)
    weight = np.array([2.0 ** j for j in range(k)])
    c = weight + 2.0 ** (k + 1)  # the size first (a set of any size weighs less than one more member)
    pos = {p: j for j, p in enumerate(candidates)}
    A = np.zeros((len(sets), k))
    for r, s in enumerate(sets):
        A[r, [pos[p] for p in s]] = 1
    res = milp(c, integrality=np.ones(k), bounds=Bounds(0, 1), constraints=LinearConstraint(A, 1, np.inf),
               options={"mip_rel_gap": 0})
    return [p for p, z in zip(candidates, np.rint(res.x)) if z]


def smallest_settling_set(model: RecordModel, question: Question, candidates,
                          max_rounds: int = MAX_ROUNDS) -> tuple[list[str], bool]:
    """The smallest set of reports that settles ``question`` (see the module description).

    Parameters
    ----------
    model : RecordModel
        The record's model.
    question : Question
        An open verdict.
    candidates : sequence of str
        The partnerships whose reports may be read, in the schedule's order.
    max_rounds : int, optional
        Rounds before stopping with a lower bound.

    Returns
    -------
    (list of str, bool)
        The set, and True when it is proven the smallest (else it is the last set tried, whose size
        is a lower bound, and it does not settle the question).

    Examples
    --------
    The first three partnerships' 1.1 hold exactly 1 Excellent: "the first is Excellent" is settled by
    the reports of the other two together, and by no one of them.

    >>> import numpy as np
    >>> from analysis.record.model import Group, var
    >>> P = D.P
    >>> cells = [var(p, "1.1", "Excellent") for p in P[:3]]
    >>> model = RecordModel([Group("count:x", "count", "", rows=((np.array(cells), 1, 1),))], "example")
    >>> q = Question("claim:x", "claim", "", "1.1", holds=(((np.array(cells[:1]), 1, 1),),),
    ...              fails=(((np.array(cells[:1]), 0, 0),),))
    >>> found, exact = smallest_settling_set(model, q, P[1:5])
    >>> found == list(P[1:3]), exact
    (True, True)
    """
    chosen, exact, _ = _search(_PairProgram(model, question), list(candidates), max_rounds)
    return chosen, exact


def _search(program: _PairProgram, candidates: list[str], max_rounds: int):
    """The implicit-hitting-set search: (set, proven smallest, the sets D of rows found to differ)."""
    sets: list[set] = []
    chosen: list[str] = []
    for _ in range(max_rounds):
        chosen = _hitting_set(sets, candidates) if sets else []
        rest = [p for p in candidates if p not in chosen]
        found = program.solve(rest, linked=chosen)
        if found is None:
            if not chosen:
                raise ReviewError(f"{program.q.id} is not open: no two consistent tables differ on it")
            return chosen, True, sets
        x, y, _ = found
        differ = {p for p in rest if _differs(x, y, p)}
        if not differ:  # the pair agrees on every candidate's row: no set of these reports settles it
            return list(candidates), False, sets
        sets.append(differ)
    return chosen, False, sets


def _verdict_rows(model: RecordModel, q: Question, candidates: list[str]) -> tuple[list[str], list[dict]]:
    """A statement's or conclusion's settling reports: every single one, or else the smallest set."""
    base = {"verdict_id": q.id, "kind": q.kind, "about": q.label, "indicator": q.indicator}
    if q.kind != "statement":
        singles = settled_by(model, q, candidates)
        if singles:
            return singles, [{**base, "reports": p, "n_reports": 1, "method": "one report"} for p in singles]
        return [], [{**base, "reports": "", "n_reports": 2,
                     "method": "at least 2 reports (no one report settles it; the smallest set is searched for "
                               "statements only)"}]
    program = _PairProgram(model, q)
    found, exact, sets = _search(program, candidates, MAX_ROUNDS)
    singles = []
    if len(found) <= 1 or not exact:
        # a single report settles only if it is in every set D found; each such one is checked
        maybe = set(candidates).intersection(*sets) if sets else set(candidates)
        singles = [p for p in candidates if p in maybe and program.solve((), linked=[p]) is None]
    if singles:
        return singles, [{**base, "reports": p, "n_reports": 1, "method": "one report"} for p in singles]
    method = "smallest set (proven)" if exact else f"not found in {MAX_ROUNDS} rounds: at least {len(found)} reports"
    return [], [{**base, "reports": "|".join(found), "n_reports": len(found), "method": method}]


@cached
def what_would_settle(record, model: RecordModel | None = None) -> dict:
    """For every open verdict, the reports that would settle it; for every partnership, what its report settles.

    Parameters
    ----------
    record : PublicRecord
        The public record.
    model : RecordModel, optional
        Its model (default ``RecordModel.from_record(record)``).

    Returns
    -------
    dict of pandas.DataFrame
        ``settles`` (:data:`SETTLE_COLUMNS`): one row per open statement or conclusion reading and
        partnership whose report alone settles it; for one no single report settles, one row with the
        smallest set (``method`` says whether it is proven smallest); for each open trend verdict, one row
        "at least 2 reports" (or a row per partnership left undecided); one row per open cell and other
        partnership whose report settles it. ``reading_list`` (:data:`READING_COLUMNS`): every
        partnership whose grades are not all fixed, by statements and conclusions settled, then cells
        fixed besides its own. ``headline`` (:data:`HEADLINE_COLUMNS`): the two reports that settle
        the most statements and conclusions together, how many, of how many open. With a complete
        table each is empty.

    Examples
    --------
    >>> from analysis.domain import load
    >>> found = what_would_settle(load.load_record(), RecordModel.from_grades(load.example_grades()))
    >>> [len(found[k]) for k in ("settles", "reading_list", "headline")]
    [0, 0, 0]
    """
    model = model or RecordModel.from_record(record)
    questions = open_questions(record, model)
    trends = trend_questions(model) if not model.complete else []
    if not questions and not trends:
        return {"settles": pd.DataFrame(columns=SETTLE_COLUMNS), "reading_list": pd.DataFrame(columns=READING_COLUMNS),
                "headline": pd.DataFrame(columns=HEADLINE_COLUMNS)}
    n_possible = model.possible.sum(axis=2)
    candidates = [p for p in D.P if (n_possible[D.PI[p]] > 1).any()]
    rows, pool = [], []
    settled: dict[str, list[str]] = {}
    ordered = [q for q in questions if q.kind != "cell"] + trends + [q for q in questions if q.kind == "cell"]
    for q in ordered:
        base = {"verdict_id": q.id, "kind": q.kind, "about": q.label, "indicator": q.indicator}
        if q.kind == "cell":
            settled[q.id] = by = settled_by(model, q, candidates, pool)
            rows += [{**base, "reports": p, "n_reports": 1, "method": "one report"} for p in by]
        elif q.kind == "trend":
            # a pair of the narrower form covers a partnership exactly; one it does not cover is undecided
            left = settled_by(model, q, candidates)
            settled[q.id] = []
            rows += ([{**base, "reports": p, "n_reports": 1, "method": TREND_UNDECIDED} for p in left] if left else
                     [{**base, "reports": "", "n_reports": 2,
                       "method": "at least 2 reports (no one report settles it)"}])
        else:
            # a statement is judged without itself, so a partnership its own words fix may still inform it
            settled[q.id], found = _verdict_rows(model, q, list(D.P) if q.exclude else candidates)
            rows += found
    verdicts = [q for q in questions if q.kind in ("statement", "claim")]
    smallest = {r["verdict_id"]: r for r in rows if r["kind"] in ("statement", "claim") and r["method"] != "one report"}
    group_of = areas.period_group_of()
    reading = []
    informative = candidates + [p for p in D.P if p not in candidates
                                and any(p in by for by in settled.values())]
    for p in [p for p in D.P if p in informative]:
        ids = [q.id for q in verdicts if p in settled[q.id]]
        needed = sum(p in r["reports"].split("|") for r in smallest.values() if r["method"].startswith("smallest"))
        cells = sum(p in settled[q.id] for q in questions if q.kind == "cell")
        reading.append({"partnership": p, "period_group": group_of[p], "verdicts_settled": len(ids),
                        "in_smallest_sets": needed, "cells_fixed": cells, "verdict_ids": "|".join(ids)})
    reading_list = pd.DataFrame(reading, columns=READING_COLUMNS)
    order = {p: k for k, p in enumerate(D.P)}
    reading_list = reading_list.sort_values(
        ["verdicts_settled", "in_smallest_sets", "cells_fixed", "partnership"], ascending=[False, False, False, True],
        key=lambda s: s.map(order) if s.name == "partnership" else s).reset_index(drop=True)
    headline = _headline(model, verdicts, settled, smallest, reading_list)
    return {"settles": pd.DataFrame(rows, columns=SETTLE_COLUMNS), "reading_list": reading_list,
            "headline": headline}


def _jointly(model, verdicts, settled, smallest, pair) -> int:
    """How many of ``verdicts`` the two reports of ``pair`` settle, alone or together (exact: a verdict whose
    proven smallest set is larger cannot be; the others not settled by one of them are solved for)."""
    n = 0
    for q in verdicts:
        if any(p in settled[q.id] for p in pair):
            n += 1
            continue
        r = smallest.get(q.id)
        if r is not None and r["method"].startswith("smallest") and r["n_reports"] > 2:
            continue
        if r is not None and r["method"].startswith("smallest") and r["reports"].split("|") == pair:
            n += 1
            continue
        n += _PairProgram(model, q).solve((), linked=pair) is None
    return n


def _headline(model, verdicts, settled, smallest, reading_list) -> pd.DataFrame:
    """The two reports that settle the most open statements and conclusions (alone or together), among the
    reading list's first two and every proven smallest set of two: the first with the most."""
    if len(reading_list) < 2 or not verdicts:
        return pd.DataFrame(columns=HEADLINE_COLUMNS)
    order = list(D.P)
    pairs = [sorted(reading_list["partnership"].iloc[:2], key=order.index)]
    pairs += [r["reports"].split("|") for r in smallest.values()
              if r["method"].startswith("smallest") and r["n_reports"] == 2]
    pairs = list(dict.fromkeys(tuple(p) for p in pairs))
    scored = [(_jointly(model, verdicts, settled, smallest, list(pair)), -k, pair) for k, pair in enumerate(pairs)]
    n, _, pair = max(scored)
    return pd.DataFrame([{"reports": "|".join(pair), "n_settled": n, "n_open": len(verdicts)}],
                        columns=HEADLINE_COLUMNS)
