import re

import pytest

from analysis.domain import areas

from conftest import ALL_32, APPENDIX_4


def test_32_partnerships_in_appendix_4_order():
    assert list(areas.PARTNERSHIPS) == ALL_32


@pytest.mark.parametrize("group,size", [("pre-2014", 11), ("2014-16", 12), ("post-2016", 9)])
def test_group_sizes_and_members(group, size):
    assert len(areas.members(group)) == size
    assert areas.members(group) == APPENDIX_4[group]


def test_every_alias_resolves_to_its_own_partnership():
    table = areas.partnership_table()
    for rec in table.itertuples():
        for spelling in [rec.partnership, rec.slug, rec.la_name, *rec.aliases]:
            assert areas.match_partnership(spelling) == rec.partnership


@pytest.mark.parametrize("spelling,canonical", [
    # Spellings listed in shared/public-record/README.md, and "&" for "and".
    ("Outer Hebrides", "Outer Hebrides"), ("Eilean Siar", "Outer Hebrides"),
    ("Na h-Eileanan Siar", "Outer Hebrides"), ("Western Isles", "Outer Hebrides"),
    ("Outer Hebrides (Eilean Siar)", "Outer Hebrides"),
    ("City of Edinburgh", "Edinburgh"), ("Aberdeen City", "Aberdeen"), ("Dundee City", "Dundee"),
    ("Glasgow City", "Glasgow"), ("Perth & Kinross", "Perth and Kinross"),
    ("Argyll & Bute", "Argyll and Bute"), ("Dumfries & Galloway", "Dumfries and Galloway"),
    ("  perth   AND kinross ", "Perth and Kinross"),
])
def test_known_spellings(spelling, canonical):
    assert areas.match_partnership(spelling) == canonical


def test_slugs_unique_and_file_safe():
    slugs = list(areas.partnership_table()["slug"])
    assert len(set(slugs)) == 32
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)


def test_unknown_name_suggests_closest():
    with pytest.raises(areas.UnknownName) as exc:
        areas.match_partnership("Perth and Kinros")
    assert exc.value.suggestions[0] == "Perth and Kinross"


def test_pilots_and_integration_authority_flags():
    table = areas.partnership_table().set_index("partnership")
    # Appendix 4 marks four pilots; footnote 13 names eleven areas.
    assert set(table.index[table["pilot"]]) == {"Edinburgh", "North Ayrshire", "Orkney", "Argyll and Bute"}
    assert set(table.index[table["social_work_in_ia"]]) == {
        "Argyll and Bute", "East Ayrshire", "East Renfrewshire", "East Dunbartonshire", "Glasgow", "Highland",
        "Inverclyde", "North Ayrshire", "Orkney", "South Ayrshire", "West Dunbartonshire"}


def test_period_group_spellings():
    assert areas.match_period_group("Post 2016") == "post-2016"
    assert areas.match_period_group("pre-2014") == "pre-2014"
    with pytest.raises(areas.UnknownName):
        areas.match_period_group("2013")
