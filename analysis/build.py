"""The build: the plan of notebooks, their parameters, the cache, the process pool and the manifest.

``build()`` executes the national review, the three period groups, the 32 partnerships and the
statements notebook into ``reports/`` (or ``out_dir``):

- ``notebooks/<kind>/<slug>.ipynb`` (executed) and ``html/<kind>/<slug>.html``;
- ``tables/*.csv`` and ``figures/*`` for the national and statements notebooks,
  ``tables/<kind>/<slug>/`` and ``figures/<kind>/<slug>/`` for period groups and partnerships;
- ``index.html`` and ``manifest.json`` (every output with its SHA-256, each notebook's parameters
  and cache key, the data basis with the data files' hashes, package versions, git commit).

Every notebook runs in its own fresh kernel (a new process, over IPC) on a bounded pool of
worker processes. Parameters are validated before any kernel starts. A notebook is skipped when
its cache key (template, parameters, its inputs' digest, the ``analysis`` code, the
environment) matches its last successful run and its outputs are intact. Each notebook writes to
a staging folder; its outputs are moved into place only when it succeeded, so a failure leaves
the previous good outputs (and the manifest describing them) as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__, areas, config
from .provenance import code_digest, digest as _digest, environment, git_commit, sha256_file as _sha256, source_key_of
from .report import KINDS, basis_label

__all__ = ["Job", "plan", "job_for", "build", "BuildSummary", "environment", "code_digest", "BuildError"]

class BuildError(RuntimeError):
    """A build could not start or finish (bad parameters, data changed during the build)."""


@dataclass(frozen=True)
class Job:
    """One notebook to run: its kind, the slug its files are named by, and its subject
    (canonical partnership or period-group id, None for national and statements)."""

    kind: str
    slug: str
    subject: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.slug}"

    @property
    def template(self) -> Path:
        return config.NOTEBOOKS_DIR / f"{self.kind}.ipynb"

    @property
    def title(self) -> str:
        if self.kind == "review":
            return "National review, 2012-2017"
        if self.kind == "statements":
            return "The review's statements, checked"
        if self.kind == "period_group":
            return f"Period group {self.subject}"
        return f"{self.subject}"

    @property
    def notebook_path(self) -> str:
        return f"notebooks/{self.kind}/{self.slug}.ipynb"

    @property
    def html_path(self) -> str:
        return f"html/{self.kind}/{self.slug}.html"

    def place(self, what: str) -> str:
        """Folder (relative to the output folder) of this job's 'tables' or 'figures'."""
        return what if self.kind in ("review", "statements") else f"{what}/{self.kind}/{self.slug}"


def job_for(kind: str, name: str | None = None) -> Job:
    """The job for a kind and (for partnerships and period groups) a name or alias.

    Raises :class:`analysis.areas.UnknownName` (with the closest matches) for an unknown name,
    and ValueError for an unknown kind, before anything runs.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notebook kind {kind!r}; known: {', '.join(KINDS)}")
    if kind == "partnership":
        p = areas.match_partnership(name)
        slug = areas.partnership_table().set_index("partnership").loc[p, "slug"]
        return Job(kind, slug, p)
    if kind == "period_group":
        g = areas.match_period_group(name)
        return Job(kind, g, g)
    return Job(kind, kind if kind == "statements" else "national")


def plan() -> list[Job]:
    """Every notebook of the review: national, the period groups, the partnerships, statements."""
    return ([job_for("review")] + [job_for("period_group", g) for g in areas.PERIOD_GROUPS]
            + [job_for("partnership", p) for p in areas.PARTNERSHIPS] + [job_for("statements")])


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- parameters ----------------------------------------------------------------------------------------------
_TEMPLATE_PARAMETERS: dict = {}


def template_parameters(kind: str) -> dict:
    """The parameters a template declares in its ``parameters`` cell: name -> inferred type.

    Parsed by papermill (no kernel), once per template version (keyed by the template's SHA-256;
    a build keeps the results in ``.cache/templates.json`` so a no-change rebuild skips papermill).
    """
    path = config.NOTEBOOKS_DIR / f"{kind}.ipynb"
    digest = _sha256(path)
    if digest not in _TEMPLATE_PARAMETERS:
        from papermill.inspection import _infer_parameters  # parses the cell's text
        from papermill.iorw import load_notebook_node

        nb = load_notebook_node(str(path))
        _TEMPLATE_PARAMETERS[digest] = {p.name: p.inferred_type_name for p in _infer_parameters(nb)}
    return _TEMPLATE_PARAMETERS[digest]


def parameters_for(job: Job, grades: str, inputs: str, output_dir: str) -> dict:
    """The papermill parameters of a job, checked against the template's parameters cell."""
    params = {"grades": grades, "inputs": inputs, "output_dir": output_dir}
    subject_param = KINDS[job.kind]
    if subject_param:
        params[subject_param] = job.subject
    declared = template_parameters(job.kind)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise BuildError(f"{job.template.name}: parameters {', '.join(unknown)} are not in its parameters cell "
                         f"(declared: {', '.join(declared)})")
    for name, value in params.items():
        if declared[name] == "str" and not isinstance(value, str):
            raise BuildError(f"parameter {name} of {job.template.name} must be a string, not {value!r}")
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


def _run_job(job: Job, template: str, out_dir: str, params: dict, staging: str, kernel_cmd: list | None = None) -> dict:
    """In a worker process: run one notebook into its staging folder and export its page."""
    from .execute import export_html, run_notebook

    staging_dir = Path(staging)
    executed = staging_dir / "notebook.ipynb"
    # the kernel starts where the executed notebook will live, so its relative paths (``inputs``,
    # ``output_dir``) resolve the same when it is re-run there (nbval, JupyterLab)
    home = Path(out_dir) / Path(job.notebook_path).parent
    home.mkdir(parents=True, exist_ok=True)
    result = run_notebook(Path(template), executed, params, home, kernel_cmd=kernel_cmd)
    if result.status == "done":
        try:
            _normalise(executed)
            export_html(executed, staging_dir / "page.html", job.title)
        except Exception as exc:  # export failure fails the job, nothing is installed
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
    return asdict(result)


def _normalise(executed: Path) -> None:
    """Drop wall-clock noise from an executed notebook: timings papermill and nbclient record, and the
    random id papermill gives the injected-parameters cell (it becomes ``injected-parameters``); and
    empty its ``output_dir``, so re-running the installed notebook writes nothing."""
    import re

    import nbformat

    nb = nbformat.read(executed, as_version=4)
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm.pop(key, None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
            # the build wrote this notebook's tables and figures through a staging folder; re-run
            # where it is installed (nbval in `make test`, JupyterLab), it shows them and writes nothing
            cell.source = re.sub(r'^output_dir = ".*"$', 'output_dir = ""  # set by the build: outputs are in '
                                 'tables/ and figures/; a re-run here only shows them', cell.source, flags=re.M)
        cell.metadata.pop("execution", None)
        cell_pm = cell.metadata.get("papermill", {})
        for key in ("start_time", "end_time", "duration"):
            cell_pm.pop(key, None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, executed)


def _inside(out_dir: Path, rel) -> bool:
    """Does the relative path ``rel`` name a file inside ``out_dir`` (no '..', not absolute, no
    symlink leading out of it)?"""
    if not isinstance(rel, str) or not rel or rel.startswith(("/", "\\")) or "\\" in rel:
        return False
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or "." in parts or rel != Path(rel).as_posix():
        return False
    root = out_dir.resolve()
    target = (root / rel).resolve()
    return target != root and root in target.parents


def _manifest_problems(manifest, out_dir: Path) -> list[str]:
    """What is wrong with a manifest read from disk (empty when it is one this package wrote)."""
    if not isinstance(manifest, dict):
        return [f"not a JSON object but {type(manifest).__name__}"]
    problems = []
    jobs = manifest.get("jobs", {})
    if not isinstance(jobs, dict):
        return [f"'jobs' is a {type(jobs).__name__}, not an object"]
    lists = [("outputs", manifest.get("outputs", []))]
    for job_id, job in jobs.items():
        if not isinstance(job, dict) or not isinstance(job.get("kind"), str):
            problems.append(f"jobs[{job_id!r}] has no kind")
            continue
        lists.append((f"jobs[{job_id!r}].outputs", job.get("outputs", [])))
    for where, items in lists:
        if not isinstance(items, list):
            problems.append(f"{where} is not a list")
            continue
        for n, item in enumerate(items):
            rel = item.get("path") if isinstance(item, dict) else None
            if not _inside(out_dir, rel):
                problems.append(f"{where}[{n}].path {rel!r} is not a file inside the output folder")
            elif (out_dir / rel).is_dir():
                problems.append(f"{where}[{n}].path {rel!r} is a folder, not an output file")
            elif not isinstance(item.get("sha256"), str):
                problems.append(f"{where}[{n}] has no sha256")
    return problems


def _load_manifest(out_dir: Path) -> dict:
    """The output folder's manifest, checked: every path it lists must be a file inside the folder
    (a build deletes stale outputs the manifest lists, so a hostile entry must never reach that).
    A manifest that fails the check stops the build before anything is written or deleted."""
    path = out_dir / "manifest.json"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BuildError(f"{path}: not a readable manifest ({exc}); nothing was written or deleted. Delete it "
                         f"(the build then rebuilds everything) or restore it from git") from None
    problems = _manifest_problems(manifest, out_dir)
    if problems:
        raise BuildError(f"{path}: not a manifest this package wrote, so nothing was written or deleted: "
                         + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
                         + ". Restore it from git, or delete it to rebuild everything")
    return manifest


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
    moves = [(staging / "notebook.ipynb", job.notebook_path, "notebook"), (staging / "page.html", job.html_path, "html")]
    for what in ("tables", "figures"):
        folder = staging / "out" / what
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.is_file() and not f.name.startswith("."):
                    kind = "table" if what == "tables" else f"figure-{f.suffix.lstrip('.')}"
                    moves.append((f, f"{job.place(what)}/{f.name}", kind))
    outputs = [{"path": rel, "sha256": _sha256(src), "kind": kind} for src, rel, kind in moves]
    new = {o["path"] for o in outputs}
    stale = [item["path"] for item in previous.get("outputs", []) if item["path"] not in new]
    backup = staging / "previous"
    undo = []  # (final path, its backup or None if it did not exist)
    try:
        for rel in [rel for _, rel, _ in moves] + stale:
            dest = out_dir / rel
            if dest.exists():
                keep = backup / rel
                keep.parent.mkdir(parents=True, exist_ok=True)
                os.link(dest, keep)  # a second name for the current file, restored on failure
                undo.append((dest, keep))
            else:
                undo.append((dest, None))
        for src, rel, _ in moves:
            dest = out_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        for rel in stale:
            if _inside(out_dir, rel):  # checked when the manifest was read; checked again before deleting
                (out_dir / rel).unlink(missing_ok=True)
        commit(outputs)
    except BaseException:
        for dest, keep in reversed(undo):
            if keep is not None:
                os.replace(keep, dest)
            else:
                dest.unlink(missing_ok=True)
        raise
    return outputs


def _start_pool(n_jobs: int | None, n: int, preload: bool, progress):
    """The worker pool (bounded by ``n_jobs``, default the core count) and, with ``preload``,
    the zygote its kernels are forked from; returns (pool, zygote, kernel command)."""
    import multiprocessing

    from .zygote import Zygote

    workers = max(1, min(n_jobs or os.cpu_count() or 1, n))
    zygote = Zygote() if preload else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
    # no waiting here: a kernel's proxy waits for the zygote's socket (and starts an ordinary kernel
    # if it never appears), so the zygote's imports overlap with computing the next inputs
    return pool, zygote, zygote.kernel_cmd() if zygote is not None else None


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {done:>2}/{total}"


def grades_out_dir(grades: Path | str) -> Path:
    """Where a build from a complete grade table goes without ``--out``: ``reports-<table name>/``
    beside ``reports/``."""
    import re

    stem = re.sub(r"[^a-z0-9]+", "-", Path(grades).stem.lower()).strip("-") or "grades"
    return config.PROJ_ROOT / f"reports-{stem}"


def _check_out_dir(out_dir: Path, data_dir=None) -> None:
    """The output folder must not be, hold or lie in ``data/``, must be a folder (or not exist yet),
    and an existing non-empty folder must be one this package built (it has our manifest)."""
    data = Path(data_dir).resolve() if data_dir else config.DATA_DIR.resolve()
    out = out_dir.resolve()
    if out == data or data in out.parents or out in data.parents:
        raise BuildError(f"output folder {out_dir}: the build never writes into data/ or a folder holding it; "
                         f"choose another --out")
    if out.exists() and not out.is_dir():
        raise BuildError(f"output folder {out_dir} is a file, not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise BuildError(f"output folder {out_dir} is not empty and holds no manifest.json: it is not an output "
                         f"folder of this package, and the build would overwrite files in it; choose an empty or "
                         f"new folder")
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if probe is not None and not os.access(probe, os.W_OK | os.X_OK):
        raise BuildError(f"output folder {out_dir}: {probe} is not writable")


def _refuse_mixed_basis(out_dir: Path, manifest: dict, grades_abs: str) -> None:
    """One output folder holds one data basis: refuse to add notebooks from another. ``manifest``
    is the folder's (checked) manifest, empty for a new folder."""
    if not manifest:
        return
    existing = manifest.get("grades_file")
    if existing is None and grades_abs:
        raise BuildError(f"{out_dir} holds outputs built from the public record; a build from a complete grade "
                         f"table goes to its own folder (leave out --out, or name an empty folder)")
    if existing is not None and not grades_abs:
        raise BuildError(f"{out_dir} holds outputs built from the complete grade table {existing.get('name')}; "
                         f"build the public record into another folder (--out)")
    if existing is not None and existing.get("sha256") != _sha256(Path(grades_abs)):
        raise BuildError(f"{out_dir} holds outputs built from another grade table ({existing.get('name')}); "
                         f"use another folder (--out) for {Path(grades_abs).name}")


def build(jobs: list[Job] | None = None, out_dir: Path | str | None = None, grades: Path | str | None = None,
          n_jobs: int | None = None, force: bool = False, progress=print,
          data_dir: Path | str | None = None, preload: bool = True) -> BuildSummary:
    """Build ``jobs`` (default: every notebook) into ``out_dir`` (default ``reports/``).

    ``data_dir`` replaces ``data/`` (tests use a copy). ``preload`` starts kernels as forks of a
    process that has already imported the libraries (:mod:`analysis.zygote`); False starts each
    kernel from scratch. Returns a :class:`BuildSummary`;
    raises :class:`BuildError` for bad parameters and ValidationError for a bad grade table,
    before any kernel starts.
    """
    from .load import data_file_hashes, load_grades

    started = time.perf_counter()
    jobs = list(jobs) if jobs is not None else plan()
    grades_abs = ""
    if grades:
        grades_abs = str(Path(grades).resolve())
        load_grades(grades_abs)  # a bad table fails here, naming file, row and value, before any kernel
    if out_dir:
        out_dir = Path(out_dir).resolve()
    elif grades_abs:
        # never into the committed published set: a folder of its own, named for the table
        out_dir = grades_out_dir(grades_abs)
        progress(f"a build from a complete grade table goes to its own folder: {out_dir} (--out to choose)")
    else:
        out_dir = config.REPORTS_DIR
    _check_out_dir(out_dir, data_dir)
    manifest = _load_manifest(out_dir)  # a hostile or damaged manifest stops the build here, before any write
    _refuse_mixed_basis(out_dir, manifest, grades_abs)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_before = data_file_hashes(data_dir)
    env = environment()
    code = code_digest()
    grades_hash = _sha256(Path(grades_abs)) if grades_abs else None
    header = _manifest_header(data_before, env, code, grades_abs, grades_hash)
    grades_param = ""
    if grades_abs:
        # notebooks read a copy kept with the outputs, by a path relative to their folder: the executed
        # notebooks and pages then do not depend on (or reveal) where the user's file lives
        copy = out_dir / ".cache" / "grades" / Path(grades_abs).name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(grades_abs, copy.with_name(f".{copy.name}.tmp"))
        os.replace(copy.with_name(f".{copy.name}.tmp"), copy)
        grades_param = f"../../.cache/grades/{copy.name}"

    # Each notebook's inputs are computed once for the whole build (and cached between builds),
    # in an order that lets notebooks start while the rest are computed: partnerships need only
    # the cells' possible grades and the medians; the national review needs everything.
    cache = out_dir / ".cache"
    prepare_key = _digest(data_before, grades_hash, code, env)
    source = source_key_of(data_before, grades_hash, code)
    index_path = cache / "inputs.json"
    index = {}
    if index_path.exists():
        try:
            index = json.loads(index_path.read_text())
        except ValueError:
            index = {}
    if index.get("key") != prepare_key:
        index = {"key": prepare_key, "jobs": {}}
    templates_path = cache / "templates.json"
    if templates_path.exists():
        try:
            _TEMPLATE_PARAMETERS.update(json.loads(templates_path.read_text()))
        except ValueError:
            pass
    manifest.setdefault("jobs", {})
    summary = BuildSummary()
    keys, params_of = {}, {}
    total, finished, computed, compute_seconds = len(jobs), 0, 0, 0.0
    results = None

    def inputs_entry(job: Job) -> dict:
        nonlocal results, computed, compute_seconds
        entry = index["jobs"].get(job.id)
        if entry is not None and (cache / entry["file"]).is_file():
            return entry
        from .report import Results, inputs_for, inputs_digest

        t0 = time.perf_counter()
        results = results or Results(grades_abs, data_dir)
        data = inputs_for(job.kind, job.subject, results)
        from . import cache as inputs_cache

        rel = f"inputs/{job.kind}/{job.slug}.json"
        path = cache / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSON, never pickle: a notebook reading it back (nbval, JupyterLab) runs no code from it
        inputs_cache.write(path, source, str(Path(data_dir).resolve()) if data_dir else None, data)
        index["jobs"][job.id] = entry = {"file": rel, "digest": inputs_digest(data)}
        computed += 1
        compute_seconds += time.perf_counter() - t0
        return entry

    def record(job: Job, result: dict):
        nonlocal finished
        staging = out_dir / ".staging" / f"{job.kind}-{job.slug}"
        if result["status"] == "done":
            previous = manifest["jobs"].get(job.id)

            def commit(outputs):
                manifest["jobs"][job.id] = {"kind": job.kind, "slug": job.slug, "subject": job.subject,
                                            "template": f"notebooks/{job.kind}.ipynb",
                                            "template_sha256": _sha256(job.template),
                                            "parameters": {k: v for k, v in params_of[job.id].items()
                                                           if k not in ("inputs", "output_dir")},
                                            "data_basis": header["data_basis"],
                                            "inputs_digest": index["jobs"][job.id]["digest"], "key": keys[job.id],
                                            "outputs": outputs}
                try:
                    _write_manifest(out_dir, manifest, header)
                except BaseException:
                    if previous is None:
                        manifest["jobs"].pop(job.id, None)
                    else:
                        manifest["jobs"][job.id] = previous
                    raise

            try:
                _install(job, staging, out_dir, previous or {}, commit)
            except OSError as exc:  # e.g. disk full: this job failed, its previous outputs are back in place
                result = {"status": "failed", "seconds": result["seconds"], "cell": "",
                          "error": f"installing its outputs failed ({type(exc).__name__}: {exc}); "
                                   "the previous outputs are unchanged"}
        elif result["status"] == "failed":
            partial = staging / "notebook.ipynb"
            if partial.exists():
                dest = out_dir / "failed" / job.kind / f"{job.slug}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(partial, dest)
                result["partial"] = str(dest.relative_to(out_dir))
        shutil.rmtree(staging, ignore_errors=True)
        summary.results[job.id] = result
        finished += 1
        timing = f"  {result['seconds']:.1f} s" if result["status"] != "skipped" else ""
        progress(f"{_bar(finished, total)}  {result['status']:<7}  {job.id}{timing}")

    def collect(futures: dict, block: bool):
        ready = list(as_completed(futures)) if block else [f for f in futures if f.done()]
        for future in ready:
            job = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # a worker died (e.g. killed): that job failed, the rest go on
                result = {"status": "failed", "seconds": 0.0, "cell": "", "error": f"{type(exc).__name__}: {exc}"}
            record(job, result)

    compute_order = ("partnership", "period_group", "review", "statements")
    pool = zygote = None
    futures: dict = {}
    try:
        for job in sorted(jobs, key=lambda j: compute_order.index(j.kind)):
            entry = inputs_entry(job)
            staging_rel = f".staging/{job.kind}-{job.slug}"
            # paths relative to the notebook's folder (notebooks/<kind>/), where its kernel starts
            params_of[job.id] = params = parameters_for(job, grades_param, f"../../.cache/{entry['file']}",
                                                        f"../../{staging_rel}/out")
            keys[job.id] = _digest(_sha256(job.template), params, entry["digest"], code, env)
            previous = manifest["jobs"].get(job.id, {})
            if not force and previous.get("key") == keys[job.id] and _outputs_intact(out_dir, previous):
                record(job, {"status": "skipped", "seconds": 0.0})
                continue
            staging = out_dir / staging_rel
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            if pool is None:
                pool, zygote, kernel_cmd = _start_pool(n_jobs, len(jobs), preload, progress)
            futures[pool.submit(_run_job, job, str(job.template), str(out_dir), params, str(staging), kernel_cmd)] = job
            collect(futures, block=False)
        _write_atomic(index_path, json.dumps(index, indent=1) + "\n")
        _write_atomic(templates_path, json.dumps(_TEMPLATE_PARAMETERS, indent=1, sort_keys=True) + "\n")
        if computed:
            progress(f"inputs: computed for {computed} notebook(s) in {compute_seconds:.1f} s")
        collect(futures, block=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if zygote is not None:
            zygote.close()
        shutil.rmtree(out_dir / ".staging", ignore_errors=True)

    from .dictionary import write_datapackage
    from .site import write_index

    write_index(out_dir, manifest)
    write_datapackage(out_dir)  # the data dictionary of every table and figure data file
    if data_file_hashes(data_dir) != data_before:
        raise BuildError("data/ changed during the build; outputs may not match the data")
    _write_manifest(out_dir, manifest, header)
    summary.seconds = time.perf_counter() - started
    summary.manifest = out_dir / "manifest.json"
    return summary


def _manifest_header(data_files: dict, env: dict, code: str, grades_abs: str, grades_hash: str | None) -> dict:
    """The build-wide fields of the manifest (computed once per build)."""
    git = git_commit()
    return {
        "package_version": __version__,
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "analysis_code_sha256": code,
        "environment": env,
        "data_basis": basis_label(grades_abs),
        "data_files": data_files,
        "grades_file": {"name": Path(grades_abs).name, "sha256": grades_hash} if grades_abs else None,
    }


def _write_manifest(out_dir: Path, manifest: dict, header: dict) -> None:
    site = [{"path": p, "sha256": _sha256(out_dir / p), "kind": "site"}
            for p in ("index.html", "tables/datapackage.json") if (out_dir / p).exists()]
    manifest.update(header)
    from .site import order_key

    manifest["jobs"] = dict(sorted(manifest["jobs"].items(), key=lambda je: order_key(je[1]["kind"], je[1]["subject"])))
    outputs = [dict(o, job=j) for j, e in manifest["jobs"].items() for o in e["outputs"]] + site
    manifest["outputs"] = outputs
    ordered = {k: manifest[k] for k in ("package_version", "git_commit", "git_dirty", "analysis_code_sha256", "environment",
                                        "data_basis", "data_files", "grades_file", "jobs", "outputs")}
    _write_atomic(out_dir / "manifest.json", json.dumps(ordered, indent=1, sort_keys=False) + "\n")
