"""Security: the build opens no TCP port; text from data (names, grade-table notes) cannot put
script into a page; pages are exported sanitised by a patched nbconvert."""

import json
import subprocess
import sys
import time
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import pandas as pd
import psutil
import pytest

from analysis.pipeline import build as b
from analysis.pipeline.site import write_index

from conftest import PAYLOAD, ROOT, write_table_with_script_note


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _parse(text):
    parser = _Tags()
    parser.feed(text)
    return parser


def _conns(proc, kind):
    get = getattr(proc, "net_connections", None) or proc.connections
    return get(kind=kind)


def test_a_build_opens_no_tcp_socket_listening_or_connected(tmp_path):
    out = tmp_path / "reports"
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "run", "--partnership", "Angus", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    listening, unix_seen = [], False
    while proc.poll() is None:
        try:
            tree = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for p in tree:
            try:
                # any TCP socket at all: listening (a port) or connected (network access)
                listening += [(p.pid, p.name(), c.laddr, c.status) for c in _conns(p, "tcp") + _conns(p, "tcp6")]
                unix_seen = unix_seen or bool(_conns(p, "unix"))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        time.sleep(0.05)
    assert proc.returncode == 0
    assert unix_seen, "the monitor never saw the kernels' Unix sockets: it did not watch the build"
    assert listening == []
    assert (out / "html/partnership/angus.html").is_file()


@pytest.fixture(scope="module")
def with_notes(tmp_path_factory):
    base = tmp_path_factory.mktemp("notes")
    table = write_table_with_script_note(base / "grades.csv")
    out = base / "reports"
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=out, grades=table, progress=lambda s: None)
    assert summary.failed == []
    return out


def test_script_in_grade_table_notes_is_kept_as_data(with_notes):
    grades = pd.read_csv(with_notes / "tables/partnership/angus/grades.csv", dtype=str, keep_default_na=False)
    assert grades.set_index("indicator").loc["1.1", "quote"] == PAYLOAD


def test_script_in_grade_table_notes_is_inert_in_the_page(with_notes):
    page = (with_notes / "html/partnership/angus.html").read_text()
    assert "&lt;script&gt;alert" in page               # shown, as text
    parsed = _parse(page)
    assert not any("alert" in s for s in parsed.scripts)
    handlers = [(t, k) for t, attrs in parsed.tags for k in attrs if k.lower().startswith("on")]
    assert handlers == []
    assert not any(t == "img" and a.get("src") == "x" for t, a in parsed.tags)


def test_script_in_notes_is_escaped_in_the_executed_notebook(with_notes):
    nb = json.loads((with_notes / "notebooks/partnership/angus.ipynb").read_text())
    html_outputs = [o["data"]["text/html"] for c in nb["cells"] for o in c.get("outputs", [])
                    if "text/html" in o.get("data", {})]
    joined = "".join("".join(h) if isinstance(h, list) else h for h in html_outputs)
    assert "&lt;script&gt;alert" in joined and "<script>alert" not in joined


def test_index_escapes_names_from_data(tmp_path):
    manifest = {"jobs": {"partnership/x": {"kind": "partnership", "slug": "x", "subject": PAYLOAD,
                                           "data_basis": "public record <b>", "outputs": []}}}
    write_index(tmp_path, manifest)
    page = (tmp_path / "index.html").read_text()
    parsed = _parse(page)
    assert parsed.scripts == [] or not any("alert" in s for s in parsed.scripts)
    assert not any(k.lower().startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert "&lt;script&gt;" in page


def test_pages_are_exported_by_a_patched_nbconvert_sanitised_without_embedding(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from packaging.version import Version

    from analysis.pipeline.execute import export_html

    assert Version(metadata.version("nbconvert")) >= Version("7.17.1")
    (tmp_path / "local.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    cell = new_code_cell(
        "x",
        outputs=[
            new_output(
                "display_data",
                data={
                    "text/html": ('<table><tr><td>ok</td></tr></table><script>alert("out")</script>'
                                  '<a href="javascript:alert(2)">a</a>'),
                    "text/plain": "x",
                },
            )
        ],
    )
    nb = new_notebook(cells=[new_markdown_cell('# Title\n\n<script>alert("md")</script>\n\n![local](local.png)'), cell])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    export_html(path, tmp_path / "n.html", "A page")
    page = (tmp_path / "n.html").read_text()
    parsed = _parse(page)
    assert not any("alert" in s for s in parsed.scripts)
    assert not any("javascript:" in a.get("href", "") for t, a in parsed.tags if t == "a")
    assert ("td", {}) in parsed.tags  # tables survive sanitising
    assert not any(
        a.get("src", "").startswith("data:") and "local" in a.get("alt", "") for t, a in parsed.tags if t == "img"
    )  # Markdown images are not embedded
    assert "<title>A page</title>" in page


# -- a hostile manifest (issue 15, case 1) ----------------------------------------------------------------------
def _job_with_output(path):
    return {
        "jobs": {"statements/statements": {"kind": "statements", "outputs": [{"path": path, "sha256": "0" * 64}]}},
        "outputs": [],
    }


@pytest.mark.parametrize(
    "manifest",
    [
        _job_with_output("../victim.txt"),
        _job_with_output("tables/../../victim.txt"),
        _job_with_output("/tmp/victim.txt"),
        _job_with_output("tables"),
        _job_with_output("tables/./x.csv"),
        _job_with_output("link/victim.txt"),  # a symlink in the output folder pointing outside it
        [],
        None,
        {"jobs": []},
        {"jobs": {"x": {"outputs": []}}},
        {"outputs": "tables/x.csv"},
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "folder",
        "dot",
        "symlink",
        "list",
        "null",
        "jobs-list",
        "job-without-kind",
        "outputs-not-list",
    ],
)
def test_a_hostile_manifest_deletes_nothing_and_stops_the_build(tmp_path, manifest):
    out = tmp_path / "reports"
    (out / "tables").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("keep me too")
    (out / "link").symlink_to(outside, target_is_directory=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(b.BuildError, match="manifest.json"):
        b.build([b.job_for("statements")], out_dir=out, progress=lambda s: None)
    assert victim.read_text() == "keep me" and (outside / "victim.txt").read_text() == "keep me too"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_a_hostile_manifest_through_the_cli(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(_job_with_output("../victim.txt")))
    (tmp_path / "victim.txt").write_text("keep me")
    res = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "run", "--statements", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2 and "../victim.txt" in res.stderr and "Traceback" not in res.stderr
    assert (tmp_path / "victim.txt").read_text() == "keep me"


# -- the output folder (issue 15, case 4) -------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["data", "data/x", "data/../data/record", "."])
def test_the_build_never_writes_into_data(where):
    from analysis.domain.load import data_file_hashes

    before = data_file_hashes()
    with pytest.raises(b.BuildError, match="data/"):
        b.build([b.job_for("statements")], out_dir=ROOT / where, progress=lambda s: None)
    assert data_file_hashes() == before
    assert not (ROOT / "data" / "x").exists()


def test_an_unrelated_folder_or_a_file_is_refused(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("my own page")
    with pytest.raises(b.BuildError, match="not an output folder"):
        b.build([b.job_for("statements")], out_dir=mine, progress=lambda s: None)
    assert (mine / "index.html").read_text() == "my own page" and sorted(mine.iterdir()) == [mine / "index.html"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(b.BuildError, match="is a file"):
        b.build([b.job_for("statements")], out_dir=afile, progress=lambda s: None)


# -- one build at a time (issue 15, case 3) -----------------------------------------------------------------------
def _review(*args, env=None, **kw):
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "analysis.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **(env or {})),
        **kw,
    )


def _consistent(out):
    """Every file the manifest lists is there with its hash, and every output file is listed."""
    import hashlib

    manifest = json.loads((out / "manifest.json").read_text())
    listed = {item["path"] for item in manifest["outputs"]}
    for item in manifest["outputs"]:
        assert hashlib.sha256((out / item["path"]).read_bytes()).hexdigest() == item["sha256"], item["path"]
    files = {
        p.relative_to(out).as_posix()
        for folder in ("tables", "figures", "notebooks", "html")
        for p in (out / folder).rglob("*")
        if p.is_file()
    }
    assert files <= listed, sorted(files - listed)[:5]
    assert not (out / ".staging").exists()
    return manifest


def test_two_builds_into_one_folder_take_turns(tmp_path):
    # before the lock: one build's job vanished from the manifest and files were left unlisted
    out = tmp_path / "reports"
    first = _review("run", "--partnership", "Angus", "--out", str(out), "--wait")
    time.sleep(1.0)
    second = _review("run", "--partnership", "Orkney", "--out", str(out), "--wait")
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    manifest = _consistent(out)
    assert set(manifest["jobs"]) == {"partnership/angus", "partnership/orkney"}


def test_a_second_build_without_wait_stops_with_a_message(tmp_path):
    from analysis.pipeline.outdir import FolderBusy, locked

    out = tmp_path / "reports"
    out.mkdir()
    with locked(out):  # as a running build holds it
        res = subprocess.run(
            [sys.executable, "-m", "analysis.cli", "run", "--statements", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 2 and "in use by another review" in res.stderr and "--wait" in res.stderr
        assert "Traceback" not in res.stderr
        with pytest.raises(FolderBusy), locked(out):
            pass
    assert list(out.iterdir()) == []  # the refused build wrote nothing; the lock itself writes nothing


def test_a_symlinked_folder_inside_the_output_folder_is_not_written_through(tmp_path):
    import shutil

    out = tmp_path / "reports"
    assert b.build([b.job_for("partnership", "Angus")], out_dir=out, progress=lambda s: None).failed == []
    outside = tmp_path / "outside"
    outside.mkdir()
    # a folder the manifest lists outputs in: the manifest check refuses it before anything is written
    shutil.rmtree(out / "tables/partnership/angus")
    (out / "tables/partnership/angus").symlink_to(outside, target_is_directory=True)
    with pytest.raises(b.BuildError, match="not a file inside the output folder"):
        b.build([b.job_for("partnership", "Angus")], out_dir=out, force=True, progress=lambda s: None)
    # a folder a new job will write into: installing is refused, that job fails, nothing goes outside
    (out / "tables/partnership/angus").unlink()
    assert b.build([b.job_for("partnership", "Angus")], out_dir=out, force=True, progress=lambda s: None).failed == []
    (out / "tables/partnership/orkney").symlink_to(outside, target_is_directory=True)
    summary = b.build([b.job_for("partnership", "Orkney")], out_dir=out, progress=lambda s: None)
    assert summary.failed == ["partnership/orkney"]
    assert "leads out of the output folder" in summary.results["partnership/orkney"]["error"]
    assert list(outside.iterdir()) == []
    _consistent(out)


# -- SIGTERM and SIGHUP (issue 15, case 9) -------------------------------------------------------------------------
def _marked(mark):
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("REVIEW_TEST_MARK") == mark:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_sigterm_stops_the_build_and_leaves_nothing_behind(tmp_path, signum):
    import glob
    import os
    import signal
    import uuid

    out = tmp_path / "reports"
    mark = uuid.uuid4().hex

    def temp():
        return {p for pattern in ("/tmp/rz-*", "/tmp/rk-*", "/tmp/rb-*") for p in glob.glob(pattern)}

    pids = set()  # this build's processes: a folder another run (a test suite beside this one) makes is not ours

    def ours(folder):
        try:
            return json.loads((Path(folder) / "review-owner.json").read_text())["pid"] in pids
        except (OSError, ValueError, KeyError, TypeError):
            return True  # no owner named: counted, to be safe

    temp_before = temp()
    proc = _review("build", "--out", str(out), "--jobs", "2", env={"REVIEW_TEST_MARK": mark}, start_new_session=True)
    pids.add(proc.pid)
    try:
        deadline = time.monotonic() + 120
        # wait until kernels are running: a proxy or kernel process carries the mark
        while time.monotonic() < deadline:
            marked = _marked(mark)
            pids.update(p.pid for p in marked)
            if any("proxy" in " ".join(p.cmdline()) for p in marked if p.is_running()):
                break
            time.sleep(0.2)
        else:
            pytest.fail("no kernel started within 120 s")
        time.sleep(1.0)
        os.kill(proc.pid, getattr(signal, signum))  # the main process only, as `timeout` or a CI runner does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + getattr(signal, signum)
    assert f"stopped by {signum}" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [(p.pid, p.cmdline()) for p in _marked(mark)]
    assert left == [], left
    assert not (out / ".staging").exists()
    assert {f for f in temp() - temp_before if ours(f)} == set()
    _consistent(out)


# -- names and file names from users (issue 15, case 10) ------------------------------------------------------------
def test_a_dollar_in_the_grade_table_name_is_shown_as_written(tmp_path, complete_rows):
    from conftest import write_grades_long

    # before: matplotlib read "$grades_$" as mathtext and the figure failed to render
    grades = write_grades_long(tmp_path / "my$grades_$[x](y).csv", complete_rows)
    out = tmp_path / "out"
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=out, grades=grades, progress=lambda s: None)
    assert summary.failed == [], summary.results
    nb = json.loads((out / "notebooks/partnership/angus.ipynb").read_text())
    markdown = [
        o["data"]["text/markdown"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]
    assert any(r"my\$grades\_\$\[x\]\(y\)\.csv" in "".join(m) for m in markdown), markdown
    description = (out / "figures/partnership/angus/profile-description.txt").read_text()
    assert "my$grades_$[x](y).csv" in description


def test_long_names_are_cut_in_messages(capsys):
    from analysis.cli import main

    assert main(["run", "--partnership", "Fyfe" + "x" * 131072]) == 2
    err = capsys.readouterr().err
    assert len(err) < 1000 and "more characters" in err


@pytest.mark.parametrize("since", ["--output=x.txt", "-p", "HEAD\n--all"])
def test_since_never_passes_an_option_to_git(tmp_path, since, capsys):
    from analysis.cli import main

    assert main(["check", "--since=" + since]) == 2
    assert "is not a commit" in capsys.readouterr().err
    assert not (ROOT / "x.txt").exists()


def test_an_internal_error_is_a_crash_not_bad_input(monkeypatch, capsys):
    # a ValueError inside the package is a bug: shown with its traceback and exit 3, never as "bad input"
    from analysis.cli import main
    from analysis.domain import areas

    def broken():
        raise ValueError("a bug")

    monkeypatch.setattr(areas, "partnership_table", broken)
    assert main(["list"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "bug in the package" in err


@pytest.mark.parametrize("where", ["results index", "installed notebook"])
def test_headline_findings_read_back_for_the_index_are_sanitised(tmp_path, where):
    # the index page's findings come from the build's index in .cache/, or from the installed national notebook's
    # headline when a run does not rebuild it (files in the output folder): anything but the inline tags findings
    # use is escaped, so a planted fragment runs nothing
    import hashlib
    from types import SimpleNamespace

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from analysis.pipeline import build as b

    planted = "<script>alert(1)</script><strong>ok</strong> <img src=x onerror=alert(1)>"
    fake = SimpleNamespace(
        index={"jobs": {"review/national": {"digest": "d", "findings_html": [planted]}}},
        manifest={"jobs": {"review/national": {"results_digest": "d", "outputs": []}}},
    )
    ctx = SimpleNamespace(out_dir=tmp_path)
    if where == "installed notebook":
        fake.index = {"jobs": {}}
        headline = f"# The national review\n\n**Headline findings**\n\n- {planted}\n"
        cell = new_code_cell("r.headline()", outputs=[new_output("execute_result", {"text/markdown": headline},
                                                                 execution_count=1)])
        path = tmp_path / "notebooks/review/national.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(new_notebook(cells=[cell]), path)
        fake.manifest["jobs"]["review/national"]["outputs"] = [
            {"path": "notebooks/review/national.ipynb", "kind": "notebook",
             "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}]
    (shown,) = b.national_findings(ctx, fake)
    assert "<script" not in shown and "<img" not in shown and "<strong>ok</strong>" in shown
    if where == "results index":
        fake.manifest["jobs"]["review/national"]["results_digest"] = "other"  # not the installed notebook's
    else:
        path.write_text(path.read_text().replace("ok", "KO"))  # not the notebook the manifest lists
    assert b.national_findings(ctx, fake) is None


# -- a notebook run by hand (papermill, JupyterLab) with output_dir -------------------------------------------------
def test_a_notebook_by_hand_never_writes_into_data(tmp_path, data_copy):
    from analysis.errors import UsageError
    from analysis.report.page import open_report

    for where in (data_copy, data_copy / "record", data_copy.parent):
        with pytest.raises(UsageError, match="never writes into the data package"):
            open_report("partnership", "Fife", output_dir=str(where), data=str(data_copy))


def test_a_notebook_by_hand_never_writes_into_a_built_output_folder(tmp_path):
    """papermill -p output_dir reports (or a folder inside it) is refused: the build's manifest would no longer
    match; the build's own staging folder is the exception. A folder of one's own is written to, and said."""
    import contextlib
    import io

    from analysis.errors import UsageError
    from analysis.report.page import open_report

    built = tmp_path / "reports"
    (built / "tables").mkdir(parents=True)
    (built / "manifest.json").write_text(json.dumps({"analysis_code_sha256": "x", "outputs": []}))
    for where in (built, built / "tables"):
        with pytest.raises(UsageError, match="an output folder that `review build` manages"):
            open_report("partnership", "Fife", output_dir=str(where))
    open_report("partnership", "Fife", output_dir=str(built / ".staging" / "1" / "partnership-fife" / "out"))
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        open_report("partnership", "Fife", output_dir=str(tmp_path / "mine"))
    assert f"written to {(tmp_path / 'mine').resolve()}" in said.getvalue()


def test_papermill_by_hand_into_the_published_folder_writes_nothing(tmp_path):
    """The case as a user meets it: papermill with -p output_dir pointing at a built folder fails in its first
    cell, and not one file of that folder changes."""
    built = tmp_path / "reports"
    built.mkdir()
    (built / "manifest.json").write_text(json.dumps({"analysis_code_sha256": "x", "outputs": []}))
    before = {p: p.read_bytes() for p in built.rglob("*") if p.is_file()}
    run = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "partnership.ipynb"),
                          str(tmp_path / "out.ipynb"), "-p", "output_dir", str(built), "--no-progress-bar"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "manages" in run.stderr + run.stdout
    assert {p: p.read_bytes() for p in built.rglob("*") if p.is_file()} == before


def _by_hand(tmp_path, name, cache, output_dir):
    """papermill on the partnership template with ``-p cache`` and ``-p output_dir``, as a user runs it; the
    executed notebook."""
    import nbformat

    out = tmp_path / f"{name}.ipynb"
    run = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "partnership.ipynb"), str(out),
                          "-p", "partnership", "Orkney", "-p", "cache", str(cache), "-p", "output_dir",
                          str(output_dir), "--no-progress-bar"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return nbformat.read(out, as_version=4)


def _streams(nb, name):
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_papermill_by_hand_with_a_cache_elsewhere_reads_it_checked_and_never_writes_it(tmp_path):
    """papermill -p cache DIR, DIR not the results cache of an output folder `review build` made: the notebook says
    it reads DIR read-only; an entry that is not the one its file name says (another call's entry), whose value no
    longer matches its digest, or that is not JSON, is discarded with a warning and the result computed, so the
    outputs are those of a run on an empty cache; and not one file of DIR is added, rewritten or removed, even
    with output_dir set (the one case a notebook writes entries: into its build's own folder)."""
    import json

    from analysis.record.cache import ResultsCache
    from analysis.report import open_report
    from analysis.report.shown import shown_values

    empty = tmp_path / "somewhere"
    empty.mkdir()
    clean = _by_hand(tmp_path, "clean", empty, tmp_path / "clean")
    assert _files(empty) == {}
    said = _streams(clean, "stdout")
    assert f"Results are read from the cache in {empty.resolve()}, read-only" in said
    assert f"written to {(tmp_path / 'clean').resolve()}" in said

    # a folder of entries under the keys the notebook's calls read (written here as a build would), then spoilt
    planted = tmp_path / "planted"
    page = open_report("partnership", "Orkney", cache=str(planted))
    page.model.cache = ResultsCache(planted, page.model.cache.source_key)
    shown_values(page)
    entries = {json.loads(p.read_text())["function"].rsplit(".", 1)[1]: p for p in planted.glob("*.json")}
    grades, profile = entries["partnership_grades"], entries["partnership_profile"]
    swapped = grades.read_bytes()
    grades.write_bytes(profile.read_bytes())  # each a valid entry, under the other call's name
    profile.write_bytes(swapped)
    doc = json.loads(entries["median_grade"].read_text())
    doc["value"]["frame"]["data"][0]["values"].reverse()  # the value changed, its digest kept
    entries["median_grade"].write_text(json.dumps(doc))
    entries["partnership_ties"].write_text("{not json")
    spoilt = {entries[n].name for n in ("partnership_grades", "partnership_profile", "median_grade",
                                        "partnership_ties")}
    before = _files(planted)

    nb = _by_hand(tmp_path, "planted", planted, tmp_path / "from-planted")
    assert _files(planted) == before
    warned = _streams(nb, "stderr")
    assert all(name in warned for name in spoilt) and "discarded" in warned, warned
    assert _files(tmp_path / "from-planted") == _files(tmp_path / "clean")
