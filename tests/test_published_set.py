"""The committed published set was built from this checkout: the same analysis code, the same
templates, the same data, from a clean tree. A library change that moves nothing still needs the
manifest rebuilt (`make publish`)."""

import hashlib
import json

import pytest

from analysis.domain.load import data_file_hashes
from analysis.fingerprints import code_digest
from analysis.pipeline.build import template_digest

from conftest import ROOT

MANIFEST = ROOT / "reports" / "manifest.json"


@pytest.fixture(scope="module")
def manifest():
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_built_from_this_code(manifest):
    assert manifest["analysis_code_sha256"] == code_digest(), \
        "reports/ was built from other analysis code: rebuild the published set (make publish) and commit it"


def test_built_from_these_templates(manifest):
    for job_id, job in manifest["jobs"].items():
        template = ROOT / job["template"] if not job["template"].startswith("/") else None
        assert template is not None and template.is_file(), f"{job_id}: template {job['template']} not in the checkout"
        # a template's fingerprint leaves out what JupyterLab stores on a save (outputs, counts, kernel details);
        # a committed template carries none of it (tools/check_templates.py), so it is the file's own hash too
        assert template_digest(template) == job["template_sha256"], \
            f"{job_id}: its template changed since the published set was built (make publish)"
        assert hashlib.sha256(template.read_bytes()).hexdigest() == job["template_sha256"], \
            f"{job_id}: its template is not clean (tools/check_templates.py)"


def test_built_from_this_data(manifest):
    assert manifest["data_files"] == data_file_hashes()


def test_built_from_a_clean_tree(manifest):
    assert manifest["git_dirty"] is False, "the published set was built from a tree with uncommitted changes"


def test_published_notebooks_write_nothing_when_re_run():
    """nbval (in `make test`) and JupyterLab re-run the installed notebooks: their output_dir is empty."""
    import nbformat

    for folder in ("review", "period_group", "statements"):
        for path in (ROOT / "reports" / "notebooks" / folder).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
            assert injected and 'output_dir = ""' in injected[0].source, path


def test_notebook_bytes_do_not_depend_on_the_python_patch_version(tmp_path):
    """Seen on Debian's Python 3.11.2 (aarch64) against the published set's 3.11.7: every executed
    notebook differed only in ``metadata.language_info.version``. The build drops it (the manifest's
    environment records the version), so both machines write the same bytes."""
    import nbformat

    from analysis.pipeline.build import _normalise

    written = []
    for version in ("3.11.7", "3.11.2"):
        nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": version,
                                                                  "file_extension": ".py"}})
        nb.cells.append(nbformat.v4.new_code_cell("1 + 1", id="c1"))
        path = tmp_path / f"{version}.ipynb"
        nbformat.write(nb, path)
        _normalise(path)
        written.append(path.read_bytes())
    assert written[0] == written[1]
    assert nbformat.reads(written[0].decode(), as_version=4).metadata.language_info == {
        "name": "python", "file_extension": ".py"}
    for folder in ("review", "period_group", "statements"):
        for path in (ROOT / "reports" / "notebooks" / folder).glob("*.ipynb"):
            assert "version" not in nbformat.read(path, as_version=4).metadata.get("language_info", {}), path


def test_every_published_column_is_in_the_data_dictionary():
    """tables/datapackage.json lists every published CSV with every column, its type and a description;
    numbers say the precision they are written at."""
    import csv

    package = json.loads((ROOT / "reports" / "tables" / "datapackage.json").read_text(encoding="utf-8"))
    described = {
        (ROOT / "reports" / "tables" / r["path"]).resolve(): r["schema"]["fields"] for r in package["resources"]
    }
    published = [p for folder in ("tables", "figures") for p in (ROOT / "reports" / folder).rglob("*.csv")]
    assert published and set(p.resolve() for p in published) == set(described)
    for path in published:
        with open(path, encoding="utf-8") as f:
            header = next(csv.reader(f))
        fields = described[path.resolve()]
        assert [f["name"] for f in fields] == header, path
        for f in fields:
            assert f["description"], f"{path.name}: column {f['name']} has no description"
            assert f["type"] in ("integer", "number", "boolean", "string")
            if f["type"] == "number":
                assert f["precision"].endswith("significant digits")
    trend = {f["name"]: f for f in described[(ROOT / "reports/tables/trend_bounds.csv").resolve()]}
    assert trend["p_min"]["type"] == "number" and trend["p_min"]["precision"] == "6 significant digits"
