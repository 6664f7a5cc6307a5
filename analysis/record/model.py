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
from analysis.record.solver import Program, lexicographic_minimum

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
    """Index of x[p, i, g].

    The variables are laid out partnership by partnership, then indicator, then grade:
    index = (partnership position x NI + indicator position) x NG + grade position.

    Parameters
    ----------
    p : str
        A partnership's canonical name (one of ``D.P``).
    i : str
        An indicator code (one of ``D.I``).
    g : str
        A grade label (one of ``D.G``).

    Returns
    -------
    int
        The position of the binary variable x[p, i, g] in a solution vector of length ``D.NVAR``.

    Examples
    --------
    >>> var(D.P[0], D.I[0], D.G[0]), var(D.P[1], D.I[2], D.G[3])  # (1 x 9 + 2) x 6 + 3 = 69
    (0, 69)
    >>> var(D.P[-1], D.I[-1], D.G[-1]) == D.NVAR - 1 == 32 * 9 * 6 - 1
    True
    """
    return (D.PI[p] * D.NI + D.II[i]) * D.NG + D.GI[g]


def grade_values(x: np.ndarray, indicator: str) -> np.ndarray:
    """The grade values (1 Unsatisfactory ... 6 Excellent) of one indicator in a solution vector, in
    partnership order.

    Parameters
    ----------
    x : numpy.ndarray
        A 0/1 solution vector of length ``D.NVAR`` (as :meth:`RecordModel.solve` returns), one grade
        per cell.
    indicator : str
        An indicator code.

    Returns
    -------
    numpy.ndarray
        The integer grade value of each partnership on ``indicator``, in ``D.P`` order.

    Examples
    --------
    Partnership k graded ``D.G[k % 6]`` on indicator 2.1:

    >>> x = np.zeros(D.NVAR, dtype=int)
    >>> for k, p in enumerate(D.P):
    ...     x[var(p, "2.1", D.G[k % 6])] = 1
    >>> grade_values(x, "2.1")[:8].tolist()
    [1, 2, 3, 4, 5, 6, 1, 2]
    """
    return x.reshape(D.NP, D.NI, D.NG)[:, D.II[indicator]].argmax(axis=1) + 1


class Infeasible(ReviewError, RuntimeError):
    """The constraints admit no grade table.

    Raised by :attr:`RecordModel.possible` (and so by everything built on it) and by
    :meth:`RecordModel.count_range` when the constraints in force have no solution.

    Examples
    --------
    >>> good = cell_group("Edinburgh", "1.1", "Good")
    >>> weak = cell_group("Edinburgh", "1.1", "Weak", kind="table")
    >>> RecordModel([good, weak], "two grades for one cell").possible
    Traceback (most recent call last):
        ...
    analysis.record.model.Infeasible: the active constraints admit no grade table
    """


@dataclass(frozen=True)
class Group:
    """A named set of linear constraints, with where it came from.

    ``rows`` holds (variable indices, lower bound, upper bound): the sum of the variables
    (each with coefficient 1) lies in [lower, upper]; or (indices, coefficients, lower, upper)
    for any linear condition (the review's claims).

    Two groups are equal when their ``id``, ``kind``, ``label``, ``source_id`` and ``quote`` are;
    ``rows`` is not compared.

    Parameters
    ----------
    id : str
        A unique name, ``"<kind>:<key>"`` (``"cell:Edinburgh|1.1"``, ``"statement:<statement_id>"``).
    kind : str
        ``"cell"``, ``"count"``, ``"statement"`` or ``"table"`` (see the module description).
    label : str
        What the group says, in words.
    source_id : str, optional
        The source the row comes from ("" if none).
    quote : str, optional
        The words of the source ("" if none).
    rows : tuple, optional
        The linear constraints, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower,
        upper)``; indices are positions given by :func:`var`.

    Examples
    --------
    >>> group = cell_group("Edinburgh", "1.1", "Good")
    >>> group.id, group.kind, group.label
    ('cell:Edinburgh|1.1', 'cell', 'Edinburgh 1.1 is Good')
    >>> indices, lower, upper = group.rows[0]
    >>> indices.tolist() == [var("Edinburgh", "1.1", "Good")], lower, upper
    (True, 1, 1)
    """

    id: str
    kind: str
    label: str
    source_id: str = ""
    quote: str = ""
    rows: tuple = field(default=(), repr=False, compare=False)


def _weighted(rows) -> list[tuple]:
    """Rows as ``(indices, coefficients, lower, upper)``: a row ``(indices, lower, upper)`` has coefficients 1."""
    return [(r[0], np.ones(len(r[0])), r[1], r[2]) if len(r) == 3 else r for r in rows]


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
    """The group fixing one cell to one grade: x[p, i, g] = 1.

    Parameters
    ----------
    p : str
        A partnership's canonical name.
    i : str
        An indicator code.
    g : str
        A grade label.
    kind : str, optional
        The group's kind: ``"cell"`` (a grade of the record, the default) or ``"table"`` (a cell of a
        complete grade table).
    source_id : str, optional
        The source of the grade.
    quote : str, optional
        The source's words.
    basis : str, optional
        How the grade is known (``stated``, ``derived`` ...); shown in brackets in the label.

    Returns
    -------
    Group
        Id ``"<kind>:<p>|<i>"``, label ``"<p> <i> is <g>"``, and one row holding the variable
        x[p, i, g] between 1 and 1.

    Examples
    --------
    >>> group = cell_group("Orkney", "2.1", "Weak", basis="stated")
    >>> group.id, group.label
    ('cell:Orkney|2.1', 'Orkney 2.1 is Weak (stated)')
    >>> ((indices, lower, upper),) = group.rows
    >>> indices.tolist() == [var("Orkney", "2.1", "Weak")], lower, upper
    (True, 1, 1)
    """
    label = f"{p} {i} is {g}" + (f" ({basis})" if basis else "")
    return Group(f"{kind}:{p}|{i}", kind, label, source_id, quote, ((np.array([var(p, i, g)]), 1, 1),))


def count_group(rec) -> Group:
    """Group for one row of area_grade_counts (see analysis.domain.load.count_columns).

    With ``within`` set, every indicator of the area takes one of those grades (one row per
    indicator). Otherwise each grade's count bounds how many of the area's nine indicators have that
    grade; an area counted over more than nine indicators (North Lanarkshire's ten) may have each
    count lower by the number of extra indicators, down to 0.

    Parameters
    ----------
    rec : mapping
        One row of ``PublicRecord.area_counts``: ``partnership``, ``within`` (a tuple of grades, empty
        when counts are given), ``n_indicators``, one count column per grade
        (:func:`analysis.domain.load.count_columns`), ``source_id`` and ``quote``.

    Returns
    -------
    Group
        Kind ``"count"``, id ``"count:<partnership>"``.

    Examples
    --------
    >>> from analysis.domain.load import count_columns
    >>> rec = dict.fromkeys(count_columns(), 0) | {"partnership": "Orkney", "within": (), "n_indicators": 9,
    ...                                              "very_good": 2, "good": 7, "source_id": "", "quote": ""}
    >>> group = count_group(rec)
    >>> group.id, group.label
    ('count:Orkney', 'Orkney: 2 Very good, 7 Good of 9 indicators')
    >>> [(lower, upper) for _, lower, upper in group.rows]  # Excellent first, Unsatisfactory last
    [(0, 0), (2, 2), (7, 7), (0, 0), (0, 0), (0, 0)]

    Counted over ten indicators, each count may be one lower on the nine:

    >>> rec |= {"n_indicators": 10, "good": 8}
    >>> [(lower, upper) for _, lower, upper in count_group(rec).rows]
    [(0, 0), (1, 2), (7, 8), (0, 0), (0, 0), (0, 0)]
    >>> count_group(rec | {"within": ("Good", "Very good")}).label
    'Orkney: every indicator Good or Very good'
    """
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
    """Group for one review statement: a count of areas, over some period groups, bounded.

    The count is how many of the period groups' partnerships have one of ``grades`` on
    ``indicator``; ``comparator`` ``=``, ``<=``, ``>=`` bounds it by ``value``, and ``between`` puts it
    in [``value``, ``value_max``].

    Parameters
    ----------
    rec : mapping
        One row of ``PublicRecord.statements``: ``statement_id``, ``period_groups`` (a tuple of period
        group ids), ``indicator``, ``grades`` (a tuple), ``comparator``, ``value``, ``value_max``
        (missing unless ``between``), ``source_id`` and ``quote``.

    Returns
    -------
    Group
        Kind ``"statement"``, id ``"statement:<statement_id>"``, one row over one variable per
        partnership and grade counted.

    Raises
    ------
    analysis.errors.UsageError
        If ``comparator`` is not one of ``=``, ``<=``, ``>=`` and ``between``.

    Examples
    --------
    >>> rec = {"statement_id": "s1", "period_groups": ("post-2016",), "indicator": "1.1",
    ...        "grades": ("Excellent",), "comparator": "<=", "value": 2, "value_max": None,
    ...        "source_id": "", "quote": ""}
    >>> group = statement_group(rec)
    >>> group.id, group.label
    ('statement:s1', '1.1 Excellent in post-2016 <= 2')
    >>> ((indices, lower, upper),) = group.rows
    >>> len(indices), lower, upper  # one variable for each of the 9 post-2016 partnerships
    (9, 0, 2)
    >>> statement_group(rec | {"comparator": "<"})
    Traceback (most recent call last):
        ...
    analysis.errors.UsageError: unknown comparator '<'
    """
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

    Parameters
    ----------
    groups : list of Group
        The constraint groups.
    basis : str
        The data basis, in words (``"public record"``, ``"complete grade table"``).
    alternatives : list of Group, optional
        Alternative readings of statements, kept beside the groups and never in force.
    grade_table : pandas.DataFrame or None, optional
        The complete grade table the groups come from, if any.

    Attributes
    ----------
    groups : list of Group
        Every group given.
    active : list of Group
        The groups in force.
    set_aside : list of Group
        The groups set aside by :meth:`resolve_conflicts`.
    alternatives : list of Group
        Alternative readings of statements.
    grade_table : pandas.DataFrame or None
        The complete grade table (:meth:`from_grades`), None on the public record.
    basis : str
        The data basis.
    solves : int
        How many integer programs the model has solved.
    cache : analysis.record.cache.ResultsCache or None
        Where ``@cached`` functions keep their results for this model (None: computed every time).

    Examples
    --------
    The worked example (:func:`analysis.domain.load.example_grades`), partnership k graded
    ``G[(k + j) % 6]`` on indicator j:

    >>> from analysis.domain.load import example_grades
    >>> model = RecordModel.from_grades(example_grades())
    >>> model.basis, len(model.groups), model.complete
    ('complete grade table', 288, True)

    On 1.1 the partnerships 5, 11, 17, 23 and 29 (counting from 0) are Excellent:

    >>> model.count_range("1.1", ["Excellent"])
    (5, 5)
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
        self._known_possible = None  # grades known possible before solving (see relaxed)
        self._program = None  # the active constraints, loaded in the solver once (see _active_program)
        self._tables: list[np.ndarray] = []  # consistent tables found on it: witnesses for count_range
        self._without: dict[frozenset, RecordModel] = {}  # relaxed models asked for by without()

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_record(cls, record, statements: bool = True) -> RecordModel:
        """The model of the public record: its cell grades, area counts and (by default) statements.

        Statements that are alternative readings of another (``alternative_to``) or the extra
        conditions of a stronger reading (``adds_to``) go to ``alternatives``, not into force.
        Conflicts are resolved on first use of :attr:`active`, :attr:`set_aside` or
        :attr:`conflicts` (or anything that solves), not here.

        Parameters
        ----------
        record : analysis.domain.load.PublicRecord
            The record (:func:`analysis.domain.load.load_record`).
        statements : bool, optional
            Include the review's statements (default True); False: the cell grades and area
            counts only.

        Returns
        -------
        RecordModel
            With basis ``"public record"`` and no grade table.

        Examples
        --------
        >>> from analysis.domain.load import load_record
        >>> model = RecordModel.from_record(load_record())
        >>> model.basis, model.of_grade_table
        ('public record', False)
        >>> {g.kind for g in model.groups} == {"cell", "count", "statement"}
        True
        >>> {g.kind for g in model.set_aside}  # what the rest of the record cannot hold with
        {'statement'}
        """
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
        (even where the record fixes every cell: :attr:`complete`).

        Returns
        -------
        bool
            Whether the model carries a grade table.

        Examples
        --------
        >>> RecordModel([], "no constraints").of_grade_table
        False
        >>> cells = [(p, i, "Good") for p in D.P for i in D.I]
        >>> RecordModel.from_grades(pd.DataFrame(cells, columns=["partnership", "indicator", "grade"])).of_grade_table
        True
        """
        return self.grade_table is not None

    @classmethod
    def from_grades(cls, grades: pd.DataFrame, basis: str = "complete grade table") -> RecordModel:
        """The model of one complete grade table (:func:`analysis.domain.load.load_grades`); it carries the
        table (``grade_table``) and its data basis, so the statistics take the model alone.

        Every cell becomes a group of kind ``"table"`` fixing its grade.

        Parameters
        ----------
        grades : pandas.DataFrame
            A complete long grade table as :func:`~analysis.domain.load.load_grades` returns it: one
            row per cell, with columns partnership, indicator and grade (the model reads only these).
        basis : str, optional
            The data basis, in words (default ``"complete grade table"``).

        Returns
        -------
        RecordModel
            The model, with ``grade_table`` set to ``grades``.

        Examples
        --------
        >>> from analysis.domain.load import example_grades
        >>> grades = example_grades()
        >>> model = RecordModel.from_grades(grades)
        >>> model.of_grade_table, len(model.grade_table), model.groups[0].label
        (True, 288, 'Edinburgh 1.1 is Unsatisfactory')

        Every count is fixed: on 2.1 (j = 1) the partnerships k = 4, 10, 16, 22 and 28 are Excellent,
        and of these only k = 28 is post-2016 (k = 23 to 31):

        >>> model.count_range("2.1", ["Excellent"])
        (5, 5)
        >>> model.count_range("2.1", ["Excellent"], areas.members("post-2016"))
        (1, 1)
        """
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

    def constraints(self, extra=(), groups=None):
        """The active constraints as (A, lower, upper): every consistent table x has lower <= A x <= upper
        (the first 288 rows say each cell has exactly one grade). ``extra`` rows are appended.

        Parameters
        ----------
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).
        groups : list of Group, optional
            The groups in force (default: :attr:`active`).

        Returns
        -------
        A : scipy.sparse.csr_array
            One row per constraint, one column per variable (``D.NVAR``).
        lower, upper : numpy.ndarray
            The bounds of each row (``inf`` where a row has no upper bound).

        Examples
        --------
        The model of a complete table, partnership k graded ``G[(k + j) % 6]`` on indicator j:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> A, lower, upper = model.constraints()
        >>> A.shape  # 288 rows of one grade per cell, then one row per cell of the table
        (576, 1728)
        >>> bool((lower == upper).all())
        True
        >>> model.constraints(extra=[(np.array([0, 1]), 0, 1)])[0].shape
        (577, 1728)
        """
        return self._matrix(self.active if groups is None else groups, extra)

    def maximise(self, coef: np.ndarray, extra=()) -> tuple[float, np.ndarray] | None:
        """The maximum of ``coef @ x`` over consistent tables (with ``extra`` rows) and a table
        attaining it, or None when no table satisfies them.

        Parameters
        ----------
        coef : numpy.ndarray
            One coefficient per variable (length ``D.NVAR``).
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).

        Returns
        -------
        tuple of (float, numpy.ndarray) or None
            The maximum and a 0/1 solution vector attaining it; None if no table satisfies the
            constraints.

        Examples
        --------
        With no constraints but one grade per cell, the largest sum of 1.1's grade values is 32 x 6,
        every partnership Excellent; with no Excellent allowed, 32 x 5:

        >>> model = RecordModel([], "no constraints")
        >>> coef = np.zeros(D.NVAR)
        >>> for p in D.P:
        ...     for value, g in enumerate(D.G, start=1):
        ...         coef[var(p, "1.1", g)] = value
        >>> model.maximise(coef)[0]
        192.0
        >>> excellent = np.array([var(p, "1.1", "Excellent") for p in D.P])
        >>> model.maximise(coef, extra=[(excellent, 0, 0)])[0]
        160.0
        >>> model.maximise(coef, extra=[(excellent, 33, 33)]) is None  # 33 of 32 partnerships
        True
        """
        x = self.solve(extra=extra, objective=-np.asarray(coef, float))
        return None if x is None else (float(np.asarray(coef, float) @ x), x)

    def solve(self, groups=None, extra=(), objective=None):
        """A 0/1 solution vector (or None if infeasible); minimises ``objective`` if given.

        Parameters
        ----------
        groups : list of Group, optional
            The groups in force (default: :attr:`active`).
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).
        objective : numpy.ndarray, optional
            Coefficients (length ``D.NVAR``) of a linear objective to minimise; None: any
            consistent table.

        Returns
        -------
        numpy.ndarray or None
            Integer 0/1 vector of length ``D.NVAR`` (read it with :func:`grade_values` or
            :meth:`table`); None when the constraints admit no table.

        Raises
        ------
        RuntimeError
            If the solver stops for any reason other than an optimum or infeasibility.

        Examples
        --------
        The model of a complete table, partnership k graded ``G[(k + j) % 6]`` on indicator j:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> grade_values(model.solve(), "1.1")[:8].tolist()
        [1, 2, 3, 4, 5, 6, 1, 2]
        >>> model.solve(extra=[(np.array([var("Edinburgh", "1.1", "Good")]), 1, 1)]) is None
        True

        Without the table's groups, rewarding every Excellent on 1.1:

        >>> objective = np.zeros(D.NVAR)
        >>> objective[[var(p, "1.1", "Excellent") for p in D.P]] = -1
        >>> set(grade_values(model.solve(groups=[], objective=objective), "1.1").tolist())
        {6}
        """
        c = np.zeros(D.NVAR) if objective is None else np.asarray(objective, dtype=float)
        self.solves += 1
        if groups is None:  # the rows in force: the kept program, with ``extra`` for this solve only
            program = self._active_program()
            with program.rows(_weighted(extra)):
                return program.solve(c)
        A, lo, hi = self._matrix(groups, extra)
        res = milp(c, integrality=np.ones(D.NVAR), bounds=Bounds(0, 1), constraints=LinearConstraint(A, lo, hi))
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"solver stopped: {res.message}")
        return np.rint(res.x).astype(int)

    def feasible(self, groups=None, extra=()) -> bool:
        """Is there a table satisfying ``groups`` and ``extra`` rows?

        Parameters
        ----------
        groups : list of Group, optional
            The groups in force (default: :attr:`active`).
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).

        Returns
        -------
        bool
            True when :meth:`solve` finds a table.

        Examples
        --------
        >>> good = cell_group("Edinburgh", "1.1", "Good")
        >>> weak = cell_group("Edinburgh", "1.1", "Weak", kind="table")
        >>> model = RecordModel([good, weak], "two grades for one cell")
        >>> model.feasible(), model.feasible([good]), model.feasible([good], extra=weak.rows)
        (False, True, False)
        """
        return self.solve(groups, extra) is not None

    def canonical(self, indicator: str, extra=(), limit: int = 6**18) -> np.ndarray | None:
        """A consistent table satisfying ``extra`` whose grades on ``indicator`` are the
        lexicographically smallest (partnerships in :data:`P` order, Unsatisfactory first); None if
        there is none.

        A solver returns *some* optimal table, and which one may depend on its path through the
        search (and so on the machine). A witness chosen this way depends only on the constraints:
        every machine publishes the same one. It is found and proved smallest by
        :func:`analysis.record.solver.lexicographic_minimum` (each cell's digit is the rank of its
        grade among the grades the record allows it).

        Parameters
        ----------
        indicator : str
            The indicator whose grades are made lexicographically smallest.
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).
        limit : int, optional
            The largest product of the place values of one block of the search (default 6^18).

        Returns
        -------
        numpy.ndarray or None
            A 0/1 solution vector (length ``D.NVAR``), or None when no consistent table satisfies
            ``extra``.

        Raises
        ------
        Infeasible
            If the active constraints admit no table at all.
        RuntimeError
            If the solver stops for any reason other than an optimum or infeasibility.

        Examples
        --------
        With no constraints, the smallest table with at least three Excellent grades on 1.1 gives
        them to the last three partnerships and Unsatisfactory to the other 29:

        >>> model = RecordModel([], "no constraints")
        >>> excellent = np.array([var(p, "1.1", "Excellent") for p in D.P])
        >>> values = grade_values(model.canonical("1.1", [(excellent, 3, np.inf)]), "1.1")
        >>> int((values == 1).sum()), values[-4:].tolist()
        (29, [1, 6, 6, 6])
        """
        upper = self.possible.reshape(-1).astype(float)  # a grade no consistent table gives stays 0
        cells = [[var(p, indicator, g) for g in D.G] for p in D.P]
        rows = _weighted(extra)
        program = self._active_program()
        with program.rows(rows):
            self.solves += 1
            return lexicographic_minimum(program, cells, upper=upper, limit=limit)

    # -- conflicts ----------------------------------------------------------------------------------
    def minimal_conflict(self, candidates: list[Group], background: list[Group] = (), extra=()) -> list[Group]:
        """A minimal subset of ``candidates`` that, with ``background`` and ``extra`` rows, admits no table.

        QuickXplain (Junker 2004): earlier candidates are preferred in the explanation.

        Parameters
        ----------
        candidates : list of Group
            The groups to explain the conflict with.
        background : list of Group, optional
            Groups always in force, never part of the answer.
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).

        Returns
        -------
        list of Group
            A subset of ``candidates`` admitting no table (with the background and ``extra``), every
            proper subset of which admits one; empty when the background alone admits none.

        Raises
        ------
        analysis.errors.UsageError
            If ``candidates`` with the background admit a table (there is no conflict).

        Examples
        --------
        >>> orkney = cell_group("Orkney", "2.1", "Excellent")
        >>> good = cell_group("Edinburgh", "1.1", "Good")
        >>> weak = cell_group("Edinburgh", "1.1", "Weak", kind="table")
        >>> model = RecordModel([], "example")
        >>> [g.label for g in model.minimal_conflict([orkney, good, weak])]
        ['Edinburgh 1.1 is Good', 'Edinburgh 1.1 is Weak']
        >>> model.minimal_conflict([orkney, good])
        Traceback (most recent call last):
            ...
        analysis.errors.UsageError: the candidates admit a table: there is no conflict to explain
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
        solves; ``exact`` is False then (the count is a lower bound).

        Parameters
        ----------
        candidates : list of Group
            The groups, told apart by their ``id``.
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).
        cap : int, optional
            Stop after this many minimal sets (default 5).
        budget : int, optional
            Stop after this many feasibility solves of the search (default 60).

        Returns
        -------
        count : int
            The number of minimal conflicting subsets found.
        exact : bool
            True when the search finished, so ``count`` is the number of minimal conflicts.

        Examples
        --------
        Three groups giving one cell three different grades: every pair is a minimal conflict.

        >>> groups = [cell_group("Edinburgh", "1.1", g, kind=k) for g, k in
        ...           [("Good", "cell"), ("Weak", "table"), ("Adequate", "derived")]]
        >>> model = RecordModel([], "example")
        >>> model.count_minimal_conflicts(groups)
        (3, True)
        >>> model.count_minimal_conflicts(groups, cap=2)
        (2, False)
        """
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
        """Find conflicts until the active groups admit a table; set aside their statements.

        Each minimal conflict (:meth:`minimal_conflict`) found among the groups still in force has its
        statements set aside, or all its groups where it holds no statement; the search repeats
        until the rest admits a table. Sets :attr:`active`, :attr:`set_aside` and :attr:`conflicts`.

        Returns
        -------
        list of list of Group
            The minimal conflicts found, in the order found (empty when the groups admit a table).

        Examples
        --------
        >>> stated = cell_group("Edinburgh", "1.1", "Good")
        >>> claim = cell_group("Edinburgh", "1.1", "Weak", kind="statement")
        >>> model = RecordModel([stated, claim], "example")
        >>> [[g.label for g in conflict] for conflict in model.resolve_conflicts()]
        [['Edinburgh 1.1 is Good', 'Edinburgh 1.1 is Weak']]
        >>> [g.kind for g in model.active], [g.kind for g in model.set_aside]
        (['cell'], ['statement'])
        """
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
        """The groups in force: every group given, less those set aside (conflicts resolved on first use).

        Conflicts are resolved on first use for a model from :meth:`from_record`; a model built
        otherwise has every group in force until :meth:`resolve_conflicts` runs (as it does on first
        use of :attr:`conflicts`).

        Returns
        -------
        list of Group
            The groups every solve uses by default.

        Examples
        --------
        >>> good = cell_group("Edinburgh", "1.1", "Good")
        >>> weak = cell_group("Edinburgh", "1.1", "Weak", kind="table")
        >>> model = RecordModel([good, weak], "example")
        >>> len(model.active)
        2
        >>> _ = model.resolve_conflicts()
        >>> len(model.active)  # a conflict with no statement: all its groups set aside
        0
        """
        if self._resolve:
            self.resolve_conflicts()
        return self._active

    @property
    def set_aside(self) -> list[Group]:
        """The groups set aside because the record cannot hold with them.

        Returns
        -------
        list of Group
            Every group given that is not in :attr:`active`, in the order given.

        Examples
        --------
        >>> stated = cell_group("Edinburgh", "1.1", "Good")
        >>> claim = cell_group("Edinburgh", "1.1", "Weak", kind="statement")
        >>> model = RecordModel([stated, claim], "example")
        >>> _ = model.resolve_conflicts()
        >>> [g.id for g in model.set_aside]
        ['statement:Edinburgh|1.1']
        """
        if self._resolve:
            self.resolve_conflicts()
        return self._set_aside

    @property
    def conflicts(self) -> list[list[Group]]:
        """The minimal conflicts among the groups given (:meth:`resolve_conflicts` on first use).

        Returns
        -------
        list of list of Group
            One list per minimal conflict found; empty when every group can hold together.

        Examples
        --------
        >>> stated = cell_group("Edinburgh", "1.1", "Good")
        >>> claim = cell_group("Edinburgh", "1.1", "Weak", kind="statement")
        >>> [[g.kind for g in c] for c in RecordModel([stated, claim], "example").conflicts]
        [['cell', 'statement']]
        >>> RecordModel([stated], "example").conflicts
        []
        """
        if self._conflicts is None:
            self.resolve_conflicts()
        return self._conflicts

    # -- what the record fixes ------------------------------------------------------------------------
    @cached_property
    def possible(self) -> np.ndarray:
        """Boolean array [partnership, indicator, grade]: can the cell take the grade?

        Each solution found marks many (cell, grade) pairs at once: the next solve maximises
        the number of pairs not yet seen, and stops when that maximum is 0.

        Returns
        -------
        numpy.ndarray
            Boolean, shape (NP, NI, NG): partnerships in ``D.P`` order, indicators in ``D.I`` order,
            grades worst first. Computed once per model.

        Raises
        ------
        Infeasible
            If the active constraints admit no grade table.

        Examples
        --------
        Leave the first cell (Edinburgh, 1.1) of a complete table open:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> open_cell = RecordModel(model.groups[1:], "one cell open")
        >>> open_cell.possible.shape, int(open_cell.possible.sum())  # 287 cells x 1 grade + 6 grades
        ((32, 9, 6), 293)
        >>> open_cell.possible[0, 0].tolist()
        [True, True, True, True, True, True]
        """
        program = self._active_program()
        if self._known_possible is not None:
            seen = self._known_possible.reshape(-1).copy()
        else:
            self.solves += 1
            x = program.solve(np.zeros(D.NVAR))
            if x is None:
                raise Infeasible("the active constraints admit no grade table")
            self._tables.append(x)
            seen = x.astype(bool)
        # "at least one (cell, grade) not seen yet": each solve finds a table with some, many where it can
        # (to within a gap: any table with one is a fact, and the search ends only when none exists)
        unseen = np.flatnonzero(~seen)
        row = program.add_row(unseen, np.ones(len(unseen)), 1, np.inf)
        while len(unseen):
            self.solves += 1
            x = program.solve(np.where(seen, 0.0, -1.0), gap=0.5)
            if x is None:
                break
            self._tables.append(x)
            new = np.flatnonzero(x.astype(bool) & ~seen)
            if not len(new):
                raise RuntimeError("the solver's table has no grade not seen, though the program asks for one")
            seen[new] = True
            program.set_row(row, new, np.zeros(len(new)))
            unseen = np.flatnonzero(~seen)
        program.set_row_bounds(row, -np.inf, np.inf)
        return seen.reshape(D.NP, D.NI, D.NG)

    def _active_program(self) -> Program:
        """The active constraints loaded in the solver once, for the searches that only change bounds, the
        objective or a row of their own (:attr:`possible`, :meth:`count_range`)."""
        if self._program is None:
            self._program = Program(*self.constraints())
        return self._program

    def relaxed(self, keep: list[Group], basis: str | None = None) -> RecordModel:
        """The model of some of the groups in force: every table consistent with this model is consistent
        with it, so the grades this model finds possible seed its :attr:`possible`.

        Parameters
        ----------
        keep : list of Group
            Groups in force here (:attr:`active`).
        basis : str, optional
            The new model's data basis (default this one's).

        Returns
        -------
        RecordModel
            The model of ``keep``.

        Raises
        ------
        ValueError
            If a group of ``keep`` is not in force here.

        Examples
        --------
        Two stated grades; without the first, Edinburgh's 1.1 may be any grade:

        >>> rows = [cell_group("Edinburgh", "1.1", "Good"), cell_group("Orkney", "2.1", "Excellent")]
        >>> model = RecordModel(rows, "example")
        >>> int(model.relaxed(rows[1:]).possible[D.PI["Edinburgh"], D.II["1.1"]].sum())
        6
        """
        active = {id(g) for g in self.active}
        if any(id(g) not in active for g in keep):
            raise ValueError("relaxed keeps only groups in force in this model")
        out = RecordModel(keep, self.basis if basis is None else basis)
        out._known_possible = self.possible.reshape(-1)
        out._tables = list(self._tables)  # consistent with fewer groups too
        return out

    def without(self, exclude) -> RecordModel:
        """The model of the groups in force except those whose ids are in ``exclude`` (a statement judged against
        the rest of the record), made once per set of ids and kept: its possible grades are computed once.

        Parameters
        ----------
        exclude : iterable of str
            Ids of groups in force to leave out.

        Returns
        -------
        RecordModel
            This model when ``exclude`` is empty, else :meth:`relaxed` of the rest.

        Examples
        --------
        >>> rows = [cell_group("Edinburgh", "1.1", "Good"), cell_group("Orkney", "2.1", "Excellent")]
        >>> model = RecordModel(rows, "example")
        >>> rest = model.without([rows[0].id])
        >>> rest is model.without([rows[0].id]), model.without([]) is model
        (True, True)
        >>> int(rest.possible[D.PI["Edinburgh"], D.II["1.1"]].sum())
        6
        """
        key = frozenset(exclude)
        if not key:
            return self
        if key not in self._without:
            self._without[key] = self.relaxed([g for g in self.active if g.id not in key])
        return self._without[key]

    def possible_grades(self) -> pd.DataFrame:
        """One row per cell: partnership, indicator, possible (tuple, worst to best), n_possible,
        grade (the grade if fixed, else None), lowest, highest.

        Returns
        -------
        pandas.DataFrame
            288 rows in partnership, then indicator order, with columns partnership and indicator
            (ordered categoricals), possible (tuple of grades the cell can take, worst to best),
            n_possible (int), grade (the grade if only one is possible, else missing), lowest and
            highest (ordered categoricals: the worst and best possible grades).

        Raises
        ------
        Infeasible
            If the active constraints admit no grade table.

        Examples
        --------
        A complete table with its first cell (Edinburgh, 1.1) left open:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> frame = RecordModel(model.groups[1:], "one cell open").possible_grades()
        >>> list(frame.columns)
        ['partnership', 'indicator', 'possible', 'n_possible', 'grade', 'lowest', 'highest']
        >>> len(frame), int((frame["n_possible"] == 1).sum())
        (288, 287)
        >>> frame.loc[0, "lowest"], frame.loc[0, "highest"], bool(pd.isna(frame.loc[0, "grade"]))
        ('Unsatisfactory', 'Excellent', True)
        >>> frame.loc[1, "grade"]  # Edinburgh 2.1: G[(0 + 1) % 6]
        'Weak'
        """
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
        """True when every cell is fixed (min = max for every count).

        Returns
        -------
        bool
            Whether every cell can take exactly one grade.

        Raises
        ------
        Infeasible
            If the active constraints admit no grade table.

        Examples
        --------
        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> model.complete, RecordModel(model.groups[1:], "one cell open").complete
        (True, False)
        """
        return bool((self.possible.sum(axis=2) == 1).all())

    def count_range(self, indicator: str, grades, partnerships=None, groups=None, extra=()) -> tuple[int, int]:
        """Minimum and maximum, over consistent tables, of the number of ``partnerships`` (default all)
        with one of ``grades`` on ``indicator``. ``extra`` rows restrict the tables further.

        Parameters
        ----------
        indicator : str
            An indicator code.
        grades : sequence of str
            The grades counted.
        partnerships : sequence of str, optional
            The partnerships counted (default all 32).
        groups : list of Group, optional
            The groups in force (default: :attr:`active`).
        extra : sequence of tuple, optional
            Further rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)``
            (as in :class:`Group`).

        Returns
        -------
        tuple of (int, int)
            The smallest and the largest count; equal when the count is fixed.

        Raises
        ------
        Infeasible
            If the constraints admit no grade table.

        Examples
        --------
        The model of a complete table, partnership k graded ``G[(k + j) % 6]`` on indicator j:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> model.count_range("1.1", ["Excellent"])  # k = 5, 11, 17, 23, 29
        (5, 5)
        >>> model.count_range("1.1", scale.GOOD_OR_BETTER, areas.members("post-2016"))  # k = 23, 27, 28, 29
        (4, 4)
        >>> RecordModel(model.groups[1:], "one cell open").count_range("1.1", ["Excellent"])
        (5, 6)
        >>> model.count_range("1.1", ["Good"], extra=[(np.array([var("Edinburgh", "1.1", "Good")]), 1, 1)])
        Traceback (most recent call last):
            ...
        analysis.record.model.Infeasible: the constraints admit no grade table
        """
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
        if groups is None and not extra:
            # a table found before that reaches a bound from the possible grades attains it: no solve
            counts = {int(x[idx].sum()) for x in self._tables}
            ends = []
            for bound, sign in ((forced, 1), (can, -1)):
                if bound not in counts:
                    self.solves += 1
                    x = self._active_program().solve(sign * c)
                    if x is None:
                        raise Infeasible("the constraints admit no grade table")
                    self._tables.append(x)
                    bound = int(x[idx].sum())
                    counts.add(bound)
                ends.append(bound)
            return ends[0], ends[1]
        lo = self.solve(groups, extra, objective=c)
        hi = None if lo is None else self.solve(groups, extra, objective=-c)
        if lo is None or hi is None:
            raise Infeasible("the constraints admit no grade table")
        return int(lo[idx].sum()), int(hi[idx].sum())

    def table(self, x: np.ndarray) -> pd.DataFrame:
        """A solution vector as a long grade table (partnership, indicator, grade).

        Parameters
        ----------
        x : numpy.ndarray
            A 0/1 solution vector of length ``D.NVAR`` (:meth:`solve`).

        Returns
        -------
        pandas.DataFrame
            288 rows in partnership, then indicator order, with columns partnership, indicator and
            grade (ordered categoricals).

        Examples
        --------
        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> frame = model.table(model.solve())
        >>> list(frame.columns), len(frame)
        (['partnership', 'indicator', 'grade'], 288)
        >>> frame["grade"].astype(str).tolist() == [g for _, _, g in rows]
        True
        """
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
        """Is there a consistent table in which the extra ``rows`` hold?

        Parameters
        ----------
        rows : sequence of tuple
            Rows, each ``(indices, lower, upper)`` or ``(indices, coefficients, lower, upper)`` (as in
            :class:`Group`).

        Returns
        -------
        bool
            True when some table satisfies the active groups and ``rows``.

        Examples
        --------
        With only Edinburgh's 1.1 fixed to Good, can it be Good or better, or Weak?

        >>> model = RecordModel([cell_group("Edinburgh", "1.1", "Good")], "example")
        >>> good_or_better = np.array([var("Edinburgh", "1.1", g) for g in scale.GOOD_OR_BETTER])
        >>> weak = np.array([var("Edinburgh", "1.1", "Weak")])
        >>> model.can_hold([(good_or_better, 1, 1)]), model.can_hold([(weak, 1, 1)])
        (True, False)
        """
        return self.feasible(None, rows)

    def count_ranges(self, indicators_=None, grade_sets=None, scopes=None) -> pd.DataFrame:
        """Min and max counts for every indicator x grade set x scope.

        ``grade_sets`` maps a label to grades (default: each grade, and good_or_better);
        ``scopes`` maps a label to partnerships (default: each period group and 'all').
        Returns columns indicator, grades, scope, n_partnerships, min, max, fixed.

        Parameters
        ----------
        indicators_ : sequence of str, optional
            The indicators (default all nine).
        grade_sets : dict of str to sequence of str, optional
            Label to the grades counted (default: each grade under its own name, and
            ``good_or_better``).
        scopes : dict of str to sequence of str, optional
            Label to the partnerships counted (default: each period group, and ``all``).

        Returns
        -------
        pandas.DataFrame
            One row per indicator x grade set x scope, with columns indicator, grades (the grade
            set's label), scope (the scope's label), n_partnerships, min and max (the count's range,
            :meth:`count_range`) and fixed (min == max).

        Raises
        ------
        Infeasible
            If the active constraints admit no grade table.

        Examples
        --------
        The model of a complete table, partnership k graded ``G[(k + j) % 6]`` on indicator j:

        >>> G = scale.grades()
        >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(D.P) for j, i in enumerate(D.I)]
        >>> model = RecordModel.from_grades(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]))
        >>> frame = model.count_ranges(["1.1"])
        >>> list(frame.columns)
        ['indicator', 'grades', 'scope', 'n_partnerships', 'min', 'max', 'fixed']
        >>> len(frame)  # (6 grades + good_or_better) x (3 period groups + all)
        28
        >>> row = frame[(frame["grades"] == "Excellent") & (frame["scope"] == "post-2016")].iloc[0]
        >>> int(row["n_partnerships"]), int(row["min"]), int(row["max"]), bool(row["fixed"])  # k = 23, 29
        (9, 2, 2, True)
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
