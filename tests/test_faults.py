"""Faults in a build: a notebook raising, its kernel killed, a write failing, the build interrupted,
the data changing underneath. After each, the outputs already published are intact and match
manifest.json, no temporary file is left, and the next build finishes.

Faults are injected through the templates (a copy of notebooks/ with one cell added, passed to the
build as its ``templates`` argument) or by failing one file operation; never by editing the package.
"""

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from analysis import config
from analysis.cli import main
from analysis.pipeline import build as b

from conftest import ROOT

JOBS = [("partnership", "Angus"), ("partnership", "Orkney")]


def _jobs():
    return [b.job_for(kind, name) for kind, name in JOBS]


def _published(out):
    """Every file of the outputs (not the cache), with its SHA-256."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".cache" not in p.parts and "failed" not in p.parts}


def _assert_consistent(out):
    manifest = json.loads((out / "manifest.json").read_text())
    for item in manifest["outputs"]:
        path = out / item["path"]
        assert path.is_file(), item["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"], item["path"]
    assert not (out / ".staging").exists()
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    data = root / "data"
    shutil.copytree(ROOT / "data", data)
    out = root / "reports"
    assert b.build(_jobs(), out_dir=out, n_jobs=2, progress=lambda s: None, data_dir=data).failed == []
    return {"root": root, "data": data, "out": out}


@pytest.fixture
def published(base, tmp_path):
    """A private copy of the built outputs (with its cache) to break."""
    out = tmp_path / "reports"
    shutil.copytree(base["out"], out)
    return out


def _faulty_templates(tmp_path, source):
    """A copy of the templates whose partnership notebook runs ``source`` after its first cell."""
    folder = tmp_path / "templates"
    shutil.copytree(config.NOTEBOOKS_DIR, folder)
    path = folder / "partnership.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, new_code_cell(source))
    nbformat.write(nb, path)
    return folder


@pytest.mark.parametrize("fault, expected", [
    ("raise RuntimeError('injected fault')", "RuntimeError: injected fault"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "DeadKernelError"),
], ids=["exception", "kernel-sigkill"])
def test_a_failing_notebook_leaves_the_published_outputs(base, published, tmp_path, monkeypatch, fault, expected):
    before = _published(published)
    templates = _faulty_templates(tmp_path, fault)
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=published, progress=lambda s: None,
                      data_dir=base["data"], templates=templates)
    assert summary.failed == ["partnership/angus"]
    assert expected in summary.results["partnership/angus"]["error"]
    assert _published(published) == before      # nothing published changed
    _assert_consistent(published)
    # the next build, with the fault gone, finds Angus's previous outputs intact and finishes
    again = b.build(_jobs(), out_dir=published, progress=lambda s: None, data_dir=base["data"])
    assert again.failed == [] and again.count("skipped") == 2
    _assert_consistent(published)


def test_a_stopped_kernel_is_killed_at_the_time_limit_and_the_build_goes_on(base, published, tmp_path, monkeypatch):
    # before: a stopped kernel held its job for the fixed 600 s cell timeout and was left orphaned
    import time

    before = _published(published)
    templates = _faulty_templates(tmp_path, "import os, signal\nif partnership == 'Angus':\n"
                                            "    os.kill(os.getpid(), signal.SIGSTOP)")
    start = time.perf_counter()
    summary = b.build(_jobs(), out_dir=published, force=True, n_jobs=2, timeout=8, progress=lambda s: None,
                      data_dir=base["data"], templates=templates)
    assert time.perf_counter() - start < 90
    assert summary.failed == ["partnership/angus"]
    assert "time limit of 8 s" in summary.results["partnership/angus"]["error"]
    assert summary.results["partnership/orkney"]["status"] == "done"
    assert {k: v for k, v in _published(published).items() if "/angus" in k} == \
        {k: v for k, v in before.items() if "/angus" in k}
    _assert_consistent(published)


def test_a_worker_process_killed_fails_its_notebooks_and_the_build_ends(base, published):
    """A pool worker itself dying (not a kernel) breaks the pool: the notebooks it and the other worker were
    running, and every one still waiting, are reported failed, and the build ends (before: the notebooks still
    waiting were never run nor reported)."""
    import threading

    import psutil

    jobs = [b.job_for("partnership", p) for p in ("Fife", "Moray", "Highland", "Falkirk", "Angus", "Orkney")]
    killed = []

    def kill_a_worker():
        # the pool's workers are the children of the forkserver, a child of this process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for child in psutil.Process().children():
                with contextlib.suppress(psutil.Error):
                    if "forkserver" in " ".join(child.cmdline()) and len(child.children()) >= 2:
                        time.sleep(1.0)
                        victim = child.children()[0]
                        victim.kill()
                        killed.append(victim.pid)
                        return
            time.sleep(0.05)

    def hung(*_):
        raise TimeoutError("the build still waits, 240 s after a worker process was killed")

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(240)
    try:
        killer.start()
        summary = b.build(jobs, out_dir=published, n_jobs=2, progress=lambda s: None, data_dir=base["data"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    killer.join(5)
    assert killed, "no worker process found to kill"
    # every notebook is accounted for (before: those still waiting were left out of the summary, unreported)
    assert sorted(summary.results) == sorted(j.id for j in jobs), summary.results
    assert summary.failed, summary.results
    assert all("BrokenProcessPool" in summary.results[j]["error"] for j in summary.failed), summary.results
    assert {j for j, r in summary.results.items() if r["status"] != "skipped"} == set(summary.failed)
    _assert_consistent(published)


def test_a_full_disk_while_computing_inputs_stops_with_a_message(base, published, monkeypatch):
    import pathlib

    before = _published(published)
    shutil.rmtree(published / ".cache")  # the results must be computed and written
    real = pathlib.Path.write_text

    def full(self, text, *args, **kwargs):
        if self.name.endswith(".tmp") and "results" in self.parts:
            real(self, text[:100], *args, **kwargs)  # part written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", full)
    with pytest.raises(b.BuildError, match="No space left on device.*Free some space"):
        b.build(_jobs(), out_dir=published, force=True, progress=lambda s: None, data_dir=base["data"])
    monkeypatch.undo()
    assert _published(published) == before
    _assert_consistent(published)


def test_a_write_failing_mid_install_puts_the_previous_files_back(base, published, tmp_path, monkeypatch):
    before = _published(published)
    # a harmless extra cell, so the new notebook and page differ from the published ones
    templates = _faulty_templates(tmp_path, "print('a different notebook')")
    real_replace = os.replace
    calls = {"notebook moved": False}

    def full_disk(src, dst, *args, **kwargs):
        # the notebook and page are already moved when the first table fails
        if "/.staging/" in str(src) and str(src).endswith("notebook.ipynb"):
            calls["notebook moved"] = True
        if "/.staging/" in str(src) and "/out/tables/" in str(src):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=published, force=True, progress=lambda s: None,
                      data_dir=base["data"], templates=templates)
    monkeypatch.undo()
    assert calls["notebook moved"]
    assert summary.failed == ["partnership/angus"]
    assert "No space left on device" in summary.results["partnership/angus"]["error"]
    assert _published(published) == before
    _assert_consistent(published)
    again = b.build(_jobs(), out_dir=published, force=True, progress=lambda s: None, data_dir=base["data"])
    assert again.failed == [] and again.count("done") == 2
    _assert_consistent(published)


def test_a_manifest_write_failing_rolls_the_job_back(base, published, monkeypatch):
    before = _published(published)
    real = os.replace

    def failing(src, dst, *args, **kwargs):  # one file operation fails: renaming a new manifest into place
        if os.path.basename(dst) == "manifest.json":
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="Input/output error"):  # the build's final manifest write fails too
        b.build([b.job_for("partnership", "Orkney")], out_dir=published, force=True, progress=lambda s: None,
                data_dir=base["data"])
    monkeypatch.undo()
    assert _published(published) == before
    _assert_consistent(published)


def test_data_changed_during_the_build_fails_it(base, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(base["data"], data)
    target = data / "record/sources.csv"

    def meddle(line):
        if "done" in line and target.read_text().endswith("\n"):
            target.write_text(target.read_text() + "\n")

    with pytest.raises(b.BuildError, match="data/ changed during the build"):
        b.build([b.job_for("partnership", "Angus")], out_dir=tmp_path / "reports", progress=meddle, data_dir=data,
                force=True)


def test_the_build_never_writes_into_data(base):
    # the module build ran on base["data"]: byte-identical to the repository's data/
    assert _published(base["data"]) == _published(ROOT / "data")


def test_interrupt_then_resume(base, tmp_path):
    out = tmp_path / "reports"
    jobs = ", ".join(f"job_for({k!r}, {n!r})" for k, n in
                     [("partnership", "Angus"), ("partnership", "Orkney"), ("partnership", "Moray"),
                      ("partnership", "Fife"), ("partnership", "Falkirk"), ("partnership", "Dundee")])
    script = (f"import sys\nfrom analysis.pipeline.build import build, job_for\nfrom analysis.cli import _report\n"
              f"sys.exit(_report(build([{jobs}], out_dir={str(out)!r}, n_jobs=1, data_dir={str(base['data'])!r})))")
    proc = subprocess.Popen([sys.executable, "-u", "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=ROOT)
    for line in proc.stdout:
        if " done " in line:
            break
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the build did not stop within 60 s of SIGINT")
    assert proc.returncode != 0
    _assert_consistent(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert 1 <= len(manifest["jobs"]) < 6
    done_before = set(manifest["jobs"])
    summary = b.build([b.job_for("partnership", n) for n in ("Angus", "Orkney", "Moray", "Fife", "Falkirk", "Dundee")],
                      out_dir=out, progress=lambda s: None, data_dir=base["data"])
    assert summary.failed == []
    assert {j for j, r in summary.results.items() if r["status"] == "skipped"} == done_before
    _assert_consistent(out)


def test_ctrl_c_in_the_command_exits_130_with_a_message(monkeypatch, capsys, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(b, "build", interrupted)
    assert main(["build", "--out", str(tmp_path / "r")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_a_signal_during_an_install_waits_for_its_manifest():
    # before: Ctrl-C landing just after manifest.json was replaced undid the files it listed
    # (test_interrupt_then_resume caught it now and then); the signal is now acted on after the commit
    done = []
    with pytest.raises(KeyboardInterrupt), b._signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here if it is not held
        done.append("committed")
    assert done == ["committed"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_what_a_kernel_writes_to_stderr_never_reaches_a_page(base, published, tmp_path):
    """A library's warning (here one that names a machine path, as matplotlib's does with a home that cannot be
    written) is taken out of the notebook and its page and reported in the terminal instead."""
    noise = "Matplotlib created a temporary cache directory at /tmp/matplotlib-x1y2"
    templates = _faulty_templates(tmp_path, f"import sys\nprint({noise!r}, file=sys.stderr)")
    lines = []
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=published, progress=lines.append,
                      data_dir=base["data"], templates=templates)
    assert summary.failed == []
    nb = nbformat.read(published / "notebooks/partnership/angus.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if noise in json.dumps(o)]  # the cell stays
    assert noise not in (published / "html/partnership/angus.html").read_text()  # pages show no code
    assert any("warning: partnership/angus" in line and noise in line for line in lines)
    _assert_consistent(published)


def test_kernels_have_a_private_matplotlib_folder_even_when_home_cannot_be_written(base, published, tmp_path,
                                                                                  monkeypatch):
    """With a home that cannot be made (under /proc: not even root can) and no MPLCONFIGDIR, the kernels still
    get a writable configuration folder, the output folder's cache, and matplotlib warns of nothing."""
    monkeypatch.setenv("HOME", "/proc/no-such-home")
    for name in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    templates = _faulty_templates(tmp_path, "import matplotlib\nprint('configdir', matplotlib.get_configdir())")
    lines = []
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=published, progress=lines.append,
                      data_dir=base["data"], templates=templates)
    assert summary.failed == [] and not any("warning:" in line for line in lines), lines
    shown = (published / "notebooks/partnership/angus.ipynb").read_text()
    assert f"configdir {published / '.cache' / 'matplotlib'}" in shown


def test_a_template_saved_from_jupyterlab_changes_nothing_published(base, published, tmp_path):
    """JupyterLab stores outputs, execution counts and the kernel's language details on Ctrl+S; a template saved
    that way with no edit keeps every notebook's key (a rebuild skips) and, forced, publishes the same files."""
    folder = tmp_path / "templates"
    shutil.copytree(config.NOTEBOOKS_DIR, folder)
    path = folder / "partnership.ipynb"
    nb = nbformat.read(path, as_version=4)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="an experiment's output\n")]
        cell.metadata["scrolled"] = True
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                                    "file_extension": ".py", "codemirror_mode": {"name": "ipython", "version": 3}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)
    assert path.read_bytes() != (config.NOTEBOOKS_DIR / "partnership.ipynb").read_bytes()
    before = _published(published)
    again = b.build(_jobs(), out_dir=published, progress=lambda s: None, data_dir=base["data"], templates=folder)
    assert again.failed == [] and again.count("skipped") == 2  # the same keys
    forced = b.build(_jobs(), out_dir=published, force=True, progress=lambda s: None, data_dir=base["data"],
                     templates=folder)
    assert forced.failed == [] and forced.count("done") == 2
    assert _published(published) == before  # the same notebooks, pages, tables and figures
    assert "an experiment's output" not in (published / "notebooks/partnership/angus.ipynb").read_text()


# -- a full disk while the build finishes ----------------------------------------------------------------------------
#: What the build writes as it finishes (the folder of two partnerships has no spreadsheet of the review's tables).
SITE_FILES = ("index.html", "quality.html", "accessibility.html", "revisions.html", "tables/datapackage.json")


@pytest.mark.parametrize("full_at", ["datapackage.json", "quality.html", "revisions.html"])
def test_a_full_disk_while_finishing_is_a_message_and_changes_nothing(base, published, monkeypatch, capsys,
                                                                     full_at):
    """The data dictionary, the spreadsheets and the site's pages are installed together with the manifest: a
    disk that fills while one of them is written (the first, one in the middle, the last) leaves every one as it
    was, listed in the manifest with its hash, and the command says the disk is full (exit 2, no traceback)."""
    from analysis import files
    from analysis.pipeline import site

    before = _published(published)
    real_write, real_index = files.write_atomic, site.index_html

    def full(path, content, per_process=False):
        if Path(path).name == full_at:  # part written, then the disk is full
            with files.atomic_path(path, per_process) as tmp:
                tmp.write_bytes((content if isinstance(content, bytes) else content.encode())[:100])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        return real_write(path, content, per_process)

    monkeypatch.setattr(files, "write_atomic", full)
    # a landing page that differs from the published one, so one written too early would show
    monkeypatch.setattr(site, "index_html", lambda *a, **k: real_index(*a, **k) + "<!-- new -->")
    code = main(["run", "--partnership", "Angus", "--data", str(base["data"]), "--out", str(published)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2, err
    assert "the disk is full (No space left on device" in err and "Free some space" in err
    assert "Traceback" not in err and "bug" not in err
    assert {p: before[p] for p in SITE_FILES} == {p: _published(published)[p] for p in SITE_FILES}
    assert _published(published) == before
    _assert_consistent(published)


def test_a_notebook_failing_on_a_full_disk_says_so(base, published, tmp_path):
    before = _published(published)
    templates = _faulty_templates(tmp_path, "import errno, os\n"
                                            "raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), 'tables/x.csv')")
    summary = b.build([b.job_for("partnership", "Angus")], out_dir=published, progress=lambda s: None,
                      data_dir=base["data"], templates=templates)
    assert summary.failed == ["partnership/angus"]
    error = summary.results["partnership/angus"]["error"]
    assert error.startswith("the disk is full: OSError: [Errno 28] No space left on device")
    assert "Free some space" in error
    assert _published(published) == before
    _assert_consistent(published)


# -- --force recomputes the results --------------------------------------------------------------------------------
def _value_sha256(value) -> str:
    """The digest an entry carries of its value: SHA-256 of its JSON with sorted keys and no spaces (the
    format's documented canonical form, written out here rather than taken from the cache module)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_force_recomputes_results_rather_than_trusting_the_cache(base, published, capsys):
    """A cache entry whose value was edited and whose digest was recomputed to match passes every check on
    read; only recomputing catches it. ``review run --force`` recomputes every result the notebook shows,
    so the page and its tables are the record's, and the entry is rewritten."""
    index = json.loads((published / ".cache/results.json").read_text())
    entries = [published / ".cache/results" / f"{k}.json" for k in index["jobs"]["partnership/angus"]["entries"]]
    path = next(p for p in entries if json.loads(p.read_text())["function"].endswith(".partnership_grades"))
    doc = json.loads(path.read_text())
    original = json.loads(json.dumps(doc["value"]))
    frame = doc["value"]["frame"]
    column = dict(zip(frame["columns"], frame["data"]))
    row = column["status"]["values"].index("open")  # a grade the record leaves open ...
    column["grade"]["values"][row] = "Excellent"  # ... shown as stated: Excellent, with no source
    column["status"]["values"][row] = "stated"
    doc["value_sha256"] = _value_sha256(doc["value"])
    path.write_text(json.dumps(doc))
    before = _published(published)
    code = main(["run", "--partnership", "Angus", "--force", "--data", str(base["data"]), "--out", str(published)])
    assert code == 0, capsys.readouterr().err
    assert _published(published) == before  # the tables and page show the record's grades, as before
    assert json.loads(path.read_text())["value"] == original  # the entry was computed again and rewritten
    _assert_consistent(published)


# -- a partial run keeps the landing page's findings -----------------------------------------------------------------
@pytest.fixture(scope="module")
def programme_out(tmp_path_factory):
    """The small programme (tests/programme.py) with its national review and two partnerships built."""
    from programme import make_programme

    from analysis.domain.package import use

    root = tmp_path_factory.mktemp("partial")
    data = make_programme(root / "data")
    use(data)
    try:
        jobs = [b.job_for("review"), b.job_for("partnership", "Sark"), b.job_for("partnership", "Herm")]
        out = root / "reports"
        assert b.build(jobs, out_dir=out, data_dir=data, progress=lambda s: None).failed == []
        yield {"data": data, "out": out}
    finally:
        use(None)


@pytest.mark.parametrize("lost", [".cache", ".cache and index.html"])
def test_a_partial_run_keeps_the_landing_pages_findings(programme_out, tmp_path, capsys, lost):
    """After the results cache is deleted (and the landing page, as in a fresh clone, where it is not committed),
    a run of one partnership, which computes nothing of the national review, writes the same landing page: its
    headline findings are those the installed national notebook shows, read back from it."""
    out = tmp_path / "reports"
    shutil.copytree(programme_out["out"], out)
    page = (out / "index.html").read_bytes()
    assert b"Headline findings" in page and page.count(b"<li>") > 3
    shutil.rmtree(out / ".cache")
    if "index.html" in lost:
        (out / "index.html").unlink()
    code = main(["run", "--partnership", "Sark", "--data", str(programme_out["data"]), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert (out / "index.html").read_bytes() == page
    _assert_consistent(out)
