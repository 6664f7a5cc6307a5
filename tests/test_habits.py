"""The project's habits, checked: ruff is clean, templates carry no outputs, and the code digest
covers exactly the code that can move a published output."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_templates  # noqa: E402


def test_ruff_is_clean():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "analysis", "tests", "benchmarks",
                          "tools", "notebooks"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_templates_carry_no_outputs():
    templates = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert templates and check_templates.main([str(p) for p in templates]) == 0


def test_a_template_saved_with_outputs_is_found(tmp_path):
    nb = json.loads((ROOT / "notebooks" / "partnership.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    code[1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    code[1]["execution_count"] = 3
    saved = tmp_path / "partnership.ipynb"
    saved.write_text(json.dumps(nb), encoding="utf-8")
    found = check_templates.problems(saved)
    assert len(found) == 2 and "1 output(s)" in found[0] and "execution count (3)" in found[1]
    assert check_templates.main([str(saved)]) == 1


def _digest_of(package_parent):
    code = "from analysis.fingerprints import code_digest; print(code_digest())"
    res = subprocess.run([sys.executable, "-c", code], cwd=package_parent, capture_output=True, text=True,
                         env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"}, timeout=60, check=True)
    return res.stdout.strip()


@pytest.fixture
def package_copy(tmp_path):
    shutil.copytree(ROOT / "analysis", tmp_path / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_help_string_of_the_command_line_does_not_move_the_code_digest(package_copy):
    """Editing the command line's help (or ``review check``) leaves the published set valid: the
    digest the manifest records, and so test_published_set, do not change."""
    before = _digest_of(package_copy)
    for rel, old, new in (("cli.py", 'help="machine-readable CSV on standard output"',
                           'help="CSV for machines, on standard output"'),
                          ("pipeline/check.py", '"""', '"""Compare.\n\n')):
        path = package_copy / "analysis" / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _digest_of(package_copy) == before


@pytest.mark.parametrize("rel", ["stats/summaries.py", "pipeline/execute.py", "report/page.py", "domain/scale.py"])
def test_a_change_to_code_that_can_move_an_output_moves_the_digest(package_copy, rel):
    """A statistics function, the HTML export, a page or the domain: the published set must be rebuilt
    (``make publish``), so test_published_set fails until it is."""
    before = _digest_of(package_copy)
    path = package_copy / "analysis" / rel
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert _digest_of(package_copy) != before
