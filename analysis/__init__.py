"""Analysis library for the review of joint inspections of services for children and young
people in Scotland, 2012-2017.

The package is in layers, each a folder that imports only the layers before it:

- :mod:`analysis.domain`: the scale, indicators, partnerships and period groups, the public record
  and user grade tables, all read from the data package in use;
- :mod:`analysis.record`: the record model (every grade table consistent with the record, an
  integer program) and the results cache;
- :mod:`analysis.stats`: summaries, statements, the review's conclusions, exact trend tests and
  their bounds;
- :mod:`analysis.publish`: figures, tables for people, precision, the data dictionary;
- :mod:`analysis.report`: the notebook kinds and the page a notebook opens;
- :mod:`analysis.pipeline`: the build engine (plan, compute, kernels, install, manifest, site,
  check), which nothing but the command line (:mod:`analysis.cli`) imports.

Beside them, the base modules every layer may use: :mod:`analysis.errors`, :mod:`analysis.config`,
:mod:`analysis.files` and :mod:`analysis.fingerprints`.

What a researcher calls is here by name, imported on first use (importing the package is cheap)::

    from analysis import load_record, RecordModel, summaries, figures
"""

from importlib import import_module

__version__ = "0.2.1.dev0"
#: The date ``__version__`` was released (YYYY-MM-DD), or "" for a development version; ``review release`` sets both.
__released__ = ""

#: The names a researcher uses, and the module each comes from.
_FACE = {
    # modules
    "areas": "analysis.domain.areas", "scale": "analysis.domain.scale", "indicators": "analysis.domain.indicators",
    "summaries": "analysis.stats.summaries", "statements": "analysis.stats.statements",
    "claims": "analysis.stats.claims", "exact": "analysis.stats.exact", "trends": "analysis.stats.trends",
    "trend_bounds": "analysis.stats.trend_bounds", "settle": "analysis.stats.settle",
    "fragility": "analysis.stats.fragility", "whatif": "analysis.stats.whatif", "power": "analysis.stats.power",
    "figures": "analysis.publish.figures",
    "present": "analysis.publish.present",
    # functions and classes
    "load_record": "analysis.domain.load:load_record", "load_grades": "analysis.domain.load:load_grades",
    "read_grade_table": "analysis.domain.load:read_grade_table",
    "example_grades": "analysis.domain.load:example_grades",
    "RecordModel": "analysis.record.model:RecordModel", "open_report": "analysis.report.page:open_report",
    "ReviewError": "analysis.errors:ReviewError",
}

__all__ = ["__version__", "__released__", *_FACE]


def __getattr__(name):
    where = _FACE.get(name)
    if where is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    module, _, attr = where.partition(":")
    value = import_module(module)
    return getattr(value, attr) if attr else value


def __dir__():
    return sorted(set(globals()) | set(_FACE))
