"""Every bad-input case fails with a message naming file, row, column and value."""

import csv

import pandas as pd
import pytest

from analysis.domain.load import load_grades, load_record
from analysis.domain.schema import ValidationError

from conftest import ALL_32, NINE, write_grades_long


def _edit_csv(path, file_row, column, value):
    """Set one cell; file_row numbers lines as the error messages do (header = row 1)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index(column)
    rows[file_row - 1][col] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _problem(exc_info):
    return str(exc_info.value)


# --- the record ---------------------------------------------------------------------------------

def test_unknown_partnership_in_record(data_copy):
    _edit_csv(data_copy / "record/cell_grades.csv", 3, "partnership", "South Ayrshyre")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    msg = _problem(exc)
    assert "data/record/cell_grades.csv, row 3, column 'partnership'" in msg
    assert "'South Ayrshyre'" in msg and "South Ayrshire" in msg


def test_unknown_grade_in_record(data_copy):
    _edit_csv(data_copy / "record/cell_grades.csv", 2, "grade", "Adequat")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "row 2, column 'grade': unknown grade: 'Adequat'" in _problem(exc)
    assert "closest match: 'Adequate'" in _problem(exc)


def test_unknown_indicator_in_record(data_copy):
    _edit_csv(data_copy / "record/cell_grades.csv", 2, "indicator", "9.9")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "row 2, column 'indicator': value not allowed: '9.9'" in _problem(exc)


def test_conflicting_duplicate_in_record(data_copy):
    # Row 2 is Aberdeenshire 9.4 Adequate; make row 3 (Aberdeenshire 6.2 Weak) the same cell.
    _edit_csv(data_copy / "record/cell_grades.csv", 2, "indicator", "6.2")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "conflicting duplicate" in _problem(exc) or "duplicate key" in _problem(exc)


def test_duplicate_via_alias_in_record(data_copy):
    # Outer Hebrides 6.2 Weak is stated; add the same cell under another spelling.
    with open(data_copy / "record/cell_grades.csv", "a", encoding="utf-8") as fh:
        fh.write('Western Isles,6.2,Weak,stated,pressandjournal-809375-outer-hebrides,"x",\n')
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "duplicate cell for Outer Hebrides 6.2" in _problem(exc)


def test_source_id_with_no_source(data_copy):
    _edit_csv(data_copy / "record/cell_grades.csv", 4, "source_id", "ci-news-nowhere")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "row 4, column 'source_id': source id with no source" in _problem(exc)


def test_count_row_that_does_not_add_up(data_copy):
    # Row 3 of area_grade_counts is Highland: 7 very good + 2 good = 9. Make it 8 very good.
    _edit_csv(data_copy / "record/area_grade_counts.csv", 3, "very_good", "8")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "row 3, column 'n_indicators': counts add up to 10, not n_indicators: 9" in _problem(exc)


def test_missing_column_in_record(data_copy):
    path = data_copy / "record/sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("publisher", "publisher_name")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "data/record/sources.csv, row 1, column 'publisher': missing column" in _problem(exc)


def test_empty_record_file(data_copy):
    (data_copy / "record/staff_survey.csv").write_text("", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_record(data_copy)
    assert "data/record/staff_survey.csv: file is empty" in _problem(exc)


# --- a user's complete grade table ---------------------------------------------------------------

def test_long_and_wide_load_to_the_same_frame(tmp_path, complete_rows):
    long_path = write_grades_long(tmp_path / "long.csv", complete_rows)
    by_area = {}
    for p, ind, g in complete_rows:
        by_area.setdefault(p, {})[ind] = g
    wide = tmp_path / "wide.csv"
    lines = ["partnership," + ",".join(f"QI {i}" for i in NINE)]
    lines += [p + "," + ",".join(by_area[p][i] for i in NINE) for p in ALL_32]
    wide.write_text("\n".join(lines) + "\n", encoding="utf-8")
    a, b = load_grades(long_path), load_grades(wide)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 288
    # Hand-made fixture: Edinburgh (k=0) 1.1 (j=0) is grade 1, Unsatisfactory; Perth and Kinross (k=31) 9.4 (j=8)
    # is (31 + 8) % 6 = 3 -> Good.
    cell = a.set_index(["partnership", "indicator"])["grade"]
    assert cell[("Edinburgh", "1.1")] == "Unsatisfactory"
    assert cell[("Perth and Kinross", "9.4")] == "Good"


def test_spellings_and_aliases_accepted(tmp_path, complete_rows):
    spell = {"Very good": "VG", "Good": "good", "Excellent": "6", "Weak": "WEAK"}
    rows = [({"Outer Hebrides": "Eilean Siar", "Perth and Kinross": "Perth & Kinross",
              "Edinburgh": "City of Edinburgh"}.get(p, p), i, spell.get(g, g)) for p, i, g in complete_rows]
    a = load_grades(write_grades_long(tmp_path / "a.csv", rows))
    b = load_grades(write_grades_long(tmp_path / "b.csv", complete_rows))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("bad,column,expected", [
    (("Perth and Kinros", "1.1", "Good"), "partnership", "unknown partnership: 'Perth and Kinros'"),
    (("Fife", "7.1", "Good"), "indicator", "unknown indicator: '7.1'"),
    (("Fife", "1.1", "V. good"), "grade", "unknown grade: 'V. good'"),
    (("Fife", "1.1", "7"), "grade", "unknown grade: '7'"),
])
def test_bad_cell(tmp_path, complete_rows, bad, column, expected):
    rows = list(complete_rows)
    rows[100] = bad  # file row 102 (header is row 1)
    with pytest.raises(ValidationError) as exc:
        load_grades(write_grades_long(tmp_path / "g.csv", rows))
    assert f"g.csv, row 102, column '{column}': {expected}" in _problem(exc)


def test_duplicate_and_conflicting_cells(tmp_path, complete_rows):
    p, i, g = complete_rows[0]
    other = "Good" if g != "Good" else "Weak"
    path = write_grades_long(tmp_path / "g.csv", complete_rows + [(p, i, g), (p, i, other)])
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    msg = _problem(exc)
    assert "row 290, column 'grade': duplicate cell for Edinburgh 1.1 (first at row 2)" in msg
    assert "row 291, column 'grade': conflicting duplicate (row 2 says Unsatisfactory)" in msg


def test_incomplete_table(tmp_path, complete_rows):
    with pytest.raises(ValidationError) as exc:
        load_grades(write_grades_long(tmp_path / "g.csv", complete_rows[:-9]))
    assert "incomplete table: 9 of 288 cells missing" in _problem(exc)
    assert "Perth and Kinross 1.1" in _problem(exc)


def test_missing_column(tmp_path, complete_rows):
    path = write_grades_long(tmp_path / "g.csv", [(p, i) for p, i, _ in complete_rows], header="partnership,indicator")
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert "row 1, column 'grade': missing column" in _problem(exc)


def test_empty_file(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert "g.csv: file is empty" in _problem(exc)


def test_wide_with_extra_indicator(tmp_path):
    header = "partnership," + ",".join(NINE) + ",7.1"
    lines = [header] + [p + "," + ",".join(["Good"] * 10) for p in ALL_32]
    path = tmp_path / "w.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert "row 1, column '7.1': unknown indicator column" in _problem(exc)


def test_semicolon_delimiter_is_read(tmp_path, complete_rows):
    path = tmp_path / "g.csv"
    path.write_text("partnership;indicator;grade\n" + "\n".join(";".join(r) for r in complete_rows), encoding="utf-8")
    comma = write_grades_long(tmp_path / "comma.csv", complete_rows)
    pd.testing.assert_frame_equal(load_grades(path), load_grades(comma))


def test_vertical_bars_are_refused_naming_them(tmp_path, complete_rows):
    path = tmp_path / "g.csv"
    path.write_text("partnership|indicator|grade\n" + "\n".join("|".join(r) for r in complete_rows), encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert "row 1: the header seems to be separated by vertical bars" in _problem(exc)
    assert "allowed: values separated by commas, semicolons or tabs" in _problem(exc)


def test_latin1_bytes_are_read_as_windows_1252(tmp_path, complete_rows):
    # Latin-1 and Windows-1252 agree on the letters: "ï" is byte ef in both, so the name is read as written,
    # and then refused as a name no partnership has
    path = write_grades_long(tmp_path / "g.csv", complete_rows)
    data = path.read_bytes().replace(b"Fife,1.1", "Fïfe,1.1".encode("latin-1"))
    path.write_bytes(data)
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    # Fife is k = 20: its 1.1 row is file row 2 + 20 * 9 = 182
    assert "row 182, column 'partnership': unknown partnership: 'Fïfe'" in _problem(exc)
    assert "not UTF-8" not in _problem(exc)


def test_bytes_neither_utf8_nor_windows_1252_are_refused_with_their_row(tmp_path, complete_rows):
    path = write_grades_long(tmp_path / "g.csv", complete_rows)
    path.write_bytes(path.read_bytes().replace(b"Fife,1.1", b"Fi\x81fe,1.1"))  # 81: no character in cp1252
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert f"{path}, row 182: neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8): '81'" in _problem(exc)


def test_byte_order_mark_is_accepted(tmp_path, complete_rows):
    path = write_grades_long(tmp_path / "g.csv", complete_rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_grades(path)) == 288


def test_a_copy_with_other_reference_tables_is_its_own_domain(data_copy):
    """A data package defines its own domain: the record and the names come from the same folder
    (a copy with another alias matches it; the project's data/ does not)."""
    from analysis.domain import areas
    from analysis.domain.load import load_record
    from analysis.domain.package import use

    path = data_copy / "reference/partnerships.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Edinburgh City", "Embra"), encoding="utf-8")
    try:
        assert len(load_record(data_copy).partnerships) == 32
        assert areas.match_partnership("Embra") == "Edinburgh"
    finally:
        use(None)
    with pytest.raises(areas.UnknownName):
        areas.match_partnership("Embra")
