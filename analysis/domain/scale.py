"""The six-point scale: grades in order, as an ordered categorical, and the spellings people write.

The scale is read from ``data/reference/grade_scale.csv`` on first use (not at import, so a damaged
file is reported by the command that needs it, not by ``import analysis``). Categories are ordered
from worst to best, so ``grade >= "Good"`` selects Good, Very good and Excellent. ``GRADES`` and
``GOOD_OR_BETTER`` are read on first access too.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.domain.package import domain_cached
from analysis.domain.schema import closest

__all__ = [
    "GRADES",
    "GOOD_OR_BETTER",
    "grades",
    "good_or_better",
    "ABBREVIATIONS",
    "ABBREVIATIONS_OF",
    "abbreviations",
    "abbreviations_of",
    "grade_dtype",
    "grade_values",
    "parse_grade",
    "grade_table",
]



@domain_cached
def grade_table() -> pd.DataFrame:
    """The scale as a frame: value (1-6), grade, descriptor, good_or_better; best first.

    Read from ``reference/grade_scale.csv`` in the data package in use, checked against its schema.

    Returns
    -------
    pandas.DataFrame
        One row per grade, best first, with columns ``value`` (Int64, 6 for the best), ``grade`` (the
        label), ``descriptor`` (what the grade means), ``good_or_better`` (boolean) and ``source_id``.

    Raises
    ------
    analysis.domain.schema.ValidationError
        If the table does not match its schema in ``datapackage.json``.

    Examples
    --------
    >>> table = grade_table()
    >>> table["value"].tolist(), table.loc[0, "grade"], table.loc[5, "descriptor"]
    ([6, 5, 4, 3, 2, 1], 'Excellent', 'major weaknesses')
    """
    from analysis.domain.schema import read_resource

    return read_resource("grade_scale").sort_values("value", ascending=False).reset_index(drop=True)


@domain_cached
def grades() -> tuple[str, ...]:
    """Grade labels from worst (Unsatisfactory) to best (Excellent): :data:`GRADES`.

    Returns
    -------
    tuple of str
        The labels, worst first.

    Examples
    --------
    >>> grades()
    ('Unsatisfactory', 'Weak', 'Adequate', 'Good', 'Very good', 'Excellent')
    """
    return tuple(grade_table().sort_values("value")["grade"])


@domain_cached
def good_or_better() -> tuple[str, ...]:
    """The grades counted as "good or better", worst first: :data:`GOOD_OR_BETTER`.

    Returns
    -------
    tuple of str
        The labels of the grades marked ``good_or_better`` in ``grade_scale.csv``, worst first.

    Examples
    --------
    >>> good_or_better()
    ('Good', 'Very good', 'Excellent')
    """
    order = {g: i for i, g in enumerate(grades())}
    return tuple(sorted(grade_table().query("good_or_better")["grade"], key=order.__getitem__))


def __getattr__(name):
    # GRADES and GOOD_OR_BETTER: read from the data folder on first access, not at import
    if name == "GRADES":
        return grades()
    if name == "GOOD_OR_BETTER":
        return good_or_better()
    if name == "ABBREVIATIONS":
        return abbreviations()
    if name == "ABBREVIATIONS_OF":
        return abbreviations_of()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@domain_cached
def abbreviations() -> dict[str, str]:
    """Each grade's abbreviation (the initials of its words), best grade first: :data:`ABBREVIATIONS`.

    Returns
    -------
    dict
        Abbreviation to grade label; :func:`parse_grade` accepts them in any case. A grade whose
        initials another grade already has is abbreviated by its whole label.

    Examples
    --------
    >>> abbreviations()
    {'E': 'Excellent', 'VG': 'Very good', 'G': 'Good', 'A': 'Adequate', 'W': 'Weak', 'U': 'Unsatisfactory'}
    """
    out = {}
    for grade in reversed(grades()):
        short = "".join(word[0] for word in grade.split()).upper()
        out[short if short not in out else grade] = grade
    return out


def abbreviations_of() -> dict[str, str]:
    """Grade label to its abbreviation: :data:`ABBREVIATIONS_OF`.

    Returns
    -------
    dict
        Grade label to abbreviation, best grade first.

    Examples
    --------
    >>> abbreviations_of()["Very good"]
    'VG'
    """
    return {grade: short for short, grade in abbreviations().items()}


def grade_dtype() -> pd.CategoricalDtype:
    """Ordered categorical dtype of the six grades, worst to best.

    Returns
    -------
    pandas.CategoricalDtype
        Ordered, with the labels of :func:`grades` as categories, so comparisons follow the scale.

    Examples
    --------
    >>> column = pd.Series(["Good", "Weak", "Excellent", "Adequate"], dtype=grade_dtype())
    >>> column[column >= "Good"].tolist(), column.max()
    (['Good', 'Excellent'], 'Excellent')
    """
    return pd.CategoricalDtype(list(grades()), ordered=True)


def grade_values() -> dict[str, int]:
    """Grade label to its value on the scale (Unsatisfactory 1 ... Excellent 6).

    Returns
    -------
    dict
        Each grade label to its value, worst grade first.

    Examples
    --------
    >>> grade_values()["Unsatisfactory"], grade_values()["Good"], grade_values()["Excellent"]
    (1, 4, 6)
    """
    return {g: i + 1 for i, g in enumerate(grades())}


def _key(text: str) -> str:
    key = re.sub(r"\s+", " ", str(text)).strip().casefold()
    # a whole number as a spreadsheet writes a number: 4.0, or 4,0 with a decimal comma
    return re.sub(r"^(\d+)[.,]0+$", r"\1", key)


@domain_cached
def _lookup() -> dict[str, str]:
    table = {}
    for value, grade in ((i + 1, g) for i, g in enumerate(grades())):
        table[_key(grade)] = grade
        table[str(value)] = grade
    for abbrev, grade in abbreviations().items():
        table[_key(abbrev)] = grade
    return table


def parse_grade(text) -> str | None:
    """The canonical grade for a spelling, or None if it is not one.

    Accepts the label in any case and spacing ("Very good", "VERY  GOOD"), the abbreviations
    E, VG, G, A, W, U, and the values 1 (Unsatisfactory) to 6 (Excellent), also as a spreadsheet
    writes a whole number (``4.0``, or ``4,0`` with a decimal comma).

    Parameters
    ----------
    text : str, int or None
        A spelling of a grade; a number is read as its value on the scale.

    Returns
    -------
    str or None
        The grade label, or None if ``text`` is None or no spelling of a grade.

    Examples
    --------
    >>> parse_grade("VERY  GOOD"), parse_grade("vg"), parse_grade(3), parse_grade(" 6 ")
    ('Very good', 'Very good', 'Adequate', 'Excellent')
    >>> parse_grade("4.0"), parse_grade(4.0), parse_grade("4,00")
    ('Good', 'Good', 'Good')
    >>> parse_grade("Great") is None, parse_grade(7) is None, parse_grade("4.5") is None
    (True, True, True)
    """
    if text is None:
        return None
    return _lookup().get(_key(text))


def allowed_spellings() -> str:
    """Human-readable list of accepted spellings, for error messages.

    Returns
    -------
    str
        The labels best first, the abbreviations and the range of values.

    Examples
    --------
    >>> allowed_spellings()
    'Excellent, Very good, Good, Adequate, Weak, Unsatisfactory (any case); E, VG, G, A, W, U; 1-6'
    """
    return ", ".join(grades()[::-1]) + " (any case); " + ", ".join(abbreviations()) + f"; 1-{len(grades())}"


def suggest(text) -> str:
    """The grade label a bad spelling most likely meant, or '' (never a grade of another meaning).

    A label is suggested only as a correction of spelling: the closest label (compared ignoring case)
    when the text's every word is close to one of its words or their first letters (or the text with
    its spaces left out is close to it), and never one that differs from the text by a negation or a
    word put before it (``Satisfactory``, a word of another scale, gets no ``Unsatisfactory``;
    ``Inadequate`` no ``Adequate``; ``Very poor`` no ``Very good``; ``Vgood`` no ``Good``).

    Parameters
    ----------
    text : str
        A spelling that :func:`parse_grade` does not accept.

    Returns
    -------
    str
        The grade label, or "" if none is a likely correction.

    Examples
    --------
    >>> suggest("Very goood"), suggest("excelent"), suggest("V. good"), suggest("xyz")
    ('Very good', 'Excellent', 'Very good', '')
    >>> suggest("Satisfactory"), suggest("Inadequate"), suggest("Very poor"), suggest("Not good")
    ('', '', '', '')
    """
    candidate = closest(str(text), grades())
    return candidate if candidate and _likely_meant(str(text), candidate) else ""


def resembles(text) -> bool:
    """Whether a spelling looks like a grade label that :func:`suggest` does not offer because its meaning
    differs (``Satisfactory``: like ``Unsatisfactory``, and not a word of this scale).

    Parameters
    ----------
    text : str
        A spelling that :func:`parse_grade` does not accept.

    Returns
    -------
    bool
        True if a label is close in spelling but not a likely correction.

    Examples
    --------
    >>> resembles("Satisfactory"), resembles("Goood"), resembles("xyz")
    (True, False, False)
    """
    return bool(closest(str(text), grades())) and not suggest(text)


#: Prefixes that turn a word into its opposite.
_NEGATIONS = ("un", "in", "im", "non", "not", "dis")


def _likely_meant(text: str, label: str) -> bool:
    """Whether ``label`` is a correction of the spelling ``text`` rather than another word."""
    import difflib

    def ratio(a, b):
        return difflib.SequenceMatcher(None, a, b).ratio()

    value, target = _key(text), _key(label)
    for a, b in ((value, target), (target, value)):
        for prefix in _NEGATIONS:
            rest = a[len(prefix):].lstrip(" -")
            if a.startswith(prefix) and not b.startswith(prefix) and rest and ratio(rest, b) >= ratio(a, b):
                return False  # the two differ by a negation
    if value.endswith(target) and value[: -len(target)].strip(" -."):
        return False  # a word before the label changes it ("Vgood" is not "Good")
    if ratio(value.replace(" ", ""), target.replace(" ", "")) >= 0.85:
        return True
    words = target.split()
    # each word close to one of the label's, or its first letters ("V. good")
    return all(any(w == x or (len(w.rstrip(".")) <= 3 and x.startswith(w.rstrip(".")))
                   or ratio(w, x) >= 0.75 for x in words) for w in value.split())
