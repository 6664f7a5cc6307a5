"""Summaries of a grade table: counts, shares, good-or-better with intervals, medians, profiles.

Every function takes a :class:`analysis.record.RecordModel`. Built from a complete table
(``RecordModel.from_grades``) the results are exact (``min == max``); built from the public
record (``RecordModel.from_record``) they are the ranges over every consistent table. Either
way the columns are the same, so notebooks use one code path.

Scopes: ``"all"`` (the 32) and each period group id, unless given.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.errors import UsageError
from analysis.record.cache import cached
from analysis.record.model import RecordModel, var

__all__ = [
    "summarise_table",
    "default_scopes",
    "grade_distribution",
    "good_or_better",
    "wilson_interval",
    "median_grade",
    "partnership_grades",
    "published_counts",
    "partnership_profile",
    "all_good_or_better",
]


def default_scopes() -> dict[str, list[str]]:
    """'all' and each period group, with their partnerships."""
    return {"all": list(areas.PARTNERSHIPS)} | {g: areas.members(g) for g in areas.PERIOD_GROUPS}


def wilson_interval(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for count/n (statsmodels' proportion_confint)."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(count, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


@cached
def grade_distribution(model: RecordModel, scopes: dict | None = None) -> pd.DataFrame:
    """Counts of partnerships per indicator x grade x scope.

    Columns: indicator, scope, grade (worst to best), n_partnerships, min, max, fixed,
    share_min, share_max. With a complete table min == max.
    """
    scopes = scopes or default_scopes()
    frame = model.count_ranges(grade_sets={g: (g,) for g in scale.GRADES}, scopes=scopes)
    frame = frame.rename(columns={"grades": "grade", "scope": "scope"})
    frame["share_min"] = frame["min"] / frame["n_partnerships"]
    frame["share_max"] = frame["max"] / frame["n_partnerships"]
    frame["grade"] = frame["grade"].astype(scale.grade_dtype())
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    return frame[["indicator", "scope", "grade", "n_partnerships", "min", "max", "fixed", "share_min", "share_max"]]


@cached
def good_or_better(model: RecordModel, scopes: dict | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Good-or-better counts and shares per indicator x scope, with intervals.

    Columns: indicator, scope, n_partnerships, min, max, fixed, share_min, share_max,
    ci_low, ci_high, interval. For a complete table (min == max) the interval is the Wilson
    95% interval of the share ('wilson'). Under the record it runs from the Wilson lower bound
    at the minimum count to the Wilson upper bound at the maximum ('record range + wilson'):
    the share lies in [share_min, share_max], and sampling uncertainty widens it further.
    """
    scopes = scopes or default_scopes()
    frame = model.count_ranges(grade_sets={"good_or_better": scale.GOOD_OR_BETTER}, scopes=scopes)
    frame = frame.drop(columns="grades")
    frame["share_min"] = frame["min"] / frame["n_partnerships"]
    frame["share_max"] = frame["max"] / frame["n_partnerships"]
    frame["ci_low"] = [wilson_interval(lo, n, alpha)[0] for lo, n in zip(frame["min"], frame["n_partnerships"])]
    frame["ci_high"] = [wilson_interval(hi, n, alpha)[1] for hi, n in zip(frame["max"], frame["n_partnerships"])]
    frame["interval"] = np.where(frame["fixed"], "wilson", "record range + wilson")
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    return frame


@cached
def median_grade(model: RecordModel, scopes: dict | None = None) -> pd.DataFrame:
    """Lower median grade per indicator x scope, as a range over consistent tables.

    The lower median of n grades is the ceil(n/2)-th smallest. It is at most g exactly when at
    least ceil(n/2) partnerships are at or below g. Columns: indicator, scope, n_partnerships,
    median_low, median_high, fixed.
    """
    scopes = scopes or default_scopes()
    cumulative = {g: scale.GRADES[: k + 1] for k, g in enumerate(scale.GRADES)}
    ranges = model.count_ranges(grade_sets=cumulative, scopes=scopes)
    out = []
    for (ind, scope), part in ranges.groupby(["indicator", "scope"], sort=False):
        n = int(part["n_partnerships"].iloc[0])
        k = math.ceil(n / 2)
        by = part.set_index("grades")
        low = next(g for g in scale.GRADES if by.loc[g, "max"] >= k)
        high = next(g for g in scale.GRADES if by.loc[g, "min"] >= k)
        out.append(
            {
                "indicator": ind,
                "scope": scope,
                "n_partnerships": n,
                "median_low": low,
                "median_high": high,
                "fixed": low == high,
            }
        )
    frame = pd.DataFrame(out)
    for c in ("median_low", "median_high"):
        frame[c] = frame[c].astype(scale.grade_dtype())
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    return frame


@cached
def partnership_grades(
    model: RecordModel,
    record=None,
    partnership: str | None = None,
    period_group: str | None = None,
) -> pd.DataFrame:
    """Each cell's possible grades, with the source rows that state or derive it: every partnership's,
    one ``partnership``'s (name or alias), or those of one ``period_group``.

    Columns: partnership, indicator, title, possible, n_possible, grade, lowest, highest, status
    ('stated', 'derived', 'fixed by the record' (by counts and statements), 'open', or
    'complete table'), source_id, quote. For a model of a complete table
    (:meth:`analysis.record.model.RecordModel.from_grades`), ``quote`` holds the table's own note for the cell.
    """
    frame = model.possible_grades()
    if partnership is not None:
        frame = frame[frame["partnership"] == areas.match_partnership(partnership)]
    if period_group is not None:
        frame = frame[frame["partnership"].isin(areas.members(period_group))]
    frame = frame.copy()
    frame["title"] = frame["indicator"].astype(str).map(indicators.title)
    status, sources, quotes = [], [], []
    cells, notes = {}, {}
    if record is not None:
        cells = {(str(r.partnership), str(r.indicator)): r for r in record.cell_grades.itertuples()}
    grades = model.grade_table
    if grades is not None and "note" in grades:
        notes = {(str(r.partnership), str(r.indicator)): r.note for r in grades.itertuples()}
    for rec in frame.itertuples():
        cell = cells.get((str(rec.partnership), str(rec.indicator)))
        if model.of_grade_table:
            status.append("complete table")
            sources.append("")
            quotes.append(notes.get((str(rec.partnership), str(rec.indicator)), ""))
            continue
        elif cell is not None:
            status.append(cell.basis)
        else:
            status.append("fixed by the record" if rec.n_possible == 1 else "open")
        sources.append(cell.source_id if cell is not None else "")
        quotes.append(cell.quote if cell is not None else "")
    frame["status"], frame["source_id"], frame["quote"] = status, sources, quotes
    return frame.reset_index(drop=True)[
        [
            "partnership",
            "indicator",
            "title",
            "possible",
            "n_possible",
            "grade",
            "lowest",
            "highest",
            "status",
            "source_id",
            "quote",
        ]
    ]


def published_counts(model: RecordModel, record, partnership: str) -> pd.DataFrame:
    """The grade counts public sources give for one partnership (``record.area_counts`` rows: counts
    per grade, or the grades all its indicators lie within), with their source and quote. For a model
    of a complete grade table none: the table's own grades are shown instead (same columns)."""
    p = areas.match_partnership(partnership)
    counts = record.area_counts[record.area_counts["partnership"] == p].reset_index(drop=True)
    return counts.iloc[0:0] if model.of_grade_table else counts


@cached
def partnership_profile(model: RecordModel, partnership: str, medians: pd.DataFrame | None = None) -> pd.DataFrame:
    """One partnership's nine grades against the 32 and its group, one row per indicator.

    Rank among the 32 is 1 + the number of partnerships graded strictly higher. Where the cell's
    grade is fixed the rank range is exact (min and max over consistent tables). Where it is open
    the range is a bound from the cells' possible grades (``rank_exact`` False): at best 1 + the
    partnerships that must be above its highest possible grade, at worst 1 + those that can be
    above its lowest. ``medians`` (from :func:`median_grade`, with 'all' and the group among its
    scopes) defaults to :func:`median_grade` of those two scopes.

    Columns: partnership, indicator, grade (missing if open), lowest, highest, rank_min, rank_max,
    rank_exact, national_median_low, national_median_high, group_median_low, group_median_high,
    vs_national_median ('above', 'at', 'below' or 'undetermined': compared on every grade the cell
    and the median can take).
    """
    p = areas.match_partnership(partnership)
    group = areas.period_group_of()[p]
    if medians is None:
        # all 32 and its group only: what one area needs (cached: one entry per group)
        medians = median_grade(model, {"all": list(areas.PARTNERSHIPS), group: areas.members(group)})
    med = medians.set_index(["indicator", "scope"])
    poss = model.possible
    a = areas.PARTNERSHIPS.index(p)
    others = [k for k in range(len(areas.PARTNERSHIPS)) if k != a]
    rank = {g: k for k, g in enumerate(scale.GRADES)}
    out = []
    for b, i in enumerate(indicators.INDICATORS):
        cell = [g for k, g in enumerate(scale.GRADES) if poss[a, b, k]]
        low, high = rank[cell[0]], rank[cell[-1]]
        if len(cell) == 1:
            higher = scale.GRADES[low + 1 :]
            lo, hi = model.count_range(i, higher, [areas.PARTNERSHIPS[k] for k in others]) if higher else (0, 0)
        else:
            other = poss[others, b]  # [partnership, grade]
            lo = int((~other[:, : high + 1].any(axis=1)).sum())  # must be above the highest possible
            hi = int(other[:, low + 1 :].any(axis=1).sum())  # can be above the lowest possible
        nat_lo, nat_hi = med.loc[(i, "all"), "median_low"], med.loc[(i, "all"), "median_high"]
        if low > rank[nat_hi]:
            versus = "above"
        elif high < rank[nat_lo]:
            versus = "below"
        elif low == high == rank[nat_lo] == rank[nat_hi]:
            versus = "at"
        else:
            versus = "undetermined"
        out.append(
            {
                "partnership": p,
                "indicator": i,
                "grade": cell[0] if len(cell) == 1 else None,
                "lowest": cell[0],
                "highest": cell[-1],
                "rank_min": 1 + lo,
                "rank_max": 1 + hi,
                "rank_exact": len(cell) == 1,
                "national_median_low": nat_lo,
                "national_median_high": nat_hi,
                "group_median_low": med.loc[(i, group), "median_low"],
                "group_median_high": med.loc[(i, group), "median_high"],
                "vs_national_median": versus,
            }
        )
    frame = pd.DataFrame(out)
    for c in (
        "grade",
        "lowest",
        "highest",
        "national_median_low",
        "national_median_high",
        "group_median_low",
        "group_median_high",
    ):
        frame[c] = frame[c].astype(scale.grade_dtype())
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    return frame


@cached
def all_good_or_better(model: RecordModel) -> pd.DataFrame:
    """The national-indicator analogue: partnerships with every indicator Good or better.

    Per partnership: 'yes' (in every consistent table), 'no' (in none) or 'open'. The share
    of the 32 is then bounded by [yes/32, (yes + open)/32]; the bounds are per partnership,
    so the joint maximum may be lower. Columns: partnership, period_group, all_good_or_better.
    """
    poss = model.possible
    gob = np.array([g in scale.GOOD_OR_BETTER for g in scale.GRADES])
    table = areas.partnership_table()
    out = []
    for a, p in enumerate(areas.PARTNERSHIPS):
        can_all = bool(poss[a][:, gob].any(axis=1).all())
        must_all = bool(~poss[a][:, ~gob].any())
        if must_all:
            status = "yes"
        elif not can_all:
            status = "no"
        else:
            rows = [(np.array([var(p, i, g) for g in scale.GOOD_OR_BETTER]), 1, 1) for i in indicators.INDICATORS]
            status = "open" if model.can_hold(rows) else "no"
        out.append({"partnership": p, "period_group": table.loc[a, "period_group"], "all_good_or_better": status})
    return pd.DataFrame(out)


def summarise_table(grades: pd.DataFrame, by: list[str] | str, alpha: float = 0.05) -> pd.DataFrame:
    """Grade counts, good-or-better share with Wilson interval and lower median for a complete
    long table of any size (one row per unit graded), grouped by the columns ``by``.

    ``grades`` has a ``grade`` column (the six labels) and the ``by`` columns, e.g. a table of
    areas x periods x indicators. Vectorised (one crosstab), so it scales to large tables.
    Columns: the ``by`` columns, n, one count column per grade (worst to best), good_or_better,
    share, ci_low, ci_high, median_grade.
    """
    from statsmodels.stats.proportion import proportion_confint

    by = [by] if isinstance(by, str) else list(by)
    off_scale = ~grades["grade"].astype(str).isin(scale.GRADES)
    if off_scale.any():
        bad = grades["grade"][off_scale].iloc[0]
        raise UsageError(f"grade {bad!r} is not on the scale ({', '.join(scale.GRADES)})")
    codes = pd.Categorical(grades["grade"].astype(str), categories=list(scale.GRADES), ordered=True)
    counts = pd.crosstab([grades[c] for c in by], codes, dropna=False).reindex(columns=list(scale.GRADES), fill_value=0)
    values = counts.to_numpy()
    n = values.sum(axis=1)
    gob = values[:, [scale.GRADES.index(g) for g in scale.GOOD_OR_BETTER]].sum(axis=1)
    lo, hi = proportion_confint(gob, n, alpha=alpha, method="wilson")
    # lower median: the first grade whose cumulative count reaches ceil(n / 2)
    median_idx = (values.cumsum(axis=1) >= np.ceil(n / 2)[:, None]).argmax(axis=1)
    out = counts.reset_index()
    out.columns.name = None
    out.insert(len(by), "n", n)
    out["good_or_better"] = gob
    out["share"] = gob / n
    out["ci_low"], out["ci_high"] = lo, hi
    out["median_grade"] = pd.Categorical.from_codes(median_idx, dtype=scale.grade_dtype())
    return out
