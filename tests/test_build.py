"""End to end through the library API: notebooks run with papermill on the real record.

Expected values are typed from the record's sources, not from outputs: Perth and Kinross has two
stated grades ("two 'excellent' ratings - for planning and improving services, and for leadership",
NHS Tayside: QIs 6.2 and 9.4); Orkney has no published grade at all.
"""

import hashlib
import json
import shutil

import pandas as pd
import pytest

from analysis import config
from analysis.cli import main
from analysis.domain.areas import UnknownName
from analysis.pipeline import build as b
from analysis.pipeline.outdir import load_manifest

from conftest import ROOT

JOBS = [("partnership", "Perth & Kinross"), ("partnership", "Orkney"), ("period_group", "post 2016")]


def _jobs():
    return [b.job_for(kind, name) for kind, name in JOBS]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("build")
    data = base / "data"
    shutil.copytree(ROOT / "data", data)
    out = base / "reports"
    lines = []
    summary = b.build(_jobs(), out_dir=out, n_jobs=2, progress=lines.append, data_dir=data)
    return {"out": out, "data": data, "summary": summary, "lines": lines}


def test_jobs_resolve_aliases_to_slugs():
    assert [j.id for j in _jobs()] == ["partnership/perth-and-kinross", "partnership/orkney",
                                       "period_group/post-2016"]


def test_every_notebook_ran(built):
    assert built["summary"].failed == []
    assert built["summary"].count("done") == 3
    # one progress line per notebook
    assert sum("done" in line for line in built["lines"]) == 3


def test_known_grades_appear_with_their_source(built):
    grades = pd.read_csv(built["out"] / "tables/partnership/perth-and-kinross/grades.csv", dtype=str,
                         keep_default_na=False).set_index("indicator")
    for qi in ("6.2", "9.4"):
        assert grades.loc[qi, "grade"] == "Excellent"
        assert grades.loc[qi, "status"] == "stated"
        assert "excellent" in grades.loc[qi, "quote"]
    page = (built["out"] / "html/partnership/perth-and-kinross.html").read_text()
    assert "<title>Perth and Kinross: joint inspection of services for children and young people</title>" in page
    assert "<h1" in page and "Perth and Kinross: joint inspection" in page


def test_unknown_area_says_so_and_shows_ranges(built):
    grades = pd.read_csv(built["out"] / "tables/partnership/orkney/grades.csv", dtype=str, keep_default_na=False)
    assert len(grades) == 9
    assert (grades["grade"] == "").all()
    assert (grades["status"] == "open").all()
    assert grades["possible"].str.contains(r"\|").all()   # every cell has at least two possible grades
    nb = json.loads((built["out"] / "notebooks/partnership/orkney.ipynb").read_text())
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert "None of the 9 grades is fixed" in text
    assert nb["metadata"]["papermill"]["parameters"]["partnership"] == "Orkney"


def test_period_group_lists_its_nine_partnerships(built):
    members = pd.read_csv(built["out"] / "tables/period_group/post-2016/members.csv")
    # Appendix 4, post 2016 group: nine partnerships, South Ayrshire first, Perth and Kinross last
    assert len(members) == 9
    assert members["partnership"].iloc[0] == "South Ayrshire"
    assert members["partnership"].iloc[-1] == "Perth and Kinross"
    assert (built["out"] / "figures/period_group/post-2016/grade-bars.png").is_file()


def test_manifest_lists_existing_files_with_matching_hashes(built):
    manifest = json.loads((built["out"] / "manifest.json").read_text())
    assert set(manifest["jobs"]) == {j.id for j in _jobs()}
    assert manifest["data_basis"] == "public record"
    assert len(manifest["outputs"]) > 10
    for item in manifest["outputs"]:
        path = built["out"] / item["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"], item["path"]
    index = (built["out"] / "index.html").read_text()
    assert 'href="html/partnership/orkney.html"' in index
    assert not list(built["out"].glob(".staging*")) and not list(built["out"].rglob("*.tmp"))


def test_the_notebooks_read_the_results_the_build_computed(built):
    # the build fills the results cache with what each notebook shows (report.Page.results); a
    # notebook cell whose call the build did not make would compute it again and add an entry
    out = built["out"]
    index = json.loads((out / ".cache/results.json").read_text())
    warmed = {k for entry in index["jobs"].values() for k in entry["entries"]}
    files = {p.stem for p in (out / ".cache/results").glob("*.json")}
    assert len(warmed) >= 5 and files == warmed
    assert not list((out / ".cache").rglob("*.pkl")) and not (out / ".cache/inputs").exists()


def test_a_rebuild_removes_entries_nothing_reads(built):
    # entries from older data or code can never be read again: a build removes them (the cache does not grow)
    out = built["out"]
    stale = out / ".cache/results" / ("0" * 64 + ".json")
    stale.write_text('{"format": "review-result/1"}', encoding="utf-8")
    kept = {p.name for p in (out / ".cache/results").glob("*.json")} - {stale.name}
    again = b.build(_jobs(), out_dir=out, n_jobs=2, progress=lambda s: None, data_dir=built["data"])
    assert {r["status"] for r in again.results.values()} == {"skipped"}
    assert not stale.exists() and {p.name for p in (out / ".cache/results").glob("*.json")} == kept


def test_second_build_skips_and_a_data_change_reruns_only_its_readers(built):
    out, data = built["out"], built["data"]
    again = b.build(_jobs(), out_dir=out, n_jobs=2, progress=lambda s: None, data_dir=data)
    assert {r["status"] for r in again.results.values()} == {"skipped"}
    # Change the quote of a Perth and Kinross cell: its notebook and its group's grid read it; Orkney does not.
    path = data / "record/cell_grades.csv"
    text = path.read_text(encoding="utf-8")
    assert "for planning and improving services" in text
    path.write_text(text.replace("for planning and improving services", "for planning and improving  services", 1),
                    encoding="utf-8")
    third = b.build(_jobs(), out_dir=out, n_jobs=2, progress=lambda s: None, data_dir=data)
    status = {j: r["status"] for j, r in third.results.items()}
    assert status == {"partnership/perth-and-kinross": "done", "partnership/orkney": "skipped",
                      "period_group/post-2016": "done"}


@pytest.mark.parametrize("name", ["../../etc", "<script>alert(1)</script>", "Fife\nrm -rf /"])
def test_bad_names_fail_before_anything_runs(tmp_path, capsys, name):
    with pytest.raises(UnknownName):
        b.job_for("partnership", name)
    out = tmp_path / "reports"
    assert main(["run", "--partnership", name, "--out", str(out)]) == 2
    assert "unknown partnership" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_name_lists_closest():
    with pytest.raises(UnknownName) as err:
        b.job_for("partnership", "Perth and Kinros")
    assert "Perth and Kinross" in str(err.value)


def test_parameters_only_from_the_template():
    job = b.job_for("partnership", "Fife")
    declared = b.template_parameters(job.template(config.NOTEBOOKS_DIR))
    params = b.parameters_for(job, declared, "", "../../.cache/results", "out")
    assert params["partnership"] == "Fife"
    assert set(declared) == {"partnership", "grades", "output_dir", "cache", "data"}
    with pytest.raises(b.BuildError):
        b.parameters_for(b.Job("partnership", "fife", 3), declared, "", "x", "out")


def test_partnership_inputs_from_a_complete_table(tmp_path):
    # Regression: with a complete table the grade-counts table is empty (same columns), not missing.
    from analysis.report.page import open_report

    from conftest import ALL_32, NINE, write_grades_long

    grades = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    path = write_grades_long(tmp_path / "g.csv", [(p, i, grades[(k + j) % 6]) for k, p in enumerate(ALL_32)
                                                 for j, i in enumerate(NINE)])
    report = open_report("partnership", "Fife", grades=str(path), cache=str(tmp_path / "cache"))
    from analysis.stats import summaries

    inputs = {"grade_counts": summaries.published_counts(report.model, report.record, "Fife"),
              "grades": summaries.partnership_grades(report.model, report.record, "Fife")}
    counts = inputs["grade_counts"]
    assert len(counts) == 0 and "partnership" in counts.columns
    assert report.table(counts, "grade_counts").rows == 0  # shown as an empty table, not an error
    # Fife is k = 20 in Appendix 4 order (11 pre-2014, then the tenth of 2014-16): 1.1 is 20 % 6 = 2, Adequate
    assert inputs["grades"].set_index("indicator").loc["1.1", "grade"] == "Adequate"
    shown = report.table(inputs["grades"], "grades").frame  # what a reader sees: the grade itself, the note as written
    assert shown.loc[0, "Grade"] == "Adequate" and shown.loc[0, "Quality indicator"].startswith("1.1 ")


def test_a_grades_build_never_goes_into_reports_by_default(tmp_path, monkeypatch):
    """Without --out, a build from a complete grade table goes to reports-<table>/ beside reports/."""
    from analysis import config
    from analysis.config import default_out_dir

    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert default_out_dir("/somewhere/My Official Grades.csv") == tmp_path / "reports-my-official-grades"
    assert default_out_dir("/x/grades.csv") != config.REPORTS_DIR


def test_one_folder_never_mixes_data_bases(tmp_path):
    import json

    from analysis.pipeline import build as b

    public, table = tmp_path / "public", tmp_path / "table"
    for folder, grades_file in ((public, None), (table, {"name": "g.csv", "sha256": "0" * 64})):
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"grades_file": grades_file, "jobs": {}, "outputs": []}))
    import hashlib

    from analysis.domain.load import GradeTable

    path = tmp_path / "g.csv"
    path.write_text("x")
    grades = GradeTable(path, hashlib.sha256(b"x").hexdigest(), None, b"x")  # as read_grade_table gives it
    with pytest.raises(b.BuildError, match="public record"):
        b._refuse_mixed_basis(public, load_manifest(public), grades)
    with pytest.raises(b.BuildError, match="complete grade table g.csv"):
        b._refuse_mixed_basis(table, load_manifest(table), None)
    with pytest.raises(b.BuildError, match="another grade table"):
        b._refuse_mixed_basis(table, load_manifest(table), grades)  # same name, other contents
    b._refuse_mixed_basis(public, load_manifest(public), None)  # the same basis: fine
    b._refuse_mixed_basis(tmp_path / "empty", load_manifest(tmp_path / "empty"), grades)  # a new folder: fine


def test_the_terminal_says_what_it_is_and_where_to_look(capsys, tmp_path):
    from analysis import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and __version__ in capsys.readouterr().out
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "Partnership" and len(lines) == 33          # a header, then the 32
    assert main(["list", "--csv"]) == 0
    table = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert list(table.columns) == ["partnership", "slug", "period_group", "aliases"] and len(table) == 32
    out = tmp_path / "r"
    assert main(["run", "--partnership", "Orkney", "--out", str(out)]) == 0
    assert f"Open in a browser: {out / 'html/partnership/orkney.html'}" in capsys.readouterr().out


def test_build_from_a_script_without_a_main_guard(tmp_path):
    # before: each worker re-imported the caller's script (multiprocessing's main-module fix-up), ran
    # build() again and the build failed (BrokenProcessPool, or the folder busy)
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text("from analysis.pipeline.build import build, job_for\n"
                      f"summary = build([job_for('partnership', 'Orkney')], out_dir={str(tmp_path / 'out')!r}, "
                      "progress=lambda s: None)\n"
                      "print('failed:', summary.failed, summary.count('done'))\n", encoding="utf-8")
    res = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("failed:") == 1 and "failed: [] 1" in res.stdout


def test_the_stages_one_by_one(tmp_path):
    # prepare -> compute (results) -> plan (parameters, key, skip?) without running anything
    from analysis.pipeline.outdir import locked

    out = tmp_path / "out"
    out.mkdir()
    job = b.job_for("partnership", "Orkney")
    with locked(out):
        ctx, state = b.prepare([job], out, progress=lambda s: None, n_jobs=1, preload=False, timeout=60)
        entry = b.compute(ctx, state, job)
        # the partnership page's cached calls: its grades, its profile, the two medians the profile reads, the
        # record's conflicts (which the page reads for the ones it is in) and the ties of its ranks
        assert set(entry) == {"digest", "entries"} and len(entry["entries"]) == 5
        assert all((out / ".cache/results" / f"{k}.json").is_file() for k in entry["entries"])
        assert b.compute(ctx, state, job) == entry and state.computed == 1   # the second time from the index
        assert b.plan_job(ctx, state, job) is True                      # never built here: it must run
        params = state.params[job.id]
        assert params["partnership"] == "Orkney" and params["cache"] == "../../.cache/results"
        assert params["grades"] == "" and params["data"] == ""
    assert not (out / "notebooks").exists() and json.loads((out / "manifest.json").read_text())["jobs"] == {}


def test_a_grade_table_replaced_during_a_build_does_not_mix_into_it(tmp_path, monkeypatch, complete_rows):
    """The table is read once: replaced (every grade Excellent) the moment it has been read, the build
    still publishes the table it validated, in every notebook, and the manifest names that table."""
    import csv
    import hashlib
    from pathlib import Path

    from analysis.domain import load
    from analysis.pipeline import build as b

    from conftest import write_grades_long

    path = write_grades_long(tmp_path / "live.csv", complete_rows)
    original = hashlib.sha256(path.read_bytes()).hexdigest()
    read = load.read_grade_table

    def read_then_replace(p):
        table = read(p)
        if Path(p) == path.resolve():
            write_grades_long(path, [(q, i, "Excellent") for q, i, _ in complete_rows])
        return table

    monkeypatch.setattr(load, "read_grade_table", read_then_replace)
    out = tmp_path / "out"
    summary = b.build([b.job_for("partnership", "Fife"), b.job_for("statements")], out_dir=out, grades=path,
                      progress=lambda *a: None, n_jobs=1)
    assert summary.failed == []
    assert hashlib.sha256(path.read_bytes()).hexdigest() != original  # the file was replaced
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["grades_file"]["sha256"] == original
    # Fife is k = 20 in Appendix 4 order: 1.1 is grades[20 % 6] = Adequate (complete_rows), not Excellent
    with open(out / "tables" / "partnership" / "fife" / "grades.csv", encoding="utf-8") as f:
        fife = {r["indicator"]: r["grade"] for r in csv.DictReader(f)}
    assert fife["1.1"] == "Adequate"
    copy = out / ".cache" / "grades" / "live.csv"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == original
