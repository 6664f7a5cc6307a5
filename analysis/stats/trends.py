"""Do grades shift across the three period groups? Per indicator, for a complete grade table.

- The **linear-by-linear association test** (group scores 1, 2, 3; grade values 1-6), exact and
  conditional on the margins (:mod:`analysis.stats.exact`): two-sided, and one-sided in each
  direction. Nothing is sampled. The asymptotic M^2 = (n - 1) r^2 p-value is shown beside it for
  comparison, never instead of it.
- An **ordinal logistic model** (statsmodels ``OrderedModel``, logit link) of grade on period
  group (pre-2014 the reference), with a likelihood-ratio test against thresholds only. Whether
  the maximum-likelihood estimate exists is decided by a linear program, not by the size of a
  coefficient: the data are (quasi-)separated when some direction of the parameters raises the
  likelihood of every observation without bound (:func:`separated`). Separated fits and fits
  that did not converge, or whose standard errors are not finite, carry no coefficient or Wald
  p-value; the likelihood-ratio test stays.
- With nine indicators tested, Holm-adjusted p-values (``*_holm``) beside the raw ones.

Under the public record, where a table is not known, :mod:`analysis.stats.trend_bounds` gives the
exact bounds of these statistics over every consistent table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linprog

from analysis.domain import areas, indicators, scale
from analysis.stats.exact import lbl_exact

__all__ = ["scores", "ordinal_model", "separated", "trend_tests", "holm", "trend_test_columns", "witness_one_sided"]

def _slug(group: str) -> str:
    return group.replace("-", "_")


def trend_test_columns() -> list[str]:
    """The columns of :func:`trend_tests`, for the period groups of the data package in use.

    Returns
    -------
    list of str
        indicator, n, ``mean_<group>`` per group, the exact test's columns, then the ordinal model's
        ``coef_<group>`` and ``p_<group>`` for each group after the first (the reference), lr_stat,
        lr_p, lr_p_holm and status.

    Examples
    --------
    >>> trend_test_columns()[:5]
    ['indicator', 'n', 'mean_pre_2014', 'mean_2014_16', 'mean_post_2016']
    """
    later = [_slug(g) for g in areas.PERIOD_GROUPS[1:]]
    return (["indicator", "n", *(f"mean_{_slug(g)}" for g in areas.PERIOD_GROUPS), "statistic", "expected", "r",
             "p_exact", "p_up", "p_down", "p_exact_holm", "p_asymptotic", *(f"coef_{g}" for g in later),
             *(f"p_{g}" for g in later), "lr_stat", "lr_p", "lr_p_holm", "status"])


def __getattr__(name):
    if name == "TREND_TEST_COLUMNS":  # the columns of the data package in use, read when asked for
        return trend_test_columns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def scores(grades: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """Group scores u (1, 2, 3) and grade values v (1-6) of one indicator of a long table.

    Parameters
    ----------
    grades : pandas.DataFrame
        A long grade table with columns partnership, indicator and grade
        (:func:`analysis.domain.load.load_grades`).
    indicator : str
        An indicator code.

    Returns
    -------
    u : numpy.ndarray
        int64: each row's period group, 1 (pre-2014), 2 (2014-16) or 3 (post-2016).
    v : numpy.ndarray
        int64: each row's grade value, 1 (Unsatisfactory) to 6 (Excellent), in the table's row order.

    Examples
    --------
    Partnership k (in Appendix 4 order: 11 pre-2014, 12 2014-16, 9 post-2016) graded
    ``G[(k + j) % 6]`` on indicator j:

    >>> G, P, I = scale.grades(), areas.partnerships(), indicators.codes()
    >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(P) for j, i in enumerate(I)]
    >>> u, v = scores(pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]), "2.1")
    >>> np.bincount(u).tolist(), v[:7].tolist()
    ([0, 11, 12, 9], [2, 3, 4, 5, 6, 1, 2])
    """
    part = grades[grades["indicator"] == indicator]
    group_of = areas.period_group_of()
    u = np.array([areas.PERIOD_GROUPS.index(group_of[str(p)]) + 1 for p in part["partnership"]], dtype=np.int64)
    v = np.array([scale.GRADES.index(str(g)) + 1 for g in part["grade"]], dtype=np.int64)
    return u, v


def separated(u, v) -> bool:
    """True when the cumulative-logit MLE of grade on group does not exist (complete or
    quasi-complete separation).

    A direction (d_theta, d_beta) with nondecreasing d_theta along which, for every
    observation in category k, d_theta_k - x d_beta >= 0 (k not the top) and
    d_theta_(k-1) - x d_beta <= 0 (k not the bottom), with some inequality strict, raises every
    observation's probability along the ray, so the likelihood has no maximum. The linear
    program maximises the sum of those slacks over a box; a positive optimum is such a
    direction (the logistic-regression test of Konis 2007, for ordered categories).

    Parameters
    ----------
    u : array_like of int
        Each observation's group (the smallest is the reference).
    v : array_like of int
        Each observation's ordered category (grade value).

    Returns
    -------
    bool
        True when the data are (quasi-)separated; False with a single category.

    Examples
    --------
    Every grade of group 2 above every grade of group 1 (complete separation), then the same two
    grades in both groups (an MLE exists, with coefficient 0):

    >>> separated([1, 1, 2, 2], [3, 3, 5, 5]), separated([1, 1, 2, 2], [3, 5, 3, 5])
    (True, False)
    >>> separated([1, 1, 2, 2], [3, 4, 4, 5])  # overlapping only at 4: quasi-complete separation
    True
    """
    u, v = np.asarray(u), np.asarray(v)
    cats = np.unique(v)
    K = len(cats)
    if K < 2:
        return False
    y = np.searchsorted(cats, v)
    levels = np.unique(u)
    X = np.column_stack([(u == g).astype(float) for g in levels[1:]])  # first group the reference
    nt, nb = K - 1, X.shape[1]
    rows, b = [], []
    slack_rows = []
    for i in range(len(y)):
        k = y[i]
        if k < K - 1:  # -(d_theta_k - x.b) <= 0
            r = np.zeros(nt + nb)
            r[k], r[nt:] = 1, -X[i]
            slack_rows.append(r)
        if k > 0:  # d_theta_(k-1) - x.b <= 0
            r = np.zeros(nt + nb)
            r[k - 1], r[nt:] = -1, X[i]
            slack_rows.append(r)
    S = np.array(slack_rows)
    rows = [-S]
    b = [np.zeros(len(S))]
    for j in range(nt - 1):  # d_theta_j - d_theta_(j+1) <= 0
        r = np.zeros(nt + nb)
        r[j], r[j + 1] = 1, -1
        rows.append(r[None, :])
        b.append(np.zeros(1))
    res = linprog(-S.sum(axis=0), A_ub=np.vstack(rows), b_ub=np.concatenate(b), bounds=(-1, 1), method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7)


def ordinal_model(u, v) -> dict:
    """Ordinal logistic regression of grade ``v`` on period group ``u`` (1 = reference).

    Returns, for each period group after the first, ``coef_<group>`` (log-odds of a higher grade
    than in the first group; ``coef_2014_16`` and ``coef_post_2016`` here) and its Wald p-value
    ``p_<group>``, lr_stat and lr_p (df: groups - 1, against thresholds only), and status: ``ok``,
    ``separated`` (the MLE does not exist: no coefficients or Wald p-values), ``not converged``,
    ``standard errors not finite``, or ``one grade only: no model``.

    Parameters
    ----------
    u : array_like of int
        Each observation's period group, numbered from 1 in the schedule's order (here 1 pre-2014,
        the reference, 2 2014-16, 3 post-2016).
    v : array_like of int
        Each observation's grade value; only the order of the values observed matters.

    Returns
    -------
    dict
        The coefficients and p-values, lr_stat, lr_p (floats, NaN where the
        status gives none) and status (str; ``fit failed: <error>`` if the fit raised).

    Examples
    --------
    Each group with one grade 1 and one grade 2: the groups do not differ, so both coefficients
    and the likelihood-ratio statistic are 0.

    >>> res = ordinal_model([1, 1, 2, 2, 3, 3], [1, 2, 1, 2, 1, 2])
    >>> res["status"], abs(round(res["coef_post_2016"], 4)), abs(round(res["lr_stat"], 4)), round(res["lr_p"], 4)
    ('ok', 0.0, 0.0, 1.0)

    Each group with its own grade: separated, no coefficient; the fitted likelihood tends to 1, so
    the likelihood-ratio statistic tends to -2 x 6 ln(1/3) = 12 ln 3 = 13.18.

    >>> res = ordinal_model([1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 3])
    >>> res["status"], bool(np.isnan(res["coef_post_2016"])), round(res["lr_stat"], 2)
    ('separated', True, 13.18)
    >>> ordinal_model([1, 2, 3], [4, 4, 4])["status"]
    'one grade only: no model'
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    u, v = np.asarray(u), np.asarray(v)
    observed = np.unique(v)
    later = {k: _slug(g) for k, g in enumerate(areas.PERIOD_GROUPS, start=1) if k > 1}
    out = {**{f"coef_{g}": np.nan for g in later.values()}, **{f"p_{g}": np.nan for g in later.values()},
           "lr_stat": np.nan, "lr_p": np.nan, "status": "ok"}
    if len(observed) < 2:
        out["status"] = "one grade only: no model"
        return out
    codes = pd.Series(pd.Categorical(np.searchsorted(observed, v), categories=range(len(observed)), ordered=True))
    exog = pd.DataFrame({f"g{g}": (u == k).astype(float) for k, g in later.items()})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = OrderedModel(codes, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-8)
            bse = np.asarray(res.bse, dtype=float)
    except Exception as exc:  # noqa: BLE001 - report any fitting failure as a status
        out["status"] = f"fit failed: {type(exc).__name__}"
        return out
    counts = np.bincount(np.searchsorted(observed, v))
    ll0 = float((counts * np.log(counts / counts.sum())).sum())
    lr = max(2 * (float(res.llf) - ll0), 0.0)
    out.update(lr_stat=lr, lr_p=float(stats.chi2.sf(lr, len(later))))
    if separated(u, v):
        out["status"] = "separated"
    elif not res.mle_retvals.get("converged", False):
        out["status"] = "not converged"
    elif not np.all(np.isfinite(bse)) or np.any(bse <= 0):
        out["status"] = "standard errors not finite"
    else:
        out.update({f"coef_{g}": float(res.params[f"g{g}"]) for g in later.values()})
        out.update({f"p_{g}": float(res.pvalues[f"g{g}"]) for g in later.values()})
    return out


def holm(p) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels ``multipletests``); missing values stay missing.

    Parameters
    ----------
    p : array_like of float
        Raw p-values; NaN where there is none (left out of the adjustment).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, aligned with ``p``.

    Examples
    --------
    Sorted 0.01, 0.02, 0.04: 3 x 0.01 = 0.03, max(0.03, 2 x 0.02) = 0.04, max(0.04, 1 x 0.04) = 0.04.

    >>> holm([0.04, 0.01, 0.02, np.nan]).round(12).tolist()
    [0.04, 0.03, 0.04, nan]
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def trend_tests(grades: pd.DataFrame | None) -> pd.DataFrame:
    """Per indicator of a complete long grade table: group mean grades, the exact
    linear-by-linear test, the ordinal model, and Holm-adjusted p-values across the nine.

    Columns: indicator, n, mean_pre_2014, mean_2014_16, mean_post_2016, statistic, expected, r,
    p_exact, p_up, p_down, p_exact_holm, p_asymptotic, coef_2014_16, coef_post_2016, p_2014_16,
    p_post_2016, lr_stat, lr_p, lr_p_holm, status. The tests need one complete table: without one
    (``grades`` None, the public record) the frame is empty; the record's bounds are
    :func:`analysis.stats.trend_bounds.trend_bounds`.

    Parameters
    ----------
    grades : pandas.DataFrame or None
        A complete long grade table (:func:`analysis.domain.load.load_grades`), or None.

    Returns
    -------
    pandas.DataFrame
        One row per indicator, with the columns :func:`trend_test_columns`: indicator, n, the
        group mean grades, statistic (T), expected (E[T]), r, p_exact (two-sided), p_up, p_down and
        p_asymptotic (:func:`~analysis.stats.exact.lbl_exact`), p_exact_holm, the ordinal model's
        coefficients, Wald p-values, lr_stat and lr_p (:func:`ordinal_model`), lr_p_holm, and status.

    Examples
    --------
    A complete table written to a file and read back: partnership k (11 pre-2014, then 12
    2014-16, then 9 post-2016) graded ``G[(k + j) % 6]`` on indicator j.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.domain.load import load_grades
    >>> G, P, I = scale.grades(), areas.partnerships(), indicators.codes()
    >>> rows = [(p, i, G[(k + j) % 6]) for k, p in enumerate(P) for j, i in enumerate(I)]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "grades.csv"
    ...     pd.DataFrame(rows, columns=["partnership", "indicator", "grade"]).to_csv(path, index=False)
    ...     grades = load_grades(path)
    >>> frame = trend_tests(grades)
    >>> list(frame.columns) == trend_test_columns(), len(frame)
    (True, 9)

    On 1.1 the grade values are k % 6 + 1: 36 / 11 before 2014, 42 / 12 in 2014-16, 30 / 9 after:

    >>> row = frame.set_index("indicator").loc["1.1"]
    >>> [round(float(row[c]), 4) for c in ("mean_pre_2014", "mean_2014_16", "mean_post_2016")]
    [3.2727, 3.5, 3.3333]
    >>> bool(row["p_exact"] == lbl_exact(*scores(grades, "1.1"))["p_exact"]), row["status"]
    (True, 'ok')
    >>> len(trend_tests(None)), list(trend_tests(None).columns) == trend_test_columns()
    (0, True)
    """
    if grades is None:
        return pd.DataFrame(columns=trend_test_columns())
    rows = []
    for ind in indicators.INDICATORS:
        u, v = scores(grades, ind)
        means = {f"mean_{_slug(g)}": float(v[u == k].mean())
                 for k, g in enumerate(areas.PERIOD_GROUPS, start=1)}
        test = lbl_exact(u, v)
        rows.append({"indicator": ind, "n": len(v), **means,
                     **{k: test[k] for k in ("statistic", "expected", "r", "p_exact", "p_up", "p_down",
                                             "p_asymptotic")},
                     **ordinal_model(u, v)})
    frame = pd.DataFrame(rows)
    frame.insert(frame.columns.get_loc("p_asymptotic"), "p_exact_holm", holm(frame["p_exact"]))
    frame.insert(frame.columns.get_loc("status"), "lr_p_holm", holm(frame["lr_p"]))
    return frame[trend_test_columns()]


def witness_one_sided(bounds: dict) -> pd.DataFrame:
    """The one-sided exact p-value of each table that attains a smallest two-sided p-value of a trend.

    :func:`analysis.stats.trend_bounds.trend_bounds` bounds the **two-sided** exact p-value over the
    consistent tables that trend each way, and its verdict at 5% is on that p-value. A reader of a
    directional conclusion ("a downward trend") may ask for the one-sided test: this gives, for the
    table attaining each smallest two-sided p-value (its witness), the one-sided p-value in the same
    direction. It is that table's, not a bound over every consistent table.

    Parameters
    ----------
    bounds : dict
        The result of :func:`analysis.stats.trend_bounds.trend_bounds`; its ``"witnesses"`` frame is
        read (one row per bound, a column of grade abbreviations per partnership).

    Returns
    -------
    pandas.DataFrame
        One row per indicator and direction with a witness of the smallest p-value: indicator,
        direction ('up' or 'down'), p_two_sided and p_one_sided of that table.

    Examples
    --------
    A witness table in which only Edinburgh (pre-2014) is Excellent and every other partnership Good.
    Under no trend the one Excellent is equally likely to be any of the 32 partnerships: the one-sided
    p-value downward is 11/32, the chance that it falls in the first group (11 areas); the two-sided
    p-value adds the last group (9 areas), whose score is further from the mean score (62/32) than the
    first's: 20/32.

    >>> from analysis.domain import areas
    >>> row = {"indicator": "1.1", "bound": "p_min", "direction": "down"}
    >>> row |= {p: ("E" if p == "Edinburgh" else "G") for p in areas.PARTNERSHIPS}
    >>> out = witness_one_sided({"witnesses": pd.DataFrame([row])})
    >>> out[["indicator", "direction"]].iloc[0].tolist()
    ['1.1', 'down']
    >>> float(out["p_one_sided"].iloc[0]) == 11 / 32, float(out["p_two_sided"].iloc[0]) == 20 / 32
    (True, True)
    """
    value = {a: scale.grade_values()[g] for g, a in scale.abbreviations_of().items()}
    of = areas.period_group_of()
    u = [areas.PERIOD_GROUPS.index(of[p]) + 1 for p in areas.PARTNERSHIPS]
    w = bounds["witnesses"]
    rows = []
    for _, r in w[w["bound"] == "p_min"].iterrows():
        v = [value[str(r[p]).rstrip("*")] for p in areas.PARTNERSHIPS]
        test = lbl_exact(u, v)
        rows.append({"indicator": str(r["indicator"]), "direction": r["direction"], "p_two_sided": test["p_exact"],
                     "p_one_sided": test["p_up"] if r["direction"] == "up" else test["p_down"]})
    return pd.DataFrame(rows, columns=["indicator", "direction", "p_two_sided", "p_one_sided"])
