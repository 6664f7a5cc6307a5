"""A build killed outright (SIGKILL: no handler runs) leaves nothing behind.

Its processes end with it: the zygote, the workers, the kernels' proxies and the kernels, within seconds,
whatever it was doing (computing results, running a notebook, installing a notebook's outputs, writing the
manifest, installing the site's pages). What it cannot clear (its temporary folders, staging, half-written
files, an install it did not finish) the next build clears, and nothing published is lost: every output is
back as the manifest lists it. The killed builds run in a subprocess and are paused at the stage (a hook in
the subprocess's script, or a notebook cell that waits), then killed from here with SIGKILL, as ``kill -9``
would; the small second programme (tests/programme.py) keeps them quick.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell
from programme import make_programme

from analysis import config
from analysis.pipeline import build as b
from analysis.pipeline import leftovers

from conftest import ROOT


# -- the temporary folders ----------------------------------------------------------------------------------------
def _dead_pid() -> int:
    """A process id that is no process now: a child that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not psutil.pid_exists(child.pid)
    return child.pid


def test_only_the_packages_folders_whose_owner_has_ended_are_swept(tmp_path):
    dead = tmp_path / "rb-dead"
    alive = tmp_path / "rz-alive"
    reused = tmp_path / "rb-reused"  # the owner's id now belongs to another process (this one): it has ended
    unowned = tmp_path / "rb-unowned"  # no owner file: another program's, or one being made
    other = tmp_path / "other-dead"  # not one of the package's prefixes
    for folder in (dead, alive, reused, unowned, other):
        folder.mkdir()
        (folder / "zygote.sock").write_text("")
    (dead / leftovers.OWNER).write_text(json.dumps({"pid": _dead_pid(), "start": "1"}))
    leftovers.claim(alive)  # this process
    (reused / leftovers.OWNER).write_text(json.dumps({"pid": os.getpid(), "start": "1"}))  # started at tick 1: not us
    (other / leftovers.OWNER).write_text(json.dumps({"pid": _dead_pid(), "start": "1"}))
    (tmp_path / "rb-link").symlink_to(dead, target_is_directory=True)  # a link is never followed
    removed = leftovers.sweep_temporary([str(tmp_path)])
    assert sorted(p.name for p in removed) == ["rb-dead", "rb-reused"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-dead", "rb-link", "rb-unowned", "rz-alive"]


def test_a_planted_owner_file_is_not_trusted(tmp_path):
    # not JSON, a FIFO, a pid that is not a number: the folder is not known to be the package's, and stays
    for n, content in enumerate(["not json", json.dumps({"pid": "x"}), json.dumps([1])]):
        folder = tmp_path / f"rb-{n}"
        folder.mkdir()
        (folder / leftovers.OWNER).write_text(content)
    fifo = tmp_path / "rz-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / leftovers.OWNER)
    assert leftovers.sweep_temporary([str(tmp_path)]) == []
    assert len(list(tmp_path.iterdir())) == 4


# -- the output folder ----------------------------------------------------------------------------------------------
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _out_with_manifest(tmp_path) -> Path:
    """An output folder with two published tables listed in its manifest."""
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "a.csv").write_text("x\n1\n")
    (out / "tables" / "gone.csv").write_text("y\n2\n")
    outputs = [{"path": p, "sha256": _sha(out / p), "kind": "table"} for p in ("tables/a.csv", "tables/gone.csv")]
    (out / "manifest.json").write_text(json.dumps({"jobs": {}, "outputs": outputs}))
    return out


def _killed_mid_install(out: Path, staging: Path, commit_first: bool) -> None:
    """Run an install in a forked child that dies (os._exit: no handler, no rollback) just before, or just
    after, its manifest write: a replaced table, a new one and a deleted one."""
    (staging / "files").mkdir(parents=True)
    (staging / "files" / "a.csv").write_text("x\n99\n")
    (staging / "files" / "new.csv").write_text("z\n3\n")
    moves = [(staging / "files" / "a.csv", "tables/a.csv"), (staging / "files" / "new.csv", "tables/new.csv")]

    def commit():
        if commit_first:  # what the manifest write does: list the new files
            outputs = [{"path": p, "sha256": _sha(out / p), "kind": "table"}
                       for p in ("tables/a.csv", "tables/new.csv")]
            (out / "manifest.json").write_text(json.dumps({"jobs": {}, "outputs": outputs}))
        os._exit(0)

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            b._swap(out, staging, moves, ["tables/gone.csv"], commit)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_install_killed_before_its_manifest_is_undone_by_the_next_build(tmp_path):
    out = _out_with_manifest(tmp_path)
    before = {p: _sha(out / p) for p in ("tables/a.csv", "tables/gone.csv", "manifest.json")}
    staging = out / ".staging" / str(_dead_pid()) / "partnership-x"
    _killed_mid_install(out, staging, commit_first=False)
    # the dead install replaced a.csv, created new.csv and deleted gone.csv; the manifest still lists the old
    assert (out / "tables/a.csv").read_text() == "x\n99\n" and (out / "tables/new.csv").exists()
    assert not (out / "tables/gone.csv").exists()
    (out / ".cache").mkdir()
    (out / ".cache" / ".results.json.tmp").write_text('{"key": "half')  # the results index, half-written
    (out / ".cache" / f".k.json.{_dead_pid()}.tmp").write_text("{")  # a cache entry of a dead kernel
    (out / ".cache" / f".k.json.{os.getpid()}.tmp").write_text("{")  # a live process's: being written
    manifest = json.loads((out / "manifest.json").read_text())
    leftovers.sweep_out_dir(out, manifest)
    assert {p: _sha(out / p) for p in before} == before  # every published file as the manifest lists it
    assert not (out / "tables/new.csv").exists()  # created by the install the manifest does not record
    assert not (out / ".staging").exists()
    assert sorted(p.name for p in (out / ".cache").iterdir()) == [f".k.json.{os.getpid()}.tmp"]


def test_an_install_killed_after_its_manifest_is_kept(tmp_path):
    out = _out_with_manifest(tmp_path)
    staging = out / ".staging" / str(_dead_pid()) / "partnership-x"
    _killed_mid_install(out, staging, commit_first=True)
    manifest = json.loads((out / "manifest.json").read_text())
    leftovers.sweep_out_dir(out, manifest)
    # the manifest records the new files: they are what is published; the old copies are dropped
    assert (out / "tables/a.csv").read_text() == "x\n99\n" and (out / "tables/new.csv").read_text() == "z\n3\n"
    assert not (out / "tables/gone.csv").exists() and not (out / ".staging").exists()


# -- a build killed at each stage -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    """The small programme's data package and its outputs, built once."""
    from analysis.domain.package import use

    root = tmp_path_factory.mktemp("killed")
    data = make_programme(root / "data")
    out = root / "reports"
    try:
        assert b.build(out_dir=out, data_dir=data, n_jobs=2, progress=lambda s: None).failed == []
        yield {"root": root, "data": data, "out": out}
    finally:
        use(None)  # the other tests read data/


def _published(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): _sha(p) for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def _assert_consistent(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    for item in manifest["outputs"]:
        assert _sha(out / item["path"]) == item["sha256"], item["path"]
    assert not (out / ".staging").exists()
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []


#: The killed build's script: it runs the build with templates that differ from the published ones (so an
#: install it began would change published files) and waits at its stage, saying so in ``marker``.
SCRIPT = """
import os, sys, time
from pathlib import Path

stage, out, data, templates, marker = sys.argv[1:6]
from analysis.pipeline import build as b


def wait_here():
    Path(marker).write_text(stage)
    while True:
        time.sleep(1)


if stage == "computing":  # the results of the first partnership
    from analysis.report import shown

    real_shown = shown.shown_values

    def shown_values(page, template):
        if Path(template).stem == "partnership":
            wait_here()
        return real_shown(page, template)

    shown.shown_values = shown_values
elif stage in ("install", "manifest", "site"):
    real_replace = os.replace
    moved = []

    def replace(src, dst, *args, **kwargs):
        src, dst = str(src), str(dst)
        if stage == "install" and "/.staging/" in src and "/out/tables/" in src:
            wait_here()  # the notebook and its page are in place, its tables not yet
        if stage == "manifest" and moved and os.path.basename(dst) == "manifest.json":
            wait_here()  # a notebook's files are in place, the manifest listing them not yet
        if stage == "site" and "/site/files/revisions.html" in src:
            wait_here()  # the data dictionary, the spreadsheets and the index page are in place, the rest not
        if "/.staging/" in src:
            moved.append(dst)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
    if stage == "site":  # a landing page that differs from the published one
        from analysis.pipeline import site

        real_index = site.index_html
        site.index_html = lambda *a, **k: real_index(*a, **k) + "<!-- from the killed build -->"
# computing: every result afresh (--force); otherwise only the notebooks whose template changed run
b.build(out_dir=out, data_dir=data, templates=templates, n_jobs=2, force=stage == "computing", progress=print)
print("finished without being killed")
"""


def _templates(tmp_path: Path, marker: Path, stage: str) -> Path:
    """The templates with one cell added to the partnership notebook: a line of output (so its notebook and
    page differ from the published ones), and, for the ``notebook`` stage, a wait in Sark's kernel. At the
    ``site`` stage the templates are the published ones (no notebook runs: the site's pages are rewritten)."""
    folder = tmp_path / "templates"
    shutil.copytree(config.NOTEBOOKS_DIR, folder)
    if stage == "site":
        return folder
    path = folder / "partnership.ipynb"
    nb = nbformat.read(path, as_version=4)
    source = "print('built by the killed build')"
    if stage == "notebook":
        source += (f"\nimport pathlib, time\nif partnership == 'Sark':\n    pathlib.Path({str(marker)!r})"
                   f".write_text('notebook')\n    time.sleep(600)")
    nb.cells.insert(3, new_code_cell(source))
    nbformat.write(nb, path)
    return folder


def _ours(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _owned_by(pid: int) -> list[Path]:
    """The package's temporary folders whose owner file names ``pid``."""
    found = []
    for parent in {leftovers.temp_parent(), tempfile.gettempdir()}:
        for folder in Path(parent).glob("r[bz]-*"):
            try:
                if json.loads((folder / leftovers.OWNER).read_text())["pid"] == pid:
                    found.append(folder)
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return found


@pytest.mark.parametrize("stage", ["computing", "notebook", "install", "manifest", "site"])
def test_a_build_killed_outright_leaves_nothing_behind(programme, tmp_path, stage):
    out = tmp_path / "reports"
    shutil.copytree(programme["out"], out)
    before = _published(out)
    marker = tmp_path / "marker"
    script = tmp_path / "killed.py"
    script.write_text(SCRIPT)
    templates = _templates(tmp_path, marker, stage)
    log = open(tmp_path / "killed.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, str(script), stage, str(out), str(programme["data"]), str(templates),
                             str(marker)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    build = psutil.Process(proc.pid)
    snapshot: list[psutil.Process] = []
    try:
        while not marker.exists():  # the build reaches its stage
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-3000:]
            time.sleep(0.1)
        snapshot = build.children(recursive=True)
        names = [" ".join(p.cmdline()) for p in snapshot if _ours(p)]
        if stage != "site":  # the build's processes are up (at the site stage no notebook ran: none started)
            assert any("multiprocessing.forkserver" in n for n in names), names
            assert any("analysis.pipeline.zygote serve" in n for n in names), names
        if stage == "notebook":
            assert any("zygote.py proxy" in n for n in names), names  # and a kernel is running
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # no process of the build is left: each notices its parent is gone (the test waits at most 30 s)
        deadline = time.monotonic() + 30
        while [p for p in snapshot if _ours(p)] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [" ".join(p.cmdline()) for p in snapshot if _ours(p)] == []
    finally:
        log.close()
        for p in [build, *snapshot]:  # a failed test must not leave this test's processes running
            if _ours(p):
                p.kill()
    dead_folders = _owned_by(proc.pid)
    assert dead_folders or stage == "site"  # the kernels' socket folder (the zygote removed its own as it ended)
    # the notebooks the killed build finished and recorded before it was killed (only while a later notebook
    # ran: an install or manifest write it was killed in is not recorded)
    keys = {j: e["key"] for j, e in json.loads((programme["out"] / "manifest.json").read_text())["jobs"].items()}
    recorded = {j for j, e in json.loads((out / "manifest.json").read_text())["jobs"].items() if e["key"] != keys[j]}
    assert bool(recorded) == (stage == "notebook"), recorded
    # the next build (an ordinary one, from the published templates) clears what the dead one left and finds
    # every other published output as the manifest lists it: it rebuilds only those notebooks
    summary = b.build(out_dir=out, data_dir=programme["data"], progress=lambda s: None)
    assert summary.failed == [] and summary.count("skipped") == 10 - len(recorded)
    _assert_consistent(out)
    assert _published(out) == before  # nothing published was lost
    assert [f for f in dead_folders if f.exists()] == [] and _owned_by(proc.pid) == []
