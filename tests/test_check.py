"""`review check`: the comparisons, and a whole check after one grade changes.

The complete table is the hand-made one of test_figures: partnership k (Appendix 4 order, 0-31) has
grade (k + j) % 6 on indicator j (0 Unsatisfactory ... 5 Excellent). Perth and Kinross is k = 31, so
its 1.1 (j = 0) is 31 % 6 = 1, Weak. The test moves it to Unsatisfactory and works out by hand what
must change and what must not:

- 1.1 over all 32 is U 6, W 6, A 5, G 5, VG 5, E 5; moving one W to U leaves the good-or-better
  counts (15 of 32) and the median (16th/17th of 32 are both Adequate) as they were. Post-2016
  (k = 23..31) is 1.1 = E, U, W, A, G, VG, E, U, W: median Adequate before and after; GoB 4 of 9 both.
- So the grade counts change (every period-group table shows its own group, the other groups and
  "all"), the grid changes where it shows Perth and Kinross (national, post-2016), the trend tests
  and bounds on 1.1 change (a post-2016 value moves: its p-value, the post-2016 mean, the witness
  column, and the p-value drawn in the trend figure), and Perth and Kinross's own grades and
  profile change.
- The review's conclusions on 1.1: pre-2014 (k = 0..10) has values 1,2,3,4,5,6,1,2,3,4,5 (mean
  36/11 = 3.27); post-2016 has 6,1,2,3,4,5,6,1,2 (mean 30/9 = 3.33), and 29/9 = 3.22 after the change,
  so "post-2016 above pre-2014" (and C > 0) turns from confirmed to contradicted: the claims table,
  the trend summary beside the review's words, and the statements notebook change. Perth and
  Kinross's published counts (2 E, 6 VG, 1 G) disagree with the table before and after, with other
  counts shown: the reconciliation table changes.
- Orkney (k = 2, 1.1 Adequate): its rank counts the partnerships graded above Adequate, unchanged;
  its medians are unchanged; nothing of Orkney's changes. The statements on 1.1 are about the
  2014-16 group only, so no statement's count changes.
"""

import hashlib
import shutil

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from analysis.pipeline import build as b  # noqa: E402
from analysis.pipeline import check as c  # noqa: E402
from analysis.publish import figures  # noqa: E402
from analysis.record.model import RecordModel, cell_group  # noqa: E402
from analysis.stats import summaries  # noqa: E402

from conftest import ALL_32, NINE, write_grades_long  # noqa: E402

GRADES = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]


def _rows(change=None):
    rows = [[p, ind, GRADES[(k + j) % 6]] for k, p in enumerate(ALL_32) for j, ind in enumerate(NINE)]
    for r in rows:
        if change and (r[0], r[1]) == change[:2]:
            r[2] = change[2]
    return rows


def _tree_digest(folder):
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(folder)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


# -- the comparisons ---------------------------------------------------------------------------------------------
def test_table_comparison_names_the_cell_and_the_change(tmp_path):
    a, b_ = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("indicator,share,grade\n1.1,0.5,Good\n2.1,0.25,Weak\n")
    b_.write_text("indicator,share,grade\n1.1,0.5,Good\n2.1,0.375,Weak\n")
    assert c.compare_table(a, a) is None
    diff = c.compare_table(a, b_)
    assert "1 cell(s) differ" in diff and "row 2 (2.1) share: 0.25 -> 0.375 (change +0.125)" in diff
    b_.write_text("indicator,share\n1.1,0.5\n2.1,0.25\n")
    assert "removed: grade" in c.compare_table(a, b_)


@pytest.fixture(scope="module")
def distribution():
    model = RecordModel([cell_group(p, i, g, "table") for p, i, g in _rows()], "complete grade table")
    return summaries.grade_distribution(model, {"all": ALL_32})


def _save_bars(distribution, folder):
    ax = figures.grade_bars(distribution, scopes=["all"])
    return {p.suffix: p for p in figures.save(ax, "bars", folder)}


def test_a_colour_change_is_caught_by_the_image_and_not_the_data(tmp_path, distribution, monkeypatch):
    before = _save_bars(distribution, tmp_path / "a")
    # the same numbers, one colour changed: Weak, the second of the palette (worst first)
    monkeypatch.setattr(figures, "PALETTE", figures.PALETTE[:1] + ("#00ff00",) + figures.PALETTE[2:])
    assert figures.GRADE_COLOURS["Weak"] == "#00ff00"
    after = _save_bars(distribution, tmp_path / "b")
    assert c.compare_file(before[".csv"], after[".csv"]) is None
    diff = c.compare_file(before[".png"], after[".png"])
    assert diff is not None and "RMS" in diff
    monkeypatch.undo()  # the original colours again: the image passes
    assert c.compare_file(before[".png"], _save_bars(distribution, tmp_path / "d")[".png"]) is None


def test_a_number_drawn_is_caught_by_the_data(tmp_path, distribution):
    before = _save_bars(distribution, tmp_path / "a")
    moved = distribution.copy()
    weak = (moved["indicator"] == "1.1") & (moved["grade"] == "Weak")
    unsat = (moved["indicator"] == "1.1") & (moved["grade"] == "Unsatisfactory")
    for col in ("min", "max"):
        moved.loc[weak, col] -= 1   # 1.1: W 6 -> 5, U 6 -> 7
        moved.loc[unsat, col] += 1
    after = _save_bars(moved, tmp_path / "b")
    diff = c.compare_file(before[".csv"], after[".csv"])
    assert diff is not None and "row 2 (1.1) count: 6 -> 5 (change -1)" in diff


# -- a whole check ------------------------------------------------------------------------------------------------
JOBS = [("review", None), ("period_group", "post-2016"), ("period_group", "pre-2014"),
        ("partnership", "Perth and Kinross"), ("partnership", "Orkney"), ("statements", None)]


def _expected_changes():
    pk, post, pre = "perth-and-kinross", "period_group/post-2016", "period_group/pre-2014"
    figs = lambda folder, *names: {f"{folder}/{n}.{ext}" for n in names for ext in ("png", "svg", "csv")}  # noqa: E731
    # index.html: the landing page carries the national review's headline findings
    return (
        {
            "index.html",
            "notebooks/review/national.ipynb",
            "html/review/national.html",
            "tables/grade_distribution.csv",
            "tables/possible_grades.csv",
            "tables/trend_tests.csv",
            "tables/trend_bounds.csv",
            "tables/trend_linear_bounds.csv",
            "tables/trend_witnesses.csv",
            "tables/trend_summary.csv",
            "notebooks/statements/statements.ipynb",
            "html/statements/statements.html",
            "tables/claims.csv",
            "tables/reconciliation.csv",
            "tables/fragility.csv",  # with a complete table, the cells that would have to be wrong
            # the review's tables as spreadsheets: they hold grade_distribution, claims, ... above
            "tables/review-tables.ods",
            "tables/review-tables.xlsx",
        }
        | figs("figures", "grade-bars", "grade-grid", "trend")
        | {
            f"notebooks/{post}.ipynb",
            f"html/{post}.html",
            f"tables/{post}/grade_distribution.csv",
            f"tables/{post}/possible_grades.csv",
        }
        | figs(f"figures/{post}", "grade-bars", "grade-grid")
        | {f"notebooks/{pre}.ipynb", f"html/{pre}.html", f"tables/{pre}/grade_distribution.csv"}
        | figs(f"figures/{pre}", "grade-bars")
        | {
            f"notebooks/partnership/{pk}.ipynb",
            f"html/partnership/{pk}.html",
            f"tables/partnership/{pk}/grades.csv",
            f"tables/partnership/{pk}/profile.csv",
        }
        | figs(f"figures/partnership/{pk}", "profile")
    )


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    base = tmp_path_factory.mktemp("check")
    (base / "a").mkdir()
    (base / "b").mkdir()
    # the same file name, so the data basis printed on every output ("complete grade table grades.csv") is equal
    published_table = write_grades_long(base / "a/grades.csv", _rows())
    changed_table = write_grades_long(base / "b/grades.csv", _rows(("Perth and Kinross", "1.1", "Unsatisfactory")))
    jobs = [b.job_for(kind, name) for kind, name in JOBS]
    pub = base / "published"
    assert b.build(jobs, out_dir=pub, grades=published_table, progress=lambda s: None).failed == []
    shutil.rmtree(pub / ".cache")
    before = _tree_digest(pub)
    same = c.check(pub, grades=published_table, progress=lambda s: None)
    changed = c.check(pub, grades=changed_table, progress=lambda s: None, keep=base / "rebuilt")
    return {"pub": pub, "before": before, "same": same, "changed": changed, "rebuilt": base / "rebuilt"}


def test_unchanged_data_gives_every_output_the_same(checked):
    report = checked["same"]
    assert report.ok, [str(line) for line in report.lines if line.status != "same"]
    assert report.count("same") == len(report.lines) > 60


def test_one_grade_changed_reports_exactly_its_dependents(checked):
    report = checked["changed"]
    assert not report.ok
    assert set(report.differing()) == _expected_changes()
    assert {line.status for line in report.lines if line.status != "same"} == {"differs"}
    lines = {line.path: line.detail for line in report.lines}
    assert "row 1 (1.1) grade: 'Weak' -> 'Unsatisfactory'" in lines["tables/partnership/perth-and-kinross/grades.csv"]
    assert any("grade table grades.csv differs" in n for n in report.notes)


def test_check_never_writes_into_the_published_folder(checked):
    assert _tree_digest(checked["pub"]) == checked["before"]


def test_a_published_file_edited_by_hand_is_caught(checked, tmp_path):
    import json

    pub = tmp_path / "pub"
    shutil.copytree(checked["pub"], pub)
    rel = "tables/partnership/orkney/grades.csv"
    path = pub / rel
    path.write_text(path.read_text().replace("Adequate", "Good", 1))
    entry = {o["path"]: o for o in json.loads((pub / "manifest.json").read_text())["outputs"]}[rel]
    line = c._compare_output(rel, entry, entry, pub, checked["rebuilt"], c.DEFAULT_TOL)
    assert line.status == "differs" and "does not match its manifest hash" in line.detail


def test_since_names_the_changed_outputs_and_why(checked):
    import json

    old = json.loads((checked["pub"] / "manifest.json").read_text())
    new = json.loads((checked["rebuilt"] / "manifest.json").read_text())
    report = c.compare_manifests(old, new)
    changed = {line.path: line.detail for line in report.lines if line.status != "same"}
    assert set(changed) == _expected_changes()
    assert all(detail == "changed: data (grade table)" for detail in changed.values())
    assert "grade table changed" in report.notes


# -- tolerances (issue 14) ----------------------------------------------------------------------------------------
def test_float_noise_passes_and_a_changed_count_fails(tmp_path):
    """A table written on one machine, re-read with every float moved by one part in 10^12 (the last
    digits of iterative fits and BLAS sums on another CPU), is the same; a count moved by one is not."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "indicator": ["1.1", "2.1"],
            "count": [8, 30],
            "p": [0.0356290682202323, 1.0],
            "coef": [2.718783357641565, -0.5],
            "label": ["=", "a"],
        }
    )
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(a, index=False)
    noisy = frame.copy()
    for col in ("p", "coef"):
        noisy[col] = noisy[col] * (1 + 1e-12)
    noisy.to_csv(b, index=False)
    assert a.read_bytes() != b.read_bytes()
    assert c.compare_table(a, b) is None
    noisy.loc[0, "count"] = 9
    noisy.to_csv(b, index=False)
    assert "row 1 (1.1) count: 8 -> 9" in c.compare_table(a, b)
    # a float moved beyond the tolerance is reported; a tighter tolerance reports the noise
    frame2 = frame.copy()
    frame2.loc[0, "p"] = 0.0357
    frame2.to_csv(b, index=False)
    assert "p: 0.0356290682202323 -> 0.0357" in c.compare_table(a, b)
    noisy = frame.copy()
    noisy["p"] = noisy["p"] * (1 + 1e-9)
    noisy.to_csv(b, index=False)
    assert c.compare_table(a, b) is None and c.compare_table(a, b, rtol=1e-12, atol=0) is not None


def test_a_deleted_published_file_is_a_difference(tmp_path):
    """A committed output missing from disk differs, even when the rebuild's hash equals the manifest's."""
    pub, out = tmp_path / "pub", tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables/x.csv").write_text("a\n1\n")
    entry = {"path": "tables/x.csv", "sha256": hashlib.sha256(b"a\n1\n").hexdigest()}
    line = c._compare_output("tables/x.csv", entry, entry, pub, out, 1.0)
    assert line.status == "differs" and "missing" in line.detail
    # a page (not committed) is still compared by the manifest's hash
    line = c._compare_output("html/review/national.html", entry, entry, pub, out, 1.0)
    assert line.status == "same"
