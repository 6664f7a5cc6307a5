"""The power of the design: how often the package's exact trend test finds a shift of a given size.

The review compares groups of 9 to 12 partnerships. How large a trend could such groups show? This
module estimates the power of the two-sided exact linear-by-linear test (:func:`analysis.stats.exact.lbl_exact`)
by a seeded simulation: grades are drawn for groups of the given sizes from a rounded normal grade
(mean ``base`` in the first group, rising by ``shift`` grades from the first group to the last, in
equal steps, with standard deviation ``spread``, rounded and kept on the scale), the test is run on
each draw, and the share of draws significant at ``alpha`` is the estimate. It is an estimate, with
its Monte Carlo standard error ``sqrt(p (1 - p) / n)``; the same seed gives the same numbers on every
machine.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.errors import UsageError

__all__ = ["trend_power"]


def trend_power(shift: float = 1.0, sizes=None, base: float | None = None, spread: float = 1.0,
                grades: int | None = None, alpha: float = 0.05, n_sims: int = 1000, seed: int = 20121017) -> dict:
    """Estimate, by simulation, how often the two-sided exact trend test detects a shift in mean grade.

    Parameters
    ----------
    shift : float, default 1.0
        The rise in mean grade from the first group to the last, in grades (0: no trend, which gives the
        test's size).
    sizes : sequence of int, optional
        Partnerships per period group, in time order. Default: the period groups of the data package in
        use (the review's: 11, 12 and 9).
    base : float, optional
        The first group's mean grade before rounding. Default: the middle of the scale (3.5 on six grades,
        between Adequate and Good).
    spread : float, default 1.0
        The standard deviation of a partnership's grade within a group, in grades, before rounding.
    grades : int, optional
        The number of grades on the scale (scored 1 to ``grades``). Default: the scale in use (6).
    alpha : float, default 0.05
        The significance level.
    n_sims : int, default 1000
        The number of simulated tables.
    seed : int
        The seed of the random generator (:func:`numpy.random.default_rng`).

    Returns
    -------
    dict
        ``power`` (the share of simulated tables with a two-sided exact p-value below ``alpha``),
        ``mc_se`` (its Monte Carlo standard error), ``n_sims``, ``shift``, ``alpha``, ``base``, ``spread``,
        ``seed`` and ``sizes`` (joined by '/').

    Raises
    ------
    analysis.errors.UsageError
        If there are fewer than two groups, a group is empty, ``n_sims`` is below 1 or ``alpha`` is not
        between 0 and 1.

    Examples
    --------
    With no shift, the test's rejection rate is at most its level (an exact test of discrete data is
    conservative): about 5% or below, within Monte Carlo error.

    >>> null = trend_power(0.0, [11, 12, 9], n_sims=400, seed=1)
    >>> bool(null["power"] <= 0.05 + 3 * null["mc_se"]), int(null["n_sims"])
    (True, 400)

    A shift of three grades in groups of 11, 12 and 9 is found nearly always; the same seed gives the same
    estimate.

    >>> big = trend_power(3.0, [11, 12, 9], n_sims=200, seed=2)
    >>> bool(big["power"] > 0.95), big["power"] == trend_power(3.0, [11, 12, 9], n_sims=200, seed=2)["power"]
    (True, True)
    >>> big["sizes"]
    '11/12/9'
    >>> trend_power(1.0, [32])
    Traceback (most recent call last):
    ...
    analysis.errors.UsageError: trend_power needs at least two period groups, each with a partnership; got [32]
    """
    from analysis.domain import areas, scale
    from analysis.stats.exact import lbl_exact

    if sizes is None:
        sizes = [len(areas.members(g)) for g in areas.PERIOD_GROUPS]
    grades = len(scale.GRADES) if grades is None else int(grades)
    base = (grades + 1) / 2 if base is None else float(base)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise UsageError(f"trend_power needs at least two period groups, each with a partnership; got {sizes}")
    if n_sims < 1 or not 0 < alpha < 1:
        raise UsageError(f"trend_power needs n_sims >= 1 and alpha between 0 and 1; got {n_sims} and {alpha}")
    rng = np.random.default_rng(seed)
    k = len(sizes)
    u = np.repeat(np.arange(1, k + 1), sizes)
    means = base + shift * np.repeat(np.arange(k) / (k - 1), sizes)
    hits = 0
    for _ in range(n_sims):
        v = np.clip(np.rint(rng.normal(means, spread)), 1, grades).astype(int)
        if len(set(v.tolist())) > 1 and lbl_exact(u, v)["p_exact"] < alpha:
            hits += 1
    p = hits / n_sims
    return {"power": p, "mc_se": math.sqrt(p * (1 - p) / n_sims), "n_sims": n_sims, "shift": float(shift),
            "alpha": float(alpha), "base": float(base), "spread": float(spread), "seed": int(seed),
            "sizes": "/".join(str(s) for s in sizes)}
