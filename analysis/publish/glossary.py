"""The terms the pages use, explained once: the glossary of the quality and methods page, which every
page links to (``quality.html#terms``, each term at ``quality.html#term-<id>``).

A page that uses a technical word (a *consistent table*, a *witness*, the *trend statistic C*) either says
it in plain words or links the word to its entry here; acronyms are spelled out at first use on each page
and here. Entries may name the domain's sizes (``{partnerships}``, ``{groups}``, ``{grades}``, ``{best}``,
``{worst}``), filled from the data package in use (:func:`analysis.publish.tables.domain_counts`).
"""

from __future__ import annotations

import html

__all__ = ["TERMS", "terms", "anchor", "glossary_html"]

#: (id, term, explanation), in the order a reader meets them; explanations are plain text.
TERMS: tuple[tuple[str, str, str], ...] = (
    ("cpp", "Community planning partnership (CPP)",
     "The partnership of a council area's public services; one was inspected in each of the {partnerships} "
     "areas."),
    ("quality-indicator", "Quality indicator (QI)",
     "One aspect of services graded by the inspection, named by its number and title, for example "
     "6.2 Planning and improving services."),
    ("girfec", "Getting it right for every child (GIRFEC)",
     "Scotland's national approach to supporting children and young people; the review's staff survey asks "
     "about it."),
    ("period-group", "Period group",
     "The review's {groups_word} groups of inspections by when they took place ({group_labels})."),
    ("good-or-better", "Good or better",
     "A grade of Good, Very good or Excellent."),
    ("public-record", "Public record",
     "What public sources state about the grades (inspection reports, news releases, press coverage and the "
     "review itself), each row with its source and the words quoted."),
    ("derived", "Derived grade",
     "A grade no source states but the record fixes: for example, when a source gives a partnership's grade "
     "counts and names all its grades but one, the last is derived by elimination."),
    ("consistent-table", "Consistent table",
     "A full table of grades, one per partnership and indicator, that agrees with every row of the public "
     "record. Many tables are consistent with it; the pages report what all of them have in common."),
    ("range", "Range",
     "The smallest and largest value over every consistent table, such as “12 to 18”: a true bound, not an "
     "estimate. A single number is one the record fixes."),
    ("reading", "Reading",
     "One fair way to turn the review's words into a condition on the grades. Where the words allow more "
     "than one (a mean or a share, step by step or end to end), each is checked and none is chosen."),
    ("verdict", "Confirmed, possible, contradicted",
     "A statement or reading is confirmed when every consistent table satisfies it, contradicted when none "
     "does, and possible when some do and some do not."),
    ("rest-of-record", "The rest of the record",
     "For one of the review's statements: every other row of the record, the statement itself left out, so "
     "that a statement is checked against the other evidence and never against itself."),
    ("set-aside", "Set aside",
     "Some rows of the record cannot all be true together (a conflict). The review's statement among them is "
     "set aside: reported as contradicted and used nowhere else; the grades and counts stay in use."),
    ("trend-statistic", "Trend statistic C",
     "How strongly grades rise or fall across the period groups (the linear-by-linear association): groups "
     "scored 1 to {groups} in time order and grades 1 ({worst}) to {grades} ({best}); C adds up, over the "
     "{partnerships} partnerships, the distance of each group's score from the average score times the "
     "grade. Above 0, later groups were graded higher; below 0, lower."),
    ("exact-test", "Exact test",
     "A test whose p-value is found by counting every way the partnerships' grades could have been shared "
     "among the period groups, not by an approximation or a simulation."),
    ("p-value", "p-value, one-sided and two-sided",
     "How often a trend at least as strong as the one seen would arise if grades were shared among the "
     "period groups at random. Two-sided counts trends as strong either way; one-sided only the way seen, "
     "and is about half as large. Below 0.05 a trend is called significant (at 5%)."),
    ("census", "Census",
     "Every inspection of the programme is included: the shares describe all {partnerships} partnerships "
     "and are not estimates from a sample."),
    ("interval", "95% interval",
     "For a share good or better: the range of shares that an underlying process of grading could "
     "plausibly have, treating each group's inspections as draws from that process (a Wilson interval). "
     "It says how far a share could differ by chance, not how wrong a count is."),
    ("median", "Lower median grade",
     "The middle grade when a group's grades are put in order; with an even number of partnerships, the "
     "lower of the two middle grades."),
    ("witness", "Witness (example table)",
     "A consistent table that reaches a bound or shows a verdict open, published so that anyone can check "
     "it. Among the tables that would do, the one given is the first in a fixed order of the grades, so "
     "every build gives the same one."),
    ("settle", "Settle",
     "A report settles a verdict when the record plus its grades leave one answer, whatever those grades "
     "are."),
    ("fragility", "Fragility",
     "The fewest rows of the record that would have to be wrong to overturn a decided verdict."),
    ("holm", "Holm adjustment",
     "A correction of p-values for testing several indicators at once, so that one small p-value among "
     "nine is not read as a finding by itself."),
)


def terms() -> list[tuple[str, str, str]]:
    """The glossary for the data package in use: each (id, term, explanation) with the domain's sizes
    filled in.

    Returns
    -------
    list of tuple of str

    Examples
    --------
    >>> entry = dict((i, t) for i, t, _ in terms())
    >>> entry["consistent-table"], len(terms()) == len(TERMS)
    ('Consistent table', True)
    >>> [x for i, _, x in terms() if i == "census"][0][:52]
    'Every inspection of the programme is included: the s'
    """
    from analysis.domain import areas
    from analysis.publish.tables import domain_counts

    counts = domain_counts() | {"group_labels": ", ".join(areas.period_group_label(g) for g in areas.PERIOD_GROUPS)}
    return [(i, term, text.format(**counts)) for i, term, text in TERMS]


def anchor(term_id: str) -> str:
    """The fragment of a term's entry on the quality page (``term-<id>``).

    Parameters
    ----------
    term_id : str
        An id of :data:`TERMS`.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If no term has that id (a page must not link to an entry that does not exist).

    Examples
    --------
    >>> anchor("witness")
    'term-witness'
    >>> anchor("nonsense")
    Traceback (most recent call last):
    ...
    KeyError: "no glossary term 'nonsense'"
    """
    if term_id not in {i for i, _, _ in TERMS}:
        raise KeyError(f"no glossary term {term_id!r}")
    return f"term-{term_id}"


def glossary_html() -> str:
    """The glossary as an HTML definition list, each term with its anchor.

    Returns
    -------
    str

    Examples
    --------
    >>> '<dt id="term-witness">' in glossary_html()
    True
    """
    items = [f'<dt id="{anchor(i)}">{html.escape(term)}</dt><dd>{html.escape(text)}</dd>' for i, term, text in terms()]
    return "<dl>" + "".join(items) + "</dl>"
