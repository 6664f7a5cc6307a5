"""Load the public record and users' complete grade tables as typed DataFrames.

- :func:`load_record` reads every table of ``data/`` (described by ``data/datapackage.json``),
  checks it, and returns a :class:`PublicRecord`.
- :func:`load_grades` reads a user's complete grade table, long or wide, from CSV text or a
  workbook's sheet (:mod:`analysis.domain.tablefile`), and returns a long frame of 32 x 9 cells;
  :func:`read_grade_table` keeps it with the bytes it was parsed from and their hash.

Both raise :class:`analysis.domain.schema.ValidationError` listing every problem (file, row,
column, value, what is allowed, closest match) and return nothing when there is any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.domain.package import data_dir as package_in_use
from analysis.domain.package import use
from analysis.domain.schema import (
    Problem,
    ValidationError,
    closest,
    datapackage,
    read_resource,
)

__all__ = ["PublicRecord", "load_record", "GradeTable", "read_grade_table", "load_grades", "grades_from_cells",
           "example_grades", "count_columns", "data_file_hashes"]

def count_columns() -> dict[str, str]:
    """The columns of ``area_grade_counts`` holding counts, best grade first, with their grade: one per
    grade of the scale in use, named by the grade in lower case with ``_`` between words.

    Returns
    -------
    dict
        Column name to grade label.

    Examples
    --------
    >>> list(count_columns().items())[:2]
    [('excellent', 'Excellent'), ('very_good', 'Very good')]
    """
    import re

    return {re.sub(r"[^a-z0-9]+", "_", g.casefold()).strip("_"): g for g in reversed(scale.grades())}


@dataclass
class PublicRecord:
    """The public record and reference tables, typed.

    Made by :func:`load_record`. Every attribute but ``files`` is a DataFrame (see
    ``data/datapackage.json`` for every column); a ``row`` column, where there is one, gives the
    line of the data file each row comes from (the header is row 1).

    Attributes
    ----------
    partnerships : pandas.DataFrame
        :func:`analysis.domain.areas.partnership_table`.
    period_groups : pandas.DataFrame
        :func:`analysis.domain.areas.period_group_table`.
    indicators : pandas.DataFrame
        :func:`analysis.domain.indicators.indicator_table`.
    grade_scale : pandas.DataFrame
        :func:`analysis.domain.scale.grade_table`.
    sources : pandas.DataFrame
        The sources every row of the record cites, one row per ``source_id``.
    cell_grades : pandas.DataFrame
        The single grades the sources state: partnership, indicator, grade (ordered categoricals),
        basis, source_id, quote, note, period_group and row; sorted by partnership and indicator.
    area_counts : pandas.DataFrame
        The grade counts per partnership: partnership (ordered categorical), n_indicators and the
        counts per grade (Int64, named as in :func:`count_columns`), ``within`` (a tuple of grades,
        for a partnership whose grades are all among them), source_id, quote, note, period_group and
        row.
    statements : pandas.DataFrame
        The review's quantitative statements about evaluations, each a count of partnerships with
        given grades on one indicator in a period group compared with a value: ``grades`` and
        ``period_groups`` as tuples, ``indicator`` as an ordered categorical.
    staff_survey, case_records, headline_counts : pandas.DataFrame
        As in their data files, typed.
    claims : pandas.DataFrame
        The review's comparative and trend conclusions, one row per reading: ``groups`` as a tuple
        of period groups in the order compared, ``strict`` as bool.
    files : dict
        Each data file (path relative to the data package) to its SHA-256, as
        :func:`data_file_hashes` gives.

    Examples
    --------
    >>> record = load_record()
    >>> isinstance(record, PublicRecord), len(record.partnerships), len(record.indicators)
    (True, 32, 9)
    >>> list(record.cell_grades.columns[:3]), list(record.cell_grades["grade"].cat.categories) == list(scale.grades())
    (['partnership', 'indicator', 'grade'], True)
    >>> next(iter(record.files))
    'datapackage.json'
    """

    partnerships: pd.DataFrame
    period_groups: pd.DataFrame
    indicators: pd.DataFrame
    grade_scale: pd.DataFrame
    sources: pd.DataFrame
    cell_grades: pd.DataFrame
    area_counts: pd.DataFrame
    statements: pd.DataFrame
    staff_survey: pd.DataFrame
    case_records: pd.DataFrame
    headline_counts: pd.DataFrame
    claims: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: dict = field(default_factory=dict)


def data_file_hashes(data_dir: Path | str | None = None) -> dict[str, str]:
    """SHA-256 of datapackage.json and every resource file, keyed by path relative to data/
    (default: the data package in use).

    Parameters
    ----------
    data_dir : str or Path, optional
        A data package folder. Default: the data package in use.

    Returns
    -------
    dict
        ``datapackage.json`` and then each resource's path as written in it (``"record/cell_grades.csv"``)
        to the SHA-256 of the file's bytes, as 64 hexadecimal digits.

    Examples
    --------
    >>> from analysis.domain.package import data_dir
    >>> hashes = data_file_hashes()
    >>> list(hashes)[:2]
    ['datapackage.json', 'reference/partnerships.csv']
    >>> raw = (data_dir() / "reference" / "grade_scale.csv").read_bytes()
    >>> hashes["reference/grade_scale.csv"] == hashlib.sha256(raw).hexdigest()
    True
    """
    data_dir = Path(data_dir) if data_dir else package_in_use()
    paths = ["datapackage.json"] + [r["path"] for r in datapackage(data_dir)["resources"]]
    return {p: hashlib.sha256((data_dir / p).read_bytes()).hexdigest() for p in paths}



def _resolve_partnership(value, display, row, column, problems):
    try:
        return areas.match_partnership(value)
    except areas.UnknownName as exc:
        if exc.ambiguous:
            problems.append(Problem(display, "ambiguous partnership", row=row, column=column, value=value,
                                    allowed="a name or alias that picks out one partnership (`review list`)",
                                    suggestion=", ".join(exc.suggestions)))
            return None
        problems.append(Problem(display, "unknown partnership", row=row, column=column, value=value,
                                allowed=f"the {len(areas.PARTNERSHIPS)} partnerships and their aliases (`review list`)",
                                suggestion=", ".join(exc.suggestions)))
        return None


def _resolve_grade(value, display, row, column, problems):
    grade = scale.parse_grade(value)
    if grade is None:
        # a word spelt like a grade of another meaning ('Satisfactory', the older scale's word) is named as
        # such, with no closest match: the words allowed say what to write
        message = "not a grade on this scale" if scale.resembles(value) else "unknown grade"
        problems.append(Problem(display, message, row=row, column=column, value=value,
                                allowed=scale.allowed_spellings(), suggestion=scale.suggest(value)))
    return grade


def _grade_list(value, display, row, column, problems) -> tuple:
    out = []
    for part in str(value).split("|"):
        g = _resolve_grade(part, display, row, column, problems)
        if g:
            out.append(g)
    return tuple(sorted(set(out), key=scale.GRADES.index))


def _check_duplicate(seen, key, row, grade, display, column, value, problems) -> bool:
    """Record a cell; report a duplicate (same grade) or conflicting duplicate. True if new."""
    if key in seen:
        first_row, first_grade, first_display = seen[key]
        where = f"row {first_row}" + ("" if first_display == display else f" of {first_display}")
        kind = "duplicate cell" if first_grade == grade else f"conflicting duplicate ({where} says {first_grade})"
        problems.append(
            Problem(display, f"{kind} for {key[0]} {key[1]} (first at {where})", row=row, column=column, value=value)
        )
        return False
    seen[key] = (row, grade, display)
    return True


def _check_sources(frame, display, source_ids, problems):
    for row, sid in frame["source_id"].items():
        if sid not in source_ids:
            problems.append(
                Problem(
                    display,
                    "source id with no source in data/record/sources.csv",
                    row=row,
                    column="source_id",
                    value=sid,
                    suggestion=closest(sid, source_ids),
                )
            )


def _cells_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records)
    frame["partnership"] = frame["partnership"].astype(areas.partnership_dtype())
    frame["indicator"] = frame["indicator"].astype(indicators.indicator_dtype())
    frame["grade"] = frame["grade"].astype(scale.grade_dtype())
    return frame


#: The source_id a row of assumed facts may give instead of a source of sources.csv.
ASSUMPTION = "assumption"

#: The record's tables a file of assumed facts may follow.
ASSUMABLE = ("cell_grades", "area_grade_counts")


def _assumed_table(path: Path | str, data_dir: Path) -> str:
    """Which of :data:`ASSUMABLE` a file of assumed facts follows, by its header (a problem if neither)."""
    from analysis.domain.schema import read_csv_text

    header = list(read_csv_text(path, display=str(path)).columns)
    fields = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in datapackage(data_dir)["resources"]}
    for name in ASSUMABLE:
        if set(header) == set(fields[name]):
            return name
    allowed = "; or ".join(f"{', '.join(fields[n])} (as {n}.csv)" for n in ASSUMABLE)
    raise ValidationError([Problem(str(path), "the header follows neither table a file of assumed facts may follow",
                                   row=1, value=", ".join(header), allowed=allowed)])


def load_record(data_dir: Path | str | None = None, assume: Path | str | None = None) -> PublicRecord:
    """Load and check every table of a data package.

    Parameters
    ----------
    data_dir : str or Path, optional
        The data package (a folder with ``datapackage.json``). It becomes the data package in use
        (:func:`analysis.domain.package.use`), so the domain (scale, indicators, partnerships,
        period groups) and the record come from the same folder. Default: the one in use.
    assume : str or Path, optional
        A CSV of hypothetical facts, laid out as ``record/cell_grades.csv`` or
        ``record/area_grade_counts.csv`` and checked the same way (its ``source_id`` a source or
        ``assumption``), added to the record for this load only; nothing is written. A cell or a
        partnership's counts the record already gives is a problem. ``files`` then names it too.

    Returns
    -------
    PublicRecord
        Every table, typed and checked.

    Raises
    ------
    ValidationError
        Every problem in every table, naming file, row, column and value.
    analysis.domain.package.NoDataPackage
        If ``data_dir`` holds no ``datapackage.json``.

    Examples
    --------
    >>> record = load_record()
    >>> len(record.partnerships) == len(areas.partnerships())
    True
    >>> set(record.cell_grades["period_group"]) <= set(areas.period_groups())
    True
    """
    data_dir = use(data_dir) if data_dir else package_in_use()
    read = {}
    problems: list[Problem] = []
    for res in datapackage(data_dir)["resources"]:
        try:
            read[res["name"]] = read_resource(res["name"], data_dir)
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    path = {r["name"]: f"data/{r['path']}" for r in datapackage(data_dir)["resources"]}
    source_ids = set(read["sources"]["source_id"])
    # each table's frames with the name problems give: the data file's, then the assumed facts'
    parts = {name: [(read[name], path[name])] for name in ASSUMABLE}
    assumed_hash = {}
    if assume is not None:
        name = _assumed_table(assume, data_dir)
        frame = read_resource(name, data_dir, path=assume)
        _check_sources(frame, str(assume), source_ids | {ASSUMPTION}, problems)
        parts[name].append((frame, str(assume)))
        assumed_hash = {f"assumed/{Path(assume).name}": hashlib.sha256(Path(assume).read_bytes()).hexdigest()}
    group_of = areas.period_group_of()
    for name in [
        "partnerships",
        "period_groups",
        "indicators",
        "grade_scale",
        "cell_grades",
        "area_grade_counts",
        "review_statements",
        "review_claims",
        "staff_survey",
        "case_records",
        "headline_counts",
    ]:
        _check_sources(read[name], path[name], source_ids, problems)

    # Single cells: names through aliases, grades through the spellings, one row per cell.
    cells, seen = [], {}
    for frame, disp in parts["cell_grades"]:
        _read_cells(frame, disp, seen, cells, group_of, problems)

    # Grade counts per area: all six counts adding up to n_indicators, or a set of grades.
    counts, seen_area = [], {}
    for frame, disp in parts["area_grade_counts"]:
        _read_counts(frame, disp, seen_area, counts, group_of, problems)

    # Statements: grades, period groups, comparator and bounds.
    disp = path["review_statements"]
    statements = []
    ids = set(read["review_statements"]["statement_id"])
    for row, rec in read["review_statements"].iterrows():
        grades = _grade_list(rec["grades"], disp, row, "grades", problems)
        groups = ()
        if rec["period_group"] != "all":
            chosen = _period_groups(rec["period_group"], disp, row, "period_group", problems)
            groups = tuple(g for g in areas.PERIOD_GROUPS if g in chosen)
        if rec["comparator"] == "between":
            if pd.isna(rec["value_max"]) or rec["value_max"] < rec["value"]:
                problems.append(
                    Problem(
                        disp,
                        "between needs value_max >= value",
                        row=row,
                        column="value_max",
                        value=None if pd.isna(rec["value_max"]) else int(rec["value_max"]),
                    )
                )
        elif not pd.isna(rec["value_max"]):
            problems.append(
                Problem(
                    disp,
                    f"value_max is only for between, not {rec['comparator']}",
                    row=row,
                    column="value_max",
                    value=int(rec["value_max"]),
                )
            )
        for link in ("alternative_to", "adds_to"):
            if rec[link] and rec[link] not in ids:
                problems.append(
                    Problem(
                        disp,
                        f"{link} names no statement",
                        row=row,
                        column=link,
                        value=rec[link],
                        suggestion=closest(rec[link], ids),
                    )
                )
        if rec["alternative_to"] and rec["adds_to"]:
            problems.append(
                Problem(
                    disp,
                    "a row is either a rival reading (alternative_to) or the extra condition of "
                    "a stronger reading (adds_to), not both",
                    row=row,
                    column="adds_to",
                    value=rec["adds_to"],
                )
            )
        statements.append(
            {**rec.to_dict(), "grades": grades, "period_groups": groups or tuple(areas.PERIOD_GROUPS), "row": row}
        )
    claims = _claims(read["review_claims"], path["review_claims"], problems)
    if problems:
        raise ValidationError(problems)

    cell_frame = _cells_frame(cells)
    count_frame = pd.DataFrame(counts)
    count_frame["partnership"] = count_frame["partnership"].astype(areas.partnership_dtype())
    for c in ["n_indicators", *count_columns()]:
        count_frame[c] = count_frame[c].astype("Int64")
    stmt_frame = pd.DataFrame(statements).drop(columns="period_group")
    stmt_frame["indicator"] = stmt_frame["indicator"].astype(indicators.indicator_dtype())
    return PublicRecord(
        partnerships=areas.partnership_table(),
        period_groups=areas.period_group_table(),
        indicators=indicators.indicator_table(),
        grade_scale=scale.grade_table(),
        sources=read["sources"].reset_index(drop=True),
        cell_grades=cell_frame.sort_values(["partnership", "indicator"]).reset_index(drop=True),
        area_counts=count_frame.sort_values("partnership").reset_index(drop=True),
        statements=stmt_frame.reset_index(drop=True),
        staff_survey=read["staff_survey"].reset_index(drop=True),
        case_records=read["case_records"].reset_index(drop=True),
        headline_counts=read["headline_counts"].reset_index(drop=True),
        claims=claims,
        files=data_file_hashes(data_dir) | assumed_hash,
    )


def _read_cells(frame, disp, seen, cells, group_of, problems):
    """Single cells: names through aliases, grades through the spellings, one row per cell (``seen`` across
    the files read)."""
    for row, rec in frame.iterrows():
        p = _resolve_partnership(rec["partnership"], disp, row, "partnership", problems)
        g = _resolve_grade(rec["grade"], disp, row, "grade", problems)
        if p is None or g is None:
            continue
        if not _check_duplicate(seen, (p, rec["indicator"]), row, g, disp, "grade", rec["grade"], problems):
            continue
        cells.append({**rec.to_dict(), "partnership": p, "grade": g, "period_group": group_of[p], "row": row})



def _read_counts(frame, disp, seen_area, counts, group_of, problems):
    """Grade counts per area: all the counts adding up to n_indicators, or a set of grades (``seen_area``
    across the files read)."""
    for row, rec in frame.iterrows():
        p = _resolve_partnership(rec["partnership"], disp, row, "partnership", problems)
        given = {c: rec[c] for c in count_columns() if not pd.isna(rec[c])}
        within = _grade_list(rec["within"], disp, row, "within", problems) if rec["within"] else ()
        if given and len(given) < len(count_columns()):
            for c in count_columns():
                if c not in given:
                    problems.append(Problem(disp, "count missing (write 0 for none)", row=row, column=c))
        elif given:
            n = rec["n_indicators"]
            total = sum(int(v) for v in given.values())
            if pd.isna(n):
                problems.append(Problem(disp, "counts given without n_indicators", row=row, column="n_indicators"))
            elif total != n:
                problems.append(
                    Problem(
                        disp,
                        f"counts add up to {total}, not n_indicators",
                        row=row,
                        column="n_indicators",
                        value=int(n),
                        allowed=f"{total} (the sum of the counts)",
                    )
                )
            elif n < len(indicators.INDICATORS):
                problems.append(
                    Problem(
                        disp,
                        f"fewer indicators than the {len(indicators.INDICATORS)} graded",
                        row=row,
                        column="n_indicators",
                        value=int(n),
                        allowed=f">= {len(indicators.INDICATORS)}",
                    )
                )
            if within:
                problems.append(
                    Problem(
                        disp, "give either counts or within, not both", row=row, column="within", value=rec["within"]
                    )
                )
        elif not within:
            problems.append(Problem(disp, "row gives neither counts nor within", row=row, column="within"))
        if p is not None:
            if p in seen_area:
                problems.append(
                    Problem(
                        disp,
                        f"second count row for {p} (first at row {seen_area[p][0]}"
                        + ("" if seen_area[p][1] == disp else f" of {seen_area[p][1]}") + ")",
                        row=row,
                        column="partnership",
                        value=rec["partnership"],
                    )
                )
            seen_area[p] = (row, disp)
            counts.append(
                {**rec.to_dict(), "partnership": p, "within": within, "period_group": group_of.get(p), "row": row}
            )



#: What each claim relation needs: (fewest groups listed, most groups listed, needs value, needs value_max).
_CLAIM_NEEDS = {
    "rises": (2, 3, False, False),
    "falls": (2, 3, False, False),
    "association_up": (3, 3, False, False),
    "association_down": (3, 3, False, False),
    "highest": (1, 3, False, False),
    "most_improved": (2, 2, False, False),
    "top": (1, 3, True, False),
    "at_least": (1, 3, True, False),
    "between": (1, 3, True, True),
}


def _period_groups(text: str, disp: str, row, column: str, problems: list) -> list[str]:
    """Period groups joined by '|', in the order given; unknown ones are problems."""
    out = []
    for part in text.split("|"):
        try:
            out.append(areas.match_period_group(part))
        except areas.UnknownName:
            problems.append(
                Problem(
                    disp,
                    "unknown period group",
                    row=row,
                    column=column,
                    value=part,
                    allowed="all, or " + "|".join(areas.PERIOD_GROUPS),
                    suggestion=closest(part, areas.PERIOD_GROUPS),
                )
            )
    return out


def _claims(frame: pd.DataFrame, disp: str, problems: list) -> pd.DataFrame:
    """The claims table typed: groups as a tuple in the order given, strict as bool."""
    out = []
    for row, rec in frame.iterrows():
        groups = (
            list(areas.PERIOD_GROUPS)
            if rec["groups"] == "all"
            else _period_groups(str(rec["groups"]), disp, row, "groups", problems)
        )
        if len(set(groups)) != len(groups):
            problems.append(
                Problem(disp, "a period group is listed twice", row=row, column="groups", value=rec["groups"])
            )
        lo, hi, needs_value, needs_max = _CLAIM_NEEDS[rec["relation"]]
        if rec["relation"] in ("rises", "falls", "most_improved") and not lo <= len(groups) <= hi:
            problems.append(
                Problem(
                    disp,
                    f"{rec['relation']} compares {lo} to {hi} period groups",
                    row=row,
                    column="groups",
                    value=rec["groups"],
                    allowed=f"{lo} to {hi} groups joined by |",
                )
            )
        if rec["relation"].startswith("association") and len(groups) != len(areas.PERIOD_GROUPS):
            problems.append(
                Problem(
                    disp,
                    "an association is over all three period groups",
                    row=row,
                    column="groups",
                    value=rec["groups"],
                    allowed="|".join(areas.PERIOD_GROUPS),
                )
            )
        for col, needed in (("value", needs_value), ("value_max", needs_max)):
            if needed and pd.isna(rec[col]):
                problems.append(Problem(disp, f"{rec['relation']} needs {col}", row=row, column=col))
            if not needed and not pd.isna(rec[col]):
                problems.append(
                    Problem(disp, f"{col} is not used by {rec['relation']}", row=row, column=col, value=rec[col])
                )
        if (
            rec["relation"] == "top"
            and not pd.isna(rec["value"])
            and not 1 <= rec["value"] <= len(indicators.INDICATORS)
        ):
            problems.append(
                Problem(
                    disp,
                    "top needs how many indicators",
                    row=row,
                    column="value",
                    value=rec["value"],
                    allowed=f"1 to {len(indicators.INDICATORS)}",
                )
            )
        if rec["measure"] == "good_or_better_share" and rec["relation"] in ("highest", "top", "at_least", "between"):
            problems.append(
                Problem(
                    disp,
                    f"{rec['relation']} compares counts or mean grades",
                    row=row,
                    column="measure",
                    value=rec["measure"],
                    allowed="mean_grade or good_or_better_count",
                )
            )
        out.append({**rec.to_dict(), "groups": tuple(groups), "row": row})
    claims = pd.DataFrame(out)
    if len(claims):
        claims["strict"] = claims["strict"].astype(bool)
    return claims


_AREA_COLUMNS = ("partnership", "area", "cpp", "name")
_NOTE_COLUMNS = ("note", "notes", "source", "comment", "comments")


@dataclass(frozen=True, eq=False)
class GradeTable:
    """A complete grade table, read and validated once: the file, the bytes the table was parsed from,
    their SHA-256, the table, and what was read (``note``, one line for the terminal:
    ``read grades.xlsx: sheet 'Grades', 288 rows``).

    For CSV text the bytes are the file's own; for a workbook (``.xlsx``, ``.ods``) they are the sheet's
    canonical CSV (:func:`analysis.domain.tablefile.canonical_csv`: UTF-8, commas, one line per row of
    the sheet, each cell as text), so ``sha256`` is well defined (the same workbook and sheet give the
    same hash, another sheet another) and the copy a build keeps (:meth:`write_copy`) reads back, as CSV
    text, to the same table and the same hash. ``file_sha256`` is the hash of the file as given.

    Make one with :func:`read_grade_table`. Everything that uses a grade table in a process takes
    this object, so the table is never read from its path again (a file replaced meanwhile cannot mix
    into a result)."""

    path: Path
    sha256: str
    frame: pd.DataFrame = field(repr=False)
    content: bytes = field(repr=False)
    note: str = ""
    file_sha256: str = ""

    @property
    def name(self) -> str:
        """The file's name, as outputs state it (never its folder)."""
        return self.path.name

    @property
    def basis(self) -> str:
        """The data basis in words, stated on every output made from the table."""
        return basis_of(self)

    def write_copy(self, path: Path) -> None:
        """Write the bytes the table was parsed from (atomically) to ``path``: the file's, or a workbook's
        canonical CSV (under the workbook's name: a reader tells CSV text by its bytes)."""
        from analysis.files import write_atomic

        write_atomic(path, self.content)


def basis_of(table: GradeTable | None) -> str:
    """The data basis stated on every output: 'public record' or 'complete grade table <file name>'.

    Parameters
    ----------
    table : GradeTable or None
        The complete grade table, or None for the public record.

    Returns
    -------
    str
        The basis in words.

    Examples
    --------
    >>> basis_of(None)
    'public record'
    """
    return f"complete grade table {table.name}" if table is not None else "public record"


def read_grade_table(path: Path | str, sheet: str | None = None) -> GradeTable:
    """Read and validate a complete grade table once (see :func:`load_grades` for the forms accepted).

    Parameters
    ----------
    path : str or Path
        The file: CSV text, or an ``.xlsx`` or ``.ods`` workbook
        (:func:`analysis.domain.tablefile.read_table_file` says what is read).
    sheet : str, optional
        The sheet of a workbook (default: the first).

    Returns
    -------
    GradeTable
        Its path, the SHA-256 of the bytes the table was parsed from (the file's for CSV text, the
        sheet's canonical CSV for a workbook), the table (as :func:`load_grades` returns it), those
        bytes, and what was read.

    Raises
    ------
    ValidationError
        As :func:`load_grades`.

    Examples
    --------
    >>> import hashlib, tempfile
    >>> lines = ["partnership," + ",".join(indicators.codes())] + [p + ",good" * 9 for p in areas.partnerships()]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "grades.csv"
    ...     _ = path.write_text("\\n".join(lines), encoding="utf-8")
    ...     table = read_grade_table(path)
    ...     same = table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    >>> table.name, table.basis, len(table.frame), same
    ('grades.csv', 'complete grade table grades.csv', 288, True)
    >>> table.note
    'read grades.csv: CSV text (UTF-8; separated by commas), 32 rows'
    """
    from analysis.domain.tablefile import read_table_file

    path = Path(path)
    read = read_table_file(path, display=str(path), sheet=sheet)
    frame = _grades_frame(read.frame, read.display)
    rows = len(read.frame)
    note = f"read {path.name}: {read.read_as}, {rows} row{'' if rows == 1 else 's'}"
    return GradeTable(path, hashlib.sha256(read.content).hexdigest(), frame, read.content, note, read.file_sha256)


def grades_from_cells(cells, display: str = "cells") -> pd.DataFrame:
    """A complete grade table from ``(partnership, indicator, grade)`` triples made in code, typed and
    checked exactly as :func:`load_grades` checks a file.

    Parameters
    ----------
    cells : iterable of (str, str, str)
        One triple per cell; names may be any alias, grades any accepted spelling.
    display : str, optional
        What messages call the cells (their "file"); a cell's "row" is its place in ``cells`` + 1.

    Returns
    -------
    pandas.DataFrame
        As :func:`load_grades`.

    Raises
    ------
    ValidationError
        As :func:`load_grades`.

    Examples
    --------
    >>> cells = [(p, i, "good") for p in areas.partnerships() for i in indicators.codes()]
    >>> frame = grades_from_cells(cells)
    >>> len(frame), frame["grade"].iloc[0]
    (288, 'Good')
    """
    rows = [tuple(str(v) for v in cell) for cell in cells]
    raw = pd.DataFrame(rows, columns=["partnership", "indicator", "grade"], dtype=object)
    raw.index = pd.Index(range(2, len(rows) + 2), name="row")
    return _grades_frame(raw, display)


def example_grades() -> pd.DataFrame:
    """The worked example of the documentation: a complete table in which partnership ``k`` (in the
    schedule's order, from 0) has grade ``(k + j) mod n`` on indicator ``j`` (grades worst first, ``n``
    of them). Every grade occurs on every indicator, so each statistic has something to show.

    Returns
    -------
    pandas.DataFrame
        As :func:`load_grades`.

    Examples
    --------
    >>> frame = example_grades()
    >>> first = frame[frame["partnership"] == areas.partnerships()[0]]
    >>> first["grade"].astype(str).tolist()[:3]
    ['Unsatisfactory', 'Weak', 'Adequate']
    """
    grades = scale.grades()
    return grades_from_cells((p, i, grades[(k + j) % len(grades)]) for k, p in enumerate(areas.partnerships())
                             for j, i in enumerate(indicators.codes()))


def load_grades(path: Path | str, sheet: str | None = None) -> pd.DataFrame:
    """Load a user's complete grade table: every partnership x indicator, 32 x 9 = 288 cells.

    Long form: columns ``partnership``, ``indicator``, ``grade`` (and optionally ``note``).
    Wide form: a ``partnership`` column and one column per indicator ("1.1" or "QI 1.1").
    Names may be any alias; grades any accepted spelling (:func:`analysis.domain.scale.parse_grade`).

    Parameters
    ----------
    path : str or Path
        The table, in the long or the wide form: CSV text (UTF-8 or Windows-1252; commas,
        semicolons or tabs), or an ``.xlsx`` or ``.ods`` workbook
        (:func:`analysis.domain.tablefile.read_table_file`). The partnership column may also be called
        ``area``, ``cpp`` or ``name``; the note column ``notes``, ``source``, ``comment`` or
        ``comments`` (one of them at most).
    sheet : str, optional
        The sheet of a workbook (default: the first).

    Returns
    -------
    pandas.DataFrame
        A long frame of 288 rows sorted by partnership and indicator, with columns partnership,
        indicator (ordered categoricals), grade (ordered categorical, worst to best), note (the
        table's note column; "" if none; in the wide form a row's note applies to its nine cells;
        shown as text, escaped) and period_group (ordered categorical).

    Raises
    ------
    ValidationError
        On any problem, naming file, row, column and value: a missing or unexpected column, an
        unknown partnership, indicator or grade, a cell given twice, or cells missing.

    Examples
    --------
    >>> import tempfile
    >>> names = ["Western Isles" if p == "Outer Hebrides" else p for p in areas.partnerships()]
    >>> lines = ["partnership," + ",".join(indicators.codes())] + [n + ",vg" * 9 for n in names]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "grades.csv"
    ...     _ = path.write_text("\\n".join(lines), encoding="utf-8")
    ...     frame = load_grades(path)
    ...     _ = path.write_text("\\n".join(lines[:-1]), encoding="utf-8")
    ...     try:
    ...         load_grades(path)
    ...     except ValidationError as exc:
    ...         print(exc.problems[0].message)
    incomplete table: 9 of 288 cells missing
    >>> len(frame), list(frame.columns)
    (288, ['partnership', 'indicator', 'grade', 'note', 'period_group'])
    >>> cell = frame[frame["partnership"] == "Outer Hebrides"].iloc[0]
    >>> cell["indicator"], cell["grade"], cell["period_group"]
    ('1.1', 'Very good', '2014-16')
    """
    return read_grade_table(path, sheet).frame


def _grades_frame(raw: pd.DataFrame, display: str) -> pd.DataFrame:
    """The long, typed, checked table from a grade table's CSV rows (see :func:`load_grades`)."""
    problems: list[Problem] = []
    lower = {c.casefold(): c for c in raw.columns}
    area_col = next((lower[c] for c in _AREA_COLUMNS if c in lower), None)
    if area_col is None:
        raise ValidationError(
            [
                Problem(
                    display,
                    "missing column",
                    row=1,
                    column="partnership",
                    allowed="partnership, indicator, grade (long) or partnership, 1.1 ... 9.4 (wide)",
                    suggestion=closest("partnership", raw.columns),
                )
            ]
        )
    long_form = "indicator" in lower or "grade" in lower
    notes = [lower[c] for c in _NOTE_COLUMNS if c in lower]
    if len(notes) > 1:
        raise ValidationError(
            [
                Problem(
                    display,
                    "more than one note column (only one is kept, so say which)",
                    row=1,
                    column=c,
                    allowed="one of " + ", ".join(_NOTE_COLUMNS),
                )
                for c in notes[1:]
            ]
        )
    note_col = notes[0] if notes else None
    cells = []
    if long_form:
        for need in ("indicator", "grade"):
            if need not in lower:
                problems.append(
                    Problem(display, "missing column", row=1, column=need, allowed="partnership, indicator, grade")
                )
        extra = [
            c for c in raw.columns if c.casefold() not in {area_col.casefold(), "indicator", "grade", *_NOTE_COLUMNS}
        ]
        for c in extra:
            problems.append(
                Problem(display, "unexpected column", row=1, column=c, allowed="partnership, indicator, grade, note")
            )
        if problems:
            raise ValidationError(problems)
        for row, rec in raw.iterrows():
            cells.append(
                (
                    row,
                    rec[area_col],
                    area_col,
                    rec[lower["indicator"]],
                    "indicator",
                    rec[lower["grade"]],
                    "grade",
                    rec[note_col] if note_col else "",
                )
            )
    else:
        ind_cols = {}
        for c in raw.columns:
            if c == area_col or c.casefold() in _NOTE_COLUMNS:
                continue
            code = indicators.parse_indicator(c)
            if code is None:
                problems.append(
                    Problem(
                        display,
                        "unknown indicator column",
                        row=1,
                        column=c,
                        allowed=", ".join(indicators.INDICATORS),
                        suggestion=closest(c, indicators.INDICATORS),
                    )
                )
            elif code in ind_cols.values():
                problems.append(Problem(display, "indicator column given twice", row=1, column=c))
            else:
                ind_cols[c] = code
        for code in indicators.INDICATORS:
            if code not in ind_cols.values():
                problems.append(Problem(display, "missing indicator column", row=1, column=code))
        if problems:
            raise ValidationError(problems)
        for row, rec in raw.iterrows():
            for c, code in ind_cols.items():
                cells.append((row, rec[area_col], area_col, code, c, rec[c], c, rec[note_col] if note_col else ""))
    seen = {}
    out = []
    for row, name, name_col, ind, ind_col, grade_text, grade_col, note in cells:
        p = _resolve_partnership(name, display, row, name_col, problems)
        code = indicators.parse_indicator(ind)
        if code is None:
            problems.append(
                Problem(
                    display,
                    "unknown indicator",
                    row=row,
                    column=ind_col,
                    value=ind,
                    allowed=", ".join(indicators.INDICATORS),
                    suggestion=closest(str(ind), indicators.INDICATORS),
                )
            )
        g = _resolve_grade(grade_text, display, row, grade_col, problems)
        if p is None or code is None or g is None:
            continue
        if not _check_duplicate(seen, (p, code), row, g, display, grade_col, grade_text, problems):
            continue
        out.append({"partnership": p, "indicator": code, "grade": g, "note": str(note)})
    if not problems:
        missing = [(p, i) for p in areas.PARTNERSHIPS for i in indicators.INDICATORS if (p, i) not in seen]
        if missing:
            shown = "; ".join(f"{p} {i}" for p, i in missing[:12]) + (" ..." if len(missing) > 12 else "")
            problems.append(
                Problem(
                    display,
                    f"incomplete table: {len(missing)} of {len(areas.PARTNERSHIPS) * len(indicators.INDICATORS)} "
                    "cells missing",
                    value=shown,
                    allowed=f"exactly {len(areas.PARTNERSHIPS)} partnerships x {len(indicators.INDICATORS)} "
                    "indicators",
                )
            )
    if problems:
        raise ValidationError(problems)
    frame = _cells_frame(out)
    frame["period_group"] = (
        frame["partnership"].astype(str).map(areas.period_group_of()).astype(areas.period_group_dtype())
    )
    return frame.sort_values(["partnership", "indicator"]).reset_index(drop=True)
