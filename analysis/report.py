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


#: Captions of the tables notebooks show (what each is; the page says the data basis once, at the top).
CAPTIONS = {
    "grade_scale": "The six-point grade scale, best first", "indicators": "The nine quality indicators",
    "schedule": "The 32 partnerships by period group, in the order of Appendix 4",
    "grade_distribution": "Partnerships per grade, by quality indicator and scope",
    "good_or_better": "Partnerships graded good or better, by quality indicator and scope",
    "median_grade": "Median grade (the lower median), by quality indicator and scope",
    "possible_grades": "Every partnership's grades: fixed, or the grades each can still take",
    "staff_survey": "Staff survey: positive responses by period group, as stated in the review",
    "case_records": "Case records: proportions as the review words them, and the range each wording allows",
    "headline_counts": "The review's headline counts",
    "all_good_or_better": "Partnerships graded good or better on every indicator",
    "trend_summary": "Trends across the period groups: what the record allows, beside the review's words",
    "trend_bounds": "Exact p-values of a trend: smallest and largest over every consistent table",
    "trend_linear_bounds": "Mean grades by period group: smallest and largest over every consistent table",
    "trend_witnesses": "Witness tables: the 32 grades of a consistent table attaining each bound",
    "trend_tests": "Trend tests of the complete grade table", "members": "The group's partnerships",
    "grades": "The nine grades, with how each is known", "grade_counts": "Grade counts published for this partnership",
    "profile": "Grades against the national and group median grades",
    "statements": "The review's statements about evaluations, checked against the record",
    "conflicts": "Rows of the record that cannot all be true",
    "claims": "The review's conclusions: each fair reading, checked against the record",
    "reconciliation": "Where the complete grade table disagrees with the public record",
}


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

    def table(self, name: str, columns: list[str] | None = None, if_empty: str = "", inline: bool = True):
        """Show the named table (optionally some columns) for a reader, and write it to
        ``tables/<name>.csv`` if output_dir is set. ``inline=False`` shows only its caption and a
        link to the CSV (for long tables). An empty table with ``if_empty`` shows that text instead
        and writes nothing. The frame itself is ``r[name]``."""
        from . import present

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
        return present.show(name, frame, CAPTIONS.get(name, name.replace("_", " ").capitalize()),
                            csv=self.csv_link(name), inline=inline)

    def place(self, what: str) -> str:
        """This notebook's ``tables`` or ``figures`` folder, relative to the notebook's (and its
        page's) folder: the build's :meth:`analysis.build.Job.place`."""
        from .build import job_for

        return f"../../{job_for(self.inputs['kind'], self.inputs['subject']).place(what)}"

    def csv_link(self, name: str) -> str:
        """Where table ``name``'s CSV is, relative to the notebook's (and its page's) folder."""
        return f"{self.place('tables')}/{name}.csv"

    def grid(self):
        """The partnership x indicator grid as a table for reading (the CSV is ``possible_grades``)."""
        from . import present

        frame = present.grid_frame(self.inputs["possible_grades"])
        caption = ("Grades by partnership and quality indicator. E Excellent, VG Very good, G Good, A Adequate, "
                   "W Weak, U Unsatisfactory; a range such as G–VG: not fixed by the record, it can take any grade "
                   "in that range it allows; *: derived from other sources")
        return present.Shown(caption, frame, self.csv_link("possible_grades"), len(self.inputs["possible_grades"]))

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
        plt.close(ax.figure)  # shown once, as this cell's output
        from IPython.display import display

        display(ShownFigure(buf.getvalue(), figures.drawn(ax).alt))
        stem = name.replace("_", "-")
        place = self.place("figures")
        return self.markdown(f"Figure data: [{stem}.csv]({place}/{stem}.csv) (the numbers drawn) · "
                             f"[long description]({place}/{stem}-description.txt) · [SVG]({place}/{stem}.svg)")

    def markdown(self, text: str):
        """Text for a Markdown display; values from data are escaped."""
        from IPython.display import Markdown

        return Markdown(text)

    # -- texts built from the inputs (escaped: names and quotes come from data) ----------------------------
    def title(self) -> str:
        """The page's title, naming its subject."""
        i = self.inputs
        if i["kind"] == "partnership":
            return (f"{i['partnership']}: joint inspection of services for children and young people "
                    f"({areas.period_group_label(i['period_group'])} group)")
        if i["kind"] == "period_group":
            return f"{i['label']} group: joint inspections of services for children and young people"
        if i["kind"] == "statements":
            return "The review's statements and conclusions, checked against the record"
        return "Joint inspections of services for children and young people in Scotland, 2012-2017: the national review"

    def headline(self):
        """The page's heading and its headline findings, as Markdown."""
        lines = [f"# {escape_markdown(self.title())}", "",
                 f"Data basis: **{escape_markdown(self.basis)}**. Review of the Care Inspectorate's joint "
                 f"inspections, 2012-2017.", "", "**Headline findings**", ""]
        lines += [f"- {text}" for text in self.findings()]
        return self.markdown("\n".join(lines))

    def findings(self) -> list[str]:
        """A few findings in plain language, generated from this notebook's results (Markdown-escaped)."""
        i = self.inputs
        e = escape_markdown
        out = []
        if i["kind"] in ("review", "period_group", "partnership"):
            g = i["possible_grades"] if i["kind"] != "partnership" else i["grades"]
            fixed, total = int((g["n_possible"] == 1).sum()), len(g)
        if i["kind"] == "partnership":
            known = [f"{r.indicator} {r.grade}" for r in g.itertuples() if "|" not in str(r.possible)]
            open_ = [r for r in g.itertuples() if "|" in str(r.possible)]
            if fixed == total:
                out.append(f"All {total} grades are known: {e(', '.join(known))}.")
            elif fixed == 0:
                out.append(f"None of the {total} grades is fixed by the {e(self.basis)}; each indicator's range of "
                           f"possible grades is shown below.")
            else:
                out.append(f"{fixed} of the {total} grades are fixed by the {e(self.basis)}: {e(', '.join(known))}.")
            if open_:
                ranges = sorted({str(r.possible).replace("|", " or ") for r in open_})
                out.append(f"The other {len(open_)} are open: " + e("; ".join(
                    f"{', '.join(str(r.indicator) for r in open_ if str(r.possible).replace('|', ' or ') == rng)}: "
                    f"{rng}" for rng in ranges)) + ".")
            counts = i["grade_counts"]
            if len(counts):
                from . import present

                view = present.VIEWS["grade_counts"](counts)
                out.append(f"Published grade counts for the partnership: {e(view.iloc[0, 0])} "
                           f"(source: {e(view.iloc[0, 1])}).")
            prof = i["profile"]
            above = [str(r.indicator) for r in prof.itertuples() if r.vs_national_median == "above"]
            below = [str(r.indicator) for r in prof.itertuples() if r.vs_national_median == "below"]
            if above or below:
                out.append("Against the national median grade: " + "; ".join(
                    f"{word} on {', '.join(inds)}" for word, inds in (("above", above), ("below", below)) if inds) + ".")
            return out
        if i["kind"] in ("review", "period_group"):
            n = total // 9
            nothing = int((g.groupby("partnership")["n_possible"].min() > 1).sum())
            out.append(f"The {e(self.basis)} fixes {fixed} of the {total} grades ({n} partnerships × 9 indicators); "
                       f"the other {total - fixed} are open, each with the grades it can still take. "
                       f"{nothing} of the {n} partnerships have no grade fixed at all.")
            gob = i["good_or_better"]
            scope = "all" if i["kind"] == "review" else i["subject"]
            part = gob[gob["scope"] == scope]
            best = part.loc[part["min"].idxmax()]
            worst = part.loc[part["max"].idxmin()]
            n_scope = int(best["n_partnerships"])
            out.append(f"Graded good or better, {'across all 32 partnerships' if scope == 'all' else 'in this group'}: "
                       f"at least {int(best['min'])} of {n_scope} on QI {best['indicator']}, the highest lower bound "
                       f"of any indicator; at most {int(worst['max'])} of {n_scope} on QI {worst['indicator']}, the "
                       f"lowest upper bound.")
        if i["kind"] == "review":
            from . import present

            b = i["trend_bounds"]
            decided = [r for r in b.itertuples() if r.verdict != "possible"]
            for r in decided:
                word = {"impossible": "ruled out", "forced": "forced"}[r.verdict]
                out.append(f"A statistically significant {r.direction}ward trend in QI {r.indicator} across the "
                           f"three period groups is **{word}** by the record (exact p-values from "
                           f"{present.format_p(r.p_min)} to {present.format_p(r.p_max)} over every consistent table).")
            out.append(f"Every other indicator and direction ({len(b) - len(decided)} of {len(b)}): a significant "
                       f"trend is possible but not forced. The groups are different partnerships inspected at "
                       f"different times, so a trend describes these inspections, not a change in services.")
        if i["kind"] == "statements":
            for what, frame in (("statements", i["statements"]), ("readings of its conclusions", i["claims"])):
                c = frame["verdict"].value_counts()
                out.append(f"Of the review's {len(frame)} {what}, the record confirms {int(c.get('confirmed', 0))}, "
                           f"leaves {int(c.get('possible', 0))} possible and contradicts {int(c.get('contradicted', 0))}.")
            n_conf = i["conflicts"]["conflict"].nunique() if len(i["conflicts"]) else 0
            if n_conf:
                aside = i["conflicts"].loc[i["conflicts"]["set_aside"].astype(str) == "True", "label"].unique()
                sets = "one minimal set" if n_conf == 1 else f"{n_conf} minimal sets"
                out.append(f"The record itself holds {sets} of rows that cannot all be true; "
                           f"{'the statement' if len(aside) == 1 else f'{len(aside)} statements'} among them "
                           f"{'is' if len(aside) == 1 else 'are'} set aside (reported as contradicted): "
                           f"{e('; '.join(aside))}.")
        return out

    def about(self):
        """The "About these statistics" section: sources, basis, method, caveats, version, checking."""
        from . import __version__

        complete = self.basis != "public record"
        lines = [
            "## About these statistics", "",
            "**Sources.** The Care Inspectorate's review of the joint inspections of services for children and "
            "young people (2012-2017), its 2014-16 overview, and published inspection reports and press "
            "coverage. Every number in the data carries its source and quote (`data/record/sources.csv`, "
            "described in `data/README.md`).", "",
            f"**Data basis: {escape_markdown(self.basis)}.** " + (
                "Every grade comes from the complete grade table supplied; every figure is exact." if complete else
                "The official 32 × 9 grade table is not published. The public record fixes some grades and "
                "counts; a range (\"12 to 18\") is the smallest and largest value over **every** grade table "
                "consistent with the whole record, found by integer programming, not an estimate. A single "
                "value is fixed by the record."), "",
            "**Methods.** Shares good or better carry 95% Wilson intervals (widened over the range where the "
            "record leaves a count open). Trends are tested with the exact linear-by-linear association test "
            "(period groups scored 1-3, grades 1-6), every allocation counted, so p-values are exact fractions.", "",
            "**Caveats.** The period groups are different partnerships inspected at different times; nine "
            "indicators are tested; groups of 9 to 12 partnerships detect only large differences. Where the "
            "record contradicts itself, the statement involved is set aside and reported.", "",
            f"**Version and checking.** Built by the `cpp-inspections-review` package, version {__version__}. "
            "`review check` rebuilds every output and compares it with the published one; each table's "
            "columns are described in `tables/datapackage.json`, and `manifest.json` records every output's "
            "SHA-256, the data files' hashes, the code and the environment.",
        ]
        return self.markdown("\n".join(lines))


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
