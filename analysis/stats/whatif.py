"""What if: every verdict, range and trend bound that changes when hypothetical facts join the record.

A researcher with one inspection report in hand writes its grades as a small CSV laid out as the
record's ``cell_grades.csv`` (or a partnership's counts as ``area_grade_counts.csv``) and loads the
record with it (:func:`analysis.domain.load.load_record` ``assume=``; nothing is written into the
data). :func:`what_changes` compares the two: the review's statements and the readings of its
conclusions (verdict and range), every cell's possible grades, the exact trend bounds, and which
rows are set aside as conflicting.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["what_changes", "WHATIF_COLUMNS"]

WHATIF_COLUMNS = ["kind", "id", "about", "before", "after"]


def _range(lo, hi) -> str:
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def what_changes(before: tuple, after: tuple, trends: bool = True) -> pd.DataFrame:
    """Every verdict, range and trend bound that differs between two (record, model) pairs.

    Parameters
    ----------
    before, after : tuple
        ``(record, model)``: the record as it stands and the record with the assumed facts.
    trends : bool, optional
        Compare the exact trend bounds too (the slow part).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WHATIF_COLUMNS`: kind (statement, claim, cell, trend or set aside), id, about
        (in words), before and after (as the pages word them); one row per change, in that order.

    Examples
    --------
    Nothing assumed, nothing changes:

    >>> from analysis.domain import load
    >>> from analysis.record.model import RecordModel
    >>> record = load.load_record()
    >>> model = RecordModel.from_grades(load.example_grades())
    >>> what_changes((record, model), (record, model), trends=False).empty
    True
    """
    from analysis.stats import claims, statements, trend_bounds

    (r0, m0), (r1, m1) = before, after
    out = []
    s0 = statements.evaluate_statements(r0, m0, evidence=False).set_index("statement_id")
    s1 = statements.evaluate_statements(r1, m1, evidence=False).set_index("statement_id")
    for sid in s0.index:
        a, b = s0.loc[sid], s1.loc[sid]
        old, new = f"{a['verdict']} ({_range(a['min'], a['max'])})", f"{b['verdict']} ({_range(b['min'], b['max'])})"
        if old != new:
            out.append({"kind": "statement", "id": sid, "about": a["reading"], "before": old, "after": new})
    c0 = claims.evaluate_claims(r0, m0, evidence=False).set_index("claim_id")
    c1 = claims.evaluate_claims(r1, m1, evidence=False).set_index("claim_id")
    for cid in c0.index:
        a, b = c0.loc[cid], c1.loc[cid]
        old, new = f"{a['verdict']} ({a['range']})", f"{b['verdict']} ({b['range']})"
        if old != new:
            out.append({"kind": "claim", "id": cid, "about": a["reading"], "before": old, "after": new})
    g0, g1 = m0.possible_grades(), m1.possible_grades()
    for (p, i, a), b in zip(g0[["partnership", "indicator", "possible"]].itertuples(index=False), g1["possible"]):
        if a != b:
            out.append({"kind": "cell", "id": f"{p}|{i}", "about": f"{p} {i}: the grades it can take",
                        "before": ", ".join(a), "after": ", ".join(b)})
    if trends:
        def format_p(p):  # three significant figures, as the pages give p-values
            return f"{float(p):.3g}"

        t0 = trend_bounds.trend_bounds(m0)["bounds"].set_index(["indicator", "direction"])
        t1 = trend_bounds.trend_bounds(m1)["bounds"].set_index(["indicator", "direction"])
        for key in t0.index:
            a, b = t0.loc[key], t1.loc[key]
            old = f"{a['verdict']} (p {format_p(a['p_min'])} to {format_p(a['p_max'])})"
            new = f"{b['verdict']} (p {format_p(b['p_min'])} to {format_p(b['p_max'])})"
            if old != new:
                out.append({"kind": "trend", "id": f"{key[0]}|{key[1]}",
                            "about": f"a significant {key[1]}ward trend in {key[0]}", "before": old, "after": new})
    aside0, aside1 = {g.id: g for g in m0.set_aside}, {g.id: g for g in m1.set_aside}
    for gid in list(aside0) + [g for g in aside1 if g not in aside0]:
        if (gid in aside0) != (gid in aside1):
            g = aside0.get(gid) or aside1[gid]
            out.append({"kind": "set aside", "id": gid, "about": g.label,
                        "before": "set aside" if gid in aside0 else "in force",
                        "after": "set aside" if gid in aside1 else "in force"})
    return pd.DataFrame(out, columns=WHATIF_COLUMNS)
