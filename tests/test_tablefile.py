"""Grade tables as analysts have them: workbooks and CSV text as Excel writes it.

Every table here is the package's own worked example (``example_grades()``: partnership k, indicator
j gets grade (k + j) mod 6, worst first, so Edinburgh (k = 0) 1.1 is Unsatisfactory), written once as
plain UTF-8 CSV with the ``csv`` module (the reference) and then again by an independent writer:
XlsxWriter for .xlsx (the package reads them with openpyxl), odfpy's own document model for .ods
(the package reads them through pandas), or bytes made by hand for each of Excel's CSV quirks. What
is read must equal what the reference reads to. Refusals must name the file (and sheet), row,
column and value, and say what to do.
"""

import csv
import hashlib
import io
import zipfile

import pandas as pd
import pytest

from analysis.cli import main
from analysis.domain import scale
from analysis.domain.load import example_grades, load_grades, read_grade_table
from analysis.domain.schema import ValidationError

HEADER = ["partnership", "indicator", "grade"]


@pytest.fixture(scope="module")
def rows():
    frame = example_grades()
    return [[r.partnership, r.indicator, r.grade] for r in frame.itertuples()]


def _csv_text(rows, header=HEADER, delimiter=",", newline="\n"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows([header] + rows)
    return buffer.getvalue()


@pytest.fixture
def reference(tmp_path, rows):
    path = tmp_path / "reference.csv"
    path.write_bytes(_csv_text(rows).encode("utf-8"))
    frame = load_grades(path)
    # hand check of the example: Edinburgh (k = 0) 1.1 (j = 0) is the worst grade; k = 0, j = 4 is Very good
    cell = frame.set_index(["partnership", "indicator"])["grade"]
    assert cell[("Edinburgh", "1.1")] == "Unsatisfactory" and cell[("Edinburgh", "5.2")] == "Very good"
    return path, frame


def _problems(path, **kwargs):
    with pytest.raises(ValidationError) as exc:
        read_grade_table(path, **kwargs)
    return str(exc.value)


# -- workbooks, made by independent writers -----------------------------------------------------------------------
def _xlsx(path, sheets):
    """An .xlsx by XlsxWriter: ``sheets`` maps a sheet name to its rows (cells written with their Python type)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    for name, sheet_rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(sheet_rows):
            for j, value in enumerate(row):
                if value is not None:
                    sheet.write(i, j, value)
    book.close()
    return path


def _ods(path, sheets):
    """An .ods by odfpy: numbers as float cells (office:value), text as string cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, sheet_rows in sheets.items():
        table = Table(name=name)
        for row in sheet_rows:
            tr = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=value))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def test_xlsx_reads_as_the_csv(tmp_path, rows, reference):
    path = _xlsx(tmp_path / "grades.xlsx", {"Grades": [HEADER] + rows})
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read grades.xlsx: sheet 'Grades', 288 rows"


def test_xlsx_with_numbers_as_excel_stores_them(tmp_path, rows, reference):
    # indicators as numbers (1.1), grades as their values (1 = Unsatisfactory ... 6 = Excellent), some
    # written as floats (4.0): Excel keeps a number column's values as numbers
    values = scale.grade_values()
    numeric = [[p, float(i), float(values[g]) if k % 2 else values[g]] for k, (p, i, g) in enumerate(rows)]
    path = _xlsx(tmp_path / "grades.xlsx", {"Grades": [HEADER] + numeric})
    pd.testing.assert_frame_equal(load_grades(path), reference[1])


def test_xlsx_wide_form(tmp_path, rows, reference):
    by_area = {}
    for p, i, g in rows:
        by_area.setdefault(p, {})[i] = g
    nine = list(next(iter(by_area.values())))
    wide = [["partnership"] + [f"QI {i}" for i in nine]] + [[p] + [by_area[p][i] for i in nine] for p in by_area]
    path = _xlsx(tmp_path / "wide.xlsx", {"Sheet1": wide})
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read wide.xlsx: sheet 'Sheet1', 32 rows"


def test_ods_reads_as_the_csv(tmp_path, rows, reference):
    values = scale.grade_values()
    numeric = [[p, float(i), float(values[g])] for p, i, g in rows]  # float cells: 1.1, 4.0
    path = _ods(tmp_path / "grades.ods", {"Grades": [HEADER] + numeric})
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read grades.ods: sheet 'Grades', 288 rows"


def test_the_first_sheet_or_the_one_named(tmp_path, rows, reference):
    path = _xlsx(tmp_path / "book.xlsx", {"Notes": [["About these grades"]], "Grades": [HEADER] + rows})
    text = _problems(path)
    assert "book.xlsx, sheet 'Notes', row 1, column 'partnership': missing column" in text
    table = read_grade_table(path, sheet="Grades")
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read book.xlsx: sheet 'Grades', 288 rows"
    assert read_grade_table(path, sheet="grades").sha256 == table.sha256  # case ignored when one sheet matches
    text = _problems(path, sheet="Grade")
    assert "book.xlsx: no such sheet: 'Grade' (allowed: 'Notes', 'Grades'); closest match: 'Grades'" in text
    reference_csv = reference[0]
    assert "CSV text, which has no sheets" in _problems(reference_csv, sheet="Grades")


def test_a_workbook_is_kept_as_its_canonical_csv_with_a_well_defined_hash(tmp_path, rows, reference):
    path = _xlsx(tmp_path / "grades.xlsx", {"Grades": [HEADER] + rows, "Other": [HEADER] + rows[::-1]})
    table = read_grade_table(path)
    # the sheet holds the reference's cells as text, so its canonical CSV (commas, LF, UTF-8) is the
    # reference file byte for byte
    assert table.content == reference[0].read_bytes()
    assert table.sha256 == hashlib.sha256(reference[0].read_bytes()).hexdigest()
    assert table.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != table.sha256
    # the build's copy (under the workbook's name) reads back, as CSV text, to the same table and hash
    copy = tmp_path / "copy" / "grades.xlsx"
    copy.parent.mkdir()
    table.write_copy(copy)
    again = read_grade_table(copy)
    assert again.sha256 == table.sha256 and again.basis == table.basis == "complete grade table grades.xlsx"
    pd.testing.assert_frame_equal(again.frame, table.frame)
    # another sheet with other rows is another table: another hash
    assert read_grade_table(path, sheet="Other").sha256 != table.sha256


def test_problems_in_a_workbook_name_file_sheet_row_column_and_value(tmp_path, rows):
    bad = [list(r) for r in rows]
    bad[0][2] = "Satisfactory"  # the older scale's word, sheet row 2
    bad[9][0] = "Fyfe"          # sheet row 11
    path = _xlsx(tmp_path / "grades.xlsx", {"Grades": [HEADER] + bad})
    text = _problems(path)
    assert ("grades.xlsx, sheet 'Grades', row 2, column 'grade': not a grade on this scale: 'Satisfactory' "
            "(allowed: Excellent, Very good, Good, Adequate, Weak, Unsatisfactory (any case)") in text
    assert "closest match" not in text.split("'Satisfactory'")[1].split("\n")[0]  # none across the scale
    assert "grades.xlsx, sheet 'Grades', row 11, column 'partnership': unknown partnership: 'Fyfe'" in text


# -- CSV as Excel writes it: one quirk each ---------------------------------------------------------------------------
def test_utf8_with_a_byte_order_mark(tmp_path, rows, reference):
    path = tmp_path / "g.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_text(rows).encode("utf-8"))
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read g.csv: CSV text (UTF-8 with a byte-order mark; separated by commas), 288 rows"


def test_windows_1252_with_a_curly_quote_in_a_note(tmp_path, rows, reference):
    noted = [r + ["\u201cprovisional\u201d" if k == 0 else ""] for k, r in enumerate(rows)]
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text(noted, HEADER + ["note"]).encode("cp1252"))
    assert b"\x93provisional\x94" in path.read_bytes()  # Windows-1252's curly quotes, not UTF-8
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame.drop(columns="note"), reference[1].drop(columns="note"))
    assert table.frame.loc[0, "note"] == "\u201cprovisional\u201d"
    assert table.note == "read g.csv: CSV text (Windows-1252, not UTF-8; separated by commas), 288 rows"


def test_semicolons(tmp_path, rows, reference):
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text(rows, delimiter=";").encode("utf-8"))
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert "separated by semicolons" in table.note


def test_crlf_line_ends(tmp_path, rows, reference):
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text(rows, newline="\r\n").encode("utf-8"))
    assert path.read_bytes().count(b"\r\n") == 289
    pd.testing.assert_frame_equal(load_grades(path), reference[1])


def test_empty_columns_at_the_right(tmp_path, rows, reference):
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text([r + ["", ""] for r in rows], HEADER + ["", ""]).encode("utf-8"))
    assert path.read_bytes().startswith(b"partnership,indicator,grade,,\n")
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert "2 empty columns at the right left out" in table.note


def test_whole_numbers_written_with_decimals(tmp_path, rows, reference):
    values = scale.grade_values()
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text([[p, i, f"{values[g]}.0"] for p, i, g in rows]).encode("utf-8"))
    assert b"Edinburgh,1.1,1.0\n" in path.read_bytes()
    pd.testing.assert_frame_equal(load_grades(path), reference[1])


def test_semicolons_with_decimal_commas_in_windows_1252(tmp_path, rows, reference):
    # Excel in a European locale: semicolons, decimal commas (indicator 1,1; grade 4,0), Windows-1252, CR LF
    values = scale.grade_values()
    text = _csv_text([[p, i.replace(".", ","), f"{values[g]},0"] for p, i, g in rows], delimiter=";",
                     newline="\r\n")
    path = tmp_path / "g.csv"
    path.write_bytes(text.encode("cp1252"))
    assert b"Edinburgh;1,1;1,0\r\n" in path.read_bytes()
    pd.testing.assert_frame_equal(load_grades(path), reference[1])


def test_unicode_text_utf16_with_tabs(tmp_path, rows, reference):
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated
    path = tmp_path / "g.txt"
    path.write_bytes(_csv_text(rows, delimiter="\t", newline="\r\n").encode("utf-16"))
    table = read_grade_table(path)
    pd.testing.assert_frame_equal(table.frame, reference[1])
    assert table.note == "read g.txt: CSV text (UTF-16; separated by tabs), 288 rows"


def test_satisfactory_is_not_on_this_scale_and_gets_no_closest_match(tmp_path, rows):
    bad = [list(r) for r in rows]
    bad[3][2] = "Satisfactory"  # file row 5
    path = tmp_path / "g.csv"
    path.write_bytes(_csv_text(bad).encode("utf-8"))
    text = _problems(path)
    assert f"{path}, row 5, column 'grade': not a grade on this scale: 'Satisfactory' (allowed: Excellent" in text
    assert "closest match" not in text
    # a misspelling still gets its correction
    bad[3][2] = "Adequat"
    path.write_bytes(_csv_text(bad).encode("utf-8"))
    assert "row 5, column 'grade': unknown grade: 'Adequat'" in _problems(path)
    assert "closest match: 'Adequate'" in _problems(path)


# -- what is not read: named, with what to do -----------------------------------------------------------------------
def _zip(path, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("name, make, what", [
    # the first eight bytes of every Compound File (an .xls, or an encrypted .xlsx): D0 CF 11 E0 A1 B1 1A E1
    ("old.xls", lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504),
     "an Excel 97-2003 workbook (.xls) or a password-protected workbook"),
    ("grades.xlsx", lambda p: _zip(p, {"notes.txt": "hello"}), "a zip archive that is not a workbook"),
    ("grades.xlsb", lambda p: _zip(p, {"[Content_Types].xml": "<x/>", "xl/workbook.bin": "x"}),
     "an Excel binary workbook (.xlsb)"),
    ("grades.docx", lambda p: _zip(p, {"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}),
     "a Word document, not a spreadsheet"),
    ("grades.odt", lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.text"}),
     "an OpenDocument text file, not a spreadsheet"),
    ("grades.xlsx", lambda p: _zip(p, {"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<unclosed"}),
     "a damaged or unreadable .xlsx workbook"),
    ("grades.ods", lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}),
     "a damaged or unreadable .ods workbook"),
    ("grades.pdf", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "a PDF document"),
    ("grades.xls", lambda p: p.write_text("<html><body><table><tr><td>partnership</td></tr></table></body></html>"),
     "an XML or HTML file (a web page or an XML spreadsheet)"),
])
def test_what_is_not_read_is_named_with_what_to_do(tmp_path, name, make, what):
    path = tmp_path / name
    make(path)
    text = _problems(path)
    assert f"{path}: {what}, which is not read: save it as .xlsx, or as CSV UTF-8" in text
    assert "not UTF-8" not in text


def test_a_truncated_workbook_is_named_as_damaged(tmp_path, rows):
    path = _xlsx(tmp_path / "grades.xlsx", {"Grades": [HEADER] + rows})
    path.write_bytes(path.read_bytes()[:1500])
    assert f"{path}: a damaged zip archive (not a readable workbook), which is not read" in _problems(path)


def test_text_in_no_known_encoding_is_refused_with_its_row(tmp_path, rows):
    path = tmp_path / "g.csv"
    # a curly quote in UTF-8 (e2 80 9d, row 3) and one in Windows-1252 (94, row 4): no one encoding reads both
    raw = _csv_text(rows[:3]).encode("utf-8")
    raw = raw.replace(b"Edinburgh,2.1,Weak", b"Edinburgh,2.1,Weak\xe2\x80\x9d")
    raw = raw.replace(b"Edinburgh,2.2,Adequate", b"Edinburgh,2.2,Adequate\x94")
    path.write_bytes(raw)
    assert (f"{path}, row 4: not UTF-8 text: it mixes UTF-8 with another encoding (save it as CSV UTF-8): '94'"
            in _problems(path))


def test_the_command_line_says_what_it_read_and_refuses_writing_nothing(tmp_path, rows, capsys):
    book = _xlsx(tmp_path / "grades.xlsx", {"Notes": [["About"]], "Grades": [HEADER] + rows})
    assert main(["statements", "--grades", str(book), "--sheet", "Grades", "--csv"]) == 0
    captured = capsys.readouterr()
    assert f"read {book.name}: sheet 'Grades', 288 rows" in captured.err
    table = pd.read_csv(io.StringIO(captured.out))
    assert {"statement_id", "verdict"} <= set(table.columns) and len(table)
    out = tmp_path / "reports"
    old = tmp_path / "old.xls"
    old.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    assert main(["build", "--grades", str(old), "--out", str(out)]) == 2
    assert f"{old}: an Excel 97-2003 workbook (.xls)" in capsys.readouterr().err
    assert not out.exists()
    assert main(["run", "--national", "--sheet", "Grades", "--out", str(out)]) == 2
    assert "--sheet names a sheet of the --grades workbook" in capsys.readouterr().err
    assert not out.exists()
