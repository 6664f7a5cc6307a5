"""Tables for people: what a page (and JupyterLab) shows of a table the package writes as CSV.

The CSV files keep stable identifiers (``share_min``, ``p_min_exact``, ``Good|Very good``) for
programs; a reader sees labelled columns, no index, "not known" or a range instead of an empty
cell, words instead of booleans, percentages and p-values at a precision their method supports,
text that wraps, and a caption. Long or wide tables are not inlined: the page links their CSV
download instead. :func:`show` builds the object a notebook cell displays; :data:`LABELS` maps
column identifiers to the labels used here and in the data dictionary.

The numbers shown are the CSV's numbers, rounded for reading only: shares as whole percentages
with one decimal (counts out of at most 32 partnerships), p-values to three significant figures,
means to two decimals. Counts and grades are shown exactly.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["LABELS", "label", "Shown", "show", "people_frame", "grid_frame", "format_p", "format_share", "long_date"]

#: Labels of column identifiers (the data dictionary gives each as its ``title``).
LABELS = {
    "indicator": "Quality indicator", "title": "Indicator", "scope": "Partnerships", "grade": "Grade",
    "partnership": "Partnership", "period_group": "Period group", "n_partnerships": "Partnerships in scope",
    "min": "Lowest count", "max": "Highest count", "fixed": "Fixed by the record",
    "share_min": "Lowest share", "share_max": "Highest share", "ci_low": "95% interval from",
    "ci_high": "95% interval to", "interval": "Interval", "median_low": "Median grade from",
    "median_high": "Median grade to", "possible": "Grades it can take", "n_possible": "Number of possible grades",
    "lowest": "Lowest possible grade", "highest": "Highest possible grade", "status": "Status",
    "source_id": "Source", "quote": "Quote", "value": "Value", "descriptor": "Descriptor",
    "good_or_better": "Good or better", "framework_area": "Framework area", "slug": "File name",
    "aliases": "Also known as", "measure": "Measure", "question": "Question", "percent_positive": "Positive (%)",
    "stated": "As the review words it", "low": "Lowest", "high": "Highest", "reading": "Reading",
    "description": "Description", "qualifier": "Qualifier", "all_good_or_better": "Every indicator good or better",
    "direction": "Direction", "p_min": "Smallest p-value", "p_max": "Largest p-value", "verdict": "Verdict",
    "alpha": "Significance level", "p_min_exact": "Smallest p-value (exact fraction)",
    "p_max_exact": "Largest p-value (exact fraction)", "p_min_witness": "A table with the smallest p-value",
    "p_max_witness": "A table with the largest p-value", "significant_up": "Significant upward trend",
    "significant_down": "Significant downward trend", "review_says": "The review says",
    "direction_readings": "Readings as a direction", "bound": "Bound", "claim_id": "Reading id",
    "claim": "Conclusion", "relation": "Relation", "groups": "Groups", "strict": "Strict",
    "value_max": "Upper value", "range": "Range over consistent tables", "holds_in": "A table where it holds",
    "fails_in": "A table where it fails", "evidence": "Deciding rows", "evidence_sources": "Their sources",
    "decided_by": "Decided by", "explanations": "Explanations", "section": "Section",
    "statement_id": "Statement id", "grades": "Grades", "comparator": "Comparator", "evidence_ids": "Deciding row ids",
    "set_aside": "Set aside", "alternative_to": "Alternative to", "adds_to": "Adds to", "conflict": "Conflict",
    "group_id": "Row id", "kind": "Kind", "rank_min": "Best possible rank", "rank_max": "Worst possible rank",
    "rank_exact": "Rank fixed", "national_median_low": "National median from",
    "national_median_high": "National median to", "group_median_low": "Group median from",
    "group_median_high": "Group median to", "vs_national_median": "Against the national median",
    "n_indicators": "Indicators", "excellent": "Excellent", "very_good": "Very good", "good": "Good",
    "adequate": "Adequate", "weak": "Weak", "unsatisfactory": "Unsatisfactory", "within": "Within",
    "note": "Note", "row": "Row in the data",
}


def label(column: str) -> str:
    """The label of a column identifier (a partnership's name is its own label)."""
    return LABELS.get(column, column.replace("_", " ").capitalize() if column.islower() else column)


def number_word(n: int) -> str:
    """A count as the pages write it: in words up to ten, in digits above.

    Parameters
    ----------
    n : int
        The count.

    Returns
    -------
    str
        ``"nine"`` for 9, ``"32"`` for 32.

    Examples
    --------
    >>> number_word(3), number_word(32)
    ('three', '32')
    """
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else str(n)


def format_p(p) -> str:
    """A p-value to three significant figures; very small ones in powers of ten (2.0 x 10^-8)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "not computed"
    p = float(p)
    if p >= 0.001 or p == 0:
        return f"{p:.3g}" if p < 1 else "1"
    mantissa, exponent = f"{p:.2e}".split("e")
    power = ("⁻" if int(exponent) < 0 else "") + str(abs(int(exponent))).translate(_SUPERSCRIPT)
    return f"{mantissa} × 10{power}"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_share(x) -> str:
    """A share (0-1) as a percentage with one decimal: counts out of at most 32 partnerships."""
    return f"{100 * float(x):.1f}%"


def _range(lo, hi, fmt=str) -> str:
    if _missing(lo) and _missing(hi):
        return "not known"
    return fmt(lo) if lo == hi else f"{fmt(lo)} to {fmt(hi)}"


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v == "")


def _cell(column: str, v) -> str:
    """One value as text for a reader."""
    if _missing(v):
        return "not known" if column in ("grade", "percent_positive", "value") else ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        if v in ("True", "False"):
            return "yes" if v == "True" else "no"
        v = v[1:] if v.startswith("'") and v[1:2] in "=+-@" else v  # the CSV's formula guard is not for readers
        return v.replace("|", " or ") if column in ("possible", "grades") else v.replace("|", ", ")
    if isinstance(v, float):
        if column.startswith("p_") or column.endswith("_p") or "_p_" in column:
            return format_p(v)
        if column.startswith("share") or column.startswith("ci_"):
            return format_share(v)
        if v.is_integer():
            return str(int(v))
        return f"{v:.2f}" if abs(v) < 100 else f"{v:.1f}"
    return str(v)


def people_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text for a reader, columns labelled, no index."""
    out = pd.DataFrame({label(c): [_cell(c, v) for v in frame[c].tolist()] for c in frame.columns})
    return out.reset_index(drop=True)


# -- views: a table as a reader needs it ---------------------------------------------------------------------------
def _scope(scope: str) -> str:
    return "All 32" if scope == "all" else scope


def _view_good_or_better(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].astype(str),
            "Partnerships": f["scope"].map(_scope),
            "Good or better (count)": [
                f"{_range(a, b)} of {n}" for a, b, n in zip(f["min"], f["max"], f["n_partnerships"])
            ],
            "Share": [_range(a, b, format_share) for a, b in zip(f["share_min"], f["share_max"])],
            "95% interval": [f"{format_share(a)} to {format_share(b)}" for a, b in zip(f["ci_low"], f["ci_high"])],
        }
    )


def _view_median(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].astype(str),
            "Partnerships": f["scope"].map(_scope),
            "Median grade": [_range(a, b) for a, b in zip(f["median_low"], f["median_high"])],
        }
    )


def _view_grades(f: pd.DataFrame) -> pd.DataFrame:
    grade = [
        g if not _missing(g) else "not fixed: " + str(p).replace("|", " or ") for g, p in zip(f["grade"], f["possible"])
    ]
    # a source's words in quotation marks; a complete grade table's own note as written
    source = [
        f"{s}: “{q}”" if not _missing(s) else ("" if _missing(q) else str(q))
        for s, q in zip(f["source_id"], f["quote"])
    ]
    return pd.DataFrame(
        {
            "Quality indicator": [f"{i} {t}" for i, t in zip(f["indicator"], f["title"])],
            "Grade": grade,
            "How it is known": f["status"].tolist(),
            "Source and quote": source,
        }
    )


def _view_profile(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].astype(str),
            "Grade": [
                g if not _missing(g) else _range(lo, hi) for g, lo, hi in zip(f["grade"], f["lowest"], f["highest"])
            ],
            "Rank among 32": [_range(a, b) for a, b in zip(f["rank_min"], f["rank_max"])],
            "National median": [_range(a, b) for a, b in zip(f["national_median_low"], f["national_median_high"])],
            "Group median": [_range(a, b) for a, b in zip(f["group_median_low"], f["group_median_high"])],
            "Against the national median": f["vs_national_median"].tolist(),
        }
    )


def _view_grade_counts(f: pd.DataFrame) -> pd.DataFrame:
    from analysis.domain.load import count_columns

    grades = list(count_columns())
    counts = [
        ", ".join(f"{int(r[g])} {label(g)}" for g in grades if not _missing(r[g]) and int(r[g]))
        for _, r in f.iterrows()
    ]
    return pd.DataFrame(
        {
            "Grades published": counts,
            "Source": f["source_id"].tolist(),
            "Quote": f["quote"].tolist(),
            "Note": f["note"].fillna("").tolist(),
        }
    )


def _view_trend_bounds(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].astype(str),
            "Direction": f["direction"].tolist(),
            "Smallest p-value": f["p_min"].map(format_p),
            "Largest p-value": f["p_max"].map(format_p),
            "A significant trend is": f["verdict"].map({"impossible": "ruled out"}).fillna(f["verdict"]),
        }
    )


def _view_linear(f: pd.DataFrame) -> pd.DataFrame:
    names = {
        "mean_pre_2014": "Pre-2014 mean",
        "mean_2014_16": "2014-16 mean",
        "mean_post_2016": "Post-2016 mean",
        "mean_diff": "Post-2016 minus pre-2014",
        "centred_statistic": "Statistic C",
    }
    out = {"Quality indicator": f["indicator"].astype(str)}
    for key, name in names.items():
        out[name] = [_range(a, b, lambda v: f"{v:.2f}") for a, b in zip(f[f"{key}_min"], f[f"{key}_max"])]
    return pd.DataFrame(out)


def _view_statements(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Statement (as read)": f["reading"].tolist(),
            "Verdict": [
                v + (" (set aside)" if s in (True, "True") else "") for v, s in zip(f["verdict"], f["set_aside"])
            ],
            "Count over consistent tables": [_range(a, b) for a, b in zip(f["min"], f["max"])],
            "Quote": [f"“{q}” ({s})" for q, s in zip(f["quote"], f["source_id"])],
        }
    )


def _view_claims(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Reading of the review's conclusion": f["reading"].tolist(),
            "Verdict": f["verdict"].tolist(),
            "Deciding quantity": f["range"].tolist(),
            "Quote": [f"“{q}” ({s})" for q, s in zip(f["quote"], f["source_id"])],
        }
    )


def _view_fragility(f: pd.DataFrame) -> pd.DataFrame:
    def count(v):
        return "none can" if pd.isna(v) or v == "" else str(int(v))

    return pd.DataFrame(
        {
            "Verdict": [f"{a}: {v}" if k != "cell" else a for a, v, k in zip(f["about"], f["verdict"], f["kind"])],
            "Rows that would have to be wrong": [count(v) for v in f["rows_wrong"]],
            "Sources that would have to be wrong": [count(v) for v in f["sources_wrong"]],
            "The first such set of rows": [f"{r} ({e})" if r else "" for r, e in zip(f["rows"], f["explanations"])],
        }
    )


def _view_conflicts(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Conflict": f["conflict"].astype(str),
            "Row of the record": f["label"].tolist(),
            "Set aside": ["yes" if s in (True, "True") else "no" for s in f["set_aside"]],
            "Quote": [f"“{q}” ({s})" for q, s in zip(f["quote"], f["source_id"])],
        }
    )


def _view_schedule(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Period group": f["period_group"].tolist(),
            "Partnership": f["partnership"].tolist(),
            "Also known as": f["aliases"].tolist(),
        }
    )



def grid_frame(possible: pd.DataFrame) -> pd.DataFrame:
    """The partnership x indicator grid for reading: each cell's label as the grid figure draws it
    (:func:`analysis.publish.figures.grade_grid_data`: a fixed grade's abbreviation, an open cell's range
    such as ``G–VG``, ``*`` for derived), partnerships in Appendix 4 order."""
    from analysis.domain import areas, indicators
    from analysis.publish.figures import grade_grid_data

    cells = grade_grid_data(possible).set_index(["partnership", "indicator"])["label"]
    parts = [p for p in areas.PARTNERSHIPS if p in cells.index.get_level_values(0)]
    inds = [i for i in indicators.INDICATORS if i in cells.index.get_level_values(1)]
    return pd.DataFrame([[p] + [cells.get((p, i), "") for i in inds] for p in parts], columns=["Partnership"] + inds)


@dataclass
class Shown:
    """A table as a cell shows it: a caption, the reader's table (or none, for a download only),
    and a link to its CSV file."""

    caption: str
    frame: pd.DataFrame | None
    csv: str = ""
    rows: int = 0
    note: str = ""

    def _repr_html_(self) -> str:
        parts = ['<div class="review-table">']
        if self.frame is not None:
            parts.append('<table class="people">')
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
            parts.append(
                "<thead><tr>"
                + "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in self.frame.columns)
                + "</tr></thead><tbody>"
            )
            for row in self.frame.itertuples(index=False):
                parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
            parts.append("</tbody></table>")
        else:
            parts.append(f'<p class="caption"><strong>{html.escape(self.caption)}</strong></p>')
        if self.note:
            parts.append(f'<p class="table-note">{html.escape(self.note)}</p>')
        if self.csv:
            rows = f"{self.rows} row" + ("" if self.rows == 1 else "s")
            what = f"{rows}, every column" if self.frame is not None else rows
            parts.append(
                f'<p class="download">Download the data: <a href="{html.escape(self.csv)}">'
                f"{html.escape(self.csv.rsplit('/', 1)[-1])}</a> (CSV, {what})</p>"
            )
        return "\n".join(parts) + "</div>"

    def __repr__(self) -> str:
        text = self.caption
        if self.frame is not None:
            text += "\n" + self.frame.to_string(index=False)
        if self.note:
            text += "\n" + self.note
        if self.csv:
            text += f"\nCSV: {self.csv} ({self.rows} rows)"
        return text


def show(name: str, frame: pd.DataFrame, caption: str, csv: str = "", inline: bool = True, note: str = "",
         view=None) -> Shown:
    """What a notebook cell shows for table ``name`` (the frame as written to ``csv``): ``view(frame)``
    (:class:`analysis.publish.tables.TableSpec` names each table's), else every column, labelled."""
    if not inline:
        return Shown(caption, None, csv, len(frame), note)
    try:
        shown = view(frame.reset_index(drop=True)) if view is not None else people_frame(frame)
    except KeyError:  # a narrower selection of columns than the view reads: the generic table
        shown = people_frame(frame)
    return Shown(caption, shown, csv, len(frame), note)


def long_date(iso: str) -> str:
    """A date as a reader writes it, GOV.UK style (no leading zero, the month in words).

    Parameters
    ----------
    iso : str
        A date, YYYY-MM-DD.

    Returns
    -------
    str
        For example ``"7 December 2026"``.

    Examples
    --------
    >>> long_date("2027-01-04")
    '4 January 2027'
    """
    import datetime as dt

    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # not strftime's %B, which follows the locale
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {months[d.month - 1]} {d.year}"
