"""The review's conclusions, checked against the record: confirmed, possible or contradicted.

``record/review_claims.csv`` holds the review's comparative and trend conclusions about
evaluations ("the most improvement", "a continuing downward trend", "the strongest quality
indicator"), one row per fair reading. Each reading is a linear condition on the grade table,
built here as integer rows for :class:`analysis.record.RecordModel`:

- a **holds** form and a **fails** form, each a list of alternatives (any one may hold), each
  alternative a conjunction of linear rows; both are exact (group means are compared through
  integer sums, n_b * S_a versus n_a * S_b, so a strict comparison is ">= 1");
- the verdict: **confirmed** when no table consistent with the record fails it, **contradicted**
  when none satisfies it, **possible** otherwise; with a witness table each way where one exists,
  and for confirmed and contradicted verdicts the record rows that decide it (a minimal set per
  alternative, with how many minimal sets there are).

The claims are conclusions, not observations: they are never added to the constraints that
compute ranges anywhere in the package. With a complete grade table the same code gives the
table's own verdict (confirmed or contradicted).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.errors import UsageError
from analysis.record.cache import cached
from analysis.record.model import D, Infeasible, RecordModel, grade_values, var

__all__ = ["claim_conditions", "evaluate_claims", "deciding_quantities", "trend_summary", "CLAIM_COLUMNS",
           "QUANTITY_COLUMNS"]

CLAIM_COLUMNS = ["claim_id", "claim", "indicator", "relation", "measure", "groups", "strict", "value", "value_max",
                 "reading", "verdict", "range", "holds_in", "fails_in", "evidence", "evidence_sources", "decided_by",
                 "explanations", "source_id", "section", "quote"]


def _sum_coef(indicator: str, measure: str, partnerships) -> np.ndarray:
    """Coefficients of S: the sum of grade values (mean_grade) or the count of Good-or-better
    grades (good_or_better_*) of ``indicator`` over ``partnerships``."""
    c = np.zeros(D.NVAR)
    for p in partnerships:
        for g in scale.GRADES:
            c[var(p, indicator, g)] = (
                scale.grade_values()[g] if measure == "mean_grade" else float(g in scale.GOOD_OR_BETTER)
            )
    return c


def _row(coef: np.ndarray, lo: float, hi: float):
    idx = np.flatnonzero(coef)
    return (idx, coef[idx], lo, hi)


def _at_least(coef, t):
    return _row(coef, t, np.inf)


def _at_most(coef, t):
    return _row(coef, -np.inf, t)


def _per_area_difference(indicator, measure, a: str, b: str) -> np.ndarray:
    """n_a * S_b - n_b * S_a: positive exactly when group b's per-area measure is above group a's."""
    ma, mb = areas.members(a), areas.members(b)
    return len(ma) * _sum_coef(indicator, measure, mb) - len(mb) * _sum_coef(indicator, measure, ma)


def claim_conditions(claim) -> tuple[list, list, np.ndarray | None, str]:
    """(holds, fails, quantity, quantity label) for one claim row.

    ``holds`` and ``fails`` are lists of alternatives, each a list of rows; ``quantity`` is a
    linear functional whose range is shown beside the verdict (None when the condition is not a
    single inequality).

    Parameters
    ----------
    claim : pandas.Series or dict
        One row of ``record.claims``: indicator, relation ('rises', 'falls', 'association_up',
        'association_down', 'highest', 'most_improved', 'top', 'at_least' or 'between'), measure
        ('mean_grade', 'good_or_better_share' or 'good_or_better_count'), groups (tuple of period
        groups, in the order compared), strict, value and value_max.

    Returns
    -------
    holds : list of list of tuple
        The alternatives under which the reading holds (any one suffices), each a list of rows
        ``(variable indices, coefficients, lower, upper)`` that must all hold, as in
        :class:`analysis.record.model.Group` rows.
    fails : list of list of tuple
        The alternatives under which it fails, in the same form.
    quantity : numpy.ndarray or None
        Coefficients over the model's variables of the quantity that decides the reading (a
        difference of group means or shares, the centred statistic C, a mean or a count), or None.
    label : str
        What ``quantity`` is, e.g. 'mean grade over 32 areas'; "" when ``quantity`` is None.

    Raises
    ------
    analysis.errors.UsageError
        If the relation is not one of those above.

    Examples
    --------
    "At least 17 of the 32 Good or better on 5.3": holds when the count is at least 17, fails when
    it is at most 16.

    >>> claim = {"indicator": "5.3", "relation": "at_least", "measure": "good_or_better_count",
    ...          "groups": ("pre-2014", "2014-16", "post-2016"), "strict": False, "value": 17, "value_max": None}
    >>> holds, fails, quantity, label = claim_conditions(claim)
    >>> label
    'good-or-better count over 32 areas'
    >>> [[(len(r[0]), r[2], r[3]) for r in alt] for alt in holds]  # 32 areas x Good, Very good, Excellent
    [[(96, 17, inf)]]
    >>> [[(r[2], r[3]) for r in alt] for alt in fails]
    [[(-inf, 16)]]

    In the complete table below partnership k is Good or better on 5.3 (j = 5) when k mod 6 is 4,
    5 or 0: 5 + 5 + 6 = 16 of the 32.

    >>> from analysis.domain import areas, load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> float(quantity @ model.solve())
    16.0
    >>> claim_conditions(dict(claim, relation="peaks"))
    Traceback (most recent call last):
    ...
    analysis.errors.UsageError: unknown relation 'peaks'
    """
    ind, rel, measure = str(claim["indicator"]), claim["relation"], claim["measure"]
    groups = list(claim["groups"])
    strict = bool(claim["strict"])
    gap = 1 if strict else 0
    others = [i for i in indicators.INDICATORS if i != ind]
    if rel in ("rises", "falls"):
        pairs = list(zip(groups, groups[1:]))
        diffs = [_per_area_difference(ind, measure, a, b) * (1 if rel == "rises" else -1) for a, b in pairs]
        holds = [[_at_least(d, gap) for d in diffs]]
        fails = [[_at_most(d, gap - 1)] for d in diffs]
        a, b = groups[0], groups[-1]
        na, nb = len(areas.members(a)), len(areas.members(b))
        quantity = _per_area_difference(ind, measure, a, b) / (na * nb)
        label = f"{'mean' if measure == 'mean_grade' else 'good-or-better share'}: {b} minus {a}"
        return holds, fails, quantity, label
    if rel in ("association_up", "association_down"):
        of = areas.period_group_of()
        u = np.array([areas.PERIOD_GROUPS.index(of[p]) + 1 for p in D.P])
        c = np.zeros(D.NVAR)
        for a, p in enumerate(D.P):
            for g in scale.GRADES:
                c[var(p, ind, g)] = (len(D.P) * u[a] - u.sum()) * scale.grade_values()[g]
        sign = 1 if rel == "association_up" else -1
        return [[_at_least(sign * c, 1)]], [[_at_most(sign * c, 0)]], c / len(D.P), "centred statistic C"
    if rel in ("highest", "most_improved"):
        if rel == "highest":
            mine = _sum_coef(ind, measure, D.P)
            theirs = {y: _sum_coef(y, measure, D.P) for y in others}
        else:
            mine = _per_area_difference(ind, measure, groups[0], groups[1])
            theirs = {y: _per_area_difference(y, measure, groups[0], groups[1]) for y in others}
        holds = [[_at_least(mine - theirs[y], gap) for y in others]]
        fails = [[_at_most(mine - theirs[y], gap - 1)] for y in others]
        return holds, fails, None, ""
    if rel == "top":
        k = int(claim["value"])
        mine = _sum_coef(ind, measure, D.P)
        theirs = {y: _sum_coef(y, measure, D.P) for y in others}
        # holds: some len(others) - (k - 1) others are not strictly above; fails: some k others are
        holds = [
            [_at_most(theirs[y] - mine, 0) for y in keep]
            for keep in itertools.combinations(others, len(others) - (k - 1))
        ]
        fails = [[_at_least(theirs[y] - mine, 1) for y in above] for above in itertools.combinations(others, k)]
        return holds, fails, None, ""
    members = [p for g in groups for p in areas.members(g)]
    s = _sum_coef(ind, measure, members)
    n = len(members)
    scale_n = n if measure == "mean_grade" else 1  # a mean is compared through its sum
    label = f"{'mean grade' if measure == 'mean_grade' else 'good-or-better count'} over {n} areas"
    quantity = s / scale_n
    if rel == "at_least":
        t = math.ceil(float(claim["value"]) * scale_n - 1e-9)
        return [[_at_least(s, t)]], [[_at_most(s, t - 1)]], quantity, label
    if rel == "between":
        lo = math.ceil(float(claim["value"]) * scale_n - 1e-9)
        hi = math.floor(float(claim["value_max"]) * scale_n + 1e-9)
        return [[_row(s, lo, hi)]], [[_at_most(s, lo - 1)], [_at_least(s, hi + 1)]], quantity, label
    raise UsageError(f"unknown relation {rel!r}")


def _first_feasible(model: RecordModel, alternatives, indicator: str):
    """A table satisfying the first alternative any table satisfies: the canonical one on
    ``indicator`` (:meth:`RecordModel.canonical`), so the witness summarised is the same on every
    machine; None if no alternative can hold."""
    for rows in alternatives:
        if model.feasible(extra=rows):
            return model.canonical(indicator, rows)
    return None


def _group_summary(x: np.ndarray, claim) -> str:
    """The claim's indicator in a witness table: each group's mean grade and good-or-better count."""
    col = grade_values(x, str(claim["indicator"]))
    of = areas.period_group_of()
    parts = []
    for g in areas.PERIOD_GROUPS:
        v = np.array([col[a] for a, p in enumerate(D.P) if of[p] == g])
        gob = int((v >= scale.grade_values()[scale.GOOD_OR_BETTER[0]]).sum())
        parts.append(f"{g} mean {v.mean():.2f}, {gob}/{len(v)} good or better")
    return "; ".join(parts)


@cached
def evaluate_claims(record, model: RecordModel | None = None, evidence: bool = True) -> pd.DataFrame:
    """One row per reading of ``record.claims``; columns :data:`CLAIM_COLUMNS`.

    Parameters
    ----------
    record : PublicRecord
        The public record (:func:`analysis.domain.load.load_record`); its ``claims`` are checked.
    model : RecordModel, optional
        What the claims are checked against: defaults to the public record's
        (``RecordModel.from_record(record)``); pass ``RecordModel.from_grades(table)`` for a complete
        table's own verdicts (confirmed or contradicted).
    evidence : bool, default True
        On the record, find for each confirmed or contradicted verdict a minimal set of rows
        deciding it per alternative, and how many such sets there are (the slow part).

    Returns
    -------
    pandas.DataFrame
        One row per reading, in the order of ``record.claims``, with columns :data:`CLAIM_COLUMNS`:
        the claim's own columns (claim_id, claim, indicator, relation, measure, groups joined by
        '|', strict, value, value_max, reading, source_id, section, quote) and verdict (confirmed,
        possible or contradicted); ``range``: min and max over consistent tables of the reading's
        deciding quantity, where it is one inequality (a difference of group means or shares, C, a
        mean or a count); ``holds_in`` and ``fails_in``: a consistent table in which the reading
        holds / fails, summarised per group; ``evidence``: for a confirmed or contradicted verdict,
        the record rows deciding it, with evidence_sources, decided_by (as
        :func:`analysis.stats.statements.decided_by`) and explanations.

    Raises
    ------
    analysis.record.model.Infeasible
        If the model admits no grade table.
    analysis.errors.UsageError
        If a claim's relation is unknown (:func:`claim_conditions`).

    Examples
    --------
    The two readings of "a reasonable standard" on 5.3, checked against a complete table. There
    partnership k has grade (k + 5) mod 6 on 5.3: six Excellent, six Unsatisfactory and five of
    each other grade, so the mean is (6 x 6 + 6 x 1 + 5 x (2 + 3 + 4 + 5)) / 32 = 3.5 (at least
    Adequate, 3) and 5 + 5 + 6 = 16 are Good or better (fewer than 17).

    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> import dataclasses
    >>> record = load.load_record()
    >>> ids = ["cl-5.3-reasonable-mean", "cl-5.3-reasonable-gob"]
    >>> few = dataclasses.replace(record, claims=record.claims[record.claims["claim_id"].isin(ids)])
    >>> out = evaluate_claims(few, model)
    >>> list(out.columns) == CLAIM_COLUMNS
    True
    >>> for r in out.itertuples():
    ...     print(r.claim_id, r.verdict, r.range, sep=" | ")
    cl-5.3-reasonable-mean | confirmed | mean grade over 32 areas: 3.5
    cl-5.3-reasonable-gob | contradicted | good-or-better count over 32 areas: 16
    """
    from analysis.stats.statements import decided_by, describe_explanation

    model = model or RecordModel.from_record(record)
    out = []
    for _, claim in record.claims.iterrows():
        holds, fails, quantity, label = claim_conditions(claim)
        x_hold = _first_feasible(model, holds, str(claim["indicator"]))
        x_fail = _first_feasible(model, fails, str(claim["indicator"]))
        verdict = (
            "possible"
            if x_hold is not None and x_fail is not None
            else "confirmed"
            if x_hold is not None
            else "contradicted"
        )
        if x_hold is None and x_fail is None:
            raise Infeasible("the record admits no grade table")
        rng = ""
        if quantity is not None:
            lo_hi = [float(quantity @ model.solve(objective=sign * quantity)) for sign in (1, -1)]
            rng = f"{label}: {lo_hi[0]:.3g} to {lo_hi[1]:.3g}" if lo_hi[0] != lo_hi[1] else f"{label}: {lo_hi[0]:.3g}"
        ev_groups, explanations = [], ""
        deciding = fails if verdict == "confirmed" else holds if verdict == "contradicted" else []
        if evidence and deciding and not model.complete:
            if len(deciding) <= 8:
                counts = []
                for rows in deciding:
                    found = model.minimal_conflict(model.active, extra=rows)
                    ev_groups += [g for g in found if g not in ev_groups]
                    counts.append(model.count_minimal_conflicts(model.active, extra=rows))
                explanations = describe_explanation(counts)
            else:
                explanations = (
                    f"ruled out in each of the {len(deciding)} ways it could "
                    f"{'fail' if verdict == 'confirmed' else 'hold'} (rows not itemised)"
                )
        elif model.complete and deciding:
            explanations = "the complete table"
        out.append(
            {
                "claim_id": claim["claim_id"],
                "claim": claim["claim"],
                "indicator": str(claim["indicator"]),
                "relation": claim["relation"],
                "measure": claim["measure"],
                "groups": "|".join(claim["groups"]),
                "strict": bool(claim["strict"]),
                "value": claim["value"],
                "value_max": claim["value_max"],
                "reading": claim["reading"],
                "verdict": verdict,
                "range": rng,
                "holds_in": _group_summary(x_hold, claim) if x_hold is not None else "",
                "fails_in": _group_summary(x_fail, claim) if x_fail is not None else "",
                "evidence": "; ".join(g.label for g in ev_groups),
                "evidence_sources": "; ".join(dict.fromkeys(g.source_id for g in ev_groups if g.source_id)),
                "decided_by": decided_by(ev_groups, claim["source_id"], claim["quote"]) if ev_groups else "",
                "explanations": explanations,
                "source_id": claim["source_id"],
                "section": claim["section"],
                "quote": claim["quote"],
            }
        )
    return pd.DataFrame(out, columns=CLAIM_COLUMNS)


QUANTITY_COLUMNS = ["claim_id", "quantity", "indicator", "measure", "from_group", "to_group", "min", "max"]


def _quantities(claim) -> list[tuple[str, str, str, str, str, np.ndarray]]:
    """What decides one reading, quantity by quantity: (quantity, indicator, measure, from_group, to_group,
    coefficients), each a linear functional over the model's variables."""
    ind, rel, measure = str(claim["indicator"]), claim["relation"], claim["measure"]
    groups = list(claim["groups"])
    out = []

    def difference(indicator, a, b):
        na, nb = len(areas.members(a)), len(areas.members(b))
        return _per_area_difference(indicator, measure, a, b) / (na * nb)

    if rel in ("rises", "falls"):
        for a, b in zip(groups, groups[1:]):  # each step the reading compares, in order
            out.append(("difference", ind, measure, a, b, difference(ind, a, b)))
    elif rel in ("association_up", "association_down"):
        _, _, c, _ = claim_conditions(claim)
        out.append(("C", ind, measure, "", "", c))
    elif rel == "most_improved":
        for y in indicators.INDICATORS:  # this indicator's rise beside every other's
            out.append(("difference", y, measure, groups[0], groups[1], difference(y, groups[0], groups[1])))
    elif rel in ("highest", "top"):
        n = len(D.P)
        for y in indicators.INDICATORS:  # this indicator's level beside every other's, over all areas
            coef = _sum_coef(y, measure, D.P)
            out.append(("level", y, measure, "", "", coef / n if measure == "mean_grade" else coef))
    else:
        _, _, quantity, _ = claim_conditions(claim)
        if quantity is not None:
            out.append(("level", ind, measure, "|".join(groups), "", quantity))
    return out


@cached
def deciding_quantities(record, model: RecordModel | None = None) -> pd.DataFrame:
    """What decides each reading of the review's conclusions, quantity by quantity, with its range.

    :func:`evaluate_claims` gives one range per reading (``range``: the first group against the last).
    A reader needs each quantity the reading compares: every step of a step-by-step reading (each
    group against the one before), the trend statistic C of a reading as a direction, and for a
    comparison among the indicators ("the most improvement", "the strongest", "one of the stronger")
    the same quantity for every indicator, so the reader sees which could be higher.

    Parameters
    ----------
    record : PublicRecord
        The public record (:func:`analysis.domain.load.load_record`); its ``claims`` are read.
    model : RecordModel, optional
        The model the ranges are taken over (default: the public record's); with a complete grade
        table every minimum equals its maximum.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUANTITY_COLUMNS`: claim_id; quantity ('difference': the per-area ``measure`` of
        ``to_group`` minus that of ``from_group``, as a mean grade or a share from 0 to 1; 'C': the trend
        statistic over all areas; 'level': the ``measure`` of ``indicator`` over all areas, or over the
        groups named in ``from_group``, as a mean grade, a share or a count); indicator; measure;
        from_group; to_group; min and max over the consistent tables. Rows in the order of
        ``record.claims``, then as the reading compares.

    Examples
    --------
    On a complete table each quantity is exact. There partnership k has grade (k + j) mod 6 + 1 on
    indicator j (Appendix 4 order: k = 0-10 pre-2014, 11-22 2014-16, 23-31 post-2016). On 1.1 (j = 0)
    the groups' grades sum to 36, 42 and 30, so their means are 3.27, 3.50 and 3.33: the steps are
    +0.23 and -0.17. On 5.3 (j = 5) a partnership is Good or better when k mod 6 is 4, 5 or 0: 16 of
    the 32 (5 + 5 + 6), as :func:`claim_conditions` says.

    >>> import dataclasses
    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> record = load.load_record()
    >>> ids = ["cl-5.3-reasonable-gob", "cl-1.1-improved-mean-steps"]
    >>> few = dataclasses.replace(record, claims=record.claims[record.claims["claim_id"].isin(ids)])
    >>> q = deciding_quantities(few, model)
    >>> for r in q.itertuples():
    ...     print(r.claim_id, r.quantity, r.from_group, r.to_group, round(r.min, 2), round(r.max, 2))
    cl-1.1-improved-mean-steps difference pre-2014 2014-16 0.23 0.23
    cl-1.1-improved-mean-steps difference 2014-16 post-2016 -0.17 -0.17
    cl-5.3-reasonable-gob level pre-2014|2014-16|post-2016  16.0 16.0
    """
    model = model or RecordModel.from_record(record)
    memo: dict[bytes, tuple[float, float]] = {}
    rows = []
    for _, claim in record.claims.iterrows():
        for quantity, ind, measure, a, b, coef in _quantities(claim):
            key = coef.tobytes()
            if key not in memo:
                memo[key] = tuple(float(coef @ model.solve(objective=sign * coef)) for sign in (1, -1))
            lo, hi = memo[key]
            rows.append({"claim_id": claim["claim_id"], "quantity": quantity, "indicator": ind, "measure": measure,
                         "from_group": a, "to_group": b, "min": lo, "max": hi})
    return pd.DataFrame(rows, columns=QUANTITY_COLUMNS)


def trend_summary(bounds: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: whether the record forces, allows or rules out a significant upward and
    downward trend (:func:`analysis.stats.trend_bounds.trend_bounds`), beside the review's own words on
    the trend of that indicator and the verdicts of their readings as directions (not
    significance).

    Parameters
    ----------
    bounds : pandas.DataFrame
        The ``"bounds"`` frame of :func:`analysis.stats.trend_bounds.trend_bounds`: one row per
        indicator x direction ('up', 'down') for every indicator, with a verdict ('forced',
        'possible' or 'impossible').
    claims : pandas.DataFrame
        Claim verdicts from :func:`evaluate_claims` (columns indicator, relation, verdict, quote
        are used). Only trend readings count: relations 'rises', 'falls', 'association_up',
        'association_down' and 'most_improved'.

    Returns
    -------
    pandas.DataFrame
        One row per indicator. Columns: indicator, title, significant_up, significant_down
        ('forced', 'possible' or 'ruled out'), review_says (the distinct quotes of the indicator's
        trend readings, each in curly quotation marks, joined by ' / '; "" if none),
        direction_readings (how many of those readings are confirmed, possible and contradicted,
        e.g. '1 possible, 2 contradicted'; "" if none).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.domain import indicators
    >>> bounds = pd.DataFrame([(i, d, "possible") for i in indicators.codes() for d in ("up", "down")],
    ...                       columns=["indicator", "direction", "verdict"])
    >>> bounds.loc[(bounds["indicator"] == "6.2") & (bounds["direction"] == "up"), "verdict"] = "impossible"
    >>> claims = pd.DataFrame({"indicator": ["6.2", "6.2", "6.2"],
    ...                        "relation": ["falls", "association_down", "at_least"],
    ...                        "verdict": ["possible", "contradicted", "confirmed"],
    ...                        "quote": ["a continuing downward trend"] * 2 + ["a reasonable standard"]})
    >>> summary = trend_summary(bounds, claims).set_index("indicator")
    >>> row = summary.loc["6.2"]
    >>> row["significant_up"], row["significant_down"], row["direction_readings"]
    ('ruled out', 'possible', '1 possible, 1 contradicted')
    >>> print(row["review_says"])  # the 'at_least' reading is not a trend reading
    “a continuing downward trend”
    >>> len(summary), summary.loc["1.1", "review_says"]
    (9, '')
    """
    words = {"forced": "forced", "possible": "possible", "impossible": "ruled out"}
    frame = bounds.set_index(["indicator", "direction"])
    titles = dict(zip(indicators.indicator_table()["indicator"], indicators.indicator_table()["title"]))
    trend_rel = {"rises", "falls", "association_up", "association_down", "most_improved"}
    rows = []
    for ind in indicators.INDICATORS:
        mine = claims[(claims["indicator"] == ind) & claims["relation"].isin(trend_rel)]
        quotes = list(dict.fromkeys(mine["quote"]))
        counts = mine.groupby("verdict").size()
        rows.append(
            {
                "indicator": ind,
                "title": titles.get(ind, ""),
                "significant_up": words[frame.loc[(ind, "up"), "verdict"]],
                "significant_down": words[frame.loc[(ind, "down"), "verdict"]],
                "review_says": " / ".join(f"\u201c{q}\u201d" for q in quotes) if quotes else "",
                "direction_readings": ", ".join(
                    f"{int(counts[v])} {v}" for v in ("confirmed", "possible", "contradicted") if v in counts
                ),
            }
        )
    return pd.DataFrame(rows)
