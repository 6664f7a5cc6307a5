"""Releases and the readers' revisions log: release records, the wording of what changed, the release
command's refusals and edits, and the published set tied to its release.

Expected values are hand-made manifests whose differences are known by construction."""

import json
import subprocess
import tomllib

import jsonschema
import pytest
import yaml

from analysis.errors import ReviewError
from analysis.pipeline import release as rel
from analysis.pipeline import revisions as rv
from analysis.pipeline.site import revisions_html

from conftest import ROOT


def _manifest(hashes: dict, data="d1", code="c1", version="0.1.0", date=""):
    return {"package_version": version, "release_date": date, "analysis_code_sha256": code,
            "data_basis": "public record", "data_files": {"record/cell_grades.csv": data}, "jobs": {},
            "outputs": [{"path": p, "sha256": h} for p, h in hashes.items()]}


BASE = {"tables/claims.csv": "1", "tables/statements.csv": "2", "tables/possible_grades.csv": "3",
        "tables/trend_bounds.csv": "4", "figures/trend.png": "5", "figures/trend.svg": "6",
        "figures/trend.csv": "7", "html/review/national.html": "8", "index.html": "9"}


# -- versions and records ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "01.2.3", "1.2.3.dev0", "1.2.3 ", "1.2.3\n", ""])
def test_a_release_version_is_major_minor_patch(bad):
    with pytest.raises(ReviewError, match="not a release version"):
        rv.version_key(bad)


def test_versions_order_as_numbers_not_text():
    assert sorted(["0.10.0", "0.2.0", "0.9.9", "1.0.0"], key=rv.version_key) == ["0.2.0", "0.9.9", "0.10.0", "1.0.0"]


def test_a_record_leaves_out_git_and_the_site_pages():
    m = dict(_manifest(BASE), git_commit="abc", git_dirty=False)
    record = rv.release_record(m, "0.2.0", "2026-12-07")
    assert record["version"] == "0.2.0" and record["date"] == "2026-12-07"
    assert "git_commit" not in record["manifest"] and "git_dirty" not in record["manifest"]
    assert [o["path"] for o in record["manifest"]["outputs"]] == [p for p in BASE if p != "index.html"]


@pytest.mark.parametrize("name, text, message", [
    ("0.2.0.json", "{not json", "not a readable release record"),
    ("0.2.0.json", json.dumps({"version": "0.2.0", "date": "2026-12-07"}), "a JSON object with version"),
    ("0.3.0.json", json.dumps({"version": "0.2.0", "date": "2026-12-07", "manifest": {}}), "the file's name"),
    ("0.2.0.json", json.dumps({"version": "0.2.0", "date": "7 Dec 2026", "manifest": {}}), "YYYY-MM-DD"),
])
def test_a_bad_release_record_is_a_message_naming_the_file(tmp_path, name, text, message):
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / name).write_text(text)
    with pytest.raises(ReviewError, match=message) as info:
        rv.read_releases(tmp_path)
    assert name in str(info.value)


# -- what changed, for readers ----------------------------------------------------------------------------------
def test_a_changed_chart_is_named_once_and_unchanged_verdicts_are_said():
    new = dict(BASE, **{"figures/trend.png": "x", "figures/trend.svg": "y", "figures/trend.csv": "z",
                        "tables/trend_bounds.csv": "w", "index.html": "moved"})
    d = rv.describe_changes(_manifest(BASE), _manifest(new, code="c2"))
    assert d["kind"] == "revision" and d["why"] == ["the package's methods or page texts changed"]
    assert d["groups"] == {"charts": ["figures/trend"], "tables": ["tables/trend_bounds.csv"]}
    # statements, claims and possible grades did not move; the trend bounds did
    assert d["unchanged"] == [
        "No verdict on the review's statements changed.",
        "No verdict on the readings of the review's conclusions changed.",
        "No grade the record fixes, and no range of possible grades, changed.",
    ]
    assert d["total"] == len(BASE) - 1  # the index page is the site's own


def test_a_changed_reference_table_or_template_is_a_revision_and_says_so():
    old = _manifest(BASE)
    new = _manifest(dict(BASE, **{"tables/claims.csv": "n"}))
    new["data_files"] = dict(new["data_files"], **{"datapackage.json": "other licence text"})
    old["jobs"] = {"review/national": {"template_sha256": "t1"}}
    new["jobs"] = {"review/national": {"template_sha256": "t2"}}
    d = rv.describe_changes(old, new)
    assert d["kind"] == "revision"
    assert d["why"] == ["the data package's reference tables or description changed (datapackage.json)",
                        "the notebooks' templates changed"]


def test_pages_that_state_the_version_are_counted_not_listed():
    first = rv.Release("0.2.0", "2026-12-07", _manifest(BASE))
    building = _manifest(dict(BASE, **{"html/review/national.html": "v"}), code="c2", version="0.3.0",
                         date="2027-02-01")
    page = revisions_html(building, [first])
    assert "<li>No table or chart changed.</li>" in page
    assert "<li>1 page, executed notebook or spreadsheet changed: each states the version" in page
    assert "html/review/national.html" not in page


def test_a_changed_record_is_a_correction():
    new = dict(BASE, **{"tables/claims.csv": "changed"})
    d = rv.describe_changes(_manifest(BASE), _manifest(new, data="d2"))
    assert d["kind"] == "correction"
    assert d["why"] == ["the public record was corrected or extended (record/cell_grades.csv)"]
    assert "No verdict on the readings of the review's conclusions changed." not in d["unchanged"]


def test_the_revisions_page_of_a_development_version_says_it_is_not_a_release():
    first = rv.Release("0.2.0", "2026-12-07", _manifest(BASE))
    page = revisions_html(_manifest(BASE, version="0.3.0.dev0"), [first])
    assert "a development version: they are not a release. The last release is 0.2.0, of 7 December 2026" in page
    assert page.count("<h2>Version") == 1 and "The first release: 1 page, 4 tables and 1 chart" in page


def test_the_revisions_page_lists_every_release_newest_first_with_what_changed():
    first = rv.Release("0.2.0", "2026-12-07", _manifest(BASE))
    second = rv.Release("0.2.1", "2027-01-04", _manifest(dict(BASE, **{"tables/claims.csv": "n"}), data="d2"))
    building = _manifest(dict(BASE, **{"tables/claims.csv": "n", "figures/trend.svg": "m"}), data="d2", code="c2",
                         version="0.3.0", date="2027-02-01")
    page = revisions_html(building, [first, second])
    heads = [line for line in page.splitlines() if line.startswith("<h2>Version")]
    assert heads == ["<h2>Version 0.3.0, 1 February 2027</h2>", "<h2>Version 0.2.1, 4 January 2027</h2>",
                     "<h2>Version 0.2.0, 7 December 2026</h2>"]
    assert "These pages are <strong>version 0.3.0</strong>, released 1 February 2027." in page
    # 0.3.0 against 0.2.1: the chart only, by the code; 0.2.1 against 0.2.0: the claims, by the record
    v030, v021 = page.split("<h2>Version 0.2.1")[0], page.split("<h2>Version 0.2.1")[1].split("<h2>Version 0.2.0")[0]
    assert "A revision" in v030 and "1 chart changed: <code>figures/trend</code>" in v030
    assert "A correction" in v021 and "1 table changed: <code>tables/claims.csv</code>" in v021


def test_the_revisions_page_of_other_data_says_it_is_not_the_published_set():
    page = revisions_html(_manifest(BASE, version="0.2.0", date="2026-12-07"), [], published=False)
    assert "not the published set" in page and "<h2>Version" not in page


# -- the release command ----------------------------------------------------------------------------------------
def _repo(tmp_path):
    for name in ("CHANGELOG.md", "pyproject.toml", "CITATION.cff"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "__init__.py").write_bytes((ROOT / "analysis" / "__init__.py").read_bytes())
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    return tmp_path


def test_set_version_keeps_one_version_and_a_valid_citation(tmp_path):
    root = _repo(tmp_path)
    rel.set_version(root, "9.8.7", "2027-03-04")
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    citation = yaml.safe_load((root / "CITATION.cff").read_text())
    assert project["version"] == citation["version"] == "9.8.7"
    assert str(citation["date-released"]) == "2027-03-04"
    schema = json.loads((ROOT / "tests" / "data" / "cff-schema-1.2.0.json").read_text())
    jsonschema.validate(citation, schema, cls=jsonschema.Draft7Validator)
    init = (root / "analysis" / "__init__.py").read_text()
    assert '__version__ = "9.8.7"' in init and '__released__ = "2027-03-04"' in init


def test_the_changelog_section_becomes_the_release_and_a_new_one_opens():
    text = rel.begin_changelog_section((ROOT / "CHANGELOG.md").read_text(), "9.8.7", "2027-03-04")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads[:2] == ["## [Unreleased]", "## [9.8.7] - 2027-03-04"]
    with pytest.raises(ReviewError, match="no '## \\[Unreleased\\]' section"):
        rel.begin_changelog_section("# Changelog\n", "9.8.7", "2027-03-04")


@pytest.mark.parametrize("version, date, setup, message", [
    ("1.0", None, None, "not a release version"),
    ("9.0.0", "2027-02-30", None, "not a date"),
    ("9.0.0", "20270105", None, "not a date"),
    ("9.0.0", "2027-W01-1", None, "not a date"),
    ("0.0.1", None, "record", "not above the last release"),
    ("9.0.0", None, "dirty", "uncommitted changes"),
    ("9.0.0", None, "tag", "exists already"),
])
def test_release_refuses_before_it_changes_anything(tmp_path, monkeypatch, version, date, setup, message):
    from analysis import config

    root = _repo(tmp_path)
    if setup == "record":
        (root / "releases").mkdir()
        (root / "releases" / "0.2.0.json").write_text(json.dumps({"version": "0.2.0", "date": "2026-12-07",
                                                                  "manifest": {"outputs": []}}))
        subprocess.run(["git", "add", "."], cwd=root, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "r"], cwd=root, check=True)
    if setup == "dirty":
        (root / "notes.txt").write_text("x")
    if setup == "tag":
        subprocess.run(["git", "tag", "v9.0.0"], cwd=root, check=True)
    monkeypatch.setattr(config, "_ROOT", root, raising=False)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    with pytest.raises(ReviewError, match=message):
        rel.release(version, date, progress=lambda *a: None)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts} == before


# -- the published set and its release --------------------------------------------------------------------------
def test_a_released_version_names_one_published_set():
    """If the published set says it is a release, its outputs are the release record's, file for file:
    outputs that moved after a release belong to a development version (``__released__ = ""``)."""
    from analysis import __released__, __version__

    manifest = json.loads((ROOT / "reports" / "manifest.json").read_text())
    assert manifest["package_version"] == __version__ and manifest["release_date"] == __released__
    records = {r.version: r for r in rv.read_releases(ROOT)}
    if not __released__:
        assert __version__ not in records, f"{__version__} was released: the code must say its date"
        return
    assert __version__ in records, f"__released__ is set but releases/{__version__}.json is missing"
    record = records[__version__]
    assert record.date == __released__
    published = {o["path"]: o["sha256"] for o in manifest["outputs"] if o["path"] not in rv.SITE_OUTPUTS}
    released = {o["path"]: o["sha256"] for o in record.manifest["outputs"]}
    moved = sorted(p for p in set(published) | set(released) if published.get(p) != released.get(p))
    assert not moved, (
        f"{len(moved)} published outputs differ from release {__version__}'s (first {moved[0]}): give the code a "
        f"development version (analysis/__init__.py and pyproject.toml: the next version with .dev0, "
        f'__released__ = ""), then rebuild the published set')


def test_the_published_revisions_page_lists_every_release():
    """The page the published set's build writes (pages are not committed: made here from the committed
    manifest and release records, as the build makes it) names every release and this one's date."""
    from analysis import __released__, __version__
    from analysis.publish.present import long_date

    manifest = json.loads((ROOT / "reports" / "manifest.json").read_text())
    page = revisions_html(manifest, rv.read_releases(ROOT))
    for record in rv.read_releases(ROOT):
        assert f"<h2>Version {record.version}, {long_date(record.date)}</h2>" in page
    if __released__:
        assert f"version {__version__}</strong>, released {long_date(__released__)}" in page
    else:
        assert f"version {__version__}, a development version" in page


def test_review_release_refuses_a_bad_version_from_the_command_line(capsys):
    """The command, not only the function: a message and exit 2, nothing written."""
    from analysis.cli import main

    before = (ROOT / "analysis" / "__init__.py").read_bytes()
    assert main(["release", "1.0"]) == 2
    assert "not a release version" in capsys.readouterr().err
    assert main(["release", "0.0.1", "--date", "2026-13-01"]) == 2
    assert "not a date" in capsys.readouterr().err
    assert (ROOT / "analysis" / "__init__.py").read_bytes() == before


def test_the_release_build_and_a_later_build_write_the_same_revisions_page():
    """During a release the page is written before the release's record exists (the release is compared
    live); a later build reads the record instead. Both must give the same bytes, or the released page would
    not match a rebuild of it."""
    first = rv.Release("0.2.0", "2026-12-07", _manifest(BASE))
    building = dict(_manifest(dict(BASE, **{"tables/claims.csv": "n", "index.html": "new"}), code="c2",
                              version="0.3.0", date="2027-02-01"), git_commit="abc", git_dirty=False)
    during = revisions_html(building, [first])
    record = rv.release_record(building, "0.3.0", "2027-02-01")
    after = revisions_html(building, [first, rv.Release("0.3.0", "2027-02-01", record["manifest"])])
    assert during == after and "<h2>Version 0.3.0, 1 February 2027</h2>" in after
