"""The notebook-facing layer: the notebook kinds and the page object a notebook opens.

- :mod:`~analysis.report.kinds`: the one registry of notebook kinds, and the jobs (one notebook of
  a kind for one subject).
- :mod:`~analysis.report.page`: :func:`open_report` and one page class per kind (heading, headline
  findings, "About these statistics", ``table``, ``figure``).

A notebook calls ``open_report`` and then the library by name. Imports only the layers below it.
"""

from analysis.report.page import PAGES, Page, open_report

__all__ = ["open_report", "Page", "PAGES"]
