"""Figures of the review: one palette for the six grades, plotting functions, one save helper.

Every plotting function takes the tidy frame a :mod:`analysis.summaries` function returns,
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

from . import areas, indicators, scale

__all__ = ["GRADE_COLOURS", "UNRESOLVED_COLOUR", "RC", "Drawn", "drawn", "save", "grade_bars", "grade_grid",
           "good_or_better_plot", "profile_plot", "trend_plot", "staff_survey_plot", "case_records_plot", "grade_bars_data",
           "grade_grid_data"]

#: One colour per grade, worst to best: ColorBrewer PuOr (6 classes), a diverging scheme
#: ColorBrewer lists as colour-blind safe. Orange for the grades below Good, purple from Good up.
GRADE_COLOURS: dict[str, str] = dict(zip(scale.GRADES, ("#b35806", "#f1a340", "#fee0b6",
                                                        "#d8daeb", "#998ec3", "#542788")))
#: Colour of what the record leaves open (drawn with a hatch as well, so it never reads as a grade).
UNRESOLVED_COLOUR = "#d9d9d9"
#: Short labels drawn in cells.
SHORT = scale.ABBREVIATIONS_OF

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
    "savefig.dpi": 100,
    "svg.fonttype": "path",
    "svg.hashsalt": "review-2012-17",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.color": "#737373",
}


@dataclass(frozen=True)
class Drawn:
    """What a plotting function drew: the numbers (one row per element) and an alt text."""

    data: pd.DataFrame
    alt: str


_DRAWN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def drawn(ax) -> Drawn:
    """The numbers and alt text recorded for an Axes by the function that drew it."""
    try:
        return _DRAWN[ax]
    except KeyError:
        raise KeyError("this Axes was not drawn by an analysis.figures function") from None


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


def _legend_handles(with_unresolved: bool, label: str = "unresolved by the record"):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=GRADE_COLOURS[g], edgecolor="white", label=g) for g in reversed(scale.GRADES)]
    if with_unresolved:
        handles.append(Patch(facecolor=UNRESOLVED_COLOUR, edgecolor="#737373", hatch="///", label=label))
    return handles


def _scope_label(scope: str) -> str:
    if scope == "all":
        return "All 32"
    return areas.period_group_label(scope) if scope in areas.PERIOD_GROUPS else str(scope)


def _record(ax, data: pd.DataFrame, alt: str, basis: str = ""):
    """Keep what ``ax`` drew for :func:`drawn` and :func:`save`; the alt text ends with the basis."""
    _DRAWN[ax] = Drawn(data, (alt.strip() + (f" Data basis: {basis}." if basis else "")).strip())
    return ax


# -- grade distribution: diverging stacked bars -----------------------------------------------------------
def grade_bars_data(distribution: pd.DataFrame, scopes=None) -> pd.DataFrame:
    """The segments of :func:`grade_bars`, one row per indicator x scope x segment.

    A segment per grade holds the count the data fixes (the minimum over consistent tables; the
    exact count for a complete table); the 'unresolved' segment holds the partnerships whose
    grade on that indicator the fixed counts do not place (n - sum of the minima; 0 for a complete
    table). Bars diverge between Adequate and Good; the unresolved segment straddles the centre.
    Columns: indicator, scope, segment, count, n_partnerships, share, left, right (shares).
    """
    scopes = list(scopes) if scopes is not None else list(dict.fromkeys(distribution["scope"]))
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
    return pd.DataFrame(rows, columns=["indicator", "scope", "segment", "count", "n_partnerships", "share", "left",
                                       "right"])


def grade_bars(distribution: pd.DataFrame, scopes=None, ax=None, basis: str = ""):
    """Grade counts per indicator (and scope) as diverging stacked bars, split between Adequate and Good.

    ``distribution`` is :func:`analysis.summaries.grade_distribution`; ``scopes`` selects and
    orders the scopes drawn (default: those in the frame). Bars are shares of the scope's
    partnerships, with the count written in each segment wide enough to hold it. What the record
    leaves unresolved is a grey hatched segment across the centre.
    """
    data = grade_bars_data(distribution, scopes)
    keys = list(dict.fromkeys(zip(data["indicator"], data["scope"])))
    nscopes = len(dict.fromkeys(data["scope"]))
    ax = _new_axes(ax, (7.5, 1.2 + 0.28 * len(keys) + 0.15 * len(indicators.INDICATORS)))
    import matplotlib.pyplot as plt

    has_open = bool((data["segment"].eq("unresolved") & data["count"].gt(0)).any())
    with plt.rc_context(RC):
        ypos, labels, y = {}, [], 0.0
        last = None
        for ind, scope in keys:
            if last is not None and ind != last:
                y += 0.5
            ypos[(ind, scope)] = y
            labels.append(f"{ind}  {_scope_label(scope)}" if nscopes > 1 else f"{ind} {indicators.title(ind)[:38]}")
            last = ind
            y += 1
        for r in data.itertuples():
            if r.count == 0:
                continue
            yy = ypos[(r.indicator, r.scope)]
            unresolved = r.segment == "unresolved"
            colour = UNRESOLVED_COLOUR if unresolved else GRADE_COLOURS[r.segment]
            ax.barh(yy, r.right - r.left, left=r.left, height=0.8, color=colour, edgecolor="white" if not unresolved
                    else "#737373", hatch="///" if unresolved else None, linewidth=0.5)
            if r.share >= 0.06:
                dark = r.segment in (scale.GRADES[0], scale.GRADES[-1], scale.GRADES[-2])
                ax.text((r.left + r.right) / 2, yy, str(r.count), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        ax.axvline(0, color="#252525", linewidth=0.8)
        ax.set_yticks(list(ypos.values()), labels)
        ax.invert_yaxis()
        ax.set_xlim(-1.0, 1.0)
        ticks = [-1, -0.5, 0, 0.5, 1]
        ax.set_xticks(ticks, [f"{abs(t):.0%}" for t in ticks])
        ax.set_xlabel("Share of partnerships: Adequate or below  |  Good or better")
        ax.set_title("Grades per quality indicator", pad=12 + (36 if has_open else 24))
        ax.legend(handles=_legend_handles(has_open), loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  ncol=4 if has_open else 6, frameon=False)
        _note(ax, basis)
    total_open = int(data.loc[data["segment"] == "unresolved", "count"].sum())
    alt = (f"Diverging stacked bars: for each of the {len(indicators.INDICATORS)} quality indicators"
           f"{' and ' + str(nscopes) + ' scopes' if nscopes > 1 else ''}, the share of partnerships at each grade, "
           f"Adequate and below to the left of the centre line and Good or better to the right. "
           + (f"A grey hatched segment across the centre shows partnerships whose grade the data leaves open "
              f"({total_open} grades over all bars drawn). " if total_open else "All grades are known. "))
    return _record(ax, data, alt, basis)


# -- partnership x indicator grid ---------------------------------------------------------------------------
def grade_grid_data(possible: pd.DataFrame) -> pd.DataFrame:
    """The cells of :func:`grade_grid`: partnership, indicator, drawn (the grade, or 'open'),
    possible ('|'-joined, worst to best), status, label (text in the cell)."""
    rows = []
    for r in possible.itertuples():
        poss = tuple(r.possible) if not isinstance(r.possible, str) else tuple(r.possible.split("|"))
        fixed = len(poss) == 1
        status = getattr(r, "status", "")
        if fixed:
            label = SHORT[poss[0]] + ("*" if status == "derived" else "")
        else:
            label = f"{SHORT[poss[0]]}-{SHORT[poss[-1]]}" if len(poss) < len(scale.GRADES) else "?"
        rows.append((str(r.partnership), str(r.indicator), poss[0] if fixed else "open", "|".join(poss), status, label))
    return pd.DataFrame(rows, columns=["partnership", "indicator", "drawn", "possible", "status", "label"])


def grade_grid(possible: pd.DataFrame, ax=None, basis: str = ""):
    """Partnership x indicator grid (heatmap) of grades, partnerships in the Appendix 4 order.

    ``possible`` is :func:`analysis.summaries.partnership_grades` (or ``possible_grades``).
    Known cells are coloured by grade; open cells are grey and hatched, labelled with the range the
    record leaves (e.g. 'A-VG', '?' for any grade); derived cells carry a '*'.
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
        cmap = ListedColormap([GRADE_COLOURS[g] for g in scale.GRADES] + [UNRESOLVED_COLOUR])
        ax.pcolormesh(z, cmap=cmap, vmin=-0.5, vmax=len(scale.GRADES) + 0.5, edgecolors="white", linewidth=0.6)
        for a, p in enumerate(parts):
            for b, i in enumerate(inds):
                c = cell.loc[(p, i)]
                if c["drawn"] == "open":
                    ax.add_patch(plt.Rectangle((b, a), 1, 1, fill=False, hatch="///", edgecolor="#a6a6a6",
                                               linewidth=0))
                dark = c["drawn"] in (scale.GRADES[0], scale.GRADES[-1], scale.GRADES[-2])
                ax.text(b + 0.5, a + 0.5, c["label"], ha="center", va="center", fontsize=6.5,
                        color="white" if dark else "black")
        ax.set_xticks(np.arange(len(inds)) + 0.5, inds)
        ax.set_yticks(np.arange(len(parts)) + 0.5, [_plain(p) for p in parts])
        ax.xaxis.tick_top()
        ax.set_ylim(len(parts), 0)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_title("Grades by partnership and quality indicator", pad=18)
        has_open = bool(data["drawn"].eq("open").any())
        ax.legend(handles=_legend_handles(has_open, "open: grade not fixed by the record"), loc="upper center",
                  bbox_to_anchor=(0.5, -0.01), ncol=3, frameon=False)
        _note(ax, basis + ("; * derived from other sources" if data["status"].eq("derived").any() else ""))
    n_open = int(data["drawn"].eq("open").sum())
    alt = (f"Grid of {len(parts)} partnerships by {len(inds)} quality indicators, each cell coloured by its grade "
           f"and labelled with its abbreviation (E, VG, G, A, W, U). "
           + (f"{n_open} of {len(data)} cells are open: the data does not fix them; they are grey and hatched, labelled "
              f"with the range of grades still possible. " if n_open else "Every cell is known. "))
    return _record(ax, data, alt, basis)


# -- good or better by period group -------------------------------------------------------------------------
def good_or_better_plot(gob: pd.DataFrame, scopes=None, ax=None, basis: str = ""):
    """Good-or-better share per indicator, one point (or range) per scope, with intervals.

    ``gob`` is :func:`analysis.summaries.good_or_better`. A fixed share is a dot; a share the
    record leaves open is a thick bar from its minimum to its maximum. The thin line is the
    interval in the frame: Wilson 95% for a fixed share, the record's range widened by Wilson
    otherwise. Drawn data: indicator, scope, n_partnerships, min, max, share_min, share_max,
    ci_low, ci_high, interval.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    scopes = list(scopes) if scopes is not None else [s for s in dict.fromkeys(gob["scope"])]
    data = gob[gob["scope"].isin(scopes)].copy()
    data["scope"] = pd.Categorical(data["scope"], scopes, ordered=True)
    data = data.sort_values(["indicator", "scope"]).reset_index(drop=True)
    data["scope"] = data["scope"].astype(str)
    data = data[["indicator", "scope", "n_partnerships", "min", "max", "share_min", "share_max", "ci_low", "ci_high",
                 "interval"]]
    ax = _new_axes(ax, (7.5, 3.6))
    inds = [i for i in indicators.INDICATORS if i in set(data["indicator"].astype(str))]
    markers = ["o", "s", "D", "^", "v"]
    greys = ["#252525", "#b35806", "#998ec3", "#542788", "#737373"]
    width = 0.8 / max(len(scopes), 1)
    with plt.rc_context(RC):
        for k, scope in enumerate(scopes):
            part = data[data["scope"] == scope].set_index("indicator")
            xs = np.array([inds.index(i) for i in part.index.astype(str)]) - 0.4 + width * (k + 0.5)
            ax.vlines(xs, part["ci_low"], part["ci_high"], color=greys[k % 5], linewidth=0.9)
            open_ = part["share_min"] < part["share_max"]
            ax.vlines(xs[open_.to_numpy()], part.loc[open_, "share_min"], part.loc[open_, "share_max"],
                      color=greys[k % 5], linewidth=4.5, alpha=0.55)
            ax.plot(xs[~open_.to_numpy()], part.loc[~open_, "share_min"], linestyle="none", marker=markers[k % 5],
                    color=greys[k % 5], markersize=4.5, label=_scope_label(scope))
            if open_.any() and not (~open_).any():
                ax.plot([], [], color=greys[k % 5], linewidth=4.5, alpha=0.55, label=_scope_label(scope))
        ax.set_xticks(range(len(inds)), inds)
        ax.set_ylim(0, 1.02)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("Share graded Good or better")
        ax.set_xlabel("Quality indicator")
        ax.set_title("Good or better, by period group", pad=22)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=len(scopes))
        _note(ax, basis + "; dots: exact share; thick bars: range left open by the record; thin lines: 95% "
                  "Wilson interval (widened over the range)" if basis else "")
    n_open = int((data["share_min"] < data["share_max"]).sum())
    alt = (f"Good-or-better shares for {len(inds)} quality indicators and {len(scopes)} scopes "
           f"({', '.join(_scope_label(s) for s in scopes)}), with 95% intervals. "
           + (f"{n_open} of {len(data)} shares are not fixed by the data and are drawn as ranges. " if n_open else ""))
    return _record(ax, data, alt, basis)


# -- one partnership's profile ------------------------------------------------------------------------------
def profile_plot(profile: pd.DataFrame, ax=None, basis: str = ""):
    """One partnership's grades against the national and its group's median, per indicator.

    ``profile`` is :func:`analysis.summaries.partnership_profile`. The partnership's grade is a
    dot when fixed and a bar over the grades still possible otherwise; the national and group
    lower medians are marked beside it (a short bar when the record leaves them open). Drawn data:
    indicator, series, low, high (grades, worst 1 ... best 6).
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
    ax = _new_axes(ax, (7.0, 3.4))
    inds = list(dict.fromkeys(data["indicator"]))
    style = {partnership: ("#542788", "o", 0.0, 7), "national median": ("#252525", "_", -0.25, 12),
             "group median": ("#b35806", "_", 0.25, 12)}
    with plt.rc_context(RC):
        for series, (colour, marker, dx, size) in style.items():
            part = data[data["series"] == series]
            xs = [inds.index(i) + dx for i in part["indicator"]]
            fixed = (part["low"] == part["high"]).to_numpy()
            ax.vlines([x for x, f in zip(xs, fixed) if not f], part.loc[~fixed, "low"] - 0.2,
                      part.loc[~fixed, "high"] + 0.2, color=colour, linewidth=4 if series == partnership else 2,
                      alpha=0.5)
            ax.plot([x for x, f in zip(xs, fixed) if f], part.loc[fixed, "low"], linestyle="none", marker=marker,
                    color=colour, markersize=size, markeredgewidth=2, label=series)
        ax.set_xticks(range(len(inds)), inds)
        ax.set_yticks(range(1, len(scale.GRADES) + 1), list(scale.GRADES))
        ax.set_ylim(0.5, len(scale.GRADES) + 0.5)
        ax.axhspan(value[scale.GOOD_OR_BETTER[0]] - 0.5, len(scale.GRADES) + 0.5, color="#f2f0f7", zorder=0)
        ax.set_xlabel("Quality indicator")
        ax.set_title(f"{_plain(partnership)}: grades against the national and group medians", pad=22)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncol=3)
        _note(ax, basis + "; bars: grades the record leaves possible" if basis else "")
    n_open = int(((data["series"] == partnership) & (data["low"] < data["high"])).sum())
    alt = (f"{partnership}'s grade on each of {len(inds)} quality indicators beside the national and period-group "
           f"median grades. " + (f"{n_open} of its grades are not fixed by the data and are drawn as bars over the "
                                 f"grades still possible. " if n_open else ""))
    return _record(ax, data, alt, basis)


# -- trends across the period groups ---------------------------------------------------------------------------
def trend_plot(bounds: pd.DataFrame, ax=None, basis: str = ""):
    """Per indicator and direction, the exact p-values of the linear-by-linear test over every
    consistent table: a bar from p_min to p_max on a log scale (a dot when they are equal), the 5%
    line, and the verdict written beside it (significant trend forced, possible or impossible).

    ``bounds`` is :func:`analysis.trend_bounds.trend_bounds` ``["bounds"]``. Drawn data:
    indicator, direction, p_min, p_max, verdict.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    data = bounds[["indicator", "direction", "p_min", "p_max", "verdict"]].copy()
    data["indicator"] = data["indicator"].astype(str)
    inds = [i for i in indicators.INDICATORS if i in set(data["indicator"])]
    alpha = float(bounds["alpha"].iloc[0]) if "alpha" in bounds else 0.05
    ax = _new_axes(ax, (7.5, 1.4 + 0.42 * len(inds)))
    style = {"up": ("#542788", "o", -0.17, "upward (higher grades in later groups)"),
             "down": ("#b35806", "s", 0.17, "downward")}
    floor = 10 ** np.floor(np.log10(max(min(data["p_min"].min(), alpha) / 3, 1e-12)))
    words = {"forced": "forced", "possible": "possible", "impossible": "ruled out"}
    with plt.rc_context(RC):
        for direction, (colour, marker, dy, label) in style.items():
            part = data[data["direction"] == direction].set_index("indicator").loc[inds]
            ys = np.arange(len(inds)) + dy
            same = (part["p_min"] == part["p_max"]).to_numpy()
            ax.hlines(ys[~same], part["p_min"][~same], part["p_max"][~same], color=colour, linewidth=4.5, alpha=0.85)
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
        _note(ax, basis + f"; significant: p <= {alpha:g}.\nA bar runs from the smallest to the largest p-value any "
                          f"consistent table gives (1: some table shows no trend that way)." if basis else "")
    counts = data.groupby(["direction", "verdict"]).size()
    def n(d, v):
        return int(counts.get((d, v), 0))
    alt = (f"Range of exact p-values for a trend across the period groups, for {len(inds)} quality indicators, "
           f"upward and downward, on a log scale with a line at {alpha:g}. A significant upward trend is forced for "
           f"{n('up', 'forced')}, possible for {n('up', 'possible')} and ruled out for {n('up', 'impossible')} "
           f"indicators; a significant downward trend is forced for {n('down', 'forced')}, possible for "
           f"{n('down', 'possible')} and ruled out for {n('down', 'impossible')}: "
           + "; ".join(f"QI {r.indicator} {r.direction}: {words[r.verdict]}" for r in data.itertuples()) + ".")
    return _record(ax, data.reset_index(drop=True), alt, basis)


# -- staff survey and case records ---------------------------------------------------------------------------
def staff_survey_plot(survey: pd.DataFrame, ax=None, basis: str = "staff survey percentages stated in the review"):
    """Staff-survey positive responses (%) by period group, one group of bars per measure.

    ``survey`` is the record's ``staff_survey`` table; groups the review does not state are absent
    (not zero). Drawn data: measure, question, period_group, percent_positive.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    data = survey[["measure", "question", "period_group", "percent_positive"]].copy()
    data["period_group"] = data["period_group"].astype(str)
    order = [g for g in areas.PERIOD_GROUPS if g in set(data["period_group"])]
    ax = _new_axes(ax, (7.0, 3.2))
    with plt.rc_context(RC):
        sns.barplot(data=data, x="measure", y="percent_positive", hue="period_group", hue_order=order,
                    palette=["#b35806", "#998ec3", "#542788"][: len(order)], ax=ax, errorbar=None, saturation=1)
        for container in ax.containers:
            ax.bar_label(container, fmt="%g%%", fontsize=7, padding=1)
        ax.set_ylim(0, 105)
        ax.set_ylabel("Positive responses (%)")
        ax.set_xlabel("")
        ax.set_title("Staff survey: positive responses by period group", pad=22)
        ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(order))
        _note(ax, basis)
    alt = ("Bars of staff-survey positive responses in percent, for "
           + ", ".join(f"{m} ({', '.join(f'{g}: {v:g}%' for g, v in zip(p['period_group'], p['percent_positive']))})"
                       for m, p in data.groupby("measure", sort=False)) + ".")
    return _record(ax, data.reset_index(drop=True), alt)


def case_records_plot(records: pd.DataFrame, ax=None, basis: str = "case-record proportions stated in the review"):
    """Case-record proportions as stated in the review, with the range each wording allows.

    ``records`` is the record's ``case_records`` table (value, low, high from the stated wording,
    e.g. 'around seven out of every 10' read as 0.65-0.75). Drawn data: measure, description,
    stated, value, low, high.
    """
    import matplotlib.pyplot as plt

    data = records[["measure", "description", "stated", "value", "low", "high"]].reset_index(drop=True)
    ax = _new_axes(ax, (7.0, 0.9 + 0.38 * len(data)))
    with plt.rc_context(RC):
        ys = range(len(data))
        ax.hlines(ys, data["low"], data["high"], color="#998ec3", linewidth=5, alpha=0.7)
        ax.plot(data["value"], ys, "o", color="#542788", markersize=4.5)
        for y, r in zip(ys, data.itertuples()):
            ax.text(min(r.high + 0.02, 0.98), y, f"“{_plain(r.stated)}”", va="center", fontsize=7, color="#525252")
        ax.set_yticks(list(ys), [_plain(d[:60]) for d in data["description"]])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_xlabel("Proportion of case records")
        ax.set_title("Case records: proportions stated in the review")
        _note(ax, basis + "; bars: the range each wording allows")
    alt = ("Case-record proportions as stated in the review: "
           + "; ".join(f"{r.description}: {r.stated} ({r.low:.0%} to {r.high:.0%})" for r in data.itertuples()) + ".")
    return _record(ax, data, alt)


# -- saving ----------------------------------------------------------------------------------------------------
def save(ax, name: str, out_dir: Path | str, close: bool = True) -> list[Path]:
    """Write ``<name>.png``, ``<name>.svg``, ``<name>.csv`` (numbers drawn) and ``<name>.txt`` (alt text).

    Each file is written beside its final name and renamed into place, so a failure leaves
    no partial file. Output is deterministic: no dates or software versions in the metadata,
    fixed SVG ids (``RC['svg.hashsalt']``). ``name`` must be a plain file stem. Returns the paths.
    """
    import os
    import re

    import matplotlib.pyplot as plt

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"figure name must be lower-case letters, digits, '-' or '_': {name!r}")
    record = drawn(ax)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = ax.figure
    paths = []

    def write(suffix, writer):
        final = out_dir / f"{name}.{suffix}"
        tmp = out_dir / f".{name}.{suffix}.tmp"
        try:
            writer(tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        paths.append(final)

    with plt.rc_context(RC):
        write("png", lambda p: fig.savefig(p, format="png", metadata={"Software": None}))
        write("svg", lambda p: fig.savefig(p, format="svg", metadata={"Date": None, "Creator": None}))
    from .precision import write_csv

    write("csv", lambda p: write_csv(record.data, p))
    write("txt", lambda p: p.write_text(record.alt + "\n", encoding="utf-8"))
    if close:
        plt.close(fig)
    return paths
