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
from dataclasses import dataclass, field

import pandas as pd

from analysis.domain.package import domain_cached

__all__ = ["LABELS", "label", "Shown", "show", "people_frame", "grid_frame", "format_p", "format_share", "long_date",
           "Citations", "indicator_name", "plain_reading", "record_names", "deciding_text"]

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
            "95% interval (inspections as draws from a process)": [
                f"{format_share(a)} to {format_share(b)}" for a, b in zip(f["ci_low"], f["ci_high"])],
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


class Citations:
    """The sources a table's cells cite, numbered in the order first cited: a cell says ``[1]``, and the
    table lists ``[1] Care Inspectorate, ...`` under it (never a source's id).

    Examples
    --------
    >>> cite = Citations()
    >>> cite("review-2012-17"), cite("ci-news-3404-south-ayrshire"), cite("review-2012-17"), cite("")
    ('[1]', '[2]', '[1]', '')
    >>> [name[:17] for name, _ in cite.sources]
    ['Care Inspectorate', 'Care Inspectorate']
    """

    def __init__(self):
        self._number: dict[str, int] = {}
        self.sources: list[tuple[str, str]] = []

    def __call__(self, source_id) -> str:
        from analysis.domain.sources import source_address, source_name

        if _missing(source_id):
            return ""
        sid = str(source_id)
        if sid not in self._number:
            self._number[sid] = len(self._number) + 1
            self.sources.append((source_name(sid), source_address(sid)))
        return f"[{self._number[sid]}]"

    def within(self, text) -> str:
        """``text`` with every source id in it cited instead ("... (ci-news-3404-south-ayrshire)" gives "... [2]").

        Examples
        --------
        >>> Citations().within("counts (ci-news-3404-south-ayrshire) + the three named")
        'counts [1] + the three named'
        """
        import re

        from analysis.domain.sources import source_table

        text = "" if _missing(text) else str(text)
        for sid in sorted(source_table().index, key=len, reverse=True):
            if sid in text:
                text = re.sub(rf"\(?(?<![\w-]){re.escape(sid)}(?![\w-])\)?", self(sid), text)
        return text

    def quote(self, quote, source_id) -> str:
        """A quote in curly quotation marks with its citation."""
        if _missing(quote):
            return self(source_id)
        return f"“{self.within(quote)}” {self(source_id)}".strip()


def indicator_name(code) -> str:
    """An indicator as a reader meets it: its number and title ("6.2 Planning and improving services").

    Examples
    --------
    >>> indicator_name("6.2")
    '6.2 Planning and improving services'
    >>> indicator_name("all")
    'all'
    """
    from analysis.domain import indicators

    code = str(code)
    return f"{code} {indicators.title(code)}" if code in indicators.INDICATORS else code


def _scope_words(groups: list[str]) -> str:
    """Which partnerships: "all 32", "the 12 in the 2014-16 group", "the 21 in the 2014-16 and Post-2016 groups"."""
    from analysis.domain import areas

    groups = [g for g in groups if g]
    if not groups or set(groups) >= set(areas.PERIOD_GROUPS) or groups == ["all"]:
        return f"all {len(areas.PARTNERSHIPS)}"
    n = sum(len(areas.members(g)) for g in groups)
    labels = [areas.period_group_label(g) for g in groups]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"the {n} in the {joined} group" + ("s" if len(labels) > 1 else "")


def _grade_words(grades: str) -> str:
    """Grades joined by '|' in words: "Good, Very good or Excellent"."""
    parts = [g for g in str(grades).split("|") if g]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _review_says(comparator, value, value_max) -> str:
    """The review's number as it states it: "8", "at least 1", "at most 3", "17 to 19"."""
    v = "" if _missing(value) else str(int(value))
    if comparator == ">=":
        return f"at least {v}"
    if comparator == "<=":
        return f"at most {v}"
    if comparator == "between" and not _missing(value_max):
        return f"{v} to {int(value_max)}"
    return v


def plain_reading(text, names: dict | None = None) -> str:
    """A reading as a reader meets it: an id of another row (``rv-5.3-very-good``) replaced by what that
    row says (``names``: id to words), a parenthesised id dropped where the sentence already says it, and
    a published file (``tables/trend_bounds.csv``) named by its table's caption.

    Parameters
    ----------
    text : str
        A ``reading`` of the record (``review_statements.csv``, ``review_claims.csv``).
    names : dict, optional
        Words for each id the readings may name.

    Returns
    -------
    str

    Examples
    --------
    >>> plain_reading("The stronger adds none Excellent (rv-5.3-excellent-none).", {"rv-5.3-excellent-none": "x"})
    'The stronger adds none Excellent.'
    >>> plain_reading("together with rv-5.3-very-good (exactly two)", {"rv-5.3-very-good": "the row on Very good"})
    'together with the row on Very good (exactly two)'
    >>> print(plain_reading("C > 0 (significance: tables/trend_bounds.csv)."))  # doctest: +NORMALIZE_WHITESPACE
    C > 0 (significance: the national review’s table “Exact p-values of a trend: smallest and largest over every
    consistent table”).
    """
    import re

    from analysis.publish.tables import spec

    text = "" if _missing(text) else str(text)
    names = {**record_names(), **(names or {})}
    for sid, words in names.items():
        if sid not in text:
            continue
        text = re.sub(rf"\s*\({re.escape(sid)}\)", "", text)
        text = re.sub(rf"(?<![\w-]){re.escape(sid)}(?![\w-])", words, text)
    return re.sub(r"tables/([a-z0-9_]+)\.csv",
                  lambda m: f"the national review’s table “{spec(m.group(1)).title()}”", text)


def record_names() -> dict:
    """Words for every statement and conclusion id of the record in use (read once per data package), so a
    reading that names another row by its id can name it in words wherever it is shown.

    Examples
    --------
    >>> record_names()["rv-5.3-very-good"]
    'the row counting Very good on 5.3'
    """
    return _record_names()


@domain_cached
def _record_names() -> dict:
    from analysis.domain.schema import read_resource
    from analysis.errors import ReviewError

    names = {}
    try:
        statements = read_resource("review_statements")
        claims = read_resource("review_claims")
    except (ReviewError, OSError, KeyError):  # a data package without them: nothing to name
        return names
    names.update(_statement_names(statements.astype({"indicator": str})))
    names.update(_claim_names(claims))
    return names


def _statement_names(f: pd.DataFrame) -> dict:
    return {sid: f"the row counting {_grade_words(g)} on {i}" for sid, g, i in
            zip(f["statement_id"], f["grades"], f["indicator"])}


def _claim_names(f: pd.DataFrame) -> dict:
    import re

    names = {}
    for cid, reading in zip(f["claim_id"], f["reading"]):
        quoted = re.match(r'^"([^"]+)"', str(reading))
        names[cid] = f"the reading of “{quoted.group(1)}” above" if quoted else "the reading above"
    return names


def _view_statements(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    """One statement per row: its indicator, what is counted, the review's number, what the rest of the
    record allows and the verdict in words, the reading and the review's words."""
    cite = Citations()
    complete = f["evidence"].fillna("").astype(str).str.startswith("the complete table").any()
    names = _statement_names(f)
    verdicts = []
    for r in f.itertuples():
        says = _review_says(r.comparator, r.value, r.value_max)
        allows = _range(r.min, r.max)
        if complete:
            word = ("as the review says" if r.verdict == "confirmed" else f"not the review’s {says}")
            text = f"{r.verdict}: the table gives {allows}, {word}"
        elif r.verdict == "confirmed":
            text = (f"confirmed: the rest of the record fixes it at {allows}, as the review says" if r.min == r.max
                    else f"confirmed: every count the rest of the record allows agrees with the review’s {says}")
        elif r.verdict == "possible":
            text = ("possible: the rest of the record allows " +
                    (f"the review’s {says} and other counts" if r.comparator == "=" else
                     f"counts that agree with the review ({says}) and counts that do not"))
        else:
            text = f"contradicted: the rest of the record never allows the review’s {says}"
        if r.set_aside in (True, "True"):
            text += ("; set aside: one of the rows of the record that cannot all be true (Conflicts in the record), "
                     "used nowhere else")
        verdicts.append(text + ".")
    groups = [str(s).split("|") if str(s) != "all" else ["all"] for s in f["scope"]]
    out = pd.DataFrame(
        {
            "Quality indicator": f["indicator"].map(indicator_name),
            "What is counted": [f"Partnerships graded {_grade_words(g)}, of {_scope_words(s)}"
                                for g, s in zip(f["grades"], groups)],
            "The review says": [_review_says(c, v, m) for c, v, m in zip(f["comparator"], f["value"], f["value_max"])],
            ("The table gives" if complete else "The rest of the record allows"):
                [_range(a, b) for a, b in zip(f["min"], f["max"])],
            "Verdict": verdicts,
            "The review’s words, and how they are read": [
                f"{cite.quote(q, s)} Read as: {plain_reading(rd, names)}"
                for q, s, rd in zip(f["quote"], f["source_id"], f["reading"])],
        }
    )
    return out, cite


#: What a measure of a reading is, in words.
_MEASURE_WORDS = {"mean_grade": "mean grade", "good_or_better_share": "share good or better",
                  "good_or_better_count": "partnerships good or better"}


def _signed(v: float, measure: str) -> str:
    if measure == "good_or_better_share":
        return f"{100 * v:+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")
    return f"{v:+.2f}".replace("+0.00", "0.00").replace("-0.00", "0.00")


def _level(v: float, measure: str) -> str:
    if measure == "good_or_better_count":
        return str(int(round(v)))
    if measure == "good_or_better_share":
        return format_share(v)
    return f"{v:.2f}"


def _between(lo: float, hi: float, fmt) -> str:
    """A range as a phrase: "from -1.79 to +2.60", or the one value."""
    a, b = fmt(lo), fmt(hi)
    return a if a == b else f"from {a} to {b}"


def _span(lo: float, hi: float, fmt) -> str:
    a, b = fmt(lo), fmt(hi)
    return a if a == b else f"{a} to {b}"


def deciding_text(rows: pd.DataFrame, indicator: str) -> str:
    """What decides one reading, in words, from its rows of
    :func:`analysis.stats.claims.deciding_quantities`: each step with its range, the trend statistic C,
    or the quantity for every indicator (this reading's first).

    Examples
    --------
    >>> rows = pd.DataFrame({"quantity": ["difference", "difference"], "indicator": ["1.1", "1.1"],
    ...                      "measure": ["mean_grade"] * 2, "from_group": ["pre-2014", "2014-16"],
    ...                      "to_group": ["2014-16", "post-2016"], "min": [-1.79, -1.31], "max": [2.6, 1.0]})
    >>> deciding_text(rows, "1.1")
    'Mean grade, each step: 2014-16 minus Pre-2014 from -1.79 to +2.60; Post-2016 minus 2014-16 from -1.31 to +1.00.'
    """
    from analysis.domain import areas

    if not len(rows):
        return ""
    first = rows.iloc[0]
    measure = first["measure"]
    words = _MEASURE_WORDS.get(measure, measure)
    label = areas.period_group_label
    unit = " percentage points" if measure == "good_or_better_share" else ""
    kinds = set(rows["quantity"])
    if kinds == {"C"}:
        return (f"Trend statistic C: {_span(first['min'], first['max'], lambda v: f'{v:+.1f}')} (above 0: later "
                "groups graded higher; below 0: lower).")
    many = rows["indicator"].nunique() > 1
    if kinds == {"difference"} and not many:
        steps = [f"{label(r.to_group)} minus {label(r.from_group)} "
                 f"{_between(r.min, r.max, lambda v: _signed(v, measure))}{unit}" for r in rows.itertuples()]
        head = f"{words.capitalize()}, each step: " if len(steps) > 1 else f"{words.capitalize()}, "
        return head + "; ".join(steps) + "."
    if many:
        mine = rows[rows["indicator"] == indicator]
        others = rows[rows["indicator"] != indicator]
        if kinds == {"difference"}:
            fmt = lambda v: _signed(v, measure)  # noqa: E731
            what = (f"{words}, {label(first['to_group'])} minus {label(first['from_group'])}"
                    + (f", in{unit}" if unit else ""))
        else:
            fmt = lambda v: _level(v, measure)  # noqa: E731
            what = f"{words} over all {len(areas.PARTNERSHIPS)}"
        parts = [f"{r.indicator}: {_span(r.min, r.max, fmt)}" for r in others.itertuples()]
        this = _span(mine.iloc[0]["min"], mine.iloc[0]["max"], fmt) if len(mine) else "not computed"
        return f"{what[:1].upper()}{what[1:]}: {indicator}: {this}; the others: " + ", ".join(parts) + "."
    scope = _scope_words(str(first["from_group"]).split("|"))
    return f"{words.capitalize()} over {scope}: {_span(first['min'], first['max'], lambda v: _level(v, measure))}."


def _view_claims(f: pd.DataFrame, quantities: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Citations]:
    """One reading per row: its indicator, the reading, the verdict in words, what decides it (each step,
    with ``quantities`` from :func:`analysis.stats.claims.deciding_quantities`; else the CSV's range) and
    the review's words."""
    cite = Citations()
    names = _claim_names(f)
    meaning = {"confirmed": "every grade table consistent with the record satisfies it",
               "possible": "some grade tables consistent with the record satisfy it and some do not",
               "contradicted": "no grade table consistent with the record satisfies it"}
    if not (isinstance(quantities, pd.DataFrame) and {"claim_id", "quantity"} <= set(quantities.columns)):
        quantities = None
    deciding = []
    for r in f.itertuples():
        rows = quantities[quantities["claim_id"] == r.claim_id] if quantities is not None else None
        if rows is not None and len(rows):
            deciding.append(deciding_text(rows, str(r.indicator)))
        else:
            deciding.append(str(r.range).replace("centred statistic C", "trend statistic C") if r.range else "")
    out = pd.DataFrame(
        {
            "Quality indicator": f["indicator"].map(indicator_name),
            "Reading of the review’s conclusion": [plain_reading(rd, names) for rd in f["reading"]],
            "Verdict": [f"{v}: {meaning.get(v, '')}" for v in f["verdict"]],
            "What decides it (smallest to largest over the consistent tables)": deciding,
            "The review’s words": [cite.quote(q, s) for q, s in zip(f["quote"], f["source_id"])],
        }
    )
    return out, cite


def _view_grades(f: pd.DataFrame, conflicts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Citations]:
    """A partnership's grades, with how each is known and the source's words; with ``conflicts``
    (:func:`analysis.stats.statements.conflicts_of` the partnership), a grade that is a row of a conflict
    says so."""
    cite = Citations()
    grade = [
        g if not _missing(g) else "not fixed: " + str(p).replace("|", " or ") for g, p in zip(f["grade"], f["possible"])
    ]
    in_conflict = set()
    if isinstance(conflicts, pd.DataFrame) and {"mine", "indicator"} <= set(conflicts.columns):
        in_conflict = set(conflicts.loc[conflicts["mine"].astype(bool), "indicator"].astype(str)) - {""}
    status = [("" if _missing(st) else str(st))
              + ("; one of the rows of the record that cannot all be true (see the headline findings)"
                 if str(i) in in_conflict else "")
              for i, st in zip(f["indicator"], f["status"])]
    # a source's words in quotation marks; how a derived grade was derived, its sources cited; a complete grade
    # table's own note as written
    source = [("How it was derived: " + cite.within(q) + " " + cite(s)).strip() if str(st) == "derived"
              else cite.quote(q, s) if not _missing(s) else ("" if _missing(q) else str(q))
              for s, q, st in zip(f["source_id"], f["quote"], f["status"])]
    out = pd.DataFrame(
        {
            "Quality indicator": [f"{i} {t}" for i, t in zip(f["indicator"], f["title"])],
            "Grade": grade,
            "How it is known": status,
            "Source and quote": source,
        }
    )
    return out, cite


def _n_partnerships() -> int:
    from analysis.domain import areas

    return len(areas.PARTNERSHIPS)


def _ties(tied_min, tied_max) -> str:
    if _missing(tied_min) or _missing(tied_max):
        return ""
    lo, hi = int(tied_min), int(tied_max)
    if hi == 0:
        return ", alone"
    return f", shared with {_range(lo, hi)} other" + ("" if hi == 1 else "s")


def _view_profile(f: pd.DataFrame, ties: pd.DataFrame | None = None) -> pd.DataFrame:
    """A partnership's grades against the medians; with ``ties`` (:func:`analysis.stats.summaries.partnership_ties`),
    each fixed rank says how many other partnerships share it."""
    shared = [""] * len(f)
    if isinstance(ties, pd.DataFrame) and {"indicator", "tied_min", "tied_max"} <= set(ties.columns):
        t = ties.set_index(ties["indicator"].astype(str))
        shared = [_ties(t.loc[str(i), "tied_min"], t.loc[str(i), "tied_max"]) if str(i) in t.index else ""
                  for i in f["indicator"]]
    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].astype(str),
            "Grade": [
                g if not _missing(g) else _range(lo, hi) for g, lo, hi in zip(f["grade"], f["lowest"], f["highest"])
            ],
            f"Rank among {_n_partnerships()} (1 + those graded higher)": [
                _range(a, b) + s for a, b, s in zip(f["rank_min"], f["rank_max"], shared)],
            "National median": [_range(a, b) for a, b in zip(f["national_median_low"], f["national_median_high"])],
            "Group median": [_range(a, b) for a, b in zip(f["group_median_low"], f["group_median_high"])],
            "Against the national median": f["vs_national_median"].tolist(),
        }
    )


def _view_grade_counts(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    from analysis.domain.load import count_columns

    cite = Citations()
    grades = list(count_columns())
    counts = [
        ", ".join(f"{int(r[g])} {label(g)}" for g in grades if not _missing(r[g]) and int(r[g]))
        for _, r in f.iterrows()
    ]
    return pd.DataFrame(
        {
            "Grades published": counts,
            "Source and quote": [cite.quote(q, s) for q, s in zip(f["quote"], f["source_id"])],
            "Note": [cite.within(n) for n in f["note"].fillna("")],
        }
    ), cite


def _view_trend_bounds(f: pd.DataFrame, one_sided: pd.DataFrame | None = None) -> pd.DataFrame:
    """The bounds of a trend's two-sided p-value; with ``one_sided``
    (:func:`analysis.stats.trends.witness_one_sided`), the one-sided p-value of the table giving the smallest."""
    out = {
        "Quality indicator": f["indicator"].astype(str),
        "Direction": f["direction"].map({"up": "upward", "down": "downward"}).fillna(f["direction"]),
        "Smallest two-sided p-value": f["p_min"].map(format_p),
    }
    if isinstance(one_sided, pd.DataFrame) and {"indicator", "direction", "p_one_sided"} <= set(one_sided.columns):
        by = {(str(i), d): p
              for i, d, p in zip(one_sided["indicator"], one_sided["direction"], one_sided["p_one_sided"])}
        out["One-sided p-value of that table"] = [format_p(by[(str(i), d)]) if (str(i), d) in by else ""
                                                  for i, d in zip(f["indicator"], f["direction"])]
    out["Largest two-sided p-value"] = f["p_max"].map(format_p)
    out["A significant trend (two-sided, 5%) is"] = f["verdict"].map({"impossible": "ruled out"}).fillna(f["verdict"])
    return pd.DataFrame(out)


def _view_linear(f: pd.DataFrame) -> pd.DataFrame:
    names = {
        "mean_pre_2014": "Pre-2014 mean",
        "mean_2014_16": "2014-16 mean",
        "mean_post_2016": "Post-2016 mean",
        "mean_diff": "Post-2016 minus pre-2014",
        "centred_statistic": "Trend statistic C",
    }
    out = {"Quality indicator": f["indicator"].astype(str)}
    for key, name in names.items():
        out[name] = [_range(a, b, lambda v: f"{v:.2f}") for a, b in zip(f[f"{key}_min"], f[f"{key}_max"])]
    return pd.DataFrame(out)


def _about_words(about: str, kind: str) -> str:
    """What a fragility row is about, without the conclusion's id: ``6.3-strongest ("...")`` gives the reading."""
    import re

    about = str(about)
    if kind == "claim":
        m = re.match(r"^\S+ \((.*)\)$", about)
        if m:
            return plain_reading(m.group(1))
    return plain_reading(about)


def _view_fragility(f: pd.DataFrame) -> pd.DataFrame:
    def count(v):
        return "none can" if pd.isna(v) or v == "" else str(int(v))

    return pd.DataFrame(
        {
            "Quality indicator": f["indicator"].map(indicator_name) if "indicator" in f else "",
            "Verdict": [f"{_about_words(a, k)}: {v}" if k != "cell" else a
                        for a, v, k in zip(f["about"], f["verdict"], f["kind"])],
            "Rows that would have to be wrong": [count(v) for v in f["rows_wrong"]],
            "Sources that would have to be wrong": [count(v) for v in f["sources_wrong"]],
            "The first such set of rows": [f"{r} ({e})" if r else "" for r, e in zip(f["rows"], f["explanations"])],
        }
    )


def _view_conflicts(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    cite = Citations()
    return pd.DataFrame(
        {
            "Conflict": f["conflict"].astype(str),
            "Row of the record": f["label"].tolist(),
            "Set aside": ["yes: not used anywhere else" if s in (True, "True") else "no" for s in f["set_aside"]],
            "Source and quote": [cite.quote(q, s) for q, s in zip(f["quote"], f["source_id"])],
        }
    ), cite


def _view_staff_survey(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    cite = Citations()
    questions, spelled = [], False
    for q in f["question"]:
        q = str(q)
        if "GIRFEC" in q and not spelled:  # the acronym spelled out at its first use on the page
            q, spelled = q.replace("GIRFEC", "Getting it right for every child (GIRFEC)", 1), True
        questions.append(q)
    return pd.DataFrame(
        {
            "Question": questions,
            "Period group": f["period_group"].tolist(),
            "Positive (%)": [_cell("percent_positive", v) for v in f["percent_positive"]],
            "Source": [cite(s) for s in f["source_id"]],
        }
    ), cite


def _words_of_measure(measure) -> str:
    """An identifier such as ``initial_response_good_or_better`` in words, where no description is given."""
    text = str(measure).replace("_", " ")
    return text[:1].upper() + text[1:]


def _view_case_records(f: pd.DataFrame, full: pd.DataFrame | None = None) -> pd.DataFrame:
    """Case-record proportions; ``full`` (the record's table before its columns were selected) gives each
    measure's description in place of its identifier."""
    described = (dict(zip(full["measure"], full["description"]))
                 if isinstance(full, pd.DataFrame) and {"measure", "description"} <= set(full.columns) else {})
    return pd.DataFrame(
        {
            "What was evaluated": [described.get(m) or _words_of_measure(m) for m in f["measure"]],
            "As the review words it": f["stated"].tolist(),
            "Value": [_cell("value", v) for v in f["value"]],
            "Lowest": [_cell("low", v) for v in f["low"]],
            "Highest": [_cell("high", v) for v in f["high"]],
            "Reading": f["reading"].tolist(),
        }
    )


def _view_headline_counts(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    cite = Citations()
    return pd.DataFrame(
        {
            "What is counted": [d if not _missing(d) else _words_of_measure(m)
                                for m, d in zip(f["measure"], f["description"])],
            "Value": [_cell("value", v) for v in f["value"]],
            "Qualifier": f["qualifier"].tolist(),
            "Source": [cite(s) for s in f["source_id"]],
        }
    ), cite


def _view_reading_list(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Partnership's report": f["partnership"].tolist(),
            "Period group": f["period_group"].tolist(),
            "Open verdicts it settles alone": [_cell("n", v) for v in f["verdicts_settled"]],
            "Smallest sets of reports it is in": [_cell("n", v) for v in f["in_smallest_sets"]],
            "Open grades it fixes": [_cell("n", v) for v in f["cells_fixed"]],
        }
    )


def _view_settle_headline(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Reports to read first": [str(r).replace("|", " and ") for r in f["reports"]],
            "Open statements and readings they would settle": [_cell("n", v) for v in f["n_settled"]],
            "Open statements and readings in all": [_cell("n", v) for v in f["n_open"]],
        }
    )


def _view_reconciliation(f: pd.DataFrame) -> tuple[pd.DataFrame, Citations]:
    """Where a complete table disagrees with the record: what is compared, both values, and the source."""
    cite = Citations()
    return pd.DataFrame(
        {
            "What is compared": f["subject"].tolist(),
            "The table gives": f["table"].tolist(),
            "The record says": f["record"].tolist(),
            "Used by the record's ranges": ["yes" if v in (True, "True") else "no: a rival reading, or set aside"
                                           for v in f["in_force"]],
            "Source and quote": [cite.quote(q, s) for q, s in zip(f["quote"], f["source_id"])],
        }
    ), cite


def _view_trend_summary(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Quality indicator": [f"{i} {t}" for i, t in zip(f["indicator"], f["title"])],
            "A significant upward trend is": f["significant_up"].tolist(),
            "A significant downward trend is": f["significant_down"].tolist(),
            "The review says": f["review_says"].fillna("").tolist(),
            "Its readings as a direction": f["direction_readings"].fillna("").tolist(),
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


#: The most rows a folded long table shows in JupyterLab (its CSV has every row).
COLLAPSED_ROWS = 1000

#: Cells left-aligned and top-aligned where the page's stylesheet is not there (JupyterLab right-aligns table
#: cells); a page drops the attribute and styles its tables itself.
_CELL_STYLE = ' style="text-align: left; vertical-align: top"'


def _html_table(frame: pd.DataFrame, caption: str) -> str:
    head = "".join(f'<th scope="col"{_CELL_STYLE}>{html.escape(str(c))}</th>' for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td{_CELL_STYLE}>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f'<table class="people"><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


@dataclass
class Shown:
    """A table as a cell shows it: a caption, the reader's table (or none, for a download only),
    and a link to its CSV file."""

    caption: str
    frame: pd.DataFrame | None
    csv: str = ""
    rows: int = 0
    note: str = ""
    #: the sources the cells cite as [1], [2] ...: (name, address or "")
    sources: list = field(default_factory=list)
    #: a long table shown by hand (JupyterLab): the whole table for people, folded under its caption
    collapsed: pd.DataFrame | None = None

    def _repr_html_(self) -> str:
        parts = ['<div class="review-table">']
        if self.frame is not None:
            parts.append(_html_table(self.frame, self.caption))
        else:
            parts.append(f'<p class="caption"><strong>{html.escape(self.caption)}</strong></p>')
        if self.collapsed is not None:  # a long table run by hand (JupyterLab): all of it, folded, scrolling
            shown = self.collapsed.head(COLLAPSED_ROWS)
            more = (f" (the first {COLLAPSED_ROWS:,}; the CSV has all {len(self.collapsed):,})"
                    if len(self.collapsed) > COLLAPSED_ROWS else "")
            parts.append(f"<details><summary>Show the table: {len(self.collapsed):,} rows{more}</summary>"
                         '<div style="max-height: 32rem; overflow: auto">'
                         + _html_table(shown, self.caption) + "</div></details>")
        if self.note:
            parts.append(f'<p class="table-note">{html.escape(self.note)}</p>')
        if self.sources:
            cited = "; ".join(
                f"[{k}] " + (f'<a href="{html.escape(address)}">{html.escape(name)}</a>' if address
                             else html.escape(name))
                for k, (name, address) in enumerate(self.sources, start=1))
            parts.append(f'<p class="table-note sources">Sources: {cited}.</p>')
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
        if self.sources:
            text += "\nSources: " + "; ".join(f"[{k}] {name}" for k, (name, _) in enumerate(self.sources, start=1))
        if self.csv:
            text += f"\nCSV: {self.csv} ({self.rows} rows)"
        return text


def show(name: str, frame: pd.DataFrame, caption: str, csv: str = "", inline: bool = True, note: str = "",
         view=None, detail=None) -> Shown:
    """What a notebook cell shows for table ``name`` (the frame as written to ``csv``): ``view(frame)``
    (:class:`analysis.publish.tables.TableSpec` names each table's), else every column, labelled.

    ``detail`` is what the view may read beside the frame, never written to the CSV (each view says
    what it takes: the frame before its columns were selected, or results that explain its rows);
    with it the view is called as ``view(frame, detail)``. A view may return the frame and the
    sources its cells cite (:class:`Citations`), listed under the table."""
    if not inline:
        return Shown(caption, None, csv, len(frame), note)
    cited = None
    try:
        if view is None:
            shown = people_frame(frame)
        elif detail is not None and _takes_detail(view):
            shown = view(frame.reset_index(drop=True), detail)
        else:
            shown = view(frame.reset_index(drop=True))
    except KeyError:  # a narrower selection of columns than the view reads: the generic table
        shown = people_frame(frame)
    if isinstance(shown, tuple):
        shown, cited = shown
    return Shown(caption, shown, csv, len(frame), note, list(cited.sources) if cited else [])


def _takes_detail(view) -> bool:
    """Whether a view reads a second argument (the detail beside its frame)."""
    import inspect

    return len(inspect.signature(view).parameters) > 1


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
