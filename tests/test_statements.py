"""Verdicts on hand-made records where a statement is confirmed, possible and contradicted."""

from types import SimpleNamespace

import pandas as pd
from test_record_solver import _count_rec, _fixed_background, _stmt_rec

from analysis.record.model import RecordModel, cell_group, count_group
from analysis.stats.statements import evaluate_statements

from conftest import ALL_32, APPENDIX_4, NINE


def _record(stmts):
    frame = pd.DataFrame(stmts)
    frame["indicator"] = frame["indicator"].astype(str)
    return SimpleNamespace(statements=frame)


def test_confirmed_possible_contradicted():
    # Background: every cell Good except the free cells of Fife, Falkirk and Moray on 5.1 and 6.2.
    # Fife: counts 8 Good + 1 Adequate, so one of its free cells is Adequate, the other Good.
    groups = _fixed_background() + [count_group(_count_rec("Fife", {"Good": 8, "Adequate": 1}))]
    model = RecordModel(groups, "public record")
    stmts = [
        # At least one 2014-16 area is Adequate on 5.1 or ... on 5.1 alone it may or may not be Fife's -> possible.
        _stmt_rec("5.1", ["Adequate"], ["2014-16"], ">=", 1, sid="possible"),
        # Across 5.1 in the whole programme, 29 fixed Good + Fife/Falkirk/Moray free: at least 29 Good or better.
        _stmt_rec("5.1", ["Good", "Very good", "Excellent"], ["pre-2014", "2014-16", "post-2016"], ">=", 29,
                  sid="confirmed"),
        # No Adequate anywhere on 5.1 or 6.2 in 2014-16 cannot hold: Fife has one.
        _stmt_rec("6.2", ["Unsatisfactory"], ["2014-16"], "=", 3, sid="contradicted"),
    ]
    result = evaluate_statements(_record(stmts), model).set_index("statement_id")
    assert result.loc["possible", "verdict"] == "possible"
    assert (result.loc["possible", "min"], result.loc["possible", "max"]) == (0, 2)  # Fife, Falkirk free
    assert result.loc["confirmed", "verdict"] == "confirmed"
    assert (result.loc["confirmed", "min"], result.loc["confirmed", "max"]) == (29, 32)
    # Only Falkirk and Moray can be Unsatisfactory on 6.2 in 2014-16? Moray is post-2016: only Falkirk and
    # Fife, and Fife's 6.2 is Good or Adequate -> at most 1, never 3.
    assert result.loc["contradicted", "verdict"] == "contradicted"
    assert result.loc["contradicted", "max"] == 1
    # Minimal evidence for "not 3": the ten fixed 2014-16 cells on 6.2 leave only Fife and Falkirk free (<= 2).
    fixed = {f"table:{p}|6.2" for p in APPENDIX_4["2014-16"] if p not in ("Fife", "Falkirk")}
    assert set(result.loc["contradicted", "evidence_ids"].split("; ")) == fixed


def test_complete_table_verdicts_are_exact():
    grades = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    groups = [cell_group(p, i, grades[(k + j) % 6], "table") for k, p in enumerate(ALL_32) for j, i in enumerate(NINE)]
    model = RecordModel(groups, "complete grade table")
    # Hand count for 6.2 (j = 6): grade index (k + 6) % 6 = k % 6; Excellent when k % 6 == 5: k = 5, 11, 17, 23, 29.
    stmts = [_stmt_rec("6.2", ["Excellent"], ["pre-2014", "2014-16", "post-2016"], "=", 5, sid="yes"),
             _stmt_rec("6.2", ["Excellent"], ["pre-2014", "2014-16", "post-2016"], "=", 1, sid="no")]
    result = evaluate_statements(_record(stmts), model).set_index("statement_id")
    assert list(result["verdict"]) == ["confirmed", "contradicted"]
    assert (result.loc["no", "min"], result.loc["no", "max"]) == (5, 5)
