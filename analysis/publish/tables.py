"""One spec per published table: its caption, the reader's view and what its columns mean there.

A :class:`TableSpec` holds everything said about one table (as gptables' ``GPTable`` does): the
page shows it with :meth:`TableSpec.show` (the caption and the view for people), the CSV is written
from the frame itself, and the data dictionary (``tables/datapackage.json``,
:mod:`analysis.publish.dictionary`) reads its column descriptions from :meth:`TableSpec.describe`,
falling back on the glossary of columns shared by every table. Precision is a property of a column,
wherever it is published (:mod:`analysis.publish.precision`).

Captions may name the domain's sizes (``{partnerships}``, ``{indicators_word}``, ``{grades_word}``):
they are filled from the data package in use, so another programme's tables say its own numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.publish import present

__all__ = ["TableSpec", "TABLES", "spec", "domain_counts"]


@dataclass(frozen=True)
class TableSpec:
    """Everything said about one published table.

    Parameters
    ----------
    name : str
        The table's name: its CSV is ``<name>.csv``.
    caption : str
        What the table is (the page states the data basis once, at the top); may hold the domain's
        sizes as ``{partnerships}``, ``{indicators_word}`` ... (:func:`domain_counts`).
    view : callable, optional
        The frame for people (labelled columns, ranges, "not known"); None: every column, labelled.
    columns : dict
        Descriptions of the columns that mean something particular in this table; may hold the
        domain's sizes as the caption may.
    unknown : tuple of str
        Columns whose empty cells mean "not known" (the record does not fix the value), written
        ``[x]`` in the spreadsheets; an empty cell of any other column is "not applicable", ``[z]``.

    Examples
    --------
    >>> TABLES["grade_scale"].title()
    'The six-point grade scale, best first'
    >>> TABLES["headline_counts"].describe("measure")
    'What is counted.'
    """

    name: str
    caption: str
    view: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    columns: dict = field(default_factory=dict)
    unknown: tuple = ()

    def title(self) -> str:
        """The caption, with the domain's sizes filled in.

        Returns
        -------
        str
            The caption as a page shows it.

        Examples
        --------
        >>> TABLES["schedule"].title()
        'The 32 partnerships by period group, in the order of Appendix 4'
        """
        return self.caption.format(**domain_counts())

    def show(self, frame: pd.DataFrame, csv: str = "", inline: bool = True, note: str = "",
             detail=None) -> present.Shown:
        """What a notebook cell shows for this table: the caption and the view for people.

        Parameters
        ----------
        frame : DataFrame
            The table as written to its CSV.
        csv : str
            Where the CSV is, relative to the page (linked under the table).
        inline : bool
            False: the caption and the link only (for long tables).
        note : str
            Text shown under the table.
        detail : optional
            What the view may read beside the frame (never written to the CSV): each view says what
            it takes (:func:`analysis.publish.present.show`).

        Returns
        -------
        analysis.publish.present.Shown
            Displayed by Jupyter as an HTML table (and as text for nbval).

        Examples
        --------
        >>> shown = TABLES["grade_scale"].show(scale.grade_table(), "grade_scale.csv")
        >>> shown.caption, len(shown.frame)
        ('The six-point grade scale, best first', 6)
        """
        return present.show(self.name, frame, self.title(), csv=csv, inline=inline, note=note, view=self.view,
                            detail=detail)

    def describe(self, column: str) -> str | None:
        """What ``column`` means in this table: its own description, else the shared glossary's.

        Parameters
        ----------
        column : str
            A column of the table's CSV.

        Returns
        -------
        str or None
            The description; None if neither knows the column.

        Examples
        --------
        >>> TABLES["grade_scale"].describe("value")
        "The grade's value (6 Excellent ... 1 Unsatisfactory)."
        """
        if column in self.columns:
            return self.columns[column].format(**domain_counts())
        from analysis.publish.dictionary import describe_column

        return describe_column(column)


def domain_counts() -> dict:
    """The sizes of the domain in use, for captions and page texts.

    Returns
    -------
    dict
        ``partnerships``, ``indicators``, ``grades``, ``groups`` (counts), each also as ``<name>_word``
        (in words up to ten), ``smallest_group`` and ``largest_group`` (partnerships per period group),
        and ``best`` and ``worst`` (the grades at the ends of the scale).

    Examples
    --------
    >>> c = domain_counts()
    >>> c["partnerships"], c["indicators_word"], c["groups_word"], c["smallest_group"], c["largest_group"]
    (32, 'nine', 'three', 9, 12)
    """
    counts = {"partnerships": len(areas.PARTNERSHIPS), "indicators": len(indicators.INDICATORS),
              "grades": len(scale.GRADES), "groups": len(areas.PERIOD_GROUPS)}
    sizes = list(pd.Series(areas.period_group_of()).value_counts())
    return counts | {f"{k}_word": present.number_word(v) for k, v in counts.items()} | {
        "smallest_group": min(sizes), "largest_group": max(sizes), "best": scale.grades()[-1],
        "worst": scale.grades()[0]}


#: Every table the notebooks publish (and the figure-data tables whose columns need a word of their own).
TABLES: dict[str, TableSpec] = {t.name: t for t in (
    TableSpec("grade_scale", "The {grades_word}-point grade scale, best first",
              columns={"value": "The grade's value ({grades} {best} ... 1 {worst})."}),
    TableSpec("indicators", "The {indicators_word} quality indicators"),
    TableSpec("schedule", "The {partnerships} partnerships by period group, in the order of Appendix 4",
              present._view_schedule),
    TableSpec("grade_distribution", "Partnerships per grade, by quality indicator and scope"),
    TableSpec("good_or_better", "Partnerships graded good or better, by quality indicator and scope",
              present._view_good_or_better),
    TableSpec("median_grade", "Median grade (the lower median), by quality indicator and scope", present._view_median),
    TableSpec("possible_grades", "Every partnership's grades: fixed, or the grades each can still take",
              unknown=("grade",)),
    TableSpec("staff_survey", "Staff survey: positive responses by period group, as stated in the review",
              present._view_staff_survey, columns={"measure": "Survey measure."}),
    TableSpec("case_records", "Case records: proportions as the review words them, and the range each wording allows",
              present._view_case_records,
              columns={"measure": "Case-record measure.", "value": "The proportion the wording gives (0-1)."}),
    TableSpec("headline_counts", "The review's headline counts", present._view_headline_counts,
              columns={"value": "The count as the review states it.", "measure": "What is counted."}),
    TableSpec("all_good_or_better", "Partnerships graded good or better on every indicator"),
    TableSpec("trend_summary", "Trends across the period groups: what the record allows, beside the review's words",
              present._view_trend_summary),
    TableSpec("trend_bounds", "Exact p-values of a trend: smallest and largest over every consistent table",
              present._view_trend_bounds),
    TableSpec("trend_linear_bounds", "Mean grades by period group: smallest and largest over every consistent table",
              present._view_linear),
    TableSpec("trend_witnesses", "Witness tables: the {partnerships} grades of a consistent table attaining each bound",
              columns={"direction": "up or down for p-value witnesses; empty for linear bounds."}),
    TableSpec("trend_tests", "Trend tests of the complete grade table"),
    TableSpec("members", "The group's partnerships", present._view_schedule),
    TableSpec("grades", "The {indicators_word} grades, with how each is known", present._view_grades,
              unknown=("grade",)),
    TableSpec("grade_counts", "Grade counts published for this partnership", present._view_grade_counts),
    TableSpec("profile", "Grades against the national and group median grades", present._view_profile,
              columns={"series": "The partnership, or the national or group median."}),
    TableSpec("statements", "The review's statements about evaluations, checked against the record",
              present._view_statements, columns={"value": "The statement's count."}),
    TableSpec("conflicts", "Rows of the record that cannot all be true", present._view_conflicts),
    TableSpec("claims", "The review's conclusions: each fair reading, checked against the record",
              present._view_claims,
              columns={"value": "For top: how many; for at_least and between: the lower bound."}),
    TableSpec("reconciliation", "Where the complete grade table disagrees with the public record",
              present._view_reconciliation),
    TableSpec("reading_list", "Which inspection reports would settle most: open verdicts each report settles, "
              "whatever it says", present._view_reading_list,
              columns={"verdict_ids": "The statements and conclusions it settles, joined by '|'."}),
    TableSpec("what_would_settle", "What would settle each open verdict: the reports that decide it, whatever "
              "they say", columns={"kind": "statement, claim (a reading of a conclusion), trend (a significant "
                                           "trend one way at 5%) or cell.",
                                   "indicator": "The quality indicator the verdict concerns."}),
    TableSpec("settle_witnesses", "Why the other reports do not settle it: for each open verdict, the witness pairs "
              "and the reports each shows do not settle it",
              columns={"kind": "statement, claim (a reading of a conclusion) or trend (a significant trend one way at "
                               "5%).",
                       "witness_id": "The pair of tables (settle_witness_tables.csv).",
                       "holds_in": "The table of the pair in which the verdict holds (for a trend, the one significant "
                                   "that way); it fails in the other.",
                       "reports": "The partnerships, joined by '|', on whose grades the two tables agree: the "
                                  "report of each alone does not settle the verdict."}),
    TableSpec("settle_witness_tables", "Witness pairs: two tables, each consistent with the record (for a "
              "statement, with the record without it), one row per indicator",
              columns={"witness_id": "The pair: its two tables share the witness id.",
                       "table": "a or b: the two tables of the pair.",
                       "indicator": "The quality indicator of this row of the table."}),
    TableSpec("settle_headline", "Two reports to read first, and how many open statements and conclusions they "
              "would settle, alone or together", present._view_settle_headline),
    TableSpec("fragility", "How fragile each decided verdict is: the fewest rows of the record that would have to be "
              "wrong to overturn it", present._view_fragility,
              columns={"kind": "statement, claim (a reading of a conclusion), trend (a significant trend one way "
                               "at 5% impossible or forced) or cell (a grade the record fixes without stating it).",
                       "verdict": "confirmed or contradicted; for a cell, the grade it is fixed at.",
                       "indicator": "The quality indicator the verdict concerns.",
                       "explanations": "Whether the set named is the only smallest set of rows that overturns the "
                                       "verdict, or one of several (counted up to 6)."}),
)}


def spec(name: str) -> TableSpec:
    """The spec of table ``name``; a table without one gets its name as caption and the generic view.

    Parameters
    ----------
    name : str
        The table's name (its CSV's stem).

    Returns
    -------
    TableSpec

    Examples
    --------
    >>> spec("claims").caption
    "The review's conclusions: each fair reading, checked against the record"
    >>> spec("my_table").title()
    'My table'
    """
    return TABLES.get(name) or TableSpec(name, name.replace("_", " ").capitalize())
