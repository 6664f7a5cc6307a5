"""The package's layers: each folder imports only the layers before it, and nothing outside
``pipeline/`` but the command line imports the build engine. Read from the source (every import
statement, at any depth, including those inside functions), so a lazy import cannot hide a cycle."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "analysis"

#: The layers, bottom first. A module may import its own layer and those before it.
LAYERS = ["base", "domain", "record", "stats", "publish", "report", "pipeline", "cli"]
BASE = {"errors", "config", "files", "fingerprints"}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package (``analysis.stats.summaries`` -> stats)."""
    parts = module.split(".")
    assert parts[0] == "analysis", module
    if len(parts) == 1:
        return "face"
    if parts[1] in BASE:
        return "base"
    if parts[1] == "cli":
        return "cli"
    assert parts[1] in LAYERS, f"{module}: not in a layer folder (add it to one, or to the base modules)"
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the package in ``path``; ``from analysis.x import y``
    counts ``analysis.x.y`` when that is a module, so ``from analysis.stats import summaries`` is stats.
    ``source`` replaces the file's text (resolved as if it were at ``path``)."""
    out = []
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "analysis"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "analysis":
                continue
            for a in node.names:
                candidate = f"{base}.{a.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").is_file() or \
                    (ROOT / Path(*candidate.split("."))).is_dir()
                out.append((node.lineno, candidate if is_module else base))
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_a_layer():
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_go_only_downward(path):
    importer = module_name(path)
    mine = layer_of(importer)
    if mine == "face":  # analysis/__init__.py names what a researcher calls, imported on first use
        return
    wrong = []
    for line, imported in imports_of(path):
        theirs = layer_of(imported)
        if theirs == "face" and imported == "analysis":  # only the version: `from analysis import __version__`
            continue
        if theirs == "face" or LAYERS.index(theirs) > LAYERS.index(mine):
            wrong.append(f"line {line}: {importer} ({mine}) imports {imported} ({theirs})")
    assert not wrong, "imports that go upward:\n" + "\n".join(wrong)


def test_nothing_outside_the_pipeline_imports_it():
    users = {module_name(p) for p in MODULES for _, imported in imports_of(p)
             if layer_of(imported) == "pipeline" and layer_of(module_name(p)) not in ("pipeline", "cli")}
    assert users == set()


def test_the_rule_catches_an_upward_import():
    """The check itself: a statistics module importing the build inside a function is found, and a
    relative import is resolved from the module's folder."""
    path = PACKAGE / "stats" / "summaries.py"
    source = path.read_text(encoding="utf-8") + "\n\ndef _sneaky():\n    from analysis.pipeline import build\n"
    found = [imported for _, imported in imports_of(path, source)]
    assert "analysis.pipeline.build" in found
    assert LAYERS.index(layer_of("analysis.pipeline.build")) > LAYERS.index(layer_of("analysis.stats.summaries"))
    assert [m for _, m in imports_of(path, "from ..pipeline import check\nfrom . import exact\n")] == [
        "analysis.pipeline.check", "analysis.stats.exact"]


def test_the_face_names_what_a_researcher_calls():
    import analysis

    assert analysis.summaries.__name__ == "analysis.stats.summaries"
    assert analysis.RecordModel.__module__ == "analysis.record.model"
    assert callable(analysis.load_record) and callable(analysis.open_report)
    assert {"summaries", "figures", "load_record", "RecordModel", "open_report"} <= set(dir(analysis))
    with pytest.raises(AttributeError):
        analysis.no_such_name  # noqa: B018
