"""Releases and revisions: what changed between two published sets, and the record of each release.

A **release record**, ``releases/<version>.json`` in the checkout, is written by ``review release``
(:mod:`analysis.pipeline.release`) once the release's published set is built: its version, its date
and the published manifest at that moment (every output's SHA-256 and what it was made from: the
code, the data files, the environment, each notebook's parameters, template and results), without
the site's own pages, which move with everything. Records are JSON, read back as data only.

:func:`compare_manifests` says which outputs differ between two manifests and why (the machinery of
``review check --since``); :func:`describe_changes` words the same comparison for readers, and the
site's revisions page (:func:`analysis.pipeline.site.revisions_html`) lists every release with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.errors import ReviewError

__all__ = ["Line", "CheckReport", "compare_manifests", "describe_changes", "Release", "read_releases",
           "release_record", "version_key", "RELEASES", "SITE_OUTPUTS"]

#: The folder of release records, in the checkout.
RELEASES = "releases"

#: Outputs a release record leaves out: the site's own pages, which change with every output they list.
SITE_OUTPUTS = ("index.html", "quality.html", "accessibility.html", "revisions.html")

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Line:
    """One output: 'same', 'differs', 'missing' (published, not rebuilt), 'new' (rebuilt, not
    published) or 'unlisted' (a file in the published folder the manifest does not list)."""

    path: str
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status:<8} {self.path}" + (f": {self.detail}" if self.detail else "")


@dataclass
class CheckReport:
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: str = ""

    @property
    def ok(self) -> bool:
        return all(line.status == "same" for line in self.lines)

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.lines)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {s}" for s in ("same", "differs", "missing", "new", "unlisted") if self.count(s)
        )
        verdict = "every output is the same" if self.ok else "outputs differ"
        text = f"{len(self.lines)} outputs: {counts}. {verdict}."
        if not self.ok and any(n.startswith("environment:") for n in self.notes):
            text += (
                " The environment differs from the published set's (notes above): the differences may come "
                "from it; install from requirements.lock (make install) to compare like with like."
            )
        return text

    def differing(self) -> list[str]:
        return [line.path for line in self.lines if line.status != "same"]


def version_key(version: str) -> tuple[int, int, int]:
    """A release version as numbers, for ordering (semantic versioning: MAJOR.MINOR.PATCH).

    Parameters
    ----------
    version : str
        A version such as ``"0.10.2"``.

    Returns
    -------
    tuple of int
        ``(major, minor, patch)``.

    Examples
    --------
    >>> sorted(["0.10.0", "0.9.1", "1.0.0"], key=version_key)
    ['0.9.1', '0.10.0', '1.0.0']
    """
    match = _VERSION.fullmatch(str(version))
    if not match:
        raise ReviewError(f"{version!r} is not a release version: give MAJOR.MINOR.PATCH, for example 0.2.0")
    return tuple(int(g) for g in match.groups())


@dataclass(frozen=True)
class Release:
    """One release: its version, its date (ISO) and its published manifest (site pages aside)."""

    version: str
    date: str
    manifest: dict


def release_record(manifest: dict, version: str, date: str) -> dict:
    """The record of a release: the version, its date and its published manifest, without the git
    fields (the tag names the commit) and the site's own pages.

    Parameters
    ----------
    manifest : dict
        The published set's manifest.
    version, date : str
        The release (MAJOR.MINOR.PATCH) and its date (YYYY-MM-DD).

    Returns
    -------
    dict
        What ``releases/<version>.json`` holds.

    Examples
    --------
    >>> m = {"git_commit": "abc", "jobs": {}, "outputs": [{"path": "index.html", "sha256": "0"},
    ...                                                   {"path": "tables/a.csv", "sha256": "1"}]}
    >>> r = release_record(m, "0.1.0", "2026-12-07")
    >>> r["version"], [o["path"] for o in r["manifest"]["outputs"]], "git_commit" in r["manifest"]
    ('0.1.0', ['tables/a.csv'], False)
    """
    version_key(version)
    if not _DATE.fullmatch(str(date)):
        raise ReviewError(f"{date!r} is not a date: give YYYY-MM-DD")
    kept = {k: v for k, v in manifest.items() if k not in ("git_commit", "git_dirty", "outputs")}
    kept["outputs"] = [o for o in manifest.get("outputs", []) if o.get("path") not in SITE_OUTPUTS]
    return {"version": version, "date": date, "manifest": kept}


def read_releases(root: Path | str | None = None) -> list[Release]:
    """Every release record of the checkout (``releases/*.json``), oldest first.

    Parameters
    ----------
    root : str or Path, optional
        The checkout (default: the project root).

    Returns
    -------
    list of Release
        By version; empty when there is no release yet.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (pathlib.Path(d) / "releases").mkdir()
    ...     for v in ("0.10.0", "0.9.0"):
    ...         _ = (pathlib.Path(d) / "releases" / f"{v}.json").write_text(json.dumps(
    ...             {"version": v, "date": "2027-01-01", "manifest": {"outputs": []}}))
    ...     [r.version for r in read_releases(d)]
    ['0.9.0', '0.10.0']
    """
    folder = Path(root or config.PROJ_ROOT) / RELEASES
    releases = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReviewError(f"{path}: not a readable release record ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("manifest"), dict):
            raise ReviewError(f"{path}: a release record is a JSON object with version, date and manifest")
        version, date = str(record.get("version", "")), str(record.get("date", ""))
        version_key(version)
        if path.stem != version or not _DATE.fullmatch(date):
            raise ReviewError(f"{path}: version {version!r} and date {date!r} must be the file's name and YYYY-MM-DD")
        releases.append(Release(version, date, record["manifest"]))
    return sorted(releases, key=lambda r: version_key(r.version))


def _results_digest(job: dict):
    """The digest of the results a notebook showed (``inputs_digest`` in manifests written before the results cache)."""
    return job.get("results_digest", job.get("inputs_digest"))


def _changed(old: dict, new: dict) -> list[str]:
    """Keys whose values differ between two {name: hash} maps."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _env_differences(old: dict, new: dict) -> list[str]:
    out = [
        f"{k} {old.get(k)} -> {new.get(k)}"
        for k in ("python", "implementation", "platform")
        if old.get(k) != new.get(k)
    ]
    po, pn = old.get("packages", {}), new.get("packages", {})
    out += [f"{k} {po.get(k)} -> {pn.get(k)}" for k in sorted(set(po) | set(pn)) if po.get(k) != pn.get(k)]
    do, dn = old.get("distributions", {}), new.get("distributions", {})
    if do and dn:  # every installed distribution
        out += [
            f"{k} {do.get(k)} -> {dn.get(k)}"
            for k in sorted(set(do) | set(dn))
            if k not in po and k not in pn and do.get(k) != dn.get(k)
        ]
    elif do or dn:  # a manifest from before every distribution was recorded
        out.append("one manifest does not record every installed distribution")
    if old.get("lock_sha256") != new.get("lock_sha256") and (old.get("lock_sha256") or new.get("lock_sha256")):
        out.append("requirements.lock differs")
    return out


def _output_order(path: str):
    return (path.count("/"), path)


def compare_manifests(old: dict, new: dict) -> CheckReport:
    """Which outputs changed between two published sets (by hash), each with why: the notebook's
    data, the code, the environment, its parameters or its template.

    Parameters
    ----------
    old, new : dict
        Two manifests (or the manifests of two release records).

    Returns
    -------
    CheckReport
        A line per output of either, and notes on what differs between their inputs.

    Examples
    --------
    >>> a = {"jobs": {}, "outputs": [{"path": "t.csv", "sha256": "1"}], "analysis_code_sha256": "c"}
    >>> b = {"jobs": {}, "outputs": [{"path": "t.csv", "sha256": "2"}], "analysis_code_sha256": "d"}
    >>> [str(line) for line in compare_manifests(a, b).lines]
    ['differs  t.csv: changed: code (its results are computed differently)']
    """
    report = CheckReport()
    code_changed = old.get("analysis_code_sha256") != new.get("analysis_code_sha256")
    env_changes = _env_differences(old.get("environment", {}), new.get("environment", {}))
    data_changed = _changed(old.get("data_files", {}), new.get("data_files", {}))
    grades_changed = (old.get("grades_file") or {}).get("sha256") != (new.get("grades_file") or {}).get("sha256")
    if code_changed:
        report.notes.append("analysis code changed")
    if data_changed:
        report.notes.append("data files changed: " + ", ".join(data_changed))
    if grades_changed:
        report.notes.append("grade table changed")
    report.notes += [f"environment: {d}" for d in env_changes]
    oo = {o["path"]: o for o in old.get("outputs", [])}
    no = {o["path"]: o for o in new.get("outputs", [])}
    for path in sorted(set(oo) | set(no), key=_output_order):
        a, b = oo.get(path), no.get(path)
        if a is None:
            report.lines.append(Line(path, "new", "added"))
        elif b is None:
            report.lines.append(Line(path, "missing", "removed"))
        elif a["sha256"] == b["sha256"]:
            report.lines.append(Line(path, "same"))
        else:
            ja, jb = old.get("jobs", {}).get(a.get("job"), {}), new.get("jobs", {}).get(b.get("job"), {})
            reasons = []
            # a site file (index.html, the data dictionary) belongs to no notebook: it moves with what it shows
            site_file = a.get("job") is None and b.get("job") is None
            if site_file or _results_digest(ja) != _results_digest(jb):
                if data_changed or grades_changed:
                    reasons.append(
                        "data (" + ", ".join(data_changed + (["grade table"] if grades_changed else [])) + ")"
                    )
                if code_changed and not (data_changed or grades_changed):
                    reasons.append("code (its results are computed differently)")
            if code_changed and not reasons:
                reasons.append("code")
            if env_changes:
                reasons.append("environment (" + "; ".join(env_changes[:3]) + ")")
            if ja.get("parameters") != jb.get("parameters"):
                reasons.append("parameters")
            if ja.get("template_sha256") != jb.get("template_sha256"):
                reasons.append("template")
            report.lines.append(
                Line(path, "differs", "changed: " + (
                    ", ".join(reasons) or "no recorded cause (same data, code, environment, parameters and template)")))
    return report


#: Tables whose being unchanged a reader can be told in words: (table, what did not change).
_KEY_TABLES = (
    ("tables/statements.csv", "No verdict on the review's statements changed."),
    ("tables/claims.csv", "No verdict on the readings of the review's conclusions changed."),
    ("tables/possible_grades.csv", "No grade the record fixes, and no range of possible grades, changed."),
    ("tables/trend_bounds.csv", "No bound on a trend test's p-value changed."),
)


def _group(path: str) -> str:
    if path.startswith("tables/review-tables."):
        return "spreadsheets"
    if path.startswith("tables/"):
        return "tables"
    if path.startswith("figures/"):
        return "charts"
    if path.startswith("html/"):
        return "pages"
    if path.startswith("notebooks/"):
        return "notebooks"
    return "other files"


def _name(path: str) -> str:
    """A reader's name for an output: a chart once for its PNG, SVG, CSV and text files."""
    if path.startswith("figures/"):
        stem = path.rsplit(".", 1)[0]
        return stem.removesuffix("-description")
    return path


def describe_changes(old: dict, new: dict) -> dict:
    """The comparison of two published sets worded for readers.

    Parameters
    ----------
    old, new : dict
        The manifests of an earlier and a later published set.

    Returns
    -------
    dict
        ``why`` (list of str: what changed in the inputs, in words), ``kind`` ("correction" when the
        record's tables (record/) changed, else "revision"), ``groups`` (dict: tables, charts, pages, notebooks,
        spreadsheets, other files -> sorted names of the outputs changed, added or removed),
        ``unchanged`` (list of str: sentences on key results that did not move) and ``total`` (the
        number of outputs compared).

    Examples
    --------
    >>> a = {"jobs": {}, "outputs": [{"path": "tables/claims.csv", "sha256": "1"},
    ...      {"path": "figures/trend.png", "sha256": "2"}], "data_files": {"record/cell_grades.csv": "1"}}
    >>> b = {"jobs": {}, "outputs": [{"path": "tables/claims.csv", "sha256": "1"},
    ...      {"path": "figures/trend.png", "sha256": "3"}], "data_files": {"record/cell_grades.csv": "2"}}
    >>> d = describe_changes(a, b)
    >>> d["kind"], d["groups"], d["unchanged"]
    ('correction', {'charts': ['figures/trend']}, ["No verdict on the readings of the review's conclusions changed."])
    """
    report = compare_manifests(old, new)
    data_changed = _changed(old.get("data_files", {}), new.get("data_files", {}))
    record_changed = [f for f in data_changed if f.startswith("record/")]
    why = []
    if record_changed:
        why.append("the public record was corrected or extended (" + ", ".join(record_changed) + ")")
    if set(data_changed) - set(record_changed):
        why.append("the data package's reference tables or description changed ("
                   + ", ".join(f for f in data_changed if f not in record_changed) + ")")
    if old.get("analysis_code_sha256") != new.get("analysis_code_sha256"):
        why.append("the package's methods or page texts changed")
    templates = {j: e.get("template_sha256") for j, e in old.get("jobs", {}).items()}
    if any(templates.get(j) not in (None, e.get("template_sha256")) for j, e in new.get("jobs", {}).items()):
        why.append("the notebooks' templates changed")
    if _env_differences(old.get("environment", {}), new.get("environment", {})):
        why.append("the versions of the software it is built with changed")
    moved = [line.path for line in report.lines if line.status != "same" and line.path not in SITE_OUTPUTS]
    groups: dict[str, list[str]] = {}
    for path in moved:
        groups.setdefault(_group(path), set()).add(_name(path))
    paths = {line.path for line in report.lines}
    unchanged = [text for table, text in _KEY_TABLES if table in paths and table not in moved]
    return {"why": why, "kind": "correction" if record_changed else "revision",
            "groups": {g: sorted(names) for g, names in groups.items()}, "unchanged": unchanged,
            "total": len([p for p in paths if p not in SITE_OUTPUTS])}
