"""One integer program kept loaded in the HiGHS solver, changed between solves.

The record's questions are answered by many small integer programs that share their constraint
matrix and differ in the variables' bounds, the objective and a row or two. :class:`Program` loads
the matrix into one ``highspy.Highs`` object once and, for each solve, changes only the bounds and
the objective (and any row added with :meth:`Program.add_row`), instead of passing the whole matrix
to ``scipy.optimize.milp`` every time (the same solver, HiGHS, underneath).

A solve returns a 0/1 solution or None when the program is infeasible. Every caller checks what it
needs from the solution itself (which rows of the record it satisfies, on which rows two tables
agree), so a solution is used as a fact about the table, never on the solver's word alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

import highspy
import numpy as np
from scipy import sparse

__all__ = ["Program", "SolverStopped"]

_STATUS = highspy.HighsModelStatus
_quiet = False


class SolverStopped(RuntimeError):
    """The solver stopped without an answer (neither a solution nor a proof that there is none)."""


def _new_highs() -> highspy.Highs:
    """A silent ``Highs`` object. HiGHS prints its banner on standard output the first time one is made in a
    process (before any option can be set); that first time, standard output is sent to /dev/null at the
    file-descriptor level, so the banner never reaches a terminal, a notebook or a page."""
    global _quiet
    if not _quiet:
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.flush()
        libc = ctypes.CDLL(None)
        libc.fflush(None)
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
            libc.fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _quiet = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    return h


class Program:
    """A 0/1 integer program ``lo <= A x <= hi``, loaded once and solved many times.

    Parameters
    ----------
    A : scipy.sparse array or matrix
        The constraint matrix, one column per variable.
    lo, hi : numpy.ndarray
        The rows' lower and upper bounds (``-inf``/``inf`` for none).

    Examples
    --------
    Two of three switches on, the first off: the cheapest solution, then none once a row forbids it.

    >>> import numpy as np
    >>> p = Program(np.ones((1, 3)), np.array([2.0]), np.array([2.0]))
    >>> p.solve(np.array([1.0, 2.0, 3.0])).tolist()
    [1, 1, 0]
    >>> row = p.add_row([0, 1], [1.0, 1.0], -np.inf, 1)
    >>> p.solve(np.zeros(3), upper=np.array([1.0, 1.0, 0.0])) is None
    True
    """

    def __init__(self, A, lo, hi):
        A = sparse.csr_array(A)
        self.n_vars = A.shape[1]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_vars, A.shape[0]
        lp.col_cost_ = np.zeros(self.n_vars)
        lp.col_lower_, lp.col_upper_ = np.zeros(self.n_vars), np.ones(self.n_vars)
        lp.row_lower_ = np.asarray(lo, dtype=float)
        lp.row_upper_ = np.asarray(hi, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n_vars, A.shape[0]
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(float)
        lp.integrality_ = [highspy.HighsVarType.kInteger] * self.n_vars
        self._h = _new_highs()
        self._h.passModel(lp)
        self._cols = np.arange(self.n_vars, dtype=np.int32)

    def add_row(self, idx, coef, lo: float, hi: float) -> int:
        """Add the row ``lo <= sum(coef * x[idx]) <= hi``; returns its index (for :meth:`set_row`).

        Parameters
        ----------
        idx : sequence of int
            The row's variables.
        coef : sequence of float
            Their coefficients.
        lo, hi : float
            The row's bounds.

        Returns
        -------
        int
            The row's index.

        Examples
        --------
        >>> p = Program(np.ones((1, 2)), np.array([1.0]), np.array([2.0]))
        >>> p.add_row([0], [1.0], 0, 0)
        1
        """
        row = self._h.getNumRow()
        self._h.addRow(float(lo), float(hi), len(idx), np.asarray(idx, dtype=np.int32), np.asarray(coef, dtype=float))
        return row

    def set_row(self, row: int, idx, coef) -> None:
        """Set the coefficients of the variables ``idx`` in the row ``row`` (a zero clears one).

        Parameters
        ----------
        row : int
            A row added with :meth:`add_row`.
        idx : sequence of int
            The variables whose coefficients change.
        coef : sequence of float
            Their new coefficients.

        Returns
        -------
        None

        Examples
        --------
        >>> p = Program(np.ones((1, 2)), np.array([1.0]), np.array([1.0]))
        >>> r = p.add_row([0], [1.0], 1, 1)
        >>> p.solve(np.zeros(2)).tolist()
        [1, 0]
        >>> p.set_row(r, [0, 1], [0.0, 1.0])
        >>> p.solve(np.zeros(2)).tolist()
        [0, 1]
        """
        for j, a in zip(idx, coef):
            self._h.changeCoeff(row, int(j), float(a))

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        """Change the bounds of the row ``row``.

        Parameters
        ----------
        row : int
            A row added with :meth:`add_row`.
        lo, hi : float
            Its new bounds (``-inf``/``inf`` for none: the row then constrains nothing).

        Returns
        -------
        None

        Examples
        --------
        >>> p = Program(np.ones((1, 2)), np.array([1.0]), np.array([1.0]))
        >>> r = p.add_row([0, 1], [1.0, 1.0], 2, 2)
        >>> p.solve(np.zeros(2)) is None
        True
        >>> p.set_row_bounds(r, -np.inf, np.inf)
        >>> p.solve(np.zeros(2)).tolist()
        [1, 0]
        """
        self._h.changeRowBounds(int(row), float(lo), float(hi))

    def solve(self, c, lower=None, upper=None, gap: float = 0.0, presolve: bool = True) -> np.ndarray | None:
        """Minimise ``c @ x`` over 0/1 ``x`` within ``lower <= x <= upper``.

        Parameters
        ----------
        c : numpy.ndarray
            The objective, one coefficient per variable.
        lower, upper : numpy.ndarray, optional
            The variables' bounds (default 0 and 1).
        gap : float, optional
            The relative gap at which the solver may stop (0: a proven optimum; more: any solution within
            that gap, for callers that need a solution, not the best one).
        presolve : bool, optional
            Whether HiGHS presolves.

        Returns
        -------
        numpy.ndarray or None
            The solution (integers), or None when there is none.

        Raises
        ------
        SolverStopped
            If the solver stops without an answer.

        Examples
        --------
        >>> p = Program(np.ones((1, 2)), np.array([1.0]), np.array([1.0]))
        >>> p.solve(np.array([0.0, -1.0])).tolist()
        [0, 1]
        """
        h = self._h
        lower = np.zeros(self.n_vars) if lower is None else np.asarray(lower, dtype=float)
        upper = np.ones(self.n_vars) if upper is None else np.asarray(upper, dtype=float)
        h.changeColsBounds(self.n_vars, self._cols, lower, upper)
        h.changeColsCost(self.n_vars, self._cols, np.asarray(c, dtype=float))
        h.setOptionValue("mip_rel_gap", float(gap))
        h.setOptionValue("presolve", "on" if presolve else "off")
        h.run()
        status = h.getModelStatus()
        if status in (_STATUS.kInfeasible, _STATUS.kUnboundedOrInfeasible):
            return None
        if status != _STATUS.kOptimal:
            raise SolverStopped(f"the solver stopped: {h.modelStatusToString(status)}")
        return np.rint(np.asarray(h.getSolution().col_value)).astype(int)
