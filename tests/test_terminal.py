"""What the terminal shows, at 80 columns: ``review statements`` wraps and cuts nothing; ``review run``
lists what it wrote.

Expected text comes from the data files (each statement's and conclusion's reading, the set-aside
statement's quote, read with the csv module) and from the files the run left on disk, not from the
code under test.
"""

import csv
import json

import pytest

from analysis.cli import main

from conftest import ROOT


def _read(name):
    with open(ROOT / "data" / "record" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def at_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def test_statements_fit_80_columns_and_cut_no_reading_or_quote(at_80, capsys):
    assert main(["statements"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, [line for line in lines if len(line) > 80][:3]
    assert "\u2026" not in out  # nothing cut with an ellipsis
    flat = " ".join(out.split())
    statements, claims = _read("review_statements.csv"), _read("review_claims.csv")
    for row in statements + claims:
        assert " ".join(row["reading"].split()) in flat, row.get("statement_id") or row.get("claim_id")
    # the statement the record contradicts (set aside), whole, with its quote in the conflicts
    row = next(r for r in statements if r["statement_id"] == "rv-5.1-not-gob-post-2016")
    assert "contradicted* rv-5.1-not-gob-post-2016" in out
    assert f"\"{' '.join(row['quote'].split())}\"" in flat
    assert len(statements) == 28 and "(of 28)" in out and f"(of {len(claims)} readings)" in out


def test_statements_are_a_table_on_a_wide_terminal_and_cut_no_quote(monkeypatch, tmp_path, capsys):
    from analysis.domain.load import example_grades

    monkeypatch.setenv("COLUMNS", "100")
    grades = tmp_path / "grades.csv"
    example_grades()[["partnership", "indicator", "grade"]].to_csv(grades, index=False)
    assert main(["statements", "--grades", str(grades)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100 and "\u2026" not in out
    # the statements' table: id, condition and value on one line (hand-read from review_statements.csv:
    # ov-1.1-adequate-2014-16 says four of the 12 areas of 2014-16 were Adequate on 1.1)
    row = next(line for line in lines if " ov-1.1-adequate-2014-16 " in line)
    assert "1.1 A [2014-16] = 4" in row
    # where the table disagrees with the record, each source's quote is shown whole
    flat = " ".join(out.split())
    assert "disagrees with the public record" in flat
    quotes = {" ".join(r["quote"].split()) for r in _read("cell_grades.csv")}
    shown = [q for q in quotes if q in flat]
    assert shown, "no quote of a stated grade shown whole"


def test_run_lists_the_tables_and_figures_it_wrote(at_80, tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["run", "--partnership", "Orkney", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    listing = text[text.index("Wrote, in"):text.index("Open in a browser")]
    # every file on disk for this partnership (its folders, found by walking them) is named
    written = sorted(p.relative_to(out).as_posix() for folder in ("tables", "figures")
                     for p in (out / folder / "partnership" / "orkney").iterdir())
    assert written and any(p.endswith(".png") for p in written) and any(p.startswith("tables/") for p in written)
    for path in written + ["html/partnership/orkney.html", "notebooks/partnership/orkney.ipynb", "manifest.json",
                           "index.html"]:
        assert path in listing, path
    # the list fits 80 columns; its first line names the output folder, a path printed whole however long
    head, *rows = listing.splitlines()
    assert head == f"Wrote, in {out}:"
    assert max(map(len, rows)) <= 80
    # run again: nothing rebuilt, and it says so, still listing the outputs
    assert main(["run", "--partnership", "Orkney", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert "Unchanged since the last run; its outputs, in" in again
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(o["path"] in again for o in manifest["jobs"]["partnership/orkney"]["outputs"])
