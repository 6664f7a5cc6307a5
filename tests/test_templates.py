"""The templates and the kinds registry agree, and every library name a template uses exists.

Checked statically (no kernel): each template's code cells are parsed, and every ``module.name`` the
cells call on a module they import from ``analysis``, and every ``r.name`` they call on the page,
must exist; a renamed library function fails here, not in the middle of a build.
"""

import ast
import importlib

import nbformat
import pytest

from analysis.pipeline.build import template_parameters
from analysis.report import kinds
from analysis.report.page import PAGES, open_report

from conftest import ROOT

TEMPLATES = ROOT / "notebooks"


def _code(kind):
    nb = nbformat.read(TEMPLATES / f"{kind}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def test_one_registry_of_kinds():
    assert list(kinds.KINDS) == ["review", "period_group", "partnership", "statements"]
    assert set(PAGES) == set(kinds.KINDS)
    assert {p.name for p in TEMPLATES.glob("*.ipynb")} == {f"{k}.ipynb" for k in kinds.KINDS}
    # the plan: 1 national + 3 groups + 32 partnerships + 1 statements, in the review's order
    jobs = kinds.plan()
    assert len(jobs) == 37 and jobs[0].id == "review/national" and jobs[-1].id == "statements/statements"
    assert [j.subject for j in jobs[1:4]] == ["pre-2014", "2014-16", "post-2016"]
    assert jobs[4].subject == "Edinburgh" and jobs[35].subject == "Perth and Kinross"   # Appendix 4 order


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_each_template_declares_its_parameters(kind):
    declared = template_parameters(TEMPLATES / f"{kind}.ipynb")
    subject = kinds.KINDS[kind].subject
    assert set(declared) == {"grades", "output_dir", "cache", "data"} | ({subject} if subject else set())
    assert set(declared.values()) == {"str"}


def _page(kind):
    return open_report(
        kind, {"partnership": "Fife", "period_group": "2014-16"}.get(kinds.KINDS[kind].subject or "", "")
    )


def _missing(sources, page):
    """Names the cells use that do not exist: ``module.name`` on a module imported from ``analysis``,
    ``r.name`` on the page, and ``from analysis.x import name``. Returns (missing, how many checked)."""
    modules, used, missing = {}, [], []
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module == "analysis":
                modules |= {
                    a.asname or a.name: getattr(importlib.import_module("analysis"), a.name) for a in node.names
                }
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analysis."):
                module = importlib.import_module(node.module)
                missing += [f"{node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                used.append((node.value.id, node.attr))
    checked = 0
    for owner, name in used:
        if owner in modules:
            checked += 1
            if not hasattr(modules[owner], name):
                missing.append(f"analysis.{owner}.{name}")
        elif owner == "r":
            checked += 1
            if not hasattr(page, name):
                missing.append(f"r.{name}")
    return missing, checked


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_every_library_name_a_template_uses_exists(kind):
    missing, checked = _missing(_code(kind), _page(kind))
    assert missing == [] and checked >= 5


def test_a_misspelt_name_is_found():
    cell = ("from analysis import summaries\nfrom analysis.report import open_reports\n"
            "summaries.grade_distrib(m)\nr.tabel(x)")
    missing, _ = _missing([cell], _page("partnership"))
    assert missing == ["analysis.report.open_reports", "analysis.summaries.grade_distrib", "r.tabel"]
