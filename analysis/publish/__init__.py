"""Presentation: what a reader sees and what is written out.

- :mod:`~analysis.publish.figures`: charts (Axes in, Axes out) and ``save`` (PNG, SVG, data, alt text).
- :mod:`~analysis.publish.present`: tables for people (labels, ranges, "not known").
- :mod:`~analysis.publish.precision`: the published CSVs' precision.
- :mod:`~analysis.publish.dictionary`: the data dictionary of the published tables.
- :mod:`~analysis.publish.glossary`: the terms the pages use, explained once, each with its anchor.

Imports only the layers below it (statistics, record, domain) and the base modules.
"""
