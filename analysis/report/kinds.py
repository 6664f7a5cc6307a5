"""The notebook kinds: one registry, and the jobs (one notebook of a kind for one subject).

A kind is a template ``notebooks/<name>.ipynb``. Everything that depends on the kind (its subject
parameter, file names, page title, order, whether its executed notebooks are committed, the order
the build computes its results in) is read from :data:`KINDS`; nothing else lists the kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.domain import areas
from analysis.errors import UsageError

__all__ = ["Kind", "KINDS", "Job", "job_for", "plan", "order_key"]


@dataclass(frozen=True)
class Kind:
    """One notebook kind.

    ``subject``: the template parameter naming the subject (None: the kind has one notebook, named
    ``slug``); ``published``: its executed notebooks are committed in ``reports/``; ``compute``: its
    place in the build's order of computing results (the partnerships need least, so their notebooks
    can start first)."""

    name: str
    subject: str | None
    slug: str | None
    published: bool
    compute: int
    heading: str

    def subjects(self) -> tuple[str, ...]:
        """Every subject of the kind, in the review's order (partnerships in Appendix 4 order)."""
        if self.subject == "partnership":
            return areas.PARTNERSHIPS
        if self.subject == "period_group":
            return areas.PERIOD_GROUPS
        return (None,)


#: The kinds, in the review's order (national, period groups, partnerships, statements).
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("review", None, "national", True, 2, "The national review"),
    Kind("period_group", "period_group", None, True, 1, "Period groups"),
    Kind("partnership", "partnership", None, False, 0, "Partnerships"),
    Kind("statements", None, "statements", True, 3, "The review's statements, checked"),
)}


def _kind(name: str) -> Kind:
    if name not in KINDS:
        raise UsageError(f"unknown notebook kind {name!r}; known: {', '.join(KINDS)}")
    return KINDS[name]


@dataclass(frozen=True)
class Job:
    """One notebook to run: its kind, the slug its files are named by, and its subject (canonical
    partnership name or period-group id; None for a kind with one notebook)."""

    kind: str
    slug: str
    subject: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.slug}"

    def template(self, templates: Path) -> Path:
        """The template in the folder ``templates`` (``notebooks/`` of the checkout, unless a build is given
        another)."""
        return Path(templates) / f"{self.kind}.ipynb"

    @property
    def title(self) -> str:
        """The page's title, naming its subject."""
        if self.kind == "review":
            return "The national review: joint inspections of services for children and young people, 2012-2017"
        if self.kind == "statements":
            return "The review's statements and conclusions, checked against the record"
        if self.kind == "period_group":
            return (f"{areas.period_group_label(self.subject)} group: joint inspections of services for children "
                    "and young people")
        return f"{self.subject}: joint inspection of services for children and young people"

    @property
    def notebook_path(self) -> str:
        return f"notebooks/{self.kind}/{self.slug}.ipynb"

    def from_notebook(self, rel: str) -> str:
        """A path given relative to the output folder, as seen from this job's notebook (and page) folder,
        where its kernel starts; ``""`` stays ``""``.

        Examples
        --------
        >>> Job("partnership", "fife", "Fife").from_notebook(".cache/results")
        '../../.cache/results'
        """
        if not rel:
            return ""
        return "../" * self.notebook_path.count("/") + rel

    @property
    def html_path(self) -> str:
        return f"html/{self.kind}/{self.slug}.html"

    def place(self, what: str) -> str:
        """Folder (relative to the output folder) of this job's 'tables' or 'figures': a kind with one
        notebook writes to the top-level folder, others to ``<what>/<kind>/<slug>``."""
        return what if KINDS[self.kind].subject is None else f"{what}/{self.kind}/{self.slug}"


def job_for(kind: str, name: str | None = None) -> Job:
    """The job for a kind and (for partnerships and period groups) a name or alias.

    Raises :class:`analysis.domain.areas.UnknownName` (with the closest matches) for an unknown name,
    and ValueError for an unknown kind, before anything runs.
    """
    k = _kind(kind)
    if k.subject == "partnership":
        p = areas.match_partnership(name)
        return Job(kind, areas.partnership_table().set_index("partnership").loc[p, "slug"], p)
    if k.subject == "period_group":
        g = areas.match_period_group(name)
        return Job(kind, g, g)
    return Job(kind, k.slug)


def plan() -> list[Job]:
    """Every notebook of the review, in the review's order."""
    return [job_for(k.name, s) for k in KINDS.values() for s in k.subjects()]


def order_key(kind: str, subject: str | None) -> tuple:
    """Sort key of a notebook: the review's order (national, groups, partnerships in Appendix 4 order, statements)."""
    names = list(KINDS)
    if kind not in KINDS:
        return (len(names), 0)
    within = KINDS[kind].subjects()
    return (names.index(kind), within.index(subject) if subject in within else 0)
