"""The design's power (analysis.stats.power): an estimate by seeded simulation of the exact trend test,
checked against what can be said without simulating."""

import math

import pytest

from analysis.errors import UsageError
from analysis.stats.power import trend_power


def test_two_groups_of_two_can_never_be_significant():
    # 4 partnerships in two groups of 2: 4!/(2! 2!) = 6 equally likely assignments, and the two most extreme
    # (the two highest grades in one group or the other) give the smallest two-sided p-value, 2/6 > 0.05
    assert trend_power(5.0, [2, 2], n_sims=200)["power"] == 0.0


def test_with_no_shift_the_rejection_rate_is_at_most_the_level():
    # an exact test of discrete data rejects at most alpha of the time under no trend (Monte Carlo error aside)
    est = trend_power(0.0, [11, 12, 9], n_sims=600, seed=7)
    assert est["power"] <= 0.05 + 3 * est["mc_se"]


def test_power_grows_with_the_shift_and_the_estimate_carries_its_monte_carlo_error():
    half, one, two = (trend_power(s, [11, 12, 9], n_sims=400, seed=3) for s in (0.5, 1.0, 2.0))
    assert half["power"] < one["power"] < two["power"]
    p, n = one["power"], one["n_sims"]
    assert one["mc_se"] == pytest.approx(math.sqrt(p * (1 - p) / n))  # binomial standard error of a share
    assert one["sizes"] == "11/12/9" and one["seed"] == 3


def test_the_same_seed_gives_the_same_estimate():
    a = trend_power(1.0, [11, 12, 9], n_sims=300, seed=11)
    assert a["power"] == trend_power(1.0, [11, 12, 9], n_sims=300, seed=11)["power"]


def test_the_default_design_is_the_data_package_in_use():
    assert trend_power(1.0, n_sims=5)["sizes"] == "11/12/9"  # the review's period groups (Appendix 4)


def test_bad_designs_are_refused():
    with pytest.raises(UsageError, match="at least two period groups"):
        trend_power(1.0, [10, 0])
    with pytest.raises(UsageError, match="n_sims >= 1"):
        trend_power(1.0, [5, 5], n_sims=0)
