"""The domain: what the programme is, read from the data package in use.

- :mod:`~analysis.domain.schema`: reading a table of the data package against its schema; the error
  that names file, row, column, value and what is allowed.
- :mod:`~analysis.domain.scale`: the grade scale, in order, and the spellings people write.
- :mod:`~analysis.domain.indicators`: the graded quality indicators.
- :mod:`~analysis.domain.areas`: partnerships, slugs, aliases, period groups; name matching.
- :mod:`~analysis.domain.tablefile`: a user's file as analysts have it: CSV text as spreadsheets write
  it, or a sheet of an .xlsx or .ods workbook.
- :mod:`~analysis.domain.load`: the public record and a user's complete grade table as typed frames.
- :mod:`~analysis.domain.sources`: the record's sources, named as a reader cites them.

Nothing here imports another layer of the package.
"""
