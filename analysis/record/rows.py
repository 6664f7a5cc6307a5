"""Sparse rows of an integer program over the grade table's 0/1 variables and variables after them.

The statistics that solve their own programs (two copies of the table, switches per record row)
build them row by row here: a row is ``lower <= sum of coefficient x variable <= upper``. Rows of
a :class:`analysis.record.model.Group` (``(indices, lower, upper)`` or ``(indices, coefficients,
lower, upper)``) are added as they are, under a selector (one of several alternatives holds), or
under a switch (the row may be wrong).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["SparseRows", "row_parts"]


def row_parts(row) -> tuple[np.ndarray, np.ndarray, float, float]:
    """A group's row as (indices, coefficients, lower, upper).

    Parameters
    ----------
    row : tuple
        ``(indices, lower, upper)`` (every coefficient 1) or ``(indices, coefficients, lower, upper)``.

    Returns
    -------
    tuple
        Integer indices, float coefficients, and the two bounds.

    Examples
    --------
    >>> idx, coef, lo, hi = row_parts(([3, 5], 1, 2))
    >>> idx.tolist(), coef.tolist(), lo, hi
    ([3, 5], [1.0, 1.0], 1, 2)
    """
    idx, coef, lo, hi = row if len(row) == 4 else (row[0], None, row[1], row[2])
    idx = np.asarray(idx, dtype=int)
    return idx, (np.ones(len(idx)) if coef is None else np.asarray(coef, float)), lo, hi


class SparseRows:
    """A growing list of sparse rows.

    Examples
    --------
    x0 + x1 = 1, and (x0 >= 1 or x1 >= 1) with selectors 2 and 3:

    >>> rows = SparseRows()
    >>> rows.add([0, 1], [1, 1], 1, 1)
    >>> rows.alternatives([[([0], 1, 1)], [([1], 1, 1)]], 0, [2, 3])
    >>> A, lower, upper = rows.matrix(4)
    >>> A.shape, rows.n
    ((4, 4), 4)

    x0 <= x2 and x1 <= x3, two rows at once:

    >>> rows.add_rows([[0, 2], [1, 3]], [1, -1], -np.inf, 0)
    >>> rows.matrix(4)[0].toarray()[-2:].tolist(), rows.n
    ([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]], 6)
    """

    def __init__(self):
        self.r, self.c, self.v, self.lo, self.hi, self.n = [], [], [], [], [], 0

    def add(self, cols, vals, lo, hi):
        """Add ``lo <= vals . x[cols] <= hi``."""
        self.r.append(np.full(len(cols), self.n))
        self.c.append(np.asarray(cols, dtype=int))
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.append(lo)
        self.hi.append(hi)
        self.n += 1

    def add_rows(self, cols, vals, lo, hi):
        """Add one row per line of ``cols`` (k lines of m variables): ``lo <= vals . x[cols[i]] <= hi``, in order
        (the same rows as ``add`` called k times)."""
        vals = np.asarray(vals, dtype=float)
        cols = np.asarray(cols, dtype=int).reshape(-1, len(vals))
        k, m = cols.shape
        self.r.append(np.repeat(np.arange(self.n, self.n + k), m))
        self.c.append(cols.reshape(-1))
        self.v.append(np.tile(vals, k))
        self.lo.extend([lo] * k)
        self.hi.extend([hi] * k)
        self.n += k

    def alternatives(self, alts, offset: int, selectors: list[int]):
        """Rows over the variables from ``offset`` under which one of ``alts`` (each a list of group rows)
        holds: a selector variable each when there are several (selector 1: that alternative holds)."""
        if len(alts) == 1:
            for row in alts[0]:
                idx, vals, lo, hi = row_parts(row)
                self.add(idx + offset, vals, lo, hi)
            return
        for alt, s in zip(alts, selectors):
            for row in alt:
                self.switched(row, offset, s, on=True)
        self.add(selectors, np.ones(len(selectors)), 1, np.inf)

    def switched(self, row, offset: int, switch: int, on: bool):
        """A group row over the variables from ``offset`` that holds when the 0/1 variable ``switch`` is 1
        (``on``) or 0 (not ``on``: a switch that says the row is wrong), and may fail otherwise."""
        idx, vals, lo, hi = row_parts(row)
        low, high = float(np.minimum(vals, 0).sum()), float(np.maximum(vals, 0).sum())
        cols = np.append(idx + offset, switch)
        sign = 1 if on else -1
        if np.isfinite(lo) and lo > low:  # a.x >= lo when the row holds, a.x >= its least value otherwise
            self.add(cols, np.append(vals, -sign * (lo - low)), low if on else lo, np.inf)
        if np.isfinite(hi) and hi < high:
            self.add(cols, np.append(vals, sign * (high - hi)), -np.inf, high if on else hi)

    def matrix(self, n_vars: int):
        """The rows as (sparse matrix with ``n_vars`` columns, lower bounds, upper bounds)."""
        if not self.n:
            return sparse.csr_array((0, n_vars)), np.zeros(0), np.zeros(0)
        m = sparse.csr_array((np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
                             shape=(self.n, n_vars))
        return m, np.array(self.lo, float), np.array(self.hi, float)
