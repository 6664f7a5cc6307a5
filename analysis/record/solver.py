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

import bisect
import contextlib
import ctypes
import os
import sys

import highspy
import numpy as np
from scipy import sparse

__all__ = ["Program", "SolverStopped", "lexicographic_minimum"]

_STATUS = highspy.HighsModelStatus
_quiet = False

#: The smallest hints tried by :func:`lexicographic_minimum` (each one the program does not admit costs a solve).
HINTS_TRIED = 3


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


def _run(h: highspy.Highs, n: int) -> np.ndarray | None:
    """Solve the program loaded in ``h``: its first ``n`` variables (integers), or None when it is infeasible;
    :class:`SolverStopped` when the solver ends without either answer."""
    h.run()
    status = h.getModelStatus()
    if status in (_STATUS.kInfeasible, _STATUS.kUnboundedOrInfeasible):
        return None
    if status != _STATUS.kOptimal:
        raise SolverStopped(f"the solver stopped: {h.modelStatusToString(status)}")
    return np.rint(np.asarray(h.getSolution().col_value)[:n]).astype(int)


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
        return _run(h, self.n_vars)

    @contextlib.contextmanager
    def rows(self, rows):
        """Rows in force for the solves inside the ``with`` block only.

        Parameters
        ----------
        rows : sequence of tuple
            Each ``(idx, coef, lo, hi)``: the row ``lo <= sum(coef * x[idx]) <= hi``.

        Returns
        -------
        context manager
            Yields this program; the rows are removed when the block ends, whatever happens in it.

        Examples
        --------
        >>> p = Program(np.ones((1, 2)), np.array([1.0]), np.array([1.0]))
        >>> with p.rows([([0], [1.0], 0, 0)]):
        ...     p.solve(np.zeros(2)).tolist()
        [0, 1]
        >>> p.solve(np.array([0.0, 1.0])).tolist()
        [1, 0]
        """
        first = self._h.getNumRow()
        for idx, coef, lo, hi in rows:
            self.add_row(idx, coef, lo, hi)
        try:
            yield self
        finally:
            added = self._h.getNumRow() - first
            if added:
                self._h.deleteRows(added, np.arange(first, first + added, dtype=np.int32))

    def smaller(self, cells, z, lower=None, upper=None) -> np.ndarray | None:
        """A solution whose ``cells`` are lexicographically smaller than those of ``z``, or None when there is
        none (a proof that ``z`` is the smallest).

        Each cell is a sequence of variables in order, exactly one of them 1 in every solution; a cell is
        smaller when its 1 comes earlier. The program asked is ``z``'s program with a switch per cell that
        may come first where the two differ: the cells before it as in ``z``, that cell earlier. Every
        coefficient is 0 or 1, so the answer does not rest on the solver's tolerances for large numbers.
        The solution found first differs from ``z`` as early as any smaller one can.

        Parameters
        ----------
        cells : sequence of sequence of int
            The cells in order of significance, each its variables in order.
        z : numpy.ndarray
            A solution.
        lower, upper : numpy.ndarray, optional
            The variables' bounds (default 0 and 1).

        Returns
        -------
        numpy.ndarray or None
            A lexicographically smaller solution, or None.

        Examples
        --------
        Two cells of two variables each, at least one cell on its second variable:

        >>> p = Program(np.array([[1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 0, 1]]), np.array([1.0, 1, 1]),
        ...             np.array([1.0, 1, 2]))
        >>> p.smaller([[0, 1], [2, 3]], np.array([0, 1, 0, 1])).tolist()
        [1, 0, 0, 1]
        >>> p.smaller([[0, 1], [2, 3]], np.array([1, 0, 0, 1])) is None
        True
        """
        n = self.n_vars
        lower = np.zeros(n) if lower is None else np.asarray(lower, dtype=float)
        upper = np.ones(n) if upper is None else np.asarray(upper, dtype=float)
        info = []
        for vs in cells:
            vs = [int(v) for v in vs if upper[v] > 0]
            at = [k for k, v in enumerate(vs) if z[v] == 1]
            if len(at) != 1:
                raise ValueError("z has no single 1 in a cell")
            info.append((vs, at[0]))
        # the cells where a smaller solution may first differ: an earlier variable not fixed at 0
        first = [i for i, (vs, r) in enumerate(info) if r > 0]
        m = len(first)
        if not m:
            return None
        h = _new_highs()
        h.passModel(self._h.getLp())
        cols = self._cols
        h.changeColsBounds(n, cols, lower, upper)
        h.changeColsCost(n, cols, np.zeros(n))
        # e_k: the solutions first differ at cell first[k]; t_k = e_k + ... + e_{m-1}
        h.addVars(2 * m, np.zeros(2 * m), np.ones(2 * m))
        new = np.arange(n, n + 2 * m, dtype=np.int32)
        h.changeColsIntegrality(2 * m, new, np.array([highspy.HighsVarType.kInteger] * (2 * m)))
        h.changeColsCost(m, new[:m], np.arange(m, dtype=float))  # the earliest first difference
        rows = [([n + m], [1.0], 1, 1)]  # t_0 = 1: they differ somewhere
        for k, i in enumerate(first):
            nxt = [n + m + k + 1] if k + 1 < m else []
            rows.append(([n + m + k, n + k, *nxt], [1.0, -1.0] + [-1.0] * len(nxt), 0, 0))
            vs, r = info[i]
            rows.append(([n + k, *vs[:r]], [1.0] + [-1.0] * r, -np.inf, 0))  # earlier there
        for i, (vs, r) in enumerate(info):  # as in z wherever they differ later
            k = bisect.bisect_right(first, i)
            if k < m:
                rows.append(([vs[r], n + m + k], [1.0, -1.0], 0, np.inf))
        for idx, coef, lo, hi in rows:
            h.addRow(float(lo), float(hi), len(idx), np.asarray(idx, dtype=np.int32), np.asarray(coef, dtype=float))
        h.setOptionValue("mip_rel_gap", 0.0)
        return _run(h, n)


def _digits(cells, z) -> tuple | None:
    """The position of ``z``'s 1 in each cell (None when some cell has no single 1 among its variables)."""
    out = []
    for vs in cells:
        at = np.flatnonzero(np.asarray(z)[vs] == 1)
        if len(at) != 1:
            return None
        out.append(int(at[0]))
    return tuple(out)


def _fix(lower, upper, cells, z) -> None:
    """Fix ``cells`` (in the bounds ``lower`` and ``upper``, in place) at their values in ``z``."""
    for vs in cells:
        lower[vs] = upper[vs] = z[vs]


def _blocks(cells, limit: int) -> list:
    """The cells in blocks, each block's place values' product at most ``limit``."""
    blocks, block, size = [], [], 1
    for vs in cells:
        if block and size * len(vs) > limit:
            blocks.append(block)
            block, size = [], 1
        block.append(vs)
        size *= len(vs)
    return blocks + ([block] if block else [])


def lexicographic_minimum(program: Program, cells, lower=None, upper=None, limit: int = 6**8,
                          hints=(), solution=None) -> np.ndarray | None:
    """The solution of ``program`` whose ``cells`` are lexicographically smallest, or None when there is none.

    The cells are taken a block at a time: one solve minimises the block's cells as a mixed-radix number (a
    cell's digit is the position of its 1 among its variables not fixed at 0; the place values' product at
    most ``limit``), and the block is fixed before the next. That is fast but rests on the solver's
    tolerances, which large place values strain; so the answer is then proved smallest with
    :meth:`Program.smaller` (0/1 coefficients only), and replaced by a smaller solution until none is left.
    A hint is a guess at the cells: the smallest hint the program admits is proved (one proof instead of the
    blocks) or, if a smaller solution exists, kept up to the first cell where the earliest smaller one differs
    (no smaller solution differs earlier, so the minimum agrees with it there). The
    result depends only on the program, never on the solver's path, the hints or the machine.

    Parameters
    ----------
    program : Program
        The program (its rows in force).
    cells : sequence of sequence of int
        The cells in order of significance, each its variables in order (exactly one is 1 in a solution).
    lower, upper : numpy.ndarray, optional
        The variables' bounds (default 0 and 1).
    limit : int, optional
        The largest product of one block's place values (at most 2^53: an exact integer objective).
    hints : sequence of numpy.ndarray, optional
        Guesses (0/1 vectors of the program's variables) at the cells.
    solution : numpy.ndarray, optional
        A solution within the bounds, when one is known (a report that there is none is then checked
        again without presolve).

    Returns
    -------
    numpy.ndarray or None
        The smallest solution, or None.

    Examples
    --------
    Three cells of three values each, summing to at least 4 (value = position): the smallest is 0, 2, 2,
    whatever the blocks or the hints.

    >>> A = np.zeros((4, 9))
    >>> for c in range(3):
    ...     A[c, 3 * c:3 * c + 3] = 1
    ...     A[3, 3 * c:3 * c + 3] = [0, 1, 2]
    >>> p = Program(A, np.array([1.0, 1, 1, 4]), np.array([1.0, 1, 1, np.inf]))
    >>> cells = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    >>> def grades(z):
    ...     return [int(np.flatnonzero(z[c])[0]) for c in cells]
    >>> [grades(lexicographic_minimum(p, cells, limit=n)) for n in (3, 27)]
    [[0, 2, 2], [0, 2, 2]]
    >>> hint = np.array([0, 1, 0, 0, 0, 1, 0, 0, 1])  # 1, 2, 2: admitted, then improved at the first cell
    >>> grades(lexicographic_minimum(p, cells, hints=[hint]))
    [0, 2, 2]
    """
    n = program.n_vars
    lower = np.zeros(n) if lower is None else np.asarray(lower, dtype=float).copy()
    upper = np.ones(n) if upper is None else np.asarray(upper, dtype=float).copy()
    cells = [[int(v) for v in vs if upper[v] > 0] for vs in cells]
    cells = [vs for vs in cells if len(vs) > 1 and not any(lower[v] == 1 for v in vs)]
    start_lower, start_upper = lower.copy(), upper.copy()
    z, done = solution, 0  # the leading cells known to be as in the minimum (and fixed)
    digits = sorted({d: h for h in hints if (d := _digits(cells, h)) is not None}.items())[:HINTS_TRIED]
    for _, h in digits:  # the smallest hint the program admits, then proved or improved
        lo, up = lower.copy(), upper.copy()
        _fix(lo, up, cells, h)
        found = program.solve(np.zeros(n), lo, up)
        if found is None:
            continue
        better = program.smaller(cells, found, start_lower, start_upper)
        if better is None:
            return found
        # no smaller solution differs earlier than ``better`` does: the minimum has ``found``'s cells before it
        done = next(k for k, vs in enumerate(cells) if (better[vs] != found[vs]).any())
        _fix(lower, upper, cells[:done], found)
        z = better
        break
    rest = cells[done:]
    proof_lower, proof_upper = lower.copy(), upper.copy()
    for block in _blocks(rest, limit):
        c, place = np.zeros(n), 1
        for vs in reversed(block):  # the last cell is the least significant digit
            c[vs] = place * np.arange(len(vs))
            place *= len(vs)
        found = program.solve(c, lower, upper)
        if found is None and z is not None:
            # the last solution satisfies every cell fixed so far: a report of infeasibility here is the
            # solver's presolve going wrong (seen with many variables fixed by bounds); solved again without
            found = program.solve(c, lower, upper, presolve=False)
            if found is None:
                raise SolverStopped("the solver reports no solution, but the last one found fits")
        if found is None:
            return None
        z = found
        _fix(lower, upper, block, z)
    if z is None:  # no open cell: any solution within the bounds
        z = program.solve(np.zeros(n), lower, upper)
        if z is None:
            return None
    while (smaller := program.smaller(rest, z, proof_lower, proof_upper)) is not None:
        z = smaller
    return z
