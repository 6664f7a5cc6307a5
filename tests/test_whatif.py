"""What if: facts assumed for one run change exactly what brute force says they change, are checked
like the record's own rows, and never touch the data. The tiny programme (4 areas in 2 groups, 2
indicators, a 3-point scale: 3^8 = 6,561 grade tables) is enumerated before and after."""

import hashlib
import itertools
import subprocess
import sys

import pytest
from programme import TINY, make_programme

from analysis.domain.package import use

AREAS = [a for a, _ in TINY["areas"]]
IND = [c for c, _ in TINY["indicators"]]
VALUE = {"Poor": 1, "Fair": 2, "Good": 3}
GRADES = ["Poor", "Fair", "Good"]
ALL = list(itertools.product((1, 2, 3), repeat=len(AREAS) * len(IND)))
HEADER = "partnership,indicator,grade,basis,source_id,quote,note\n"


def cell(t, area, ind):
    return t[AREAS.index(area) * len(IND) + IND.index(ind)]


def record_holds(t):  # Ash 1.1 Good; Cedar one Good and one Fair; a late area Good on 2.1
    return (cell(t, "Ash", "1.1") == 3 and sorted(cell(t, "Cedar", i) for i in IND) == [2, 3]
            and (cell(t, "Cedar", "2.1") == 3) + (cell(t, "Damson", "2.1") == 3) >= 1)


def possible(tables):
    return {(a, i): ", ".join(g for g in GRADES if any(cell(t, a, i) == VALUE[g] for t in tables))
            for a in AREAS for i in IND}


@pytest.fixture()
def tiny(tmp_path):
    data = make_programme(tmp_path / "data", **TINY)
    yield data
    use(None)


def _hashes(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _changes(data, facts):
    from analysis import RecordModel, load_record
    from analysis.stats.whatif import what_changes

    before = load_record(data)
    after = load_record(data, assume=facts)
    return what_changes((before, RecordModel.from_record(before)), (after, RecordModel.from_record(after)),
                        trends=False)


def test_an_assumed_grade_changes_what_brute_force_says(tiny, tmp_path):
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "Damson,2.1,Fair,stated,assumption,hypothetical,\n", encoding="utf-8")
    before_data = _hashes(tiny)
    changes = _changes(tiny, facts)
    assert _hashes(tiny) == before_data, "nothing is written into the data"
    # brute force: with Damson 2.1 Fair, the statement needs Cedar 2.1 Good, so Cedar's row is
    # (Fair, Good): Cedar's cells are fixed, Damson's 2.1 too
    before = [t for t in ALL if record_holds(t)]
    after = [t for t in before if cell(t, "Damson", "2.1") == 2]
    old, new = possible(before), possible(after)
    expected = {f"{a}|{i}": (old[a, i], new[a, i]) for a, i in old if old[a, i] != new[a, i]}
    got = changes[changes["kind"] == "cell"]
    assert dict(zip(got["id"], zip(got["before"], got["after"]))) == expected
    assert expected == {"Cedar|1.1": ("Fair, Good", "Fair"), "Cedar|2.1": ("Fair, Good", "Good"),
                        "Damson|2.1": ("Poor, Fair, Good", "Fair")}  # by hand
    # the claim (late 1.1 mean higher): before, possible; after, Cedar 1.1 is Fair (2) against Ash's
    # Good (3), so it holds only if Damson 1.1 beats Birch 1.1 by more than 1: still possible
    claim = [t for t in after if cell(t, "Cedar", "1.1") + cell(t, "Damson", "1.1")
             > cell(t, "Ash", "1.1") + cell(t, "Birch", "1.1")]
    assert 0 < len(claim) < len(after)
    assert "claim:cl-1.1-up" not in set(changes.loc[changes["kind"] == "claim", "id"])


def test_an_assumed_grade_can_decide_the_statement(tiny, tmp_path):
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "Damson,2.1,Good,stated,assumption,hypothetical,\n", encoding="utf-8")
    changes = _changes(tiny, facts).set_index("id")
    # brute force, the statement judged without itself: Damson Good on 2.1 makes it hold in every table
    context = [t for t in ALL if cell(t, "Ash", "1.1") == 3 and sorted(cell(t, "Cedar", i) for i in IND) == [2, 3]]
    assert {(cell(t, "Cedar", "2.1") == 3) + (cell(t, "Damson", "2.1") == 3) >= 1 for t in context} == {True, False}
    counts = {(cell(t, "Cedar", "2.1") == 3) + 1 for t in context if cell(t, "Damson", "2.1") == 3}
    assert counts == {1, 2}  # the late areas Good on 2.1: Damson, and Cedar or not
    assert changes.loc["late-2.1-good", "before"].startswith("possible")
    assert changes.loc["late-2.1-good", "after"] == "confirmed (1 to 2)"


def test_bad_assumed_facts_are_refused_naming_file_row_column_value(tiny, tmp_path):
    from analysis import load_record
    from analysis.domain.schema import ValidationError

    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "Damson,2.1,Splendid,stated,assumption,a guess,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_record(tiny, assume=facts)
    text = str(err.value)
    assert str(facts) in text and "row 2" in text and "grade" in text and "Splendid" in text
    facts.write_text(HEADER + "Ash,1.1,Good,stated,assumption,a guess,\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="first at row 2 of data/record/cell_grades.csv"):
        load_record(tiny, assume=facts)
    facts.write_text(HEADER + "Damson,2.1,Good,stated,nowhere,a guess,\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="source id"):
        load_record(tiny, assume=facts)
    facts.write_text("area,grade\nDamson,Good\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="neither table"):
        load_record(tiny, assume=facts)


def test_the_command_shows_before_and_after(tiny, tmp_path):
    facts = tmp_path / "facts.csv"
    facts.write_text(HEADER + "Damson,2.1,Good,stated,assumption,hypothetical,\n", encoding="utf-8")
    before_data = _hashes(tiny)
    res = subprocess.run([sys.executable, "-m", "analysis.cli", "statements", "--data", str(tiny), "--assume",
                          str(facts)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "statement (1 changed):" in res.stdout and "after:  confirmed (1 to 2)" in res.stdout
    assert _hashes(tiny) == before_data
    res = subprocess.run([sys.executable, "-m", "analysis.cli", "statements", "--data", str(tiny), "--assume",
                          str(facts), "--grades", str(facts)], capture_output=True, text=True, timeout=600)
    assert res.returncode != 0 and "not both" in res.stderr
