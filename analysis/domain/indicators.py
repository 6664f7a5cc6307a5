"""The nine graded quality indicators, read from ``data/reference/indicators.csv`` on first use (not at import)."""

from __future__ import annotations

import re

import pandas as pd

from analysis.domain.package import domain_cached

__all__ = ["INDICATORS", "codes", "indicator_table", "indicator_dtype", "parse_indicator", "title"]


@domain_cached
def indicator_table() -> pd.DataFrame:
    """indicator, order, title, review_heading, framework_question, framework_area, review_section.

    The indicators of ``reference/indicators.csv`` in the data package in use, checked against its
    schema.

    Returns
    -------
    pandas.DataFrame
        One row per indicator in the review's order, with columns ``indicator`` (the code, "1.1"),
        ``order`` (Int64), ``title`` (as in Appendix 3), ``review_heading`` (the heading the review's
        text uses), ``framework_question``, ``framework_area``, ``review_section`` (the section of the
        review that discusses it), ``source_id`` and ``note``.

    Raises
    ------
    analysis.domain.schema.ValidationError
        If the table does not match its schema in ``datapackage.json``.

    Examples
    --------
    >>> table = indicator_table()
    >>> len(table), table.loc[0, "indicator"], table.loc[8, "framework_question"]
    (9, '1.1', 'How good is our leadership?')
    """
    from analysis.domain.schema import read_resource

    return read_resource("indicators").sort_values("order").reset_index(drop=True)


@domain_cached
def codes() -> tuple[str, ...]:
    """Indicator codes in the review's order: :data:`INDICATORS`.

    Returns
    -------
    tuple of str
        The nine codes.

    Examples
    --------
    >>> codes()
    ('1.1', '2.1', '2.2', '5.1', '5.2', '5.3', '6.2', '6.3', '9.4')
    """
    return tuple(indicator_table()["indicator"])


def __getattr__(name):
    if name == "INDICATORS":  # read on first access, not at import
        return codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def indicator_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the nine indicator codes.

    Returns
    -------
    pandas.CategoricalDtype
        Ordered, with the codes of :func:`codes` as categories in the review's order.

    Examples
    --------
    >>> dtype = indicator_dtype()
    >>> dtype.ordered, len(dtype.categories), dtype.categories[-1]
    (True, 9, '9.4')
    """
    return pd.CategoricalDtype(list(codes()), ordered=True)


def parse_indicator(text) -> str | None:
    """The indicator code for '5.1', 'QI 5.1', 'qi5.1' or '5.1 Providing help ...' (or '5,1', as a
    spreadsheet with a decimal comma writes the number); else None.

    Parameters
    ----------
    text : str
        A code, optionally after "QI" (any case) and before the indicator's title.

    Returns
    -------
    str or None
        The code, or None if ``text`` does not start with the code of one of the nine graded
        indicators.

    Examples
    --------
    >>> parse_indicator("QI 5.1"), parse_indicator("qi5.1"), parse_indicator("5.1 Providing help and support")
    ('5.1', '5.1', '5.1')
    >>> parse_indicator("5,1"), parse_indicator("3.1") is None, parse_indicator("Leadership") is None
    ('5.1', True, True)
    """
    m = re.fullmatch(r"\s*(?:qi\s*)?(\d)[.,](\d)\b.*", str(text), flags=re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    code = f"{m.group(1)}.{m.group(2)}"
    return code if code in codes() else None


def title(code: str) -> str:
    """The Appendix 3 title of an indicator.

    Parameters
    ----------
    code : str
        An indicator code, as in :func:`codes`.

    Returns
    -------
    str
        The indicator's ``title`` in ``indicators.csv``.

    Examples
    --------
    >>> title("9.4")
    'Leadership of improvement and change'
    """
    return indicator_table().set_index("indicator").loc[code, "title"]
