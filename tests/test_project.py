"""`review` finds its checkout from anywhere inside it, and a copy of the package installed elsewhere
(as `pip install .` puts it in site-packages) is pointed at one with --project or REVIEW_PROJECT;
otherwise it stops with a message, not a traceback."""

import os
import shutil
import subprocess
import sys

from conftest import ROOT


def _review(args, cwd, pythonpath=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "REVIEW_PROJECT"}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    env.update(env_extra or {})
    code = "import sys; from analysis.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_from_a_subfolder_of_the_checkout():
    res = _review(["list"], cwd=ROOT / "data" / "record")
    assert res.returncode == 0 and res.stdout.splitlines()[1].startswith("Edinburgh")


def test_an_installed_copy_outside_a_checkout(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "analysis", site / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = _review(["list"], cwd=elsewhere, pythonpath=site)
    assert res.returncode == 2 and "no checkout of the project found" in res.stderr and "--project" in res.stderr
    assert "Traceback" not in res.stderr
    res = _review(["--project", str(ROOT), "list"], cwd=elsewhere, pythonpath=site)
    assert res.returncode == 0 and "Perth and Kinross" in res.stdout
    res = _review(["list"], cwd=elsewhere, pythonpath=site, env_extra={"REVIEW_PROJECT": str(ROOT)})
    assert res.returncode == 0
    res = _review(["list"], cwd=ROOT / "notebooks", pythonpath=site)  # inside the checkout: found from the cwd
    assert res.returncode == 0
    res = _review(["--project", str(elsewhere), "list"], cwd=elsewhere, pythonpath=site)
    assert res.returncode == 2 and "not a checkout" in res.stderr


def test_domain_tables_are_read_on_first_use_not_at_import(tmp_path):
    # before: areas, scale and indicators read data/reference/ at import, so one damaged file broke
    # `import analysis.<anything>` (and every command) with a traceback
    project = tmp_path / "project"
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    (project / "data/reference/grade_scale.csv").write_text("grade,grade\nGood,Good\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items()} | {"REVIEW_PROJECT": str(project)}
    code = ("import importlib, pkgutil, analysis\n"
            "for m in pkgutil.iter_modules(analysis.__path__): importlib.import_module('analysis.' + m.name)\n"
            "print('imported')")
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0 and "imported" in res.stdout, res.stderr
    res = _review(["list"], cwd=tmp_path, env_extra={"REVIEW_PROJECT": str(project)})  # needs no grade scale
    assert res.returncode == 0 and "Perth and Kinross" in res.stdout
    res = _review(["statements"], cwd=tmp_path, env_extra={"REVIEW_PROJECT": str(project)})
    assert res.returncode == 2 and "data/reference/grade_scale.csv" in res.stderr and "Traceback" not in res.stderr
