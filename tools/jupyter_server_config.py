"""JupyterLab as the project opens it (``make lab``): a template is saved without what a run stores.

The notebooks in ``notebooks/`` are templates: the build runs them per partnership and period group,
and a template saved with outputs or execution counts would carry one run's results into the
repository (``tools/check_templates.py`` refuses such a commit). A save from JupyterLab through this
configuration keeps a template's cells, sources and tags and drops its outputs, execution counts,
other cell metadata and widget state, the same as the build's fingerprint of a template leaves out
(``analysis.pipeline.build.template_bytes``), so Run All and Ctrl+S leave the committed template as it
was. Notebooks anywhere else (the executed ones under ``reports/``, a copy of your own) are saved as
they are.

    .venv/bin/jupyter lab --config=tools/jupyter_server_config.py
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "notebooks"


def strip(nb: dict) -> dict:
    """Remove from a notebook (as JSON, a dict) what a run or a save adds: outputs, execution counts, cell
    metadata other than tags, widget state, and the kernel's language details but its name. Returns the same
    notebook, changed in place."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = {"tags": tags} if tags else {}
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)
    if "language_info" in meta:
        meta["language_info"] = {"name": meta["language_info"].get("name", "python")}
    return nb


def is_template(path: str, root_dir: str) -> bool:
    """Whether the API path ``path`` (relative to the server's ``root_dir``) is a template:
    a notebook directly in the project's ``notebooks/`` folder."""
    full = (Path(root_dir) / path).resolve()
    return full.suffix == ".ipynb" and full.parent == TEMPLATES


def pre_save_hook(model, path, contents_manager, **kwargs):
    """Jupyter's hook before a file is saved: strip a template (see :func:`strip`)."""
    if model.get("type") == "notebook" and is_template(path, contents_manager.root_dir):
        strip(model["content"])


try:
    c = get_config()  # noqa: F821 (given by Jupyter when it reads this file as configuration)
except NameError:  # imported as a module (the tests)
    pass
else:
    c.FileContentsManager.pre_save_hook = pre_save_hook
