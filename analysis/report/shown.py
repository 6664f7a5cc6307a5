"""What a notebook shows, read from its template: the one list of a notebook kind's results.

A template's cells call the library by name (``summaries.partnership_grades(model, record,
partnership)``) and pass what they get to the page (``r.table(cells, "grades")``). Those calls into
the domain and statistics layers are the notebook's results: every table, figure and finding it
shows is made from them by code the build's key already covers (the library and the template). So
the template is the list. :func:`calls` reads it (without running anything), and
:func:`shown_values` makes each call in this process with the page's model and record, which fills
the results cache the notebook's kernel then reads and gives the build the digest of what the
notebook will show: a data change re-runs exactly the notebooks whose results it changes.

A call is one of the notebook's results when its function is a module of :mod:`analysis.domain` or
:mod:`analysis.stats` (figures and the page draw and write; they do not compute) and every argument
is a constant, a name the page gives (``model``, ``record``, the subject, ``scopes``), an attribute
or item of one, or another such call; an attribute of the record (``record.staff_survey``) shown
directly is a result too. A name assigned such a call (``profile = summaries.partnership_profile(
model, partnership)``) is bound to its value for the cells after it.
"""

from __future__ import annotations

import ast
import importlib
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Call", "calls", "shown_values"]

#: The layers whose functions compute a notebook's results.
COMPUTING = ("analysis.domain", "analysis.stats")


@dataclass(frozen=True)
class Call:
    """One result of a notebook: the expression as written in the template, and its parsed form."""

    text: str
    node: ast.expr

    def __str__(self) -> str:
        return self.text


def _code_cells(template: Path) -> list[str]:
    notebook = json.loads(Path(template).read_text(encoding="utf-8"))
    out = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        out.append("".join(source) if isinstance(source, list) else source)
    return out


def _modules(tree: ast.Module) -> dict[str, str]:
    """The names the template imports from the package's face or its layers, with the module each is."""
    out = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.split(".")[0] == "analysis":
            for alias in stmt.names:
                out[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return out


def _computing(module_path: str) -> bool:
    """Whether an imported name is a module of the computing layers (face names resolved to their module)."""
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        import analysis

        module = getattr(analysis, module_path.rsplit(".", 1)[1], None)
    name = getattr(module, "__name__", "")
    return any(name == layer or name.startswith(layer + ".") for layer in COMPUTING)


class _Reader:
    """Walks the template's statements in order, collecting its results' calls."""

    def __init__(self, computing: set[str], bound: set[str]):
        self.computing, self.bound = computing, set(bound)
        self.found: list[tuple[ast.expr, str | None]] = []  # each result, and the name it is assigned to

    def pure(self, node: ast.expr) -> bool:
        """A constant, a bound name or its attribute or item, or a call of a computing module on such."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.bound
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self.pure(node.value) and (not isinstance(node, ast.Subscript) or self.pure(node.slice))
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.pure(e) for e in node.elts)
        if isinstance(node, ast.Call):
            return self.is_result(node) and all(self.pure(a) for a in node.args) and all(
                self.pure(k.value) for k in node.keywords)
        return False

    def is_result(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            f = node.func
            return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in self.computing
        # an attribute of the record shown as it is
        return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "record"

    def visit(self, node: ast.AST) -> None:
        """Collect the outermost results within ``node``."""
        if isinstance(node, ast.expr) and self.is_result(node) and self.pure(node):
            self.found.append((node, None))
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            return
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if self.is_result(stmt.value) and self.pure(stmt.value):
                self.found.append((stmt.value, name))
                self.bound.add(name)
                return
            self.bound.discard(name)  # rebound to something else: no longer a result's name
        self.visit(stmt)


def _read(template: Path, bound) -> tuple[list[tuple[ast.expr, str | None]], dict[str, str]]:
    """The template's results in order (each with the name it is assigned to) and its imports."""
    trees = [ast.parse(source) for source in _code_cells(template)]
    imported = {}
    for tree in trees:
        imported.update(_modules(tree))
    reader = _Reader({name for name, path in imported.items() if _computing(path)}, set(bound))
    for tree in trees:
        for stmt in tree.body:
            reader.statement(stmt)
    return reader.found, imported


def calls(template: Path | str, bound=("model", "record", "partnership", "period_group", "scopes")) -> list[Call]:
    """The results a template's cells show: its calls into the domain and statistics layers, in order.

    Parameters
    ----------
    template : str or Path
        A notebook template (``notebooks/<kind>.ipynb``); its parameters cell is skipped.
    bound : sequence of str, optional
        The names the page gives the cells.

    Returns
    -------
    list of Call
        Each distinct result once, in the order the cells first make it, as written (names assigned
        a result earlier stand for it).

    Examples
    --------
    >>> from analysis import config
    >>> [str(c) for c in calls(config.NOTEBOOKS_DIR / "partnership.ipynb")]  # doctest: +NORMALIZE_WHITESPACE
    ['summaries.partnership_grades(model, record, partnership)',
     'statements.conflicts_of(model, partnership)',
     'summaries.published_counts(model, record, partnership)',
     'summaries.partnership_profile(model, partnership)',
     'summaries.partnership_ties(model, partnership)']
    """
    found, _ = _read(Path(template), bound)
    out, seen = [], set()
    for node, _name in found:
        text = ast.unparse(node)
        if text not in seen:
            seen.add(text)
            out.append(Call(text, node))
    return out


def shown_values(page, template: Path | str | None = None) -> dict:
    """Make every result a page's template shows, with the page's model and record.

    Parameters
    ----------
    page : analysis.report.page.Page
        The page (its kind names the template, its subject and model the arguments).
    template : str or Path, optional
        The template. Default: ``notebooks/<kind>.ipynb`` of the checkout.

    Returns
    -------
    dict
        Each result's value by its expression (as :func:`calls` writes it). Calls the library caches
        read from or fill the page's results cache.

    Examples
    --------
    >>> from analysis.report import open_report
    >>> from analysis.domain import load, areas, indicators
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +ELLIPSIS
    ...     path = Path(tmp) / "grades.csv"
    ...     rows = [p + ",good" * len(indicators.codes()) for p in areas.partnerships()]
    ...     _ = path.write_text("\\n".join(["partnership," + ",".join(indicators.codes())] + rows))
    ...     values = shown_values(open_report("partnership", "Fife", grades=str(path), cache=tmp))
    Results are read from the cache in ..., read-only (...): an entry is used only if ...
    >>> list(values)[0], values["summaries.partnership_grades(model, record, partnership)"]["grade"].iloc[0]
    ('summaries.partnership_grades(model, record, partnership)', 'Good')
    """
    from analysis import config
    from analysis.report.kinds import KINDS

    template = Path(template) if template else config.NOTEBOOKS_DIR / f"{page.kind}.ipynb"
    env = {"model": page.model, "record": page.record}
    subject = KINDS[page.kind].subject
    if subject:
        env[subject] = page.subject
    if hasattr(page, "scopes"):
        env["scopes"] = page.scopes
    found, imported = _read(template, tuple(env))
    for name, path in imported.items():
        try:
            env[name] = importlib.import_module(path)
        except ImportError:
            import analysis

            env[name] = getattr(analysis, path.rsplit(".", 1)[1])
    values = {}
    for node, name in found:  # in the cells' order, so a name assigned a result stands for it after
        text = ast.unparse(node)
        if text not in values:
            values[text] = eval(compile(ast.Expression(node), str(template), "eval"), {"__builtins__": {}}, env)
        if name:
            env[name] = values[text]
    return values
