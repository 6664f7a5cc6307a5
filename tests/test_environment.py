"""pyproject.toml and environment.yml list the same dependencies with the same lower bounds."""

import re
import tomllib

from conftest import ROOT


def _pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return set(meta["dependencies"]) | set(meta["optional-dependencies"]["test"])


def _environment():
    deps = set()
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\s{2}- ([A-Za-z0-9_.-]+[<>=!~].*)", line)
        if m and not m.group(1).startswith("python="):
            deps.add(m.group(1).strip())
    return deps


def test_same_dependencies():
    assert _pyproject() == _environment()


def test_environment_installs_the_package():
    assert "- -e ." in (ROOT / "environment.yml").read_text(encoding="utf-8")
