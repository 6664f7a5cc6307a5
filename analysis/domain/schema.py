"""The package's one error type, and reading CSV tables checked against a table schema.

Every problem names the file, the row (numbered as lines in the file: the header is row 1),
the column, the bad value and what is allowed, with the closest match where there is one.
Readers collect every problem in a file and raise them together; nothing is returned from a
file that has any problem, so nothing is ever partially loaded.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.errors import ReviewError, shown

__all__ = ["Problem", "ValidationError", "closest", "read_csv_text", "read_file_bytes", "parse_csv_bytes",
           "parse_csv_text", "read_resource", "datapackage"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Its text (``str(problem)``) names the file, the row, the column, the bad value, what is allowed
    and the closest match, leaving out what is not given.

    Parameters
    ----------
    file : str
        The file, as shown to the user.
    message : str
        What is wrong.
    row : int, optional
        The row, numbered as lines in the file (the header is row 1).
    column : str, optional
        The column.
    value : object, optional
        The bad value; text is shown quoted, with control characters escaped.
    allowed : str, optional
        What is allowed.
    suggestion : str, optional
        The closest allowed value.

    Attributes
    ----------
    file, message, row, column, value, allowed, suggestion
        As given (the instance is frozen).

    Examples
    --------
    >>> problem = Problem("grades.csv", "unknown grade", row=3, column="grade", value="Goood",
    ...                   allowed="E, VG, G, A, W, U", suggestion="Good")
    >>> print(problem)
    grades.csv, row 3, column 'grade': unknown grade: 'Goood' (allowed: E, VG, G, A, W, U); closest match: 'Good'
    >>> print(Problem("grades.csv", "file not found"))
    grades.csv: file not found
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None
    allowed: str = ""
    suggestion: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f": {shown(self.value) if isinstance(self.value, str) else repr(self.value)}"
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        if self.suggestion:
            text += f"; closest match: {self.suggestion!r}"
        return text


class ValidationError(ReviewError, ValueError):
    """Bad input. ``problems`` lists every :class:`Problem` found; the message shows them all.

    The message gives the number of problems, then one line for each (at most 50, then how many
    more there are).

    Parameters
    ----------
    problems : iterable of Problem
        Everything wrong with the input.

    Attributes
    ----------
    problems : list of Problem
        As given.

    Examples
    --------
    >>> exc = ValidationError([Problem("grades.csv", "file not found")])
    >>> len(exc.problems), isinstance(exc, ValueError)
    (1, True)
    >>> print(exc)
    1 problem(s) in input:
    - grades.csv: file not found
    """

    def __init__(self, problems):
        self.problems = list(problems)
        shown = "\n".join(f"- {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            shown += f"\n- ... and {more} more"
        super().__init__(f"{len(self.problems)} problem(s) in input:\n{shown}")


def closest(value: str, options, n: int = 1) -> str:
    """The option closest to ``value`` (case-insensitive), or '' if none is near.

    Parameters
    ----------
    value : str
        The text to match.
    options : iterable of str
        The allowed values.
    n : int, default 1
        How many of the closest options to give at most.

    Returns
    -------
    str
        The closest options, best first, joined by ", " (as spelt in ``options``); "" if none is near
        (a :func:`difflib.get_close_matches` ratio under 0.6).

    Examples
    --------
    >>> closest("FYFE", ["Fife", "Moray"]), closest("xyz", ["Fife", "Moray"])
    ('Fife', '')
    >>> closest("good", ["Good", "Very good", "Weak"], n=2)
    'Good, Very good'
    """
    options = list(options)
    lowered = {o.casefold(): o for o in options}
    hits = difflib.get_close_matches(str(value).casefold(), list(lowered), n=n, cutoff=0.6)
    return ", ".join(lowered[h] for h in hits)


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


#: Largest CSV file read (data files and grade tables are a few KB; this stops a huge file early).
MAX_CSV_BYTES = 1_000_000


def read_csv_text(path: Path | str, display: str | None = None, max_bytes: int = MAX_CSV_BYTES) -> pd.DataFrame:
    """Read a CSV file as strings (empty cells as ''), with clear errors.

    Accepts UTF-8 with or without a byte-order mark. Fails, naming the file, on: a missing
    file, an empty file, bytes that are not UTF-8 (with the row), a file that seems to use
    another delimiter, and rows with more or fewer fields than the header.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    display : str, optional
        The file's name in messages. Default: ``path``.
    max_bytes : int, default MAX_CSV_BYTES
        The largest file read; a larger one is a problem.

    Returns
    -------
    pandas.DataFrame
        One column per header field (names stripped of spaces) and one row per record that is not
        blank, every value a str stripped of spaces ("" for an empty cell). The index, ``row``, is
        the row's line number in the file (the header is row 1).

    Raises
    ------
    ValidationError
        On any of the failures above, on a folder or other file that is not a regular file, a file
        over ``max_bytes``, text that is not readable as CSV, or a column name given twice (ignoring
        case).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "grades.csv"
    ...     _ = path.write_text("partnership,grade\\nFife, Good \\n\\nMoray,\\n", encoding="utf-8")
    ...     frame = read_csv_text(path)
    ...     _ = path.write_text("partnership;grade\\nFife;Good\\n", encoding="utf-8")
    ...     try:
    ...         read_csv_text(path, display="grades.csv")
    ...     except ValidationError as exc:
    ...         print(exc.problems[0].message)
    the header seems to be separated by semicolons, not commas
    >>> list(frame.columns), list(frame.index), frame.loc[2, "grade"], frame.loc[4, "grade"]
    (['partnership', 'grade'], [2, 4], 'Good', '')
    """
    name = display or str(path)
    return parse_csv_bytes(read_file_bytes(path, name, max_bytes), name)


def read_file_bytes(path: Path | str, display: str | None = None, max_bytes: int = MAX_CSV_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, read once, with clear errors.

    Parameters
    ----------
    path : str or Path
        The file.
    display : str, optional
        The file's name in messages. Default: ``path``.
    max_bytes : int, default MAX_CSV_BYTES
        The largest file read.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    ValidationError
        For a missing file, a folder, a FIFO, device or socket, or a file over ``max_bytes``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.csv").write_bytes(b"x\\n1\\n")
    ...     print(read_file_bytes(Path(tmp) / "a.csv"))
    ...     try:
    ...         read_file_bytes(tmp, display="the folder")
    ...     except ValidationError as exc:
    ...         print(exc.problems[0].message)
    b'x\\n1\\n'
    is a folder, not a CSV file
    """
    path = Path(path)
    name = display or str(path)
    if not path.exists():
        raise ValidationError([Problem(name, "file not found")])
    if path.is_dir():
        raise ValidationError([Problem(name, "is a folder, not a CSV file")])
    if not path.is_file():
        raise ValidationError([Problem(name, "is not a regular file (a FIFO, device or socket); give a CSV file")])
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationError([Problem(name, f"file is {size:,} bytes; a grade table or data file is far smaller "
                                             f"(a complete 32 x 9 table is under 10 KB)",
                                       allowed=f"at most {max_bytes:,} bytes")])
    return path.read_bytes()


def parse_csv_bytes(raw: bytes, display: str) -> pd.DataFrame:
    """Parse a CSV file's bytes as :func:`read_csv_text` does (``display`` names it in messages).

    Parameters
    ----------
    raw : bytes
        The file's content (UTF-8, with or without a byte-order mark).
    display : str
        The file's name in messages.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_csv_text`.

    Raises
    ------
    ValidationError
        As :func:`read_csv_text`, for the content.

    Examples
    --------
    >>> parse_csv_bytes(b"partnership,grade\\nFife,Good\\n", "g.csv").loc[2, "grade"]
    'Good'
    """
    name = display
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = _line_of_offset(raw, exc.start)
        raise ValidationError([Problem(
            name, "not UTF-8 text (save the file as UTF-8)", row=row,
            value=raw[exc.start:exc.start + 1].hex(" "),
        )]) from None
    return parse_csv_text(text, name)


#: What a CSV file's delimiter may be, as messages name it.
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def parse_csv_text(text: str, display: str, delimiter: str = ",", expected: str = "comma-separated values",
                   drop_empty_right: bool = False) -> pd.DataFrame:
    """Parse a CSV file's text as :func:`read_csv_text` does, with another delimiter if asked.

    Parameters
    ----------
    text : str
        The file's text, decoded.
    display : str
        The file's name in messages.
    delimiter : str, default ","
        The field delimiter.
    expected : str, default "comma-separated values"
        What messages say is allowed when the text is not readable with ``delimiter``.
    drop_empty_right : bool, default False
        Leave out columns at the right with no name and no value in any row (as a spreadsheet writes
        cells it once formatted), and empty fields beyond the header at the end of a row.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_csv_text`. With ``drop_empty_right``, ``attrs["dropped_columns"]`` is how many
        columns were left out.

    Raises
    ------
    ValidationError
        As :func:`read_csv_text`, for the text.

    Examples
    --------
    >>> frame = parse_csv_text("partnership;grade;;\\r\\nFife;4,0;;\\r\\n", "g.csv", delimiter=";",
    ...                        drop_empty_right=True)
    >>> list(frame.columns), frame.loc[2, "grade"], frame.attrs["dropped_columns"]
    (['partnership', 'grade'], '4,0', 2)
    """
    name = display
    if not text.strip():
        raise ValidationError([Problem(name, "file is empty (expected a header row and data rows)")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for record in reader:
            rows.append(record)
    except csv.Error as exc:  # e.g. a NUL byte, or a quote left open at the end of the file
        raise ValidationError([Problem(name, f"not readable as {expected} ({exc})",
                                       row=reader.line_num, allowed=expected)]) from None
    dropped = 0
    if drop_empty_right:
        rows, dropped = _drop_empty_right(rows)
    header = [h.strip() for h in rows[0]]
    folded = [h.casefold() for h in header]
    repeated = sorted({h for h, f in zip(header, folded) if folded.count(f) > 1}, key=str.casefold)
    if repeated:
        raise ValidationError([Problem(name, "duplicate column name (names are compared ignoring case)", row=1,
                                       column=h, allowed="each column once") for h in repeated])
    if len(header) == 1:
        for delim, label in DELIMITERS.items():
            if delim != delimiter and delim in rows[0][0]:
                raise ValidationError([Problem(
                    name, f"the header seems to be separated by {label}, not {DELIMITERS[delimiter]}", row=1,
                    value=rows[0][0], allowed=expected)])
    problems = []
    for i, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(name, f"row has {len(row)} fields but the header has {len(header)}",
                                    row=i, value=delimiter.join(row)))
    if problems:
        raise ValidationError(problems)
    body = [[c.strip() for c in r] for r in rows[1:] if r and any(c.strip() for c in r)]
    lines = [i for i, r in enumerate(rows[1:], start=2) if r and any(c.strip() for c in r)]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.index = pd.Index(lines, name="row")
    if drop_empty_right:
        frame.attrs["dropped_columns"] = dropped
    return frame


def _drop_empty_right(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """The rows without the columns at the right that have no name and no value, and how many there were
    (the header's count); a row's empty fields beyond the columns kept go too."""
    def used(row):  # fields up to the last one that is not blank
        return max((i + 1 for i, c in enumerate(row) if c.strip()), default=0)

    width = max([used(rows[0])] + [used(r) for r in rows[1:]])
    dropped = max(len(rows[0]) - width, 0)
    return [r[:width] if len(r) > width else r for r in rows], dropped


@lru_cache(maxsize=4)
def _load_datapackage(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def datapackage(data_dir: Path | str | None = None) -> dict:
    """The parsed ``datapackage.json`` of ``data_dir`` (default: the data package in use).

    Parameters
    ----------
    data_dir : str or Path, optional
        A data package folder. Default: the data package in use
        (:func:`analysis.domain.package.data_dir`).

    Returns
    -------
    dict
        The descriptor: the package's name, title, licences and sources, and its ``resources``, each
        with its ``name``, ``path`` (relative to the folder) and table ``schema``. It is read once per
        file and shared, so do not change it.

    Examples
    --------
    >>> [resource["name"] for resource in datapackage()["resources"]][:4]
    ['partnerships', 'period_groups', 'indicators', 'grade_scale']
    """
    from analysis.domain.package import data_dir as in_use

    data_dir = Path(data_dir) if data_dir else in_use()
    return _load_datapackage(str(data_dir / "datapackage.json"))


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _cast(value: str, type_: str):
    if type_ == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError
        return int(value)
    if type_ == "number":
        return float(value)
    if type_ == "boolean":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ValueError
    return value


def read_resource(name: str, data_dir: Path | str | None = None, path: Path | str | None = None) -> pd.DataFrame:
    """Read one resource of the data package, checked against its table schema.

    Checks: the header has exactly the schema's fields; required cells are filled; values
    cast to the field's type; enum, pattern, minimum, maximum and unique constraints; the
    primary key has no duplicates. Returns typed columns (integers as nullable Int64).

    Parameters
    ----------
    name : str
        The resource's ``name`` in ``datapackage.json`` (``"grade_scale"``, ``"cell_grades"`` ...).
    data_dir : str or Path, optional
        A data package folder. Default: the data package in use.
    path : str or Path, optional
        Another file to read against the resource's schema (a file of assumed facts); problems name it.

    Returns
    -------
    pandas.DataFrame
        One column per field of the schema, in its order: integers as Int64, numbers as Float64 and
        booleans as boolean (an empty cell as missing), strings as str ("" for an empty cell). The
        index, ``row``, is the row's line number in the file (the header is row 1).

    Raises
    ------
    ValidationError
        Every problem found in the file (see :func:`read_csv_text` for those of reading it).
    KeyError
        If the data package has no resource called ``name``.

    Examples
    --------
    >>> table = read_resource("grade_scale")
    >>> list(table.columns)
    ['value', 'grade', 'descriptor', 'good_or_better', 'source_id']
    >>> table.loc[2, "grade"], str(table["value"].dtype), bool(table.loc[2, "good_or_better"])
    ('Excellent', 'Int64', True)
    """
    from analysis.domain.package import data_dir as in_use

    data_dir = Path(data_dir) if data_dir else in_use()
    package = datapackage(data_dir)
    resource = next((r for r in package["resources"] if r["name"] == name), None)
    if resource is None:
        names = [r["name"] for r in package["resources"]]
        raise KeyError(f"no resource {name!r} in datapackage.json; known: {', '.join(names)}")
    display = str(path) if path is not None else f"data/{resource['path']}"
    frame = read_csv_text(path if path is not None else data_dir / resource["path"], display=display)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    problems = []
    missing = [n for n in names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    for n in missing:
        problems.append(Problem(display, "missing column", row=1, column=n, allowed=", ".join(names)))
    for c in extra:
        problems.append(Problem(display, "unexpected column", row=1, column=c, allowed=", ".join(names),
                                suggestion=closest(c, names)))
    if problems:
        raise ValidationError(problems)
    if frame.empty:
        raise ValidationError([Problem(display, "no data rows")])
    out = {}
    for f in fields:
        col, type_, cons = f["name"], f.get("type", "string"), f.get("constraints", {})
        values = []
        for row, value in frame[col].items():
            if value == "":
                if cons.get("required"):
                    problems.append(Problem(display, "required value is empty", row=row, column=col))
                values.append(None)
                continue
            try:
                cast = _cast(value, type_)
            except ValueError:
                problems.append(Problem(display, f"not a valid {type_}", row=row, column=col, value=value))
                values.append(None)
                continue
            if "enum" in cons and cast not in cons["enum"]:
                problems.append(Problem(display, "value not allowed", row=row, column=col, value=value,
                                        allowed=", ".join(map(str, cons["enum"])),
                                        suggestion=closest(value, map(str, cons["enum"]))))
            if "pattern" in cons and not re.fullmatch(cons["pattern"], value):
                problems.append(Problem(display, "value does not match the pattern", row=row, column=col,
                                        value=value, allowed=cons["pattern"]))
            if "minimum" in cons and cast < cons["minimum"]:
                problems.append(Problem(display, "value below minimum", row=row, column=col, value=value,
                                        allowed=f">= {cons['minimum']}"))
            if "maximum" in cons and cast > cons["maximum"]:
                problems.append(Problem(display, "value above maximum", row=row, column=col, value=value,
                                        allowed=f"<= {cons['maximum']}"))
            values.append(cast)
        if cons.get("unique"):
            seen = {}
            for row, value in zip(frame.index, values):
                if value is None:
                    continue
                if value in seen:
                    problems.append(Problem(display, f"duplicate value (first at row {seen[value]})",
                                            row=row, column=col, value=value))
                else:
                    seen[value] = row
        if type_ == "integer":
            out[col] = pd.array(values, dtype="Int64")
        elif type_ == "number":
            out[col] = pd.array(values, dtype="Float64")
        elif type_ == "boolean":
            out[col] = pd.array(values, dtype="boolean")
        else:
            out[col] = pd.Series(values, dtype=object).fillna("").to_numpy()
    if problems:
        raise ValidationError(problems)
    typed = pd.DataFrame(out, index=frame.index)
    key = resource["schema"].get("primaryKey")
    if key:
        key = [key] if isinstance(key, str) else key
        dup = typed.duplicated(subset=key, keep=False)
        if dup.any():
            first = {}
            for row, rec in typed.loc[dup, key].iterrows():
                k = tuple(rec)
                if k in first:
                    problems.append(Problem(display, f"duplicate key {', '.join(key)} (first at row {first[k]})",
                                            row=row, column=key[0], value=" / ".join(map(str, k))))
                else:
                    first[k] = row
    if problems:
        raise ValidationError(problems)
    return typed
