"""The package's base exception, and showing text from users in messages.

Every error about input or use (a bad grade table, an unknown name, an output folder the build
refuses, a busy folder, a missing checkout) is a :class:`ReviewError`; the ``review`` command
prints its message and exits 2. Any other exception is a bug in the package, and is shown as one
(with its traceback), never as a message about the input.
"""

from __future__ import annotations

import errno
import os

__all__ = ["ReviewError", "UsageError", "BuildError", "DiskFull", "CheckError", "shown", "DISK_FULL"]

#: The errors of a full disk or quota: a message (exit 2), never a crash.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class ReviewError(Exception):
    """Bad input or use of the package (the message says what and what to do).

    Its subclasses: :class:`UsageError` (a function called with an argument it does not accept),
    :class:`BuildError` (and the output folder's errors under it), :class:`CheckError`, and, in their
    layers, ``analysis.domain.schema.ValidationError`` (a bad data file or grade table, naming file,
    row, column and value), ``analysis.domain.areas.UnknownName``, ``analysis.record.model.Infeasible``
    (constraints that admit no grade table) and ``analysis.config.ProjectNotFound``.
    """


class UsageError(ReviewError, ValueError):
    """A library function or notebook called with a value it does not accept (an unknown notebook
    kind, a grade not on the scale, a figure name that is not a file name)."""


class BuildError(ReviewError, RuntimeError):
    """A build could not start or finish (bad parameters, a refused output folder, data changed
    during the build)."""


class DiskFull(BuildError):
    """The disk (or the user's quota) filled up while the build wrote: an ``OSError`` with errno ENOSPC or
    EDQUOT, said as such. Every published output still matches ``manifest.json``.

    Examples
    --------
    >>> exc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "reports/index.html")
    >>> print(DiskFull.of(exc, "reports"))  # doctest: +NORMALIZE_WHITESPACE
    the disk is full (No space left on device, writing reports/index.html): the build stopped, and every
    published output in reports still matches its manifest.json (notebooks that finished are installed
    and listed in it). Free some space and run the same command again
    """

    @classmethod
    def of(cls, exc: OSError, out_dir) -> DiskFull:
        where = f", writing {exc.filename}" if exc.filename else ""
        return cls(f"the disk is full ({exc.strerror or os.strerror(exc.errno)}{where}): the build stopped, and "
                   f"every published output in {out_dir} still matches its manifest.json (notebooks that "
                   f"finished are installed and listed in it). Free some space and run the same command again")


class CheckError(ReviewError):
    """``review check`` cannot compare: no published folder or manifest, or a manifest it cannot read."""


#: The longest piece of user-supplied text (a name, a file name) repeated in a message.
SHOWN_LIMIT = 80


def shown(text, limit: int = SHOWN_LIMIT) -> str:
    """``text`` as it may appear in a message: its repr (control characters escaped), cut to about
    ``limit`` characters with the number of characters left out, so a 128 KB name is not echoed."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text) - limit:,} more characters)"
