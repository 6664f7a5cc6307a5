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
    """A name that matches no partnership or period group; ``suggestions`` lists the closest."""

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
    """period_group, order, label, n_partnerships, description, appendix4_heading."""
    from analysis.domain.schema import read_resource

    return read_resource("period_groups").sort_values("order").reset_index(drop=True)


@domain_cached
def partnership_table() -> pd.DataFrame:
    """The 32 partnerships in Appendix 4 order (group, then position in the column).

    Columns: partnership, slug, la_name, period_group, schedule_position, pilot,
    social_work_in_ia, aliases (a list), source_id.
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
    """Canonical partnership names in Appendix 4 order: :data:`PARTNERSHIPS`."""
    return tuple(partnership_table()["partnership"])


@domain_cached
def period_groups() -> tuple[str, ...]:
    """Period group ids in order: :data:`PERIOD_GROUPS`."""
    return tuple(period_group_table()["period_group"])


def __getattr__(name):
    # read from the data folder on first access, not at import
    if name == "PARTNERSHIPS":
        return partnerships()
    if name == "PERIOD_GROUPS":
        return period_groups()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def partnership_dtype() -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(partnerships()), ordered=True)


def period_group_dtype() -> pd.CategoricalDtype:
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
    """Every accepted spelling (normalised) with the canonical name it resolves to."""
    return dict(_names())


def match_partnership(name) -> str:
    """The canonical name for a partnership name, alias or slug.

    Raises :class:`UnknownName` with the closest names when nothing matches.
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
    """Canonical partnership name to its period group id."""
    table = partnership_table()
    return dict(zip(table["partnership"], table["period_group"]))


def match_period_group(name) -> str:
    """The period group id for 'pre-2014', 'Pre 2014', '2014-16', 'post 2016' ...; else UnknownName."""
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
    """The display label of a period group id ('pre-2014' -> 'Pre-2014')."""
    table = period_group_table()
    return str(table.loc[table["period_group"] == period_group, "label"].iloc[0])


def schedule(period_group: str | None = None) -> pd.DataFrame:
    """The schedule of inspections (Appendix 4): period_group, partnership, slug and the other names
    it goes by (``aliases``, comma-separated); every partnership, or one period group's."""
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
    """Canonical names of a period group's partnerships, in Appendix 4 order."""
    group = match_period_group(period_group)
    table = partnership_table()
    return list(table.loc[table["period_group"] == group, "partnership"])
