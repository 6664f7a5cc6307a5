"""The exact linear-by-linear test and the ordinal model, against independent computations:
full enumeration of assignments, a second exact algorithm written with fractions, R's coin and
ordinal packages (values recorded below; R is not needed to run these tests)."""

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from scipy import optimize, special

from analysis.stats.exact import distribution, lbl_exact, margin_tails
from analysis.stats.trends import holm, ordinal_model, separated, trend_tests


def _brute(u, v):
    """Two-sided, up and down p-values by listing every distinct assignment of the labels u."""
    u, v = list(u), np.asarray(v)
    n = len(u)
    mean_u, mean_v = Fraction(sum(u), n), Fraction(int(v.sum()), n)
    t_obs = int(np.dot(u, v))
    dev = abs(t_obs - n * mean_u * mean_v)
    ts = [int(np.dot(a, v)) for a in _assignments(u)]
    total = len(ts)
    two = sum(abs(t - n * mean_u * mean_v) >= dev for t in ts)
    return (Fraction(two, total), Fraction(sum(t >= t_obs for t in ts), total),
            Fraction(sum(t <= t_obs for t in ts), total))


def _assignments(u):
    """Every distinct arrangement of the multiset of labels u (group by group, by combinations)."""
    labels = sorted(set(u))
    sizes = [u.count(g) for g in labels]
    n = len(u)

    def rec(free, k):
        if k == len(labels) - 1:
            yield {labels[k]: free}
            return
        for chosen in itertools.combinations(free, sizes[k]):
            rest = [i for i in free if i not in chosen]
            for tail in rec(rest, k + 1):
                yield {labels[k]: chosen, **tail}

    for parts in rec(list(range(n)), 0):
        out = [0] * n
        for label, idx in parts.items():
            for i in idx:
                out[i] = label
        yield out


CASES = [
    ([1, 1, 2, 2, 3, 3], [2, 3, 3, 4, 5, 6]),
    ([1, 1, 1, 2, 2, 3, 3], [4, 4, 3, 4, 5, 5, 6]),
    ([1, 2, 2, 3, 3, 3], [6, 5, 5, 2, 1, 3]),
    ([1, 1, 2, 2, 3, 3, 1, 2, 3], [4, 4, 4, 4, 4, 4, 4, 4, 4]),  # a single grade level
    ([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [3, 4, 3, 4, 4, 4, 5, 3, 5, 5, 4, 6]),  # n = 12, ties
    ([1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3], [1, 6, 2, 3, 3, 4, 4, 5, 2, 6, 6, 5]),
    ([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2], [2, 2, 3, 3, 4, 3, 4, 4, 5, 5, 6, 6]),  # two groups
]


@pytest.mark.parametrize("u,v", CASES)
def test_exact_p_equals_full_enumeration(u, v):
    two, up, down = _brute(u, v)
    res = lbl_exact(u, v)
    assert res["tail_two_sided"] == two * res["n_assignments"]
    assert res["p_exact"] == float(two)
    assert res["p_up"] == float(up)
    assert res["p_down"] == float(down)
    assert res["n_assignments"] == sum(1 for _ in _assignments(list(u)))


def test_single_grade_level_gives_p_one():
    res = lbl_exact([1, 1, 2, 2, 3, 3], [4] * 6)
    assert res["p_exact"] == 1.0 and res["p_up"] == 1.0 and res["p_down"] == 1.0


def _fraction_distribution(sizes, values):
    """A second exact algorithm: over grade levels, every split of each level's units between the
    groups, weighted by multinomial coefficients; Python integers throughout."""
    levels = Counter(values)
    states = {(0,) * len(sizes) + (0,): 1}  # counts per group, T
    for x, c in sorted(levels.items()):
        new = Counter()
        for key, w in states.items():
            counts, t = key[:-1], key[-1]
            for split in itertools.product(range(c + 1), repeat=len(sizes)):
                if sum(split) != c or any(counts[k] + split[k] > sizes[k] for k in range(len(sizes))):
                    continue
                mult = math.factorial(c) // math.prod(math.factorial(a) for a in split)
                nt = t + x * sum((k + 1) * split[k] for k in range(len(sizes)))
                new[tuple(counts[k] + split[k] for k in range(len(sizes))) + (nt,)] += w * mult
        states = new
    return {key[-1]: w for key, w in states.items()}


def test_dp_matches_second_algorithm_at_n_32():
    """The review's group sizes (11, 12, 9) and a spread of grades."""
    v = [1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 2, 3, 4, 5, 3, 4]
    u = [1] * 11 + [2] * 12 + [3] * 9
    expected = _fraction_distribution((11, 12, 9), v)
    dist = distribution(u, v)
    assert dict(zip(dist.t.tolist(), dist.counts.tolist())) == expected
    assert dist.total == math.factorial(32) // (math.factorial(11) * math.factorial(12) * math.factorial(9))


def test_margin_tails_match_one_margin_at_a_time():
    rng = np.random.default_rng(3)
    u = np.repeat([1, 2, 3], (11, 12, 9))
    margins, thresholds = [], []
    for _ in range(40):
        mg = rng.multinomial(32, [0.05, 0.1, 0.3, 0.3, 0.15, 0.1])
        dist = distribution(u, np.repeat(np.arange(1, 7), mg))
        margins.append(mg)
        thresholds.append([abs(int(rng.choice(dist.nc))), 0, int(np.abs(dist.nc).max()) + 1])
    tails, total = margin_tails((11, 12, 9), [1, 2, 3], range(1, 7), margins, thresholds)
    for mg, thr, row in zip(margins, thresholds, tails):
        dist = distribution(u, np.repeat(np.arange(1, 7), mg))
        assert row.tolist() == [dist.count_where(np.abs(dist.nc) >= t) for t in thr]
    assert (tails[:, 1] == total).all() and (tails[:, 2] == 0).all()


def _check_kept(margins, thresholds, limits, tails, kept, dists):
    """Each tail and each kept margin's tail at every threshold where it can change (every |n C| of
    the margin, one either side, 0 and below, beyond the largest) against its distribution."""
    for i, (dist, thr) in enumerate(zip(dists, thresholds)):
        nc = np.abs(dist.nc)
        expected = [dist.count_where(nc >= t) for t in thr]
        assert tails[i].tolist() == expected
        assert (i in kept) == any(e < lim for e, lim in zip(expected, limits))
        if i in kept:
            for t in sorted({-3, 0, 1, *nc.tolist(), *(nc + 1).tolist(), *(nc - 1).tolist(), int(nc.max()) + 50}):
                assert kept[i].tail(t) == dist.count_where(nc >= t), (i, t)


def test_margin_tails_keep_match_one_margin_at_a_time():
    """The kept distributions (``keep_below``) at n = 32, one margin at a time: families of margins
    that share every count but the last two (done together), with gaps between their splits."""
    rng = np.random.default_rng(5)
    u = np.repeat([1, 2, 3], (11, 12, 9))
    margins = []
    for _ in range(8):
        head = rng.multinomial(int(rng.integers(6, 15)), [0.1, 0.2, 0.3, 0.4])
        r = 32 - int(head.sum())
        for q in sorted(rng.choice(r + 1, size=6, replace=False).tolist()):
            margins.append(head.tolist() + [q, r - q])
    dists = [distribution(u, np.repeat(np.arange(1, 7), mg)) for mg in margins]
    thresholds = [[abs(int(rng.choice(d.nc))), abs(int(rng.choice(d.nc)))] for d in dists]
    every = np.array([[d.count_where(np.abs(d.nc) >= t) for t in thr] for d, thr in zip(dists, thresholds)])
    limits = np.median(every, axis=0).astype(np.int64).tolist()  # about half the margins kept
    tails, total, kept = margin_tails((11, 12, 9), [1, 2, 3], range(1, 7), margins, thresholds,
                                      keep_below=limits)
    assert 0 < len(kept) < len(margins) and total == dists[0].total
    _check_kept(margins, thresholds, limits, tails, kept, dists)


@pytest.mark.parametrize("seed", range(25))
def test_margin_tails_small_cases(seed):
    """Two to four groups of up to six units, scores in any order, one to five grade levels."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 5))
    sizes = rng.integers(1, 7, size=K).tolist()
    group_scores = rng.choice(np.arange(-3, 7), size=K, replace=False).tolist()
    L = int(rng.integers(1, 6))
    grade_scores = rng.integers(-2, 6, size=L).tolist()
    n = sum(sizes)
    margins = [rng.multinomial(n, rng.dirichlet(np.ones(L))).tolist() for _ in range(30)]
    u = np.repeat(group_scores, sizes)
    dists = [distribution(u, np.repeat(grade_scores, mg)) for mg in margins]
    thresholds = [[int(rng.integers(-2, 2 + int(np.abs(d.nc).max()))), abs(int(rng.choice(d.nc)))] for d in dists]
    limits = [int(rng.integers(0, dists[0].total + 1)), int(rng.integers(0, dists[0].total + 1))]
    tails, total, kept = margin_tails(sizes, group_scores, grade_scores, margins, thresholds, keep_below=limits)
    assert total == dists[0].total
    _check_kept(margins, thresholds, limits, tails, kept, dists)
    alone, _ = margin_tails(sizes, group_scores, grade_scores, margins, thresholds)
    assert np.array_equal(alone, tails)


def test_against_coin_two_groups():
    """R 4 coin::independence_test(v ~ g, distribution = "exact") on 11 + 21 units (run
    2026-11-26): two-sided 0.0356290682202323; "less" 0.0243516424170049 (small sum in the
    first group = our up); "greater" 0.994659912599531 (our down)."""
    v = [3, 4, 4, 3, 2, 4, 3, 4, 3, 4, 3, 4, 4, 3, 5, 4, 3, 4, 4, 3, 4, 4, 3, 4, 5, 4, 4, 3, 5, 4, 4, 5]
    res = lbl_exact([1] * 11 + [2] * 21, v)
    assert res["p_exact"] == pytest.approx(0.0356290682202323, rel=1e-12)
    assert res["p_up"] == pytest.approx(0.0243516424170049, rel=1e-12)
    assert res["p_down"] == pytest.approx(0.994659912599531, rel=1e-12)


V_MILD = [3, 4, 4, 3, 2, 4, 3, 4, 3, 4, 3, 4, 4, 3, 5, 4, 3, 4, 4, 3, 4, 4, 3, 4, 5, 4, 4, 3, 5, 4, 4, 5]
U_32 = [1] * 11 + [2] * 12 + [3] * 9


def test_ordinal_model_against_r():
    """R 4 ordinal::clm(y ~ g, link = "logit") (run 2026-11-26): g2 1.0535954 (Wald p 0.2031758785),
    g3 2.7187834 (p 0.0105443992); MASS::polr LR statistic against thresholds only 7.82471338923."""
    res = ordinal_model(U_32, V_MILD)
    assert res["status"] == "ok"
    assert res["coef_2014_16"] == pytest.approx(1.0535954, abs=2e-5)
    assert res["coef_post_2016"] == pytest.approx(2.7187834, abs=2e-5)
    assert res["p_2014_16"] == pytest.approx(0.2031758785, abs=1e-5)
    assert res["p_post_2016"] == pytest.approx(0.0105443992, abs=1e-5)
    assert res["lr_stat"] == pytest.approx(7.82471338923, abs=1e-5)


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


@pytest.mark.parametrize("v,expected", [
    # complete separation: every pre-2014 grade below every later grade
    ([2] * 11 + [4] * 12 + [5] * 9, True),
    # quasi-complete: pre-2014 all Adequate, 2014-16 Adequate or Good, post-2016 all Good.
    # R's ordinal::clm on it: estimates 21.2 and 42.4, standard errors NA, "Hessian is
    # numerically singular" (run 2026-11-26). A |coefficient| > 15 rule would miss milder cases.
    ([3] * 11 + [3] * 6 + [4] * 6 + [4] * 9, True),
    # one overlapping grade at the top only: still quasi-separated (pre-2014 never above 4)
    ([3] * 10 + [4] + [4] * 12 + [4] + [5] * 8, True),
    (V_MILD, False),
])
def test_separation_is_detected_by_linear_programming(v, expected):
    assert separated(U_32, v) is expected
    res = ordinal_model(U_32, v)
    if expected:
        assert res["status"] == "separated"
        assert np.isnan(res["p_2014_16"]) and np.isnan(res["p_post_2016"])
        assert np.isnan(res["coef_post_2016"])
        assert np.isfinite(res["lr_p"])  # the likelihood-ratio test stays
    else:
        assert res["status"] == "ok" and np.isfinite(res["p_post_2016"])


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04: 3 x 0.01 = 0.03; max(0.03, 2 x 0.02) = 0.04; max(0.04, 1 x 0.04) = 0.04
    assert holm([0.04, 0.01, 0.02, np.nan]).round(12).tolist()[:3] == [0.04, 0.03, 0.04]
    assert np.isnan(holm([0.04, 0.01, 0.02, np.nan])[3])


def test_trend_tests_on_a_complete_table():
    import pandas as pd

    from analysis.domain import areas, indicators

    rows = []
    for k, group in enumerate(areas.PERIOD_GROUPS):
        for j, p in enumerate(areas.members(group)):
            for i, ind in enumerate(indicators.INDICATORS):
                rows.append({"partnership": p, "indicator": ind, "grade": ["Weak", "Adequate", "Good", "Very good"][
                    min(3, (j + i + k * (i % 3)) % 4)]})
    grades = pd.DataFrame(rows)
    frame = trend_tests(grades)
    assert len(frame) == 9
    for ind in indicators.INDICATORS:
        part = grades[grades["indicator"] == ind]
        u = part["partnership"].map(lambda p: areas.PERIOD_GROUPS.index(areas.period_group_of()[p]) + 1)
        v = part["grade"].map({"Weak": 2, "Adequate": 3, "Good": 4, "Very good": 5})
        row = frame.set_index("indicator").loc[ind]
        assert row["p_exact"] == float(_fraction_p(u.tolist(), v.tolist()))
        assert row["mean_post_2016"] == pytest.approx(v[u == 3].mean())
    assert (frame["p_exact_holm"] >= frame["p_exact"]).all()
    assert "method" not in frame.columns and "mc_se" not in frame.columns  # nothing sampled


def _fraction_p(u, v):
    """Two-sided exact p from the second algorithm."""
    sizes = tuple(Counter(u)[k] for k in (1, 2, 3))
    dist = _fraction_distribution(sizes, v)
    n = len(v)
    t_obs = sum(a * b for a, b in zip(u, v))
    centre = Fraction(sum(u) * sum(v), n)
    hits = sum(w for t, w in dist.items() if abs(t - centre) >= abs(t_obs - centre))
    return Fraction(hits, sum(dist.values()))
