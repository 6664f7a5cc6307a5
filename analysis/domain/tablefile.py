"""A table file as analysts have it: CSV text as a spreadsheet writes it, or a sheet of a workbook.

:func:`read_table_file` looks at a file's bytes (not its name) and reads:

- **CSV text** in UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's
  "Unicode text") or Windows-1252 (Excel's "CSV" on Windows, when the bytes are not UTF-8),
  separated by commas, semicolons or tabs (whichever splits the header into most fields), with any
  line ends; columns at the right with no name and no value (as Excel writes cells once formatted)
  are left out.
- **A sheet of a workbook**: ``.xlsx`` (and ``.xlsm``, values only) through openpyxl, ``.ods``
  through pandas and odfpy; the first worksheet unless one is named. Each cell is taken as text
  (a whole number as ``4``, a date as ``2016-05-01``), and the sheet becomes the **canonical CSV**
  of :func:`canonical_csv`, which is then read as CSV text is: the same checks and messages, rows
  numbered as in the sheet.

Anything else is refused naming what it is (an ``.xls`` or password-protected workbook, an
``.xlsb``, a zip archive that is not a workbook, a PDF, a web page, a binary file), with what to do:
save it as ``.xlsx`` or as CSV UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import numbers
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.domain.schema import (
    DELIMITERS,
    MAX_CSV_BYTES,
    Problem,
    ValidationError,
    closest,
    parse_csv_text,
    read_file_bytes,
)

__all__ = ["TableFile", "read_table_file", "canonical_csv", "MAX_UNZIPPED_BYTES"]

#: The largest total size of a workbook's parts once unzipped (a grade table's workbook is a few
#: hundred KB at most; this stops a zip bomb before any part is read).
MAX_UNZIPPED_BYTES = 50_000_000

#: The rows of a sheet read at most (a complete grade table has 289).
MAX_SHEET_ROWS = 100_000

#: What to do with a file that is not read.
SAVE_AS = "save it as .xlsx, or as CSV UTF-8"

#: What is read, as messages say.
ALLOWED = "CSV text, or an .xlsx or .ods workbook"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class TableFile:
    """What :func:`read_table_file` read from a file.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table's cells as text, as :func:`analysis.domain.schema.read_csv_text` returns them
        (index ``row``: the row's number in the file or sheet; the header is row 1).
    content : bytes
        The table as bytes that read back to the same frame: the file's own bytes for CSV text, the
        sheet's canonical CSV (:func:`canonical_csv`) for a workbook.
    display : str
        How messages name the table: the file, and for a workbook its sheet (``"g.xlsx, sheet 'Grades'"``).
    read_as : str
        What was read, in words (``"sheet 'Grades'"``, ``"CSV text (UTF-8, separated by commas)"``).
    file_sha256 : str
        The SHA-256 of the file's bytes as given.
    """

    frame: pd.DataFrame = field(repr=False)
    content: bytes = field(repr=False)
    display: str
    read_as: str
    file_sha256: str = ""


def read_table_file(path: Path | str, display: str | None = None, sheet: str | None = None,
                    max_bytes: int = MAX_CSV_BYTES) -> TableFile:
    """Read a table from CSV text or a workbook's sheet, telling which by the bytes.

    Parameters
    ----------
    path : str or Path
        The file.
    display : str, optional
        The file's name in messages. Default: ``path``.
    sheet : str, optional
        The sheet of a workbook to read (its name; case is ignored if only one sheet matches).
        Default: the first worksheet. A problem for CSV text, which has no sheets.
    max_bytes : int, default MAX_CSV_BYTES
        The largest file read, and the largest canonical CSV a sheet may make.

    Returns
    -------
    TableFile
        The cells as text, the bytes they read back from, and what was read.

    Raises
    ------
    ValidationError
        Naming the file (and sheet, row, column, value): a file that is missing, too large, of a kind
        not read, not decodable, a workbook that is damaged or has no such sheet, and every problem
        of :func:`analysis.domain.schema.read_csv_text`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "g.csv"
    ...     _ = path.write_bytes("partnership;note;;\\r\\nFife;\\u201cfine\\u201d;;\\r\\n".encode("cp1252"))
    ...     read = read_table_file(path, display="g.csv")
    >>> read.read_as
    'CSV text (Windows-1252, not UTF-8; separated by semicolons; 2 empty columns at the right left out)'
    >>> list(read.frame.columns), read.frame.loc[2, "note"]
    (['partnership', 'note'], '“fine”')
    """
    import hashlib

    path = Path(path)
    name = display or str(path)
    raw = read_file_bytes(path, name, max_bytes)
    digest = hashlib.sha256(raw).hexdigest()
    kind = _kind(raw, name)
    if kind == "text":
        if sheet is not None:
            raise ValidationError([Problem(name, "a sheet was named, but the file is CSV text, which has no sheets",
                                           value=sheet, allowed="a sheet only with an .xlsx or .ods workbook")])
        frame, read_as = _read_text(raw, name)
        return TableFile(frame, raw, name, read_as, digest)
    rows, chosen, names = (_xlsx_rows if kind == "xlsx" else _ods_rows)(raw, name, sheet)
    where = f"{name}, sheet {chosen!r}"
    content = canonical_csv(rows)
    if len(content) > max_bytes:
        raise ValidationError([Problem(where, f"the sheet holds {len(content):,} bytes of text; a grade table is "
                                              "far smaller (a complete 32 x 9 table is under 10 KB)",
                                       allowed=f"at most {max_bytes:,} bytes")])
    if not content:
        raise ValidationError([Problem(where, "the sheet is empty (expected a header row and data rows)")])
    frame = parse_csv_text(content.decode("utf-8"), where, drop_empty_right=True)
    read_as = f"sheet {chosen!r}" + (f" (the first of {len(names)})" if sheet is None and len(names) > 1 else "")
    return TableFile(frame, content, where, read_as, digest)


def canonical_csv(rows) -> bytes:
    """The canonical CSV of a sheet: what a workbook's table is copied and hashed as.

    UTF-8 without a byte-order mark, fields separated by commas and quoted only where needed (as
    :mod:`csv` does by default), each row ended by a line feed; one line for every row of the sheet from
    the first to the last that holds a value (blank rows too, so line numbers are the sheet's row
    numbers), each as wide as the widest (the columns at the right that are empty in every row left
    out); each cell as text: empty for no value, a whole number without decimals (``4``), another
    number as Python writes the float (``4.5``), TRUE or FALSE, a date or time in ISO 8601 (a
    date-time at midnight as its date), text as it is stored.

    Parameters
    ----------
    rows : iterable of sequence
        The sheet's rows from row 1, each a sequence of cell values (str, int, float, bool,
        date-time, or None).

    Returns
    -------
    bytes
        The canonical CSV ("" for a sheet with no value).

    Examples
    --------
    >>> canonical_csv([["partnership", "grade", None], [], ["Fife", 4.0, None], ["Moray, east", 4.5]])
    b'partnership,grade\\n,\\nFife,4\\n"Moray, east",4.5\\n'
    """
    text_rows = [[_cell_text(v) for v in row] for row in rows]
    last = max((i for i, r in enumerate(text_rows) if any(r)), default=-1)
    text_rows = text_rows[: last + 1]
    width = max((max((j + 1 for j, c in enumerate(r) if c), default=0) for r in text_rows), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in text_rows:
        writer.writerow((r + [""] * width)[:width])
    return buffer.getvalue().encode("utf-8")


def _cell_text(value) -> str:
    """A cell's value as text (see :func:`canonical_csv`)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


# -- what the bytes are ---------------------------------------------------------------------------------------------
def _refuse(name: str, what: str, row: int | None = None, value=None) -> ValidationError:
    return ValidationError([Problem(name, f"{what}, which is not read: {SAVE_AS}", row=row, value=value,
                                    allowed=ALLOWED)])


def _kind(raw: bytes, name: str) -> str:
    """'text', 'xlsx' or 'ods', by the bytes; anything else refused naming what it is."""
    if raw.startswith(_OLE2):
        raise _refuse(name, "an Excel 97-2003 workbook (.xls) or a password-protected workbook")
    if raw.startswith(b"%PDF"):
        raise _refuse(name, "a PDF document")
    if not raw.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "text"
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if len(infos) > 10_000 or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            raise _refuse(name, f"a zip archive that unpacks to over {MAX_UNZIPPED_BYTES:,} bytes")
        mimetype = archive.read("mimetype")[:200].strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
            ValueError, zlib.error):
        raise _refuse(name, "a damaged zip archive (not a readable workbook)") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype == _ODS:
        return "ods"
    if "xl/workbook.bin" in names:
        raise _refuse(name, "an Excel binary workbook (.xlsb)")
    if mimetype.startswith(b"application/vnd.oasis.opendocument."):
        what = mimetype.decode("ascii", "replace").rsplit(".", 1)[-1]
        raise _refuse(name, f"an OpenDocument {what} file, not a spreadsheet")
    if "word/document.xml" in names:
        raise _refuse(name, "a Word document, not a spreadsheet")
    if any(n.startswith("Index/") for n in names):
        raise _refuse(name, "an Apple Numbers document")
    raise _refuse(name, "a zip archive that is not a workbook")


# -- CSV text -------------------------------------------------------------------------------------------------------
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _line_of(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text and its encoding in words."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8-sig"), "UTF-8 with a byte-order mark"
        except UnicodeDecodeError as exc:
            raise ValidationError([Problem(name, "not UTF-8 text after its UTF-8 byte-order mark (save it as CSV "
                                                 "UTF-8)", row=_line_of(raw, exc.start),
                                           value=raw[exc.start:exc.start + 1].hex(" "))]) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise _refuse(name, "not readable as the UTF-16 text its byte-order mark announces") from None
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        first = exc.start
    row, byte = _line_of(raw, first), raw[first:first + 1].hex(" ")
    if b"\x00" in raw:
        raise _refuse(name, "not text (it holds NUL bytes: a binary file?)", row=_line_of(raw, raw.index(b"\x00")))
    if _UTF8_SEQUENCE.search(raw):
        raise ValidationError([Problem(name, "not UTF-8 text: it mixes UTF-8 with another encoding (save it as CSV "
                                             "UTF-8)", row=row, value=byte)])
    try:
        return raw.decode("cp1252"), "Windows-1252, not UTF-8"
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(name, "neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)",
                                       row=_line_of(raw, exc.start),
                                       value=raw[exc.start:exc.start + 1].hex(" "))]) from None


def _delimiter(text: str) -> str:
    """The delimiter that splits the first line into most fields (commas when none splits it)."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    best, most = ",", 1
    for delim in (",", ";", "\t"):
        fields = len(next(csv.reader([first], delimiter=delim), []))
        if fields > most:
            best, most = delim, fields
    return best


def _read_text(raw: bytes, name: str) -> tuple[pd.DataFrame, str]:
    text, encoding = _decode(raw, name)
    start = text.lstrip()[:200].casefold()
    if start.startswith(("<?xml", "<html", "<!doctype", "<table")):
        raise _refuse(name, "an XML or HTML file (a web page or an XML spreadsheet)")
    delimiter = _delimiter(text)
    frame = parse_csv_text(text, name, delimiter=delimiter,
                           expected="values separated by commas, semicolons or tabs", drop_empty_right=True)
    parts = [encoding, f"separated by {DELIMITERS[delimiter]}"]
    dropped = frame.attrs.get("dropped_columns", 0)
    if dropped:
        parts.append(f"{dropped} empty column{'s' if dropped > 1 else ''} at the right left out")
    return frame, f"CSV text ({'; '.join(parts)})"


# -- workbooks ------------------------------------------------------------------------------------------------------
def _pick_sheet(names: list[str], sheet: str | None, name: str) -> str:
    if not names:
        raise ValidationError([Problem(name, "the workbook has no worksheet", allowed=ALLOWED)])
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    folded = [n for n in names if n.casefold() == sheet.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ValidationError([Problem(name, "no such sheet", value=sheet, allowed=", ".join(map(repr, names)),
                                   suggestion=closest(sheet, names))])


def _damaged(name: str, kind: str) -> ValidationError:
    return _refuse(name, f"a damaged or unreadable {kind} workbook")


def _xlsx_rows(raw: bytes, name: str, sheet: str | None):
    """The rows of a sheet of an .xlsx workbook (values as Excel last saved them), its name, and the names
    of the worksheets."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it does not read
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
            names = [ws.title for ws in book.worksheets]
            chosen = _pick_sheet(names, sheet, name)
            ws = book[chosen]
            ws.reset_dimensions()  # the rows stored, not the size the file claims
            rows = {}
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if any(v is not None and v != "" for v in values):
                    if number > MAX_SHEET_ROWS:
                        raise ValidationError([Problem(f"{name}, sheet {chosen!r}", f"the sheet has values beyond "
                                                       f"row {MAX_SHEET_ROWS:,}; a grade table is far smaller",
                                                       row=number)])
                    rows[number] = values
            book.close()
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - a hostile or damaged file: openpyxl raises many kinds
        raise _damaged(name, ".xlsx") from None
    return [rows.get(n, ()) for n in range(1, max(rows, default=0) + 1)], chosen, names


def _ods_rows(raw: bytes, name: str, sheet: str | None):
    """The rows of a sheet of an .ods workbook, its name, and the names of the sheets."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = pd.ExcelFile(io.BytesIO(raw), engine="odf")
            names = list(book.sheet_names)
            chosen = _pick_sheet(names, sheet, name)
            table = book.parse(chosen, header=None, dtype=object, na_filter=False)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - a hostile or damaged file: odfpy raises many kinds
        raise _damaged(name, ".ods") from None
    if len(table) > MAX_SHEET_ROWS:
        raise ValidationError([Problem(f"{name}, sheet {chosen!r}", f"the sheet has values beyond row "
                                       f"{MAX_SHEET_ROWS:,}; a grade table is far smaller")])
    return [list(r) for r in table.itertuples(index=False, name=None)], chosen, names
