"""Writing a file all or nothing: the one atomic-write helper every writer of the package uses.

A file is written beside its final name (``.<name>.tmp``, with the process id where several
processes may write the same file) and renamed into place, so a reader sees the old file or the new
one, never half of one; the temporary file is removed whatever happens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_atomic"]


@contextmanager
def atomic_path(path: str | Path, per_process: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed into place when the body ends.

    Parameters
    ----------
    path : str or Path
        The file to write. Its folder is created if missing.
    per_process : bool
        Put the process id in the temporary name (several processes may write the same file).

    Yields
    ------
    Path
        Where to write. If the body raises, nothing is renamed and the old file stays.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "out.csv"
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("a,b\\n")
    ...     sorted(p.name for p in pathlib.Path(d).iterdir()), target.read_text()
    (['out.csv'], 'a,b\\n')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp" if per_process else f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, content: str | bytes, per_process: bool = False) -> Path:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` all or nothing.

    Parameters
    ----------
    path : str or Path
        The file to write.
    content : str or bytes
        Its new content.
    per_process : bool
        As in :func:`atomic_path`.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_atomic(pathlib.Path(d) / "index.html", "<p>hi</p>").read_text()
    '<p>hi</p>'
    """
    with atomic_path(path, per_process) as tmp:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
    return Path(path)
