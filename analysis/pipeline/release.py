"""Cutting a release: ``review release VERSION`` (``make release VERSION=x.y.z``).

A release is a published set that a version names for good. The command refuses a tree with
uncommitted changes, a version that is not MAJOR.MINOR.PATCH or not above every earlier release,
and a tag that exists already; then, in order:

1. writes the version and the date into ``analysis/__init__.py`` (``__version__``, ``__released__``),
   ``pyproject.toml``, ``CITATION.cff`` (``version``, ``date-released``) and ``CHANGELOG.md`` (the
   ``Unreleased`` section becomes the version's), and commits them;
2. rebuilds the published set (every page then states the version and its date) and checks that
   every output it lists is on disk with its SHA-256;
3. writes the release record, ``releases/<version>.json`` (:func:`analysis.pipeline.revisions.release_record`),
   commits it with the published set, and tags that commit ``v<version>``.

The revisions page (``revisions.html``) is made from the records, so a later build of the same
release writes the same bytes. Between releases the version in the code is a development version
(``0.3.0.dev0``, ``__released__ = ""``): the pages then say that they are not a release.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

from analysis import config
from analysis.errors import ReviewError
from analysis.pipeline.revisions import RELEASES, read_releases, release_record, version_key

__all__ = ["release", "set_version", "begin_changelog_section"]

_CHANGELOG_HEAD = re.compile(r"^## \[?Unreleased\]?[ \t]*$", re.MULTILINE)


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise ReviewError(f"release: git {' '.join(args[:2])} failed: {detail.strip()}") from None


def _replace_once(text: str, pattern: str, new: str, where: str) -> str:
    out, n = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise ReviewError(f"release: {where} has no line matching {pattern!r} to update")
    return out


def set_version(root: Path | str, version: str, date: str) -> list[Path]:
    """Write ``version`` and its release ``date`` into the package, ``pyproject.toml`` and ``CITATION.cff``.

    Parameters
    ----------
    root : str or Path
        The checkout.
    version : str
        The version (MAJOR.MINOR.PATCH, or a development version such as ``0.3.0.dev0``).
    date : str
        Its release date, YYYY-MM-DD, or ``""`` for a development version (the citation keeps the
        last release's).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     root = pathlib.Path(d); (root / "analysis").mkdir()
    ...     _ = (root / "analysis" / "__init__.py").write_text('__version__ = "0.1.0"\\n__released__ = ""\\n')
    ...     _ = (root / "pyproject.toml").write_text('[project]\\nname = "x"\\nversion = "0.1.0"\\n')
    ...     _ = (root / "CITATION.cff").write_text('cff-version: 1.2.0\\nversion: "0.1.0"\\n')
    ...     _ = set_version(root, "0.2.0", "2027-01-05")
    ...     print((root / "CITATION.cff").read_text().strip())
    cff-version: 1.2.0
    version: "0.2.0"
    date-released: "2027-01-05"
    """
    root = Path(root)
    init, project, citation = root / "analysis" / "__init__.py", root / "pyproject.toml", root / "CITATION.cff"
    text = _replace_once(init.read_text(encoding="utf-8"), r'^__version__ = ".*"$', f'__version__ = "{version}"',
                         "analysis/__init__.py")
    text = _replace_once(text, r'^__released__ = ".*"$', f'__released__ = "{date}"', "analysis/__init__.py")
    init.write_text(text, encoding="utf-8")
    project.write_text(_replace_once(project.read_text(encoding="utf-8"), r'^version = ".*"$',
                                     f'version = "{version}"', "pyproject.toml"), encoding="utf-8")
    written = [init, project]
    if date:
        cff = _replace_once(citation.read_text(encoding="utf-8"), r'^version: .*$', f'version: "{version}"',
                            "CITATION.cff")
        if re.search(r"^date-released: .*$", cff, flags=re.MULTILINE):
            cff = _replace_once(cff, r"^date-released: .*$", f'date-released: "{date}"', "CITATION.cff")
        else:
            cff = _replace_once(cff, r'^(version: .*)$', rf'\1\ndate-released: "{date}"', "CITATION.cff")
        citation.write_text(cff, encoding="utf-8")
        written.append(citation)
    return written


def begin_changelog_section(text: str, version: str, date: str) -> str:
    """The changelog with its ``Unreleased`` section made the release's, and a new empty one above it
    (the keep-a-changelog form: ``## [Unreleased]``, ``## [0.2.0] - 2027-01-05``).

    Parameters
    ----------
    text : str
        ``CHANGELOG.md``.
    version, date : str
        The release and its date.

    Returns
    -------
    str
        The new changelog.

    Examples
    --------
    >>> print(begin_changelog_section("# Changelog\\n\\n## Unreleased\\n\\n- A fix.\\n", "0.2.0", "2027-01-05"))
    # Changelog
    <BLANKLINE>
    ## [Unreleased]
    <BLANKLINE>
    ## [0.2.0] - 2027-01-05
    <BLANKLINE>
    - A fix.
    <BLANKLINE>
    """
    if not _CHANGELOG_HEAD.search(text):
        raise ReviewError("release: CHANGELOG.md has no '## [Unreleased]' section to release")
    return _CHANGELOG_HEAD.sub(f"## [Unreleased]\n\n## [{version}] - {date}", text, count=1)


def _check_outputs(out_dir: Path) -> None:
    from analysis.fingerprints import sha256_file

    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    bad = [o["path"] for o in manifest["outputs"]
           if not (out_dir / o["path"]).is_file() or sha256_file(out_dir / o["path"]) != o["sha256"]]
    if bad:
        raise ReviewError(f"release: {len(bad)} published outputs do not match the manifest, first {bad[0]}")


def release(version: str, date: str | None = None, progress=print, n_jobs: int | None = None) -> Path:
    """Cut release ``version`` of the checkout's published set (the steps of this module's docstring).

    Parameters
    ----------
    version : str
        MAJOR.MINOR.PATCH, above every earlier release.
    date : str, optional
        The release date, YYYY-MM-DD (default: today, UTC).
    progress : callable
        Where progress lines go.
    n_jobs : int, optional
        Notebooks built at once.

    Returns
    -------
    Path
        The release record written.
    """
    root = config.PROJ_ROOT
    version_key(version)
    date = date or dt.datetime.now(dt.UTC).date().isoformat()
    try:  # YYYY-MM-DD and nothing else (fromisoformat alone takes 20270105 and 2027-W01-1 too)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError(date)
        dt.date.fromisoformat(date)
    except ValueError:
        raise ReviewError(f"release: {date!r} is not a date (give YYYY-MM-DD)") from None
    earlier = read_releases(root)
    if earlier and version_key(version) <= version_key(earlier[-1].version):
        raise ReviewError(f"release: {version} is not above the last release, {earlier[-1].version}")
    if _git(root, "status", "--porcelain"):
        raise ReviewError("release: the tree has uncommitted changes; commit or remove them first")
    if _git(root, "tag", "--list", f"v{version}"):
        raise ReviewError(f"release: the tag v{version} exists already")

    changelog = root / "CHANGELOG.md"
    changelog.write_text(begin_changelog_section(changelog.read_text(encoding="utf-8"), version, date),
                         encoding="utf-8")
    written = [changelog, *set_version(root, version, date)]
    _git(root, "add", "--", *(str(p.relative_to(root)) for p in written))
    _git(root, "commit", "--quiet", "-m", f"Release {version}: the version and its date ({date})")

    # the build runs in a new process: this one imported the package, and so its version, before the edit
    progress(f"release {version}: rebuilding the published set")
    command = [sys.executable, "-m", "analysis.cli", "--project", str(root), "build"]
    if subprocess.run(command + (["--jobs", str(n_jobs)] if n_jobs else []), cwd=root).returncode != 0:
        raise ReviewError("release: the build failed; nothing is tagged (the version commit stays: fix what failed, "
                          "run `review build`, then write the record and tag by hand, or reset that commit)")
    _check_outputs(config.REPORTS_DIR)
    manifest = json.loads((config.REPORTS_DIR / "manifest.json").read_text(encoding="utf-8"))
    if (manifest.get("package_version"), manifest.get("release_date")) != (version, date):
        raise ReviewError(f"release: the published set says version {manifest.get('package_version')!r} of "
                          f"{manifest.get('release_date')!r}, not {version} of {date}; nothing is tagged")
    record = root / RELEASES / f"{version}.json"
    record.parent.mkdir(exist_ok=True)
    record.write_text(json.dumps(release_record(manifest, version, date), indent=1) + "\n", encoding="utf-8")
    _git(root, "add", "--", RELEASES, "reports")
    _git(root, "commit", "--quiet", "-m", f"Release {version}: the published set and its release record")
    _git(root, "tag", "-a", f"v{version}", "-m", f"Release {version} ({date})")
    progress(f"release {version}: tagged v{version}; its record is {record.relative_to(root)}")
    return record
