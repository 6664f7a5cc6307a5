"""JupyterLab through the project's configuration saves a template without what a run stores."""

import copy
import importlib.util
import json
from types import SimpleNamespace

from conftest import ROOT


def _config():
    spec = importlib.util.spec_from_file_location("lab_config", ROOT / "tools" / "jupyter_server_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _saved_by_lab(nb: dict) -> dict:
    """What JupyterLab stores on Ctrl+S after Run All: outputs, counts, cell metadata, widget state."""
    out = copy.deepcopy(nb)
    for n, cell in enumerate(out["cells"], start=1):
        cell.setdefault("metadata", {})["collapsed"] = False
        cell["metadata"]["execution"] = {"iopub.status.busy": "2026-12-07T10:00:00Z"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["an experiment\n"]}]
    out["metadata"]["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    out["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return out


def test_a_template_saved_after_run_all_is_the_committed_template():
    config = _config()
    manager = SimpleNamespace(root_dir=str(ROOT))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        committed = json.loads(path.read_text(encoding="utf-8"))
        model = {"type": "notebook", "content": _saved_by_lab(committed)}
        assert model["content"] != committed
        config.pre_save_hook(model, f"notebooks/{path.name}", manager)
        assert model["content"] == committed, path.name


def test_other_notebooks_are_saved_as_they_are():
    config = _config()
    template = json.loads((ROOT / "notebooks" / "partnership.ipynb").read_text(encoding="utf-8"))
    run = _saved_by_lab(template)
    for root, path in ((ROOT, "reports/notebooks/partnership/fife.ipynb"), (ROOT, "my-copy.ipynb"),
                       (ROOT / "notebooks", "partnership.ipynb")):
        model = {"type": "notebook", "content": copy.deepcopy(run)}
        config.pre_save_hook(model, path, SimpleNamespace(root_dir=str(root)))
        if root == ROOT / "notebooks":  # the server opened at notebooks/: the same template
            assert model["content"] == template
        else:
            assert model["content"] == run


def test_the_build_names_a_template_whose_cells_were_edited(tmp_path, monkeypatch):
    """review build warns about a template whose cells differ from the committed one, and not about one
    saved with outputs only (the build reads a template without them)."""
    import subprocess

    from analysis import cli, config

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    template = ROOT / "notebooks" / "partnership.ipynb"
    (notebooks / "partnership.ipynb").write_bytes(template.read_bytes())
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "templates"], check=True)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    assert cli._edited_templates() == []
    nb = _saved_by_lab(json.loads(template.read_text(encoding="utf-8")))
    (notebooks / "partnership.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert cli._edited_templates() == []
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = ["print('another area')\n"] + list(code["source"])
    (notebooks / "partnership.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert cli._edited_templates() == ["notebooks/partnership.ipynb"]
