"""Trend statistics over every grade table consistent with the record: exact bounds, with witnesses.

Per indicator, with group scores u = 1, 2, 3 (pre-2014, 2014-16, post-2016) and grade values
v = 1 (Unsatisfactory) ... 6 (Excellent), over **all** 32 x 9 tables that the
:class:`~analysis.record.RecordModel` admits (nothing is sampled):

- **Linear quantities** (each period group's mean grade, the post-2016 minus pre-2014
  difference, the centred linear-by-linear statistic C = sum (u - mean u) v): min and max by
  mixed-integer programming, each with a table attaining it.
- **The exact p-value** of the linear-by-linear test (two-sided, conditional on the margins:
  :mod:`analysis.stats.exact`). A table *trends up* when C > 0 and *down* when C < 0. For each
  direction, ``p_min`` is the smallest p-value of any consistent table trending that way and
  ``p_max`` the largest p-value *for a trend that way*, where a table that does not trend that
  way counts as p = 1 (it shows no such trend). Each comes with a witness table.
- **Verdict** per direction at level ``alpha`` (5%): ``forced`` when every consistent table shows
  a significant trend that way (p_max <= alpha), ``impossible`` when none does (p_min > alpha),
  ``possible`` otherwise.

How p_min is found exactly. The p-value depends on the table only through the indicator's grade
counts (its *margin*, which fixes the null distribution) and C; for a fixed margin it falls as
|C| grows. So p_min = min over feasible margins m of p_m(C*(m)), with C*(m) the largest C of a
consistent table with margin m. Every candidate margin (within the per-grade count ranges the
record allows) gets a valid lower bound p_m(Cub(m)) from an upper bound Cub(m) >= C*(m): the
smallest of the unconstrained maximum for that margin (the rearrangement inequality) and linear
bounds from the integer programs' Lagrangian relaxation and from linear-programming duals
(the LP value function is concave in the margin, so each dual solution bounds every margin).
Margins are visited best bound first; a margin whose bound cannot beat the best table found so
far is never solved; the others get a sharper LP bound and then the exact C*(m) by integer
programming. The search stops when no remaining bound can beat the best table, which is then
the minimum. p_max is the same search on the smallest C. Bounds on tail counts are integers,
so every comparison is exact.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from analysis.domain import areas, indicators, scale
from analysis.record.cache import cached
from analysis.record.model import D, Infeasible, RecordModel, var
from analysis.record.model import grade_values as column
from analysis.record.rows import row_parts
from analysis.stats.exact import distribution, margin_tails

__all__ = ["ALPHA", "DIRECTIONS", "trend_bounds", "group_scores", "beyond_alpha", "no_trend_row"]

ALPHA = 0.05
DIRECTIONS = ("up", "down")


def _values() -> np.ndarray:
    """The grades' values on the scale, 1 (Unsatisfactory) to 6 (Excellent)."""
    return np.arange(1, len(scale.GRADES) + 1)


def group_scores() -> np.ndarray:
    """Score of each partnership's period group (1, 2, 3), in :data:`analysis.record.P` order.

    Returns
    -------
    numpy.ndarray
        int64, one score per partnership: 1 pre-2014, 2 2014-16, 3 post-2016.

    Examples
    --------
    >>> u = group_scores()
    >>> np.bincount(u).tolist(), u[:3].tolist(), int(u[-1])  # 11, 12 and 9 partnerships
    ([0, 11, 12, 9], [1, 1, 1], 3)
    """
    of = areas.period_group_of()
    return np.array([areas.PERIOD_GROUPS.index(of[p]) + 1 for p in D.P], dtype=np.int64)


def _cell_coef(indicator: str, weight) -> np.ndarray:
    """sum over partnerships of weight[partnership] x grade value, on one indicator."""
    c = np.zeros(D.NVAR)
    for a, p in enumerate(D.P):
        for value, g in zip(_values(), scale.GRADES):
            c[var(p, indicator, g)] = weight[a] * value
    return c


def _count_index(indicator: str) -> list[np.ndarray]:
    return [np.array([var(p, indicator, g) for p in D.P]) for g in scale.GRADES]


@dataclass
class _Search:
    """The exact search for one indicator and one objective (max of ``sign * nC``)."""

    model: RecordModel
    indicator: str
    sign: int
    u: np.ndarray = field(init=False)
    obj: np.ndarray = field(init=False)
    counts: list = field(init=False)
    planes: list = field(default_factory=list)  # (const, slope over the 6 grade counts)
    milp_solves: int = 0
    lp_solves: int = 0

    def __post_init__(self):
        self.u = group_scores()
        n, su = len(self.u), int(self.u.sum())
        self.n, self.su = n, su
        self.weights = self.sign * (n * self.u - su)  # objective per unit of grade value
        self.obj = _cell_coef(self.indicator, self.weights)
        self.counts = _count_index(self.indicator)
        self._lp = None
        self._plane_arrays = None

    # -- exact per-margin pieces ------------------------------------------------------------------------
    def margin_rows(self, margin):
        return [(idx, int(c), int(c)) for idx, c in zip(self.counts, margin)]

    def maximise(self, margin=None):
        self.milp_solves += 1
        return self.model.maximise(self.obj, self.margin_rows(margin) if margin is not None else ())

    def unconstrained_max(self, margins: np.ndarray) -> np.ndarray:
        """Largest sign*nC of any assignment of each margin's grades (rearrangement inequality)."""
        w = np.sort(self.weights)
        prefix = np.concatenate([[0], np.cumsum(w)])
        ends = np.cumsum(margins, axis=1)
        starts = ends - margins
        return ((prefix[ends] - prefix[starts]) * _values()).sum(axis=1)

    def add_plane(self, const: float, slope) -> None:
        self.planes.append((float(const), np.asarray(slope, float)))
        self._plane_arrays = None

    def plane_bound(self, margins: np.ndarray) -> np.ndarray:
        if not self.planes:
            return np.full(len(margins), np.inf)
        if self._plane_arrays is None:
            self._plane_arrays = (np.array([c for c, _ in self.planes]), np.array([sl for _, sl in self.planes]))
        consts, slopes = self._plane_arrays
        return (consts[None, :] + margins @ slopes.T).min(axis=1)

    def upper(self, margins: np.ndarray) -> np.ndarray:
        """An integer upper bound on the largest sign*nC of a consistent table with each margin."""
        ub = np.minimum(self.unconstrained_max(margins).astype(float), self.plane_bound(margins))
        return np.floor(ub + 1e-6).astype(np.int64)

    # -- bounds valid for every margin --------------------------------------------------------------------
    def lagrangian_planes(self, alphas=(-30, 0, 30), betas=(-4, 0, 4)):
        """Planes max_x [obj + lam . counts(x)] - lam . m for lam = alpha v + beta v^2 (one MILP each);
        returns the tables found (each a consistent table, for the incumbent)."""
        found = []
        for a in alphas:
            for b in betas:
                lam = a * _values() + b * _values() ** 2
                coef = self.obj.copy()
                for g, idx in enumerate(self.counts):
                    coef[idx] += lam[g]
                self.milp_solves += 1
                res = self.model.maximise(coef)
                if res is None:
                    continue
                value, x = res
                self.add_plane(value, -lam.astype(float))
                found.append(x)
        return found

    def _lp_data(self):
        if self._lp is None:
            A, lo, hi = self.model.constraints()
            A = sparse.csr_array(A)
            eq = lo == hi
            ub_hi = ~eq & np.isfinite(hi)
            ub_lo = ~eq & np.isfinite(lo)
            A_ub = sparse.vstack([A[ub_hi], -A[ub_lo]], format="csr")
            b_ub = np.concatenate([hi[ub_hi], -lo[ub_lo]])
            rows = np.zeros((len(self.counts), D.NVAR))
            for g, idx in enumerate(self.counts):
                rows[g, idx] = 1
            A_eq = sparse.vstack([A[eq], sparse.csr_array(rows)], format="csr")
            self._lp = (A_ub, b_ub, A_eq, lo[eq])
        return self._lp

    def lp_plane(self, margin) -> float | None:
        """Solve the LP relaxation at ``margin``; add its dual plane; return its value (None: infeasible)."""
        A_ub, b_ub, A_eq, b_eq0 = self._lp_data()
        b_eq = np.concatenate([b_eq0, np.asarray(margin, float)])
        self.lp_solves += 1
        res = linprog(-self.obj, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                      A_eq=A_eq, b_eq=b_eq, bounds=(0, 1), method="highs")
        if res.status == 2:
            return None
        if res.status != 0:
            return np.inf
        value = -res.fun
        slope = -res.eqlin.marginals[-len(self.counts):]
        const = value - slope @ np.asarray(margin, float)
        # half a unit of slack: nC is an integer, so the bound stays valid under the LP's tolerances
        self.add_plane(const + 0.5, slope)
        return value


def _tail(u, margin, threshold: int) -> int:
    """Assignments with |nC| >= threshold for the grades of ``margin`` (exact count)."""
    dist = distribution(u, np.repeat(_values(), margin))
    return dist.total if threshold <= 0 else dist.count_where(np.abs(dist.nc) >= threshold)


def _candidate_margins(model: RecordModel, indicator: str, runs_from: int = 0) -> np.ndarray:
    """Every grade-count vector (summing to 32) within the ranges the record allows for each grade
    and for each run of adjacent grades: a superset of the margins of consistent tables. The runs are
    checked only when the grades' ranges leave more than ``runs_from`` vectors (a superset either way)."""
    ranges = [model.count_range(indicator, [g]) for g in scale.GRADES]
    out = []

    def rec(k, left, prefix):
        if k == len(ranges) - 1:
            if ranges[k][0] <= left <= ranges[k][1]:
                out.append(prefix + [left])
            return
        for c in range(ranges[k][0], min(ranges[k][1], left) + 1):
            rec(k + 1, left - c, prefix + [c])

    rec(0, len(D.P), [])
    margins = np.array(out, dtype=np.int64).reshape(-1, len(ranges))
    if len(margins) <= runs_from:
        return margins
    # necessary conditions, each exact for the record: the number of areas within every run of
    # adjacent grades (e.g. Adequate to Good) lies in its range; this drops about half the box
    for a in range(len(scale.GRADES)):
        for b in range(a + 2, len(scale.GRADES)):
            lo, hi = model.count_range(indicator, list(scale.GRADES[a:b]))
            total = margins[:, a:b].sum(axis=1)
            margins = margins[(total >= lo) & (total <= hi)]
    return margins


def _searches(model: RecordModel, indicator: str) -> dict:
    """Exact extreme p-values for one indicator: {(direction, 'min' | 'max'): result}.

    ``min``: the smallest p of a table trending that way (1 if none does); ``max``: the largest,
    a table not trending that way counting as 1. Each result holds tail, total, x (a witness
    table) and the solver work done. The candidate margins and their exact null distributions
    are shared by every search of the indicator (one depth-first pass for all of them).
    """
    u = group_scores()
    sizes = [int((u == k).sum()) for k in (1, 2, 3)]
    margins = None
    tasks = {}
    for direction, sign in zip(DIRECTIONS, (1, -1)):
        for goal in ("min", "max"):
            # maximise sign*nC for p_min; maximise -sign*nC (minimise sign*nC) for p_max
            s = _Search(model, indicator, sign if goal == "min" else -sign)
            best = s.maximise()
            if best is None:
                raise Infeasible("the record admits no grade table")
            value, x = best
            total = math.factorial(len(u)) // math.prod(math.factorial(n) for n in sizes)  # all assignments
            base = {"total": total, "search": s, "x": x, "value": value, "goal": goal}
            if (goal == "min" and value <= 0) or (goal == "max" and value >= 0):
                # min: no table trends this way; max: a table with no trend this way exists
                tasks[(direction, goal)] = base | {"tail": total, "done": True}
                continue
            if margins is None:
                margins = _candidate_margins(model, indicator)
            inc_x, inc_tail = x, _table_tail(u, x, s, indicator)
            better = _better(goal)
            for table in s.lagrangian_planes():
                if (s.obj @ table) * (1 if goal == "min" else -1) > 0:  # trends this way
                    t = _table_tail(u, table, s, indicator)
                    if better(t, inc_tail):
                        inc_x, inc_tail = table, t
            ub = s.upper(margins)
            tasks[(direction, goal)] = base | {"x": inc_x, "tail": inc_tail, "done": False, "ub": ub,
                                               "threshold": _threshold(goal, ub, value)}
    open_tasks = [k for k, t in tasks.items() if not t["done"]]
    if open_tasks:
        thresholds = np.column_stack([tasks[k]["threshold"] for k in open_tasks])
        # a margin matters to a search only if its bound can still beat that search's best table
        # min searches: margins whose lower bound is below the best p found; max searches: every
        # margin whose upper bound is above it (kept whole, so a sharper bound is a lookup)
        limits = [tasks[k]["tail"] if tasks[k]["goal"] == "min" else np.iinfo(np.int64).max for k in open_tasks]
        tails, _, dists = margin_tails(sizes, [1, 2, 3], _values(), margins, thresholds, keep_below=limits)
        for j, k in enumerate(open_tasks):
            _refine(tasks[k], margins, tails[:, j], dists, u, indicator)
    return {k: {"tail": int(t["tail"]), "total": int(t["total"]), "x": t["x"], "milp": t["search"].milp_solves,
                "lp": t["search"].lp_solves, "margins": 0 if margins is None else len(margins)}
            for k, t in tasks.items()}


def _alpha_limit(total: int, alpha: float) -> int:
    """The largest tail count whose p-value is at most ``alpha``: floor(alpha x total), exactly."""
    a = Fraction(str(alpha))
    return total * a.numerator // a.denominator


def beyond_alpha(model: RecordModel, indicator: str, direction: str, goal: str = "min",
                 alpha: float = ALPHA) -> np.ndarray | None:
    """A consistent table that is significant (``goal="min"``) or not significant (``"max"``) at ``alpha`` for
    a trend ``direction`` on ``indicator``, or None when there is none.

    The decision form of the exact search of :func:`trend_bounds`: the same margins and bounds, with the
    level itself as the table to beat, so every margin whose bound cannot cross the level is never
    solved. ``None`` for ``"min"`` is the verdict *impossible* (p_min > alpha); for ``"max"``, *forced*.
    A table that does not trend that way counts as not significant (p = 1).

    Parameters
    ----------
    model : RecordModel
        The tables admitted.
    indicator : str
        The quality indicator.
    direction : str
        ``"up"`` or ``"down"``.
    goal : str, optional
        ``"min"``: find a table with p <= alpha trending that way; ``"max"``: one with p > alpha (or no
        trend that way).
    alpha : float, optional
        The level (default :data:`ALPHA`).

    Returns
    -------
    numpy.ndarray or None
        A 0/1 solution vector (length ``D.NVAR``), or None.

    Raises
    ------
    Infeasible
        If the record admits no grade table.

    Examples
    --------
    With no constraints, every table is admitted: some trend up significantly and some not at all.

    >>> model = RecordModel([], "no constraints")
    >>> x = beyond_alpha(model, "1.1", "up")
    >>> from analysis.stats.exact import lbl_exact
    >>> test = lbl_exact(group_scores(), column(x, "1.1"))
    >>> test["tail_two_sided"] * 20 <= test["n_assignments"]  # p <= 1/20
    True
    >>> beyond_alpha(model, "1.1", "up", "max") is not None
    True
    """
    u = group_scores()
    sizes = [int((u == k).sum()) for k in range(1, len(areas.PERIOD_GROUPS) + 1)]
    sign = 1 if direction == DIRECTIONS[0] else -1
    pinned = _pinned(model, indicator)
    if len(D.P) - len(pinned) <= ENUMERATE:
        return _enumerated(model, indicator, sign, goal, alpha, pinned)
    s = _Search(model, indicator, sign if goal == "min" else -sign)
    best = s.maximise()
    if best is None:
        raise Infeasible("the record admits no grade table")
    value, x = best
    if goal == "min" and value <= 0:
        return None  # no table trends this way
    if goal == "max" and value >= 0:
        return x  # a table with no trend this way: p = 1
    total = math.factorial(len(u)) // math.prod(math.factorial(n) for n in sizes)
    limit = _alpha_limit(total, alpha)
    # the table to beat: min, a tail of limit + 1 (beaten by tail <= limit); max, a tail of limit (beaten by more)
    task = {"search": s, "goal": goal, "x": None, "value": value, "tail": limit + 1 if goal == "min" else limit}
    better = _better(goal)
    margins = _candidate_margins(model, indicator, runs_from=RUNS_FROM)
    # the Lagrangian planes (a solve each) pay only when they can spare many margins their own solves
    for table in [x, *(s.lagrangian_planes() if len(margins) > PLANES_FROM else [])]:
        if (s.obj @ table) * (1 if goal == "min" else -1) > 0 and better(_table_tail(u, table, s, indicator),
                                                                          task["tail"]):
            return table
    ub = s.upper(margins)
    task["ub"] = ub
    thresholds = _threshold(goal, ub, value)[:, None]
    keep = [task["tail"] if goal == "min" else np.iinfo(np.int64).max]
    tails, _, dists = margin_tails(sizes, list(range(1, len(sizes) + 1)), _values(), margins, thresholds,
                                   keep_below=keep)
    _refine(task, margins, tails[:, 0], dists, u, indicator)
    return task["x"]


#: :func:`beyond_alpha` checks the runs of adjacent grades' counts (two solves a run) only when the grades'
#: own count ranges leave more than this many margins, and computes the Lagrangian planes only when more
#: than ``PLANES_FROM`` margins are left: otherwise solving the few margins costs less.
RUNS_FROM, PLANES_FROM = 32, 8

#: With at most this many of an indicator's cells not pinned to one grade by a stated cell, :func:`beyond_alpha`
#: tries their grades one combination at a time (6^3 columns) instead of searching margins.
ENUMERATE = 3


def _pinned(model: RecordModel, indicator: str) -> dict[str, int]:
    """The partnerships whose grade on ``indicator`` a group in force states (a one-cell row equal to 1): their
    grade's index."""
    out = {}
    for g in model.active:
        for row in g.rows:
            idx, coef, lo, hi = row_parts(row)
            if len(idx) == 1 and lo == hi == 1 and coef[0] == 1:
                cell, k = divmod(int(idx[0]), D.NG)
                a, b = divmod(cell, D.NI)
                if b == D.II[indicator]:
                    out[D.P[a]] = k
    return out


def _enumerated(model, indicator, sign, goal, alpha, pinned) -> np.ndarray | None:
    """:func:`beyond_alpha` by trying every grade of the cells not pinned (worst first, in the schedule's order):
    the first column on the wanted side of ``alpha`` that a consistent table has."""
    import itertools

    u = group_scores()
    free = [p for p in D.P if p not in pinned]
    col = np.array([pinned.get(p, 0) + 1 for p in D.P])
    for combo in itertools.product(range(D.NG), repeat=len(free)):
        for p, k in zip(free, combo):
            col[D.PI[p]] = k + 1
        dist = distribution(u, col)
        t = int(u @ col)
        trending = (dist.n * t - dist.sum_u * dist.sum_v) * sign > 0
        tail = dist.tail(t)[0] if trending else dist.total
        limit = _alpha_limit(dist.total, alpha)
        if (goal == "min" and trending and tail <= limit) or (goal == "max" and tail > limit):
            x = model.solve(extra=[(np.array([var(p, indicator, D.G[col[D.PI[p]] - 1])]), 1, 1) for p in free])
            if x is not None:
                return x
    return None


def no_trend_row(indicator: str, direction: str) -> tuple:
    """A constraint row: the table does not trend ``direction`` on ``indicator`` (sign x n C <= 0).

    Parameters
    ----------
    indicator : str
        The quality indicator.
    direction : str
        ``"up"`` or ``"down"``.

    Returns
    -------
    tuple
        ``(indices, coefficients, -inf, 0)``, as in :class:`analysis.record.model.Group`.

    Examples
    --------
    >>> idx, coef, lo, hi = no_trend_row("1.1", "up")
    >>> len(idx), hi  # every partnership's six grades of 1.1
    (192, 0)
    """
    u = group_scores()
    sign = 1 if direction == DIRECTIONS[0] else -1
    coef = _cell_coef(indicator, sign * (len(u) * u - int(u.sum())))
    idx = np.nonzero(coef)[0]
    return idx, coef[idx], -np.inf, 0


def _better(goal):
    return (lambda a, b: a < b) if goal == "min" else (lambda a, b: a > b)


def _threshold(goal: str, ub: np.ndarray, value: float) -> np.ndarray:
    """The |nC| at which a margin's tail bounds every consistent table with that margin.

    min: ``ub`` bounds sign*nC from above, so |nC| >= ub is the most extreme the margin allows (a
    lower bound on its tail; 0 or less: no table of that margin trends this way, tail = total).
    max: ``ub`` bounds -sign*nC from above, so sign*nC >= -ub, and >= -value (the least any table
    reaches, > 0): an upper bound on the margin's tail."""
    if goal == "min":
        return ub
    return np.maximum(-ub, int(round(-value)))


def _table_tail(u, table, s: _Search, indicator: str) -> int:
    margin = np.bincount(column(table, indicator), minlength=D.NG + 1)[1:]
    return _tail(u, margin, int(abs(round(s.obj @ table))))


def _refine(task: dict, margins: np.ndarray, tails: np.ndarray, dists: dict, u, indicator: str) -> None:
    """Best-first over the margins whose bound beats the best table found: sharpen the bound (new
    planes, then one LP), and solve the margin exactly only when the sharp bound still beats it.
    ``dists`` holds the null distribution of every margin that can enter the search."""
    s, goal = task["search"], task["goal"]
    better = _better(goal)
    key = (lambda t: t) if goal == "min" else (lambda t: -t)  # its own inverse
    heap = [(key(int(t)), i) for i, t in enumerate(tails) if better(int(t), task["tail"])]
    heapq.heapify(heap)
    current = {i: int(task["ub"][i]) for _, i in heap}
    seen_planes = {}  # margin -> number of planes when its bound was last computed
    n_planes0 = len(s.planes)
    lp_done = set()
    while heap:
        k, i = heapq.heappop(heap)
        if not better(key(k), task["tail"]):
            break
        m = margins[i]
        new_ub = current[i]
        if seen_planes.get(i, n_planes0) < len(s.planes):
            new_ub = int(s.upper(m[None, :])[0])
        seen_planes[i] = len(s.planes)
        if new_ub < current[i]:  # planes added since: a sharper bound
            current[i] = new_ub
            t = dists[i].tail(int(_threshold(goal, np.array([new_ub]), task["value"])[0]))
            if better(t, task["tail"]):
                heapq.heappush(heap, (key(t), i))
            continue
        if i not in lp_done:
            lp_done.add(i)
            if s.lp_plane(m) is not None:
                heapq.heappush(heap, (k, i))  # examined again with the new plane
            continue  # None: no table, even a fractional one, has this margin
        res = s.maximise(m)
        if res is None:
            continue
        value, table = res
        if goal == "min" and value <= 0:
            continue
        t = _table_tail(u, table, s, indicator)
        if better(t, task["tail"]):
            task["x"], task["tail"] = table, t


def _linear_bounds(model: RecordModel, indicator: str) -> tuple[dict, dict]:
    u = group_scores()
    out, witnesses = {}, {}
    quantities = {}
    for k, g in enumerate(areas.PERIOD_GROUPS, start=1):
        quantities[f"mean_{g.replace('-', '_')}"] = np.where(u == k, 1 / (u == k).sum(), 0.0)
    last, first = len(areas.PERIOD_GROUPS), 1
    quantities["mean_diff"] = (np.where(u == last, 1 / (u == last).sum(), 0.0)
                               - np.where(u == first, 1 / (u == first).sum(), 0.0))
    quantities["centred_statistic"] = u - u.mean()
    for name, weight in quantities.items():
        coef = _cell_coef(indicator, weight)
        hi, x_hi = model.maximise(coef)
        lo_neg, x_lo = model.maximise(-coef)
        out[f"{name}_min"], out[f"{name}_max"] = float(weight @ column(x_lo, indicator)), \
            float(weight @ column(x_hi, indicator))
        # the witness published: the canonical table attaining the bound (the same on every machine)
        whole = _integer_weights(weight)
        for bound, x in ((f"{name}_min", x_lo), (f"{name}_max", x_hi)):
            witnesses[bound] = model.canonical(indicator, [_fix(indicator, whole, int(whole @ column(x, indicator)))])
    return out, witnesses


def _integer_weights(weight: np.ndarray) -> np.ndarray:
    """``weight`` scaled to the smallest integers with the same ratios (a mean's 1/11 becomes 1)."""
    fractions = [Fraction(float(w)).limit_denominator(10_000) for w in weight]
    scale_ = math.lcm(*(f.denominator for f in fractions))
    return np.array([int(f * scale_) for f in fractions], dtype=np.int64)


def _fix(indicator: str, weight: np.ndarray, value: int) -> tuple:
    """A constraint row: sum over partnerships of weight x grade value on ``indicator`` equals ``value``."""
    coef = _cell_coef(indicator, weight)
    idx = np.nonzero(coef)[0]
    return (idx, coef[idx], value, value)


def _same_margin_and_statistic(indicator: str, col: np.ndarray, u: np.ndarray) -> list:
    """Rows fixing what a p-value depends on: the indicator's grade counts and sum u x grade."""
    rows = [(np.array([var(p, indicator, g) for p in D.P]), int((col == v).sum()), int((col == v).sum()))
            for v, g in zip(_values(), scale.GRADES)]
    return rows + [_fix(indicator, u, int(u @ col))]


def _describe(values: np.ndarray) -> str:
    """Grade counts of one period group's cells, best first: '2 Very good, 5 Good, 4 Adequate'."""
    counts = np.bincount(values, minlength=D.NG + 1)[1:]
    return ", ".join(f"{counts[k]} {scale.GRADES[k]}" for k in range(len(counts) - 1, -1, -1) if counts[k])


@cached
def trend_bounds(model: RecordModel, alpha: float = ALPHA) -> dict[str, pd.DataFrame]:
    """Exact trend bounds per indicator over every table ``model`` admits.

    Returns three frames:

    - ``bounds``: one row per indicator x direction: p_min, p_max (two-sided exact p-values as
      floats), their exact fractions (``p_min_exact``: tail/total), verdict, and for each bound the
      witness's grade counts per period group;
    - ``linear``: one row per indicator: min and max of each group's mean grade, of the post-2016
      minus pre-2014 difference and of the centred statistic;
    - ``witnesses``: for every bound, the indicator's 32 grades in a consistent table attaining it
      (indicator, bound, direction, then one column per partnership in Appendix 4 order, grades
      abbreviated E, VG, G, A, W, U).

    With a :class:`~analysis.record.cache.ResultsCache` on ``model.cache`` the result is read from
    (or written to) the cache.

    Parameters
    ----------
    model : RecordModel
        The tables admitted: the public record (:meth:`RecordModel.from_record`) or a complete table
        (:meth:`RecordModel.from_grades`).
    alpha : float, optional
        The significance level of the verdicts (default :data:`ALPHA`, 0.05).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``bounds``: columns indicator, direction (``up`` or ``down``), p_min, p_max, verdict
        (``forced``, ``possible`` or ``impossible``), alpha, p_min_exact, p_max_exact (``"tail/total"``,
        or ``"1"`` for a table with no trend that way), p_min_witness and p_max_witness (the witness's
        grade counts per period group); two rows per indicator.
        ``linear``: columns indicator, then ``<quantity>_min`` and ``<quantity>_max`` for
        mean_pre_2014, mean_2014_16, mean_post_2016, mean_diff (post-2016 minus pre-2014) and
        centred_statistic; one row per indicator.
        ``witnesses``: columns indicator, bound (``mean_pre_2014_min`` ... ``p_min``, ``p_max``),
        direction ("" for the linear bounds), then one column per partnership.

    Examples
    --------
    On a complete table every bound is the table's own value: for the direction the table trends
    (the sign of n C), p_min = p_max = its exact two-sided p-value, and 1 the other way. Even then the
    search solves several hundred integer programs (some seconds), so this example computes the
    value it returns directly. On indicator 1.1 partnership k graded ``scale.grades()[k % 6]`` has
    the value k % 6 + 1; T = 36 + 2 x 42 + 3 x 30 = 210:

    >>> from analysis.stats.exact import lbl_exact
    >>> u, v = group_scores(), np.arange(32) % 6 + 1
    >>> 32 * int(u @ v) - int(u.sum()) * int(v.sum())  # n C = 32 x 210 - 62 x 108 > 0: it trends up
    24
    >>> test = lbl_exact(u, v)
    >>> test["n_assignments"] == math.factorial(32) // (math.factorial(11) * math.factorial(12) * math.factorial(9))
    True
    >>> f"{test['tail_two_sided']}/{test['n_assignments']}"  # p_min_exact = p_max_exact of 1.1 up
    '36024062900090/37924165406400'
    """
    u = group_scores()
    rows, linear_rows, witness_rows = [], [], []

    def add_witness(indicator, bound, direction, x):
        col = column(x, indicator)
        witness_rows.append({"indicator": indicator, "bound": bound, "direction": direction}
                            | {p: scale.ABBREVIATIONS_OF[scale.GRADES[col[a] - 1]] for a, p in enumerate(D.P)})
        return col

    for ind in indicators.INDICATORS:
        linear, lin_w = _linear_bounds(model, ind)
        linear_rows.append({"indicator": ind, **linear})
        for name, x in lin_w.items():
            add_witness(ind, name, "", x)
        searches = _searches(model, ind)
        for direction, sign in zip(DIRECTIONS, (1, -1)):
            row = {"indicator": ind, "direction": direction}
            for goal in ("min", "max"):
                res = searches[(direction, goal)]
                found = column(res["x"], ind)
                # the canonical table with the same grade counts and statistic: the same p-value
                col = add_witness(ind, f"p_{goal}", direction,
                                  model.canonical(ind, _same_margin_and_statistic(ind, found, u)))
                dist = distribution(u, col)
                t = int(u @ col)
                nc = dist.n * t - dist.sum_u * dist.sum_v
                trending = nc * sign > 0
                tail = dist.tail(t)[0] if trending else dist.total
                if tail != res["tail"]:
                    raise AssertionError(f"witness for {ind} {direction} p_{goal} does not reproduce its p-value")
                row[f"p_{goal}"] = tail / dist.total
                row[f"p_{goal}_exact"] = f"{tail}/{dist.total}" if trending else "1"
                row[f"p_{goal}_witness"] = "; ".join(
                    f"{g}: {_describe(col[u == k])}" for k, g in enumerate(areas.PERIOD_GROUPS, start=1))
            row["verdict"] = ("forced" if row["p_max"] <= alpha else
                              "impossible" if row["p_min"] > alpha else "possible")
            rows.append(row)
    bounds = pd.DataFrame(rows)
    cols = ["indicator", "direction", "p_min", "p_max", "verdict", "p_min_exact", "p_max_exact",
            "p_min_witness", "p_max_witness"]
    bounds = bounds[cols]
    bounds.insert(5, "alpha", alpha)
    return {"bounds": bounds, "linear": pd.DataFrame(linear_rows), "witnesses": pd.DataFrame(witness_rows)}
