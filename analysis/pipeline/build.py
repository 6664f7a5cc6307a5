"""The build: the plan of notebooks, their parameters, the cache, the process pool and the manifest.

``build()`` executes the national review, the three period groups, the 32 partnerships and the
statements notebook into ``reports/`` (or ``out_dir``):

- ``notebooks/<kind>/<slug>.ipynb`` (executed) and ``html/<kind>/<slug>.html``;
- ``tables/*.csv`` and ``figures/*`` for the national and statements notebooks,
  ``tables/<kind>/<slug>/`` and ``figures/<kind>/<slug>/`` for period groups and partnerships;
- ``index.html`` and ``manifest.json`` (every output with its SHA-256, each notebook's parameters
  and cache key, the data basis with the data files' hashes, package versions, git commit).

The stages are functions over one frozen :class:`BuildContext` (what the build is) and a
:class:`BuildState` (what it changes as it goes: the manifest, the results index):
:func:`prepare` (the folder under its lock, its manifest, the fingerprints, the grade table's copy,
the caches; the plan and the validation of the output folder and grade table come before, in
:func:`build`), then per notebook :func:`compute` (its results through the results cache,
:class:`analysis.record.cache.ResultsCache`, in an order that lets notebooks start while the rest are
computed) and :func:`plan_job` (its parameters checked against its template, its key, skip?),
**execute** (:class:`_Scheduler`: every notebook in its own fresh kernel, a new process over IPC, on
a bounded pool of worker processes, slowest first), :func:`install` (a finished notebook's files
moved into place with the manifest, all or nothing, inside the output folder) and :func:`finish`
(the index page, the data dictionary and the manifest). A test calls them one by one.

A notebook is skipped when its cache key (template, parameters, the digest of the results it shows,
the ``analysis`` code, the environment) matches its last successful run and its outputs are intact.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from analysis import __released__, __version__, config
from analysis.config import default_out_dir
from analysis.domain.load import basis_of
from analysis.errors import DISK_FULL, BuildError, DiskFull, ReviewError
from analysis.files import write_atomic
from analysis.fingerprints import code_digest
from analysis.fingerprints import digest as _digest
from analysis.fingerprints import sha256_file as _sha256
from analysis.pipeline.leftovers import sweep_out_dir, sweep_temporary
from analysis.pipeline.outdir import check_out_dir, contained, inside, load_manifest, locked
from analysis.pipeline.provenance import environment, git_commit
from analysis.record.cache import ResultsCache, source_key_of
from analysis.report.kinds import KINDS, Job, job_for, order_key, plan

__all__ = ["Job", "plan", "job_for", "build", "BuildSummary", "BuildContext", "BuildState", "prepare", "compute",
           "plan_job", "install", "finish", "environment", "code_digest", "BuildError", "Interrupted",
           "template_parameters", "template_bytes", "template_digest", "parameters_for", "watching",
           "BuildProgress", "HEARTBEAT", "ANNOUNCE", "WIDTH"]

# -- parameters ----------------------------------------------------------------------------------------------
def template_bytes(path: Path | str) -> bytes:
    """A template as the build runs and fingerprints it: without what JupyterLab stores when it is saved
    (outputs, execution counts, cell metadata but tags, widget state, the kernel's language details). A
    save without edits then changes neither a notebook's key nor anything it publishes; a clean template
    (as committed: ``tools/check_templates.py``) is its own bytes.

    Parameters
    ----------
    path : str or Path
        A template (``notebooks/<kind>.ipynb``).

    Returns
    -------
    bytes
        The template's cells and kernel, written as nbformat writes a notebook.

    Examples
    --------
    >>> from analysis import config
    >>> path = config.NOTEBOOKS_DIR / "partnership.ipynb"
    >>> template_bytes(path) == path.read_bytes()
    True
    """
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
    meta = nb.metadata
    kept = {key: meta[key] for key in ("kernelspec", "title") if key in meta}
    if "language_info" in meta:
        kept["language_info"] = {"name": meta["language_info"].get("name", "python")}
    nb.metadata = nbformat.NotebookNode(kept)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def template_digest(path: Path | str) -> str:
    """SHA-256 of :func:`template_bytes`: the template's fingerprint in a notebook's key and the manifest.

    Parameters
    ----------
    path : str or Path
        A template.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> from analysis import config
    >>> len(template_digest(config.NOTEBOOKS_DIR / "review.ipynb"))
    64
    """
    import hashlib

    return hashlib.sha256(template_bytes(path)).hexdigest()


def template_parameters(path: Path | str) -> dict:
    """The parameters the template at ``path`` declares in its ``parameters`` cell: name -> inferred
    type, parsed by papermill's public ``inspect_notebook`` (no kernel). A build keeps the results in
    ``.cache/templates.json``, keyed by the template's SHA-256, so a no-change rebuild skips papermill."""
    from papermill import inspect_notebook

    return {name: p["inferred_type_name"] for name, p in inspect_notebook(str(path)).items()}


def parameters_for(job: Job, declared: dict, grades: str = "", cache: str = "", output_dir: str = "",
                   data: str = "") -> dict:
    """The papermill parameters of a job, checked against ``declared`` (its template's parameters,
    :func:`template_parameters`): only declared names, strings where the template declares a string."""
    params = {"grades": grades, "cache": cache, "output_dir": output_dir, "data": data}
    subject_param = KINDS[job.kind].subject
    if subject_param:
        params[subject_param] = job.subject
    template = f"{job.kind}.ipynb"
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise BuildError(f"{template}: parameters {', '.join(unknown)} are not in its parameters cell "
                         f"(declared: {', '.join(declared)})")
    for name, value in params.items():
        if declared[name] == "str" and not isinstance(value, str):
            raise BuildError(f"parameter {name} of {template} must be a string, not {value!r}")
    return params


# -- the build -------------------------------------------------------------------------------------------------
@dataclass
class BuildSummary:
    """Per job: 'done', 'skipped' or 'failed', with seconds; failures with cell and exception."""

    results: dict = field(default_factory=dict)
    seconds: float = 0.0
    manifest: Path | None = None

    @property
    def failed(self) -> list[str]:
        return [j for j, r in self.results.items() if r["status"] == "failed"]

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results.values())


def _run_job(job: Job, template: str, out_dir: str, params: dict, staging: str, kernel_cmd: list | None,
             timeout: float, ipc_parent: str, title: str) -> dict:
    """In a worker process: run one notebook into its staging folder and export its page (titled
    ``title``, named by the build, which has the data package's domain; the worker reads no data)."""
    from analysis.pipeline.execute import export_html, kernel_env, run_notebook

    staging_dir = Path(staging)
    staging_dir.mkdir(parents=True, exist_ok=True)
    executed = staging_dir / "notebook.ipynb"
    clean = staging_dir / "template.ipynb"  # what JupyterLab stores on a save is not run, nor published
    clean.write_bytes(template_bytes(template))
    # the kernel starts where the executed notebook will live, so its relative paths (``cache``,
    # ``output_dir``, ``grades``) resolve the same when it is re-run there (nbval, JupyterLab)
    home = Path(out_dir) / Path(job.notebook_path).parent
    home.mkdir(parents=True, exist_ok=True)
    result = run_notebook(clean, executed, params, home, timeout=timeout, kernel_cmd=kernel_cmd,
                          ipc_parent=ipc_parent, env=kernel_env(out_dir))
    if result.status == "done":
        try:
            result.warnings = _normalise(executed)
            export_html(executed, staging_dir / "page.html", title)
        except Exception as exc:  # export failure fails the job, nothing is installed
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
    return asdict(result)


def _warm(what: str, grades_copy: str, grades_sha256: str | None, data_dir: str, results_dir: str,
          source_key: str, refresh: bool = False) -> list[str]:
    """In a worker process: compute long results (``what``: names joined by '+', in order) into the results
    cache (the same call, and so the same entry, as the templates make): ``trend_bounds`` (the national
    review's exact trend bounds), ``settle`` (what would settle each open verdict and the witness pairs of
    the reports that would not, for the national and statements pages) or ``fragility`` (how fragile each
    decided verdict is, for the statements page), from the build's copy of the grade table (checked to be
    the one validated), never the user's file. With ``refresh`` (``--force``) every result is computed again,
    not read from the cache. Returns the keys of the entries computed (the build reads them, even with
    ``refresh``)."""
    from analysis.domain.load import read_grade_table
    from analysis.record.cache import ResultsCache
    from analysis.report.page import PAGES
    from analysis.stats import fragility, settle, trend_bounds

    table = read_grade_table(grades_copy) if grades_copy else None
    if table is not None and table.sha256 != grades_sha256:
        raise BuildError(f"the build's copy of the grade table {grades_copy} changed while the build ran")
    page = PAGES["review"](None, grades=table, data_dir=data_dir)
    page.model.cache = store = ResultsCache(results_dir, source_key, refresh=refresh)
    for name in what.split("+"):  # a chain, in order: a later one reads what an earlier one cached
        if name == "trend_bounds":
            trend_bounds.trend_bounds(page.model)
        elif name == "fragility":
            fragility.fragility(page.record, page.model)
        else:
            settle.what_would_settle(page.record, page.model)
            settle.settle_witnesses(page.record, page.model)
    return sorted(store.fresh)


def _normalise(executed: Path) -> list[str]:
    """Drop wall-clock noise from an executed notebook: timings papermill and nbclient record, and the
    random id papermill gives the injected-parameters cell (it becomes ``injected-parameters``); the
    kernel's Python patch version (the manifest's environment records it), so a notebook's bytes do not
    depend on which Python 3.11 a machine has; and empty its ``output_dir``, so re-running the
    installed notebook writes nothing. What the kernel wrote to standard error (a library's warning,
    which may name a path of the machine) is taken out, never published: returned, for the terminal."""
    import re

    import nbformat

    nb = nbformat.read(executed, as_version=4)
    stderr: list[str] = []
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm.pop(key, None)
    if "output_dir" in pm.get("parameters", {}):
        pm["parameters"]["output_dir"] = ""  # as in the injected cell below (the staging folder was per process)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
            # the build wrote this notebook's tables and figures through a staging folder; re-run
            # where it is installed (nbval in `make test`, JupyterLab), it shows them and writes nothing
            cell.source = re.sub(r'^output_dir = ".*"$', 'output_dir = ""  # set by the build: outputs are in '
                                 'tables/ and figures/; a re-run here only shows them', cell.source, flags=re.M)
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    stderr.append(str(out.get("text", "")).strip())
                else:
                    kept.append(out)
            cell["outputs"] = kept
        cell.metadata.pop("execution", None)
        cell_pm = cell.metadata.get("papermill", {})
        for key in ("start_time", "end_time", "duration"):
            cell_pm.pop(key, None)
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    nbformat.write(nb, executed)
    return [text for text in stderr if text]


def _outputs_intact(out_dir: Path, entry: dict) -> bool:
    for item in entry.get("outputs", []):
        path = out_dir / item["path"]
        if not path.is_file() or _sha256(path) != item["sha256"]:
            return False
    return bool(entry.get("outputs"))


def _install(job: Job, staging: Path, out_dir: Path, previous: dict, commit) -> list[dict]:
    """Move a successful job's files into place (each by rename), remove its stale outputs, then
    ``commit(outputs)`` (writes the manifest). All or nothing: if any step fails, the files it
    replaced are put back, so the folder still matches the manifest, and the error is raised."""
    moves = [(staging / "notebook.ipynb", job.notebook_path, "notebook"),
             (staging / "page.html", job.html_path, "html")]
    for what in ("tables", "figures"):
        folder = staging / "out" / what
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.is_file() and not f.name.startswith("."):
                    kind = "table" if what == "tables" else f"figure-{f.suffix.lstrip('.')}"
                    moves.append((f, f"{job.place(what)}/{f.name}", kind))
    for _, rel, _ in moves:  # a symlinked folder inside the output folder must not lead a write out of it
        contained(out_dir, out_dir / rel)
    outputs = [{"path": rel, "sha256": _sha256(src), "kind": kind} for src, rel, kind in moves]
    new = {o["path"] for o in outputs}
    stale = [item["path"] for item in previous.get("outputs", []) if item["path"] not in new]
    _swap(out_dir, staging, [(src, rel) for src, rel, _ in moves], stale, lambda: commit(outputs))
    return outputs


def _swap(out_dir: Path, staging: Path, moves: list, stale: list, commit) -> None:
    """Install files into ``out_dir`` all or nothing: ``moves`` (staged file, path relative to ``out_dir``)
    each renamed into place, ``stale`` paths deleted, then ``commit()`` (which writes the manifest). If any
    step fails, every file is put back as it was and the error is raised. The files replaced or deleted are
    kept meanwhile as hard links in ``staging/previous/``, and the files created are listed in a journal
    first, so that a build killed outright (SIGKILL) in the middle is undone by the next one
    (:func:`analysis.pipeline.leftovers.sweep_out_dir`)."""
    from analysis.pipeline.leftovers import write_journal

    backup = staging / "previous"
    undo = []  # (final path, its backup or None if it did not exist)
    targets = [rel for _, rel in moves] + stale
    try:
        write_journal(staging, [rel for _, rel in moves if not (out_dir / rel).exists()])
        for rel in targets:
            dest = out_dir / rel
            if dest.exists():
                keep = backup / rel
                keep.parent.mkdir(parents=True, exist_ok=True)
                os.link(dest, keep)  # a second name for the current file, restored on failure
                undo.append((dest, keep))
            else:
                undo.append((dest, None))
        for src, rel in moves:
            dest = out_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        for rel in stale:
            if inside(out_dir, rel):  # checked when the manifest was read; checked again before deleting
                (out_dir / rel).unlink(missing_ok=True)
        commit()
    except BaseException:
        for dest, keep in reversed(undo):
            if keep is not None:
                os.replace(keep, dest)
            else:
                dest.unlink(missing_ok=True)
        raise


@contextmanager
def _main_not_reimported():
    """Start processes (the forkserver, workers) without the caller's main module. multiprocessing
    re-imports ``__main__`` in each new process (from its ``__spec__`` or ``__file__``), so ``build()``
    called from a script without an ``if __name__ == "__main__":`` guard would run the script again in
    every worker (which then failed with BrokenProcessPool or a busy folder). The workers need nothing
    from it: they run :func:`_run_job`, from this module."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _watch_parent(lifeline) -> None:
    """In each worker (the pool's initializer): exit as soon as the build's process is gone, even when it was
    killed outright (SIGKILL). The build holds the only writing end of ``lifeline``, a pipe, so its end of
    file means the build has ended. (A worker's parent is multiprocessing's fork server, which itself lives
    on while workers hold its pipe: neither the worker's parent nor a parent-death signal would tell.) The
    notebook's proxy then sees its worker gone and stops its kernel (:mod:`analysis.pipeline.zygote`)."""

    def watch():
        with suppress(EOFError, OSError):
            while True:
                lifeline.recv_bytes()
        os._exit(1)

    threading.Thread(target=watch, name="review-lifeline", daemon=True).start()


def _start_pool(n_jobs: int | None, n: int, preload: bool, env: dict | None = None):
    """The worker pool (bounded by ``n_jobs``, default the core count) and, with ``preload``,
    the zygote its kernels are forked from (with ``env``, the kernels' variables); returns (pool, zygote,
    kernel command, number of workers, lifeline). The lifeline is the writing end of a pipe each worker
    watches (:func:`_watch_parent`): close it once the pool is shut down."""
    import multiprocessing

    from analysis.pipeline.zygote import Zygote

    workers = max(1, min(n_jobs or os.cpu_count() or 1, n))
    zygote = Zygote(env) if preload else None
    reader, lifeline = multiprocessing.Pipe(duplex=False)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_watch_parent, initargs=(reader,))
    with _main_not_reimported():  # every worker now, so none re-runs the caller's script
        for _ in range(workers):
            pool.submit(os.getpid)
    # no waiting here: a kernel's proxy waits for the zygote's socket (and starts an ordinary kernel
    # if it never appears), so the zygote's imports overlap with computing the next results
    return pool, zygote, zygote.kernel_cmd() if zygote is not None else None, workers, (reader, lifeline)


def _bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {done:>2}/{total}"


# -- the build on the terminal ---------------------------------------------------------------------------------
#: Seconds of silence after which the build says what it is still doing, and for how long.
HEARTBEAT = 5.0
#: Seconds after which a result still being computed is named (then timed when done). Quicker ones, such as the
#: few each partnership's notebook reads, are computed without a line each: the heartbeat names them if their
#: notebook's results together take long.
ANNOUNCE = 1.0
#: The columns every line the build prints fits in: a longer one is wrapped at its spaces (:func:`_fit`).
WIDTH = 80

#: The results the notebooks read (the library's cached functions, by name), and what the build computes in
#: its workers (:func:`_warm`), in plain words.
_RESULT_NAMES = {
    "grade_distribution": "grade distributions",
    "good_or_better": "good-or-better shares",
    "median_grade": "median grades",
    "partnership_grades": "a partnership's grades",
    "partnership_profile": "a partnership's profile",
    "partnership_ties": "a partnership's ranks and ties",
    "all_good_or_better": "areas good or better on every indicator",
    "evaluate_statements": "verdicts on the review's statements",
    "conflicts_table": "the record's conflicts",
    "evaluate_claims": "verdicts on the review's conclusions",
    "deciding_quantities": "what decides each reading of a conclusion",
    "trend_bounds": "trend bounds",
    "what_would_settle": "what would settle each verdict",
    "settle": "what would settle each verdict",
    "settle_witnesses": "reports that would not settle a verdict",
    "fragility": "how fragile each decided verdict is",
}


def _result_name(name: str) -> str:
    """A result's name in plain words (a chain computed in a worker, ``a+b``: "a, then b")."""
    return ", then ".join(_RESULT_NAMES.get(part, part.replace("_", " ")) for part in name.split("+"))


def _fit(text: str, width: int = WIDTH) -> str:
    """``text`` with each line longer than ``width`` columns wrapped at its spaces, its later lines two columns
    further in than its first; no word is cut (a path longer than the width stays whole, on a line of its own),
    nor a time from its unit ("12 s").

    Examples
    --------
    >>> print(_fit("[#---------]  4/37  done     partnership/dumfries-and-galloway  12.3 s", 50))
    [#---------]  4/37  done
      partnership/dumfries-and-galloway  12.3 s
    >>> print(_fit("worker: still computing trend bounds, then what would settle each verdict (552 s)"))
    worker: still computing trend bounds, then what would settle each verdict
      (552 s)
    >>> _fit("results: trend bounds, 4.1 s")
    'results: trend bounds, 4.1 s'
    """
    import re
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        kept = re.sub(r"(\d) s\b", "\\1\u00a0s", line.strip())  # a no-break space, which textwrap keeps
        out.append(textwrap.fill(kept, width, initial_indent=indent, subsequent_indent=indent + "  ",
                                 break_long_words=False, break_on_hyphens=False).replace("\u00a0", " "))
    return "\n".join(out)


class _Lines:
    """The progress callback the build prints through: one message at a time (it prints from more than one
    thread), each line within :data:`WIDTH` columns (:func:`_fit`); it remembers when it last printed."""

    def __init__(self, progress):
        self.progress, self.lock, self.last = progress, threading.Lock(), time.monotonic()

    def __call__(self, line: str) -> None:
        with self.lock:
            self.progress(_fit(line))
            self.last = time.monotonic()


def _lines(progress) -> _Lines:
    return progress if isinstance(progress, _Lines) else _Lines(progress)


@dataclass
class _Computing:
    """One thing the build is computing in this process: a result (named once it takes long), or a notebook's
    results as a whole (named only by the heartbeat)."""

    name: str
    started: float
    result: bool
    announced: bool = False


class BuildProgress:
    """What the build says on the terminal besides each notebook's line, so that it is never silent for longer
    than ``interval`` seconds:

    - a result computed in this process that takes longer than ``announce`` seconds, by name when it starts
      ("results: computing verdicts on the review's statements ...") and with its time when done ("results:
      verdicts on the review's statements, 41.2 s"); what a worker computes, when it starts and ends;
    - when nothing has been said for ``interval`` seconds, what is still going on and for how long: the result
      this process computes, else what the workers compute, else the notebooks running ("running:
      review/national (15 s); 2 of 37 left"), else what the build is doing (:meth:`doing`: "still writing the
      spreadsheets, 6 s so far").

    A thread of its own watches the clock; after :meth:`close` nothing more is said. Lines go to ``progress``,
    one whole message at a time and within :data:`WIDTH` columns, as the notebooks' lines do.

    Used through :func:`watching`, for the whole of :func:`build`.
    """

    def __init__(self, progress, interval: float | None = None, announce: float | None = None):
        self.progress = _lines(progress)
        self.interval = HEARTBEAT if interval is None else interval
        self.announce = ANNOUNCE if announce is None else announce
        self.lock = threading.RLock()
        self.stack: list[_Computing] = []  # in this process, outermost first
        self.workers: dict[str, float] = {}  # results computed in workers: name -> when it started
        self.notebooks: dict[str, float] = {}  # notebooks running in workers: id -> when it started
        self.left = None  # a function: (notebooks not yet finished, all of them)
        self.stage, self.since, self.detail = "", time.monotonic(), ""
        self.beats = 0  # heartbeats so far
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="review-progress", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Stop: the watching thread ends, and nothing more is said."""
        with self.lock:
            self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()

    def _say(self, line: str) -> None:
        with self.lock:
            if not self.stopped.is_set():
                self.progress(line)

    def doing(self, what: str, detail: str = "") -> None:
        """The build is now ``what`` ("writing the spreadsheets"), ``detail`` saying how far ("120 of 456"): the
        heartbeat names it when nothing else is going on, with the time since it began (the same ``what`` again
        keeps that time)."""
        with self.lock:
            if what != self.stage:
                self.stage, self.since = what, time.monotonic()
            self.detail = detail

    @contextmanager
    def step(self, name: str, result: bool = True):
        """Within the body, ``name`` is being computed in this process (a result, or with ``result`` False a
        notebook's results as a whole)."""
        frame = _Computing(name, time.monotonic(), result)
        with self.lock:
            self.stack.append(frame)
        self._announce(frame)
        done = False
        try:
            yield
            done = True
        finally:
            with self.lock:
                self.stack.remove(frame)
                if done and frame.announced:
                    self._say(f"results: {name}, {time.monotonic() - frame.started:.1f} s")

    def in_worker(self, name: str, future) -> None:
        """``name`` is being computed in a worker process, as ``future``."""
        started = time.monotonic()
        with self.lock:
            self.workers[name] = started
            self._say(f"worker: computing {name} ...")

        def finished(f):
            with self.lock:
                self.workers.pop(name, None)
                if not f.cancelled() and f.exception() is None:
                    self._say(f"worker: {name}, {time.monotonic() - started:.1f} s")

        future.add_done_callback(finished)

    def running(self, name: str, future) -> None:
        """The notebook ``name`` runs in a worker process, as ``future`` (its line comes when it is installed)."""
        with self.lock:
            self.notebooks[name] = time.monotonic()

        def ended(f):
            with self.lock:
                self.notebooks.pop(name, None)

        future.add_done_callback(ended)

    def _announce(self, frame: _Computing) -> None:
        with self.lock:
            if frame.result and not frame.announced and time.monotonic() - frame.started >= self.announce:
                frame.announced = True
                self._say(f"results: computing {frame.name} ...")

    def _listed(self, prefixes: list[str], started: dict, suffix: str = "") -> str:
        """One line naming what was ``started`` (name -> when), the longest going first, each with its time so
        far: after the first of ``prefixes`` with which as many fit in :data:`WIDTH` columns as can, the rest
        counted ("and 1 more"). When not all fit, each heartbeat begins at the next, so each is named in turn."""
        now = time.monotonic()
        items = [f"{name} ({now - t:.0f} s)" for name, t in sorted(started.items(), key=lambda nt: nt[1])]
        n = len(items)
        for k in range(n, 0, -1):
            first = self.beats % n if k < n else 0
            shown = (items[first:] + items[:first])[:k]
            for prefix in prefixes:
                line = f"{prefix}{', '.join(shown)}{f' and {n - k} more' if k < n else ''}{suffix}"
                if len(line) <= WIDTH:
                    return line
        return line

    def _still(self, now: float) -> str | None:
        """The heartbeat's line: what is going on, and for how long. In this process, the innermost result named
        already, else the notebook whose results these are (with the time since the first result when that
        notebook has just started: the silence was over the quick ones before it); otherwise what the workers
        compute; otherwise the notebooks running; otherwise the build's stage."""
        if self.stack:
            inner = next((f for f in reversed(self.stack) if f.announced or not f.result), self.stack[0])
            if inner.result:
                return f"results: still computing {inner.name}, {now - inner.started:.0f} s so far"
            if now - inner.started >= self.interval:
                return f"results: still computing for {inner.name}, {now - inner.started:.0f} s so far"
            return f"results: still computing ({now - self.since:.0f} s), now for {inner.name}"  # the stage's time
        if self.workers:
            who = "worker" if len(self.workers) == 1 else "workers"
            return self._listed([f"{who}: still computing ", f"{who}: computing ", f"{who}: "], self.workers)
        if self.notebooks:
            left = ""
            if self.left is not None:
                n, total = self.left()
                left = f"; {n} of {total} left"
            return self._listed(["running: "], self.notebooks, left)
        if self.stage:
            return f"still {self.stage}{f' ({self.detail})' if self.detail else ''}, {now - self.since:.0f} s so far"
        return None

    def _watch(self) -> None:
        tick = max(0.01, min(0.25, self.interval / 4, self.announce / 2))
        while not self.stopped.wait(tick):
            with self.lock:
                for frame in list(self.stack):
                    self._announce(frame)
                now = time.monotonic()
                if now - self.progress.last >= self.interval:
                    line = self._still(now)
                    if line:
                        self._say(line)
                        self.beats += 1


@contextmanager
def watching(progress, interval: float | None = None, announce: float | None = None):
    """Within the body, a :class:`BuildProgress` on ``progress`` watches the clock; at its end, even on an
    error, it stops and nothing more is said. :func:`build` runs within one (``state.reporting``), as does the
    comparison of ``review check``.

    Parameters
    ----------
    progress : callable
        Where lines go (one message each call).
    interval : float, optional
        Seconds of silence before the heartbeat's line (default :data:`HEARTBEAT`).
    announce : float, optional
        Seconds after which a result being computed is named (default :data:`ANNOUNCE`).

    Yields
    ------
    BuildProgress
        The reporting.
    """
    report = BuildProgress(progress, interval, announce)
    report.start()
    try:
        yield report
    finally:
        report.close()


def _doing(state: BuildState, what: str, detail: str = "") -> None:
    """:meth:`BuildProgress.doing` while the build is reported."""
    if state.reporting is not None:
        state.reporting.doing(what, detail)


def _reported(state: BuildState, name: str, result: bool = True):
    """:meth:`BuildProgress.step` while the build is reported, else nothing."""
    return state.reporting.step(name, result) if state.reporting is not None else nullcontext()


class _ReportedCache(ResultsCache):
    """The build's results cache: a result it computes (rather than reads) is reported while the build is
    (:func:`watching`), by the function's name in plain words."""

    def __init__(self, *args, state: BuildState, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = state

    def call(self, func, args: tuple, kwargs: dict):
        if self.state.reporting is None:
            return super().call(func, args, kwargs)

        @functools.wraps(func)  # the same name and signature: the same entry
        def computed(*a, **k):
            with _reported(self.state, _result_name(func.__name__)):
                return func(*a, **k)

        return super().call(computed, args, kwargs)


def _refuse_mixed_basis(out_dir: Path, manifest: dict, grades) -> None:
    """One output folder holds one data basis: refuse to add notebooks from another. ``manifest``
    is the folder's (checked) manifest, empty for a new folder; ``grades`` the
    :class:`analysis.domain.load.GradeTable` of the build, None for the public record."""
    if not manifest:
        return
    existing = manifest.get("grades_file")
    if existing is None and grades is not None:
        raise BuildError(
            f"{out_dir} holds outputs built from the public record; a build from a complete grade "
            f"table goes to its own folder (leave out --out, or name an empty folder)"
        )
    if existing is not None and grades is None:
        raise BuildError(
            f"{out_dir} holds outputs built from the complete grade table {existing.get('name')}; "
            f"build the public record into another folder (--out)"
        )
    if existing is not None and existing.get("sha256") != grades.sha256:
        raise BuildError(
            f"{out_dir} holds outputs built from another grade table ({existing.get('name')}); "
            f"use another folder (--out) for {grades.name}"
        )


class Interrupted(KeyboardInterrupt):
    """The build was stopped by SIGTERM or SIGHUP; it cleans up as on Ctrl-C (SIGINT)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@contextmanager
def _stopped_by_signals():
    """Within the body, SIGTERM and SIGHUP raise :class:`Interrupted` (as Ctrl-C raises
    KeyboardInterrupt), so the build stops its kernels, zygote and workers and removes its
    staging and temporary folders. Only in the main thread (elsewhere signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def _signals_deferred():
    """Within the body, SIGINT, SIGTERM and SIGHUP are held and acted on at its end, so an install and
    the manifest write that commits it finish together (a signal may reach any thread, so blocking
    it in one is not enough: the handlers themselves wait). Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []

    def hold(signum, frame):
        pending.append(signum)

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if pending:
            handler = previous[pending[0]]
            if callable(handler):
                handler(pending[0], None)  # e.g. KeyboardInterrupt, or Interrupted under _stopped_by_signals
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), pending[0])


def build(
    jobs: list[Job] | None = None,
    out_dir: Path | str | None = None,
    grades=None,
    n_jobs: int | None = None,
    force: bool = False,
    progress=print,
    data_dir: Path | str | None = None,
    preload: bool = True,
    timeout: float | None = None,
    wait: bool = False,
    templates: Path | str | None = None,
) -> BuildSummary:
    """Build ``jobs`` (default: every notebook) into ``out_dir`` (default ``reports/``).

    ``grades``: a complete grade table (its path, or a :class:`analysis.domain.load.GradeTable` read
    already), None for the public record. ``data_dir`` names the data package (default ``data/``): its
    domain and its record. ``preload``
    starts kernels as forks of a process that has already imported the libraries
    (:mod:`analysis.pipeline.zygote`); False starts each kernel from scratch. ``timeout`` limits each
    notebook (seconds; default :data:`analysis.pipeline.execute.DEFAULT_TIMEOUT`). The output folder is
    locked for the whole build; another build, run or check of it stops with
    :class:`analysis.pipeline.outdir.FolderBusy`, or with ``wait`` waits. ``templates`` replaces
    ``notebooks/`` (the folder of the templates).

    The stages, each a function of this module over one :class:`BuildContext`: :func:`prepare`, then
    for each notebook :func:`compute` and :func:`plan_job`, execution on a pool of workers
    (:class:`_Scheduler`), :func:`install` with the manifest, and :func:`finish` (index page, data
    dictionary, manifest).

    Returns a :class:`BuildSummary`; raises :class:`BuildError` (or another
    :class:`analysis.errors.ReviewError`) for bad parameters, a refused output folder or a bad grade
    table, before any kernel starts; :class:`Interrupted` on SIGTERM or SIGHUP.
    """
    from analysis.domain.load import GradeTable, read_grade_table
    from analysis.domain.package import use
    from analysis.pipeline.execute import DEFAULT_TIMEOUT

    started = time.perf_counter()
    progress = _lines(progress)  # every line within 80 columns, one message at a time
    use(data_dir)  # the domain (partnerships, indicators, scale) and the record from this data package
    jobs = list(jobs) if jobs is not None else plan()
    # read, hashed and validated once, from one read of the file: a bad table fails here, naming file,
    # row and value, before any kernel; nothing in the build reads the user's file again
    if isinstance(grades, GradeTable) or not grades:
        table = grades or None
    else:
        table = read_grade_table(Path(grades).resolve())
    if out_dir:
        out_dir = Path(out_dir).resolve()
    elif table is not None:
        # never into the committed published set: a folder of its own, named for the table
        out_dir = default_out_dir(table.path)
        progress(f"a build from a complete grade table goes to its own folder: {out_dir} (--out to choose)")
    else:
        out_dir = config.REPORTS_DIR
    data_dir = Path(data_dir) if data_dir else None
    check_out_dir(out_dir, data_dir or config.DATA_DIR)
    load_manifest(out_dir)  # a hostile or damaged manifest stops the build here, before any write
    out_dir.mkdir(parents=True, exist_ok=True)
    # what the build does is said as it goes, and never more than a few seconds apart, until it ends
    with locked(out_dir, wait=wait, progress=progress), _stopped_by_signals(), watching(progress) as report:
        try:
            report.doing("preparing the build")
            ctx, state = prepare(jobs, out_dir, grades=table, data_dir=data_dir, n_jobs=n_jobs, force=force,
                                 progress=progress, preload=preload, timeout=timeout or DEFAULT_TIMEOUT,
                                 templates=Path(templates) if templates else config.NOTEBOOKS_DIR)
            state.reporting = report
            _Scheduler(ctx, state).run()
            summary = finish(ctx, state)
        except OSError as exc:
            if exc.errno in DISK_FULL:  # every write is all or nothing: a message, not a crash
                raise DiskFull.of(exc, out_dir) from None
            raise
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class BuildContext:
    """What one build is, fixed once its output folder is locked and prepared (:func:`prepare`).

    ``grades``: the complete grade table (:class:`analysis.domain.load.GradeTable`, read once), None
    for the public record; ``grades_copy``: its copy kept with the outputs, relative to the output
    folder (every other process reads that); ``data_files``, ``env``, ``code``: the fingerprints
    taken at the start; ``header``: the manifest's build-wide fields."""

    jobs: tuple
    out_dir: Path
    templates: Path
    grades: object
    grades_copy: str
    data_dir: Path | None
    data_files: dict
    env: dict
    code: str
    header: dict
    staging_root: Path
    force: bool = False
    n_jobs: int | None = None
    preload: bool = True
    timeout: float = 600.0
    progress: object = print

    @property
    def cache_dir(self) -> Path:
        return self.out_dir / ".cache"

    @property
    def grades_sha256(self) -> str | None:
        return self.grades.sha256 if self.grades is not None else None

    @property
    def results_dir(self) -> Path:
        return self.cache_dir / "results"

    @property
    def index_path(self) -> Path:
        return self.cache_dir / "results.json"

    @property
    def templates_path(self) -> Path:
        return self.cache_dir / "templates.json"

    @property
    def source_key(self) -> str:
        """The key every results-cache entry of this build is made under (data, grade table, code)."""
        return source_key_of(self.data_files, self.grades_sha256, self.code)

    @property
    def published(self) -> bool:
        """Whether this build is of the published set's data: the checkout's data package and no grade table
        (into any folder: ``review check`` rebuilds it elsewhere)."""
        data = Path(self.data_dir).resolve() if self.data_dir else config.DATA_DIR.resolve()
        return self.grades is None and data == config.DATA_DIR.resolve()

    @property
    def index_key(self) -> str:
        """The results index is valid while the data, grade table, code and environment are these."""
        return _digest(self.data_files, self.grades_sha256, self.code, self.env)

    def template(self, job: Job) -> Path:
        return job.template(self.templates)

    def staging(self, job: Job) -> Path:
        return self.staging_root / f"{job.kind}-{job.slug}"


@dataclass
class BuildState:
    """What a build changes as it goes: the folder's ``manifest``, the results ``index`` (each notebook's
    results digest and cache entries), the templates' ``declared`` parameters, each notebook's
    ``params`` and ``key``, the ``summary``, and the page whose record and model every other shares."""

    manifest: dict
    index: dict
    declared: dict
    summary: BuildSummary = field(default_factory=BuildSummary)
    params: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    shared: object = None
    computed: int = 0
    compute_seconds: float = 0.0
    finished: int = 0
    fresh: set = field(default_factory=set)  # the notebooks whose results this build computed
    trusted: set = field(default_factory=set)  # cache entries computed by this build's workers
    reporting: BuildProgress | None = None  # what the build says as it goes (:func:`watching`)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)  # summary, finished: two threads

    def trust(self, keys) -> None:
        """Cache entries another process of this build computed: read, not computed again, even with --force."""
        self.trusted.update(keys)
        if self.shared is not None:
            self.shared.model.cache.trust(keys)


# -- the stages ------------------------------------------------------------------------------------------------
def prepare(jobs, out_dir: Path, grades=None, data_dir: Path | None = None, templates: Path | None = None,
            **options) -> tuple[BuildContext, BuildState]:
    """The first stage, with ``out_dir`` locked: refuse a folder of another data basis, clear what a killed
    build left (:mod:`analysis.pipeline.leftovers`), take the fingerprints, claim a new folder with a manifest,
    copy the grade table beside the outputs, and read the results index and the templates' parameters.
    ``options``: force, n_jobs, preload, timeout, progress (see :class:`BuildContext`)."""
    from analysis.domain.load import data_file_hashes

    manifest = load_manifest(out_dir)  # read again under the lock
    _refuse_mixed_basis(out_dir, manifest, grades)
    for folder in (".staging", ".cache"):
        contained(out_dir, out_dir / folder)
    # what a build killed outright left: its installs undone, its staging and temporary files and folders
    sweep_temporary()
    sweep_out_dir(out_dir, manifest)
    data_files, env, code = data_file_hashes(data_dir), environment(), code_digest()
    header = _manifest_header(data_files, env, code, grades)
    manifest.setdefault("jobs", {})
    if not (out_dir / "manifest.json").exists():
        # the folder is ours from its first moment: a later build recognises it, even if this one stops
        _write_manifest(out_dir, manifest, header)
    grades_copy = ""
    if grades is not None:
        # the other processes read a copy of the bytes validated, kept with the outputs: the executed
        # notebooks and pages then do not depend on (or reveal) where the user's file lives, and a file
        # replaced while the build runs cannot mix into it
        copy = contained(out_dir, out_dir / ".cache" / "grades" / grades.name)
        grades.write_copy(copy)
        grades_copy = copy.relative_to(out_dir).as_posix()
    # this process's staging folder; the lock guarantees no other build is using .staging
    ctx = BuildContext(tuple(jobs), out_dir, Path(templates or config.NOTEBOOKS_DIR), grades, grades_copy,
                       data_dir, data_files, env, code, header, out_dir / ".staging" / str(os.getpid()),
                       **options)
    contained(out_dir, ctx.results_dir)
    index = _read_json(ctx.index_path)
    if index.get("key") != ctx.index_key or not isinstance(index.get("jobs"), dict):
        index = {"key": ctx.index_key, "jobs": {}}
    declared = {digest: d for digest, d in _read_json(ctx.templates_path).items()
                if isinstance(d, dict) and all(isinstance(v, str) for v in d.values())}
    return ctx, BuildState(manifest, index, declared)


def indexed(ctx: BuildContext, state: BuildState, job: Job) -> dict | None:
    """The job's entry in the folder's results index, if it is valid and every cache entry it reads is there."""
    entry = state.index["jobs"].get(job.id)
    if (
        isinstance(entry, dict)
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("entries"), list)
        and all(isinstance(k, str) and k.isalnum() and (ctx.results_dir / f"{k}.json").is_file()
                for k in entry["entries"])
    ):
        return entry
    return None


def _page(ctx: BuildContext, state: BuildState, job: Job):
    """The job's page in this process, sharing one record and model (and the folder's results cache)."""
    from analysis.report.page import PAGES

    page = PAGES[job.kind](job.subject, grades=ctx.grades, data_dir=ctx.data_dir or "")
    if state.shared is None:
        # with --force, no entry on disk is trusted: every result is computed again and its entry rewritten
        page.model.cache = _ReportedCache(ctx.results_dir, ctx.source_key, refresh=ctx.force, state=state)
        page.model.cache.trust(state.trusted)
        state.shared = page
    else:
        page.record, page.model = state.shared.record, state.shared.model
    return page


def compute(ctx: BuildContext, state: BuildState, job: Job) -> dict:
    """The compute stage of one notebook: the digest of the results it shows and the cache entries it
    reads, from the folder's index while the data, code and environment are unchanged and its entries
    are there; otherwise computed now, which fills the results cache (and, for the national review,
    its headline findings for the index page). With ``force`` (``--force``), always computed now, every
    result afresh: neither the index nor an entry on disk is trusted."""
    entry = indexed(ctx, state, job)
    if entry is not None and (not ctx.force or job.id in state.fresh):
        return entry
    from analysis.record.cache import value_digest
    from analysis.report.shown import shown_values

    t0 = time.perf_counter()
    with _reported(state, job.id, result=False):
        page = _page(ctx, state, job)
        store = page.model.cache
        start = len(store.served)
        try:
            digest = value_digest(shown_values(page, ctx.template(job)))
            findings = page.findings() if job.kind == "review" else None
        except OSError as exc:  # e.g. a full disk: no temporary file is left (the cache removes it)
            raise BuildError(
                f"writing the results cache in {ctx.results_dir} failed ({exc.strerror or exc}); the "
                f"published outputs are unchanged. Free some space and run the same command again"
            ) from None
    entry = {"digest": digest, "entries": sorted(set(store.served[start:]))}
    if findings is not None:  # for the index page, as HTML fragments (converted here, with the computing)
        entry["findings_html"] = _findings_html(findings)
    state.index["jobs"][job.id] = entry
    state.fresh.add(job.id)
    state.computed += 1
    state.compute_seconds += time.perf_counter() - t0
    return entry


def declared_parameters(ctx: BuildContext, state: BuildState, job: Job) -> dict:
    """The parameters the job's template declares (from ``.cache/templates.json`` while its hash is unchanged)."""
    digest = template_digest(ctx.template(job))
    if digest not in state.declared:
        state.declared[digest] = template_parameters(ctx.template(job))
    return state.declared[digest]


def plan_job(ctx: BuildContext, state: BuildState, job: Job) -> bool:
    """The plan stage of one notebook: its parameters (checked against its template) and cache key; True
    if it must run, False if its key and outputs are unchanged (recorded as skipped)."""
    entry = compute(ctx, state, job)
    staging_rel = ctx.staging(job).relative_to(ctx.out_dir).as_posix()
    # paths relative to the notebook's folder (notebooks/<kind>/), where its kernel starts
    data = str(Path(ctx.data_dir).resolve()) if ctx.data_dir else ""
    rel = job.from_notebook
    state.params[job.id] = params = parameters_for(job, declared_parameters(ctx, state, job), rel(ctx.grades_copy),
                                                   rel(".cache/results"), rel(f"{staging_rel}/out"), data)
    # the key leaves out output_dir: its staging folder is named for this process
    state.keys[job.id] = _digest(template_digest(ctx.template(job)),
                                 {k: v for k, v in params.items() if k != "output_dir"},
                                 entry["digest"], ctx.code, ctx.env)
    previous = state.manifest["jobs"].get(job.id, {})
    if not ctx.force and previous.get("key") == state.keys[job.id] and _outputs_intact(ctx.out_dir, previous):
        record(ctx, state, job, {"status": "skipped", "seconds": 0.0})
        return False
    return True


def install(ctx: BuildContext, state: BuildState, job: Job, result: dict) -> dict:
    """The install stage of one notebook: a successful one's files moved into place with the manifest
    rewritten (all or nothing); a failed one's partial notebook to ``failed/``. Returns the result
    (failed if installing failed)."""
    out_dir, staging = ctx.out_dir, ctx.staging(job)
    if result["status"] == "done":
        previous = state.manifest["jobs"].get(job.id)

        def commit(outputs):
            state.manifest["jobs"][job.id] = {
                "kind": job.kind,
                "slug": job.slug,
                "subject": job.subject,
                "template": f"notebooks/{job.kind}.ipynb",
                "template_sha256": template_digest(ctx.template(job)),
                "parameters": {k: v for k, v in state.params[job.id].items()
                               if k not in ("cache", "output_dir", "data")},
                "data_basis": ctx.header["data_basis"],
                "results_digest": state.index["jobs"][job.id]["digest"],
                "key": state.keys[job.id],
                "outputs": outputs,
            }
            try:
                _write_manifest(out_dir, state.manifest, ctx.header)
            except BaseException:
                if previous is None:
                    state.manifest["jobs"].pop(job.id, None)
                else:
                    state.manifest["jobs"][job.id] = previous
                raise

        try:
            with _signals_deferred():  # Ctrl-C after the manifest is replaced must not undo the files it lists
                _install(job, staging, out_dir, previous or {}, commit)
        except (OSError, ReviewError) as exc:  # e.g. disk full: failed, its previous outputs are back in place
            result = {
                "status": "failed",
                "seconds": result["seconds"],
                "cell": "",
                "error": f"installing its outputs failed ({type(exc).__name__}: {exc}); "
                "the previous outputs are unchanged",
            }
    elif result["status"] == "failed":
        partial = staging / "notebook.ipynb"
        if partial.exists():
            dest = contained(out_dir, out_dir / "failed" / job.kind / f"{job.slug}.ipynb")
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, dest)
            result["partial"] = str(dest.relative_to(out_dir))
    shutil.rmtree(staging, ignore_errors=True)
    return result


def record(ctx: BuildContext, state: BuildState, job: Job, result: dict) -> None:
    """A notebook's result in the summary, and its progress line."""
    if result.get("status") == "failed" and _full_disk(str(result.get("error", ""))):
        result["error"] = f"the disk is full: {result['error']}. Free some space and run the same command again"
    with state.lock:  # the thread that installs notebooks and this one: one count, lines in its order
        state.summary.results[job.id] = result
        state.finished += 1
        timing = f"  {result['seconds']:.1f} s" if result["status"] != "skipped" else ""
        ctx.progress(f"{_bar(state.finished, len(ctx.jobs))}  {result['status']:<7}  {job.id}{timing}")
        for text in result.get("warnings") or ():  # taken out of the notebook: the terminal is where they go
            first = text.splitlines()[0] if text else ""
            ctx.progress(f"  warning: {job.id}: its kernel wrote to standard error (not published):\n"
                         f"    {first[:200]}")


def _full_disk(error: str) -> bool:
    """Does a notebook's error text say the disk or the quota was full (an OSError in the kernel, or while
    installing)?"""
    return any(f"[Errno {n}]" in error or os.strerror(n) in error for n in DISK_FULL)


def _findings_of(entry, job: dict) -> list[str] | None:
    """The findings a results-index ``entry`` holds, if they are of the results the installed national notebook
    (its manifest entry ``job``) shows."""
    if not isinstance(entry, dict) or job.get("results_digest") != entry.get("digest"):
        return None
    findings = entry.get("findings_html")
    if not isinstance(findings, list) or not all(isinstance(f, str) for f in findings):
        return None
    return findings


def _findings_html(findings: list[str]) -> list[str]:
    """Findings (Markdown) as the HTML fragments the index page shows."""
    from nbconvert.filters.markdown import markdown2html

    return [markdown2html(text).strip().removeprefix("<p>").removesuffix("</p>") for text in findings]


#: The largest executed notebook read back for its findings (the national review's is about 2 MB).
_NOTEBOOK_LIMIT = 100_000_000


def _installed_findings(ctx: BuildContext, job: dict) -> list[str] | None:
    """The findings the installed national notebook shows (its headline's output), if the notebook on disk is
    the one the manifest entry ``job`` lists: always the findings of the results it shows."""
    import nbformat

    from analysis.report.page import HEADLINE_FINDINGS, headline_findings

    item = next((o for o in job.get("outputs", []) if isinstance(o, dict) and o.get("kind") == "notebook"), None)
    if item is None or not inside(ctx.out_dir, item.get("path")):
        return None
    path = ctx.out_dir / item["path"]
    if (path.is_symlink() or not path.is_file() or path.stat().st_size > _NOTEBOOK_LIMIT
            or _sha256(path) != item.get("sha256")):
        return None
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a file that is not a notebook has no findings to keep
        return None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown") if isinstance(out, dict) else None
            if isinstance(text, list):
                text = "".join(text)
            if isinstance(text, str) and HEADLINE_FINDINGS in text:
                return _findings_html(headline_findings(text)) or None
    return None


def national_findings(ctx: BuildContext, state: BuildState) -> list[str] | None:
    """The national review's headline findings as HTML fragments, for the index page: those of the results the
    installed national notebook shows (None if the folder has none). From this build's results index when it
    holds them; otherwise read back from the installed notebook's headline, so a run of other notebooks (after
    the results cache was deleted, or on a fresh clone) never drops them from the landing page.

    Parameters
    ----------
    ctx : BuildContext
        The build.
    state : BuildState
        Its state (the manifest, the results index).

    Returns
    -------
    list of str or None
        The findings, sanitised (only the inline tags they use; anything else escaped).
    """
    import bleach

    job = state.manifest["jobs"].get("review/national")
    if not job:
        return None
    findings = _findings_of(state.index["jobs"].get("review/national"), job)
    if findings is None:
        findings = _installed_findings(ctx, job)
    if findings is None:
        return None
    # read back from a file in the output folder: only the inline tags findings use, anything else escaped
    return [bleach.clean(f, tags=["strong", "em", "code"], attributes={}) for f in findings]


def save_indexes(ctx: BuildContext, state: BuildState) -> None:
    """Write the results index and the templates' parameters, for the next build of this folder."""
    write_atomic(ctx.index_path, json.dumps(state.index, indent=1) + "\n")
    write_atomic(ctx.templates_path, json.dumps(state.declared, indent=1, sort_keys=True) + "\n")


def prune(ctx: BuildContext, state: BuildState) -> None:
    """Remove the results cache's entries that no notebook of this folder reads any more (computed
    from older data, grade table or code: their keys can never match again)."""
    keep = {k for e in state.index["jobs"].values() if isinstance(e, dict) for k in e.get("entries", [])}
    for path in ctx.results_dir.glob("*.json"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)


def finish(ctx: BuildContext, state: BuildState) -> BuildSummary:
    """The last stage: the data dictionary, the spreadsheets and the site's pages (the index, quality,
    accessibility and revisions pages), installed all or nothing with the manifest that lists them, as a
    notebook's outputs are (:func:`_swap`): each is written into a staging folder first, so a full disk or
    an error leaves every one of them as it was. Refuses data that changed during the build."""
    from analysis.domain.load import data_file_hashes
    from analysis.pipeline.revisions import read_releases
    from analysis.pipeline.site import write_site
    from analysis.publish.dictionary import write_datapackage
    from analysis.publish.spreadsheets import write_spreadsheets

    staging = contained(ctx.out_dir, ctx.staging_root / "site")
    files = staging / "files"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        files.mkdir(parents=True)
        _doing(state, "writing the data dictionary")
        findings = national_findings(ctx, state)
        written = [write_datapackage(ctx.out_dir, to=files)]  # the data dictionary of every table and figure
        _doing(state, "writing the spreadsheets")
        written += write_spreadsheets(ctx.out_dir, {**state.manifest, **ctx.header}, to=files)  # ODS and XLSX
        # the site's pages last: the revisions page compares every output above with the last release's
        _doing(state, "writing the site's pages")
        written += write_site(files, _manifest_of(ctx.out_dir, state.manifest, ctx.header, staged=files), findings,
                              read_releases() if ctx.published else [], published=ctx.published)
        if data_file_hashes(ctx.data_dir) != ctx.data_files:
            raise BuildError("data/ changed during the build; outputs may not match the data")
        moves = [(path, path.relative_to(files).as_posix()) for path in written]
        _doing(state, "installing the site's pages and the manifest")
        with _signals_deferred():  # the pages and the manifest that lists them are replaced together
            _swap(ctx.out_dir, staging, moves, [], lambda: _write_manifest(ctx.out_dir, state.manifest, ctx.header))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(ctx.staging_root)
        _remove_if_empty(ctx.out_dir / ".staging")
    state.summary.manifest = ctx.out_dir / "manifest.json"
    return state.summary


class _Scheduler:
    """The execute stage: a bounded pool of workers, each running one notebook in a fresh kernel, fed
    as notebooks are planned (so partnership notebooks start while the national results are computed),
    slowest kinds first, with the national review's trend bounds computed in a worker meanwhile. A thread of
    its own installs each notebook as soon as it ends (:meth:`installing`), so its line comes then, even while
    this process computes other notebooks' results."""

    def __init__(self, ctx: BuildContext, state: BuildState):
        # its lines come from this thread, the installing thread, the watcher's and the pool's: one at a time
        self.ctx, self.state = replace(ctx, progress=_lines(ctx.progress)), state
        self.warming = []  # the long results, computed in workers while this process computes the rest
        self.pool = self.zygote = self.kernel_cmd = self.sockets = None
        self.lifeline = ()  # the pipe whose end of file tells the workers the build is gone
        self.workers = 0
        self.futures: dict = {}  # notebooks running or not yet installed: future -> job
        self.waiting: list[Job] = []  # notebooks ready to run, not yet given to a worker
        self.lock = threading.RLock()  # futures, waiting and stopping: also used by the pool's thread
        self.changed = threading.Condition(self.lock)  # a notebook was installed (or installing failed)
        self.ended = queue.SimpleQueue()  # notebooks that ended, for the installing thread; None: stop
        self.installer = None
        self.error = None  # what went wrong in the installing thread (a bug), raised in this one
        self.stopping = False

    def start(self) -> None:
        """The worker pool, the zygote and the kernels' socket folder (once)."""
        if self.pool is None:
            from analysis.pipeline.execute import kernel_env
            from analysis.pipeline.leftovers import make_folder

            self.pool, self.zygote, self.kernel_cmd, self.workers, self.lifeline = _start_pool(
                self.ctx.n_jobs, len(self.ctx.jobs), self.ctx.preload, kernel_env(self.ctx.out_dir)
            )
            # the kernels' socket folders go in one folder of this build's, removed at its end (or, if this
            # process is killed outright, by the next build: the folder names its owner)
            self.sockets = make_folder("rb-")
            self.installer = threading.Thread(target=self.installing, name="review-install", daemon=True)
            self.installer.start()

    def start_warming(self, what: list[str]) -> None:
        """The longest computations (``trend_bounds``: the exact trend bounds, about 20 s; ``settle``: what
        would settle each open verdict and its witness pairs, about 300 s; ``fragility``: how fragile each
        decided one is, about 110 s) in workers while this process computes the other notebooks' results,
        so both cores work from the start."""
        ctx = self.ctx
        copy = str(ctx.out_dir / ctx.grades_copy) if ctx.grades_copy else ""
        for name in what:
            future = self.pool.submit(_warm, name, copy, ctx.grades_sha256, str(ctx.data_dir or ""),
                                      str(ctx.results_dir), ctx.source_key, ctx.force)
            future.add_done_callback(lambda f: self.dispatch())
            if self.state.reporting is not None:
                self.state.reporting.in_worker(_result_name(name), future)
            self.warming.append((name, future))

    def await_warming(self) -> None:
        """Wait for :meth:`start_warming`'s results (in the cache by then); if one failed, say so: this
        process computes it instead."""
        warming, self.warming = self.warming, []
        for name, future in warming:
            try:
                self.state.trust(future.result())  # computed afresh, in this build: read, even with --force
            except Exception as exc:  # e.g. the worker was killed: computed here instead, nothing lost
                self.ctx.progress(f"warning: computing {name.replace('_', ' ')} in a worker failed "
                                  f"({type(exc).__name__}: {exc}); computing it here")

    def dispatch(self) -> None:
        """Give idle workers the next notebooks: the slowest kinds first (the national review, then period
        groups and the statements, then partnerships), so the longest notebook is not left to the end.
        Called by this thread and, when a worker finishes, by the pool's thread (hence the lock)."""
        ctx = self.ctx
        with self.lock:
            if self.stopping or self.pool is None:
                return
            busy = sum(not f.done() for f in self.futures)
            busy += sum(not f.done() for _, f in self.warming)
            self.waiting.sort(key=lambda job: (job.kind == "partnership", list(KINDS).index(job.kind)))
            while self.waiting and busy < self.workers:
                job = self.waiting.pop(0)
                try:
                    future = self.pool.submit(_run_job, job, str(ctx.template(job)), str(ctx.out_dir),
                                              self.state.params[job.id], str(ctx.staging(job)), self.kernel_cmd,
                                              ctx.timeout, self.sockets, job.title)
                except BrokenExecutor as exc:  # a worker process died: the pool runs nothing more
                    for left in [job, *self.waiting]:  # each fails as the notebooks it was running did
                        failed = Future()
                        failed.set_exception(exc)
                        self.futures[failed] = left
                        self.ended.put(failed)
                    self.waiting.clear()
                    return
                except RuntimeError:  # the pool is shutting down (the build was stopped)
                    return
                self.futures[future] = job
                busy += 1
                if self.state.reporting is not None:
                    self.state.reporting.running(job.id, future)
                future.add_done_callback(self.end)

    def end(self, future) -> None:
        """A notebook's run ended (in the pool's thread): it goes to the installing thread, and the next notebook
        to the worker."""
        self.ended.put(future)
        self.dispatch()

    def installing(self) -> None:
        """The installing thread: each notebook that ended is installed (or its failure recorded) and its line
        printed at once, whatever this process is computing; once the build is stopping, nothing more is
        installed (a notebook being installed then is finished first: :meth:`run` waits for it). Ends at None."""
        while (future := self.ended.get()) is not None:
            with self.lock:
                job = self.futures.get(future)
                if job is None or self.stopping:
                    self.futures.pop(future, None)
                    continue
            try:
                try:
                    result = future.result()
                except Exception as exc:  # a worker died (e.g. killed): that job failed, the rest go on
                    result = {"status": "failed", "seconds": 0.0, "cell": "",
                              "error": f"{type(exc).__name__}: {exc}"}
                record(self.ctx, self.state, job, install(self.ctx, self.state, job, result))
            except BaseException as exc:  # noqa: BLE001 - a bug: raised in the build's own thread
                self.error = self.error or exc
            finally:
                with self.lock:
                    self.futures.pop(future, None)
                    self.changed.notify_all()

    def check_installing(self) -> None:
        """Raise here what went wrong in the installing thread."""
        if self.error is not None:
            raise self.error

    def await_notebooks(self) -> None:
        """Wait until every notebook has run and been installed."""
        with self.changed:
            while (self.futures or self.waiting) and self.error is None:
                self.changed.wait(0.5)
        self.check_installing()

    def run(self) -> None:
        """Compute, plan and execute every notebook in compute order, installing each as it finishes."""
        ctx, state = self.ctx, self.state
        try:
            todo = {j.kind for j in ctx.jobs if ctx.force or indexed(ctx, state, j) is None}
            what = ((["trend_bounds"] if "review" in todo else [])
                    + (["settle"] if todo & {"review", "statements"} else [])
                    + (["fragility"] if "statements" in todo else []))
            # fragility is submitted once the other notebooks are queued, so that one worker starts on them at
            # once while the other computes the trend bounds and the settle analysis
            # the trend bounds then the settle analysis (which reads them) in one worker, one chain
            late = [w for w in what if w == "fragility"]
            if state.reporting is not None:  # the heartbeat's count of notebooks left
                state.reporting.left = lambda: (len(ctx.jobs) - state.finished, len(ctx.jobs))
            _doing(state, "computing the notebooks' results")
            if what:
                self.start()
                self.start_warming(["+".join(w for w in what if w not in late)])
            for job in sorted(ctx.jobs, key=lambda j: KINDS[j.kind].compute):
                if job.kind in ("review", "statements") and late:
                    self.start_warming(late)
                    late = []
                if job.kind in ("review", "statements") and self.warming:
                    self.await_warming()
                if not plan_job(ctx, state, job):
                    continue
                staging = ctx.staging(job)
                contained(ctx.out_dir, staging)
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                self.start()
                with self.lock:
                    self.waiting.append(job)
                self.dispatch()
                self.check_installing()
            save_indexes(ctx, state)
            if state.computed:
                ctx.progress(f"results: computed for {state.computed} notebook(s) in {state.compute_seconds:.1f} s")
            _doing(state, "running the notebooks")
            self.await_notebooks()
            prune(ctx, state)
        except BaseException:
            with self.lock:
                self.stopping = True
            if self.pool is not None:
                _stop_workers()  # stopped (Ctrl-C, SIGTERM) or failed: end the running notebooks now
            raise
        finally:
            with self.lock:
                self.stopping = True
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
            if self.installer is not None:  # a notebook being installed is finished before staging goes
                self.ended.put(None)
                self.installer.join()
            for end in self.lifeline:
                end.close()
            if self.zygote is not None:
                if self.zygote.unresponsive:
                    ctx.progress("warning: the pre-loaded kernel process (zygote) stopped answering; notebooks "
                                 "started ordinary kernels instead, and it was killed")
                self.zygote.close()  # it kills any kernel it forked that is still alive
            if self.sockets is not None:
                shutil.rmtree(self.sockets, ignore_errors=True)
            shutil.rmtree(ctx.staging_root, ignore_errors=True)
            _remove_if_empty(ctx.out_dir / ".staging")


def _read_json(path: Path) -> dict:
    """A JSON object the build wrote earlier (an index), or {} if it is missing or not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()


def _stop_workers() -> None:
    """Send SIGTERM to the build's worker processes: nbclient, in each, then shuts its kernel down
    (as on Ctrl-C, when the terminal signals the whole process group)."""
    import multiprocessing

    for process in multiprocessing.active_children():
        with suppress(OSError, ValueError):
            process.terminate()


def _manifest_header(data_files: dict, env: dict, code: str, grades) -> dict:
    """The build-wide fields of the manifest (computed once per build)."""
    git = git_commit()
    return {
        "package_version": __version__,
        "release_date": __released__,
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "analysis_code_sha256": code,
        "environment": env,
        "data_basis": basis_of(grades),
        "data_files": data_files,
        "grades_file": {"name": grades.name, "sha256": grades.sha256} if grades is not None else None,
    }


def _manifest_of(out_dir: Path, manifest: dict, header: dict, staged: Path | None = None) -> dict:
    """The manifest as it is written: ``manifest`` with the build-wide ``header``, its jobs in order and
    every output listed (the site's files with their hashes on disk now; those in ``staged``, a staging
    folder laid out as ``out_dir``, with the hashes of the staged files)."""
    from analysis.pipeline.site import SITE_PAGES
    from analysis.publish.spreadsheets import SPREADSHEETS

    def where(p: str) -> Path:
        return staged / p if staged is not None and (staged / p).exists() else out_dir / p

    site = [
        {"path": p, "sha256": _sha256(where(p)), "kind": "site"}
        for p in (*SITE_PAGES, "tables/datapackage.json", *SPREADSHEETS)
        if where(p).exists()
    ]
    manifest.update(header)
    manifest["jobs"] = dict(sorted(manifest["jobs"].items(), key=lambda je: order_key(je[1]["kind"], je[1]["subject"])))
    outputs = [dict(o, job=j) for j, e in manifest["jobs"].items() for o in e["outputs"]] + site
    manifest["outputs"] = outputs
    ordered = {
        k: manifest[k]
        for k in (
            "package_version",
            "release_date",
            "git_commit",
            "git_dirty",
            "analysis_code_sha256",
            "environment",
            "data_basis",
            "data_files",
            "grades_file",
            "jobs",
            "outputs",
        )
    }
    return ordered


def _write_manifest(out_dir: Path, manifest: dict, header: dict) -> None:
    ordered = _manifest_of(out_dir, manifest, header)
    write_atomic(out_dir / "manifest.json", json.dumps(ordered, indent=1, sort_keys=False) + "\n")
