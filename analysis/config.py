"""Paths, from the project root. Nothing else lives here.

The project root is the checkout holding ``data/datapackage.json`` and ``notebooks/``: the folder
named by the ``REVIEW_PROJECT`` environment variable (``review --project DIR`` sets it), else the
checkout this package was installed from in editable mode (``make install``), else the nearest
such folder at or above the current directory. A package installed without a checkout (``pip
install .``) and run outside one stops with :class:`ProjectNotFound`, saying what to do.
"""

import os
from pathlib import Path

from analysis.errors import ReviewError


class ProjectNotFound(ReviewError, RuntimeError):
    """No checkout of the project (data/ and notebooks/) could be found."""


def _is_project(folder: Path) -> bool:
    return (folder / "data" / "datapackage.json").is_file() and (folder / "notebooks").is_dir()


def find_project() -> Path:
    named = os.environ.get("REVIEW_PROJECT")
    if named:
        folder = Path(named).expanduser().resolve()
        if not _is_project(folder):
            raise ProjectNotFound(f"REVIEW_PROJECT={named}: not a checkout of the project (no data/datapackage.json "
                                  f"and notebooks/ there)")
        return folder
    here = Path(__file__).resolve().parents[1]
    if _is_project(here):
        return here
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if _is_project(folder):
            return folder
    raise ProjectNotFound("no checkout of the project found: run `review` inside one, or name it with "
                          "`review --project DIR` (or REVIEW_PROJECT=DIR)")


def __getattr__(name):
    # resolved on first use, so an installed package can be pointed at a checkout before it is needed
    paths = {"PROJ_ROOT": lambda r: r, "DATA_DIR": lambda r: r / "data",
             "DATAPACKAGE": lambda r: r / "data" / "datapackage.json", "NOTEBOOKS_DIR": lambda r: r / "notebooks",
             "REPORTS_DIR": lambda r: r / "reports"}
    if name in paths:
        root = globals().get("_ROOT") or find_project()
        globals()["_ROOT"] = root
        return paths[name](root)
    raise AttributeError(name)

def default_out_dir(grades: Path | str | None = None) -> Path:
    """The output folder of a data basis when none is named: ``reports/`` for the public record, and
    ``reports-<table name>/`` beside it for a complete grade table (never the committed published set)."""
    import re

    if not grades:
        return _path("REPORTS_DIR")
    stem = re.sub(r"[^a-z0-9]+", "-", Path(grades).stem.lower()).strip("-") or "grades"
    return _path("PROJ_ROOT") / f"reports-{stem}"


def _path(name: str) -> Path:
    """A path of this module as a caller outside it sees it (set on the module, else resolved)."""
    return globals()[name] if name in globals() else __getattr__(name)
