"""Fingerprints of what an output was made from: data files, code, environment, git commit.

The build's cache keys, the manifest and ``review check`` all use these, so "same inputs" means
the same thing everywhere.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from . import config

__all__ = ["PACKAGES", "environment", "code_digest", "sha256_file", "digest", "git_commit", "source_key", "source_key_of"]

#: Packages whose versions go in the manifest and the cache key.
PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn", "papermill", "nbclient",
            "nbconvert", "nbformat", "ipykernel", "jupyter_client")


def environment() -> dict:
    """Python and package versions (what the manifest records and the cache key includes):
    ``packages``, the main libraries; ``distributions``, every installed distribution (name and
    version, the package itself excluded); ``lock_sha256``, the hash of ``requirements.lock``."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    own = "cpp-inspections-review"
    dists = {}
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").lower().replace("_", "-")
        if name and name != own:
            dists[name] = d.version
    lock = config.PROJ_ROOT / "requirements.lock"
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.machine(), "packages": versions, "distributions": dict(sorted(dists.items())),
            "lock_sha256": sha256_file(lock) if lock.is_file() else None}


def code_digest() -> str:
    """SHA-256 over the ``analysis`` package's source files."""
    h = hashlib.sha256()
    for path in sorted((config.PROJ_ROOT / "analysis").glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def digest(*parts) -> str:
    """SHA-256 of JSON-serialisable parts (sorted keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def git_commit() -> dict:
    """The checkout's commit, and whether files outside ``reports/`` had uncommitted changes
    (modified, staged or untracked and not ignored)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=config.PROJ_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        # untracked files count too (a new module not yet added), ignored ones do not
        dirty = bool(git("status", "--porcelain", "--", ".", ":(exclude)reports"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def source_key(data_dir: str | Path | None = None, grades: str | Path | None = None) -> str:
    """What a result is computed from: the data files, the grade table, the code. Every entry of the
    results cache (:class:`analysis.cache.ResultsCache`) is keyed by it, with the function and its
    arguments, so an entry is read only while these are unchanged.
    """
    from .load import data_file_hashes

    return source_key_of(data_file_hashes(data_dir), sha256_file(grades) if grades else None, code_digest())


def source_key_of(data_files: dict, grades_sha256: str | None, code: str) -> str:
    """:func:`source_key` from fingerprints already taken (the build has them)."""
    return digest(data_files, grades_sha256, code)
