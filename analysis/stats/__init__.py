"""The statistics, each a function of a record model (and the record, where sources are shown).

- :mod:`~analysis.stats.summaries`: grade distributions, good-or-better shares with Wilson
  intervals, medians, a partnership's grades and profile.
- :mod:`~analysis.stats.statements`: the review's statements checked against the record; conflicts.
- :mod:`~analysis.stats.claims`: the fair readings of the review's conclusions, checked.
- :mod:`~analysis.stats.exact`: the exact linear-by-linear association test (shift algorithm).
- :mod:`~analysis.stats.trends`: trend tests of a complete grade table (exact test, ordinal model, Holm).
- :mod:`~analysis.stats.trend_bounds`: exact trend p-values bounded over every consistent table.
- :mod:`~analysis.stats.power`: the design's power for the exact trend test, estimated by a seeded simulation.

Imports only :mod:`analysis.record`, :mod:`analysis.domain` and the base modules.
"""
