"""Trend tests against independent computations on tiny tables."""

import itertools

import numpy as np
import pytest
from scipy import optimize, special, stats

from analysis.trends import linear_by_linear, ordinal_model


def _brute_p(u, v):
    """Two-sided permutation p-value by full enumeration of all n! orderings of v."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    expected = len(u) * u.mean() * v.mean()
    obs = abs(u @ v - expected)
    perms = list(itertools.permutations(v))
    return sum(abs(u @ np.array(p) - expected) >= obs - 1e-9 for p in perms) / len(perms)


@pytest.mark.parametrize("u,v", [
    ([1, 1, 2, 2, 3, 3], [2, 3, 3, 4, 5, 6]),
    ([1, 1, 1, 2, 2, 3, 3], [4, 4, 3, 4, 5, 5, 6]),
    ([1, 2, 2, 3, 3, 3], [6, 5, 5, 2, 1, 3]),
])
def test_exact_matches_full_enumeration(u, v):
    res = linear_by_linear(u, v)
    assert res["method"] == "exact"
    assert res["p_permutation"] == pytest.approx(_brute_p(u, v), abs=1e-12)
    # T and r by hand for the first case: 1*2+1*3+2*3+2*4+3*5+3*6 = 52.
    if v == [2, 3, 3, 4, 5, 6]:
        assert res["statistic"] == 52
        assert res["r"] == pytest.approx(stats.pearsonr(u, v)[0])


def test_monte_carlo_close_to_exact():
    u = [1] * 4 + [2] * 4 + [3] * 3
    v = [2, 3, 3, 4, 3, 4, 4, 5, 4, 5, 6]
    exact = linear_by_linear(u, v)["p_permutation"]
    mc = linear_by_linear(u, v, max_exact=10, n_resamples=50_000, seed=1)
    assert mc["method"] == "monte carlo"
    assert abs(mc["p_permutation"] - exact) < 4 * mc["mc_se"] + 1e-3


def _independent_ordinal_ll(u, y, k):
    """Cumulative logit MLE written out: P(y <= j) = expit(theta_j - b2*[u=2] - b3*[u=3])."""
    u, y = np.asarray(u), np.asarray(y)

    def nll(params):
        theta = np.cumsum(np.concatenate([[params[0]], np.exp(params[1:k - 1])]))
        eta = params[k - 1] * (u == 2) + params[k] * (u == 3)
        cdf = np.column_stack([special.expit(t - eta) for t in theta] + [np.ones_like(eta)])
        probs = np.diff(np.column_stack([np.zeros_like(eta), cdf]), axis=1)
        return -np.log(probs[np.arange(len(y)), y]).sum()

    res = optimize.minimize(nll, np.zeros(k + 1), method="BFGS")
    return -res.fun, res.x[k - 1], res.x[k]


def test_ordinal_model_against_independent_mle():
    u = np.array([1] * 6 + [2] * 6 + [3] * 6)
    v = np.array([2, 3, 3, 4, 3, 2, 3, 4, 4, 3, 5, 4, 4, 5, 5, 4, 6, 3])
    res = ordinal_model(u, v)
    y = np.searchsorted(np.unique(v), v)
    k = len(np.unique(v))
    ll, b2, b3 = _independent_ordinal_ll(u, y, k)
    counts = np.bincount(y)
    ll0 = (counts * np.log(counts / counts.sum())).sum()
    assert res["status"] == "ok"
    assert res["coef_2014_16"] == pytest.approx(b2, abs=1e-3)
    assert res["coef_post_2016"] == pytest.approx(b3, abs=1e-3)
    assert res["lr_stat"] == pytest.approx(2 * (ll - ll0), abs=1e-3)
    assert res["coef_post_2016"] > res["coef_2014_16"] > 0
