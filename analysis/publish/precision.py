"""How published CSV files write their cells: floats at the precision their method supports, and
text that a spreadsheet would run as a formula neutralised.

- Floats from iterative fits (the ordinal model's coefficients, Wald and likelihood-ratio
  statistics and p-values, the asymptotic p-value, r and M^2) are written to 4 significant
  digits: their last digits depend on the optimiser and the CPU.
- Every other float (exact p-values, shares, means, bounds, intervals) to 6 significant digits.
  An exact p-value is also given as a fraction where it is published (``p_min_exact``).
- Integers and text are written as they are, except that a text cell beginning with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading single quote (the OWASP rule against
  CSV formula injection), so a spreadsheet shows it as text.

So a rebuild on another machine writes the same bytes unless a number really moved; ``review
check`` still compares floats with a tolerance, for the rare value that sits on a rounding edge.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["ITERATIVE", "significant_digits", "for_csv", "write_csv"]

#: Columns whose floats come from iterative fits (4 significant digits).
ITERATIVE = re.compile(r"^(coef_.*|p_2014_16|p_post_2016|lr_stat|lr_p.*|p_asymptotic|r|m2)$")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def significant_digits(column: str) -> int:
    return 4 if ITERATIVE.match(str(column)) else 6


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` as it is written: floats as text at their precision, formulas neutralised."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_float_dtype(series.dtype):
            digits = significant_digits(col)
            out[col] = series.map(lambda v, d=digits: "" if pd.isna(v) else f"{v:.{d}g}")
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(_neutralise)
    return out


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write ``frame`` (no index, LF line ends) by :func:`for_csv`."""
    for_csv(frame).to_csv(path, index=False, lineterminator="\n")
