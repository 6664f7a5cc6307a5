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

__all__ = ["scores", "ordinal_model", "separated", "trend_tests", "holm", "TREND_TEST_COLUMNS"]

#: The columns of :func:`trend_tests`.
TREND_TEST_COLUMNS = ["indicator", "n", "mean_pre_2014", "mean_2014_16", "mean_post_2016", "statistic", "expected",
                      "r", "p_exact", "p_up", "p_down", "p_exact_holm", "p_asymptotic", "coef_2014_16",
                      "coef_post_2016", "p_2014_16", "p_post_2016", "lr_stat", "lr_p", "lr_p_holm", "status"]


def scores(grades: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """Group scores u (1, 2, 3) and grade values v (1-6) of one indicator of a long table."""
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

    Returns coef_2014_16, coef_post_2016 (log-odds of a higher grade than pre-2014), their Wald
    p-values, lr_stat and lr_p (df 2, against thresholds only), and status: ``ok``,
    ``separated`` (the MLE does not exist: no coefficients or Wald p-values), ``not converged``,
    ``standard errors not finite``, or ``one grade only: no model``.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    u, v = np.asarray(u), np.asarray(v)
    observed = np.unique(v)
    out = {"coef_2014_16": np.nan, "coef_post_2016": np.nan, "p_2014_16": np.nan, "p_post_2016": np.nan,
           "lr_stat": np.nan, "lr_p": np.nan, "status": "ok"}
    if len(observed) < 2:
        out["status"] = "one grade only: no model"
        return out
    codes = pd.Series(pd.Categorical(np.searchsorted(observed, v), categories=range(len(observed)), ordered=True))
    exog = pd.DataFrame({"g2014_16": (u == 2).astype(float), "post_2016": (u == 3).astype(float)})
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
    out.update(lr_stat=lr, lr_p=float(stats.chi2.sf(lr, 2)))
    if separated(u, v):
        out["status"] = "separated"
    elif not res.mle_retvals.get("converged", False):
        out["status"] = "not converged"
    elif not np.all(np.isfinite(bse)) or np.any(bse <= 0):
        out["status"] = "standard errors not finite"
    else:
        out.update(coef_2014_16=float(res.params["g2014_16"]), coef_post_2016=float(res.params["post_2016"]),
                   p_2014_16=float(res.pvalues["g2014_16"]), p_post_2016=float(res.pvalues["post_2016"]))
    return out


def holm(p) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels ``multipletests``); missing values stay missing."""
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
    """
    if grades is None:
        return pd.DataFrame(columns=TREND_TEST_COLUMNS)
    rows = []
    for ind in indicators.INDICATORS:
        u, v = scores(grades, ind)
        means = {f"mean_{g.replace('-', '_')}": float(v[u == k].mean())
                 for k, g in enumerate(areas.PERIOD_GROUPS, start=1)}
        test = lbl_exact(u, v)
        rows.append({"indicator": ind, "n": len(v), **means,
                     **{k: test[k] for k in ("statistic", "expected", "r", "p_exact", "p_up", "p_down",
                                             "p_asymptotic")},
                     **ordinal_model(u, v)})
    frame = pd.DataFrame(rows)
    frame.insert(frame.columns.get_loc("p_asymptotic"), "p_exact_holm", holm(frame["p_exact"]))
    frame.insert(frame.columns.get_loc("status"), "lr_p_holm", holm(frame["lr_p"]))
    return frame[TREND_TEST_COLUMNS]
