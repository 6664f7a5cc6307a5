"""The release files: the licence, the citation (valid under the Citation File Format 1.2.0 schema, vendored
from cffconvert 2.0.0 as tests/data/cff-schema-1.2.0.json, CC-BY-4.0) and one version everywhere."""

import json
import tomllib

import jsonschema
import pytest
import yaml

from conftest import ROOT


def _citation():
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _schema():
    return json.loads((ROOT / "tests" / "data" / "cff-schema-1.2.0.json").read_text(encoding="utf-8"))


def test_the_citation_is_valid_under_the_cff_schema():
    jsonschema.validate(_citation(), _schema(), cls=jsonschema.Draft7Validator)


def test_an_invalid_citation_is_caught():
    broken = dict(_citation())
    del broken["authors"]
    with pytest.raises(jsonschema.ValidationError, match="authors"):
        jsonschema.validate(broken, _schema(), cls=jsonschema.Draft7Validator)


def test_one_version_and_one_licence_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    from analysis import __released__, __version__
    from analysis.pipeline.revisions import read_releases

    assert project["version"] == __version__
    # the citation names a release: this one, or between releases (a development version) the last one
    releases = read_releases(ROOT)
    cited = __version__ if __released__ or not releases else releases[-1].version
    assert _citation()["version"] == cited
    if releases and cited == releases[-1].version:
        assert str(_citation()["date-released"]) == releases[-1].date
    assert _citation()["license"] == project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
