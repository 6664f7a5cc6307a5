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
    "partnership_ties",
    "all_good_or_better",
]


def default_scopes() -> dict[str, list[str]]:
    """'all' and each period group, with their partnerships.

    Returns
    -------
    dict of str to list of str
        Scope label to canonical partnership names: ``"all"`` (the 32, in Appendix 4 order), then
        each period group id with its members (:func:`analysis.domain.areas.members`).

    Examples
    --------
    >>> scopes = default_scopes()
    >>> {label: len(names) for label, names in scopes.items()}
    {'all': 32, 'pre-2014': 11, '2014-16': 12, 'post-2016': 9}
    >>> sorted(p for label in list(scopes)[1:] for p in scopes[label]) == sorted(scopes["all"])
    True
    """
    return {"all": list(areas.PARTNERSHIPS)} | {g: areas.members(g) for g in areas.PERIOD_GROUPS}


def wilson_interval(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for count/n (statsmodels' proportion_confint).

    Parameters
    ----------
    count : int
        Number of successes (e.g. partnerships graded Good or better).
    n : int
        Number of trials (partnerships in the scope).
    alpha : float, default 0.05
        Significance level: the interval has coverage ``1 - alpha``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``, the Wilson score interval for the proportion ``count / n``.

    Examples
    --------
    5 of 10: the Wilson interval is centred on 0.5, with half-width
    z / (1 + z^2/n) * sqrt(p(1 - p)/n + z^2/(4 n^2)) for z the 97.5% normal quantile.

    >>> import math
    >>> from statistics import NormalDist
    >>> z = NormalDist().inv_cdf(0.975)
    >>> half = z / (1 + z**2 / 10) * math.sqrt(0.5 * 0.5 / 10 + z**2 / (4 * 10**2))
    >>> round(0.5 - half, 4), round(0.5 + half, 4)
    (0.2366, 0.7634)
    >>> tuple(round(v, 4) for v in wilson_interval(5, 10))
    (0.2366, 0.7634)
    """
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(count, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


@cached
def grade_distribution(model: RecordModel, scopes: dict | None = None) -> pd.DataFrame:
    """Counts of partnerships per indicator x grade x scope.

    With a complete table min == max.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    scopes : dict of str to list of str, optional
        Scope label to the partnerships it covers; default :func:`default_scopes`.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x scope x grade. Columns: indicator, scope, grade (worst to best),
        n_partnerships, min, max (the count's range over consistent tables), fixed (min == max),
        share_min, share_max (min and max over n_partnerships).

    Examples
    --------
    >>> from analysis.domain import indicators, load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> dist = grade_distribution(model)
    >>> len(dist)  # 9 indicators x 4 scopes x 6 grades
    216
    >>> one = dist[(dist["indicator"] == "1.1") & (dist["scope"] == "all")]
    >>> one["grade"].astype(str).tolist()
    ['Unsatisfactory', 'Weak', 'Adequate', 'Good', 'Very good', 'Excellent']

    On 1.1 (j = 0) partnership k has grade k mod 6; 32 = 5 x 6 + 2, so the two worst grades have
    six partnerships each and the other four five:

    >>> one["min"].tolist(), bool((one["min"] == one["max"]).all())
    ([6, 6, 5, 5, 5, 5], True)
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

    For a complete table (min == max) the interval is the Wilson 95% interval of the share
    ('wilson'). Under the record it runs from the Wilson lower bound at the minimum count to the
    Wilson upper bound at the maximum ('record range + wilson'): the share lies in
    [share_min, share_max], and sampling uncertainty widens it further.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    scopes : dict of str to list of str, optional
        Scope label to the partnerships it covers; default :func:`default_scopes`.
    alpha : float, default 0.05
        Significance level of the Wilson intervals (:func:`wilson_interval`).

    Returns
    -------
    pandas.DataFrame
        One row per indicator x scope. Columns: indicator, scope, n_partnerships, min, max (the
        good-or-better count's range over consistent tables), fixed (min == max), share_min,
        share_max, ci_low, ci_high (the interval described above), interval ('wilson' or
        'record range + wilson').

    Examples
    --------
    >>> from analysis.domain import areas, load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())

    On 1.1 partnership k has grade k mod 6: Good or better for k mod 6 in {3, 4, 5}, 5 + 5 + 5 of the 32.

    >>> gob = good_or_better(model)
    >>> row = gob[(gob["indicator"] == "1.1") & (gob["scope"] == "all")].iloc[0]
    >>> int(row["min"]), int(row["max"]), float(row["share_min"]), row["interval"]
    (15, 15, 0.46875, 'wilson')
    >>> (row["ci_low"], row["ci_high"]) == wilson_interval(15, 32)
    True

    The first six partnerships take each of the six grades once on every indicator:

    >>> good_or_better(model, {"first six": list(areas.partnerships()[:6])})["min"].tolist()
    [3, 3, 3, 3, 3, 3, 3, 3, 3]
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
    least ceil(n/2) partnerships are at or below g.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    scopes : dict of str to list of str, optional
        Scope label to the partnerships it covers; default :func:`default_scopes`.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x scope. Columns: indicator, scope, n_partnerships, median_low,
        median_high (the lowest and highest lower median over consistent tables, ordered
        categoricals), fixed (median_low == median_high).

    Examples
    --------
    >>> from analysis.domain import indicators, load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> med = median_grade(model)
    >>> bool(med["fixed"].all()), len(med)  # exact for a complete table; 9 indicators x 4 scopes
    (True, 36)

    The lower median of 32 is the 16th smallest. On 1.1 the counts from the worst grade are 6, 6, 5,
    ... (cumulative 6, 12, 17: Adequate); on 5.1 (j = 3) Good and Very good have six each and the
    others five (cumulative 5, 10, 15, 21: Good).

    >>> national = med[med["scope"] == "all"].set_index("indicator")["median_low"].astype(str)
    >>> national["1.1"], national["5.1"]
    ('Adequate', 'Good')
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

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    record : PublicRecord, optional
        The public record (:func:`analysis.domain.load.load_record`), for the stated and derived
        cells' basis, source and quote. Without it (None) a record model's cells are 'fixed by the
        record' or 'open', with no source.
    partnership : str, optional
        Only this partnership's nine cells (canonical name, alias or slug).
    period_group : str, optional
        Only the cells of this period group's partnerships (id or label, e.g. ``"post-2016"``).

    Returns
    -------
    pandas.DataFrame
        One row per cell, in partnership and indicator order. Columns: partnership, indicator,
        title, possible (tuple of grades, worst to best), n_possible, grade (the grade if fixed,
        else missing), lowest, highest, status ('stated', 'derived', 'fixed by the record' (by
        counts and statements), 'open', or 'complete table'), source_id, quote. For a model of a
        complete table (:meth:`analysis.record.model.RecordModel.from_grades`), ``quote`` holds the
        table's own note for the cell.

    Raises
    ------
    analysis.domain.areas.UnknownName
        If ``partnership`` or ``period_group`` matches no partnership or period group.

    Examples
    --------
    >>> from analysis.domain import areas, load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> cells = partnership_grades(model, partnership="City of Edinburgh")  # an alias
    >>> cells["grade"].tolist()  # Edinburgh is partnership 0: grade j mod 6 on indicator j
    ['Unsatisfactory', 'Weak', 'Adequate', 'Good', 'Very good', 'Excellent', 'Unsatisfactory', 'Weak', 'Adequate']
    >>> set(cells["status"]), len(partnership_grades(model, period_group="post-2016"))  # 9 areas x 9
    ({'complete table'}, 81)

    On the public record a cell's grade is given exactly when one grade is possible:

    >>> record = load.load_record()
    >>> cells = partnership_grades(RecordModel.from_record(record), record, partnership="Edinburgh")
    >>> len(cells), bool(((cells["n_possible"] == 1) == cells["grade"].notna()).all())
    (9, True)
    >>> set(cells["status"]) <= {"stated", "derived", "fixed by the record", "open"}
    True
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
    of a complete grade table none: the table's own grades are shown instead (same columns).

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    record : PublicRecord
        The public record (:func:`analysis.domain.load.load_record`).
    partnership : str
        The partnership: canonical name, alias or slug.

    Returns
    -------
    pandas.DataFrame
        The partnership's rows of ``record.area_counts``, with its columns (partnership,
        n_indicators, one count column per grade best first (:func:`analysis.domain.load.count_columns`),
        within, source_id, quote, note, period_group, row); no rows for a model of a complete table.

    Raises
    ------
    analysis.domain.areas.UnknownName
        If ``partnership`` matches no partnership.

    Examples
    --------
    Edinburgh's source gives no counts, only that every graded indicator is Good or Very good:

    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> record = load.load_record()
    >>> counts = published_counts(RecordModel.from_record(record), record, "edinburgh")
    >>> counts["partnership"].tolist(), counts["within"].tolist()
    (['Edinburgh'], [('Good', 'Very good')])

    For a model of a complete table there are none:

    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> mine = published_counts(model, record, "Edinburgh")
    >>> len(mine), list(mine.columns) == list(counts.columns)
    (0, True)
    """
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
    above its lowest.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    partnership : str
        The partnership: canonical name, alias or slug.
    medians : pandas.DataFrame, optional
        Lower medians from :func:`median_grade`, with 'all' and the partnership's period group among
        its scopes; defaults to :func:`median_grade` of those two scopes.

    Returns
    -------
    pandas.DataFrame
        One row per indicator. Columns: partnership, indicator, grade (missing if open), lowest,
        highest, rank_min, rank_max, rank_exact, national_median_low, national_median_high,
        group_median_low, group_median_high, vs_national_median ('above', 'at', 'below' or
        'undetermined': compared on every grade the cell and the median can take).

    Raises
    ------
    analysis.domain.areas.UnknownName
        If ``partnership`` matches no partnership.

    Examples
    --------
    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())

    Edinburgh (k = 0) has grade j mod 6 on indicator j. On 1.1 it is Unsatisfactory and the 26
    partnerships not Unsatisfactory rank above it (rank 27); on 5.1 it is Good, below the 6 Very
    good and 5 Excellent (rank 12); on 5.3 it is Excellent (rank 1). The national medians are
    Adequate, Good and Adequate.

    >>> prof = partnership_profile(model, "Edinburgh")
    >>> prof[["indicator", "grade", "rank_min", "rank_max", "vs_national_median"]].head(6)
      indicator           grade  rank_min  rank_max vs_national_median
    0       1.1  Unsatisfactory        27        27              below
    1       2.1            Weak        22        22              below
    2       2.2        Adequate        17        17                 at
    3       5.1            Good        12        12                 at
    4       5.2       Very good         7         7              above
    5       5.3       Excellent         1         1              above
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
def partnership_ties(model: RecordModel, partnership: str) -> pd.DataFrame:
    """How many other partnerships share a partnership's grade, per indicator: the ties behind its rank.

    A rank (:func:`partnership_profile`) is 1 + the number graded higher, so partnerships with the same
    grade share a rank: "rank 1" may be one of many at the top. Where the cell's grade is fixed, the
    number of other partnerships with that grade is a range over the consistent tables; where it is
    open there is no one grade to share, and the columns are empty.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.
    partnership : str
        The partnership: canonical name, alias or slug.

    Returns
    -------
    pandas.DataFrame
        One row per indicator. Columns: partnership, indicator, grade (missing if open), tied_min and
        tied_max (the fewest and most other partnerships with the same grade; Int64, missing if open).

    Raises
    ------
    analysis.domain.areas.UnknownName
        If ``partnership`` matches no partnership.

    Examples
    --------
    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> model = RecordModel.from_grades(load.example_grades())

    Edinburgh (k = 0) shares each grade with the partnerships k = 6, 12, 18, 24 and 30 (k mod 6 = 0):
    five others on every indicator.

    >>> ties = partnership_ties(model, "Edinburgh")
    >>> ties[["indicator", "grade", "tied_min", "tied_max"]].head(2)
      indicator           grade  tied_min  tied_max
    0       1.1  Unsatisfactory         5         5
    1       2.1            Weak         5         5
    """
    p = areas.match_partnership(partnership)
    a = areas.PARTNERSHIPS.index(p)
    others = [q for q in areas.PARTNERSHIPS if q != p]
    poss = model.possible
    out = []
    for b, i in enumerate(indicators.INDICATORS):
        cell = [g for k, g in enumerate(scale.GRADES) if poss[a, b, k]]
        lo, hi = model.count_range(i, cell, others) if len(cell) == 1 else (None, None)
        out.append({"partnership": p, "indicator": i, "grade": cell[0] if len(cell) == 1 else None,
                    "tied_min": lo, "tied_max": hi})
    frame = pd.DataFrame(out)
    frame["grade"] = frame["grade"].astype(scale.grade_dtype())
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    for c in ("tied_min", "tied_max"):
        frame[c] = frame[c].astype("Int64")
    return frame


@cached
def all_good_or_better(model: RecordModel) -> pd.DataFrame:
    """The national-indicator analogue: partnerships with every indicator Good or better.

    Per partnership: 'yes' (in every consistent table), 'no' (in none) or 'open'. The share
    of the 32 is then bounded by [yes/32, (yes + open)/32]; the bounds are per partnership,
    so the joint maximum may be lower.

    Parameters
    ----------
    model : RecordModel
        The model of the public record or of a complete grade table.

    Returns
    -------
    pandas.DataFrame
        One row per partnership, in Appendix 4 order. Columns: partnership, period_group,
        all_good_or_better ('yes', 'no' or 'open').

    Examples
    --------
    A complete table in which partnership k has grade (k + j) mod 6 on indicator j, except that
    Edinburgh is Very good on all nine: every other partnership's nine grades run through all six.

    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> table = load.example_grades()
    >>> table.loc[table["partnership"] == "Edinburgh", "grade"] = "Very good"
    >>> model = RecordModel.from_grades(table)
    >>> flags = all_good_or_better(model).set_index("partnership")["all_good_or_better"]
    >>> flags["Edinburgh"], int((flags == "no").sum())
    ('yes', 31)
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

    Vectorised (one crosstab), so it scales to large tables.

    Parameters
    ----------
    grades : pandas.DataFrame
        A long table with a ``grade`` column (the six labels) and the ``by`` columns, e.g. a table
        of areas x periods x indicators.
    by : str or list of str
        The column or columns to group by.
    alpha : float, default 0.05
        Significance level of the Wilson intervals (:func:`wilson_interval`).

    Returns
    -------
    pandas.DataFrame
        One row per combination of the ``by`` values. Columns: the ``by`` columns, n, one count
        column per grade (worst to best), good_or_better (count), share (good_or_better / n),
        ci_low, ci_high (Wilson interval of the share), median_grade (the lower median, the
        ceil(n/2)-th smallest grade).

    Raises
    ------
    analysis.errors.UsageError
        If a grade is not one of the six labels.

    Examples
    --------
    Area A has Weak, Good, Good, Excellent: 3 of 4 Good or better, lower median (2nd smallest) Good.
    Area B has Adequate, Very good: 1 of 2, lower median (1st smallest) Adequate.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"area": ["A", "A", "A", "A", "B", "B"],
    ...                       "grade": ["Weak", "Good", "Good", "Excellent", "Adequate", "Very good"]})
    >>> out = summarise_table(table, "area")
    >>> out[["area", "n", "Good", "good_or_better", "share", "median_grade"]]
      area  n  Good  good_or_better  share median_grade
    0    A  4     2               3   0.75         Good
    1    B  2     0               1   0.50     Adequate
    >>> (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == wilson_interval(3, 4)
    True
    >>> summarise_table(pd.DataFrame({"area": ["A"], "grade": ["Fine"]}), "area")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.UsageError: grade 'Fine' is not on the scale (Unsatisfactory, Weak, Adequate, ...)
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
