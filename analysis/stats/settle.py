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

Trend verdicts (significance at 5%) are not analysed here: significance is not a linear condition
on the table, so its two-copy program is not this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.domain import areas
from analysis.errors import ReviewError
from analysis.record.cache import cached
from analysis.record.model import D, RecordModel
from analysis.record.rows import SparseRows
from analysis.stats.verdicts import Question, verdict_questions

__all__ = ["Question", "open_questions", "settled_by", "smallest_settling_set", "what_would_settle",
           "SETTLE_COLUMNS", "READING_COLUMNS", "HEADLINE_COLUMNS"]

SETTLE_COLUMNS = ["verdict_id", "kind", "about", "indicator", "reports", "n_reports", "method"]
READING_COLUMNS = ["partnership", "period_group", "verdicts_settled", "in_smallest_sets", "cells_fixed", "verdict_ids"]
HEADLINE_COLUMNS = ["reports", "n_settled", "n_open"]

#: Rounds of the smallest-set search before it reports a lower bound instead.
MAX_ROUNDS = 100


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


# -- the two-copy program ----------------------------------------------------------------------------------
def _row_vars(partnership: str) -> np.ndarray:
    a = D.PI[partnership]
    return np.arange(a * D.NI * D.NG, (a + 1) * D.NI * D.NG)


class _PairProgram:
    """Two copies of the grade table for one question: x satisfies the context and the verdict one way, y
    the context and the verdict the other way (or, for a cell, another grade)."""

    def __init__(self, model: RecordModel, question: Question):
        self.model, self.q = model, question
        context = [g for g in model.active if g.id not in set(question.exclude)]
        A, lo, hi = model.constraints(groups=context)
        self.base = sparse.block_diag([A, A], format="csr")
        self.base_lo, self.base_hi = np.concatenate([lo, lo]), np.concatenate([hi, hi])
        n = D.NVAR
        self.nh = len(question.holds) if len(question.holds) > 1 else 0
        self.nf = len(question.fails) if len(question.fails) > 1 else 0
        self.n_fixed = 2 * n + self.nh + self.nf
        # cells the active record leaves one grade agree in every pair; in the active context their other
        # grades are 0 in both copies (a statement's context is looser, so nothing is fixed there)
        self.upper = np.ones(2 * n)
        if not question.exclude and not model.complete:
            possible = model.possible.reshape(-1)
            self.upper[:n][~possible] = 0
            self.upper[n:][~possible] = 0
            self.open_vars = {p: _row_vars(p)[possible[_row_vars(p)]
                                              & np.repeat(model.possible.sum(axis=2)[D.PI[p]] > 1, D.NG)]
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
            a = self.n_fixed + D.PI[p]
            for v in self.open_vars[p]:
                static.add([v, n + v, a], [1, -1, 1], -np.inf, 1)
        extra, e_lo, e_hi = static.matrix(self.n_vars)
        base = sparse.hstack([self.base, sparse.csr_array((self.base.shape[0], self.n_vars - 2 * n))], format="csr")
        self.constraint = LinearConstraint(sparse.vstack([base, extra], format="csr"),
                                           np.concatenate([self.base_lo, e_lo]), np.concatenate([self.base_hi, e_hi]))

    def solve(self, cover=(), linked=()):
        """A pair linked on the rows of ``linked`` that agrees on as many rows of ``cover`` as it can:
        (x, y, the partnerships of ``cover`` on which they agree), or None when there is none."""
        n = D.NVAR
        lower, upper = np.zeros(self.n_vars), np.concatenate([self.upper, np.ones(self.n_fixed - 2 * n),
                                                              np.zeros(D.NP)])
        c = np.zeros(self.n_vars)
        for p in cover:
            upper[self.n_fixed + D.PI[p]] = 1
            c[self.n_fixed + D.PI[p]] = -1
        for p in linked:
            lower[self.n_fixed + D.PI[p]] = upper[self.n_fixed + D.PI[p]] = 1
        self.model.solves += 1
        res = milp(c, integrality=np.ones(self.n_vars), bounds=Bounds(lower, upper), constraints=self.constraint,
                   options={"mip_rel_gap": 0})
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"solver stopped: {res.message}")
        z = np.rint(res.x).astype(int)
        agree = [p for p in cover if z[self.n_fixed + D.PI[p]]]
        return z[:n], z[n:2 * n], agree


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
        found = program.solve(cover)
        if found is None:
            if first:
                raise ReviewError(f"{question.id} is not open: no two consistent tables differ on it")
            break
        first = False
        x, y, agree = found
        if not agree:
            break
        if pool is not None and question.cell is not None:
            pool.append((x, y))
        cover = [p for p in cover if p not in agree]
    return cover


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
    program = _PairProgram(model, q)
    base = {"verdict_id": q.id, "kind": q.kind, "about": q.label, "indicator": q.indicator}
    if q.kind != "statement":
        singles = settled_by(model, q, candidates)
        if singles:
            return singles, [{**base, "reports": p, "n_reports": 1, "method": "one report"} for p in singles]
        return [], [{**base, "reports": "", "n_reports": 2,
                     "method": "at least 2 reports (no one report settles it; the smallest set is searched for "
                               "statements only)"}]
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
        smallest set (``method`` says whether it is proven smallest); one row per open cell and other
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
    if not questions:
        return {"settles": pd.DataFrame(columns=SETTLE_COLUMNS), "reading_list": pd.DataFrame(columns=READING_COLUMNS),
                "headline": pd.DataFrame(columns=HEADLINE_COLUMNS)}
    n_possible = model.possible.sum(axis=2)
    candidates = [p for p in D.P if (n_possible[D.PI[p]] > 1).any()]
    rows, pool = [], []
    settled: dict[str, list[str]] = {}
    for q in questions:
        if q.kind == "cell":
            settled[q.id] = by = settled_by(model, q, candidates, pool)
            rows += [{"verdict_id": q.id, "kind": q.kind, "about": q.label, "indicator": q.indicator,
                      "reports": p, "n_reports": 1, "method": "one report"} for p in by]
        else:
            # a statement is judged without itself, so a partnership its own words fix may still inform it
            settled[q.id], found = _verdict_rows(model, q, list(D.P) if q.exclude else candidates)
            rows += found
    verdicts = [q for q in questions if q.kind != "cell"]
    smallest = {r["verdict_id"]: r for r in rows if r["kind"] != "cell" and r["method"] != "one report"}
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
