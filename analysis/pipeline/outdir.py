"""The output folder: which folders a build may write into, its manifest as read from disk, and
the lock that gives one build, run or check the folder at a time.

Every path the package writes or deletes lies inside its output folder. A manifest is data from
disk (``reports/manifest.json`` is committed, so it may come from anyone): every path it lists is
checked to name a file inside the folder before the build reads, writes or deletes anything.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

from analysis.errors import BuildError

__all__ = ["OutputFolderError", "FolderBusy", "check_out_dir", "inside", "contained", "manifest_problems",
           "load_manifest", "locked"]


class OutputFolderError(BuildError):
    """An output folder the build refuses, or a manifest it will not act on; nothing was written."""


class FolderBusy(OutputFolderError):
    """Another ``review`` process holds the output folder's lock."""



def inside(out_dir: Path, rel) -> bool:
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


def contained(out_dir: Path, path: Path) -> Path:
    """``path`` (a place the build is about to write or delete), after checking that it lies inside
    ``out_dir`` once symlinks are followed; a symlinked folder leading out is refused."""
    root = out_dir.resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise OutputFolderError(f"{path} leads out of the output folder {out_dir} (a symbolic link?); the build "
                                f"writes only inside it. Remove the link")
    return Path(path)


def check_out_dir(out_dir: Path, data_dir: Path) -> None:
    """The output folder must not be, hold or lie in ``data_dir``, must be a folder (or not exist
    yet), and an existing non-empty folder must be one this package built (it has our manifest)."""
    data = Path(data_dir).resolve()
    out = out_dir.resolve()
    if out == data or data in out.parents or out in data.parents:
        raise OutputFolderError(f"output folder {out_dir}: the build never writes into data/ or a folder holding it; "
                                f"choose another --out")
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"output folder {out_dir} is a file, not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise OutputFolderError(f"output folder {out_dir} is not empty and holds no manifest.json: it is not an "
                                f"output folder of this package, and the build would overwrite files in it; choose "
                                f"an empty or new folder")
    for name in ("manifest.json", ".cache", ".staging", "index.html", "quality.html", "accessibility.html"):
        if (out / name).is_symlink():
            raise OutputFolderError(f"{out / name} is a symbolic link; the build writes only inside its output "
                                    f"folder. Remove the link")
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if probe is not None and not os.access(probe, os.W_OK | os.X_OK):
        raise OutputFolderError(f"output folder {out_dir}: {probe} is not writable")


def manifest_problems(manifest, out_dir: Path) -> list[str]:
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
            if not inside(out_dir, rel):
                problems.append(f"{where}[{n}].path {rel!r} is not a file inside the output folder")
            elif (out_dir / rel).is_dir():
                problems.append(f"{where}[{n}].path {rel!r} is a folder, not an output file")
            elif not isinstance(item.get("sha256"), str):
                problems.append(f"{where}[{n}] has no sha256")
    return problems


def load_manifest(out_dir: Path) -> dict:
    """The output folder's manifest, checked: every path it lists must be a file inside the folder
    (a build deletes stale outputs the manifest lists, so a hostile entry must never reach that).
    A manifest that fails the check stops the build before anything is written or deleted."""
    path = out_dir / "manifest.json"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputFolderError(f"{path}: not a readable manifest ({exc}); nothing was written or deleted. Delete it "
                                f"(the build then rebuilds everything) or restore it from git") from None
    problems = manifest_problems(manifest, out_dir)
    if problems:
        raise OutputFolderError(f"{path}: not a manifest this package wrote, so nothing was written or deleted: "
                                + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
                                + ". Restore it from git, or delete it to rebuild everything")
    return manifest


@contextmanager
def locked(folder: Path, wait: bool = False, progress=print):
    """Hold an exclusive lock on ``folder`` (which must exist) for the body of the ``with``.

    The lock is ``flock`` on the folder itself, so it writes nothing into it and goes with the
    process: a build killed outright leaves no stale lock. A second build, run or check of the
    same folder stops with :class:`FolderBusy`, or with ``wait`` says it is waiting and waits."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise FolderBusy(f"{folder} is in use by another review build, run or check; run this again when "
                                 f"it has finished, or add --wait to wait for it") from None
            progress(f"waiting: {folder} is in use by another review build, run or check ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
