"""What an output was made with: the environment (Python and package versions, the lock) and the git
commit. The manifest and ``review check`` record and compare them; the data and code fingerprints
are :mod:`analysis.fingerprints`.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

from analysis import config
from analysis.fingerprints import sha256_file

__all__ = ["PACKAGES", "environment", "git_commit"]

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


