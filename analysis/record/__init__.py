"""The record model: every grade table consistent with the public record (or the one complete
table), as an integer program, and the results cache its computations are kept in.

- :mod:`~analysis.record.model`: :class:`RecordModel` (possible grades, count ranges, conflicts,
  canonical witnesses), its constraint groups and :class:`Infeasible`.
- :mod:`~analysis.record.cache`: the content-addressed results cache (JSON, no pickles) and
  ``@cached``, which the statistics use.

Imports only :mod:`analysis.domain` and the package's base modules.
"""

from analysis.record.model import Infeasible, RecordModel

__all__ = ["RecordModel", "Infeasible"]
