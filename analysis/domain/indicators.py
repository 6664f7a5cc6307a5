"""The nine graded quality indicators, read from ``data/reference/indicators.csv`` on first use (not at import)."""

from __future__ import annotations

import re

import pandas as pd

from analysis.domain.package import domain_cached

__all__ = ["INDICATORS", "codes", "indicator_table", "indicator_dtype", "parse_indicator", "title"]


@domain_cached
def indicator_table() -> pd.DataFrame:
    """indicator, order, title, review_heading, framework_question, framework_area, review_section."""
    from analysis.domain.schema import read_resource

    return read_resource("indicators").sort_values("order").reset_index(drop=True)


@domain_cached
def codes() -> tuple[str, ...]:
    """Indicator codes in the review's order: :data:`INDICATORS`."""
    return tuple(indicator_table()["indicator"])


def __getattr__(name):
    if name == "INDICATORS":  # read on first access, not at import
        return codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def indicator_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the nine indicator codes."""
    return pd.CategoricalDtype(list(codes()), ordered=True)


def parse_indicator(text) -> str | None:
    """The indicator code for '5.1', 'QI 5.1', 'qi5.1' or '5.1 Providing help ...'; else None."""
    m = re.fullmatch(r"\s*(?:qi\s*)?(\d)\.(\d)\b.*", str(text), flags=re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    code = f"{m.group(1)}.{m.group(2)}"
    return code if code in codes() else None


def title(code: str) -> str:
    """The Appendix 3 title of an indicator."""
    return indicator_table().set_index("indicator").loc[code, "title"]
