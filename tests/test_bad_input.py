"""Bad input through the command line: each grade table and name is refused with an error naming
file, row, column, value and what is allowed, exit status 2, and nothing written; and property
tests (hypothesis): any input either loads or raises the package's own error, never another.

Tables are the hand-made complete one (partnership k, indicator j: grade (k + j) % 6), first row
Edinburgh 1.1 = Unsatisfactory (file row 2), with one fault each.
"""

import contextlib
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.domain import areas, indicators, scale
from analysis.domain.load import load_grades
from analysis.domain.schema import ValidationError

from conftest import ALL_32, NINE

G = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
ROWS = [(p, i, G[(k + j) % 6]) for k, p in enumerate(ALL_32) for j, i in enumerate(NINE)]


def _long(rows, header="partnership,indicator,grade", sep=","):
    return header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n"


def _first(value, at):
    rows = [list(r) for r in ROWS]
    rows[0][at] = value
    return _long(rows)


WIDE_EXTRA = ("partnership," + ",".join(NINE) + ",7.1\n"
              + "\n".join(p + "," + ",".join(G[(k + j) % 6] for j in range(9)) + ",Good" for k, p in enumerate(ALL_32))
              + "\n")

# name -> (file text, what the message must contain besides the file name)
CASES = {
    "empty": ("", ["file is empty", "expected a header row"]),
    "vertical-bars": (_long(ROWS, "partnership|indicator|grade", "|"),
                      ["row 1", "vertical bars", "separated by commas, semicolons or tabs"]),
    "grade-satisfactory": (_first("Satisfactory", 2), ["row 2, column 'grade'", "not a grade on this scale",
                                                       "'Satisfactory'", "allowed: Excellent"]),
    "missing-column": ("partnership,indicator\n" + "\n".join(f"{p},{i}" for p, i, _ in ROWS) + "\n",
                       ["row 1, column 'grade'", "missing column", "allowed: partnership, indicator, grade"]),
    "extra-column": ("partnership,indicator,grade,colour\n" + "\n".join(f"{p},{i},{g},red" for p, i, g in ROWS) + "\n",
                     ["row 1, column 'colour'", "unexpected column", "allowed: partnership, indicator, grade, note"]),
    "grade-v-good": (_first("V. good", 2), ["row 2, column 'grade'", "'V. good'", "allowed: Excellent", "Very good"]),
    "grade-7": (_first("7", 2), ["row 2, column 'grade'", "'7'", "1-6"]),
    "unknown-area": (_first("Fyfe", 0), ["row 2, column 'partnership'", "'Fyfe'", "Fife", "review list"]),
    "ambiguous-area": (_first("Ayrshire", 0), ["row 2, column 'partnership'", "ambiguous", "'Ayrshire'",
                                               "North Ayrshire", "South Ayrshire", "East Ayrshire"]),
    "duplicate": (_long(ROWS + [ROWS[0]]), ["row 290, column 'grade'", "duplicate cell for Edinburgh 1.1",
                                            "first at row 2"]),
    "conflicting": (_long(ROWS + [("Edinburgh", "1.1", "Excellent")]),
                    ["row 290, column 'grade'", "conflicting duplicate", "row 2 says Unsatisfactory", "'Excellent'"]),
    "incomplete": (_long(ROWS[:-9]), ["incomplete table: 9 of 288 cells missing", "Perth and Kinross 1.1",
                                      "exactly 32 partnerships x 9 indicators"]),
    "wide-extra-indicator": (WIDE_EXTRA, ["row 1, column '7.1'", "unknown indicator column", "allowed: 1.1, 2.1"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_grade_table_is_refused_and_nothing_written(tmp_path, capsys, name):
    text, expected = CASES[name]
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "reports"
    assert main(["build", "--grades", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    for part in expected:
        assert part in err, (part, err)
    assert not out.exists()


def test_bytes_of_no_known_encoding_are_refused_with_their_row(tmp_path, capsys):
    path = tmp_path / "latin1.csv"
    path.write_bytes(_long(ROWS).replace("Fife,", "F\x81fe,").encode("latin-1"))  # 81: no character in cp1252
    out = tmp_path / "reports"
    assert main(["run", "--partnership", "Fife", "--grades", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    # Fife is k = 20: its first row is file row 2 + 20 * 9 = 182
    assert f"{path}, row 182: neither UTF-8 nor Windows-1252 text" in err and "save it as CSV UTF-8" in err
    assert not out.exists()


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _long(ROWS).encode("utf-8"))
    assert len(load_grades(path)) == 288


@pytest.mark.parametrize("argv", [
    ["run", "--period-group", "2020"],
    ["run", "--partnership", "../../etc/passwd"],
    ["run", "--partnership", "<b>Fife</b>"],
    ["run", "--partnership", "Fife\n--force"],
    ["run", "--partnership", "Lanarkshire"],
])
def test_bad_names_are_refused_before_any_kernel(tmp_path, capsys, argv):
    out = tmp_path / "reports"
    assert main(argv + ["--out", str(out)]) == 2
    assert "review:" in capsys.readouterr().err
    assert not out.exists()


def test_papermill_parameters_are_checked_by_the_notebook_before_writing(tmp_path):
    # run as papermill would, with a traversal name: the notebook's first call refuses it, nothing is written
    from analysis.report.page import open_report

    out = tmp_path / "out"
    with pytest.raises(areas.UnknownName):
        open_report("partnership", "../../etc", output_dir=str(out))
    with pytest.raises(ValueError, match="unknown notebook kind"):
        open_report("partnerships", "Fife", output_dir=str(out))
    assert not out.exists()


def test_parameters_not_in_the_template_are_refused(tmp_path):
    # papermill injects any name it is given; the build passes only names the parameters cell declares
    import shutil

    import nbformat

    from analysis import config
    from analysis.pipeline import build as b

    folder = tmp_path / "templates"
    shutil.copytree(config.NOTEBOOKS_DIR, folder)
    path = folder / "partnership.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("cache"))
    nbformat.write(nb, path)
    job = b.job_for("partnership", "Fife")
    with pytest.raises(b.BuildError, match="parameters cache are not in its parameters cell"):
        b.parameters_for(job, b.template_parameters(path), "", "x", "y")
    declared = b.template_parameters(config.NOTEBOOKS_DIR / "partnership.ipynb")
    with pytest.raises(b.BuildError, match="must be a string"):
        b.parameters_for(b.Job("partnership", "fife", 3), declared, "", "x", "y")
    assert b.parameters_for(job, declared, "", "x", "y")["partnership"] == "Fife"


# -- properties --------------------------------------------------------------------------------------------------
@given(st.text())
def test_parse_grade_returns_a_grade_or_none(text):
    assert scale.parse_grade(text) in set(scale.GRADES) | {None}


@given(st.text())
def test_parse_indicator_returns_an_indicator_or_none(text):
    assert indicators.parse_indicator(text) in set(indicators.INDICATORS) | {None}


@given(st.text())
def test_match_partnership_returns_a_partnership_or_raises_unknown_name(text):
    with contextlib.suppress(areas.UnknownName):
        assert areas.match_partnership(text) in areas.PARTNERSHIPS


CELL = st.one_of(st.sampled_from(ALL_32 + NINE + G + ["", "VG", "6", "0", "Fyfe", "QI 1.1", '"', ",", "\n", "é"]),
                 st.text(alphabet=string.printable + "éï\u00a0\ufeff", max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["partnership", "indicator", "grade", "note", "area", "1.1", "QI 2.1", "x"]),
                       min_size=0, max_size=5),
       rows=st.lists(st.lists(CELL, min_size=0, max_size=5), max_size=6))
def test_any_small_table_loads_or_raises_validation_error(tmp_path_factory, header, rows):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows([header] + rows)
    path = tmp_path_factory.mktemp("prop") / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        frame = load_grades(path)
    except ValidationError:
        return
    assert isinstance(frame, pd.DataFrame) and len(frame) == 288


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_load_or_raise_validation_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "t.csv"
    path.write_bytes(data)
    with contextlib.suppress(ValidationError):
        load_grades(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 287), st.sampled_from(["grade", "partnership", "indicator"]), CELL)
def test_one_cell_changed_loads_or_raises_validation_error(tmp_path_factory, row, column, value):
    rows = [list(r) for r in ROWS]
    rows[row][["partnership", "indicator", "grade"].index(column)] = value
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["partnership", "indicator", "grade"]] + rows)
    path = tmp_path_factory.mktemp("cell") / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        frame = load_grades(path)
    except ValidationError as exc:
        assert str(path) in str(exc)
        return
    assert len(frame) == 288


@pytest.mark.parametrize("value, expected", [
    ("Go\rod", "row 8: row has 1 fields"),       # a bare carriage return ends a line (csv.Error before)
    ("\x0b", "row 7, column 'grade': unknown grade"),
    ("Go\x00od", "row 7, column 'grade': unknown grade"),
    ("Good\r", None),                              # CR LF: an ordinary line end, the table loads
])
def test_control_characters_in_a_cell(tmp_path, value, expected):
    # found by hypothesis: a carriage return in a cell raised csv.Error, not ValidationError
    rows = [list(r) for r in ROWS]
    rows[5][2] = value
    path = tmp_path / "t.csv"
    path.write_text(_long(rows), encoding="utf-8")
    if expected is None:
        assert len(load_grades(path)) == 288
        return
    with pytest.raises(ValidationError) as exc:
        load_grades(path)
    assert f"{path}, {expected}" in str(exc.value)


# -- headers, sizes and file kinds (issue 15, cases 6, 7, 10) ----------------------------------------------------
def _long_rows():
    from conftest import ALL_32, NINE

    return [[p, i, "Good"] for p in ALL_32 for i in NINE]


@pytest.mark.parametrize("header,message", [
    ("partnership,indicator,grade,Grade", "duplicate column name"),
    ("partnership,indicator,grade,grade", "duplicate column name"),
    ("partnership,indicator,grade,note,note", "duplicate column name"),
    ("partnership,indicator,grade,note,comment", "more than one note column"),
    ("partnership,indicator,grade,remarks", "unexpected column"),
])
def test_suspicious_headers_are_refused(tmp_path, header, message):
    from analysis.domain.load import load_grades
    from analysis.domain.schema import ValidationError

    extra = header.count(",") - 2
    text = header + "\n" + "\n".join(",".join(r + ["x"] * extra) for r in _long_rows()) + "\n"
    path = tmp_path / "g.csv"
    path.write_text(text)
    with pytest.raises(ValidationError) as err:
        load_grades(path)
    assert message in str(err.value) and "g.csv" in str(err.value)


def test_a_huge_table_is_refused_quickly(tmp_path):
    import time

    from analysis.domain.load import load_grades
    from analysis.domain.schema import ValidationError

    path = tmp_path / "huge.csv"
    with open(path, "w") as fh:
        fh.write("partnership,indicator,grade\n")
        line = "Fife,1.1,Good\n" * 1000
        for _ in range(3600):  # about 50 MB
            fh.write(line)
    t0 = time.perf_counter()
    with pytest.raises(ValidationError, match="at most 1,000,000 bytes"):
        load_grades(path)
    assert time.perf_counter() - t0 < 2


def test_a_folder_or_fifo_is_named_as_such(tmp_path):
    import os

    from analysis.domain.load import load_grades
    from analysis.domain.schema import ValidationError

    with pytest.raises(ValidationError, match="is a folder"):
        load_grades(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValidationError, match="not a regular file"):
        load_grades(fifo)
