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

from . import areas
from .record import Group, RecordModel, _count_vars, statement_group

__all__ = ["evaluate_statements", "conflicts_table", "VERDICTS"]

VERDICTS = ("confirmed", "possible", "contradicted")


def _linked(statements: pd.DataFrame) -> dict[str, set[str]]:
    links = {sid: set() for sid in statements["statement_id"]}
    for sid, alt in zip(statements["statement_id"], statements["alternative_to"]):
        if alt:
            links[sid].add(alt)
            links[alt].add(sid)
    return links


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


def evaluate_statements(record, model: RecordModel | None = None, evidence: bool = True) -> pd.DataFrame:
    """One row per statement.

    Columns: statement_id, indicator, scope, grades, comparator, value, value_max, min, max
    (the count's range over tables consistent with the rest of the record), verdict, evidence
    (labels of the rows that decide it), evidence_ids, evidence_sources (each joined by '; '), set_aside (the statement
    conflicts with the record and is not used when computing ranges), alternative_to, reading,
    section, source_id, quote. ``model`` defaults to the public record's; pass
    ``RecordModel.from_grades(table)`` to check against a complete table.
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
        if model.complete:
            # Every cell known: the count is exact and the table itself is the evidence.
            lo, hi = model.count_range(str(rec["indicator"]), rec["grades"], members)
            verdict = "confirmed" if lo_s <= lo <= hi_s else "contradicted"
            decided_text = (f"the complete table gives {lo}", "", "")
        else:
            lo, hi = model.count_range(str(rec["indicator"]), rec["grades"], members, groups=context)
            verdict, decided = _verdict(model, context, group, idx, lo, hi, evidence)
            decided_text = _describe(decided)
        scope = "all" if len(rec["period_groups"]) == len(areas.PERIOD_GROUPS) else "|".join(rec["period_groups"])
        out.append({
            "statement_id": sid, "indicator": str(rec["indicator"]), "scope": scope,
            "grades": "|".join(rec["grades"]), "comparator": rec["comparator"], "value": int(rec["value"]),
            "value_max": None if pd.isna(rec["value_max"]) else int(rec["value_max"]),
            "min": lo, "max": hi, "verdict": verdict,
            "evidence": decided_text[0], "evidence_ids": decided_text[1], "evidence_sources": decided_text[2],
            "set_aside": group.id in set_aside, "alternative_to": rec["alternative_to"],
            "reading": rec["reading"], "section": rec["section"], "source_id": rec["source_id"],
            "quote": rec["quote"],
        })
    frame = pd.DataFrame(out)
    frame["value_max"] = frame["value_max"].astype("Int64")
    return frame


def conflicts_table(model: RecordModel) -> pd.DataFrame:
    """Every minimal conflict found in the record: one row per member.

    Columns: conflict (1, 2, ...), group_id, kind, label, source_id, quote, set_aside (this row
    is not used when computing ranges).
    """
    aside = {g.id for g in model.set_aside}
    rows = [{"conflict": n, "group_id": g.id, "kind": g.kind, "label": g.label, "source_id": g.source_id,
             "quote": g.quote, "set_aside": g.id in aside}
            for n, conflict in enumerate(model.conflicts, start=1) for g in conflict]
    return pd.DataFrame(rows, columns=["conflict", "group_id", "kind", "label", "source_id", "quote", "set_aside"])
