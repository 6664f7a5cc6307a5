"""Analysis library for the review of joint inspections of services for children and young
people in Scotland, 2012-2017.

Modules, one concern each (see ``shared/DESIGN.md``):

- ``config``: paths.
- ``validate``: the one error type and the schema checks driven by ``data/datapackage.json``.
- ``scale``: the six-point grade scale and parsing of grade spellings.
- ``areas``: partnerships, slugs, aliases, period groups; name matching.
- ``indicators``: the nine graded quality indicators.
- ``load``: the public record and user grade tables as typed DataFrames.

Importing the package is cheap: submodules are imported on use.
"""

__version__ = "0.1.0"
