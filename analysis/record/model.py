"""What the public record fixes: an integer program over all 32 x 9 grade tables.

Each cell (partnership, indicator) takes exactly one of the six grades: binary variables
x[p, i, g]. Every row of the record becomes a named *group* of linear constraints with its
source and quote:

- ``cell``: a stated or derived grade fixes x[p, i, g] = 1;
- ``count``: an area's grade counts fix how many of its nine indicators have each grade (for
  North Lanarkshire's ten indicators, each count may be one lower); ``within`` limits every
  indicator of the area to a set of grades;
- ``statement``: a review statement bounds a count of areas (indicator x grades x groups);
- ``table``: a cell of a user's complete table.

A complete grade table is the same model with every cell fixed, so every function here returns
ranges, with min = max when the data is complete. Solved with ``scipy.optimize.milp`` (HiGHS).

If the whole record admits no table, :func:`RecordModel.conflicts` finds minimal conflicting
sets of groups (QuickXplain) and the model sets aside the statements in each (or, where a
conflict holds no statement, all its rows) so that the rest can be evaluated; the set-aside rows
are reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.domain import areas, indicators, scale
from analysis.domain.package import on_change
from analysis.errors import ReviewError, UsageError

__all__ = ["Group", "RecordModel", "Infeasible", "grade_values", "var", "D"]

class _Dimensions:
    """The variables' dimensions, from the domain tables on first use (not at import): ``P``
    partnerships (Appendix 4 order), ``I`` indicators, ``G`` grades (worst first), their sizes
    ``NP``, ``NI``, ``NG``, ``NVAR`` = NP x NI x NG, each one's position, and ``BASE``, the rows
    saying each cell has exactly one grade."""

    @cached_property
    def P(self) -> list[str]:
        return list(areas.partnerships())

    @cached_property
    def I(self) -> list[str]:  # noqa: E743 (the indicator axis)
        return list(indicators.codes())

    @cached_property
    def G(self) -> list[str]:
        return list(scale.grades())

    NP = property(lambda self: len(self.P))
    NI = property(lambda self: len(self.I))
    NG = property(lambda self: len(self.G))
    NVAR = property(lambda self: self.NP * self.NI * self.NG)

    @cached_property
    def PI(self) -> dict[str, int]:
        return {p: k for k, p in enumerate(self.P)}

    @cached_property
    def II(self) -> dict[str, int]:
        return {i: k for k, i in enumerate(self.I)}

    @cached_property
    def GI(self) -> dict[str, int]:
        return {g: k for k, g in enumerate(self.G)}

    @cached_property
    def BASE(self):
        rows = np.repeat(np.arange(self.NP * self.NI), self.NG)
        return sparse.csr_array(
            (np.ones(self.NVAR), (rows, np.arange(self.NVAR))), shape=(self.NP * self.NI, self.NVAR)
        )


#: The dimensions of the integer program (read on first use).
D = _Dimensions()
on_change(D.__dict__.clear)  # another data package: other partnerships, indicators, grades


def __getattr__(name):
    # D.P, D.I, D.G, D.NP, D.NI, D.NG, D.NVAR for other modules: from the domain tables on first access, not at import
    if name in ("P", "I", "G", "NP", "NI", "NG", "NVAR"):
        return getattr(D, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def var(p: str, i: str, g: str) -> int:
    """Index of x[p, i, g]."""
    return (D.PI[p] * D.NI + D.II[i]) * D.NG + D.GI[g]


def grade_values(x: np.ndarray, indicator: str) -> np.ndarray:
    """The grade values (1 Unsatisfactory ... 6 Excellent) of one indicator in a solution vector, in
    partnership order."""
    return x.reshape(D.NP, D.NI, D.NG)[:, D.II[indicator]].argmax(axis=1) + 1


class Infeasible(ReviewError, RuntimeError):
    """The constraints admit no grade table."""


@dataclass(frozen=True)
class Group:
    """A named set of linear constraints, with where it came from.

    ``rows`` holds (variable indices, lower bound, upper bound): the sum of the variables
    (each with coefficient 1) lies in [lower, upper]; or (indices, coefficients, lower, upper)
    for any linear condition (the review's claims).
    """

    id: str
    kind: str
    label: str
    source_id: str = ""
    quote: str = ""
    rows: tuple = field(default=(), repr=False, compare=False)


def _count_vars(indicator: str, grades, partnerships) -> list[int]:
    return [var(p, indicator, g) for p in partnerships for g in grades]


def _bounds(comparator: str, value: int, value_max=None) -> tuple[float, float]:
    if comparator == "=":
        return value, value
    if comparator == "<=":
        return 0, value
    if comparator == ">=":
        return value, np.inf
    if comparator == "between":
        return value, value_max
    raise UsageError(f"unknown comparator {comparator!r}")


def cell_group(p, i, g, kind="cell", source_id="", quote="", basis="") -> Group:
    label = f"{p} {i} is {g}" + (f" ({basis})" if basis else "")
    return Group(f"{kind}:{p}|{i}", kind, label, source_id, quote, ((np.array([var(p, i, g)]), 1, 1),))


def count_group(rec) -> Group:
    """Group for one row of area_grade_counts (see analysis.domain.load.count_columns)."""
    from analysis.domain.load import count_columns

    p = str(rec["partnership"])
    rows = []
    if rec["within"]:
        for i in D.I:
            rows.append((np.array([var(p, i, g) for g in rec["within"]]), 1, 1))
        label = f"{p}: every indicator {' or '.join(rec['within'])}"
    else:
        n = int(rec["n_indicators"])
        spare = n - D.NI  # indicators counted beyond the nine (North Lanarkshire: 1)
        parts = []
        for col, g in count_columns().items():
            c = int(rec[col])
            rows.append((np.array([var(p, i, g) for i in D.I]), max(0, c - spare), c))
            if c:
                parts.append(f"{c} {g}")
        label = f"{p}: {', '.join(parts)} of {n} indicators"
    return Group(f"count:{p}", "count", label, rec["source_id"], rec["quote"], tuple(rows))


def statement_group(rec) -> Group:
    groups = rec["period_groups"]
    members = [p for g in groups for p in areas.members(g)]
    lo, hi = _bounds(rec["comparator"], int(rec["value"]), None if pd.isna(rec["value_max"]) else int(rec["value_max"]))
    where = "all 32" if len(groups) == len(areas.PERIOD_GROUPS) else " + ".join(groups)
    cmp = f"{lo}-{hi}" if rec["comparator"] == "between" else f"{rec['comparator']} {rec['value']}"
    label = f"{rec['indicator']} {'/'.join(rec['grades'])} in {where} {cmp}"
    return Group(
        f"statement:{rec['statement_id']}",
        "statement",
        label,
        rec["source_id"],
        rec["quote"],
        ((np.array(_count_vars(str(rec["indicator"]), rec["grades"], members)), lo, hi),),
    )


class RecordModel:
    """All grade tables consistent with a set of constraint groups.

    Build with :meth:`from_record` (the public record) or :meth:`from_grades` (a complete
    table). ``groups`` are every group given; ``active`` those in force after conflicts are
    set aside; ``set_aside`` the rest.
    """

    def __init__(self, groups: list[Group], basis: str, alternatives: list[Group] = (),
                 grade_table: pd.DataFrame | None = None):
        self.groups = list(groups)
        #: The complete grade table the model was made from (:meth:`from_grades`), None on the public record.
        self.grade_table = grade_table
        #: Alternative readings of statements (``alternative_to`` set): evaluated one at a time by
        #: analysis.stats.statements, never in force together with the reading they are an alternative to.
        self.alternatives = list(alternatives)
        self.basis = basis
        self.solves = 0
        #: A :class:`analysis.record.cache.ResultsCache` for the results of ``@cached`` library functions
        #: called with this model (None: computed every time).
        self.cache = None
        self._conflicts = None
        self._active = list(self.groups)
        self._set_aside: list[Group] = []
        self._resolve = False  # True: conflicts are resolved on first use of active, set_aside or conflicts

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_record(cls, record, statements: bool = True) -> RecordModel:
        groups = [
            cell_group(str(r.partnership), str(r.indicator), str(r.grade), "cell", r.source_id, r.quote, r.basis)
            for r in record.cell_grades.itertuples()
        ]
        groups += [count_group(rec) for _, rec in record.area_counts.iterrows()]
        alternatives = []
        if statements:
            for _, rec in record.statements.iterrows():
                # rival readings and the extra conditions of stronger readings are not in force
                (alternatives if rec["alternative_to"] or rec.get("adds_to") else groups).append(statement_group(rec))
        model = cls(groups, "public record", alternatives)
        model._resolve = True  # on first use: a model whose results all come from the cache never solves
        return model

    @property
    def of_grade_table(self) -> bool:
        """True for the model of a complete grade table (:meth:`from_grades`), False on the public record
        (even where the record fixes every cell: :attr:`complete`)."""
        return self.grade_table is not None

    @classmethod
    def from_grades(cls, grades: pd.DataFrame, basis: str = "complete grade table") -> RecordModel:
        """The model of one complete grade table (:func:`analysis.domain.load.load_grades`); it carries the
        table (``grade_table``) and its data basis, so the statistics take the model alone."""
        groups = [cell_group(str(r.partnership), str(r.indicator), str(r.grade), "table") for r in grades.itertuples()]
        return cls(groups, basis, grade_table=grades)

    # -- solving ----------------------------------------------------------------------------------
    @staticmethod
    def _matrix(groups, extra=()):
        lo, hi = [], []
        # a row is (variable indices, lower, upper) with coefficients 1, or (indices, coefficients, lower, upper)
        rows = [r if len(r) == 4 else (r[0], None, r[1], r[2]) for g in groups for r in g.rows]
        rows += [r if len(r) == 4 else (r[0], None, r[1], r[2]) for r in extra]
        if rows:
            indptr = np.cumsum([0] + [len(r[0]) for r in rows])
            indices = np.concatenate([r[0] for r in rows])
            data = np.concatenate([np.ones(len(r[0])) if r[1] is None else np.asarray(r[1], float) for r in rows])
            extra_m = sparse.csr_array((data, indices, indptr), shape=(len(rows), D.NVAR))
            A = sparse.vstack([D.BASE, extra_m], format="csr")
            lo = np.concatenate([np.ones(D.NP * D.NI), [r[2] for r in rows]])
            hi = np.concatenate([np.ones(D.NP * D.NI), [r[3] for r in rows]])
        else:
            A, lo, hi = D.BASE, np.ones(D.NP * D.NI), np.ones(D.NP * D.NI)
        return A, lo, hi

    def constraints(self, extra=()):
        """The active constraints as (A, lower, upper): every consistent table x has lower <= A x <= upper
        (the first 288 rows say each cell has exactly one grade). ``extra`` rows are appended."""
        return self._matrix(self.active, extra)

    def maximise(self, coef: np.ndarray, extra=()) -> tuple[float, np.ndarray] | None:
        """The maximum of ``coef @ x`` over consistent tables (with ``extra`` rows) and a table
        attaining it, or None when no table satisfies them."""
        x = self.solve(extra=extra, objective=-np.asarray(coef, float))
        return None if x is None else (float(np.asarray(coef, float) @ x), x)

    def solve(self, groups=None, extra=(), objective=None):
        """A 0/1 solution vector (or None if infeasible); minimises ``objective`` if given."""
        groups = self.active if groups is None else groups
        A, lo, hi = self._matrix(groups, extra)
        c = np.zeros(D.NVAR) if objective is None else objective
        self.solves += 1
        res = milp(c, integrality=np.ones(D.NVAR), bounds=Bounds(0, 1), constraints=LinearConstraint(A, lo, hi))
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"solver stopped: {res.message}")
        return np.rint(res.x).astype(int)

    def feasible(self, groups=None, extra=()) -> bool:
        return self.solve(groups, extra) is not None

    def canonical(self, indicator: str, extra=(), limit: int = 6**8) -> np.ndarray | None:
        """A consistent table satisfying ``extra`` whose grades on ``indicator`` are the
        lexicographically smallest (partnerships in :data:`P` order, Unsatisfactory first); None if
        there is none.

        A solver returns *some* optimal table, and which one may depend on its path through the
        search (and so on the machine). A witness chosen this way depends only on the constraints:
        every machine publishes the same one. The indicator's open cells (those the record leaves
        more than one grade) are taken a block at a time: one integer program minimises the block's
        grades as a mixed-radix number (each cell's digit is the rank of its grade among the grades
        the record allows it; the place values' product at most ``limit``, so the objective is an
        exact integer), solved to a zero gap; the result is fixed before the next block.
        """
        poss = self.possible
        extra = list(extra)
        cells = [(p, [k for k in range(D.NG) if poss[D.PI[p], D.II[indicator], k]]) for p in D.P]
        cells = [(p, ks) for p, ks in cells if len(ks) > 1]
        blocks, block, size = [], [], 1
        for p, ks in cells:
            if block and size * len(ks) > limit:
                blocks.append(block)
                block, size = [], 1
            block.append((p, ks))
            size *= len(ks)
        if block:
            blocks.append(block)
        x = None
        for block in blocks:
            c = np.zeros(D.NVAR)
            place = 1
            for p, ks in reversed(block):  # the last cell is the least significant digit
                for rank, k in enumerate(ks):
                    c[var(p, indicator, D.G[k])] = place * rank
                place *= len(ks)
            A, lo, hi = self._matrix(self.active, extra)
            self.solves += 1
            res = milp(
                c,
                integrality=np.ones(D.NVAR),
                bounds=Bounds(0, 1),
                constraints=LinearConstraint(A, lo, hi),
                options={"mip_rel_gap": 0.0},
            )
            if res.status == 2:
                return None
            if res.status != 0:
                raise RuntimeError(f"solver stopped: {res.message}")
            x = np.rint(res.x).astype(int)
            values = grade_values(x, indicator)
            extra += [(np.array([var(p, indicator, D.G[values[D.PI[p]] - 1])]), 1, 1) for p, _ in block]
        if x is None:  # every cell of the indicator is fixed by the record
            x = self.solve(extra=extra)
        return x

    # -- conflicts ----------------------------------------------------------------------------------
    def minimal_conflict(self, candidates: list[Group], background: list[Group] = (), extra=()) -> list[Group]:
        """A minimal subset of ``candidates`` that, with ``background`` and ``extra`` rows, admits no table.

        QuickXplain (Junker 2004): earlier candidates are preferred in the explanation.
        """
        background = list(background)
        if self.feasible(background + list(candidates), extra):
            raise UsageError("the candidates admit a table: there is no conflict to explain")
        if not self.feasible(background, extra):
            return []

        def qx(b, has_delta, c):
            if has_delta and not self.feasible(b, extra):
                return []
            if len(c) == 1:
                return list(c)
            k = len(c) // 2
            c1, c2 = c[:k], c[k:]
            d2 = qx(b + c1, bool(c1), c2)
            d1 = qx(b + d2, bool(d2), c1)
            return d1 + d2

        return qx(background, False, list(candidates))

    def count_minimal_conflicts(
        self, candidates: list[Group], extra=(), cap: int = 5, budget: int = 60
    ) -> tuple[int, bool]:
        """How many minimal subsets of ``candidates`` admit no table with ``extra`` rows:
        (count, exact). Reiter's hitting-set tree: every minimal set found is removed one member
        at a time and the search goes on in what is left. Stops at ``cap`` sets or ``budget``
        solves; ``exact`` is False then (the count is a lower bound)."""
        found: list[frozenset] = []
        visited: set[frozenset] = set()
        solves = 0
        exact = True

        def visit(removed: frozenset):
            nonlocal solves, exact
            if removed in visited:
                return
            visited.add(removed)
            if len(found) >= cap or solves >= budget:
                exact = False
                return
            rest = [g for g in candidates if g.id not in removed]
            reuse = next((m for m in found if not (m & removed)), None)
            if reuse is None:
                solves += 1
                if self.feasible(rest, extra):
                    return
                mus = frozenset(g.id for g in self.minimal_conflict(rest, extra=extra))
                if not mus:
                    return
                found.append(mus)
                reuse = mus
            for gid in sorted(reuse):
                visit(removed | {gid})

        visit(frozenset())
        return len(found), exact

    def resolve_conflicts(self):
        """Find conflicts until the active groups admit a table; set aside their statements."""
        self._resolve = False
        conflicts, active = [], list(self.groups)
        while not self.feasible(active):
            found = self.minimal_conflict(active)
            conflicts.append(found)
            drop = [g for g in found if g.kind == "statement"] or found
            active = [g for g in active if g not in drop]
        self._conflicts = conflicts
        self._active = active
        self._set_aside = [g for g in self.groups if g not in active]
        return conflicts

    @property
    def active(self) -> list[Group]:
        """The groups in force: every group given, less those set aside (conflicts resolved on first use)."""
        if self._resolve:
            self.resolve_conflicts()
        return self._active

    @property
    def set_aside(self) -> list[Group]:
        """The groups set aside because the record cannot hold with them."""
        if self._resolve:
            self.resolve_conflicts()
        return self._set_aside

    @property
    def conflicts(self) -> list[list[Group]]:
        if self._conflicts is None:
            self.resolve_conflicts()
        return self._conflicts

    # -- what the record fixes ------------------------------------------------------------------------
    @cached_property
    def possible(self) -> np.ndarray:
        """Boolean array [partnership, indicator, grade]: can the cell take the grade?

        Each solution found marks many (cell, grade) pairs at once: the next solve maximises
        the number of pairs not yet seen, and stops when that maximum is 0.
        """
        seen = np.zeros(D.NVAR, dtype=bool)
        x = self.solve()
        if x is None:
            raise Infeasible("the active constraints admit no grade table")
        seen |= x.astype(bool)
        while True:
            objective = np.where(seen, 0.0, -1.0)
            x = self.solve(objective=objective)
            new = x.astype(bool) & ~seen
            if not new.any():
                break
            seen |= new
        return seen.reshape(D.NP, D.NI, D.NG)

    def possible_grades(self) -> pd.DataFrame:
        """One row per cell: partnership, indicator, possible (tuple, worst to best), n_possible,
        grade (the grade if fixed, else None), lowest, highest."""
        poss = self.possible
        out = []
        for a, p in enumerate(D.P):
            for b, i in enumerate(D.I):
                gs = tuple(D.G[k] for k in range(D.NG) if poss[a, b, k])
                out.append(
                    {
                        "partnership": p,
                        "indicator": i,
                        "possible": gs,
                        "n_possible": len(gs),
                        "grade": gs[0] if len(gs) == 1 else None,
                        "lowest": gs[0],
                        "highest": gs[-1],
                    }
                )
        frame = pd.DataFrame(out)
        frame["partnership"] = frame["partnership"].astype(areas.partnership_dtype())
        frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
        for c in ("lowest", "highest"):
            frame[c] = frame[c].astype(scale.grade_dtype())
        return frame

    @property
    def complete(self) -> bool:
        """True when every cell is fixed (min = max for every count)."""
        return bool((self.possible.sum(axis=2) == 1).all())

    def count_range(self, indicator: str, grades, partnerships=None, groups=None, extra=()) -> tuple[int, int]:
        """Minimum and maximum, over consistent tables, of the number of ``partnerships`` (default all)
        with one of ``grades`` on ``indicator``. ``extra`` rows restrict the tables further."""
        partnerships = list(D.P if partnerships is None else partnerships)
        idx = _count_vars(indicator, grades, partnerships)
        if groups is None and not extra:
            # Bounds from each cell's possible grades: exact when they meet (always for a complete table).
            poss = self.possible[[D.PI[p] for p in partnerships], D.II[indicator]]
            in_set = np.array([g in set(grades) for g in D.G])
            forced = int((~poss[:, ~in_set].any(axis=1)).sum())
            can = int(poss[:, in_set].any(axis=1).sum())
            if forced == can:
                return forced, can
        c = np.zeros(D.NVAR)
        c[idx] = 1
        lo = self.solve(groups, extra, objective=c)
        if lo is None:
            raise Infeasible("the constraints admit no grade table")
        hi = self.solve(groups, extra, objective=-c)
        return int(lo[idx].sum()), int(hi[idx].sum())

    def table(self, x: np.ndarray) -> pd.DataFrame:
        """A solution vector as a long grade table (partnership, indicator, grade)."""
        cells = x.reshape(D.NP, D.NI, D.NG).argmax(axis=2)
        frame = pd.DataFrame(
            [
                {"partnership": p, "indicator": i, "grade": D.G[cells[a, b]]}
                for a, p in enumerate(D.P)
                for b, i in enumerate(D.I)
            ]
        )
        frame["partnership"] = frame["partnership"].astype(areas.partnership_dtype())
        frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
        frame["grade"] = frame["grade"].astype(scale.grade_dtype())
        return frame

    def can_hold(self, rows) -> bool:
        """Is there a consistent table in which the extra ``rows`` hold?"""
        return self.feasible(None, rows)

    def count_ranges(self, indicators_=None, grade_sets=None, scopes=None) -> pd.DataFrame:
        """Min and max counts for every indicator x grade set x scope.

        ``grade_sets`` maps a label to grades (default: each grade, and good_or_better);
        ``scopes`` maps a label to partnerships (default: each period group and 'all').
        Returns columns indicator, grades, scope, n_partnerships, min, max, fixed.
        """
        indicators_ = list(D.I if indicators_ is None else indicators_)
        if grade_sets is None:
            grade_sets = {g: (g,) for g in D.G} | {"good_or_better": scale.GOOD_OR_BETTER}
        if scopes is None:
            scopes = {g: areas.members(g) for g in areas.PERIOD_GROUPS} | {"all": D.P}
        out = []
        for i in indicators_:
            for glabel, gs in grade_sets.items():
                for slabel, members in scopes.items():
                    lo, hi = self.count_range(i, gs, members)
                    out.append(
                        {
                            "indicator": i,
                            "grades": glabel,
                            "scope": slabel,
                            "n_partnerships": len(members),
                            "min": lo,
                            "max": hi,
                            "fixed": lo == hi,
                        }
                    )
        return pd.DataFrame(out)
