"""Do grades shift across the three period groups? Per indicator.

For a complete grade table:

- an ordinal logistic model (statsmodels ``OrderedModel``, logit link) of grade on period group
  (pre-2014 the reference), with a likelihood-ratio test against thresholds only;
- a permutation test of linear-by-linear association (group scores 1, 2, 3; grade values 1-6):
  exact by full enumeration of group assignments when there are at most ``max_exact`` of them,
  otherwise a seeded Monte Carlo with ``n_resamples`` permutations (its standard error given).
  Two-sided: |T - E[T]| at least as large as observed. n = 32 is small, so the asymptotic
  M^2 = (n - 1) r^2 p-value is shown beside it, not instead of it.

Under the public record, :func:`trend_ranges` gives exact min/max of the linear statistics
(T, and the mean-grade difference post-2016 minus pre-2014) over every consistent table, and a
*sensitivity range* of the p-values and model coefficients over ``k`` sampled consistent tables.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from . import areas, indicators, scale
from .record import NVAR, RecordModel, var

__all__ = ["linear_by_linear", "ordinal_model", "trend_tests", "trend_ranges"]


def _scores(grades: pd.DataFrame, indicator: str):
    part = grades[grades["indicator"] == indicator]
    group_of = areas.period_group_of()
    u = np.array([areas.PERIOD_GROUPS.index(group_of[str(p)]) + 1 for p in part["partnership"]], dtype=float)
    v = np.array([scale.GRADES.index(str(g)) + 1 for g in part["grade"]], dtype=float)
    return u, v


def linear_by_linear(u, v, n_resamples: int = 100_000, max_exact: int = 200_000, seed: int = 2017) -> dict:
    """Permutation test of linear-by-linear association between scores ``u`` and ``v``.

    Returns statistic (T = sum u*v), expected (under permutation), r (Pearson), m2 = (n-1) r^2,
    p_asymptotic (chi-square, 1 df), p_permutation, method ('exact' or 'monte carlo'),
    n_permutations, mc_se (0 when exact).
    """
    u, v = np.asarray(u, float), np.asarray(v, float)
    n = len(u)
    t_obs = float(u @ v)
    expected = n * u.mean() * v.mean()
    r = float(np.corrcoef(u, v)[0, 1]) if u.std() > 0 and v.std() > 0 else 0.0
    m2 = (n - 1) * r * r
    p_asym = float(stats.chi2.sf(m2, 1))
    levels, sizes = np.unique(u, return_counts=True)
    n_assign = math.factorial(n) // math.prod(math.factorial(int(s)) for s in sizes)
    dev_obs = abs(t_obs - expected) - 1e-9
    if n_assign <= max_exact:
        # Every distinct assignment of the group labels to the n units.
        hits = total = 0
        for assign in _assignments(n, levels, sizes):
            total += 1
            hits += abs(float(assign @ v) - expected) >= dev_obs
        p, method, se, count = hits / total, "exact", 0.0, total
    else:
        rng = np.random.default_rng(seed)
        perms = rng.permuted(np.tile(u, (n_resamples, 1)), axis=1)
        dev = np.abs(perms @ v - expected)
        hits = int((dev >= dev_obs).sum())
        p = (hits + 1) / (n_resamples + 1)
        method, se, count = "monte carlo", math.sqrt(p * (1 - p) / n_resamples), n_resamples
    return {"statistic": t_obs, "expected": expected, "r": r, "m2": m2, "p_asymptotic": p_asym,
            "p_permutation": p, "method": method, "n_permutations": count, "mc_se": se}


def _assignments(n, levels, sizes):
    def rec(free, k):
        if k == len(levels) - 1:
            yield {levels[k]: free}
            return
        for chosen in itertools.combinations(free, int(sizes[k])):
            rest = [i for i in free if i not in chosen]
            for tail in rec(rest, k + 1):
                yield {levels[k]: chosen, **tail}

    for parts in rec(list(range(n)), 0):
        out = np.empty(n)
        for level, idx in parts.items():
            out[list(idx)] = level
        yield out


def ordinal_model(u, v) -> dict:
    """Ordinal logistic regression of grade ``v`` on period group ``u`` (1 = reference).

    Returns coef_2014_16, coef_post_2016 (log-odds of a higher grade vs pre-2014), their
    p-values, lr_stat and lr_p (df 2, against thresholds only), and status ('ok' or why not).
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
            res = OrderedModel(codes, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    except Exception as exc:  # noqa: BLE001 - report any fitting failure as a status
        out["status"] = f"fit failed: {exc}"
        return out
    counts = np.bincount(np.searchsorted(observed, v))
    ll0 = float((counts * np.log(counts / counts.sum())).sum())
    lr = 2 * (float(res.llf) - ll0)
    out.update(coef_2014_16=float(res.params["g2014_16"]), coef_post_2016=float(res.params["post_2016"]),
               p_2014_16=float(res.pvalues["g2014_16"]), p_post_2016=float(res.pvalues["post_2016"]),
               lr_stat=lr, lr_p=float(stats.chi2.sf(max(lr, 0.0), 2)))
    if not res.mle_retvals.get("converged", True):
        out["status"] = "did not converge"
    elif max(abs(out["coef_2014_16"]), abs(out["coef_post_2016"])) > 15:
        out["status"] = "separation: coefficients unbounded"
    return out


def trend_tests(grades: pd.DataFrame, n_resamples: int = 100_000, seed: int = 2017) -> pd.DataFrame:
    """Per indicator, for a complete long grade table: the linear-by-linear permutation test and the
    ordinal model. Columns: indicator, statistic, expected, r, m2, p_asymptotic, p_permutation,
    method, n_permutations, mc_se, mean_pre_2014, mean_2014_16, mean_post_2016, coef_2014_16,
    coef_post_2016, p_2014_16, p_post_2016, lr_stat, lr_p, status."""
    return pd.DataFrame([{"indicator": ind, **_indicator_tests(grades, ind, n_resamples, seed)}
                         for ind in indicators.INDICATORS])


def _linear_coef(indicator: str, weight) -> np.ndarray:
    """Coefficients of sum over partnerships of weight(group) x grade value, on one indicator."""
    c = np.zeros(NVAR)
    for p, group in areas.period_group_of().items():
        for value, g in enumerate(scale.GRADES, start=1):
            c[var(p, indicator, g)] = weight(group) * value
    return c


def trend_ranges(model: RecordModel, k: int = 20, seed: int = 2017, n_resamples: int = 20_000) -> pd.DataFrame:
    """Trend statistics over tables consistent with ``model``.

    Exact (MILP) min/max: statistic_min/max (T) and mean_diff_min/max (mean grade post-2016
    minus pre-2014). Sensitivity range over ``k`` sampled consistent tables
    (:meth:`RecordModel.sample_tables`, seed ``seed``; not a uniform sample): p_permutation,
    lr_p and coef_post_2016 min/max. Column ``basis`` says which is which.
    """
    sizes = {g: len(areas.members(g)) for g in areas.PERIOD_GROUPS}
    tables = model.sample_tables(k, seed)
    out = []
    for ind in indicators.INDICATORS:
        t_lo, t_hi = model.objective_range(_linear_coef(ind, lambda g: areas.PERIOD_GROUPS.index(g) + 1))
        diff = _linear_coef(ind, lambda g: {"post-2016": 1 / sizes["post-2016"],
                                            "pre-2014": -1 / sizes["pre-2014"]}.get(g, 0.0))
        d_lo, d_hi = model.objective_range(diff)
        sampled = [_indicator_tests(t, ind, n_resamples, seed) for t in tables]
        frame = pd.DataFrame(sampled)
        out.append({"indicator": ind, "statistic_min": t_lo, "statistic_max": t_hi,
                    "mean_diff_min": d_lo, "mean_diff_max": d_hi,
                    "p_permutation_min": frame["p_permutation"].min(), "p_permutation_max": frame["p_permutation"].max(),
                    "lr_p_min": frame["lr_p"].min(), "lr_p_max": frame["lr_p"].max(),
                    "coef_post_2016_min": frame["coef_post_2016"].min(),
                    "coef_post_2016_max": frame["coef_post_2016"].max(),
                    "n_sampled_tables": len(tables),
                    "basis": "statistic and mean_diff: exact over all consistent tables; p and coef: sensitivity "
                             f"range over {len(tables)} sampled consistent tables (seed {seed})"})
    return pd.DataFrame(out)


def _indicator_tests(grades: pd.DataFrame, indicator: str, n_resamples: int, seed: int) -> dict:
    """Both tests and the group mean grades for one indicator of a complete table."""
    u, v = _scores(grades, indicator)
    means = {f"mean_{g.replace('-', '_')}": float(v[u == k].mean())
             for k, g in enumerate(areas.PERIOD_GROUPS, start=1)}
    return {**linear_by_linear(u, v, n_resamples=n_resamples, seed=seed), **means, **ordinal_model(u, v)}
