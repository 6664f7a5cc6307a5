"""``review check``: does every published output follow from the data and code at this commit?

:func:`check` rebuilds every notebook the published manifest lists into a temporary folder and
compares each output with the published one:

- tables (``.csv``): exactly; where they differ, the cells that moved, numbers with their change;
- figure data (``figures/*.csv``) exactly, the same way; alt text (``.txt``) and SVG exactly;
- figure images (``.png``) within an RMS tolerance (on the 0-255 scale, as matplotlib's
  ``compare_images`` computes it), so an anti-aliasing wobble passes and a colour change does not;
- executed notebooks cell by cell (text outputs exactly, images by RMS);
- every published file against the hash the manifest gives it; outputs the published set does
  not include (pages, per-partnership notebooks) by the manifest's hash alone.

It never writes into the published folder. :func:`compare_manifests`
(:mod:`analysis.pipeline.revisions`, which the readers' revisions page also uses) says which outputs
changed between two published sets and why (data, code, environment, parameters or template).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from analysis import config
from analysis.errors import CheckError, ReviewError
from analysis.fingerprints import code_digest, sha256_file
from analysis.pipeline.provenance import environment
from analysis.pipeline.revisions import (
    CheckReport,
    Line,
    _changed,
    _env_differences,
    _output_order,
    compare_manifests,
)
from analysis.report.kinds import KINDS

__all__ = [
    "DEFAULT_TOL",
    "DEFAULT_RTOL",
    "DEFAULT_ATOL",
    "Line",
    "CheckReport",
    "check",
    "compare_file",
    "compare_table",
    "compare_png",
    "compare_notebook",
    "compare_manifests",
    "manifest_at",
    "read_manifest",
]

#: Default RMS tolerance for PNG images (matplotlib's own image tests mostly use 0 to a few units).
DEFAULT_TOL = 1.0
#: Default tolerances for floating-point cells of tables: |new - old| <= ATOL + RTOL * |old|.
#: Integers (counts, grades as numbers) and text are compared exactly.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-12


# -- comparing one file ----------------------------------------------------------------------------------------
def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def _is_integer(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()


def compare_table(
    published: Path, rebuilt: Path, max_cells: int = 3, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> str | None:
    """None if the two CSV files agree; otherwise what differs (shape, columns, cells).

    Text and integers are compared exactly; floating-point cells within ``atol + rtol * |old|``
    (the last digits of iterative fits and of sums vary between CPUs)."""
    import pandas as pd

    if published.read_bytes() == rebuilt.read_bytes():
        return None
    try:
        a = pd.read_csv(published, dtype=str, keep_default_na=False)
        b = pd.read_csv(rebuilt, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        return f"not comparable as tables ({exc})"
    if list(a.columns) != list(b.columns):
        gone, added = sorted(set(a.columns) - set(b.columns)), sorted(set(b.columns) - set(a.columns))
        return f"columns differ (removed: {', '.join(gone) or '-'}; added: {', '.join(added) or '-'})"
    if len(a) != len(b):
        return f"{len(a)} rows published, {len(b)} rebuilt"
    moved = []
    largest = 0.0
    within = 0
    for row, col in zip(*(a.values != b.values).nonzero()):
        old, new = a.iat[row, col], b.iat[row, col]
        label = f"row {row + 1} ({a.iat[row, 0]}) {a.columns[col]}"
        x, y = _number(old), _number(new)
        if x is not None and y is not None:
            if not (_is_integer(old) and _is_integer(new)) and abs(y - x) <= atol + rtol * abs(x):
                within += 1  # float noise within the tolerance: the same number
                continue
            largest = max(largest, abs(y - x))
            moved.append(f"{label}: {old} -> {new} (change {y - x:+.6g})")
        else:
            moved.append(f"{label}: {old!r} -> {new!r}")
    if not moved:  # same values: cells within the float tolerance, or only quoting and line endings differ
        return None
    text = f"{len(moved)} cell(s) differ" + (f", largest numeric change {largest:.6g}" if largest else "")
    return text + "; " + "; ".join(moved[:max_cells]) + ("; ..." if len(moved) > max_cells else "")


def _rms(a, b) -> float:
    from matplotlib.testing.compare import calculate_rms

    return float(calculate_rms(a.astype("int16"), b.astype("int16")))


def _png_array(data):
    import io

    import numpy as np
    from PIL import Image

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(source) as im:
        return np.asarray(im.convert("RGB"))


def compare_png(published, rebuilt, tol: float = DEFAULT_TOL) -> str | None:
    """None if the images agree within ``tol`` (RMS over RGB values 0-255); otherwise how they differ.
    ``published`` and ``rebuilt`` are paths or PNG bytes."""
    a, b = _png_array(published), _png_array(rebuilt)
    if a.shape != b.shape:
        return f"image size {a.shape[1]}x{a.shape[0]} published, {b.shape[1]}x{b.shape[0]} rebuilt"
    rms = _rms(a, b)
    return None if rms <= tol else f"image RMS difference {rms:.2f} > tolerance {tol}"


def compare_notebook(published: Path, rebuilt: Path, tol: float = DEFAULT_TOL) -> str | None:
    """None if the notebooks agree (text outputs exactly, images within ``tol``); otherwise the cells that differ."""
    import base64

    import nbformat

    if published.read_bytes() == rebuilt.read_bytes():
        return None
    a, b = nbformat.read(published, as_version=4), nbformat.read(rebuilt, as_version=4)
    if len(a.cells) != len(b.cells):
        return f"{len(a.cells)} cells published, {len(b.cells)} rebuilt"
    problems = []
    for n, (ca, cb) in enumerate(zip(a.cells, b.cells)):
        if ca.source != cb.source:
            problems.append(f"cell {n} source")
            continue
        oa, ob = ca.get("outputs", []), cb.get("outputs", [])
        if len(oa) != len(ob):
            problems.append(f"cell {n}: {len(oa)} outputs published, {len(ob)} rebuilt")
            continue
        for x, y in zip(oa, ob):
            if x.get("output_type") == "stream":
                if x.get("text") != y.get("text"):
                    problems.append(f"cell {n} {x.get('name')}")
                continue
            dx, dy = x.get("data", {}), y.get("data", {})
            for mime in sorted(set(dx) | set(dy)):
                if mime == "image/png" and mime in dx and mime in dy:
                    diff = compare_png(base64.b64decode(dx[mime]), base64.b64decode(dy[mime]), tol)
                    if diff:
                        problems.append(f"cell {n} {mime}: {diff}")
                elif dx.get(mime) != dy.get(mime):
                    problems.append(f"cell {n} {mime}")
            if x.get("ename") != y.get("ename") or x.get("evalue") != y.get("evalue"):
                problems.append(f"cell {n} error")
    if a.metadata != b.metadata:
        keys = sorted(k for k in set(a.metadata) | set(b.metadata) if a.metadata.get(k) != b.metadata.get(k))
        problems.append(f"notebook metadata ({', '.join(keys)})")
    if not problems:
        return None  # images within tolerance: same for the reader
    return f"{len(problems)} difference(s): " + "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else "")


def compare_spreadsheet(published: Path, rebuilt: Path, rtol: float = DEFAULT_RTOL,
                        atol: float = DEFAULT_ATOL) -> str | None:
    """None if two spreadsheets hold the same cell values (numbers within tolerance); else the first
    differences, by sheet and cell. Bytes are not compared: another version of the writer may lay out
    the same values differently."""
    from analysis.publish.spreadsheets import read_cells

    a, b = read_cells(published), read_cells(rebuilt)
    problems = []
    if list(a) != list(b):
        problems.append(f"sheets {list(a)} -> {list(b)}")
    for sheet in (s for s in a if s in b):
        ra, rb = a[sheet], b[sheet]
        if len(ra) != len(rb):
            problems.append(f"{sheet}: {len(ra)} rows -> {len(rb)}")
        for i, (x, y) in enumerate(zip(ra, rb), 1):
            if len(x) != len(y) or any(not _same_cell(u, v, rtol, atol) for u, v in zip(x, y)):
                problems.append(f"{sheet} row {i}: {x[:4]} -> {y[:4]}")
                break
    if not problems:
        return None
    return f"{len(problems)} difference(s): " + "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else "")


def _same_cell(u, v, rtol: float, atol: float) -> bool:
    if isinstance(u, (int, float)) and isinstance(v, (int, float)):
        return math.isclose(u, v, rel_tol=rtol, abs_tol=atol)
    return u == v


def compare_file(
    published: Path, rebuilt: Path, tol: float = DEFAULT_TOL, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> str | None:
    """None if ``published`` and ``rebuilt`` agree, by the rule for the file's kind; else how they differ."""
    suffix = published.suffix
    if suffix == ".csv":
        return compare_table(published, rebuilt, rtol=rtol, atol=atol)
    if suffix == ".png":
        return compare_png(published, rebuilt, tol)
    if suffix == ".ipynb":
        return compare_notebook(published, rebuilt, tol)
    if suffix in (".ods", ".xlsx"):
        return compare_spreadsheet(published, rebuilt, rtol=rtol, atol=atol)
    if published.read_bytes() == rebuilt.read_bytes():
        return None
    if suffix == ".txt":
        return f"text differs: {published.read_text().strip()!r} -> {rebuilt.read_text().strip()!r}"
    return f"{suffix.lstrip('.').upper()} bytes differ"


# -- the whole published set ------------------------------------------------------------------------------------
def _load_manifest(path: Path) -> dict:
    """A manifest read back, or a :class:`CheckError` saying what is wrong with the file (missing, unreadable,
    not JSON, not a manifest: a JSON object with a list of outputs, each with a path and a hash)."""
    try:
        return _as_manifest(json.loads(path.read_text(encoding="utf-8")), path)
    except FileNotFoundError:
        raise CheckError(f"{path}: no manifest; nothing published to check (run `review build` first)") from None
    except IsADirectoryError:
        raise CheckError(f"{path}: a folder, not a manifest file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckError(f"{path}: not a readable manifest ({exc}); restore it from git or rebuild") from None


def _as_manifest(value, where) -> dict:
    """``value`` if it has the shape of a manifest, else a :class:`CheckError` naming ``where``."""
    outputs = value.get("outputs") if isinstance(value, dict) else None
    if not isinstance(outputs, list) or not all(
            isinstance(o, dict) and isinstance(o.get("path"), str) and isinstance(o.get("sha256"), str)
            for o in outputs) or not isinstance(value.get("jobs", {}), dict):
        raise CheckError(f"{where}: not a manifest (a JSON object whose 'outputs' list each output's path and "
                         "sha256, as review build writes); restore it from git or rebuild")
    return value


def read_manifest(path: Path | str) -> dict:
    """The manifest in a file (``--against``), or a :class:`CheckError` saying what is wrong with it.

    Parameters
    ----------
    path : str or Path
        A ``manifest.json`` written by ``review build``.

    Returns
    -------
    dict
        The manifest.
    """
    return _load_manifest(Path(path))


def _why_notes(published: dict, current_data: dict, env: dict, code: str) -> list[str]:
    notes = []
    if published.get("analysis_code_sha256") != code:
        notes.append("the analysis code differs from the published set's")
    changed = _changed(published.get("data_files", {}), current_data)
    if changed:
        notes.append("data files differ from the published set's: " + ", ".join(changed))
    notes += [f"environment: {d}" for d in _env_differences(published.get("environment", {}), env)]
    return notes


def check(
    reports_dir: Path | str | None = None,
    grades=None,
    n_jobs: int | None = None,
    tol: float = DEFAULT_TOL,
    data_dir: Path | str | None = None,
    progress=print,
    keep: Path | str | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    timeout: float | None = None,
    wait: bool = False,
) -> CheckReport:
    """Rebuild every notebook ``reports_dir``'s manifest lists into a temporary folder (or ``keep``)
    and compare each output with the published one. Never writes into ``reports_dir``. ``grades``: the
    complete grade table the set was built from (its path, or a :class:`analysis.domain.load.GradeTable`
    read already).

    Tables and figure data: text and integers exactly, floats within ``atol + rtol * |old|``; SVG
    and alt text byte for byte; PNG images within RMS ``tol``; notebooks cell by cell."""
    from analysis.pipeline.outdir import locked

    reports_dir = Path(reports_dir).resolve() if reports_dir else config.REPORTS_DIR
    if not reports_dir.is_dir():
        raise ReviewError(f"{reports_dir}: no published folder to check")
    # the published folder is locked (flock on the folder: nothing is written into it) while it is read
    # and compared, so no build changes it half-way
    with locked(reports_dir, wait=wait, progress=progress):
        return _check(reports_dir, grades, n_jobs, tol, data_dir, progress, keep, rtol, atol, timeout)


def _check(reports_dir: Path, grades, n_jobs, tol, data_dir, progress, keep, rtol, atol, timeout) -> CheckReport:
    from analysis.domain.load import GradeTable, data_file_hashes, read_grade_table
    from analysis.pipeline.build import _lines, build, job_for, watching

    progress = _lines(progress)  # as the build's: within 80 columns, one message at a time

    published = _load_manifest(reports_dir / "manifest.json")
    jobs = [job_for(e["kind"], e["subject"]) for e in published.get("jobs", {}).values()]
    report = CheckReport(
        rules=f"tables and figure data: text and integers exactly, floats within {atol:g} + "
        f"{rtol:g} x |published|; spreadsheets by cell values, by the same rule; SVG and alt text byte for byte; "
        f"PNG within RMS {tol:g}"
    )
    report.notes = _why_notes(published, data_file_hashes(data_dir), environment(), code_digest())
    if published.get("grades_file") and not grades:
        report.notes.append(
            f"the published set was built from a complete grade table "
            f"({published['grades_file']['name']}); pass it with --grades"
        )
    # read once (or given read, as a GradeTable); the build gets this
    table = grades if isinstance(grades, GradeTable) else read_grade_table(Path(grades).resolve()) if grades else None
    if table is not None and (published.get("grades_file") or {}).get("sha256") != table.sha256:
        report.notes.append(
            f"the grade table {table.name} differs from the one the published set was built from"
        )
    with _owned_folder() as tmp:
        out = Path(keep).resolve() if keep else Path(tmp) / "reports"
        progress(f"rebuilding {len(jobs)} notebook(s) into {out} ...")
        summary = build(
            jobs,
            out_dir=out,
            grades=table,
            n_jobs=n_jobs,
            force=True,
            progress=progress,
            data_dir=data_dir,
            timeout=timeout,
        )
        for job_id in summary.failed:
            report.lines.append(
                Line(job_id, "differs", f"notebook failed to rebuild: {summary.results[job_id]['error']}")
            )
        rebuilt = _load_manifest(out / "manifest.json")
        old = {o["path"]: o for o in published.get("outputs", [])}
        new = {o["path"]: o for o in rebuilt.get("outputs", [])}
        paths = sorted(set(old) | set(new), key=_output_order)
        with watching(progress) as said:  # never silent for long while it compares
            for n, path in enumerate(paths):
                said.doing("comparing the outputs with the published set", f"{n} of {len(paths)}")
                report.lines.append(_compare_output(path, old.get(path), new.get(path), reports_dir, out, tol, rtol,
                                                    atol))
        listed = set(old)
        for folder in ("tables", "figures", "notebooks"):
            for f in sorted((reports_dir / folder).rglob("*")) if (reports_dir / folder).is_dir() else []:
                rel = f.relative_to(reports_dir).as_posix()
                if f.is_file() and rel not in listed and not f.name.startswith("."):
                    report.lines.append(Line(rel, "unlisted", "in the published folder but not in its manifest"))
    return report


@contextmanager
def _owned_folder():
    """The temporary folder of the rebuild, removed at the end; it names this process as its owner, so if
    ``review check`` is killed outright the next build removes it (:mod:`analysis.pipeline.leftovers`)."""
    from analysis.pipeline.leftovers import make_folder

    folder = make_folder("review-check-", parent=tempfile.gettempdir())
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: Folders of the committed published set: a file listed there must be on disk.
COMMITTED = ("tables/", "figures/") + tuple(f"notebooks/{k.name}/" for k in KINDS.values() if k.published)


def _compare_output(
    path: str,
    old: dict | None,
    new: dict | None,
    reports_dir: Path,
    out: Path,
    tol: float,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Line:
    if new is None:
        return Line(path, "missing", "published, but the rebuild does not produce it")
    if old is None:
        return Line(path, "new", "the rebuild produces it; the published manifest does not list it")
    published_file, rebuilt_file = reports_dir / path, out / path
    if not published_file.is_file() and path.startswith(COMMITTED):
        return Line(path, "differs", "the published file is missing (deleted from the published set?)")
    if not published_file.is_file():
        # not in the published set (pages, per-partnership notebooks): the manifest's hash is the record
        if old["sha256"] == new["sha256"]:
            return Line(path, "same", "by manifest hash (not in the published set)")
        if path.endswith(".html") or path.endswith(".ipynb"):
            return Line(
                path,
                "differs",
                "hash differs from the published manifest's (not in the published set: "
                "rebuild it to see the difference)",
            )
        return Line(path, "differs", "published file is missing")
    if sha256_file(published_file) != old["sha256"]:
        return Line(path, "differs", "the published file does not match its manifest hash (edited after the build?)")
    diff = compare_file(published_file, rebuilt_file, tol, rtol, atol)
    return Line(path, "same") if diff is None else Line(path, "differs", diff)


# -- between two published sets ----------------------------------------------------------------------------------
def manifest_at(commit: str) -> dict:
    """The published manifest at a git commit (a revision git can resolve; never an option)."""
    from analysis.errors import shown

    if not commit or commit.startswith("-") or any(c in commit for c in "\n\r\0"):
        raise ReviewError(f"--since: {shown(commit)} is not a commit (give a revision such as HEAD~1 or a hash)")
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{commit}^{{commit}}"],
            cwd=config.PROJ_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        text = subprocess.run(
            ["git", "show", f"{sha}:reports/manifest.json"],
            cwd=config.PROJ_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise ReviewError(
            f"--since: no published manifest at {shown(commit)} "
            f"({exc.stderr.strip() or 'not a commit of this repository'})"
        ) from None
    try:
        return _as_manifest(json.loads(text), f"the published manifest at {shown(commit)}")
    except ValueError:
        raise CheckError(f"--since: the published manifest at {shown(commit)} is not JSON") from None
