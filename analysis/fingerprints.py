"""Fingerprints: the SHA-256 of a file, of JSON-serialisable parts, and of the code that can move
a published output.

The build's cache keys, the manifest and ``review check`` all use these, so "same inputs" means
the same thing everywhere.

The **code digest** covers every module of the ``analysis`` package that a notebook, or a result a
notebook reads, can execute: the domain, the record model, the statistics, the presentation, the
notebook pages and the pipeline that runs, normalises and exports the notebooks. It leaves out the
modules listed in :data:`OUTSIDE_DIGEST`, which only parse the command line, compare a rebuild
with the published set or cut a release (whose version edits are themselves in the digest):
editing them cannot move an output, so it leaves the published set valid.
The templates are fingerprinted per notebook (each notebook's key and ``template_sha256``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["OUTSIDE_DIGEST", "code_digest", "code_files", "digest", "sha256_file"]

#: Modules (relative to the package folder) that cannot move a published output.
OUTSIDE_DIGEST = ("cli.py", "pipeline/check.py", "pipeline/release.py")

_PACKAGE = Path(__file__).resolve().parent


def code_files() -> list[str]:
    """The package's modules that the code digest covers, relative to the package folder.

    Returns
    -------
    list of str
        POSIX paths such as ``"stats/summaries.py"``, sorted.

    Examples
    --------
    >>> files = code_files()
    >>> "stats/summaries.py" in files, "cli.py" in files
    (True, False)
    """
    return sorted(p.relative_to(_PACKAGE).as_posix() for p in _PACKAGE.rglob("*.py")
                  if "__pycache__" not in p.parts and p.relative_to(_PACKAGE).as_posix() not in OUTSIDE_DIGEST)


def code_digest() -> str:
    """SHA-256 over the source of the modules in :func:`code_files` (each path, then its bytes).

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> len(code_digest())
    64
    """
    h = hashlib.sha256()
    for rel in code_files():
        h.update(rel.encode())
        h.update((_PACKAGE / rel).read_bytes())
    return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "x.txt"
    ...     _ = f.write_bytes(b"abc")
    ...     sha256_file(f)[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def digest(*parts) -> str:
    """SHA-256 of JSON-serialisable parts (keys sorted, anything else by its ``str``).

    Parameters
    ----------
    *parts
        Values to fingerprint together, in order.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
