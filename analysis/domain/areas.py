"""Partnerships (CPPs), their slugs and aliases, and the three period groups.

Defined once, from ``data/reference/partnerships.csv`` and ``period_groups.csv``, read on first use
(not at import; ``PARTNERSHIPS`` and ``PERIOD_GROUPS`` too). Names are
matched case-insensitively, ignoring extra spaces, with "&" read as "and"; every alias and the
slug resolve to the canonical name.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.domain.package import domain_cached
from analysis.domain.schema import Problem, ValidationError, closest
from analysis.errors import ReviewError, shown

__all__ = [
    "partnership_table",
    "period_group_table",
    "period_group_label",
    "PARTNERSHIPS",
    "PERIOD_GROUPS",
    "partnerships",
    "period_groups",
    "partnership_dtype",
    "period_group_dtype",
    "match_partnership",
    "match_period_group",
    "members",
    "schedule",
    "period_group_of",
    "UnknownName",
]


class UnknownName(ReviewError, LookupError):
    """A name that matches no partnership or period group; ``suggestions`` lists the closest.

    Parameters
    ----------
    kind : str
        What was looked up: ``"partnership"`` or ``"period group"``.
    value : str
        The name given.
    suggestions : list of str
        The closest canonical names; for an ambiguous name, every name it could be.
    allowed : str, optional
        What is allowed, added to the message when given.
    ambiguous : bool, default False
        True when the name is part of several partnerships' names, so it picks out none of them.

    Attributes
    ----------
    kind, value, allowed : str
        As given.
    suggestions : list of str
        As given.
    ambiguous : bool
        As given.

    Examples
    --------
    >>> str(UnknownName("partnership", "Edinbrugh", ["Edinburgh"]))
    "unknown partnership 'Edinbrugh'; closest: Edinburgh"
    >>> try:
    ...     match_partnership("Lanarkshire")
    ... except UnknownName as exc:
    ...     print(exc.ambiguous, exc.suggestions)
    True ['South Lanarkshire', 'North Lanarkshire']
    """

    def __init__(self, kind: str, value: str, suggestions: list[str], allowed: str = "", ambiguous: bool = False):
        self.kind, self.value, self.suggestions, self.allowed = kind, value, suggestions, allowed
        self.ambiguous = ambiguous
        if ambiguous:
            super().__init__(f"ambiguous {kind} {shown(value)}: could be {', '.join(suggestions)}")
            return
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        more = f" (allowed: {allowed})" if allowed else ""
        super().__init__(f"unknown {kind} {shown(value)}{hint}{more}")


@domain_cached
def period_group_table() -> pd.DataFrame:
    """period_group, order, label, n_partnerships, description, appendix4_heading.

    The period groups of ``reference/period_groups.csv`` in the data package in use, checked against
    its schema.

    Returns
    -------
    pandas.DataFrame
        One row per period group, earliest first, with columns ``period_group`` (the id),
        ``order`` (Int64, 1 for the earliest), ``label`` (the name as displayed), ``n_partnerships``
        (Int64, how many partnerships the group has), ``description``, ``appendix4_heading`` (the
        group's heading in Appendix 4) and ``source_id``.

    Raises
    ------
    ValidationError
        If the table does not match its schema in ``datapackage.json``.

    Examples
    --------
    >>> table = period_group_table()
    >>> list(table["period_group"]), table["n_partnerships"].tolist()
    (['pre-2014', '2014-16', 'post-2016'], [11, 12, 9])
    """
    from analysis.domain.schema import read_resource

    return read_resource("period_groups").sort_values("order").reset_index(drop=True)


@domain_cached
def partnership_table() -> pd.DataFrame:
    """The 32 partnerships in Appendix 4 order (group, then position in the column).

    Read from ``reference/partnerships.csv`` in the data package in use, checked against its schema.

    Returns
    -------
    pandas.DataFrame
        One row per partnership, with columns ``partnership`` (the canonical name), ``slug``,
        ``la_name`` (the local authority's name), ``period_group``, ``schedule_position`` (Int64, the
        position in the group's column of Appendix 4), ``pilot`` and ``social_work_in_ia`` (boolean),
        ``aliases`` (a list of the other names it goes by) and ``source_id``.

    Raises
    ------
    ValidationError
        If the table does not match its schema in ``datapackage.json``.

    Examples
    --------
    >>> table = partnership_table()
    >>> len(table), table.loc[0, "partnership"], table.loc[31, "partnership"]
    (32, 'Edinburgh', 'Perth and Kinross')
    >>> table.loc[table["slug"] == "dundee", "aliases"].iloc[0]
    ['Dundee City', 'City of Dundee']
    """
    from analysis.domain.schema import read_resource

    table = read_resource("partnerships")
    order = {g: i for i, g in enumerate(period_group_table()["period_group"])}
    table = table.assign(_g=table["period_group"].map(order)).sort_values(["_g", "schedule_position"])
    table = table.drop(columns="_g").reset_index(drop=True)
    table["aliases"] = [[a for a in s.split("|") if a] for s in table["aliases"]]
    return table


@domain_cached
def partnerships() -> tuple[str, ...]:
    """Canonical partnership names in Appendix 4 order: :data:`PARTNERSHIPS`.

    Returns
    -------
    tuple of str
        The names, the pre-2014 group first and each group in its order in Appendix 4.

    Examples
    --------
    >>> len(partnerships()), partnerships()[:3]
    (32, ('Edinburgh', 'North Ayrshire', 'Orkney'))
    """
    return tuple(partnership_table()["partnership"])


@domain_cached
def period_groups() -> tuple[str, ...]:
    """Period group ids in order: :data:`PERIOD_GROUPS`.

    Returns
    -------
    tuple of str
        The ids, earliest group first.

    Examples
    --------
    >>> period_groups()
    ('pre-2014', '2014-16', 'post-2016')
    """
    return tuple(period_group_table()["period_group"])


def __getattr__(name):
    # read from the data folder on first access, not at import
    if name == "PARTNERSHIPS":
        return partnerships()
    if name == "PERIOD_GROUPS":
        return period_groups()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def partnership_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the partnerships' canonical names, in Appendix 4 order.

    Returns
    -------
    pandas.CategoricalDtype
        Ordered, with the names of :func:`partnerships` as categories, so sorting a column of this
        type puts it in Appendix 4 order.

    Examples
    --------
    >>> dtype = partnership_dtype()
    >>> dtype.ordered, len(dtype.categories)
    (True, 32)
    >>> pd.Series(["Fife", "Angus", "Edinburgh"], dtype=dtype).sort_values().tolist()
    ['Edinburgh', 'Fife', 'Angus']
    """
    return pd.CategoricalDtype(list(partnerships()), ordered=True)


def period_group_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the period group ids, earliest first.

    Returns
    -------
    pandas.CategoricalDtype
        Ordered, with the ids of :func:`period_groups` as categories.

    Examples
    --------
    >>> dtype = period_group_dtype()
    >>> dtype.ordered, list(dtype.categories)
    (True, ['pre-2014', '2014-16', 'post-2016'])
    """
    return pd.CategoricalDtype(list(period_groups()), ordered=True)


def _key(text: str) -> str:
    text = str(text).replace("&", " and ")
    return re.sub(r"\s+", " ", text).strip().casefold()


@domain_cached
def _names() -> dict[str, str]:
    table = {}
    for rec in partnership_table().itertuples():
        for spelling in [rec.partnership, rec.slug, rec.la_name, *rec.aliases]:
            key = _key(spelling)
            if table.get(key, rec.partnership) != rec.partnership:
                raise ValidationError(
                    [
                        Problem(
                            "partnerships.csv",
                            f"the spelling names both {table[key]} and {rec.partnership}",
                            column="aliases",
                            value=spelling,
                        )
                    ]
                )
            table[key] = rec.partnership
    return table


def all_spellings() -> dict[str, str]:
    """Every accepted spelling (normalised) with the canonical name it resolves to.

    Returns
    -------
    dict
        Each partnership's canonical name, slug, local authority name and aliases, in lower case with
        single spaces and "&" read as "and", to the canonical name. A new dict: changing it changes
        nothing else.

    Raises
    ------
    ValidationError
        If ``partnerships.csv`` gives one spelling to two partnerships.

    Examples
    --------
    >>> spellings = all_spellings()
    >>> spellings["western isles"], spellings["argyll and bute"], spellings["perth-and-kinross"]
    ('Outer Hebrides', 'Argyll and Bute', 'Perth and Kinross')
    """
    return dict(_names())


def match_partnership(name) -> str:
    """The canonical name for a partnership name, alias or slug.

    Names are matched ignoring case and extra spaces, with "&" read as "and".

    Parameters
    ----------
    name : str
        A partnership's canonical name, local authority name, alias or slug.

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    UnknownName
        With the closest names when nothing matches; with ``ambiguous`` true and every partnership it
        could be when the name is part of several (``"Ayrshire"``).
    ValidationError
        If ``partnerships.csv`` gives one spelling to two partnerships.

    Examples
    --------
    >>> match_partnership("Eilean Siar")
    'Outer Hebrides'
    >>> match_partnership("argyll  &  bute"), match_partnership("perth-and-kinross")
    ('Argyll and Bute', 'Perth and Kinross')
    >>> try:
    ...     match_partnership("Edinbrugh")
    ... except UnknownName as exc:
    ...     print(exc)
    unknown partnership 'Edinbrugh'; closest: Edinburgh
    """
    hit = _names().get(_key(name))
    if hit:
        return hit
    spellings = {}
    for rec in partnership_table().itertuples():
        for s in [rec.partnership, rec.la_name, *rec.aliases]:
            spellings.setdefault(s, rec.partnership)
    words = set(_key(name).split())
    containing = [p for p in partnerships() if words and words <= set(_key(p).split())]
    if len(containing) > 1:  # "Ayrshire", "Lanarkshire": a part of several names
        raise UnknownName(
            "partnership", str(name), containing, allowed="a name that picks out one partnership", ambiguous=True
        )
    near = closest(str(name), spellings, n=3)
    suggestions = list(dict.fromkeys(spellings[s] for s in near.split(", ") if s))
    if not suggestions:
        words = set(_key(name).split())
        suggestions = [
            p for p in partnerships() if words & set(_key(p).split()) - {"and", "east", "west", "north", "south"}
        ]
    raise UnknownName("partnership", str(name), suggestions[:3])


@domain_cached
def period_group_of() -> dict[str, str]:
    """Canonical partnership name to its period group id.

    Returns
    -------
    dict
        Each partnership's canonical name to the id of its period group, in Appendix 4 order.

    Examples
    --------
    >>> period_group_of()["Fife"], period_group_of()["Glasgow"]
    ('2014-16', 'post-2016')
    """
    table = partnership_table()
    return dict(zip(table["partnership"], table["period_group"]))


def match_period_group(name) -> str:
    """The period group id for 'pre-2014', 'Pre 2014', '2014-16', 'post 2016' ...; else UnknownName.

    Parameters
    ----------
    name : str
        A period group's id or label, in any case, with spaces or underscores for the hyphen.

    Returns
    -------
    str
        The period group id.

    Raises
    ------
    UnknownName
        If ``name`` is no period group; the message lists the ids.

    Examples
    --------
    >>> [match_period_group(name) for name in ("Pre 2014", "2014_16", "POST-2016")]
    ['pre-2014', '2014-16', 'post-2016']
    >>> try:
    ...     match_period_group("2015")
    ... except UnknownName as exc:
    ...     print(exc)
    unknown period group '2015' (allowed: pre-2014, 2014-16, post-2016)
    """
    key = re.sub(r"[\s_]+", "-", str(name).strip().casefold())
    for rec in period_group_table().itertuples():
        if key in {rec.period_group, _key(rec.label).replace(" ", "-")}:
            return rec.period_group
    raise UnknownName(
        "period group",
        str(name),
        closest(str(name), period_groups(), n=1).split(", ") if closest(str(name), period_groups()) else [],
        allowed=", ".join(period_groups()),
    )


def period_group_label(period_group: str) -> str:
    """The display label of a period group id ('pre-2014' -> 'Pre-2014').

    Parameters
    ----------
    period_group : str
        A period group id, as in :func:`period_groups` (not another spelling).

    Returns
    -------
    str
        The group's ``label`` in ``period_groups.csv``.

    Examples
    --------
    >>> period_group_label("pre-2014"), period_group_label("post-2016")
    ('Pre-2014', 'Post-2016')
    """
    table = period_group_table()
    return str(table.loc[table["period_group"] == period_group, "label"].iloc[0])


def schedule(period_group: str | None = None) -> pd.DataFrame:
    """The schedule of inspections (Appendix 4): period_group, partnership, slug and the other names
    it goes by (``aliases``, comma-separated); every partnership, or one period group's.

    Parameters
    ----------
    period_group : str, optional
        A period group, in any spelling :func:`match_period_group` accepts. Default: every group.

    Returns
    -------
    pandas.DataFrame
        One row per partnership in Appendix 4 order, with columns ``period_group`` (the id),
        ``partnership`` (the canonical name), ``slug`` and ``aliases`` (the other names it goes by,
        joined by ", "; "" if none).

    Raises
    ------
    UnknownName
        If ``period_group`` is no period group.

    Examples
    --------
    >>> frame = schedule()
    >>> list(frame.columns), len(frame)
    (['period_group', 'partnership', 'slug', 'aliases'], 32)
    >>> frame.set_index("slug").loc["glasgow", "aliases"]
    'Glasgow City, City of Glasgow'
    >>> group = schedule("Post 2016")
    >>> len(group), group.loc[0, "partnership"]
    (9, 'South Ayrshire')
    """
    table = partnership_table()
    frame = pd.DataFrame(
        {
            "period_group": table["period_group"],
            "partnership": table["partnership"],
            "slug": table["slug"],
            "aliases": table["aliases"].map(", ".join),
        }
    )
    if period_group is not None:
        frame = frame[frame["period_group"] == match_period_group(period_group)].reset_index(drop=True)
    return frame


def members(period_group: str) -> list[str]:
    """Canonical names of a period group's partnerships, in Appendix 4 order.

    Parameters
    ----------
    period_group : str
        A period group, in any spelling :func:`match_period_group` accepts.

    Returns
    -------
    list of str
        The partnerships' canonical names.

    Raises
    ------
    UnknownName
        If ``period_group`` is no period group.

    Examples
    --------
    >>> len(members("Pre 2014")), members("post-2016")[:3]
    (11, ['South Ayrshire', 'Angus', 'Moray'])
    """
    group = match_period_group(period_group)
    table = partnership_table()
    return list(table.loc[table["period_group"] == group, "partnership"])
