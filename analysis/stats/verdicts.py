"""The review's verdicts as conditions on the grade table, for the programs that ask what would change them.

A statement or a reading of a conclusion holds in a table under one of a few alternatives (each a
list of rows as in :class:`analysis.record.model.Group`) and fails under others; a cell's verdict is
its grade. :func:`verdict_questions` gives each verdict of the record with those conditions and the
groups it is judged without (a statement is judged against the rest of the record, so it and its
rival readings are left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.record.model import RecordModel, statement_group

__all__ = ["Question", "verdict_questions"]


@dataclass(frozen=True)
class Question:
    """One verdict, as the programs need it.

    Parameters
    ----------
    id : str
        ``statement:<id>``, ``claim:<id>`` or ``cell:<partnership>|<indicator>``.
    kind : str
        ``statement``, ``claim`` or ``cell``.
    label : str
        What the verdict is about, in words.
    indicator : str
        The indicator it concerns.
    exclude : tuple of str
        Ids of groups in force left out of the context (a statement and its rival readings: a
        statement is judged against the rest of the record).
    holds, fails : tuple
        For a statement or claim: the alternatives under which it holds and fails, each a sequence of
        rows as in :class:`analysis.record.model.Group`.
    cell : tuple or None
        For a cell: (partnership, indicator).
    verdict : str
        The verdict on the record: confirmed, possible or contradicted (for a cell: open, or the grade
        it is fixed at).
    source_id, quote : str
        The source and words of the statement or claim ("" for a cell).
    """

    id: str
    kind: str
    label: str
    indicator: str
    exclude: tuple = ()
    holds: tuple = field(default=(), repr=False)
    fails: tuple = field(default=(), repr=False)
    cell: tuple | None = None
    verdict: str = ""
    source_id: str = ""
    quote: str = ""


def verdict_questions(record, model: RecordModel, verdicts=("possible",)) -> list[Question]:
    """The statements and claim readings whose verdict on ``model`` is one of ``verdicts``.

    Parameters
    ----------
    record : PublicRecord
        The public record (its statements and claims).
    model : RecordModel
        What they are judged against.
    verdicts : sequence of str, optional
        Which verdicts to keep (default: the open ones).

    Returns
    -------
    list of Question
        Statements first (in the record's order), then claim readings.

    Examples
    --------
    With a complete table nothing is open, and every statement is decided:

    >>> from analysis.domain import load
    >>> record, model = load.load_record(), RecordModel.from_grades(load.example_grades())
    >>> verdict_questions(record, model)
    []
    >>> decided = verdict_questions(record, model, ("confirmed", "contradicted"))
    >>> len(decided) == len(record.statements) + len(record.claims)
    True
    """
    from analysis.stats import claims, statements

    out = []
    found = statements.evaluate_statements(record, model, evidence=False).set_index("statement_id")["verdict"]
    links = statements._linked(record.statements)
    for _, rec in record.statements.iterrows():
        sid = rec["statement_id"]
        if found[sid] not in verdicts:
            continue
        group = statement_group(rec)
        idx, lo, hi = group.rows[0]
        fails = [[(idx, 0, lo - 1)]] if lo > 0 else []
        fails += [[(idx, hi + 1, np.inf)]] if np.isfinite(hi) else []
        out.append(Question(f"statement:{sid}", "statement", group.label, str(rec["indicator"]),
                            tuple(sorted({group.id} | {f"statement:{x}" for x in links[sid]})),
                            (tuple(group.rows),), tuple(tuple(f) for f in fails), verdict=found[sid],
                            source_id=str(rec["source_id"]), quote=str(rec["quote"])))
    found = claims.evaluate_claims(record, model, evidence=False).set_index("claim_id")["verdict"]
    for _, claim in record.claims.iterrows():
        if found[claim["claim_id"]] not in verdicts:
            continue
        holds, fails, _, _ = claims.claim_conditions(claim)
        out.append(Question(f"claim:{claim['claim_id']}", "claim", f"{claim['claim']} ({claim['reading']})",
                            str(claim["indicator"]), (), tuple(tuple(a) for a in holds),
                            tuple(tuple(a) for a in fails), verdict=found[claim["claim_id"]],
                            source_id=str(claim["source_id"]), quote=str(claim["quote"])))
    return out
