"""The published tables as accessible spreadsheets: ``tables/review-tables.ods`` and ``.xlsx``.

Both files hold the same sheets, laid out as the Analysis Function's *Releasing statistics in
spreadsheets* guidance asks: a cover sheet (what the tables are, the data basis, the source, the
version, a contact, the quality page and the legend of the shorthand), a contents sheet linking every
sheet, a notes sheet (numbered notes, referred to as "[note n]" from the table titles), a columns sheet
(what every column means) and then one table per sheet: its title in A1, a line on what the sheet
holds, and the table below with one header row. No cell is merged or left blank inside a table: a
value the record does not fix is ``[x]``, a value that cannot exist for the row is ``[z]``. Where a
table gives a range as two columns (minimum and maximum), a text column beside them says it in words.
Document title and language are set in each file's properties.

The sheets are built once (:func:`workbook`, from the CSV files and :mod:`analysis.publish.tables`'
specs, so titles and column meanings are those of the pages) and written twice: ODS, the open
standard for shared documents, on odfpy (the library pandas' ``odf`` engine uses; pandas' own ODS
writer cannot set a document title, language, header rows or links), and XLSX on XlsxWriter (which
gptables also builds on). Both are written with fixed timestamps, so a rebuild writes the same bytes;
:func:`read_cells` reads either back as values, which is how ``review check`` compares them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["Sheet", "Link", "NOTES", "SPREADSHEETS", "workbook", "write_ods", "write_xlsx",
           "write_spreadsheets", "read_cells", "table_cells"]

#: The files written, beside the CSV files in ``tables/``.
SPREADSHEETS = ("tables/review-tables.ods", "tables/review-tables.xlsx")

#: Shorthand for a cell with no value (the guidance's symbols), with what each means here.
NOT_KNOWN, NOT_APPLICABLE = "[x]", "[z]"
LEGEND = {NOT_KNOWN: "not known: the public record does not fix this value",
          NOT_APPLICABLE: "not applicable: there is no such value for this row (or the list it would give is empty)"}

#: Columns that hold codes, written as text even where they look like numbers (an indicator "5.10").
_CODES = {"indicator"}
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Columns that give a range as a pair: (lower, upper) name endings, in the order they are tried.
_PAIRS = (("_min", "_max"), ("_low", "_high"))
#: The files' fixed timestamp (zip entries and the XLSX's creation date): a rebuild writes the same bytes.
_STAMP = (1980, 1, 1, 0, 0, 0)
_LANGUAGE = ("en", "GB")
_WIDEST = 60  # characters: a wider column wraps its text


@dataclass(frozen=True)
class Link:
    """A cell that links to a sheet of the workbook (``sheet``) or to a file beside it (``url``)."""

    text: str
    sheet: str = ""
    url: str = ""


@dataclass(frozen=True)
class Sheet:
    """One sheet: a title (A1), lines of text under it, then a table (a header row and rows) if any.

    Parameters
    ----------
    name : str
        The sheet's name (at most 31 characters).
    title : str
        The text of A1.
    lines : tuple of str
        One cell each, in column A under the title.
    header : tuple of str
        The table's header row; empty for a sheet of text only (the cover).
    rows : tuple of tuple
        The table's rows: str, int, float or :class:`Link` cells.
    """

    name: str
    title: str
    lines: tuple = ()
    header: tuple = ()
    rows: tuple = ()

    def column_widths(self) -> list[int]:
        """Each column's width in characters: its longest cell, at least 10 and at most 60 (wider text wraps).

        Returns
        -------
        list of int
            One width per column of the table (one column for a sheet of text only).

        Examples
        --------
        >>> Sheet("t", "A title", header=("a", "bb"), rows=(("x" * 80, 1.5),)).column_widths()
        [60, 10]
        """
        n = max(1, len(self.header))
        widths = [10] * n
        for row in (self.header, *self.rows):
            for k, v in enumerate(row):
                text = v.text if isinstance(v, Link) else str(v)
                widths[k] = max(widths[k], min(_WIDEST, len(text) + 2))
        return widths


#: Notes the tables' titles refer to as "[note n]": (text, the test a table meets to carry it).
NOTES = (
    ("Ranges: where the public record does not fix a number, the minimum and maximum columns give the smallest and "
     "largest value over every grade table consistent with the record. They are exact bounds, not estimates; the "
     "two are equal where the record fixes the number. The range column says the same in words.",
     lambda name, header: any(h.endswith("_range") or h == "range" for h in header)),
    ("Exact p-values: a trend's p-value is exact and conditional on the margins (the linear-by-linear association "
     "test), not simulated; the columns ending _exact give the same p-values as fractions.",
     lambda name, header: name == "trend_bounds"),
    ("Witness tables: each row is one grade table consistent with the record, in the grade abbreviations of the "
     "grade_scale sheet, so anyone can check that it attains the bound or verdict it is given for.",
     lambda name, header: "witness" in name),
    ("Verdicts: confirmed (true in every grade table consistent with the record), contradicted (true in none) or "
     "possible (the record does not decide). Where the review's words allow more than one fair reading, each "
     "reading has a row of its own.",
     lambda name, header: "verdict" in header),
    ("Sources: source_id names a source in the data log of the public record (data/sources.csv); quote gives its "
     "words.", lambda name, header: "source_id" in header),
)


def _is_number(column: str, values: list[str]) -> bool:
    filled = [v for v in values if v != ""]
    return column not in _CODES and bool(filled) and all(_NUMBER.match(v) for v in filled)


def _value(text: str, number: bool, unknown: bool):
    if text == "":
        return NOT_KNOWN if unknown else NOT_APPLICABLE
    if number:
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    if text.startswith("'") and text[1:2].startswith(_FORMULA):
        return text[1:]  # the CSV's formula guard: a spreadsheet cell written as text needs none
    return text


def _pair(name: str, header: list[str]) -> tuple[str, str] | None:
    """For the upper column of a range, the lower column's name and the range column's name."""
    if name == "max" and "min" in header:
        return "min", "range"
    for lo_end, hi_end in _PAIRS:
        if name.endswith(hi_end) and name[: -len(hi_end)] + lo_end in header:
            stem = name[: -len(hi_end)]
            return stem + lo_end, stem + "_range"
    return None


def _with_ranges(header: list[str], columns: list[list]) -> tuple[list[str], list[list]]:
    """Insert, after each (min, max), (x_min, x_max) or (x_low, x_high) pair, the range in words."""
    out_h, out_c = [], []
    for name, column in zip(header, columns):
        out_h.append(name)
        out_c.append(column)
        pair = _pair(name, header)
        if pair and pair[1] not in header:
            lo = columns[header.index(pair[0])]
            words = [_range_words(a, b) for a, b in zip(lo, column)]
            if all(w is not None for w in words):
                out_h.append(pair[1])
                out_c.append(words)
    return out_h, out_c


def _range_words(lo, hi) -> str | None:
    """A range in words: "2 to 5", or one value where the two are equal; None for a pair that is not a range."""
    if lo in LEGEND or hi in LEGEND:
        return NOT_KNOWN if NOT_KNOWN in (lo, hi) else NOT_APPLICABLE
    numbers = isinstance(lo, (int, float)), isinstance(hi, (int, float))
    if numbers[0] != numbers[1]:
        return None
    lo, hi = (f"{lo:g}", f"{hi:g}") if numbers[0] else (str(lo), str(hi))
    return lo if lo == hi else f"{lo} to {hi}"


def table_cells(path: Path | str, name: str | None = None) -> tuple[list[str], list[list]]:
    """A published CSV as a spreadsheet's table: numbers as numbers, shorthand for blanks, ranges in words.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    name : str, optional
        The table's name (its spec says which blanks are not known); the file's stem by default.

    Returns
    -------
    tuple
        The header (list of str) and the rows (lists of str, int or float).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "t.csv"
    ...     _ = p.write_text("indicator,min,max,note\\n1.1,2,5,\\n5.1,3,3,'=x\\n", encoding="utf-8")
    ...     table_cells(p)
    (['indicator', 'min', 'max', 'range', 'note'], [['1.1', 2, 5, '2 to 5', '[z]'], ['5.1', 3, 3, '3', '=x']])
    """
    from analysis.publish.tables import spec

    path = Path(path)
    name = name or path.stem
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    unknown = set(spec(name).unknown)
    columns = []
    for k, column in enumerate(header):
        values = [r[k] if k < len(r) else "" for r in body]
        number = _is_number(column, values)
        columns.append([_value(v, number, column in unknown) for v in values])
    header, columns = _with_ranges(header, columns)
    return header, [list(r) for r in zip(*columns)] if columns and body else []


def _tables(out_dir: Path) -> list[str]:
    """The tables of ``out_dir/tables/`` (the review's own, not per area): the specs' order, then by name."""
    from analysis.publish.tables import TABLES

    names = {p.stem for p in (out_dir / "tables").glob("*.csv") if not p.name.startswith(".")}
    return [n for n in TABLES if n in names] + sorted(names - set(TABLES))


def workbook(out_dir: Path | str, manifest: dict) -> list[Sheet]:
    """The sheets of the review's spreadsheet, from the CSV files in ``out_dir/tables/``.

    Parameters
    ----------
    out_dir : str or Path
        The output folder (its ``tables/*.csv`` are the tables).
    manifest : dict
        The build's manifest (its data basis, package version and commit are named on the cover).

    Returns
    -------
    list of Sheet
        Cover, Contents, Notes, Columns, then one sheet per table.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "tables").mkdir()
    ...     _ = (Path(tmp) / "tables" / "grade_scale.csv").write_text("value,grade\\n6,Excellent\\n")
    ...     [s.name for s in workbook(tmp, {"jobs": {}, "package_version": "1.0.0"})]
    ['Cover', 'Contents', 'Notes', 'Columns', 'grade_scale']
    """
    from analysis.publish.tables import spec

    out_dir = Path(out_dir)
    tables = []
    for name in _tables(out_dir):
        header, rows = table_cells(out_dir / "tables" / f"{name}.csv", name)
        notes = [f"[note {k}]" for k, (_, applies) in enumerate(NOTES, 1) if applies(name, header)]
        blanks = {v for r in rows for v in r if v in LEGEND}
        lines = [f"This worksheet contains one table of {len(rows)} rows, the same values as tables/{name}.csv."]
        if blanks:
            lines.append("Some cells hold shorthand: " + "; ".join(f"{s} {LEGEND[s]}" for s in sorted(blanks)) + ".")
        if notes:
            lines.append("Notes referred to in the title are on the Notes sheet.")
        tables.append(Sheet(name[:31], " ".join([spec(name).title(), *notes]), tuple(lines), tuple(header),
                            tuple(tuple(r) for r in rows)))
    basis = sorted({e.get("data_basis", "") for e in manifest.get("jobs", {}).values() if e.get("data_basis")})
    version = str(manifest.get("package_version", ""))
    released = str(manifest.get("released", "") or "")
    cover = Sheet("Cover", "Joint inspections of services for children and young people in Scotland, 2012-2017: "
                           "the review's tables", (
        "What these tables are: the Care Inspectorate's review of findings from the joint inspection programme "
        "2012-2017, its figures and statements checked against the published record. Each sheet after the first "
        "four holds one table, with the same values as the CSV file of that name published beside this file.",
        f"Data basis: {', '.join(basis) or 'none'}. The official grade table is not published: where the record "
        "does not fix a number, a table gives the smallest and largest value over every grade table consistent "
        "with it, as two columns.",
        "Source: Care Inspectorate (2019), The joint strategic inspection of services for children and young "
        "people: review of findings from the inspection programme 2012-2017; and the inspection reports, news "
        "releases and grade counts of the public record, each row with its source and quote (data/sources.csv).",
        f"Version: {version}" + (f", released {released}" if released else "") + ".",
        "Contact: the maintainers of the cpp-inspections-review package, through its repository (CITATION.cff "
        "says how to cite it).",
        Link("Quality and methods: what these statistics are, their strengths and limitations (quality.html)",
             url="../quality.html"),
        *(f"Shorthand {s}: {text}." for s, text in LEGEND.items()),
        "Notes: notes referred to as [note 1] and so on in table titles are on the Notes sheet. The Columns sheet "
        "says what every column means.",
    ))
    contents = Sheet("Contents", "Contents", ("This worksheet contains one table: every sheet, with a link to it.",),
                     ("Sheet name", "Table title", "Rows"),
                     tuple((Link(s.name, sheet=s.name), s.title, len(s.rows)) for s in tables))
    notes = Sheet("Notes", "Notes", ("This worksheet contains one table: the notes the table titles refer to.",),
                  ("Note number", "Note text", "Sheets"),
                  tuple((f"note {k}", text, ", ".join(s.name for s in tables if f"[note {k}]" in s.title) or "none")
                        for k, (text, _) in enumerate(NOTES, 1)))
    columns = Sheet("Columns", "Columns: what each column of each table means",
                    ("This worksheet contains one table: one row per column of each table sheet.",),
                    ("Sheet name", "Column", "Meaning"),
                    tuple((s.name, h, _meaning(s.name, h)) for s in tables for h in s.header))
    contents = Sheet(contents.name, contents.title, contents.lines, contents.header,
                     ((Link("Notes", sheet="Notes"), notes.title, len(notes.rows)),
                      (Link("Columns", sheet="Columns"), columns.title, len(columns.rows)), *contents.rows))
    return [cover, contents, notes, columns, *tables]


def _meaning(table: str, column: str) -> str:
    from analysis.publish.tables import spec

    if column.endswith("range") and column not in ("range",):
        return "The range of the two columns before it, in words (one number where the two are equal)."
    return spec(table).describe(column) or NOT_APPLICABLE


def _fixed_zip(data: bytes, language: bool = False) -> bytes:
    """The same zip with every entry's timestamp fixed (order, names and compression kept). For an XLSX
    (``language``), two mends of what XlsxWriter writes: the document language added to the core
    properties (it writes no ``dc:language``), and links to files beside the workbook with "/"."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, _STAMP)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            body = src.read(info.filename)
            if language and info.filename == "docProps/core.xml":
                tag = f"<dc:language>{'-'.join(_LANGUAGE)}</dc:language>".encode()
                body = body.replace(b"</dc:title>", b"</dc:title>" + tag, 1)
            if language and info.filename.startswith("xl/worksheets/_rels/"):
                # XlsxWriter writes a relative link to a file with Windows separators; "/" works everywhere
                body = re.sub(rb'Target="([^"]*)" TargetMode="External"',
                              lambda m: m.group(0).replace(b"\\", b"/"), body)
            dst.writestr(fixed, body)
    return out.getvalue()


_NS = {"office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
       "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
       "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
       "xlink": "http://www.w3.org/1999/xlink", "dc": "http://purl.org/dc/elements/1.1/",
       "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
       "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"}
_ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _q(name: str) -> str:
    """``prefix:local`` as ElementTree's ``{namespace}local``."""
    prefix, _, local = name.partition(":")
    return f"{{{_NS[prefix]}}}{local}"


def _el(parent, name: str, text: str | None = None, **attributes):
    from xml.etree import ElementTree as ET

    attrs = {_q(k.replace("__", ":").replace("_", "-")): str(v) for k, v in attributes.items()}
    e = ET.Element(_q(name), attrs) if parent is None else ET.SubElement(parent, _q(name), attrs)
    if text is not None:
        e.text = text
    return e


def _spans(line: str) -> list:
    """A line as ODF runs: text, ("s", n) for spaces ODF would collapse, ("tab", 1) for a tab."""
    spans, k = [], 0
    for m in re.finditer(r" +|\t", line):
        spans.append(line[k:m.start()])
        if m.group() == "\t":
            spans.append(("tab", 1))
        else:
            n, inside = len(m.group()), m.start() > 0 and m.end() < len(line) and line[m.start() - 1] != "\t"
            spans += [" ", ("s", n - 1)] if inside else [("s", n)]
        k = m.end()
    spans.append(line[k:])
    return [x for x in spans if x and x != ("s", 0)]


def _paragraphs(cell, text: str, href: str = "") -> None:
    """``text`` as ODF paragraphs in ``cell``: one per line, with every space and tab kept.

    Examples
    --------
    >>> from xml.etree import ElementTree as ET
    >>> c = ET.Element("c")
    >>> _paragraphs(c, "a  b\\tc ")
    >>> _text(c[0])
    'a  b\\tc '
    """
    for line in _NOT_XML.sub("\ufffd", text).split("\n"):
        p = _el(cell, "text:p")
        target = _el(p, "text:a", xlink__type="simple", xlink__href=href) if href else p
        last = None
        for span in _spans(line):
            if isinstance(span, str):
                if last is None:
                    target.text = (target.text or "") + span
                else:
                    last.tail = (last.tail or "") + span
            else:
                last = _el(target, "text:tab") if span[0] == "tab" else _el(target, "text:s", text__c=span[1])


def _xml(root) -> bytes:
    from xml.etree import ElementTree as ET

    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def write_ods(sheets: list[Sheet], path: Path | str, title: str) -> Path:
    """Write ``sheets`` as an OpenDocument spreadsheet (by rename, never half-written).

    The mark-up is written with the standard library's ElementTree: odfpy, the library pandas'
    ``odf`` engine uses, takes several seconds over the review's tables (it builds and checks a
    document object per cell); the tests read the file back with odfpy and with pandas.

    Parameters
    ----------
    sheets : list of Sheet
        The sheets, in order (the first opens first, at A1).
    path : str or Path
        The ``.ods`` file.
    title : str
        The document's title (its properties).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_ods([Sheet("s", "A title", header=("a",), rows=((1,),))], Path(tmp) / "t.ods", "T")
    ...     read_cells(p)
    {'s': [['A title'], ['a'], [1]]}
    """
    from analysis.files import write_atomic

    content = _el(None, "office:document-content", office__version="1.3")
    auto = _el(content, "office:automatic-styles")
    widths = {}

    def cell_style(name, text=None, cell=None):
        s = _el(auto, "style:style", style__name=name, style__family="table-cell")
        if cell:
            _el(s, "style:table-cell-properties", **cell)
        if text:
            _el(s, "style:text-properties", **text)

    cell_style("title", text={"fo__font-weight": "bold", "fo__font-size": "14pt"})
    cell_style("heading", text={"fo__font-weight": "bold"})
    cell_style("wrap", cell={"fo__wrap-option": "wrap", "style__vertical-align": "top"})
    body = _el(_el(content, "office:body"), "office:spreadsheet")

    def row(parent, values, style=None, wrapped=()):
        r = _el(parent, "table:table-row")
        for k, v in enumerate(values):
            named = {"table__style-name": style or "wrap"} if style or k in wrapped else {}
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                c = _el(r, "table:table-cell", office__value_type="float", office__value=repr(v), **named)
                _paragraphs(c, f"{v:g}" if isinstance(v, float) else str(v))
            else:
                c = _el(r, "table:table-cell", office__value_type="string", **named)
                if isinstance(v, Link):
                    _paragraphs(c, v.text, f"#{v.sheet}.A1" if v.sheet else v.url)
                else:
                    _paragraphs(c, str(v))

    for sheet in sheets:
        table = _el(body, "table:table", table__name=sheet.name)
        cols = sheet.column_widths() if sheet.header else [110]
        for w in cols:
            cm = f"{w * 0.21:.2f}cm"
            if cm not in widths:
                widths[cm] = f"co{len(widths) + 1}"
                s = _el(auto, "style:style", style__name=widths[cm], style__family="table-column")
                _el(s, "style:table-column-properties", style__column_width=cm)
            _el(table, "table:table-column", table__style_name=widths[cm])
        row(table, [sheet.title], "title")
        for line in sheet.lines:
            row(table, [line], wrapped=(0,) if not sheet.header else ())
        if sheet.header:
            wrapped = {k for k, w in enumerate(cols) if w >= _WIDEST}
            row(_el(table, "table:table-header-rows"), sheet.header, "heading")
            for r in sheet.rows:
                row(table, r, wrapped=wrapped)
    # the column styles are written before the cell styles that follow them: order them by name for a stable file
    styles = _el(None, "office:document-styles", office__version="1.3")
    default = _el(_el(styles, "office:styles"), "style:default-style", style__family="table-cell")
    _el(default, "style:text-properties", fo__language=_LANGUAGE[0], fo__country=_LANGUAGE[1])
    meta = _el(None, "office:document-meta", office__version="1.3")
    m = _el(meta, "office:meta")
    _el(m, "meta:generator", "cpp-inspections-review")
    _el(m, "dc:title", title)
    _el(m, "dc:language", "-".join(_LANGUAGE))
    _el(m, "meta:creation-date", datetime(*_STAMP).isoformat())
    manifest = _el(None, "manifest:manifest", manifest__version="1.3")
    _el(manifest, "manifest:file-entry", manifest__full_path="/", manifest__version="1.3",
        manifest__media_type=_ODS_TYPE)
    parts = {"content.xml": content, "styles.xml": styles, "meta.xml": meta}
    for name in parts:
        _el(manifest, "manifest:file-entry", manifest__full_path=name, manifest__media_type="text/xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", _STAMP), _ODS_TYPE)  # first and stored, as ODF requires
        for name, root in (*parts.items(), ("META-INF/manifest.xml", manifest)):
            info = zipfile.ZipInfo(name, _STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, _xml(root))
    return write_atomic(Path(path), buffer.getvalue())


def write_xlsx(sheets: list[Sheet], path: Path | str, title: str) -> Path:
    """Write ``sheets`` as an Excel workbook, each table an Excel table (by rename, never half-written).

    Parameters
    ----------
    sheets : list of Sheet
        The sheets, in order (the first opens first, at A1).
    path : str or Path
        The ``.xlsx`` file.
    title : str
        The document's title (its properties).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_xlsx([Sheet("s", "A title", header=("a",), rows=((1,),))], Path(tmp) / "t.xlsx", "T")
    ...     read_cells(p)
    {'s': [['A title'], ['a'], [1]]}
    """
    import xlsxwriter

    from analysis.files import write_atomic

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": title, "author": "cpp-inspections-review", "created": datetime(*_STAMP)})
    big = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    link = book.add_format({"font_color": "#1d70b8", "underline": 1})
    for n, sheet in enumerate(sheets):
        ws = book.add_worksheet(sheet.name)
        widths = sheet.column_widths() if sheet.header else [110]
        for k, w in enumerate(widths):
            ws.set_column(k, k, w, wrap if w >= _WIDEST or not sheet.header else None)
        ws.write_string(0, 0, sheet.title, big)
        for k, line in enumerate(sheet.lines, 1):
            _xlsx_cell(ws, k, 0, line, link)
        if sheet.header:
            top = len(sheet.lines) + 1
            ws.add_table(top, 0, top + max(1, len(sheet.rows)), len(sheet.header) - 1, {
                "name": f"table_{n}", "style": "Table Style Light 1", "autofilter": False,
                "columns": [{"header": h} for h in sheet.header]})
            for i, r in enumerate(sheet.rows, top + 1):
                for k, v in enumerate(r):
                    _xlsx_cell(ws, i, k, v, link)
        ws.set_selection(0, 0, 0, 0)
    book.close()
    return write_atomic(Path(path), _fixed_zip(buffer.getvalue(), language=True))


def _xlsx_cell(ws, row: int, col: int, value, link_format) -> None:
    if isinstance(value, Link):
        target = f"internal:'{value.sheet}'!A1" if value.sheet else f"external:{value.url}"
        ws.write_url(row, col, target, link_format, string=value.text)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, value)
    else:
        ws.write_string(row, col, str(value))


def write_spreadsheets(out_dir: Path | str, manifest: dict, to: Path | str | None = None) -> list[Path]:
    """Write :data:`SPREADSHEETS` into ``out_dir`` from its tables (each by rename).

    A spreadsheet whose sheets, code and environment are those it was last written from (recorded in
    ``out_dir/.cache/spreadsheets.json`` with its bytes' SHA-256, which must still match) is copied rather
    than written again: the same bytes, since writing is deterministic.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    manifest : dict
        The build's manifest (its code digest and environment are part of what a spreadsheet is written
        from).
    to : str or Path, optional
        Where to write them instead (a staging folder laid out as ``out_dir``).

    Returns
    -------
    list of Path
        The files written (none if the folder has no tables).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "tables").mkdir()
    ...     _ = (Path(tmp) / "tables" / "grade_scale.csv").write_text("value,grade\\n6,Excellent\\n")
    ...     first = [p.read_bytes() for p in write_spreadsheets(tmp, {"jobs": {}})]
    ...     again = [p.read_bytes() for p in write_spreadsheets(tmp, {"jobs": {}})]  # copied: the same bytes
    ...     [p.name for p in write_spreadsheets(tmp, {"jobs": {}})], first == again
    (['review-tables.ods', 'review-tables.xlsx'], True)
    """
    import json
    import shutil

    from analysis.files import write_atomic
    from analysis.fingerprints import digest, sha256_file

    out_dir = Path(out_dir)
    if not _tables(out_dir):
        return []
    sheets = workbook(out_dir, manifest)
    title = sheets[0].title
    dest = Path(to or out_dir)
    key = digest(repr(sheets), manifest.get("analysis_code_sha256"), manifest.get("environment"))
    record = out_dir / ".cache" / "spreadsheets.json"
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    out = []
    for name, write in zip(SPREADSHEETS, (write_ods, write_xlsx)):
        old, path = out_dir / name, dest / name
        if old.is_file() and known.get(name) == [key, sha256_file(old)]:
            if path != old:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(old, path)
        else:
            write(sheets, path, title)
        known[name] = [key, sha256_file(path)]
        out.append(path)
    record.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(record, json.dumps({n: known[n] for n in SPREADSHEETS}, indent=1))
    return out


def read_cells(path: Path | str) -> dict[str, list[list]]:
    """Every sheet's cell values, row by row (trailing empty cells and rows left out).

    Parameters
    ----------
    path : str or Path
        An ``.ods`` or ``.xlsx`` file.

    Returns
    -------
    dict
        Sheet name to rows; a number is an int or float, everything else its text.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sheets = [Sheet("s", "T", header=("a", "b"), rows=((1.5, "x"),))]
    ...     read_cells(write_ods(sheets, Path(tmp) / "t.ods", "T")) == read_cells(write_xlsx(sheets, Path(tmp) /
    ...                                                                                    "t.xlsx", "T"))
    True
    """
    path = Path(path)
    rows = _read_xlsx(path) if path.suffix == ".xlsx" else _read_ods(path)
    out = {}
    for name, sheet in rows.items():
        sheet = [_trim(r) for r in sheet]
        while sheet and not sheet[-1]:
            sheet.pop()
        out[name] = sheet
    return out


def _trim(row: list) -> list:
    row = list(row)
    while row and row[-1] in (None, ""):
        row.pop()
    return row


def _number(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _read_xlsx(path: Path) -> dict:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [[_number(v) if isinstance(v, (int, float)) else ("" if v is None else str(v)) for v in r]
                           for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def _read_ods(path: Path) -> dict:
    from xml.etree import ElementTree as ET

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))
    out = {}
    for table in root.iter(_q("table:table")):
        rows = []
        for tr in table.iter(_q("table:table-row")):
            cells = []
            for tc in tr:
                if tc.tag not in (_q("table:table-cell"), _q("table:covered-table-cell")):
                    continue
                repeat = min(int(tc.get(_q("table:number-columns-repeated"), 1)), 1024)
                if tc.get(_q("office:value-type")) == "float":
                    value = _number(float(tc.get(_q("office:value"))))
                else:
                    value = "\n".join(_text(p) for p in tc if p.tag == _q("text:p"))
                cells += [value] * repeat
            rows.append(cells)
        out[table.get(_q("table:name"))] = rows
    return out


def _text(node) -> str:
    """The text of an ODF paragraph, spaces and tabs expanded, a link's text included."""
    parts = [node.text or ""]
    for child in node:
        if child.tag == _q("text:s"):
            parts.append(" " * int(child.get(_q("text:c"), 1)))
        elif child.tag == _q("text:tab"):
            parts.append("\t")
        elif child.tag == _q("text:line-break"):
            parts.append("\n")
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
