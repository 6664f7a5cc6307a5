"""Figures of the review: one palette for the six grades, plotting functions, one save helper.

Every plotting function takes the tidy frame a :mod:`analysis.stats.summaries` function returns,
``ax=None`` (a new figure is made when it is None) and ``basis`` (the data basis, stated on the
figure), and returns the Axes. It also records the numbers it drew and an alt text, which
:func:`drawn` returns and :func:`save` writes beside the images:

- ``<name>.png`` and ``<name>.svg``: deterministic (fixed font, size and resolution; no dates or
  software versions in the metadata; fixed SVG ids), so a rebuild reproduces them byte for byte
  on the same machine;
- ``<name>.csv``: exactly the numbers drawn, one row per bar segment, point or cell;
- ``<name>.txt``: the alt text.

Under the public record the figures draw what the record fixes and show what it leaves open
as its own, labelled element (grey hatched segments, "open" cells, range bars); with a complete
grade table the same calls draw exact values.

matplotlib and seaborn are imported inside the functions, to keep ``import analysis`` fast.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.errors import UsageError
from analysis.files import atomic_path

__all__ = [
    "GRADE_COLOURS",
    "TEXT_ON",
    "scope_keys",
    "SCOPE_STYLE",
    "PALETTE",
    "grade_colours",
    "text_on",
    "UNRESOLVED_COLOUR",
    "RC",
    "Drawn",
    "drawn",
    "save",
    "grade_bars",
    "grade_grid",
    "good_or_better_plot",
    "profile_plot",
    "trend_plot",
    "staff_survey_plot",
    "settle_plot",
    "case_records_plot",
    "grade_bars_data",
    "grade_grid_data",
]

#: One colour per grade, worst to best (``GRADE_COLOURS`` by name): a diverging orange-purple scheme
#: (after ColorBrewer PuOr, colour-blind safe), orange below Good and purple from Good up, every colour at
#: least 3:1 against white (WCAG 2.2, 1.4.11). Segments are separated by white borders, so each is told from its
#: neighbours by its 3:1 edge against white, not by the two colours' contrast with each other.
PALETTE = ("#7f3b08", "#b35806", "#d46f00", "#a285d1", "#6a51a3", "#3f007d")
#: Text on each grade's colour, worst to best: white or black, whichever has at least 4.5:1 against it.
TEXT_PALETTE = ("white", "white", "black", "black", "white", "white")


def _by_side(palette) -> dict[str, str]:
    """``palette`` (worst to best, its first half below Good, its second from Good up) given to the scale's
    grades: those not good or better take the first half's darkest-last colours nearest the middle, those
    good or better the second half's, from the middle out; a six-point scale takes the palette as it is."""
    below = [g for g in scale.GRADES if g not in scale.GOOD_OR_BETTER]
    above = [g for g in scale.GRADES if g in scale.GOOD_OR_BETTER]
    half = len(palette) // 2
    low, high = palette[:half], palette[half:]
    if len(below) > len(low) or len(above) > len(high):
        raise UsageError(f"the grade palette has {len(low)} colours below good and {len(high)} from good up; the "
                         f"scale has {len(below)} and {len(above)}")
    return dict(zip(below, low[len(low) - len(below):])) | dict(zip(above, high[: len(above)]))


def grade_colours() -> dict[str, str]:
    """Each grade's colour (:data:`PALETTE`, keyed by the scale's grade names): ``GRADE_COLOURS``.

    Returns
    -------
    dict
        Grade label (worst first) to its colour.

    Raises
    ------
    UsageError
        If the scale has more grades below Good, or from Good up, than :data:`PALETTE` has colours
        on that side.

    Examples
    --------
    >>> grade_colours()["Good"]
    '#a285d1'
    """
    return _by_side(PALETTE)


def text_on() -> dict[str, str]:
    """The text colour on each grade's colour: ``TEXT_ON``.

    Returns
    -------
    dict
        Grade label to ``"white"`` or ``"black"``.

    Raises
    ------
    UsageError
        If the scale has more grades below Good, or from Good up, than there are text colours on
        that side.

    Examples
    --------
    >>> text_on()["Excellent"]
    'white'
    """
    return _by_side(TEXT_PALETTE)


def scope_style() -> dict[str, tuple[str, str]]:
    """The colour and marker of each scope: all partnerships, then each period group in order
    (:data:`GROUP_STYLES`): ``SCOPE_STYLE``.

    Returns
    -------
    dict
        Scope (``"all"`` or a period group id) to (colour, marker).

    Raises
    ------
    UsageError
        If there are more period groups than :data:`GROUP_STYLES` has styles.

    Examples
    --------
    >>> scope_style()["all"]
    ('#0b0c0c', 'o')
    """
    groups = list(areas.PERIOD_GROUPS)
    if len(groups) > len(GROUP_STYLES):
        raise UsageError(f"{len(groups)} period groups; the charts have styles for {len(GROUP_STYLES)}")
    return {"all": ALL_STYLE, **dict(zip(groups, GROUP_STYLES))}


def __getattr__(name):
    # keyed by the grade names, read from the data folder on first access (not at import)
    if name == "GRADE_COLOURS":
        return grade_colours()
    if name == "TEXT_ON":
        return text_on()
    if name == "SCOPE_STYLE":
        return scope_style()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What the record leaves open: white, hatched and outlined in dark grey, so it is at least 3:1 from
#: every grade's colour and never reads as a grade.
UNRESOLVED_COLOUR = "#ffffff"
UNRESOLVED_EDGE = "#505a5f"
#: One colour and marker per scope, on every page (the Analysis Function's categorical palette; no
#: grade colour is reused): all 32, then the three period groups.
ALL_STYLE = ("#0b0c0c", "o")
#: The period groups' colours and markers, in the groups' order.
GROUP_STYLES = (("#12436d", "s"), ("#28a197", "D"), ("#801650", "^"))
#: Short labels drawn in cells.

#: matplotlib settings every figure is drawn with: a font shipped with matplotlib, fixed sizes.
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.labelsize": 8.5,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.fonttype": "path",
    "svg.hashsalt": "review-2012-17",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.color": UNRESOLVED_EDGE,
}


@dataclass(frozen=True)
class Drawn:
    """What a plotting function drew: the numbers (one row per element), an alt text of one or two
    sentences (chart type, what it shows, the main finding; at most 250 characters, ONS style) and a
    longer description.

    Parameters
    ----------
    data : pandas.DataFrame
        The numbers drawn, one row per bar segment, point or cell (the columns depend on the figure).
    alt : str
        The alt text.
    description : str
        The long description; by default empty.

    Examples
    --------
    >>> import pandas as pd
    >>> record = Drawn(pd.DataFrame({"grade": ["Good"], "count": [3]}), "Bar chart of one grade.")
    >>> record.alt, record.description, len(record.data)
    ('Bar chart of one grade.', '', 1)
    """

    data: pd.DataFrame
    alt: str
    description: str = ""


_DRAWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def drawn(ax) -> Drawn:
    """The numbers and alt text recorded for an Axes by the function that drew it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        An Axes returned by one of this module's plotting functions.

    Returns
    -------
    Drawn
        The numbers drawn, the alt text and the long description.

    Raises
    ------
    KeyError
        If no plotting function of this module drew ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> records = pd.DataFrame({"measure": ["plans"], "description": ["Plans of good quality"],
    ...                         "stated": ["around half"], "value": [0.5], "low": [0.45], "high": [0.55]})
    >>> ax = case_records_plot(records)
    >>> record = drawn(ax)
    >>> list(record.data.columns)
    ['measure', 'description', 'stated', 'value', 'low', 'high']
    >>> record.alt
    'Chart of 1 case-record proportions as the review words them, from 45% to 55%, each with the range its \
wording allows.'
    >>> _, plain = plt.subplots()
    >>> drawn(plain)
    Traceback (most recent call last):
    ...
    KeyError: 'this Axes was not drawn by an analysis.publish.figures function'
    >>> plt.close("all")
    """
    try:
        return _DRAWN[ax]
    except KeyError:
        raise KeyError("this Axes was not drawn by an analysis.publish.figures function") from None


def _new_axes(ax, size):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _plain(text) -> str:
    """Text from data or a user (a name, a grade table's file name) drawn as written: every '$' escaped,
    so matplotlib never reads it as the start of mathtext (tick labels such as 10^-8 still use it)."""
    return str(text).replace("$", r"\$")


def _note(ax, basis: str):
    if basis:
        # supxlabel takes part in the constrained layout, so the note never overlaps the axes
        ax.figure.supxlabel(f"Data basis: {_plain(basis)}", x=0.005, ha="left", fontsize=7, color="#525252")


def _legend_handles(with_unresolved: bool, label: str = "not fixed by the record"):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=grade_colours()[g], edgecolor="white", label=g) for g in reversed(scale.GRADES)]
    if with_unresolved:
        handles.append(Patch(facecolor=UNRESOLVED_COLOUR, edgecolor=UNRESOLVED_EDGE, hatch="///", label=label))
    return handles


def _scope_style(scope: str) -> tuple[str, str]:
    """The colour and marker of a scope (:data:`SCOPE_STYLE`; dark grey for any other)."""
    return scope_style().get(scope, ("#3d3d3d", "v"))


def _scope_label(scope: str) -> str:
    if scope == "all":
        return f"All {len(areas.PARTNERSHIPS)}"
    return areas.period_group_label(scope) if scope in areas.PERIOD_GROUPS else str(scope)


def scope_keys(scopes, available) -> list[str]:
    """The scopes asked for, as the keys of the data: ``"all"`` and period-group ids, or the labels the charts
    show (``"All 32"``, ``"Post-2016"``) and other spellings of a group (``"post 2016"``).

    Parameters
    ----------
    scopes : iterable of str or None
        The scopes to draw, in order; None for every scope ``available``.
    available : iterable of str
        The scopes the data holds, in its order.

    Returns
    -------
    list of str
        Keys of the data, in the order asked.

    Raises
    ------
    UsageError
        A scope the data does not hold, with the scopes it does.

    Examples
    --------
    >>> scope_keys(["Post-2016", "All 32"], ["all", "pre-2014", "post-2016"])
    ['post-2016', 'all']
    """
    available = list(dict.fromkeys(available))
    if scopes is None:
        return available
    if isinstance(scopes, str):
        scopes = [scopes]
    keys = []
    for scope in scopes:
        key = str(scope)
        if key not in available:
            if key.strip().lower() in ("all", _scope_label("all").lower()):
                key = "all"
            else:
                try:
                    key = areas.match_period_group(key)
                except areas.UnknownName:
                    key = None
        if key not in available:
            shown = ", ".join(f"{k!r} ({_scope_label(k)})" for k in available)
            raise UsageError(f"scope {scope!r} is not in the data: it holds {shown}")
        keys.append(key)
    return keys


#: The longest alt text (characters): one or two sentences; the description holds the detail.
ALT_LIMIT = 250


def _record(ax, data: pd.DataFrame, alt: str, basis: str = "", description: str = ""):
    """Keep what ``ax`` drew for :func:`drawn` and :func:`save`; the description ends with the basis."""
    alt = " ".join(alt.split())
    if len(alt) > ALT_LIMIT:
        raise UsageError(f"alt text of {len(alt)} characters (at most {ALT_LIMIT}): {alt!r}")
    description = " ".join((description or alt).split()) + (f" Data basis: {basis}." if basis else "")
    _DRAWN[ax] = Drawn(data, alt, description)
    return ax


# -- grade distribution: diverging stacked bars -----------------------------------------------------------
def grade_bars_data(distribution: pd.DataFrame, scopes=None) -> pd.DataFrame:
    """The segments of :func:`grade_bars`, one row per indicator x scope x segment.

    A segment per grade holds the count the data fixes (the minimum over consistent tables; the
    exact count for a complete table); the 'unresolved' segment holds the partnerships whose
    grade on that indicator the fixed counts do not place (n - sum of the minima; 0 for a complete
    table). Bars diverge between Adequate and Good; the unresolved segment straddles the centre.

    Parameters
    ----------
    distribution : pandas.DataFrame
        :func:`analysis.stats.summaries.grade_distribution`: one row per indicator x scope x grade,
        with columns indicator, scope, grade, n_partnerships and min (at least).
    scopes : list of str, optional
        The scopes to keep, in this order; by default every scope in ``distribution``, in its order.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x scope x segment, indicators in the scale's order, below-Good grades
        from Adequate outwards, then 'unresolved', then the grades from Good up. Columns:

        - indicator, scope: the bar;
        - segment: a grade, or ``"unresolved"``;
        - count: the partnerships in the segment;
        - n_partnerships: the partnerships in the scope;
        - share: count / n_partnerships;
        - left, right: where the segment starts and ends, as shares (negative left of the centre).

    Examples
    --------
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> data = grade_bars_data(summaries.grade_distribution(model), ["all"])
    >>> len(data), sorted(set(data["scope"]))
    (63, ['all'])
    >>> part = data[data["indicator"] == "1.1"]
    >>> list(zip(part["segment"], part["count"]))
    [('Adequate', 5), ('Weak', 6), ('Unsatisfactory', 6), ('unresolved', 0), ('Good', 5), ('Very good', 5), \
('Excellent', 5)]
    >>> round(float(part["left"].min()), 4), round(float(part["right"].max()), 4)
    (-0.5312, 0.4688)
    """
    scopes = scope_keys(scopes, distribution["scope"])
    rows = []
    for ind in indicators.INDICATORS:
        for scope in scopes:
            part = distribution[(distribution["indicator"] == ind) & (distribution["scope"] == scope)]
            if part.empty:
                continue
            n = int(part["n_partnerships"].iloc[0])
            fixed = {str(r.grade): int(r.min) for r in part.itertuples()}
            unresolved = n - sum(fixed.values())
            half = unresolved / n / 2
            # negative side: Adequate nearest the centre, then Weak, then Unsatisfactory
            edge = -half
            below = [g for g in reversed(scale.GRADES) if g not in scale.GOOD_OR_BETTER]
            above = [g for g in scale.GRADES if g in scale.GOOD_OR_BETTER]
            for g in below:
                share = fixed[g] / n
                rows.append((ind, scope, g, fixed[g], n, share, edge - share, edge))
                edge -= share
            rows.append((ind, scope, "unresolved", unresolved, n, unresolved / n, -half, half))
            edge = half
            for g in above:
                share = fixed[g] / n
                rows.append((ind, scope, g, fixed[g], n, share, edge, edge + share))
                edge += share
    return pd.DataFrame(
        rows, columns=["indicator", "scope", "segment", "count", "n_partnerships", "share", "left", "right"]
    )


def grade_bars(distribution: pd.DataFrame, scopes=None, ax=None, basis: str = ""):
    """Grade counts per indicator (and scope) as diverging stacked bars, split between Adequate and Good.

    ``distribution`` is :func:`analysis.stats.summaries.grade_distribution`; ``scopes`` selects and
    orders the scopes drawn (default: those in the frame). Bars are shares of the scope's
    partnerships, with the count written in each segment wide enough to hold it. What the record
    leaves unresolved is a white hatched segment across the centre. Each indicator's bars sit under
    a heading naming it; the axis is fitted to the longest bar.

    Parameters
    ----------
    distribution : pandas.DataFrame
        :func:`analysis.stats.summaries.grade_distribution` (on the public record or a complete table).
    scopes : list of str, optional
        The scopes to draw, in this order (``"all"`` and period group ids); by default every scope in
        ``distribution``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure; by default none is written.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the numbers drawn (:func:`grade_bars_data`) and the
        alt text.

    Raises
    ------
    UsageError
        If the alt text would be longer than :data:`ALT_LIMIT` characters.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> ax = grade_bars(summaries.grade_distribution(model), ["all", "post-2016"], basis="a made-up table")
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Grades per quality indicator')
    >>> drawn(ax).alt
    'Diverging bar chart of the grades on 9 quality indicators (All 32, Post-2016). Every grade is known.'
    >>> plt.close("all")
    """
    import math

    data = grade_bars_data(distribution, scopes)
    keys = list(dict.fromkeys(zip(data["indicator"], data["scope"])))
    scopes_drawn = list(dict.fromkeys(data["scope"]))
    n_inds = len(dict.fromkeys(data["indicator"]))
    ax = _new_axes(ax, (7.5, 1.5 + 0.27 * len(keys) + 0.3 * n_inds))
    import matplotlib.pyplot as plt

    has_open = bool((data["segment"].eq("unresolved") & data["count"].gt(0)).any())
    reach = max(float(-data["left"].min()), float(data["right"].max()), 0.1)
    limit = min(1.0, math.ceil((reach + 0.02) * 10) / 10)
    with plt.rc_context(RC):
        ypos, labels, headings, y = {}, [], {}, 0.0
        for ind, scope in keys:
            if ind not in headings:
                headings[ind] = y
                y += 0.9
            ypos[(ind, scope)] = y
            labels.append(_scope_label(scope))
            y += 1
        for ind, hy in headings.items():
            ax.text(
                -limit,
                hy,
                f"QI {ind} {indicators.title(ind)}",
                ha="left",
                va="center",
                fontsize=7.5,
                fontweight="bold",
                color="#0b0c0c",
            )
        ax.axvline(0, color="#0b0c0c", linewidth=0.8, zorder=0.5)  # behind the bars: shows between rows
        for r in data.itertuples():
            if r.count == 0:
                continue
            yy = ypos[(r.indicator, r.scope)]
            unresolved = r.segment == "unresolved"
            ax.barh(
                yy,
                r.right - r.left,
                left=r.left,
                height=0.78,
                zorder=2,
                color=UNRESOLVED_COLOUR if unresolved else grade_colours()[r.segment],
                edgecolor=UNRESOLVED_EDGE if unresolved else "white",
                hatch="///" if unresolved else None,
                linewidth=0.6 if unresolved else 1.0,
            )
            if r.share >= 0.06:
                text = (
                    dict(color="#0b0c0c", bbox=dict(facecolor="white", edgecolor="none", pad=0.6))
                    if unresolved
                    else dict(color=text_on()[r.segment])
                )
                ax.text(
                    (r.left + r.right) / 2, yy, str(r.count), ha="center", va="center", fontsize=7, zorder=3, **text
                )
        ax.set_yticks(list(ypos.values()), labels)
        ax.set_ylim(y - 0.4, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(-limit, limit)
        step = 0.25 if limit > 0.5 else 0.1
        ticks = [t * step for t in range(-int(limit / step + 1e-9), int(limit / step + 1e-9) + 1)]
        ax.set_xticks(ticks, [f"{abs(t):.0%}" for t in ticks])
        ax.set_xlabel("Share of partnerships: Adequate or below (left)  |  Good or better (right)")
        ax.set_title("Grades per quality indicator", pad=12 + (36 if has_open else 24))
        ax.legend(
            handles=_legend_handles(has_open),
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=4 if has_open else 6,
            frameon=False,
        )
        _note(ax, basis)
    total_open = int(data.loc[data["segment"] == "unresolved", "count"].sum())
    total = int(data.groupby(["indicator", "scope"])["n_partnerships"].first().sum())
    scope_words = ", ".join(_scope_label(sc) for sc in scopes_drawn)
    alt = f"Diverging bar chart of the grades on {n_inds} quality indicators ({scope_words}). " + (
        f"{total_open} of the {total} grades drawn are not fixed by the record."
        if total_open
        else "Every grade is known."
    )
    description = (
        f"Diverging stacked bars: for each of the {n_inds} quality indicators and each scope "
        f"({scope_words}), the share of partnerships at each grade, Adequate and below to the left of "
        f"the centre line and Good or better to the right, with the count in each segment. "
        + (
            f"A white hatched segment across the centre holds the partnerships whose grade the record "
            f"leaves open ({total_open} of {total} grades drawn)."
            if total_open
            else ""
        )
    )
    return _record(ax, data, alt, basis, description)


# -- partnership x indicator grid ---------------------------------------------------------------------------
def grade_grid_data(possible: pd.DataFrame) -> pd.DataFrame:
    """The cells of :func:`grade_grid`: partnership, indicator, drawn (the grade, or 'open'),
    possible ('|'-joined, worst to best), status, label (text in the cell).

    Parameters
    ----------
    possible : pandas.DataFrame
        :func:`analysis.stats.summaries.partnership_grades` (or ``possible_grades``): one row per cell
        with columns partnership, indicator, possible (a tuple of grades, worst to best, or the same
        '|'-joined) and optionally status.

    Returns
    -------
    pandas.DataFrame
        One row per cell, in the order of ``possible``. Columns:

        - partnership, indicator: the cell (as text);
        - drawn: the grade when only one is possible, otherwise ``"open"``;
        - possible: the possible grades, '|'-joined, worst to best;
        - status: the cell's status from ``possible`` ("" if it has none);
        - label: the text in the cell: the grade's abbreviation (with '*' when derived), or the range
          of possible grades such as 'A–VG'.

    Examples
    --------
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> cells = grade_grid_data(summaries.partnership_grades(model, period_group="post-2016"))
    >>> len(cells), list(cells.columns)
    (81, ['partnership', 'indicator', 'drawn', 'possible', 'status', 'label'])
    >>> cells[["partnership", "indicator", "drawn", "label"]].head(3)
          partnership indicator           drawn label
    0  South Ayrshire       1.1       Excellent     E
    1  South Ayrshire       2.1  Unsatisfactory     U
    2  South Ayrshire       2.2            Weak     W
    """
    rows = []
    for r in possible.itertuples():
        poss = tuple(r.possible) if not isinstance(r.possible, str) else tuple(r.possible.split("|"))
        fixed = len(poss) == 1
        status = getattr(r, "status", "")
        if fixed:
            label = scale.abbreviations_of()[poss[0]] + ("*" if status == "derived" else "")
        else:
            label = f"{scale.abbreviations_of()[poss[0]]}–{scale.abbreviations_of()[poss[-1]]}"
        rows.append((str(r.partnership), str(r.indicator), poss[0] if fixed else "open", "|".join(poss), status, label))
    return pd.DataFrame(rows, columns=["partnership", "indicator", "drawn", "possible", "status", "label"])


def grade_grid(possible: pd.DataFrame, ax=None, basis: str = ""):
    """Partnership x indicator grid (heatmap) of grades, partnerships in the Appendix 4 order.

    ``possible`` is :func:`analysis.stats.summaries.partnership_grades` (or ``possible_grades``).
    Known cells are coloured by grade; open cells are white and hatched, labelled with the range the
    record leaves (e.g. 'A–VG'; 'U–E' for any grade); derived cells carry a '*'.

    Parameters
    ----------
    possible : pandas.DataFrame
        :func:`analysis.stats.summaries.partnership_grades` (every partnership, or a selection of them).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure; by default none is written.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the cells drawn (:func:`grade_grid_data`) and the alt
        text.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> ax = grade_grid(summaries.partnership_grades(model, period_group="post-2016"))
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Grades by partnership and quality indicator')
    >>> drawn(ax).alt
    'Grid of the grades of 9 partnerships on 9 quality indicators. Every grade is known.'
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    data = grade_grid_data(possible)
    parts = [p for p in areas.PARTNERSHIPS if p in set(data["partnership"])]
    inds = [i for i in indicators.INDICATORS if i in set(data["indicator"])]
    ax = _new_axes(ax, (6.2, 1.6 + 0.22 * len(parts)))
    codes = {g: k for k, g in enumerate(scale.GRADES)} | {"open": len(scale.GRADES)}
    cell = data.set_index(["partnership", "indicator"])
    z = np.array([[codes[cell.loc[(p, i), "drawn"]] for i in inds] for p in parts])
    with plt.rc_context(RC):
        cmap = ListedColormap([grade_colours()[g] for g in scale.GRADES] + [UNRESOLVED_COLOUR])
        ax.pcolormesh(z, cmap=cmap, vmin=-0.5, vmax=len(scale.GRADES) + 0.5, edgecolors="white", linewidth=1.0)
        for a, p in enumerate(parts):
            for b, i in enumerate(inds):
                c = cell.loc[(p, i)]
                if c["drawn"] == "open":
                    ax.add_patch(
                        plt.Rectangle(
                            (b + 0.04, a + 0.06),
                            0.92,
                            0.88,
                            fill=False,
                            hatch="///",
                            edgecolor=UNRESOLVED_EDGE,
                            linewidth=0.6,
                        )
                    )
                    text = dict(color="#0b0c0c", bbox=dict(facecolor="white", edgecolor="none", pad=0.4))
                else:
                    text = dict(color=text_on()[c["drawn"]])
                ax.text(b + 0.5, a + 0.5, c["label"], ha="center", va="center", fontsize=6.5, **text)
        ax.set_xticks(np.arange(len(inds)) + 0.5, inds)
        ax.set_yticks(np.arange(len(parts)) + 0.5, [_plain(p) for p in parts])
        ax.xaxis.tick_top()
        ax.set_ylim(len(parts), 0)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_title("Grades by partnership and quality indicator", pad=18)
        has_open = bool(data["drawn"].eq("open").any())
        ax.legend(
            handles=_legend_handles(has_open, "not fixed: the grades it can take (U–E: any)"),
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncol=2,
            frameon=False,
        )
        _note(ax, basis + ("; * derived from other sources" if data["status"].eq("derived").any() else ""))
    n_open = int(data["drawn"].eq("open").sum())
    alt = f"Grid of the grades of {len(parts)} partnerships on {len(inds)} quality indicators. " + (
        f"{n_open} of the {len(data)} grades are not fixed by the record and show the range they can take."
        if n_open
        else "Every grade is known."
    )
    description = (
        f"Grid of {len(parts)} partnerships (rows, in the order of Appendix 4) by {len(inds)} quality "
        f"indicators (columns), each cell coloured by its grade and labelled with its abbreviation "
        f"(E, VG, G, A, W, U). "
        + (
            f"{n_open} of {len(data)} cells are not fixed by the record: they are "
            f"white and hatched, labelled with the range of grades still possible."
            if n_open
            else ""
        )
    )
    return _record(ax, data, alt, basis, description)


# -- good or better by period group -------------------------------------------------------------------------
def good_or_better_plot(gob: pd.DataFrame, scopes=None, ax=None, basis: str = ""):
    """Good-or-better share per indicator, one point (or range) per scope, with intervals.

    ``gob`` is :func:`analysis.stats.summaries.good_or_better`. A fixed share is a dot; a share the
    record leaves open is a thick bar from its minimum to its maximum. The thin line is the
    interval in the frame: Wilson 95% for a fixed share, the record's range widened by Wilson
    otherwise. Drawn data: indicator, scope, n_partnerships, min, max, share_min, share_max,
    ci_low, ci_high, interval.

    Parameters
    ----------
    gob : pandas.DataFrame
        :func:`analysis.stats.summaries.good_or_better`.
    scopes : list of str, optional
        The scopes to draw, in this order (``"all"`` and period group ids); by default every scope in
        ``gob``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure with a key to the marks; by default none is written.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the numbers drawn, one row per indicator x scope, with
        the columns listed above, and the alt text.

    Raises
    ------
    UsageError
        If the alt text would be longer than :data:`ALT_LIMIT` characters.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> ax = good_or_better_plot(summaries.good_or_better(model), ["all"])
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Good or better, by period group')
    >>> drawn(ax).alt
    'Chart of the share graded good or better on 9 quality indicators (All 32), with 95% intervals. \
Every share is exact.'
    >>> drawn(ax).data[["indicator", "share_min", "ci_low", "ci_high"]].head(2).round(3)
      indicator  share_min  ci_low  ci_high
    0       1.1      0.469   0.309    0.636
    1       2.1      0.469   0.309    0.636
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    import numpy as np

    scopes = scope_keys(scopes, gob["scope"])
    data = gob[gob["scope"].isin(scopes)].copy()
    data["scope"] = pd.Categorical(data["scope"], scopes, ordered=True)
    data = data.sort_values(["indicator", "scope"]).reset_index(drop=True)
    data["scope"] = data["scope"].astype(str)
    data = data[
        [
            "indicator",
            "scope",
            "n_partnerships",
            "min",
            "max",
            "share_min",
            "share_max",
            "ci_low",
            "ci_high",
            "interval",
        ]
    ]
    ax = _new_axes(ax, (7.5, 3.6))
    inds = [i for i in indicators.INDICATORS if i in set(data["indicator"].astype(str))]
    width = 0.8 / max(len(scopes), 1)
    with plt.rc_context(RC):
        for k, scope in enumerate(scopes):
            colour, marker = _scope_style(scope)
            part = data[data["scope"] == scope].set_index("indicator")
            xs = np.array([inds.index(i) for i in part.index.astype(str)]) - 0.4 + width * (k + 0.5)
            ax.vlines(xs, part["ci_low"], part["ci_high"], color=colour, linewidth=0.9, clip_on=False)
            open_ = part["share_min"] < part["share_max"]
            ax.vlines(
                xs[open_.to_numpy()],
                part.loc[open_, "share_min"],
                part.loc[open_, "share_max"],
                color=colour,
                linewidth=4.5,
                clip_on=False,
            )
            ax.plot(
                xs[~open_.to_numpy()],
                part.loc[~open_, "share_min"],
                linestyle="none",
                marker=marker,
                color=colour,
                markersize=4.5,
                clip_on=False,
            )
            # one legend entry per scope, in its colour and marker, whatever this figure draws of it
            ax.plot(
                [], [], color=colour, marker=marker, markersize=4.5, linewidth=4.5, alpha=1.0, label=_scope_label(scope)
            )
        ax.set_xticks(range(len(inds)), inds)
        ax.set_ylim(0, 1.0)
        ax.margins(y=0)
        ax.spines["left"].set_bounds(0, 1)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("Share graded Good or better")
        ax.set_xlabel("Quality indicator")
        ax.set_title("Good or better, by period group", pad=22)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=len(scopes))
        _note(
            ax,
            basis + "; dots: exact share; thick bars: range left open by the record; thin lines: 95% "
            "Wilson interval (widened over the range)"
            if basis
            else "",
        )
    n_open = int((data["share_min"] < data["share_max"]).sum())
    words = ", ".join(_scope_label(s) for s in scopes)
    alt = (
        f"Chart of the share graded good or better on {len(inds)} quality indicators ({words}), with 95% "
        f"intervals. "
        + (
            f"{n_open} of the {len(data)} shares are ranges the record leaves open."
            if n_open
            else "Every share is exact."
        )
    )
    description = (
        f"Good-or-better shares for {len(inds)} quality indicators and {len(scopes)} scopes ({words}): "
        f"a dot for an exact share, a thick bar from the lowest to the highest share the record allows, "
        f"and a thin line for the 95% Wilson interval (widened over the range)."
    )
    return _record(ax, data, alt, basis, description)


# -- one partnership's profile ------------------------------------------------------------------------------
def profile_plot(profile: pd.DataFrame, ax=None, basis: str = ""):
    """One partnership's grades against the national and its group's median, per indicator.

    ``profile`` is :func:`analysis.stats.summaries.partnership_profile`. The partnership's grade is a
    dot when fixed and a bar over the grades still possible otherwise; the national and group
    lower medians are marked beside it (a short bar when the record leaves them open). Drawn data:
    indicator, series, low, high (grades, worst 1 ... best 6).

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`analysis.stats.summaries.partnership_profile` of one partnership.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure; by default none is written.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the numbers drawn, three rows per indicator (series:
        the partnership's name, ``"national median"`` and ``"group median"``; low and high as grade
        values), and the alt text.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from analysis.domain.load import example_grades
    >>> from analysis.record.model import RecordModel
    >>> from analysis.stats import summaries
    >>> model = RecordModel.from_grades(example_grades())
    >>> ax = profile_plot(summaries.partnership_profile(model, "Orkney"))
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Orkney: grades against the national and group medians')
    >>> drawn(ax).data.head(3)
      indicator           series  low  high
    0       1.1           Orkney    3     3
    1       1.1  national median    3     3
    2       1.1     group median    3     3
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    value = scale.grade_values()
    partnership = str(profile["partnership"].iloc[0])
    rows = []
    for r in profile.itertuples():
        ind = str(r.indicator)
        rows.append((ind, partnership, value[str(r.lowest)], value[str(r.highest)]))
        rows.append((ind, "national median", value[str(r.national_median_low)], value[str(r.national_median_high)]))
        rows.append((ind, "group median", value[str(r.group_median_low)], value[str(r.group_median_high)]))
    data = pd.DataFrame(rows, columns=["indicator", "series", "low", "high"])
    ax = _new_axes(ax, (7.5, 4.2))
    inds = list(dict.fromkeys(data["indicator"]))
    group = areas.period_group_of().get(partnership, "")
    style = {
        partnership: ("#505a5f", "o", 0.0, 7, partnership),
        "national median": (ALL_STYLE[0], "_", -0.25, 12, "national median (all 32)"),
        "group median": (
            _scope_style(group)[0],
            "_",
            0.25,
            12,
            f"{areas.period_group_label(group)} group median" if group else "group median",
        ),
    }
    from matplotlib.lines import Line2D

    handles = []
    with plt.rc_context(RC):
        for series, (colour, marker, dx, size, name) in style.items():
            part = data[data["series"] == series]
            xs = [inds.index(i) + dx for i in part["indicator"]]
            fixed = (part["low"] == part["high"]).to_numpy()
            width = 4 if series == partnership else 2
            ax.vlines(
                [x for x, f in zip(xs, fixed) if not f],
                part.loc[~fixed, "low"] - 0.2,
                part.loc[~fixed, "high"] + 0.2,
                color=colour,
                linewidth=width,
            )
            ax.plot(
                [x for x, f in zip(xs, fixed) if f],
                part.loc[fixed, "low"],
                linestyle="none",
                marker=marker,
                color=colour,
                markersize=size,
                markeredgewidth=2,
            )
            if fixed.any():
                handles.append(
                    Line2D(
                        [],
                        [],
                        linestyle="none",
                        marker=marker,
                        color=colour,
                        markersize=size,
                        markeredgewidth=2,
                        label=name,
                    )
                )
            if (~fixed).any():
                handles.append(Line2D([], [], color=colour, linewidth=width, label=f"{name}: range, not fixed"))
        ax.set_xticks(range(len(inds)), inds)
        ax.set_yticks(range(1, len(scale.GRADES) + 1), list(scale.GRADES))
        ax.set_ylim(0.5, len(scale.GRADES) + 0.5)
        ax.axhspan(value[scale.GOOD_OR_BETTER[0]] - 0.5, len(scale.GRADES) + 0.5, color="#f2f0f7", zorder=0)
        ax.set_xlabel("Quality indicator")
        ax.set_title(f"{_plain(partnership)}: grades against the national and group medians", pad=10)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, ncol=2)
        any_open = bool((data["low"] < data["high"]).any())
        _note(
            ax, basis + ("; bars: the range of grades the record leaves possible" if any_open else "") if basis else ""
        )
    n_open = int(((data["series"] == partnership) & (data["low"] < data["high"])).sum())
    alt = (
        f"Chart of {partnership}'s grade on {len(inds)} quality indicators beside the national and group median "
        f"grades. "
        + (
            f"{len(inds) - n_open} of its {len(inds)} grades are fixed by the record."
            if n_open
            else "Every grade is known."
        )
    )
    if len(alt) > ALT_LIMIT:
        alt = f"Chart of a partnership's grades on {len(inds)} quality indicators beside the median grades."
    description = (
        f"{partnership}'s grade on each of {len(inds)} quality indicators (a dot where fixed, a bar over "
        f"the grades still possible otherwise), beside the national and period-group lower median grades."
    )
    return _record(ax, data, alt, basis, description)


# -- trends across the period groups ---------------------------------------------------------------------------
def trend_plot(bounds: pd.DataFrame, ax=None, basis: str = ""):
    """Per indicator and direction, the exact p-values of the linear-by-linear test over every
    consistent table: a bar from p_min to p_max on a log scale (a dot when they are equal), the 5%
    line, and the verdict written beside it (significant trend forced, possible or impossible).

    ``bounds`` is :func:`analysis.stats.trend_bounds.trend_bounds` ``["bounds"]``. Drawn data:
    indicator, direction, p_min, p_max, verdict.

    Parameters
    ----------
    bounds : pandas.DataFrame
        One row per indicator x direction (``"up"`` and ``"down"`` for every indicator), with columns
        indicator, direction, p_min, p_max, verdict (``"forced"``, ``"possible"`` or ``"impossible"``)
        and optionally alpha (the significance level; 0.05 if absent).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure with the level and a key to the bars; by default
        none is written.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the rows drawn (the columns listed above) and the alt
        text.

    Examples
    --------
    The frame below holds the columns of :func:`analysis.stats.trend_bounds.trend_bounds` ``["bounds"]``
    that the chart reads, written out because computing them takes several seconds.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> bounds = pd.DataFrame({"indicator": ["1.1", "1.1", "2.1", "2.1"], "direction": ["up", "down"] * 2,
    ...                        "p_min": [0.004, 1.0, 0.02, 0.03], "p_max": [0.03, 1.0, 1.0, 1.0],
    ...                        "verdict": ["forced", "impossible", "possible", "possible"], "alpha": 0.05})
    >>> ax = trend_plot(bounds)
    >>> type(ax).__name__, ax.get_xscale()
    ('Axes', 'log')
    >>> drawn(ax).alt
    'Chart of the exact p-values of a trend across the period groups on 2 quality indicators, over every \
consistent table. A significant trend is upward in QI 1.1: forced; downward in QI 1.1: ruled out; every other is \
possible.'
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    import numpy as np

    data = bounds[["indicator", "direction", "p_min", "p_max", "verdict"]].copy()
    data["indicator"] = data["indicator"].astype(str)
    inds = [i for i in indicators.INDICATORS if i in set(data["indicator"])]
    alpha = float(bounds["alpha"].iloc[0]) if "alpha" in bounds else 0.05
    ax = _new_axes(ax, (7.5, 1.4 + 0.42 * len(inds)))
    style = {
        "up": ("#12436d", "o", -0.17, "upward (higher grades in later groups)"),
        "down": ("#801650", "s", 0.17, "downward"),
    }
    floor = 10 ** np.floor(np.log10(max(min(data["p_min"].min(), alpha) / 3, 1e-12)))
    words = {"forced": "forced", "possible": "possible", "impossible": "ruled out"}
    with plt.rc_context(RC):
        for direction, (colour, marker, dy, label) in style.items():
            part = data[data["direction"] == direction].set_index("indicator").loc[inds]
            ys = np.arange(len(inds)) + dy
            same = (part["p_min"] == part["p_max"]).to_numpy()
            ax.hlines(ys[~same], part["p_min"][~same], part["p_max"][~same], color=colour, linewidth=4.5)
            ax.plot(part["p_min"][same], ys[same], linestyle="none", marker=marker, color=colour, markersize=5)
            ax.plot([], [], color=colour, linewidth=4.5, label=f"{label} trend")
            for y, v in zip(ys, part["verdict"]):
                ax.text(2.0, y, f"{direction}: {words[v]}", va="center", fontsize=7, color="#252525")
        ax.axvline(alpha, color="#252525", linewidth=0.9, linestyle="--")
        ax.text(alpha, -0.75, f" {alpha:g}", fontsize=7, color="#252525", va="bottom")
        ax.set_xscale("log")
        ax.set_xlim(floor, 60)  # room on the right for the verdicts
        ax.set_xticks([t for t in 10.0 ** np.arange(np.log10(floor), 1) if t <= 1])
        ax.spines["bottom"].set_bounds(floor, 1)
        ax.set_yticks(range(len(inds)), [f"QI {i}" for i in inds])
        ax.set_ylim(len(inds) - 0.5, -0.9)
        ax.set_xlabel("Exact two-sided p-value of the linear-by-linear test (log scale)")
        ax.set_title("Trend across the three period groups: p-values over every consistent table", pad=22)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=2)
        _note(
            ax,
            basis + f"; significant: p <= {alpha:g}.\nA bar runs from the smallest to the largest p-value any "
            f"consistent table gives (1: some table shows no trend that way)."
            if basis
            else "",
        )
    counts = data.groupby(["direction", "verdict"]).size()

    def n(d, v):
        return int(counts.get((d, v), 0))

    decided = [
        f"{r.direction}ward in QI {r.indicator}: {words[r.verdict]}"
        for r in data.itertuples()
        if r.verdict != "possible"
    ]
    alt = (
        f"Chart of the exact p-values of a trend across the period groups on {len(inds)} quality indicators, "
        f"over every consistent table. "
        + (
            f"A significant trend is {'; '.join(decided)}; every other is possible."
            if decided
            else "Every significant trend is possible, none forced."
        )
    )
    if len(alt) > ALT_LIMIT:
        alt = (
            f"Chart of the exact p-values of a trend across the period groups on {len(inds)} quality indicators; "
            f"{len(decided)} of {len(data)} significant trends are forced or ruled out."
        )
    description = (
        f"Range of exact p-values for a trend across the period groups, for {len(inds)} quality "
        f"indicators, upward and downward, on a log scale with a line at {alpha:g}. A significant upward "
        f"trend is forced for {n('up', 'forced')}, possible for {n('up', 'possible')} and ruled out for "
        f"{n('up', 'impossible')} indicators; a significant downward trend is forced for "
        f"{n('down', 'forced')}, possible for {n('down', 'possible')} and ruled out for "
        f"{n('down', 'impossible')}: "
        + "; ".join(f"QI {r.indicator} {r.direction}: {words[r.verdict]}" for r in data.itertuples())
        + "."
    )
    return _record(ax, data.reset_index(drop=True), alt, basis, description)


# -- staff survey and case records ---------------------------------------------------------------------------
def staff_survey_plot(survey: pd.DataFrame, ax=None, basis: str = "staff survey percentages stated in the review"):
    """Staff-survey positive responses (%) by period group, one group of bars per question.

    ``survey`` is the record's ``staff_survey`` table; groups the review does not state are absent
    (not zero), and the note under the figure says so. Drawn data: measure, question, period_group,
    percent_positive.

    Parameters
    ----------
    survey : pandas.DataFrame
        The staff-survey table: one row per question x period group stated, with columns measure (a
        short id), question (its wording), period_group and percent_positive.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the rows drawn (the columns listed above) and the alt
        text; the long description names every figure the survey does not state.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> survey = pd.DataFrame({"measure": ["named_person"] * 2 + ["plans"] * 3,
    ...                        "question": ["I know the named person"] * 2 + ["Plans are reviewed"] * 3,
    ...                        "period_group": ["pre-2014", "post-2016", "pre-2014", "2014-16", "post-2016"],
    ...                        "percent_positive": [81.0, 88.0, 70.0, 74.0, 79.0]})
    >>> ax = staff_survey_plot(survey)
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Staff survey: positive responses by period group')
    >>> drawn(ax).alt
    'Bar chart of staff survey positive responses by period group for 2 questions, from 70% to 88%.'
    >>> drawn(ax).description.split(". ")[-1]
    'The review states no figure for: no 2014-16 figure for I know the named person.'
    >>> plt.close("all")
    """
    import textwrap

    import matplotlib.pyplot as plt
    import numpy as np

    data = survey[["measure", "question", "period_group", "percent_positive"]].copy()
    data["period_group"] = data["period_group"].astype(str)
    order = [g for g in areas.PERIOD_GROUPS if g in set(data["period_group"])]
    measures = list(dict.fromkeys(data["measure"]))
    questions = {m: str(data.loc[data["measure"] == m, "question"].iloc[0]) for m in measures}
    ax = _new_axes(ax, (7.5, 3.9))
    width = 0.8 / len(order)
    missing = []
    with plt.rc_context(RC):
        for k, g in enumerate(order):
            colour, _ = _scope_style(g)
            part = data[data["period_group"] == g].set_index("measure")
            xs = np.arange(len(measures)) - 0.4 + width * (k + 0.5)
            for x, m in zip(xs, measures):
                if m not in part.index:  # said on the chart, not drawn as a zero
                    missing.append((m, g))
                    ax.text(x, 1, "not\nstated", ha="center", va="bottom", fontsize=6.5, color="#505a5f")
                    continue
                v = float(part.loc[m, "percent_positive"])
                ax.bar(x, v, width=width * 0.92, color=colour, edgecolor="white", linewidth=0.8)
                ax.text(x, v + 1, f"{v:g}%", ha="center", va="bottom", fontsize=7, color="#0b0c0c")
        ax.set_xticks(range(len(measures)), [_plain(textwrap.fill(questions[m], 26)) for m in measures])
        ax.set_ylim(0, 100)
        ax.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("Positive responses")
        ax.set_title("Staff survey: positive responses by period group", pad=22)
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(facecolor=_scope_style(g)[0], label=areas.period_group_label(g)) for g in order],
            frameon=False,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=len(order),
        )
        gaps = "; ".join(
            f"no {areas.period_group_label(g)} figure for {questions[m][:40].rstrip()}…"
            if len(questions[m]) > 40
            else f"no {areas.period_group_label(g)} figure for {questions[m]}"
            for m, g in missing
        )
        _note(ax, basis + ("; not stated: the review gives no figure for that group" if missing else ""))
    lo, hi = data["percent_positive"].min(), data["percent_positive"].max()
    alt = (
        f"Bar chart of staff survey positive responses by period group for {len(measures)} questions, from "
        f"{lo:g}% to {hi:g}%."
    )
    description = (
        "Staff-survey positive responses in percent: "
        + "; ".join(
            f"{questions[m]} ({', '.join(f'{g}: {v:g}%' for g, v in zip(p['period_group'], p['percent_positive']))})"
            for m, p in data.groupby("measure", sort=False)
        )
        + "."
        + (f" The review states no figure for: {gaps}." if missing else "")
    )
    return _record(ax, data.reset_index(drop=True), alt, "", description)


def settle_plot(settles: pd.DataFrame, ax=None, basis: str = ""):
    """How many inspection reports would settle each open statement and conclusion: bars of the number of
    verdicts by the number of reports needed (one report alone, the proven smallest set, or at least a bound).

    Parameters
    ----------
    settles : pandas.DataFrame
        The ``settles`` frame of :func:`analysis.stats.settle.what_would_settle` (trend verdicts and cells are
        left out).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure.
    basis : str
        The data basis, written under the figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Drawn data: reports_needed, kind ('exact' or 'at least'), verdicts.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> settles = pd.DataFrame({"verdict_id": ["statement:a", "claim:b", "claim:b", "claim:c"],
    ...                         "kind": ["statement", "claim", "claim", "claim"],
    ...                         "n_reports": [2, 1, 1, 2], "method": ["smallest set (proven)", "one report",
    ...                                                              "one report", "at least 2 reports"]})
    >>> ax = settle_plot(settles)
    >>> drawn(ax).data.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'reports_needed': 1, 'exact': True, 'verdicts': 1}, {'reports_needed': 2, 'exact': True, 'verdicts': 1},
     {'reports_needed': 2, 'exact': False, 'verdicts': 1}]
    >>> drawn(ax).alt
    'Bar chart of 3 open statements and conclusions by the number of inspection reports that would settle \
them: 1 by a single report; 1 needs 2 reports; 1 needs at least 2.'
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    verdicts = settles[settles["kind"].isin(["statement", "claim"])]
    per = verdicts.groupby("verdict_id", sort=False).agg(n=("n_reports", "min"), method=("method", "first"))
    per["exact"] = ~per["method"].str.startswith("at least")
    data = (per.groupby(["n", "exact"]).size().rename("verdicts").reset_index()
            .rename(columns={"n": "reports_needed"}).sort_values(["reports_needed", "exact"], ascending=[True, False]))
    data = data[["reports_needed", "exact", "verdicts"]].reset_index(drop=True)
    data["exact"] = data["exact"].astype(bool)
    data["reports_needed"] = data["reports_needed"].astype(int)
    data["verdicts"] = data["verdicts"].astype(int)
    ax = _new_axes(ax, (7.5, 3.4))
    colour, edge = GROUP_STYLES[0][0], UNRESOLVED_EDGE
    with plt.rc_context(RC):
        for r in data.itertuples():
            exact = bool(r.exact)
            ax.bar(r.reports_needed, r.verdicts, width=0.8, color=colour if exact else UNRESOLVED_COLOUR,
                   edgecolor="white" if exact else edge, hatch=None if exact else "///", linewidth=0.8)
        stacked = data.groupby("reports_needed")["verdicts"].sum()
        for n, v in stacked.items():
            ax.text(n, v + 0.1, str(int(v)), ha="center", va="bottom", fontsize=7.5, color="#0b0c0c")
        top = int(data["reports_needed"].max()) if len(data) else 1
        ax.set_xlim(0.3, top + 0.7)
        ax.set_xticks(range(1, top + 1), [str(k) if k == 1 or k % 2 == 0 else "" for k in range(1, top + 1)])
        ax.set_xlabel("Inspection reports needed to settle the verdict, whatever they say")
        ax.set_ylabel("Open verdicts")
        ax.set_ylim(0, max(1, int(stacked.max()) if len(stacked) else 1) * 1.2)
        ax.set_title("How many reports would settle the review's open statements and conclusions", pad=18)
        ax.legend(handles=[Patch(facecolor=colour, edgecolor="white", label="exact (one report, or the proven "
                                 "smallest set)"),
                           Patch(facecolor=UNRESOLVED_COLOUR, edgecolor=edge, hatch="///",
                                 label="at least this many (not searched)")],
                  frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        _note(ax, basis)
    exact = data[data["exact"]]
    single = int(exact.loc[exact["reports_needed"] == 1, "verdicts"].sum())
    parts = [f"{single} by a single report"]
    for r in exact[exact["reports_needed"] > 1].itertuples():
        parts.append(f"{r.verdicts} need{'s' if r.verdicts == 1 else ''} {r.reports_needed} reports")
    for r in data[~data["exact"]].itertuples():
        parts.append(f"{r.verdicts} need{'s' if r.verdicts == 1 else ''} at least {r.reports_needed}")
    total = int(data["verdicts"].sum())
    alt = (f"Bar chart of {total} open statements and conclusions by the number of inspection reports that would "
           f"settle them: " + "; ".join(parts) + ".")
    if len(alt) > ALT_LIMIT:
        hi = int(exact["reports_needed"].max()) if len(exact) else 0
        alt = (f"Bar chart of {total} open statements and conclusions by the number of inspection reports that "
               f"would settle them: {single} by a single report, the others by 2 to {hi} reports.")
    description = ("Open statements and readings of conclusions by the number of reports needed: " + "; ".join(parts)
                   + ". A set of reports settles a verdict when the record plus those reports leave one answer, "
                     "whatever the reports say.")
    return _record(ax, data, alt, basis, description)


def case_records_plot(records: pd.DataFrame, ax=None, basis: str = "case-record proportions stated in the review"):
    """Case-record proportions as stated in the review, with the range each wording allows.

    ``records`` is the record's ``case_records`` table (value, low, high from the stated wording,
    e.g. 'around seven out of every 10' read as 0.65-0.75). Each row is labelled with its
    description and the review's words in full (wrapped, never cut). Drawn data: measure,
    description, stated, value, low, high.

    Parameters
    ----------
    records : pandas.DataFrame
        The case-record table: one row per proportion, with columns measure (a short id), description,
        stated (the review's words), value (the proportion read), low and high (the range the wording
        allows), proportions from 0 to 1.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; by default a new figure of a fitting size is made.
    basis : str
        The data basis, written under the figure with a key to the marks.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. :func:`drawn` gives the rows drawn (the columns listed above) and the alt
        text.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> records = pd.DataFrame({"measure": ["initial", "plans"],
    ...                         "description": ["Initial response good or better", "Plans of good quality"],
    ...                         "stated": ["around seven out of every 10", "just over half"],
    ...                         "value": [0.7, 0.55], "low": [0.65, 0.5], "high": [0.75, 0.6]})
    >>> ax = case_records_plot(records)
    >>> type(ax).__name__, ax.get_title()
    ('Axes', 'Case records: proportions stated in the review')
    >>> drawn(ax).alt
    'Chart of 2 case-record proportions as the review words them, from 50% to 75%, each with the range its \
wording allows.'
    >>> plt.close("all")
    """
    import textwrap

    import matplotlib.pyplot as plt

    data = records[["measure", "description", "stated", "value", "low", "high"]].reset_index(drop=True)
    labels = [_plain(textwrap.fill(str(r.description), 44) + f"\n“{r.stated}”") for r in data.itertuples()]
    lines = sum(label.count("\n") + 1 for label in labels)
    ax = _new_axes(ax, (7.5, 1.3 + 0.17 * lines + 0.12 * len(data)))
    with plt.rc_context(RC):
        ys = range(len(data))
        ax.hlines(ys, data["low"], data["high"], color=grade_colours()["Good"], linewidth=6)
        ax.plot(data["value"], ys, "o", color=grade_colours()["Excellent"], markersize=4.5)
        ax.set_yticks(list(ys), labels)
        ax.tick_params(axis="y", labelsize=7.5)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_xlabel("Proportion of case records")
        ax.set_title("Case records: proportions stated in the review")
        _note(ax, basis + "; dots: the value read; bars: the range each wording allows")
    alt = (
        f"Chart of {len(data)} case-record proportions as the review words them, from {data['low'].min():.0%} to "
        f"{data['high'].max():.0%}, each with the range its wording allows."
    )
    description = (
        "Case-record proportions as stated in the review: "
        + "; ".join(f"{r.description}: {r.stated} ({r.low:.0%} to {r.high:.0%})" for r in data.itertuples())
        + "."
    )
    return _record(ax, data, alt, "", description)


# -- saving ----------------------------------------------------------------------------------------------------
def save(ax, name: str, out_dir: Path | str, close: bool = True) -> list[Path]:
    """Write ``<name>.png``, ``<name>.svg``, ``<name>.csv`` (numbers drawn), ``<name>.txt`` (alt text) and
    ``<name>-description.txt`` (the long description).

    Each file is written beside its final name and renamed into place, so a failure leaves
    no partial file. Output is deterministic: no dates or software versions in the metadata,
    fixed SVG ids (``RC['svg.hashsalt']``). ``name`` must be a plain file stem. Returns the paths.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        An Axes drawn by one of this module's plotting functions; its whole figure is saved.
    name : str
        The file stem: lower-case letters, digits, '-' and '_', beginning with a letter or digit.
    out_dir : str or Path
        The folder to write to; created if missing.
    close : bool
        Close the figure once it is written (the default).

    Returns
    -------
    list of Path
        The files written, in the order listed above.

    Raises
    ------
    UsageError
        If ``name`` is not a plain file stem.
    KeyError
        If no plotting function of this module drew ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> records = pd.DataFrame({"measure": ["plans"], "description": ["Plans of good quality"],
    ...                         "stated": ["around half"], "value": [0.5], "low": [0.45], "high": [0.55]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ax = case_records_plot(records)
    ...     print([p.name for p in save(ax, "case-records", d)])
    ...     print(sorted(p.name for p in pathlib.Path(d).iterdir()))
    ...     print((pathlib.Path(d) / "case-records.csv").read_text(), end="")
    ['case-records.png', 'case-records.svg', 'case-records.csv', 'case-records.txt', 'case-records-description.txt']
    ['case-records-description.txt', 'case-records.csv', 'case-records.png', 'case-records.svg', 'case-records.txt']
    measure,description,stated,value,low,high
    plans,Plans of good quality,around half,0.5,0.45,0.55
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save(ax, "Case records", d)
    Traceback (most recent call last):
    ...
    analysis.errors.UsageError: figure name must be lower-case letters, digits, '-' or '_': 'Case records'
    >>> plt.close("all")
    """
    import re

    import matplotlib.pyplot as plt

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise UsageError(f"figure name must be lower-case letters, digits, '-' or '_': {name!r}")
    record = drawn(ax)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = ax.figure
    paths = []

    def write(suffix, writer, stem=name):
        final = out_dir / f"{stem}.{suffix}"
        with atomic_path(final) as tmp:
            writer(tmp)
        paths.append(final)

    with plt.rc_context(RC):
        write("png", lambda p: fig.savefig(p, format="png", metadata={"Software": None}))
        write("svg", lambda p: fig.savefig(p, format="svg", metadata={"Date": None, "Creator": None}))
    from analysis.publish.precision import write_csv

    write("csv", lambda p: write_csv(record.data, p))
    write("txt", lambda p: p.write_text(record.alt + "\n", encoding="utf-8"))
    # the long description, linked beside the figure on its page (the alt text is one or two sentences)
    write("txt", lambda p: p.write_text(record.description + "\n", encoding="utf-8"), stem=f"{name}-description")
    if close:
        plt.close(fig)
    return paths
