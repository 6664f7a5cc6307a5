"""The exact conditional linear-by-linear test, by dynamic programming (the shift algorithm).

Units (partnerships) carry an integer group score ``u`` (period group 1, 2, 3) and an integer
grade score ``v`` (1 = Unsatisfactory ... 6 = Excellent). Under the null hypothesis of no
association every assignment of the group labels to the units, with the group sizes fixed, is
equally likely; this is the permutation distribution conditional on both margins (the group
sizes and the grade counts), as in StatXact and R's ``coin::lbl_test(distribution = "exact")``.

The statistic is ``T = sum u * v``; its centred form ``C = T - E[T]`` with ``E[T] = sum(u) *
sum(v) / n``. Working with ``n * C = n * T - sum(u) * sum(v)`` keeps every comparison in
integers, so ties are exact. The distribution is counted, not sampled: a state is (how many
units each group has received so far, the partial sum ``W = sum (u - u_min) * v``) and each unit
moves the counts of every state to K successor states (one per group), so the work is
n x K shifted array additions. Counts are integers (``int64`` while 3^n fits, Python integers
beyond), so a p-value is an exact fraction: ``tail / total`` with ``total = n! / prod(n_k!)``.

p-values:

- two-sided: P(|C| >= |c|);
- ``up`` (one-sided, higher grades in later groups): P(T >= t);
- ``down``: P(T <= t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from analysis.errors import UsageError

__all__ = ["Distribution", "distribution", "lbl_exact"]


def _integers(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) == 0:
        raise UsageError(f"{name} must be a non-empty one-dimensional sequence")
    as_int = np.rint(arr.astype(float)).astype(np.int64)
    if not np.array_equal(as_int, arr.astype(float)):
        raise UsageError(f"{name} must be integer scores; got {values!r}")
    return as_int


@dataclass(frozen=True)
class Distribution:
    """The exact permutation distribution of ``T`` given the group sizes and the grade scores.

    ``t`` holds the attainable values of T (ascending) and ``counts`` the number of label
    assignments giving each; ``total`` their sum. ``sum_u``, ``sum_v`` and ``n`` give the centre.

    Parameters
    ----------
    t : numpy.ndarray
        The attainable values of T, ascending (int64).
    counts : numpy.ndarray
        How many assignments give each value of ``t`` (int64, or Python integers in an object array
        when the counts may not fit).
    total : int
        The number of assignments, n! / prod(n_k!).
    n : int
        The number of units.
    sum_u, sum_v : int
        The sums of the group and grade scores.

    Examples
    --------
    Two units in each of two groups, grades 1 to 4: the second group's pair of grades is one of
    the six pairs, T = 10 + its sum (13, 14, 15, 15, 16, 17) and E[T] = 6 x 10 / 4 = 15.

    >>> dist = distribution([1, 1, 2, 2], [1, 2, 3, 4])
    >>> dist.t.tolist(), dist.counts.tolist(), dist.total
    ([13, 14, 15, 16, 17], [1, 1, 2, 1, 1], 6)
    >>> dist.nc.tolist()  # 4 T - 6 x 10
    [-8, -4, 0, 4, 8]
    >>> dist.tail(17), dist.tail(17, "up"), dist.tail(14, "down")
    ((2, 6), (1, 6), (2, 6))
    >>> round(dist.p_value(17), 4)
    0.3333
    """

    t: np.ndarray
    counts: np.ndarray
    total: int
    n: int
    sum_u: int
    sum_v: int

    @property
    def nc(self) -> np.ndarray:
        """n * C for each attainable T (integers).

        Returns
        -------
        numpy.ndarray
            ``n * t - sum_u * sum_v``, aligned with :attr:`t`.
        """
        return self.n * self.t - self.sum_u * self.sum_v

    def count_where(self, mask) -> int:
        """How many assignments have a T where ``mask`` (over :attr:`t`) is true.

        Parameters
        ----------
        mask : numpy.ndarray
            Boolean, aligned with :attr:`t`.

        Returns
        -------
        int
            The sum of :attr:`counts` where ``mask`` holds (exact).
        """
        return int(sum(int(c) for c in self.counts[mask])) if self.counts.dtype == object \
            else int(self.counts[mask].sum())

    def tail(self, t_obs: int, alternative: str = "two-sided") -> tuple[int, int]:
        """(number of assignments as or more extreme than ``t_obs``, total).

        Parameters
        ----------
        t_obs : int
            The observed statistic T.
        alternative : {"two-sided", "up", "down"}, optional
            ``two-sided``: |C| >= |c| (default); ``up``: T >= t_obs; ``down``: T <= t_obs.

        Returns
        -------
        tuple of (int, int)
            The tail count and :attr:`total`.

        Raises
        ------
        analysis.errors.UsageError
            If ``alternative`` is not one of the three.
        """
        if alternative == "two-sided":
            nc_obs = abs(self.n * int(t_obs) - self.sum_u * self.sum_v)
            return self.count_where(np.abs(self.nc) >= nc_obs), self.total
        if alternative == "up":
            return self.count_where(self.t >= t_obs), self.total
        if alternative == "down":
            return self.count_where(self.t <= t_obs), self.total
        raise UsageError(f"alternative must be 'two-sided', 'up' or 'down', not {alternative!r}")

    def p_value(self, t_obs: int, alternative: str = "two-sided") -> float:
        """The exact p-value of ``t_obs``: :meth:`tail` divided by :attr:`total`.

        Parameters
        ----------
        t_obs : int
            The observed statistic T.
        alternative : {"two-sided", "up", "down"}, optional
            As in :meth:`tail` (default two-sided).

        Returns
        -------
        float
            The p-value, the nearest float to the exact fraction.

        Raises
        ------
        analysis.errors.UsageError
            If ``alternative`` is not one of the three.
        """
        k, total = self.tail(t_obs, alternative)
        return float(Fraction(k, total))


def distribution(u, v) -> Distribution:
    """The exact distribution of ``T = sum u * v`` over all assignments of the labels ``u`` to the
    units with scores ``v`` (the multiset of ``u`` fixed). Both must be integer scores.

    Parameters
    ----------
    u : array_like of int
        Each unit's group score.
    v : array_like of int
        Each unit's grade score, the same length.

    Returns
    -------
    Distribution
        The attainable values of T with the number of assignments giving each.

    Raises
    ------
    analysis.errors.UsageError
        If ``u`` or ``v`` is empty, not one-dimensional or not integer, or their lengths differ.

    Examples
    --------
    Three units, one of them in group 2: T = (1 + 2 + 3) + the grade of that unit, which is any of
    the three with equal chance.

    >>> dist = distribution([1, 1, 2], [1, 2, 3])
    >>> dict(zip(dist.t.tolist(), dist.counts.tolist())), dist.total
    ({7: 1, 8: 1, 9: 1}, 3)
    >>> distribution([1, 2], [1.5, 2])
    Traceback (most recent call last):
        ...
    analysis.errors.UsageError: v must be integer scores; got [1.5, 2]
    """
    u, v = _integers(u, "u"), _integers(v, "v")
    if len(u) != len(v):
        raise UsageError(f"u and v differ in length ({len(u)} and {len(v)})")
    levels, sizes = np.unique(u, return_counts=True)
    n = len(v)
    base = int(levels[0])
    off = [int(x) - base for x in levels]
    vmin = int(v.min())
    w_shift = [int(x) - vmin for x in v]  # W counted from v - vmin, so every index is >= 0
    dims = tuple(int(s) + 1 for s in sizes[1:])
    wmax = max(off) * sum(w_shift)
    dtype = np.int64 if n * math.log(len(levels)) < 62 * math.log(2) else object
    A = np.zeros(dims + (wmax + 1,), dtype=dtype)
    A[(0,) * len(dims) + (0,)] = 1
    for x in w_shift:
        B = A.copy()  # the unit goes to the first group: no change
        for k in range(1, len(levels)):
            s = off[k] * x
            src = [slice(None)] * len(dims) + [slice(0, wmax + 1 - s)]
            dst = [slice(None)] * len(dims) + [slice(s, wmax + 1)]
            src[k - 1], dst[k - 1] = slice(0, dims[k - 1] - 1), slice(1, dims[k - 1])
            B[tuple(dst)] += A[tuple(src)]
        A = B
    final = A[tuple(d - 1 for d in dims)]
    nz = np.nonzero(final)[0]
    # T = base * sum(v) + sum (u - base) * v = base * sum(v) + W' + vmin * sum(u - base)
    t0 = base * int(v.sum()) + vmin * sum(off[k] * int(sizes[k]) for k in range(len(levels)))
    counts = final[nz]
    total = math.factorial(n) // math.prod(math.factorial(int(s)) for s in sizes)
    return Distribution(t=t0 + nz.astype(np.int64), counts=counts, total=total, n=n,
                        sum_u=int(u.sum()), sum_v=int(v.sum()))


def lbl_exact(u, v) -> dict:
    """The exact linear-by-linear test of scores ``u`` (groups) and ``v`` (grades).

    Returns statistic (T), expected (E[T]), r (Pearson), m2 = (n - 1) r^2 with its asymptotic
    chi-square p-value (1 df, for comparison only), and the exact p-values p_exact (two-sided),
    p_up and p_down, with n_assignments (the number of equally likely label assignments) and
    tail_two_sided (how many of them are as or more extreme: p_exact = tail / n_assignments).

    Parameters
    ----------
    u : array_like of int
        Each unit's group score (period group 1, 2, 3).
    v : array_like of int
        Each unit's grade score (1 to 6), the same length.

    Returns
    -------
    dict
        ``statistic`` (int), ``expected`` (float), ``r`` (float, 0 when either score is constant),
        ``m2``, ``p_asymptotic``, ``p_exact``, ``p_up``, ``p_down`` (floats), ``tail_two_sided`` and
        ``n_assignments`` (ints).

    Raises
    ------
    analysis.errors.UsageError
        If the scores are empty, not integer or of different lengths.

    Examples
    --------
    Two units in each of two groups, the higher grades in the second:
    T = 1 x 1 + 1 x 2 + 2 x 3 + 2 x 4 = 17 and E[T] = 6 x 10 / 4 = 15.

    >>> u, v = [1, 1, 2, 2], [1, 2, 3, 4]
    >>> res = lbl_exact(u, v)
    >>> res["statistic"], res["expected"], res["tail_two_sided"], res["n_assignments"]
    (17, 15.0, 2, 6)
    >>> round(res["p_exact"], 4), round(res["p_up"], 4), res["p_down"]
    (0.3333, 0.1667, 1.0)

    The same by listing every distinct assignment of the labels: two of the six are at least as far
    from E[T] as the one observed (T = 13 and 17), and one is at least as high (17).

    >>> from itertools import permutations
    >>> ts = [int(np.dot(labels, v)) for labels in set(permutations(u))]
    >>> sorted(ts)
    [13, 14, 15, 15, 16, 17]
    >>> sum(abs(t - 15) >= abs(17 - 15) for t in ts), sum(t >= 17 for t in ts), len(ts)
    (2, 1, 6)
    """
    from scipy import stats

    u, v = _integers(u, "u"), _integers(v, "v")
    dist = distribution(u, v)
    t_obs = int(u @ v)
    n = len(u)
    r = float(np.corrcoef(u, v)[0, 1]) if u.std() > 0 and v.std() > 0 else 0.0
    m2 = (n - 1) * r * r
    tail, total = dist.tail(t_obs)
    return {"statistic": t_obs, "expected": dist.sum_u * dist.sum_v / n, "r": r, "m2": m2,
            "p_asymptotic": float(stats.chi2.sf(m2, 1)),
            "p_exact": float(Fraction(tail, total)), "p_up": dist.p_value(t_obs, "up"),
            "p_down": dist.p_value(t_obs, "down"), "tail_two_sided": tail, "n_assignments": total}


@lru_cache(maxsize=64)
def _last_level(c_last: int, sizes: tuple[int, ...], off: tuple[int, ...], x: int):
    """How ``c_last`` units of (shifted) score ``x`` split between the groups: for each split
    (a_1..a_K), the state it must come from (n_k - a_k for k >= 2, as a flat index), its W shift
    and its weight (the multinomial coefficient)."""
    K = len(sizes)
    idx, shift, weight = [], [], []

    def rec(k, left, parts):
        if k == K - 1:
            a = parts + [left]
            if left <= sizes[k]:
                idx.append(tuple(sizes[j] - a[j] for j in range(1, K)))
                shift.append(x * sum(off[j] * a[j] for j in range(K)))
                weight.append(math.factorial(c_last) // math.prod(math.factorial(q) for q in a))
            return
        for q in range(0, min(left, sizes[k]) + 1):
            rec(k + 1, left - q, parts + [q])

    rec(0, c_last, [])
    idx = np.array(idx, dtype=np.int64).reshape(-1, K - 1)
    flat = np.ravel_multi_index(idx.T, tuple(s + 1 for s in sizes[1:]))
    return flat, np.array(shift, np.int64), np.array(weight, np.int64)


def margin_tails(sizes, group_scores, grade_scores, margins, nc_thresholds, keep_below=None):
    """For many grade-count margins at once: the number of assignments with |n C| >= threshold.

    ``sizes``/``group_scores``: the groups; ``grade_scores``: the integer score of each grade
    level; ``margins``: an (m, L) integer array of grade counts (each row sums to n);
    ``nc_thresholds``: (m,) or (m, k) integers, k thresholds per margin. Returns (tails, total),
    ``tails`` an int64 array shaped like ``nc_thresholds``.

    The margins are visited depth first over the grade levels, so margins sharing a prefix share
    its dynamic-programming state. The state is kept cumulated over W (a shift commutes with the
    cumulative sum), so the last level is folded in by a gather over its splits, with no pass
    over the whole state. Only for ``int64``-sized problems (3^n < 2^62), as n = 32 is.

    ``keep_below`` (k limits, one per threshold column): also return, for every margin whose
    tail is below the limit in some column, its whole null distribution as a :class:`MarginTail`,
    so that its tail at another threshold costs a lookup. Then returns (tails, total, kept), kept
    a dict from margin row to :class:`MarginTail`.

    Parameters
    ----------
    sizes : sequence of int
        The number of units in each group.
    group_scores : sequence of int
        Each group's integer score, in the order of ``sizes``.
    grade_scores : sequence of int
        The integer score of each grade level (L levels).
    margins : array_like of int
        Shape (m, L): each row the number of units at each grade level, summing to ``sum(sizes)``.
    nc_thresholds : array_like of int
        Shape (m,) or (m, k): the thresholds on |n C| for each margin.
    keep_below : array_like of int, optional
        k limits, one per threshold column: keep the null distribution of every margin whose tail is
        below the limit in some column.

    Returns
    -------
    tails : numpy.ndarray
        int64, shaped like ``nc_thresholds``: the number of assignments with |n C| >= the threshold
        (all of them for a threshold of 0 or less).
    total : int
        The number of assignments, n! / prod(n_k!).
    kept : dict of int to MarginTail
        Only with ``keep_below``: the kept margins' distributions, by row of ``margins``.

    Raises
    ------
    analysis.errors.UsageError
        If K^n (K groups, n units) reaches 2^62, too many assignments for int64 counts (use
        :func:`distribution`).

    Examples
    --------
    Two units in each of two groups and two margins of grade scores 1 to 4: grades 1, 2, 3, 4
    (n C = -8, -4, 0, 4, 8 in 1, 1, 2, 1, 1 assignments) and grades 2, 2, 4, 4 (n C = -8, 0, 8 in
    1, 4, 1):

    >>> margins = [[1, 1, 1, 1], [0, 2, 0, 2]]
    >>> tails, total = margin_tails((2, 2), [1, 2], [1, 2, 3, 4], margins, [[8, 4, 0], [8, 4, 0]])
    >>> tails.tolist(), total
    ([[2, 4, 6], [2, 2, 6]], 6)
    >>> dist = distribution([1, 1, 2, 2], [2, 2, 4, 4])  # the second margin, one at a time
    >>> [dist.count_where(np.abs(dist.nc) >= t) for t in (8, 4, 0)]
    [2, 2, 6]
    >>> tails, total, kept = margin_tails((2, 2), [1, 2], [1, 2, 3, 4], margins, [8, 8], keep_below=[3])
    >>> sorted(kept), kept[0].tail(4)
    ([0, 1], 4)
    """
    sizes = tuple(int(s) for s in sizes)
    order = np.argsort(group_scores)
    sizes = tuple(sizes[i] for i in order)
    gs = [int(group_scores[i]) for i in order]
    base = gs[0]
    off = tuple(g - base for g in gs)
    K, n = len(sizes), sum(sizes)
    if n * math.log(K) >= 62 * math.log(2):
        raise UsageError("margin_tails works in int64; use distribution() for larger problems")
    grade_scores = [int(x) for x in grade_scores]
    vmin = min(grade_scores)
    xs = [x - vmin for x in grade_scores]
    L = len(xs)
    margins = np.asarray(margins, dtype=np.int64).reshape(-1, L)
    thresholds = np.asarray(nc_thresholds, dtype=np.int64)
    single = thresholds.ndim == 1
    thresholds = thresholds.reshape(len(margins), -1)
    # the widest-ranging grade level last (folded in by the gather, no DP steps) and the next
    # widest before it: fewer steps; the distribution does not depend on the order of the levels
    spread = margins.max(axis=0) - margins.min(axis=0) if len(margins) else np.zeros(L)
    level_order = np.argsort(spread, kind="stable")
    margins = margins[:, level_order]
    grade_scores = [grade_scores[j] for j in level_order]
    xs = [xs[j] for j in level_order]
    dims = tuple(s + 1 for s in sizes[1:])
    wmax = max(xs) * sum(o * s for o, s in zip(off, sizes))  # the largest W any assignment reaches
    total = math.factorial(n) // math.prod(math.factorial(s) for s in sizes)
    sum_u = sum(g * s for g, s in zip(gs, sizes))
    tails = np.zeros(thresholds.shape, dtype=np.int64)
    const_shift = vmin * sum(o * s for o, s in zip(off, sizes))
    scores = np.array(grade_scores, dtype=np.int64)

    def moves(x):
        out = []
        for k in range(1, K):
            s = off[k] * x
            src = [slice(None)] * len(dims) + [slice(0, wmax + 1 - s)]
            dst = [slice(None)] * len(dims) + [slice(s, wmax + 1)]
            src[k - 1], dst[k - 1] = slice(0, dims[k - 1] - 1), slice(1, dims[k - 1])
            out.append((tuple(dst), tuple(src)))
        return out

    level_moves = [moves(x) for x in xs]

    def step(A, level):
        B = A.copy()
        for dst, src in level_moves[level]:
            B[dst] += A[src]
        return B

    perm = np.lexsort(margins[:, ::-1].T)
    sorted_m = margins[perm]
    flat_dims = int(np.prod(dims))
    grid = np.arange(wmax + 1)
    kept = {}
    if keep_below is not None:
        keep_below = np.asarray(keep_below, dtype=np.int64).reshape(-1)

    def evaluate(cum, r):
        mg = sorted_m[r]
        flat, shift, weight = _last_level(int(mg[-1]), sizes, off, xs[-1])
        cum2 = cum.reshape(flat_dims, wmax + 1)
        s1 = int(mg @ scores)
        # n*T - sum_u*S1 with T = base*S1 + W + const_shift, W the shifted partial sum
        a = n * (base * s1 + const_shift) - sum_u * s1
        thr = thresholds[perm[r]]
        # |n W + a| >= thr  <=>  W >= ceil((thr - a)/n)  or  W <= floor((-thr - a)/n)
        w_hi = -((a - thr) // n)
        w_lo = (-thr - a) // n
        w = np.concatenate([w_hi - 1, w_lo])
        pos = w[:, None] - shift[None, :]
        vals = cum2[flat[None, :], np.minimum(np.maximum(pos, 0), wmax)]
        vals[pos < 0] = 0
        le = (vals * weight[None, :]).sum(axis=1)
        k = len(thr)
        out = np.where(thr <= 0, total, (total - le[:k]) + le[k:])
        tails[perm[r]] = out
        if keep_below is not None and (out < keep_below).any():
            pos = grid[None, :] - shift[:, None]
            vals = cum2[flat[:, None], np.minimum(np.maximum(pos, 0), wmax)]
            vals[pos < 0] = 0
            kept[int(perm[r])] = MarginTail((weight[:, None] * vals).sum(axis=0), a, n, total)

    def walk(A, level, lo, hi):
        # rows lo..hi-1 of sorted_m share their counts for the levels before ``level``
        if level == L - 1:
            for r in range(lo, hi):
                evaluate(A, r)
            return
        c = 0
        start = lo
        while start < hi:
            target = int(sorted_m[start, level])
            while c < target:
                A = step(A, level)
                c += 1
            end = start
            while end < hi and sorted_m[end, level] == target:
                end += 1
            walk(A, level + 1, start, end)
            start = end

    A0 = np.zeros(dims + (wmax + 1,), dtype=np.int64)
    A0[(0,) * len(dims)] = 1  # cumulated over W: one assignment with W <= w for every w >= 0
    if len(margins):
        walk(A0, 0, 0, len(margins))
    tails = tails[:, 0] if single else tails
    return (tails, total) if keep_below is None else (tails, total, kept)


@dataclass(frozen=True)
class MarginTail:
    """One margin's null distribution, cumulated: ``cum[w]`` assignments have W <= w, and
    n C = n W + a. :meth:`tail` counts the assignments with |n C| >= a threshold.

    Made by :func:`margin_tails` (``keep_below``).

    Parameters
    ----------
    cum : numpy.ndarray
        ``cum[w]``: the number of assignments whose shifted partial sum W is at most w.
    a : int
        The offset: n C = n W + a.
    n : int
        The number of units.
    total : int
        The number of assignments.

    Examples
    --------
    Grades 1, 2, 3, 4 on two units in each of two groups: n C = -8, -4, 0, 4, 8 in 1, 1, 2, 1, 1 of
    the six assignments.

    >>> _, _, kept = margin_tails((2, 2), [1, 2], [1, 2, 3, 4], [[1, 1, 1, 1]], [8], keep_below=[7])
    >>> [kept[0].tail(t) for t in (9, 8, 4, 1, 0)]
    [0, 2, 4, 4, 6]
    """

    cum: np.ndarray
    a: int
    n: int
    total: int

    def tail(self, threshold: int) -> int:
        """The number of assignments with |n C| >= ``threshold``.

        Parameters
        ----------
        threshold : int
            The threshold on |n C|; 0 or less counts every assignment.

        Returns
        -------
        int
            The tail count (exact).
        """
        threshold = int(threshold)
        if threshold <= 0:
            return self.total
        w_hi = -((self.a - threshold) // self.n)
        w_lo = (-threshold - self.a) // self.n

        def le(w):
            return 0 if w < 0 else int(self.cum[min(w, len(self.cum) - 1)])

        return self.total - le(w_hi - 1) + le(w_lo)
