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


@lru_cache(maxsize=128)
def _splits(c: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Every way ``c`` units of one grade can split between the groups: (E, K) counts a_k <= n_k and the
    number of label assignments giving each (the multinomial coefficient)."""
    K = len(sizes)
    rows = []

    def rec(k, left, parts):
        if k == K - 1:
            if left <= sizes[k]:
                rows.append(parts + [left])
            return
        for q in range(min(left, sizes[k]) + 1):
            rec(k + 1, left - q, parts + [q])

    rec(0, c, [])
    weight = [math.factorial(c) // math.prod(math.factorial(q) for q in row) for row in rows]
    return np.array(rows, dtype=np.int64).reshape(-1, K), np.array(weight, dtype=np.int64)


def _rows(a: np.ndarray, sizes: tuple[int, ...], layout: tuple[int, ...]) -> np.ndarray:
    """The state row (flat, in ``layout``) that ``a`` units per group (each row of ``a``) must come
    from to end at the final corner: n_k - a_k units in group k, for the groups after the first."""
    need = np.array(sizes[1:], dtype=np.int64)[:, None] - a[:, 1:].T
    return np.ravel_multi_index(need, layout)


@lru_cache(maxsize=256)
def _last_levels(r: int, x: int, sizes: tuple[int, ...], off: tuple[int, ...], layout: tuple[int, ...],
                 row_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The last grade level as a gather, for r - c units of (shifted) score ``x``, c = 0 .. r: for each
    split of them between the groups, where the window of the state it completes starts (its row
    times ``row_len``, less its W shift) and its weight. The splits of r - c units are entries
    ``first[c]:first[c + 1]``, ``count[c]`` of them."""
    offs = np.array(off, dtype=np.int64)
    starts, weights, first = [], [], [0]
    for c in range(r + 1):
        a, weight = _splits(r - c, sizes)
        starts.append(_rows(a, sizes, layout) * row_len - x * (a @ offs))
        weights.append(weight)
        first.append(first[-1] + len(weight))
    first = np.array(first)
    return np.concatenate(starts), np.concatenate(weights), first, np.diff(first)


def margin_tails(sizes, group_scores, grade_scores, margins, nc_thresholds, keep_below=None):
    """For many grade-count margins at once: the number of assignments with |n C| >= threshold.

    ``sizes``/``group_scores``: the groups; ``grade_scores``: the integer score of each grade
    level; ``margins``: an (m, L) integer array of grade counts (each row sums to n);
    ``nc_thresholds``: (m,) or (m, k) integers, k thresholds per margin. Returns (tails, total),
    ``tails`` an int64 array shaped like ``nc_thresholds``.

    The margins are visited depth first over the grade levels, so margins sharing a prefix share
    its dynamic-programming state (how many units each group has so far, by the partial sum W).
    Margins that differ only in their last two counts (q and r - q) are done together in a few
    array operations: a chain of states, one step per unit of one of the two levels (only over the
    states from which the units left can still reach the final corner), then one gather over the
    splits of the other level gives each margin's whole distribution of W over its range, and its
    tails are read from it. Only for ``int64``-sized problems (3^n < 2^62), as n = 32 is.

    ``keep_below`` (k limits, one per threshold column): also return, for every margin whose
    tail is below the limit in some column, its whole null distribution as a :class:`MarginTail`,
    so that its tail at another threshold costs a lookup. Then returns (tails, total, kept), kept
    a dict from margin row to :class:`MarginTail`.

    Parameters
    ----------
    sizes : sequence of int
        The number of units in each group (at least two groups).
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
        :func:`distribution`); if there are fewer than two groups; if a margin has a negative count
        or does not sum to n.

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
    if K < 2:
        raise UsageError("margin_tails needs at least two groups")
    if n * math.log(K) >= 62 * math.log(2):
        raise UsageError("margin_tails works in int64; use distribution() for larger problems")
    grade_scores = [int(x) for x in grade_scores]
    vmin = min(grade_scores)
    L = len(grade_scores)
    margins = np.asarray(margins, dtype=np.int64).reshape(-1, L)
    if (margins < 0).any() or (margins.sum(axis=1) != n).any():
        raise UsageError(f"every margin must be non-negative counts summing to n = {n}")
    thresholds = np.asarray(nc_thresholds, dtype=np.int64)
    single = thresholds.ndim == 1
    thresholds = thresholds.reshape(len(margins), -1)
    k = thresholds.shape[1]
    total = math.factorial(n) // math.prod(math.factorial(s) for s in sizes)
    sum_u = sum(g * s for g, s in zip(gs, sizes))
    const_shift = vmin * sum(o * s for o, s in zip(off, sizes))
    xs = [x - vmin for x in grade_scores]
    wmax = max(xs) * sum(o * s for o, s in zip(off, sizes))  # the largest W any assignment reaches
    # n C = n W + a, W the partial sum of (u - u_min) (v - v_min); T = base S1 + W + const_shift
    s1 = margins @ np.array(grade_scores, dtype=np.int64)
    a = n * (base * s1 + const_shift) - sum_u * s1
    # |n W + a| >= thr  <=>  W >= ceil((thr - a)/n)  or  W <= floor((-thr - a)/n): the tail is
    # total - #(W <= w_hi - 1) + #(W <= w_lo), each position clipped to -1 (none) .. wmax (all)
    w_hi = -((a[:, None] - thresholds) // n)
    w_lo = (-thresholds - a[:, None]) // n
    positions = np.clip(np.concatenate([w_hi - 1, w_lo], axis=1), -1, wmax)
    positions[np.concatenate([thresholds, thresholds], axis=1) <= 0] = -1  # every assignment: no gather
    # the range of W of each margin (the rearrangement inequality): the units' offsets, largest first,
    # against their scores, largest first (w_top) or smallest first (w_bottom); #(W <= w) is 0 below
    # w_bottom and total from w_top on
    unit_off = np.sort(np.repeat(np.array(off, dtype=np.int64), sizes))[::-1]
    off_sum = np.concatenate([[0], np.cumsum(unit_off)])

    def w_extreme(levels):
        ends = np.cumsum(margins[:, levels], axis=1)
        return (np.array([xs[j] for j in levels]) * (off_sum[ends] - off_sum[ends - margins[:, levels]])).sum(axis=1)

    by_score = sorted(range(L), key=lambda j: xs[j])
    w_top, w_bottom = w_extreme(by_score[::-1]), w_extreme(by_score)
    tails = np.zeros(thresholds.shape, dtype=np.int64)
    kept = {}
    if keep_below is not None:
        keep_below = np.asarray(keep_below, dtype=np.int64).reshape(-1)
    if len(margins) == 0:
        tails = tails[:, 0] if single else tails
        return (tails, total) if keep_below is None else (tails, total, kept)
    if L == 1:  # a level of no units in front: two levels to fold
        margins = np.column_stack([np.zeros(len(margins), dtype=np.int64), margins])
        xs, L = [0] + xs, 2
    # the widest-ranging grade levels last (folded in by the gathers) and the narrowest first (fewer
    # prefixes); the distribution does not depend on the order of the levels
    spread = margins.max(axis=0) - margins.min(axis=0)
    level_order = np.argsort(spread, kind="stable")
    margins = margins[:, level_order]
    xs = [xs[j] for j in level_order]

    # The state: counts (not cumulated) by (units in group 1, ..., units in group K-1, W), laid out
    # flat, so that a unit joining group k is one shifted addition over the whole array (by that
    # group's stride plus its W shift). A row of W is S long, more than any W reached, so no count
    # runs into the next row, and a window reaching below W = 0 reads zeros at the top of the row
    # before (a state's W is at most max(xs) times its sum of offsets); every axis but the first
    # has one index more than it needs, set back to zero after each step, so that nothing runs
    # from the end of that axis into the next row. Each state (a slot of mem) follows a row of
    # zeros. Slot 0 is the start, two slots per level of the walk, then one per step of a chain.
    dims = tuple(s + 1 for s in sizes[1:])
    layout = dims[:1] + tuple(d + 1 for d in dims[1:])
    W1 = wmax + 1
    S = W1 + max(off) * max(xs)
    strides = [S * math.prod(layout[j + 1:]) for j in range(len(layout))]
    block = math.prod(layout) * S
    slot_len = S + block
    n_walk = 1 + 2 * (L - 2)
    chain0 = n_walk
    mem = np.zeros((n_walk + n + 1) * slot_len + W1, dtype=np.int64)  # W1 zeros after the last
    blocks = [mem[i * slot_len + S:(i + 1) * slot_len] for i in range(n_walk + n + 1)]
    junk = []
    for blk in blocks:
        shaped = blk.reshape(layout + (S,))
        junk.append([shaped[(slice(None),) * j + (-1,)] for j in range(1, len(layout))])
    moves = {x: [strides[j - 1] + off[j] * x for j in range(1, K)] for x in set(xs)}
    step_views = {}

    def step(src, dst, x, start=0):
        # dst = src with one more unit of score x, from flat position ``start`` on
        views = step_views.get((src, dst, x, start))
        if views is None:  # the same few slices recur: made once
            A, B = blocks[src], blocks[dst]
            views = []
            for o in moves[x]:
                lo = min(max(start, o), block)
                views.append((B[lo:], A[lo - o:block - o]))
            o = moves[x][0]
            lo = min(max(start, o), block)
            first = (B[start:lo], A[start:lo], A[lo:]) if lo > start else (None, None, A[lo:])
            views = step_views[(src, dst, x, start)] = (first, views, junk[dst])
        (copy_to, copy_from, same), moved, zero = views
        if copy_to is not None:
            copy_to[...] = copy_from
        np.add(same, moved[0][1], out=moved[0][0])  # the unit in the first group, or the second
        for to, frm in moved[1:]:
            to += frm
        for view in zero:
            view.fill(0)

    perm = np.lexsort(margins[:, ::-1].T)
    sorted_m = margins[perm]
    a_sorted = a[perm]
    top_sorted, bottom_sorted = w_top[perm], w_bottom[perm]
    # #(W <= position) is column clip(position - bottom + 1, 0, top - bottom + 1) of a margin's
    # distribution cumulated over its range, between a column of 0 (below) and one of all (its top)
    pos_sorted = np.clip(positions[perm] - bottom_sorted[:, None] + 1, 0, (top_sorted - bottom_sorted + 1)[:, None])
    tails_sorted = np.zeros(thresholds.shape, dtype=np.int64)
    x1, x2 = xs[L - 2], xs[L - 1]
    grid = np.arange(W1)
    windows = np.lib.stride_tricks.sliding_window_view(mem, W1)  # windows[i] = mem[i:i + W1]

    def siblings(p, lo, hi):
        # rows lo..hi-1 share every count but the last two (q and r - q); p holds their state. One
        # step per unit of one of the two levels (the one with the fewer to reach), then a gather
        # over the other level's splits gives each margin's counts by W over its range
        q0, q1 = int(sorted_m[lo, L - 2]), int(sorted_m[hi - 1, L - 2])
        r = q0 + int(sorted_m[lo, L - 1])
        if q1 <= r - q0:
            chain, x_chain, x_other, c_lo, c_hi = sorted_m[lo:hi, L - 2], x1, x2, q0, q1
        else:
            chain, x_chain, x_other, c_lo, c_hi = sorted_m[lo:hi, L - 1], x2, x1, r - q1, r - q0
        slots = [p] + [chain0 + c for c in range(1, c_hi + 1)]
        for c in range(1, c_hi + 1):
            # only the states from which r - c units can still reach the corner
            step(slots[c - 1], slots[c], x_chain, max(0, sizes[1] - (r - c)) * strides[0])
        top, bottom = top_sorted[lo:hi], bottom_sorted[lo:hi]
        width = max(1, int((top - bottom).max()))
        # a window of W (from the margin's bottom) of every chain count from c_lo to c_hi, for each
        # split of the other level's units; a count no margin has is read too, and not used
        at = np.array([slots[c] * slot_len + S for c in range(c_lo, c_hi + 1)])
        at[chain - c_lo] += bottom
        st, weight, first, count = _last_levels(r, x_other, sizes, off, layout, S)
        e0, e1 = first[c_lo], first[c_hi + 1]
        vals = windows[:, :width][st[e0:e1] + np.repeat(at, count[c_lo:c_hi + 1])]
        vals *= weight[e0:e1, None]
        counts = np.add.reduceat(vals, first[c_lo:c_hi + 1] - e0, axis=0)[chain - c_lo]
        cum_w = np.zeros((hi - lo, width + 2), dtype=np.int64)
        np.cumsum(counts, axis=1, out=cum_w[:, 1:-1])
        cum_w[:, -1] = total
        rows_at = (width + 2) * np.arange(hi - lo)[:, None]
        le = cum_w.take(pos_sorted[lo:hi] + rows_at)
        out = (total - le[:, :k]) + le[:, k:]  # a threshold of 0 or less: both positions -1, all
        tails_sorted[lo:hi] = out
        if keep_below is None:
            return
        rows = np.flatnonzero((out < keep_below).any(axis=1))
        if len(rows) == 0:
            return
        bottom, top = bottom[rows, None], top[rows, None]
        dist = cum_w.take(np.clip(grid - bottom + 1, 0, top - bottom + 1) + rows_at[rows])
        for i, row, a_row in zip(range(len(rows)), perm[lo + rows].tolist(), a_sorted[lo + rows].tolist()):
            kept[row] = MarginTail(dist[i], a_row, n, total)

    def walk(p, level, lo, hi):
        # rows lo..hi-1 of sorted_m share their counts for the levels before ``level``
        if level == L - 2:
            siblings(p, lo, hi)
            return
        mine = (1 + 2 * level, 2 + 2 * level)
        col = sorted_m[:, level]
        c = 0
        start = lo
        while start < hi:
            target = int(col[start])
            while c < target:
                nxt = mine[c % 2]
                step(p, nxt, xs[level])
                p = nxt
                c += 1
            end = start + int(np.searchsorted(col[start:hi], target, side="right"))
            walk(p, level + 1, start, end)
            start = end

    blocks[0][0] = 1  # no unit yet: one assignment, in the state (0, ..., 0) with W = 0
    walk(0, 0, 0, len(margins))
    tails[perm] = tails_sorted
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
