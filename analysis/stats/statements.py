"""The review's statements checked against the public record or a complete grade table.

For each row of ``record/review_statements.csv``: the range of its count over every table
consistent with the rest of the record, and a verdict:

- **confirmed**: the statement holds in every consistent table;
- **possible**: it holds in some consistent tables and not in others;
- **contradicted**: it holds in none.

"The rest of the record" is every group in force (see :class:`analysis.record.RecordModel`)
except the statement itself and its alternative readings. Evidence for a confirmed or
contradicted verdict is a minimal set of rows (cells, counts, other statements) that forces it,
with their sources.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.domain import areas, indicators
from analysis.errors import UsageError
from analysis.record.cache import cached
from analysis.record.model import Group, RecordModel, _count_vars, statement_group

__all__ = ["evaluate_statements", "conflicts_table", "conflicts_of", "reconcile", "decided_by", "describe_explanation",
           "VERDICTS"]

VERDICTS = ("confirmed", "possible", "contradicted")


def _linked(statements: pd.DataFrame) -> dict[str, set[str]]:
    """Rival readings of each statement (``alternative_to``, both ways): never in force together.
    A row that ``adds_to`` another is the extra condition of a stronger reading of the same
    words: it is evaluated with that row in force, so it is not a rival."""
    links = {sid: set() for sid in statements["statement_id"]}
    for sid, alt in zip(statements["statement_id"], statements["alternative_to"]):
        if alt:
            links[sid].add(alt)
            links[alt].add(sid)
    return links


def decided_by(groups: list[Group], source_id: str, quote: str) -> str:
    """Where the deciding evidence comes from: 'other sources' when some row has another source;
    'same source only' when every row is from the same source; 'same sentence only' when every row
    is from the same source and quotes the same words (no independent evidence).

    Parameters
    ----------
    groups : list of Group
        The record rows that decide the verdict (:class:`analysis.record.model.Group`).
    source_id : str
        The source of the statement or claim checked.
    quote : str
        Its quoted words.

    Returns
    -------
    str
        'other sources', 'same source only' or 'same sentence only'; "" when ``groups`` is empty.

    Examples
    --------
    >>> from analysis.record.model import Group
    >>> mine = Group("count:Moray", "count", "Moray: 5 Adequate, 4 Weak of 9 indicators", "src-a", "five adequate")
    >>> other = Group("cell:Moray|1.1", "cell", "Moray 1.1 is Weak (stated)", "src-b", "weak outcomes")
    >>> decided_by([mine, other], "src-a", "five adequate")
    'other sources'
    >>> decided_by([mine], "src-a", "another sentence")
    'same source only'
    >>> decided_by([mine], "src-a", "five adequate")
    'same sentence only'
    >>> decided_by([], "src-a", "five adequate")
    ''
    """
    if not groups:
        return ""
    if any(g.source_id != source_id for g in groups):
        return "other sources"
    if all(g.quote == quote for g in groups):
        return "same sentence only"
    return "same source only"


def describe_explanation(counts: list[tuple[int, bool]]) -> str:
    """'the only minimal explanation', 'one of 3 minimal explanations', 'one of at least 5 ...', from
    :meth:`RecordModel.count_minimal_conflicts` results (one per alternative that had to be ruled out).

    Parameters
    ----------
    counts : list of tuple of (int, bool)
        One ``(count, exact)`` pair per alternative: how many minimal sets of rows rule it out,
        and whether that count is exact (False: a lower bound).

    Returns
    -------
    str
        The description; with more than one alternative, one 'case k: ...' per alternative,
        joined by '; '. "" when ``counts`` is empty.

    Examples
    --------
    >>> describe_explanation([(1, True)])
    'the only minimal explanation'
    >>> describe_explanation([(3, True)])
    'one of 3 minimal explanations'
    >>> describe_explanation([(1, True), (5, False)])
    'case 1: the only minimal explanation; case 2: one of at least 5 minimal explanations'
    >>> describe_explanation([])
    ''
    """
    if not counts:
        return ""
    parts = []
    for n, exact in counts:
        if n == 1 and exact:
            parts.append("the only minimal explanation")
        else:
            parts.append(f"one of {'at least ' if not exact else ''}{n} minimal explanations")
    return parts[0] if len(set(parts)) == 1 and len(parts) == 1 else "; ".join(
        f"case {k}: {t}" for k, t in enumerate(parts, start=1))


def _describe(groups: list[Group]) -> tuple[str, str, str]:
    return ("; ".join(g.label for g in groups), "; ".join(g.id for g in groups),
            "; ".join(dict.fromkeys(g.source_id for g in groups if g.source_id)))


def _verdict(model, context, group, idx, lo, hi, evidence):
    """Verdict of a statement group against ``context`` given its count range, and the rows deciding it."""
    lo_s, hi_s = group.rows[0][1], group.rows[0][2]
    if not model.feasible(context, extra=group.rows):
        return "contradicted", (model.minimal_conflict(context, extra=group.rows) if evidence else [])
    if not (lo_s <= lo and hi <= hi_s):
        return "possible", []
    decided = []
    if evidence:
        if lo_s > 0:
            decided += model.minimal_conflict(context, extra=[(idx, 0, lo_s - 1)])
        if np.isfinite(hi_s):
            decided += [g for g in model.minimal_conflict(context, extra=[(idx, hi_s + 1, np.inf)])
                        if g not in decided]
    return "confirmed", decided


@cached
def evaluate_statements(record, model: RecordModel | None = None, evidence: bool = True) -> pd.DataFrame:
    """One row per statement.

    Parameters
    ----------
    record : PublicRecord
        The public record (:func:`analysis.domain.load.load_record`); its ``statements`` are checked.
    model : RecordModel, optional
        What the statements are checked against: defaults to the public record's
        (``RecordModel.from_record(record)``); pass ``RecordModel.from_grades(table)`` to check
        against a complete table, where each count is exact and the verdict is confirmed or
        contradicted.
    evidence : bool, default True
        Find, for each confirmed or contradicted verdict, a minimal set of rows deciding it and how
        many such sets there are (the slow part). False leaves evidence, evidence_ids,
        evidence_sources, decided_by and explanations empty (on a complete table the evidence is
        the table's count whatever this is).

    Returns
    -------
    pandas.DataFrame
        One row per statement, in the order of ``record.statements``. Columns: statement_id,
        indicator, scope, grades, comparator, value, value_max, min, max (the count's range over
        tables consistent with the rest of the record), verdict (one of :data:`VERDICTS`), evidence
        (labels of the rows that decide it), evidence_ids, evidence_sources (each joined by '; '),
        decided_by (whether that evidence is independent: 'other sources', 'same source only' or
        'same sentence only'), explanations (whether it is the only minimal set of rows deciding the
        verdict, or one of several), set_aside (the statement conflicts with the record and is not
        used when computing ranges), alternative_to (a rival reading), adds_to (the row whose
        stronger reading this row completes), reading, section, source_id, quote.

    Examples
    --------
    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> grades = load.example_grades()
    >>> record = load.load_record()
    >>> checked = evaluate_statements(record, RecordModel.from_grades(grades))
    >>> len(checked) == len(record.statements), list(checked.columns[:4])
    (True, ['statement_id', 'indicator', 'scope', 'grades'])
    >>> set(checked["verdict"]) <= {"confirmed", "contradicted"}, bool((checked["min"] == checked["max"]).all())
    (True, True)

    The review says 30 of the 32 are Good or better on 2.1. In this table partnership k is Good or
    better on 2.1 (j = 1) when k mod 6 is 2, 3 or 4: 5 + 5 + 5 = 15.

    >>> row = checked.set_index("statement_id").loc["rv-2.1-gob"]
    >>> row["comparator"], int(row["value"]), int(row["min"]), row["verdict"], row["evidence"]
    ('=', 30, 15, 'contradicted', 'the complete table gives 15')
    """
    model = model or RecordModel.from_record(record)
    links = _linked(record.statements)
    set_aside = {g.id for g in model.set_aside}
    out = []
    for _, rec in record.statements.iterrows():
        group = statement_group(rec)
        sid = rec["statement_id"]
        skip = {group.id} | {f"statement:{x}" for x in links[sid]}
        context = [g for g in model.active if g.id not in skip]
        members = [p for pg in rec["period_groups"] for p in areas.members(pg)]
        idx = np.array(_count_vars(str(rec["indicator"]), rec["grades"], members))
        lo_s, hi_s = group.rows[0][1], group.rows[0][2]
        explanation = decided_from = ""
        if model.complete:
            # Every cell known: the count is exact and the table itself is the evidence.
            lo, hi = model.count_range(str(rec["indicator"]), rec["grades"], members)
            verdict = "confirmed" if lo_s <= lo <= hi_s else "contradicted"
            decided_text = (f"the complete table gives {lo}", "", "")
        else:
            lo, hi = model.count_range(str(rec["indicator"]), rec["grades"], members, groups=context)
            verdict, decided = _verdict(model, context, group, idx, lo, hi, evidence)
            decided_text = _describe(decided)
            if evidence and verdict != "possible":
                explanation = describe_explanation(_explanation_counts(model, context, group, idx, verdict))
                decided_from = decided_by(decided, rec["source_id"], rec["quote"])
        scope = "all" if len(rec["period_groups"]) == len(areas.PERIOD_GROUPS) else "|".join(rec["period_groups"])
        out.append(
            {
                "statement_id": sid,
                "indicator": str(rec["indicator"]),
                "scope": scope,
                "grades": "|".join(rec["grades"]),
                "comparator": rec["comparator"],
                "value": int(rec["value"]),
                "value_max": None if pd.isna(rec["value_max"]) else int(rec["value_max"]),
                "min": lo,
                "max": hi,
                "verdict": verdict,
                "evidence": decided_text[0],
                "evidence_ids": decided_text[1],
                "evidence_sources": decided_text[2],
                "decided_by": decided_from,
                "explanations": explanation,
                "set_aside": group.id in set_aside,
                "alternative_to": rec["alternative_to"],
                "adds_to": rec.get("adds_to", ""),
                "reading": rec["reading"],
                "section": rec["section"],
                "source_id": rec["source_id"],
                "quote": rec["quote"],
            }
        )
    frame = pd.DataFrame(out)
    frame["value_max"] = frame["value_max"].astype("Int64")
    return frame


def _explanation_counts(model, context, group, idx, verdict):
    lo_s, hi_s = group.rows[0][1], group.rows[0][2]
    if verdict == "contradicted":
        return [model.count_minimal_conflicts(context, extra=group.rows)]
    cases = []
    if lo_s > 0:
        cases.append(model.count_minimal_conflicts(context, extra=[(idx, 0, lo_s - 1)]))
    if np.isfinite(hi_s):
        cases.append(model.count_minimal_conflicts(context, extra=[(idx, hi_s + 1, np.inf)]))
    return cases


@cached
def conflicts_table(model: RecordModel) -> pd.DataFrame:
    """Every minimal conflict found in the record: one row per member.

    Parameters
    ----------
    model : RecordModel
        The model whose conflicts are listed (:attr:`RecordModel.conflicts`). ``set_aside`` follows
        the model's resolved conflicts: a model of the public record resolves them on first use; on
        a model built directly, call ``resolve_conflicts()`` first.

    Returns
    -------
    pandas.DataFrame
        One row per member of each conflict; no rows when the groups admit a table. Columns:
        conflict (1, 2, ...), group_id, kind, label, source_id, quote, set_aside (this row
        is not used when computing ranges), explanations (how many minimal conflicting sets the
        record's rows hold: this one may be one of several).

    Examples
    --------
    A cell stated as Good and a statement that it is not Good: one conflict of two rows, in which
    the statement is set aside.

    >>> import numpy as np
    >>> from analysis.record.model import Group, RecordModel, var
    >>> good = np.array([var("Orkney", "1.1", "Good")])
    >>> stated = Group("cell:Orkney|1.1", "cell", "Orkney 1.1 is Good", "src-a", rows=((good, 1, 1),))
    >>> denied = Group("statement:s1", "statement", "Orkney 1.1 is not Good", "src-b", rows=((good, 0, 0),))
    >>> model = RecordModel([stated, denied], basis="example")
    >>> _ = model.resolve_conflicts()  # a model of the public record does this on first use
    >>> table = conflicts_table(model)
    >>> table[["conflict", "group_id", "kind", "set_aside"]]
       conflict         group_id       kind  set_aside
    0         1  cell:Orkney|1.1       cell      False
    1         1     statement:s1  statement       True
    >>> table["explanations"].iloc[0]
    'the only minimal conflicting set in the record'
    """
    aside = {g.id for g in model.set_aside}
    n, exact = model.count_minimal_conflicts(model.groups) if model.conflicts else (0, True)
    text = (
        "the only minimal conflicting set in the record"
        if (n, exact) == (1, True)
        else f"one of {'at least ' if not exact else ''}{n} minimal conflicting sets in the record"
    )
    rows = [
        {
            "conflict": k,
            "group_id": g.id,
            "kind": g.kind,
            "label": g.label,
            "source_id": g.source_id,
            "quote": g.quote,
            "set_aside": g.id in aside,
            "explanations": text,
        }
        for k, conflict in enumerate(model.conflicts, start=1)
        for g in conflict
    ]
    return pd.DataFrame(
        rows, columns=["conflict", "group_id", "kind", "label", "source_id", "quote", "set_aside", "explanations"]
    )


def conflicts_of(model: RecordModel, partnership: str) -> pd.DataFrame:
    """The record's conflicts that hold a row about one partnership (one of its grades, or its grade
    counts), every row of each, with which are the partnership's own.

    Parameters
    ----------
    model : RecordModel
        The model whose conflicts are read (:func:`conflicts_table`).
    partnership : str
        The partnership: canonical name, alias or slug.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`conflicts_table` of each conflict that holds one of the partnership's rows,
        with two more columns: ``mine`` (True for the partnership's own rows) and ``indicator`` (the
        indicator of a grade row, "" for counts and statements). No rows when none does.

    Examples
    --------
    A stated grade of Orkney and a statement that it is not that grade:

    >>> import numpy as np
    >>> from analysis.record.model import Group, RecordModel, var
    >>> good = np.array([var("Orkney", "1.1", "Good")])
    >>> stated = Group("cell:Orkney|1.1", "cell", "Orkney 1.1 is Good", "src-a", rows=((good, 1, 1),))
    >>> denied = Group("statement:s1", "statement", "Orkney 1.1 is not Good", "src-b", rows=((good, 0, 0),))
    >>> model = RecordModel([stated, denied], basis="example")
    >>> _ = model.resolve_conflicts()
    >>> mine = conflicts_of(model, "Orkney")
    >>> mine["group_id"].tolist(), mine["mine"].tolist(), mine["indicator"].tolist()
    (['cell:Orkney|1.1', 'statement:s1'], [True, False], ['1.1', ''])
    >>> len(conflicts_of(model, "Fife"))
    0
    """
    p = areas.match_partnership(partnership)
    table = conflicts_table(model)
    ids = table["group_id"].astype(str)
    mine = (ids == f"count:{p}") | ids.str.startswith(f"cell:{p}|")
    keep = table["conflict"].isin(set(table.loc[mine, "conflict"]))
    out = table[keep].assign(mine=mine[keep]).reset_index(drop=True)
    out["indicator"] = [g.split("|", 1)[1] if g.startswith("cell:") else "" for g in out["group_id"].astype(str)]
    return out


RECONCILE_COLUMNS = ["kind", "row_id", "subject", "table", "record", "in_force", "source_id", "quote"]


def reconcile(record, grades: pd.DataFrame | None) -> pd.DataFrame:
    """Where a complete grade table disagrees with the public record: one row per stated or
    derived grade, area's published grade counts, and review statement (every reading) that the
    table does not satisfy. A warning, not a refusal: an official table may differ from a press
    release, and the user should see where.

    Parameters
    ----------
    record : PublicRecord
        The public record (:func:`analysis.domain.load.load_record`).
    grades : pandas.DataFrame or None
        A complete grade table (:func:`analysis.domain.load.load_grades`), or None for the public
        record itself.

    Returns
    -------
    pandas.DataFrame
        One row per record row the table does not satisfy; columns :data:`RECONCILE_COLUMNS`:
        kind (cell, count, statement), row_id, subject (what is compared), table (the
        table's value), record (the record's value, as the record words it), in_force (False for a
        rival or stronger reading of a statement, and for a statement the record itself contradicts:
        rows the record's ranges do not assume), source_id, quote. Without a table (``grades`` None:
        the public record itself) there is nothing to reconcile: no rows.

    Raises
    ------
    analysis.errors.UsageError
        If ``grades`` admits no grade table (e.g. one cell given two grades).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.domain import load
    >>> # a complete table: partnership k has grade (k + j) mod 6 (worst first) on indicator j
    >>> grades = load.example_grades()
    >>> record = load.load_record()
    >>> differences = reconcile(record, grades)
    >>> list(differences.columns) == RECONCILE_COLUMNS, sorted(set(differences["kind"]))
    (True, ['cell', 'count', 'statement'])

    Argyll and Bute (k = 3) has grade (3 + 3) mod 6, Unsatisfactory, on 5.1 (j = 3), where its
    source states Very good:

    >>> row = differences.set_index("row_id").loc["Argyll and Bute|5.1"]
    >>> row["table"], row["record"]
    ('Unsatisfactory', 'Argyll and Bute 5.1 is Very good (stated)')
    >>> len(reconcile(record, None))
    0
    >>> reconcile(record, pd.concat([grades, grades.head(1).assign(grade="Excellent")]))
    Traceback (most recent call last):
    ...
    analysis.errors.UsageError: the grade table is not complete and consistent
    """
    from analysis.domain.load import count_columns

    if grades is None:
        return pd.DataFrame(columns=RECONCILE_COLUMNS)

    table = RecordModel.from_grades(grades)
    x = table.solve()
    if x is None:
        raise UsageError("the grade table is not complete and consistent")
    public = RecordModel.from_record(record, statements=True)
    active = {g.id for g in public.active}
    value = {(str(r.partnership), str(r.indicator)): str(r.grade) for r in grades.itertuples()}
    out = []
    for group in public.groups + public.alternatives:
        in_force = group.id in active
        if all(lo <= x[np.asarray(r[0])].sum() <= hi for r in group.rows for lo, hi in [(r[-2], r[-1])]):
            continue
        if group.kind == "cell":
            p, i = group.id.split(":", 1)[1].split("|")
            subject, shown = f"{p} {i}", value[(p, i)]
        elif group.kind == "count":
            p = group.id.split(":", 1)[1]
            counts = pd.Series([value[(p, i)] for i in indicators.INDICATORS]).value_counts()
            subject = f"{p}: grade counts"
            shown = ", ".join(f"{int(counts[g])} {g}" for g in count_columns().values() if g in counts.index)
        else:
            subject = group.label
            shown = f"count {int(sum(x[np.asarray(r[0])].sum() for r in group.rows))}"
        out.append(
            {
                "kind": group.kind,
                "row_id": group.id.split(":", 1)[1],
                "subject": subject,
                "table": shown,
                "record": group.label,
                "in_force": in_force,
                "source_id": group.source_id,
                "quote": group.quote,
            }
        )
    return pd.DataFrame(out, columns=RECONCILE_COLUMNS)
