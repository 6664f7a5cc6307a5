"""The record's sources, by id, as a reader cites them: read from ``record/sources.csv`` of the data
package in use on first use (not at import).

A page never shows a source's id (``review-2012-17``): it names the source (publisher and title, with
its year where the record gives one) and links its address where it has one.
"""

from __future__ import annotations

import pandas as pd

from analysis.domain.package import domain_cached

__all__ = ["source_table", "source_name", "source_address", "ASSUMED"]

#: What a page says for a fact assumed by the user (``source_id`` ``assumption``), which no source states.
ASSUMED = "assumed for this run (no source)"


@domain_cached
def source_table() -> pd.DataFrame:
    """The sources of the record in use, one row per source, indexed by ``source_id``.

    Returns
    -------
    pandas.DataFrame
        Columns publisher, title, address, date (empty strings where the record gives none), indexed
        by source_id.

    Examples
    --------
    >>> table = source_table()
    >>> table.loc["review-2012-17", "publisher"]
    'Care Inspectorate'
    """
    from analysis.domain.schema import read_resource

    frame = read_resource("sources")
    frame = frame[["source_id", "publisher", "title", "address", "date"]].copy()
    for column in ("publisher", "title", "address", "date"):
        frame[column] = frame[column].fillna("").astype(str)
    return frame.set_index("source_id")


def source_name(source_id) -> str:
    """A source as a reader cites it: publisher, title and year (where the record gives one).

    Parameters
    ----------
    source_id : str
        A ``source_id`` of ``record/sources.csv``, or ``assumption`` (a fact assumed by the user).

    Returns
    -------
    str
        For example ``"Care Inspectorate, Services for children and young people in South Ayrshire"``;
        :data:`ASSUMED` for an assumed fact; "" for an empty id; an id the record does not list is
        returned as given.

    Examples
    --------
    >>> source_name("review-2012-17")[:60]
    'Care Inspectorate, The joint strategic inspection of service'
    >>> source_name("review-2012-17").endswith("(2019)")
    True
    >>> source_name("assumption") == ASSUMED, source_name("")
    (True, '')
    """
    sid = "" if source_id is None or (isinstance(source_id, float) and pd.isna(source_id)) else str(source_id)
    if not sid:
        return ""
    if sid == "assumption":
        return ASSUMED
    table = source_table()
    if sid not in table.index:
        return sid
    row = table.loc[sid]
    year = row["date"][:4] if row["date"][:4].isdigit() else ""
    name = ", ".join(part for part in (row["publisher"], row["title"]) if part)
    return f"{name} ({year})" if year else name


def source_address(source_id) -> str:
    """The web address of a source, or "" where the record gives none.

    Parameters
    ----------
    source_id : str
        A ``source_id`` of ``record/sources.csv``.

    Returns
    -------
    str
        An ``http`` or ``https`` address, or "".

    Examples
    --------
    >>> source_address("ci-news-3404-south-ayrshire").startswith("http")
    True
    >>> source_address("review-2012-17"), source_address("not-a-source")
    ('', '')
    """
    table = source_table()
    sid = str(source_id)
    if sid not in table.index:
        return ""
    address = table.loc[sid, "address"]
    return address if address.startswith(("http://", "https://")) else ""
