"""The lock, pyproject.toml and environment.yml agree: the lock pins every dependency with hashes, at
versions that satisfy pyproject.toml's ranges, and both install routes use it."""

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT


def _lock() -> dict[str, str]:
    pins, hashed, current = {}, set(), None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            current = canonicalize_name(m.group(1))
            pins[current] = m.group(2)
        elif current and line.strip().startswith("--hash=sha256:"):
            hashed.add(current)
    assert set(pins) == hashed, f"pins without a hash: {sorted(set(pins) - hashed)}"
    return pins


def _requirements():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["test"]]


def test_lock_satisfies_pyproject():
    pins = _lock()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock (run make lock)"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{req.name}=={pins[name]} in the lock does not satisfy pyproject.toml's {req}"


def test_lock_pins_the_installers():
    """pip and the build backend are locked too: every machine's .venv gets the same ones, whatever its
    Python came with (seen: Debian's venv gave pip 23.0.1, the published set's had 26.3), and the package
    is installed by the locked setuptools without build isolation (nothing unpinned is fetched)."""
    pins = _lock()
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for spec in backend + ["pip"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins and req.specifier.contains(pins[name]), f"{spec}: not locked (run make lock)"
    assert "--no-build-isolation -e ." in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_lock_is_complete():
    """Every dependency of every locked package is locked too (nothing left for pip to choose)."""
    from importlib import metadata

    pins = _lock()
    for name in pins:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (another platform's marker)
        for spec in requires:
            req = Requirement(spec)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            assert canonicalize_name(req.name) in pins, f"{name} needs {req.name}, which the lock does not pin"


def test_installed_environment_is_the_lock():
    """What `make install` installed is exactly the lock (a test run in another environment says so)."""
    from importlib import metadata

    pins = _lock()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
    assert not differ, f"installed versions differ from requirements.lock (locked, installed): {differ}"


def test_make_and_conda_install_from_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile and "LOCK   := requirements.lock" in makefile
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert "- -r requirements.lock" in env and "- --require-hashes" in env
