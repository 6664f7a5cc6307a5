"""The nine graded quality indicators, read once from ``data/reference/indicators.csv``."""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

__all__ = ["INDICATORS", "indicator_table", "indicator_dtype", "parse_indicator", "title"]


@lru_cache(maxsize=1)
def indicator_table() -> pd.DataFrame:
    """indicator, order, title, review_heading, framework_question, framework_area, review_section."""
    from .validate import read_resource

    return read_resource("indicators").sort_values("order").reset_index(drop=True)


#: Indicator codes in the review's order.
INDICATORS: tuple[str, ...] = tuple(indicator_table()["indicator"])


def indicator_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the nine indicator codes."""
    return pd.CategoricalDtype(list(INDICATORS), ordered=True)


def parse_indicator(text) -> str | None:
    """The indicator code for '5.1', 'QI 5.1', 'qi5.1' or '5.1 Providing help ...'; else None."""
    m = re.fullmatch(r"\s*(?:qi\s*)?(\d)\.(\d)\b.*", str(text), flags=re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    code = f"{m.group(1)}.{m.group(2)}"
    return code if code in INDICATORS else None


def title(code: str) -> str:
    """The Appendix 3 title of an indicator."""
    return indicator_table().set_index("indicator").loc[code, "title"]
