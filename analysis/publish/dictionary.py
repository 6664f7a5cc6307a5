"""The data dictionary of the published tables: ``tables/datapackage.json`` (Frictionless).

Every CSV the build writes under ``tables/`` and ``figures/`` is a resource with its fields: name,
type (integer, number, boolean, string), a description, and for numbers the precision they are
written at (:mod:`analysis.publish.precision`). Descriptions are defined once here, by column name (those that
name the domain's indicators, groups, scale or sizes made from the data package in use), with a few
names that mean different things in different tables described per table. A test fails when a
published column has no description.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from analysis.domain import areas, indicators, scale
from analysis.domain.package import domain_cached
from analysis.publish.precision import significant_digits

__all__ = ["DESCRIPTIONS", "domain_descriptions", "describe", "describe_column", "datapackage", "write_datapackage"]

_RANGE = "over every grade table consistent with the record (equal to max with a complete table)"

DESCRIPTIONS: dict[str, str] = {
    "title": "The quality indicator's title (Appendix 3 of the review).",
    "framework_area": "The framework area the indicator belongs to.",
    "partnership": "Community planning partnership (Appendix 4 name).",
    "slug": "The partnership's or group's identifier in file names.",
    "aliases": "Other names the partnership goes by, joined by ', '.",
    "n_partnerships": "Number of partnerships in the scope.",
    "grades": "Grades counted, joined by '|'.",
    "value": "Value as the source states it (see the table's description).",
    "descriptor": "The scale's descriptor of the grade.",
    "min": f"Minimum of the count {_RANGE}.",
    "max": "Maximum of the count over every grade table consistent with the record.",
    "fixed": "True when the record fixes the value (min = max).",
    "share_min": "Minimum share (count / n_partnerships) over consistent tables.",
    "share_max": "Maximum share (count / n_partnerships) over consistent tables.",
    "ci_low": "Lower end of the interval: Wilson 95% at the minimum count.",
    "ci_high": "Upper end of the interval: Wilson 95% at the maximum count.",
    "interval": "How the interval was made: 'wilson' (exact share) or 'record range + wilson'.",
    "median_low": "Lowest lower-median grade over consistent tables.",
    "median_high": "Highest lower-median grade over consistent tables.",
    "possible": "Grades the cell can take in some consistent table, worst to best, joined by '|'.",
    "n_possible": "Number of grades the cell can still take (1: fixed).",
    "lowest": "Lowest grade the cell can take.",
    "highest": "Highest grade the cell can take.",
    "status": "stated (a source states it), derived (follows from a source's counts), open, or a model status.",
    "source_id": "Source of the row: a source_id of data/record/sources.csv.",
    "quote": "The source's words the row rests on.",
    "note": "Note from the grade table or the record, shown as text.",
    "section": "Section of the source.",
    "reading": "How the words were read as numbers or as a condition.",
    "statement_id": "Identifier of the review statement (data/record/review_statements.csv).",
    "comparator": "How the count compares with value: =, <=, >= or between (written '= etc.: a leading ' "
                  "stops spreadsheets reading it as a formula).",
    "value_max": "Upper bound, for between.",
    "verdict": "confirmed (holds in every consistent table), possible (in some), contradicted (in none); "
               "for trends: forced, possible or impossible.",
    "evidence": "Record rows deciding the verdict (a minimal set), joined by '; '.",
    "evidence_ids": "Identifiers of those rows.",
    "evidence_sources": "Their sources.",
    "decided_by": "Where the deciding rows come from: other sources, same source only, same sentence only.",
    "explanations": "Whether the deciding rows are the only minimal set, or one of several.",
    "set_aside": "True when the row conflicts with the rest of the record and is not used for ranges.",
    "alternative_to": "statement_id of a rival reading of the same words.",
    "adds_to": "statement_id whose stronger reading this row completes.",
    "conflict": "Number of the conflict (a minimal set of rows that cannot all hold).",
    "group_id": "Identifier of the record row (cell, count or statement).",
    "kind": "Kind of record row: cell, count or statement.",
    "label": "The record row in words.",
    "claim_id": "Identifier of one reading of a claim (data/record/review_claims.csv).",
    "claim": "Identifier of the claim (the words) the reading belongs to.",
    "relation": "The condition's form: rises, falls, association_up/down, highest, most_improved, top, "
                "at_least, between.",
    "measure": "mean_grade, good_or_better_share or good_or_better_count.",
    "groups": "Period groups compared, in order, joined by '|'.",
    "strict": "Strict comparison (true) or ties allowed (false).",
    "range": "Minimum and maximum over consistent tables of the quantity deciding the reading.",
    "holds_in": "A consistent table in which the reading holds, summarised per period group: the canonical one "
                "(on the reading's indicator, the lexicographically smallest grades in Appendix 4 order, worst "
                "first), so every machine shows the same.",
    "fails_in": "The same for a consistent table in which the reading fails.",
    "direction": "up (higher grades in later groups, C > 0) or down (C < 0).",
    "p_min": "Smallest exact two-sided p-value of the linear-by-linear test among consistent tables trending "
             "this way (1: none does).",
    "p_max": "Largest such p-value, a table not trending this way counting as 1.",
    "alpha": "Significance level of the verdict.",
    "p_min_exact": "p_min as an exact fraction: assignments as or more extreme / all assignments.",
    "p_max_exact": "p_max as an exact fraction.",
    "p_max_witness": "The same for p_max.",
    "bound": "Which bound the witness attains (p_min, p_max, or a linear bound such as mean_diff_max).",
    "significant_up": "Significant upward trend (p <= 0.05): forced, possible or ruled out by the record.",
    "significant_down": "Significant downward trend: forced, possible or ruled out.",
    "review_says": "The review's own words on the indicator's trend.",
    "direction_readings": "Verdicts of the fair readings of those words as a direction (not significance).",
    "n": "Number of partnerships.",
    "statistic": "T = sum of group score x grade value.",
    "expected": "E[T] under the permutation null.",
    "r": "Pearson correlation of group score and grade value.",
    "p_exact": "Exact two-sided p-value of the linear-by-linear test.",
    "p_up": "Exact one-sided p-value for an upward trend.",
    "p_down": "Exact one-sided p-value for a downward trend.",
    "p_asymptotic": "Chi-square (1 df) p-value of M2 = (n - 1) r^2, for comparison only.",
    "lr_p": "Its chi-square p-value.",
    "row_id": "The record row the table disagrees with.",
    "subject": "What is compared.",
    "table": "The grade table's value.",
    "record": "The record's value, as the record words it.",
    "in_force": "False for a reading the record does not assume (rival, stronger, or set aside).",
    "all_good_or_better": "yes (every indicator Good or better in every consistent table), no, or open.",
    "measure_name": "Name of the measure.",
    "question": "The staff survey question.",
    "percent_positive": "Percentage of positive responses, as the review states it.",
    "description": "What is measured.",
    "stated": "The review's words for the proportion.",
    "low": "Lower end of the range the value or wording allows.",
    "high": "Upper end of that range.",
    "qualifier": "Qualifier of the count in the review (e.g. 'more than').",
    "n_indicators": "Number of indicators the counts cover.",
    "within": "Grades every indicator of the area lies within, joined by '|'.",
    "rank_max": "Worst rank.",
    "rank_exact": "True when the rank is fixed.",
    "national_median_low": "Lowest national lower-median grade of the indicator over consistent tables.",
    "national_median_high": "Highest national lower-median grade.",
    "group_median_low": "Lowest lower-median grade of the partnership's period group.",
    "group_median_high": "Highest lower-median grade of the period group.",
    "vs_national_median": "The partnership's grade against the national median: above, same, below or open.",
    "drawn": "What the figure draws in the cell: a grade, or 'open'.",
    "series": "Series drawn.",
    "segment": "Bar segment drawn: a grade, or the part the record leaves open.",
    "left": "Left end of the drawn bar segment (share).",
    "right": "Right end of the drawn bar segment (share).",
    "count": "Number of partnerships in the segment.",
    "share": "Share of the scope's partnerships in the segment.",
    "row": "Row of the source table.",
    "verdict_id": "The verdict: statement:<id>, claim:<id>, trend:<indicator>|<direction> or "
                  "cell:<partnership>|<indicator>.",
    "about": "What the verdict is about, in words.",
    "reports": "The partnerships whose inspection reports settle the verdict together, joined by '|' (one: "
               "that report alone).",
    "n_reports": "How many reports (for a lower bound, at least this many).",
    "method": "one report (it alone settles the verdict), smallest set (proven: no fewer reports do), or a "
              "lower bound where the smallest set was not searched.",
    "verdicts_settled": "Open statements and readings of conclusions the report alone settles, whatever it says.",
    "in_smallest_sets": "Open statements and readings of conclusions whose smallest settling set of reports "
                        "includes this one.",
    "cells_fixed": "Open grades of other partnerships the report alone fixes, whatever it says.",
    "reports_needed": "Inspection reports needed to settle the verdict, whatever they say (for a lower bound, at "
                      "least this many).",
    "exact": "True when reports_needed is exact (one report, or the proven smallest set); False for a lower bound.",
    "verdicts": "Number of open statements and readings of conclusions.",
    "rows_wrong": "The fewest rows of the record (stated grades, grade counts, the review's statements; with a "
                  "complete table, its cells) that would have to be wrong to overturn the verdict (empty: no rows "
                  "can).",
    "row_ids": "Identifiers of the first smallest such set of rows, in the record's order, joined by '; '.",
    "rows": "Those rows in words, joined by '; '.",
    "sources": "Their sources (source_id of data/record/sources.csv), joined by '; '.",
    "quotes": "Their sources' words, joined by '; '.",
    "sources_wrong": "The fewest sources that would have to be wrong (every row they give) to overturn the verdict.",
    "source_ids": "The first smallest such set of sources, joined by '; '.",
    "rests_on": "What the verdict rests on, in words: a single row, a single source, or how many of each.",
    "n_settled": "Open statements and readings of conclusions the reports settle, alone or together.",
    "n_open": "Open statements and readings of conclusions.",
}


def _listed(words, last: str = "or") -> str:
    words = list(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1] if len(words) > 1 else "".join(words)


@domain_cached
def domain_descriptions() -> dict[str, str]:
    """The glossary's entries that name the domain in use (its indicators, period groups, scale and sizes).

    Returns
    -------
    dict
        Description by column name, in the wording of :data:`DESCRIPTIONS`.

    Examples
    --------
    >>> domain_descriptions()["period_group"]
    'Period group of the inspection: pre-2014, 2014-16 or post-2016.'
    >>> domain_descriptions()["coef_post_2016"]
    'Ordinal logistic coefficient of post-2016 against pre-2014.'
    """
    from analysis.domain.load import count_columns
    from analysis.publish.tables import domain_counts

    c = domain_counts()
    groups, first, last = areas.PERIOD_GROUPS, areas.PERIOD_GROUPS[0], areas.PERIOD_GROUPS[-1]
    out = {
        "indicator": f"Quality indicator ({', '.join(indicators.INDICATORS)}).",
        "period_group": f"Period group of the inspection: {_listed(groups)}.",
        "scope": f"Partnerships counted: 'all' (the {c['partnerships']}) or a period group.",
        "grade": f"Grade on the {c['grades_word']}-point scale ({', '.join(scale.grades())}).",
        "good_or_better": f"Whether the grade counts as good or better ({', '.join(scale.good_or_better())}).",
        "p_min_witness": f"Grade counts per period group of a consistent table attaining p_min (its "
                         f"{c['partnerships']} grades in trend_witnesses.csv; the canonical such table: among those "
                         "with its grade counts and statistic, the lexicographically smallest grades in Appendix 4 "
                         "order, worst first).",
        "p_exact_holm": f"p_exact adjusted by Holm's method across the {c['indicators_word']} indicators.",
        "lr_stat": f"Likelihood-ratio statistic against thresholds only ({len(groups) - 1} df).",
        "lr_p_holm": f"lr_p adjusted by Holm's method across the {c['indicators_word']} indicators.",
        "rank_min": f"Best rank of the partnership's grade among the {c['partnerships']} over consistent tables.",
        "mean_diff_min": f"Minimum over consistent tables of {last} minus {first} mean grade.",
        "mean_diff_max": f"Maximum of {last} minus {first} mean grade.",
    }
    for k, g in enumerate(groups[1:]):
        slug = g.replace("-", "_")
        out[f"coef_{slug}"] = (f"Ordinal logistic coefficient (log-odds of a higher grade) of {g} against {first}."
                               if k == 0 else f"Ordinal logistic coefficient of {g} against {first}.")
        out[f"p_{slug}"] = f"Wald p-value of coef_{slug}."
    for k, (column, grade) in enumerate(count_columns().items()):
        out[column] = f"Number of indicators graded {grade}." if k == 0 else f"Number graded {grade}."
    return out

DESCRIPTIONS["centred_statistic_min"] = "Minimum over consistent tables of C = sum (group score - mean) x grade."
DESCRIPTIONS["centred_statistic_max"] = "Maximum of C."

def describe(table: str, column: str) -> str | None:
    """The description of ``column`` in the published ``table`` (a CSV file name), or None: the table's
    spec's own (:mod:`analysis.publish.tables`), else the shared glossary's (:func:`describe_column`)."""
    from analysis.publish.tables import TABLES

    stem = table.removesuffix(".csv")
    if stem in TABLES:
        return TABLES[stem].describe(column)
    return describe_column(column)


def describe_column(column: str) -> str | None:
    """The shared glossary's description of ``column`` (whatever table it is in), or None."""
    domain = domain_descriptions()
    if column in domain:
        return domain[column]
    if column in DESCRIPTIONS:
        return DESCRIPTIONS[column]
    if column in areas.PARTNERSHIPS:
        return f"Grade of {column} in the witness table ({', '.join(scale.abbreviations())})."
    from analysis.domain.load import count_columns

    if column in count_columns():
        return f"Number of indicators graded {count_columns()[column]}."
    for g in areas.PERIOD_GROUPS:
        slug = g.replace("-", "_")
        n = len(scale.GRADES)
        for suffix, text in (("", f"Mean grade (1-{n}) of the {g} group."),
                             ("_min", f"Minimum over consistent tables of the {g} group's mean grade."),
                             ("_max", f"Maximum of the {g} group's mean grade.")):
            if column == f"mean_{slug}{suffix}":
                return text
    return None


def _type(values: list[str]) -> str:
    seen = [v for v in values if v != ""]
    if not seen:
        return "string"
    if all(v in ("True", "False") for v in seen):
        return "boolean"
    if all(v.lstrip("-").isdigit() for v in seen):
        return "integer"
    try:
        [float(v) for v in seen]
        return "number"
    except ValueError:
        return "string"


def datapackage(out_dir: Path) -> dict:
    """The data dictionary of every CSV under ``out_dir``'s tables/ and figures/."""
    resources = []
    for folder in ("tables", "figures"):
        for path in sorted((out_dir / folder).rglob("*.csv")):
            if path.name.startswith("."):
                continue
            with open(path, encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            header, body = rows[0], rows[1:]
            from analysis.publish.present import label

            fields = []
            for k, name in enumerate(header):
                kind = _type([r[k] for r in body if k < len(r)])
                # title: the label a page shows for this column (analysis.publish.present)
                field = {"name": name, "title": label(name), "type": kind,
                         "description": describe(path.name, name) or ""}
                if kind == "number":
                    field["precision"] = f"{significant_digits(name)} significant digits"
                fields.append(field)
            rel = path.relative_to(out_dir).as_posix()
            resources.append({"name": rel[:-4].replace("/", "-").replace("_", "-").lower(), "path": f"../{rel}",
                              "format": "csv", "encoding": "utf-8", "schema": {"fields": fields}})
    return {"profile": "tabular-data-package", "name": "joint-inspections-review-outputs",
            "title": "The review's published tables and figure data",
            "description": "Every table and figure data file the build writes. Floats are written at the "
                           "precision stated per field; text cells that a spreadsheet would run as a formula "
                           "begin with a single quote.",
            "resources": resources}


def write_datapackage(out_dir: Path | str, to: Path | str | None = None) -> Path:
    """Write ``tables/datapackage.json`` (by rename), describing the CSV files of ``out_dir``, into ``to``
    (a staging folder laid out as ``out_dir``; default ``out_dir`` itself)."""
    out_dir = Path(out_dir)
    path = Path(to or out_dir) / "tables" / "datapackage.json"
    from analysis.files import write_atomic

    return write_atomic(path, json.dumps(datapackage(out_dir), indent=1, ensure_ascii=False) + "\n")
