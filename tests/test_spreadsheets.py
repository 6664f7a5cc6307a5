"""The accessible spreadsheets (tables/review-tables.ods and .xlsx), checked item by item against the
Analysis Function's *Releasing statistics in spreadsheets* checklist, and read back by libraries the
writer does not use for reading (pandas with odfpy, openpyxl): every value equals the CSV's."""

import json
import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest
from odf.opendocument import load as load_odf
from odf.table import Table, TableHeaderRows, TableRow
from odf.text import A

from analysis.pipeline.check import compare_spreadsheet
from analysis.publish import spreadsheets
from analysis.publish.spreadsheets import read_cells, write_spreadsheets

from conftest import ROOT

PUBLISHED = ROOT / "reports"
FRONT = ["Cover", "Contents", "Notes", "Columns"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The spreadsheets written from the published CSV files, into a folder of their own."""
    out = tmp_path_factory.mktemp("sheets")
    (out / "tables").mkdir()
    for csv in (PUBLISHED / "tables").glob("*.csv"):
        shutil.copy(csv, out / "tables" / csv.name)
    manifest = json.loads((PUBLISHED / "manifest.json").read_text(encoding="utf-8"))
    ods, xlsx = write_spreadsheets(out, manifest)
    return {"out": out, "ods": ods, "xlsx": xlsx, "csvs": sorted(p.stem for p in (out / "tables").glob("*.csv"))}


@pytest.fixture(scope="module")
def odf_doc(built):
    return load_odf(str(built["ods"]))


@pytest.fixture(scope="module")
def xlsx_book(built):
    return openpyxl.load_workbook(built["xlsx"])


def _odf_tables(doc):
    return {str(t.getAttribute("name")): t for t in doc.spreadsheet.getElementsByType(Table)}


def test_sheets_cover_contents_notes_then_one_per_table(built, xlsx_book, odf_doc):
    names = list(_odf_tables(odf_doc))
    assert names == xlsx_book.sheetnames
    assert names[:4] == FRONT
    assert sorted(names[4:]) == built["csvs"]  # one sheet per published table, nothing else
    assert all(len(n) <= 31 for n in names) and len(set(names)) == len(names)


def test_title_in_a1_and_cover_opens_first_at_a1(built, xlsx_book, odf_doc):
    for ws in xlsx_book.worksheets:
        assert isinstance(ws["A1"].value, str) and ws["A1"].value.strip(), ws.title
        assert ws["A1"].font.b, f"{ws.title}: the title is not bold"
        assert ws.sheet_view.selection[0].activeCell == "A1"
    assert xlsx_book.active.title == "Cover"
    with zipfile.ZipFile(built["ods"]) as z:
        assert "settings.xml" not in z.namelist()  # no view settings: a reader opens the first sheet at A1
    for name, table in _odf_tables(odf_doc).items():
        first = table.getElementsByType(TableRow)[0]
        assert str(first).strip(), name


def test_document_title_and_language(built, xlsx_book):
    assert xlsx_book.properties.title.startswith("Joint inspections")
    assert xlsx_book.properties.language == "en-GB"
    with zipfile.ZipFile(built["ods"]) as z:
        assert z.namelist()[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        meta = z.read("meta.xml").decode()
    assert "<dc:title>Joint inspections" in meta and "<dc:language>en-GB</dc:language>" in meta


def test_no_merged_cells(built, xlsx_book):
    assert all(not ws.merged_cells.ranges for ws in xlsx_book.worksheets)
    with zipfile.ZipFile(built["ods"]) as z:
        content = z.read("content.xml").decode()
    assert "number-columns-spanned" not in content and "covered-table-cell" not in content


def test_each_table_has_one_tagged_header_row_and_no_blank_cell(built, xlsx_book, odf_doc):
    tables = _odf_tables(odf_doc)
    for name in xlsx_book.sheetnames[1:]:  # the cover holds text only
        ws = xlsx_book[name]
        assert len(ws.tables) == 1, name
        (table,) = ws.tables.values()
        first, last = table.ref.split(":")
        header_row = int("".join(c for c in first if c.isdigit()))
        headers = [c.value for c in ws[header_row]][: len(table.tableColumns)]
        assert headers == [c.name for c in table.tableColumns]
        for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row, max_col=len(headers), values_only=True):
            assert all(v is not None and v != "" for v in row), f"{name}: a blank cell in {row}"
        # ODS: the header is the one row inside table:table-header-rows
        (head,) = tables[name].getElementsByType(TableHeaderRows)
        assert len(head.getElementsByType(TableRow)) == 1


def test_contents_links_every_sheet_and_cover_links_the_quality_page(xlsx_book, odf_doc):
    ws = xlsx_book["Contents"]
    linked = {c.hyperlink.location.split("!")[0].strip("'") for row in ws.iter_rows() for c in row if c.hyperlink}
    assert linked == set(xlsx_book.sheetnames) - {"Cover", "Contents"}
    cover = xlsx_book["Cover"]
    assert any(c.hyperlink and c.hyperlink.target == "../quality.html" for row in cover.iter_rows() for c in row)
    hrefs = {str(a.getAttribute("href")) for a in odf_doc.spreadsheet.getElementsByType(A)}
    assert {f"#{n}.A1" for n in set(xlsx_book.sheetnames) - {"Cover", "Contents"}} | {"../quality.html"} <= hrefs


def test_notes_are_numbered_and_each_one_is_referred_to(xlsx_book):
    titles = " ".join(xlsx_book[n]["A1"].value for n in xlsx_book.sheetnames[4:])
    notes = [r for r in xlsx_book["Notes"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith("note ")]
    assert [r[0] for r in notes] == [f"note {k}" for k in range(1, len(notes) + 1)]
    for number, _text, _sheets in notes:
        assert f"[{number}]" in titles, f"{number} is referred to by no table"
    assert "*" not in titles  # notes are "[note n]", never symbols


def test_shorthand_legend_on_the_cover_and_x_only_where_not_known(built):
    cells = read_cells(built["xlsx"])
    cover = " ".join(str(r[0]) for r in cells["Cover"])
    assert "[x]" in cover and "[z]" in cover
    # [x] is "not known": in the possible grades, exactly the grades the record does not fix
    grades = pd.read_csv(PUBLISHED / "tables" / "possible_grades.csv", dtype=str, keep_default_na=False)
    sheet = pd.read_excel(built["xlsx"], sheet_name="possible_grades", header=_header_row(cells["possible_grades"]),
                          dtype=str, keep_default_na=False)
    assert (sheet["grade"] == "[x]").sum() == (grades["grade"] == "").sum() == (grades["status"] == "open").sum()
    for name in built["csvs"]:
        if name != "possible_grades":
            assert not any(v == "[x]" for r in cells[name] for v in r), f"{name}: [x] where nothing is unknown"


def _header_row(rows) -> int:
    """The 0-based row of a table sheet's header: the title and its lines come first, one cell each."""
    return next(i for i, r in enumerate(rows) if len(r) > 1)


@pytest.mark.parametrize("engine", ["odf", "openpyxl"])
def test_every_value_equals_the_csv(built, engine):
    """Read by pandas (odfpy for ODS, openpyxl for XLSX), each sheet's columns against the CSV's: numbers
    as numbers equal to the CSV's text, text the same (the CSV's formula guard dropped), blanks as [x]/[z]."""
    path = built["ods"] if engine == "odf" else built["xlsx"]
    book = pd.read_excel(path, sheet_name=None, header=None, engine=engine, dtype=object, keep_default_na=False)
    for name in built["csvs"]:
        csv = pd.read_csv(PUBLISHED / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
        raw = book[name]
        h = next(i for i in range(len(raw)) if (raw.iloc[i] != "").sum() > 1)  # the header: the first row of cells
        sheet = raw.iloc[h + 1:].reset_index(drop=True)
        sheet.columns = list(raw.iloc[h])
        assert len(sheet) == len(csv), name
        for column in csv.columns:
            for k, (text, value) in enumerate(zip(csv[column], sheet[column])):
                where = f"{name} row {k + 1} {column}"
                if text == "":
                    assert value in ("[x]", "[z]"), where
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert float(text) == value, where
                else:
                    expected = text[1:] if text.startswith("'") and text[1:2] in "=+-@" else text
                    assert str(value) == expected, where


def test_ranges_in_words_beside_their_two_columns(built):
    cells = read_cells(built["ods"])
    rows = cells["good_or_better"]
    h = _header_row(rows)
    header = rows[h]
    assert header[header.index("max") + 1] == "range"
    # 1.1 across all 32: 15 to 25 partnerships good or better (the published CSV's min and max)
    row = next(r for r in rows[h + 1:] if r[0] == "1.1" and r[1] == "all")
    assert (row[header.index("min")], row[header.index("max")], row[header.index("range")]) == (15, 25, "15 to 25")
    median = cells["median_grade"]
    mh = median[_header_row(median)]
    assert "median_range" in mh


def test_the_two_files_hold_the_same_values_and_rebuild_to_the_same_bytes(built, tmp_path):
    assert read_cells(built["ods"]) == read_cells(built["xlsx"])
    again = tmp_path / "again"
    shutil.copytree(built["out"] / "tables", again / "tables")
    for p in again.glob("tables/review-tables.*"):
        p.unlink()
    manifest = json.loads((PUBLISHED / "manifest.json").read_text(encoding="utf-8"))
    for first, second in zip((built["ods"], built["xlsx"]), write_spreadsheets(again, manifest)):
        assert first.read_bytes() == second.read_bytes()


def test_check_compares_by_values(built, tmp_path):
    """A changed number is a difference; the same values written again are not."""
    assert compare_spreadsheet(built["ods"], built["xlsx"]) is None
    sheets = [s for s in spreadsheets.workbook(built["out"], {"jobs": {}}) if s.name in ("Cover", "good_or_better")]
    table = next(s for s in sheets if s.name == "good_or_better")
    first = list(table.rows[0])
    first[first.index(15)] = 16
    changed = spreadsheets.Sheet(table.name, table.title, table.lines, table.header, (tuple(first), *table.rows[1:]))
    moved = spreadsheets.write_ods([changed if s is table else s for s in sheets], tmp_path / "moved.ods", "T")
    same = spreadsheets.write_ods(sheets, tmp_path / "same.ods", "T")
    again = spreadsheets.write_ods(sheets, tmp_path / "again.ods", "T")
    assert compare_spreadsheet(same, again) is None
    why = compare_spreadsheet(same, moved)
    assert why and "good_or_better row" in why


def test_published_spreadsheets_are_what_the_code_writes(built):
    """The committed spreadsheets hold the values the current code writes from the committed CSV files."""
    for name in spreadsheets.SPREADSHEETS:
        published = PUBLISHED / name
        if not published.exists():
            pytest.skip(f"{name} is not in the published set yet")
        fresh = built["ods"] if name.endswith(".ods") else built["xlsx"]
        assert compare_spreadsheet(published, fresh) is None


def test_unchanged_spreadsheets_are_copied_and_anything_else_written(tmp_path, monkeypatch):
    """Written once; then, with the same tables, code and environment, copied (no writer called) with the same
    bytes; a file changed on disk since, or another code digest, or another table, is written again."""
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "grade_scale.csv").write_text("value,grade\n6,Excellent\n5,Very good\n")
    manifest = {"jobs": {}, "analysis_code_sha256": "a" * 64, "environment": {"lock": "x"}}
    first = {p.name: p.read_bytes() for p in write_spreadsheets(tmp_path, manifest)}
    calls = []
    for name in ("write_ods", "write_xlsx"):
        real = getattr(spreadsheets, name)
        monkeypatch.setattr(spreadsheets, name, lambda *a, real=real, name=name: calls.append(name) or real(*a))
    staged = tmp_path / "staging"
    again = {p.name: p.read_bytes() for p in write_spreadsheets(tmp_path, manifest, to=staged)}
    assert calls == [] and again == first
    ods = tmp_path / spreadsheets.SPREADSHEETS[0]
    ods.write_bytes(ods.read_bytes() + b"changed")  # the recorded hash no longer matches
    assert {p.name: p.read_bytes() for p in write_spreadsheets(tmp_path, manifest)} == first
    assert calls == ["write_ods"]
    calls.clear()
    write_spreadsheets(tmp_path, {**manifest, "analysis_code_sha256": "b" * 64})
    assert calls == ["write_ods", "write_xlsx"]
    calls.clear()
    (tmp_path / "tables" / "grade_scale.csv").write_text("value,grade\n6,Excellent\n")
    write_spreadsheets(tmp_path, {**manifest, "analysis_code_sha256": "b" * 64})
    assert calls == ["write_ods", "write_xlsx"]
