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
    """The number of significant digits a float column is written with.

    Parameters
    ----------
    column : str
        The column's name. Names matching :data:`ITERATIVE` (results of iterative fits) get 4
        digits; every other name gets 6.

    Returns
    -------
    int
        4 or 6.

    Examples
    --------
    >>> significant_digits("p_asymptotic"), significant_digits("coef_group")
    (4, 4)
    >>> significant_digits("p_min"), significant_digits("share")
    (6, 6)
    """
    return 4 if ITERATIVE.match(str(column)) else 6


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` as it is written: floats as text at their precision, formulas neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame; it is not changed.

    Returns
    -------
    pandas.DataFrame
        The same columns and index. Each float column becomes text at its column's
        :func:`significant_digits` (a missing value becomes ``""``); in each text column a cell
        beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
        quote; integer and other columns are kept as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"name": ["Orkney", "=SUM(A1:A2)"], "n": [3, 4],
    ...                       "share": [2 / 3, None], "p_asymptotic": [0.0123456789, 1.0]})
    >>> out = for_csv(frame)
    >>> out.to_dict("list")
    {'name': ['Orkney', "'=SUM(A1:A2)"], 'n': [3, 4], 'share': ['0.666667', ''], 'p_asymptotic': ['0.01235', '1']}
    >>> frame.loc[1, "name"]
    '=SUM(A1:A2)'
    """
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
    """Write ``frame`` (no index, LF line ends) by :func:`for_csv`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to write; it is not changed.
    path : str or Path
        The CSV file to write (replaced if it exists).

    Returns
    -------
    None

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "out.csv"
    ...     write_csv(pd.DataFrame({"label": ["+1", "G"], "share": [0.123456789, 0.5]}), path)
    ...     path.read_bytes()
    b"label,share\\n'+1,0.123457\\nG,0.5\\n"
    """
    for_csv(frame).to_csv(path, index=False, lineterminator="\n")
