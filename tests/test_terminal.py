"""What the terminal shows, at 80 columns: ``review statements`` wraps and cuts nothing; ``review run``
lists what it wrote; the build says what it does as it goes, each notebook when it ends, never silent for
more than a few seconds, every line within 80 columns.

Expected text comes from the data files (each statement's and conclusion's reading, the set-aside
statement's quote, read with the csv module) and from the files the run left on disk, not from the
code under test.
"""

import csv
import json

import pandas as pd
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
    # and every line it printed, but those naming a file in the output folder, whose path is printed whole
    assert all(len(row) <= 80 or str(out) in row for row in text.splitlines()), text
    # run again: nothing rebuilt, and it says so, still listing the outputs
    assert main(["run", "--partnership", "Orkney", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert "Unchanged since the last run; its outputs, in" in again
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(o["path"] in again for o in manifest["jobs"]["partnership/orkney"]["outputs"])


def test_the_results_stage_names_what_it_computes_and_is_never_silent(tmp_path, monkeypatch):
    """A result slower than the heartbeat's interval (a fake, 1.2 s) is named when it starts, timed when done and
    said to be still computing meanwhile; once the stage ends nothing more is printed, even while a thread
    would have had time to."""
    import time

    from analysis.pipeline import build as b
    from analysis.pipeline.outdir import locked
    from analysis.record.cache import cached
    from analysis.stats import summaries

    @cached
    def partnership_profile(model, partnership, medians=None):
        time.sleep(1.2)
        return pd.DataFrame({"indicator": ["1.1"], "rank": [1]})

    monkeypatch.setattr(summaries, "partnership_profile", partnership_profile)
    lines, out, job = [], tmp_path / "out", b.job_for("partnership", "Orkney")
    out.mkdir()
    with locked(out):
        ctx, state = b.prepare([job], out, progress=lines.append, n_jobs=1, preload=False, timeout=60)
        with b.watching(ctx.progress, interval=0.3, announce=0.2) as state.reporting:
            b.compute(ctx, state, job)
        said = len(lines)
        time.sleep(1.0)  # the heartbeat's thread is gone: nothing after the stage
    assert len(lines) == said
    text = "\n".join(lines)
    assert "results: computing a partnership's profile ..." in lines
    assert any(line.startswith("results: still computing a partnership's profile, ") for line in lines), text
    done = [line for line in lines if line.startswith("results: a partnership's profile, ")]
    assert len(done) == 1 and 1.2 <= float(done[0].split(", ")[1].removesuffix(" s")) < 5, text
    # each line in plain words (no function's name) and within 80 columns
    assert all("_" not in line and len(line) <= 80 for line in lines), text


def test_what_a_worker_computes_is_said_when_it_starts_ends_and_meanwhile():
    import time
    from concurrent.futures import Future

    from analysis.pipeline.build import BuildProgress

    lines = []
    report = BuildProgress(lines.append, interval=0.2, announce=0.1)
    report.start()
    chain, alone = Future(), Future()
    report.in_worker("trend bounds, then what would settle each verdict", chain)
    report.in_worker("how fragile each decided verdict is", alone)
    time.sleep(0.7)
    chain.set_result([])
    report.close()
    alone.set_result([])  # after the stage: not said
    time.sleep(0.3)
    assert lines[:2] == ["worker: computing trend bounds, then what would settle each verdict ...",
                         "worker: computing how fragile each decided verdict is ..."]
    # both names do not fit in 80 columns: one line each time, naming each in turn, the other counted
    beats = lines[2:-1]
    assert beats[:2] == ["workers: trend bounds, then what would settle each verdict (0 s) and 1 more",
                         "workers: still computing how fragile each decided verdict is (0 s) and 1 more"], lines
    assert all(len(line) <= 80 and "\n" not in line for line in lines), lines
    assert lines[-1].startswith("worker: trend bounds, then what would settle each verdict, 0.")
    assert lines[-1].endswith(" s") and not any("fragile" in line for line in lines[-1:])


def test_the_heartbeat_names_the_notebooks_running_then_the_stage_and_fits_80_columns():
    """While notebooks run, the heartbeat names them, the longest running first, as many as fit in 80 columns, and
    how many are left; once none runs, what the build is doing; after the build, nothing."""
    import time
    from concurrent.futures import Future

    from analysis.pipeline.build import BuildProgress

    lines = []
    report = BuildProgress(lines.append, interval=0.2, announce=0.1)
    report.left = lambda: (2, 37)
    report.start()
    national, partnership = Future(), Future()
    report.running("review/national", national)
    time.sleep(0.05)
    report.running("partnership/dumfries-and-galloway", partnership)  # both names: 85 columns
    time.sleep(0.5)
    national.set_result({})
    time.sleep(0.3)
    partnership.set_result({})
    report.doing("writing the spreadsheets")
    time.sleep(0.5)
    report.close()
    said = len(lines)
    time.sleep(0.3)
    assert len(lines) == said
    running = [line for line in lines if line.startswith("running: ")]
    assert running[0] == "running: review/national (0 s) and 1 more; 2 of 37 left", lines
    assert any(line.startswith("running: partnership/dumfries-and-galloway (") and line.endswith(" s); 2 of 37 left")
               for line in running), lines
    assert lines[-1] == "still writing the spreadsheets, 0 s so far", lines
    assert all(len(line) <= 80 for line in lines), lines


def test_a_build_says_each_notebook_when_it_ends_is_never_silent_and_fits_80_columns(tmp_path, monkeypatch):
    """A small real build (two partnerships): Orkney's notebook runs while the build computes Angus's results,
    made slow by a fake that waits for Orkney's line, so that line must come as Orkney ends (not when the results
    are done). With a heartbeat of 1 s, no two lines are more than a few seconds apart; the heartbeat names
    Angus's notebook while it runs; every line fits 80 columns; nothing is printed after the build."""
    import time

    from analysis.pipeline import build as b
    from analysis.record.cache import cached
    from analysis.stats import summaries

    monkeypatch.setattr(b, "HEARTBEAT", 1.0)
    real = summaries.partnership_profile.__wrapped__
    said = []  # (when, message)

    def progress(message):
        said.append((time.monotonic(), message))

    def orkney_done():
        return any("done" in m and "partnership/orkney" in m for _, m in said)

    @cached
    def partnership_profile(model, partnership, medians=None):
        if partnership == "Angus":
            limit = time.monotonic() + 240
            while not orkney_done() and time.monotonic() < limit:
                time.sleep(0.1)
        return real(model, partnership, medians)

    monkeypatch.setattr(summaries, "partnership_profile", partnership_profile)
    jobs = [b.job_for("partnership", "Orkney"), b.job_for("partnership", "Angus")]
    started = time.monotonic()
    summary = b.build(jobs, out_dir=tmp_path / "out", n_jobs=2, progress=progress)
    ended = time.monotonic()
    time.sleep(1.5)  # the watcher is gone: nothing after the build
    assert summary.failed == [] and said[-1][0] <= ended
    messages = [m for _, m in said]
    text = "\n".join(messages)
    # Orkney's line came while Angus's results were being computed, before they were done
    orkney = next(i for i, m in enumerate(messages) if "done" in m and "partnership/orkney" in m)
    profile = [i for i, m in enumerate(messages) if m.startswith("results: a partnership's profile, ")]
    assert profile and orkney < profile[-1], text  # the last: Angus's
    assert any(m.startswith("results: still computing a partnership's profile, ") for m in messages), text
    assert any(m.startswith("running: partnership/angus (") and m.endswith("; 1 of 2 left") for m in messages), text
    # never silent for long: the heartbeat's second, and a margin for a loaded machine
    times = [started] + [t for t, _ in said]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert max(gaps) < 3.5, (max(gaps), text)
    assert all(len(row) <= 80 for row in text.splitlines()), [row for row in text.splitlines() if len(row) > 80]


def test_review_check_says_how_far_it_has_compared(tmp_path, monkeypatch):
    """The comparison after the rebuild (about 14 s for the published set's 456 outputs) is not silent: the heartbeat
    says how far it has got (a fake build and a fake slow comparison); nothing after it."""
    import time

    from analysis.pipeline import build as b
    from analysis.pipeline import check as c

    monkeypatch.setattr(b, "HEARTBEAT", 0.3)
    manifest = {"jobs": {}, "outputs": [{"path": f"tables/t{i}.csv", "sha256": "0" * 64} for i in range(4)]}
    published = tmp_path / "published"
    published.mkdir()
    (published / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    def rebuilt(jobs, out_dir, **options):
        out_dir.mkdir(parents=True)
        (out_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        return b.BuildSummary()

    def slowly(path, *args):
        time.sleep(0.5)
        return c.Line(path, "same", "")

    monkeypatch.setattr(b, "build", rebuilt)
    monkeypatch.setattr(c, "_compare_output", slowly)
    lines = []
    report = c.check(published, progress=lines.append)
    said = len(lines)
    time.sleep(0.6)
    assert len(lines) == said and [line.status for line in report.lines] == ["same"] * 4
    still = [line for line in lines if line.startswith("still comparing the outputs with the published set (")]
    assert still and still[-1].split("(")[1].split(")")[0] in {"2 of 4", "3 of 4"}, lines
