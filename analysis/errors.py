"""The package's base exception, and showing text from users in messages.

Every error about input or use (a bad grade table, an unknown name, an output folder the build
refuses, a busy folder, a missing checkout) is a :class:`ReviewError`; the ``review`` command
prints its message and exits 2. Any other exception is a bug in the package, and is shown as one
(with its traceback), never as a message about the input.
"""

from __future__ import annotations

__all__ = ["ReviewError", "UsageError", "BuildError", "CheckError", "shown"]


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
