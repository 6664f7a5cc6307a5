"""What the notebooks show: the inputs of each notebook kind, computed once, and the object notebooks call.

A notebook (``notebooks/<kind>.ipynb``) opens a :class:`Report` from its parameters and shows
its tables and figures by name; nothing else happens in the notebook. The numbers come from
:class:`Results`, which computes each model-based frame once, lazily:

- run on its own (in JupyterLab, or ``review run``), a notebook computes only what it shows;
- ``review build`` computes a :class:`Results` once for all 37 notebooks, writes each notebook's
  slice (:func:`inputs_for`) to a file and passes its path as the ``inputs`` parameter. A
  notebook's cache key includes its slice's hash, so a data change re-runs exactly the
  notebooks whose inputs it changes. The file is only a cache: re-run elsewhere (nbval on a clean
  checkout) or after the data or code changed, the notebook computes its inputs itself.

Tables a notebook shows are written to ``<output_dir>/tables/<name>.csv`` and figures to
``<output_dir>/figures/<name>.{png,svg,csv,txt}`` when ``output_dir`` is set (the build sets it).
"""

from __future__ import annotations

import hashlib
import io
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import areas, indicators, scale

__all__ = ["KINDS", "basis_label", "Results", "inputs_for", "inputs_digest", "Report", "open_report"]

#: Notebook kinds, in build order: name -> the parameter naming the subject (None: one notebook).
KINDS: dict[str, str | None] = {"review": None, "period_group": "period_group", "partnership": "partnership",
                                "statements": None}


def basis_label(grades_path: str | Path | None) -> str:
    """The data basis stated on every output: 'public record' or 'complete grade table <file name>'."""
    return f"complete grade table {Path(grades_path).name}" if grades_path else "public record"


class Results:
    """Every frame the notebooks show, for one data basis, each computed on first use.

    ``grades``: path of a complete grade table, or empty/None for the public record;
    ``data_dir``: the data package (default ``data/``; tests pass a copy).
    """

    def __init__(self, grades: str | Path | None = None, data_dir: str | Path | None = None):
        self.grades_path = str(grades) if grades else ""
        self.data_dir = data_dir

    # -- the data and the model --------------------------------------------------------------------------
    @cached_property
    def record(self):
        from .load import load_record

        return load_record(self.data_dir)

    @cached_property
    def grades(self) -> pd.DataFrame | None:
        from .load import load_grades

        return load_grades(self.grades_path) if self.grades_path else None

    @cached_property
    def model(self):
        from .record import RecordModel

        if self.grades is not None:
            return RecordModel.from_grades(self.grades)
        return RecordModel.from_record(self.record)

    @cached_property
    def basis(self) -> str:
        return basis_label(self.grades_path)

    # -- frames ----------------------------------------------------------------------------------------------
    @cached_property
    def possible(self) -> pd.DataFrame:
        from . import summaries

        return summaries.partnership_grades(self.model, self.record, grades=self.grades)

    @cached_property
    def distribution(self) -> pd.DataFrame:
        from . import summaries

        return summaries.grade_distribution(self.model)

    @cached_property
    def good_or_better(self) -> pd.DataFrame:
        from . import summaries

        return summaries.good_or_better(self.model)

    @cached_property
    def medians(self) -> pd.DataFrame:
        from . import summaries

        return summaries.median_grade(self.model)

    @cached_property
    def all_good_or_better(self) -> pd.DataFrame:
        from . import summaries

        return summaries.all_good_or_better(self.model)

    @cached_property
    def trend_bounds(self) -> dict[str, pd.DataFrame]:
        from . import trend_bounds

        return trend_bounds.trend_bounds(self.model)

    @cached_property
    def trend_tests(self) -> pd.DataFrame:
        """The tests of one table: only with a complete grade table (empty under the record)."""
        from . import trends

        if self.grades is not None:
            return trends.trend_tests(self.grades)
        return pd.DataFrame(columns=trends.TREND_TEST_COLUMNS)

    @cached_property
    def statements(self) -> pd.DataFrame:
        from .statements import evaluate_statements

        return evaluate_statements(self.record, self.model)

    @cached_property
    def claims(self) -> pd.DataFrame:
        from .claims import evaluate_claims

        return evaluate_claims(self.record, self.model)

    @cached_property
    def trend_summary(self) -> pd.DataFrame:
        from .claims import trend_summary

        return trend_summary(self.trend_bounds["bounds"], self.claims)

    @cached_property
    def reconciliation(self) -> pd.DataFrame:
        """A complete grade table against the public record (empty under the record itself)."""
        from .statements import RECONCILE_COLUMNS, reconcile

        if self.grades is None:
            return pd.DataFrame(columns=RECONCILE_COLUMNS)
        return reconcile(self.record, self.grades)

    @cached_property
    def conflicts(self) -> pd.DataFrame:
        from .statements import conflicts_table

        return conflicts_table(self.model)

    def profile(self, partnership: str, medians: pd.DataFrame | None = None) -> pd.DataFrame:
        from . import summaries

        return summaries.partnership_profile(self.model, partnership, medians)


def _schedule() -> pd.DataFrame:
    table = areas.partnership_table()
    return pd.DataFrame({"period_group": table["period_group"], "partnership": table["partnership"],
                         "slug": table["slug"], "aliases": table["aliases"].map(", ".join)})


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Tuples joined with '|' so a frame writes to CSV as it displays."""
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, tuple)).any():
            frame[c] = frame[c].map(lambda v: "|".join(v) if isinstance(v, tuple) else v)
    return frame


def inputs_for(kind: str, subject: str | None, results: Results) -> dict:
    """The frames (and texts) one notebook shows, keyed by name. ``subject`` is the canonical
    partnership or period-group id for those kinds, None otherwise."""
    r = results
    out = {"kind": kind, "subject": subject, "basis": r.basis}
    if kind == "review":
        out |= {
            "grade_scale": scale.grade_table()[["value", "grade", "descriptor", "good_or_better"]],
            "indicators": indicators.indicator_table()[["indicator", "title", "framework_area"]],
            "schedule": _schedule(),
            "grade_distribution": r.distribution,
            "good_or_better": r.good_or_better,
            "median_grade": r.medians,
            "possible_grades": _flat(r.possible),
            "all_good_or_better": r.all_good_or_better,
            "trend_summary": r.trend_summary,
            "trend_bounds": r.trend_bounds["bounds"],
            "trend_linear_bounds": r.trend_bounds["linear"],
            "trend_witnesses": r.trend_bounds["witnesses"],
            "trend_tests": r.trend_tests,
            "staff_survey": r.record.staff_survey,
            "case_records": r.record.case_records,
            "headline_counts": r.record.headline_counts,
        }
    elif kind == "period_group":
        scopes = [subject] + [g for g in areas.PERIOD_GROUPS if g != subject] + ["all"]
        members = areas.members(subject)
        out |= {
            "label": areas.period_group_label(subject),
            "scopes": scopes,
            "members": _schedule().query("period_group == @subject").reset_index(drop=True),
            "grade_distribution": r.distribution[r.distribution["scope"].isin(scopes)].reset_index(drop=True),
            "good_or_better": r.good_or_better[r.good_or_better["scope"].isin(scopes)].reset_index(drop=True),
            "median_grade": r.medians[r.medians["scope"].isin(scopes)].reset_index(drop=True),
            "possible_grades": _flat(r.possible[r.possible["partnership"].isin(members)].reset_index(drop=True)),
        }
    elif kind == "partnership":
        group = areas.period_group_of()[subject]
        medians = r.medians[r.medians["scope"].isin(["all", group])]
        rec = r.record
        counts = rec.area_counts[rec.area_counts["partnership"] == subject].reset_index(drop=True)
        out |= {
            "partnership": subject,
            "period_group": group,
            "slug": areas.partnership_table().set_index("partnership").loc[subject, "slug"],
            "grades": _flat(r.possible[r.possible["partnership"] == subject].reset_index(drop=True)),
            # the record's published counts; with a complete table the grades themselves are shown instead
            "grade_counts": _flat(counts if r.grades is None else counts.iloc[0:0]),
            "profile": r.profile(subject, medians),
        }
    elif kind == "statements":
        out |= {"statements": r.statements, "conflicts": r.conflicts, "claims": r.claims,
                "reconciliation": r.reconciliation}
    else:
        raise ValueError(f"unknown notebook kind {kind!r}; known: {', '.join(KINDS)}")
    return out


def inputs_digest(inputs: dict) -> str:
    """SHA-256 of a notebook's inputs, from their CSV text (stable across runs and machines)."""
    h = hashlib.sha256()
    for key in sorted(inputs):
        value = inputs[key]
        h.update(key.encode())
        if isinstance(value, pd.DataFrame):
            buf = io.StringIO()
            _flat(value).to_csv(buf, index=False, lineterminator="\n")
            h.update(buf.getvalue().encode())
        else:
            h.update(repr(value).encode())
    return h.hexdigest()


class ShownFigure:
    """A figure as a notebook cell shows it: the PNG, and its alt text as the plain-text form (what
    nbval compares) and as image metadata (what :func:`analysis.execute.export_html` puts in ``alt``)."""

    def __init__(self, png: bytes, alt: str):
        self.png, self.alt = png, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        return ({"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.alt},
                {"image/png": {"alt": self.alt}})


class Report:
    """One notebook's view: its inputs, and helpers that show a table or figure and write it out."""

    def __init__(self, inputs: dict, output_dir: str | Path | None = None):
        self.inputs = inputs
        self.output_dir = Path(output_dir) if output_dir else None

    @property
    def basis(self) -> str:
        return self.inputs["basis"]

    def __getitem__(self, name: str):
        return self.inputs[name]

    def table(self, name: str, columns: list[str] | None = None, if_empty: str = ""):
        """The named table (optionally some columns), written to ``tables/<name>.csv`` if output_dir is set.
        An empty table with ``if_empty`` shows that text instead and writes nothing."""
        frame = _flat(self.inputs[name])
        if columns:
            frame = frame[columns]
        if frame.empty and if_empty:
            return self.markdown(if_empty)
        if self.output_dir is not None:
            path = self.output_dir / "tables"
            path.mkdir(parents=True, exist_ok=True)
            tmp = path / f".{name}.csv.tmp"
            from .precision import write_csv

            write_csv(frame, tmp)
            tmp.replace(path / f"{name}.csv")
        return frame

    def figure(self, name: str) -> "ShownFigure":
        """Draw the named figure, write it (PNG, SVG, data CSV, alt text) if output_dir is set, and
        return it for display: the PNG with its alt text (the page's ``alt`` attribute)."""
        from . import figures

        i, basis = self.inputs, self.basis
        if name == "grade_bars":
            ax = figures.grade_bars(i["grade_distribution"], scopes=i.get("scopes"), basis=basis)
        elif name == "grade_bars_national":
            ax = figures.grade_bars(i["grade_distribution"], scopes=["all"], basis=basis)
        elif name == "good_or_better":
            ax = figures.good_or_better_plot(i["good_or_better"], scopes=i.get("scopes"), basis=basis)
        elif name == "grade_grid":
            ax = figures.grade_grid(i["possible_grades"], basis=basis)
        elif name == "profile":
            ax = figures.profile_plot(i["profile"], basis=basis)
        elif name == "trend":
            ax = figures.trend_plot(i["trend_bounds"], basis=basis)
        elif name == "staff_survey":
            ax = figures.staff_survey_plot(i["staff_survey"])
        elif name == "case_records":
            ax = figures.case_records_plot(i["case_records"])
        else:
            raise ValueError(f"unknown figure {name!r}")
        if self.output_dir is not None:
            figures.save(ax, name.replace("_", "-"), self.output_dir / "figures", close=False)
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        with plt.rc_context(figures.RC):
            ax.figure.savefig(buf, format="png", metadata={"Software": None})
        plt.close(ax.figure)  # shown once, as this cell's result
        return ShownFigure(buf.getvalue(), figures.drawn(ax).alt)

    def markdown(self, text: str):
        """Text for a Markdown display; values from data are escaped."""
        from IPython.display import Markdown

        return Markdown(text)

    # -- texts built from the inputs (escaped: names and quotes come from data) ----------------------------
    def summary(self):
        """:meth:`summary_text` as Markdown, for a notebook cell to show."""
        return self.markdown(self.summary_text())

    def summary_text(self) -> str:
        """One paragraph on what the data fixes for this notebook's subject."""
        i = self.inputs
        basis = escape_markdown(self.basis)
        if i["kind"] == "partnership":
            g = i["grades"]
            fixed = int((g["n_possible"] == 1).sum())
            name = escape_markdown(i["partnership"])
            if fixed == len(g):
                text = f"**{name}**: all {len(g)} grades are known (data basis: {basis})."
            elif fixed == 0:
                text = (f"**{name}**: no grade of {name} is fixed by the {basis}; the tables below show "
                        f"the range of grades each indicator can still take.")
            else:
                text = (f"**{name}**: {fixed} of {len(g)} grades are fixed by the {basis}; the other "
                        f"{len(g) - fixed} are open, shown with the grades they can still take.")
            return text + f" Period group: {escape_markdown(i['period_group'])}."
        if i["kind"] == "period_group":
            return (f"**{escape_markdown(i['label'])}**: {len(i['members'])} partnerships. Data basis: {basis}.")
        return f"Data basis: {basis}."


def escape_markdown(text) -> str:
    """``text`` (a name or file name from data or a user) as literal Markdown: HTML escaped, and every
    character Markdown or JupyterLab's maths (``$``) would read as markup escaped with a backslash."""
    import html
    import re

    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~$])", r"\\\1", html.escape(str(text), quote=False))


def _cached_inputs(path: str | Path, grades: str) -> tuple[dict | None, str | None]:
    """The inputs ``review build`` wrote to ``path``, if they are still what the data and code give.

    The file is a cache: it is used only while its source key (data files, grade table, ``analysis``
    code; :func:`analysis.provenance.source_key`) is unchanged. Missing or stale, None: the caller
    computes the inputs from the data, which gives the same frames a fresh build would.
    Returns (inputs or None, the data folder the build used, if it still exists).
    """
    import warnings

    from . import cache
    from .provenance import source_key

    try:
        cached = cache.read(path)  # JSON: reading it runs no code
    except FileNotFoundError:
        return None, None
    except (cache.CacheError, OSError) as exc:
        warnings.warn(f"{exc}; discarded: the inputs are computed from the data instead", stacklevel=3)
        return None, None
    data_dir = cached.get("data_dir")
    if data_dir and not Path(data_dir).is_dir():
        return None, None
    if cached.get("source_key") != source_key(data_dir, grades or None):
        return None, data_dir
    return cached["inputs"], data_dir


def open_report(kind: str, subject: str = "", grades: str = "", inputs: str = "", output_dir: str = "") -> Report:
    """What a notebook calls first: its parameters in, a :class:`Report` out.

    ``subject`` is matched through the aliases (an unknown name raises with the closest matches).
    ``inputs`` is the file ``review build`` wrote for this notebook, used while it matches the data
    and code; empty, missing or stale, the inputs are computed here from ``data/`` (and ``grades``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notebook kind {kind!r}; known: {', '.join(KINDS)}")
    if kind == "partnership":
        subject = areas.match_partnership(subject)
    elif kind == "period_group":
        subject = areas.match_period_group(subject)
    else:
        subject = None
    data, data_dir = _cached_inputs(inputs, grades) if inputs else (None, None)
    if data is not None and (data.get("kind") != kind or data.get("subject") != subject):
        raise ValueError(f"inputs file {inputs} is for {data.get('kind')} {data.get('subject')}, not {kind} {subject}")
    if data is None:
        data = inputs_for(kind, subject, Results(grades, data_dir))
    # fixed display options: pandas otherwise sizes plain-text tables to the terminal the kernel was
    # started from, so the same notebook would show differently under papermill and nbval
    pd.set_option("display.width", 120, "display.max_columns", 40, "display.max_colwidth", 60,
                  "display.max_rows", 300)
    return Report(data, output_dir)
