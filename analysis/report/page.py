"""What the notebooks show: a page object per notebook kind, opened from the notebook's parameters.

A notebook (``notebooks/<kind>.ipynb``) opens its page with :func:`open_report` and then calls the
library by name, cell by cell (``summaries.grade_distribution(model)``,
``figures.grade_bars(distribution, basis=r.basis)``); the page only shows what a cell made, for a
reader, and writes it out:

- :meth:`Page.table` shows a frame as a table for people (:mod:`analysis.publish.present`) and writes
  ``<output_dir>/tables/<name>.csv``; :meth:`Page.figure` shows an Axes (PNG with its alt text) and
  writes ``<output_dir>/figures/<name>.{png,svg,csv,txt}``; both write only when ``output_dir`` is
  set (the build sets it);
- :meth:`Page.headline` and :meth:`Page.about` are the page's opening and closing text.

The page's ``model`` carries the results cache (:class:`analysis.record.cache.ResultsCache`) of the
output folder (``reports/.cache/results`` unless ``cache`` names another), so the expensive calls a
notebook makes are read from what ``review build`` computed, while the data, grade table and code are
those it computed them from. What a notebook shows is listed once, by its template's cells: the build
reads their calls into the domain and statistics layers (:mod:`analysis.report.shown`) and makes them
first (filling the cache), and a notebook's cache key includes their digest, so a data change re-runs
exactly the notebooks whose results it changes.
"""

from __future__ import annotations

import io
import re
from functools import cached_property
from pathlib import Path

import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.errors import UsageError
from analysis.publish import tables
from analysis.report.kinds import KINDS, job_for

__all__ = ["Page", "open_report", "PAGES", "escape_markdown", "headline_findings"]

#: The line above the headline findings in a page's headline (:meth:`Page.headline`).
HEADLINE_FINDINGS = "**Headline findings**"


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Tuples joined with '|' so a frame writes to CSV as it displays."""
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, tuple)).any():
            frame[c] = frame[c].map(lambda v: "|".join(v) if isinstance(v, tuple) else v)
    return frame



class ShownFigure:
    """A figure as a notebook cell shows it: the PNG, and its alt text as the plain-text form (what
    nbval compares) and as image metadata (what :func:`analysis.pipeline.execute.export_html` puts in ``alt``),
    with the address of its SVG beside the page (``svg``, relative to the page) when it was written: the
    page shows the SVG, the PNG being its fallback."""

    def __init__(self, png: bytes, alt: str, svg: str = ""):
        self.png, self.alt, self.svg = png, alt, svg

    def __repr__(self) -> str:  # outside a notebook (a script, the console): the alt text, not an address
        return f"[figure] {self.alt}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        return ({"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.alt},
                {"image/png": {"alt": self.alt, **({"svg": self.svg} if self.svg else {})}})


class Page:
    """One notebook's page: its data basis, its model with the results cache, and helpers that show
    a table or figure for a reader and write it out. Open one with :func:`open_report`.

    ``subject``: canonical partnership name or period-group id (None for a kind with one notebook);
    ``grades``: a complete grade table (its path, or a :class:`analysis.domain.load.GradeTable`
    already read), empty for the public record; ``output_dir``: where
    tables and figures are written (empty: shown only); ``cache``: the results cache folder (empty:
    ``.cache/results`` of the default output folder for this data basis); ``data_dir``: the data
    package (empty: ``data/`` of the checkout); ``assume``: a CSV of hypothetical facts added to the
    public record for this page only (:func:`analysis.domain.load.load_record`), never written.
    """

    kind = ""

    def __init__(self, subject: str | None = None, grades=None, output_dir: str = "", cache: str = "",
                 data_dir: str = "", assume: str = ""):
        from analysis.config import default_out_dir
        from analysis.domain.load import GradeTable, read_grade_table
        from analysis.domain.package import use

        use(data_dir or None)  # the domain and the record from the one data package named
        self.subject = subject
        #: the complete grade table, read and validated once (None: the public record)
        self.grades_file = (None if grades is None or isinstance(grades, str) and not grades
                            else grades if isinstance(grades, GradeTable) else read_grade_table(grades))
        self.output_dir = Path(output_dir) if output_dir else None
        if self.output_dir is not None:
            _check_output_dir(self.output_dir, data_dir)
        path = self.grades_file.path if self.grades_file else None
        self.cache_dir = Path(cache) if cache else default_out_dir(path) / ".cache" / "results"
        self.data_dir = str(data_dir) if data_dir else None
        self.assume = str(assume) if assume else None
        if self.assume and self.grades_file is not None:
            raise UsageError("assumed facts join the public record: give either a complete grade table or "
                             "facts to assume, not both")
        self.job = job_for(self.kind, subject)

    # -- the data and the model --------------------------------------------------------------------------
    @cached_property
    def record(self):
        """The public record (every table, typed and checked) from the data folder."""
        from analysis.domain.load import load_record

        return load_record(self.data_dir, assume=self.assume)

    @property
    def grade_table(self) -> pd.DataFrame | None:
        """The complete grade table's frame, or None on the public record."""
        return self.grades_file.frame if self.grades_file else None

    @cached_property
    def model(self):
        """Every 32 x 9 grade table consistent with the data (one, with a complete table), carrying the
        results cache: a ``@cached`` library function called with it reads its result from there."""
        from analysis.domain.load import data_file_hashes
        from analysis.fingerprints import code_digest
        from analysis.record.cache import ResultsCache, source_key_of
        from analysis.record.model import RecordModel

        if self.grades_file is not None:
            model = RecordModel.from_grades(self.grades_file.frame, basis=self.basis)
        else:
            model = RecordModel.from_record(self.record)
            model.basis = self.basis
        # entries are written only by a notebook that writes outputs (output_dir set: the build's kernels),
        # and only into an output folder this package made (one with its manifest); otherwise read only,
        # so a re-run of a published notebook (nbval, JupyterLab) writes nothing into reports/
        writable = self.output_dir is not None and (self.cache_dir.parent.parent / "manifest.json").is_file()
        hashes = self.record.files if self.assume else data_file_hashes(self.data_dir)  # the facts assumed too
        key = source_key_of(hashes, self.grades_file.sha256 if self.grades_file else None, code_digest())
        model.cache = ResultsCache(self.cache_dir, key, writable)
        return model

    @property
    def basis(self) -> str:
        """The data basis in words (the model's: ``page.basis == page.model.basis``)."""
        from analysis.domain.load import basis_of

        basis = basis_of(self.grades_file)
        return f"{basis} with the facts assumed in {Path(self.assume).name}" if self.assume else basis

    # -- showing and writing -------------------------------------------------------------------------------
    def table(self, frame: pd.DataFrame, name: str, columns: list[str] | None = None, if_empty: str = "",
              inline: bool = True):
        """Show ``frame`` (optionally some columns) for a reader, with its caption, and write it to
        ``tables/<name>.csv`` if output_dir is set. ``inline=False`` shows only its caption and a link
        to the CSV (for long tables). An empty frame with ``if_empty`` shows that text instead and
        writes nothing."""
        from analysis.files import atomic_path
        from analysis.publish.precision import write_csv

        frame = _flat(frame)
        if columns:
            frame = frame[columns]
        if frame.empty and if_empty:
            return self.markdown(if_empty)
        if self.output_dir is not None:
            with atomic_path(self.output_dir / "tables" / f"{name}.csv") as tmp:
                write_csv(frame, tmp)
        return tables.spec(name).show(frame, csv=self.csv_link(name), inline=inline)

    def place(self, what: str) -> str:
        """This notebook's ``tables`` or ``figures`` folder, relative to the notebook's (and its page's) folder."""
        return self.job.from_notebook(self.job.place(what))

    def csv_link(self, name: str) -> str:
        """Where table ``name``'s CSV is, relative to the notebook's (and its page's) folder."""
        return f"{self.place('tables')}/{name}.csv"

    def grid(self, possible: pd.DataFrame):
        """The partnership x indicator grid of ``possible`` (:func:`analysis.stats.summaries.partnership_grades`)
        as a table for reading; its CSV is ``possible_grades``."""
        from analysis.publish import present

        short = scale.abbreviations_of()
        best = scale.grades()[::-1]
        example = f"{short[best[2]]}–{short[best[1]]}" if len(best) > 2 else f"{short[best[1]]}–{short[best[0]]}"
        caption = ("Grades by partnership and quality indicator. " + ", ".join(f"{short[g]} {g}" for g in best)
                   + f"; a range such as {example}: not fixed by the record, it can take any grade "
                   "in that range it allows; *: derived from other sources")
        return present.Shown(caption, present.grid_frame(_flat(possible)), self.csv_link("possible_grades"),
                             len(possible))

    def figure(self, ax, name: str):
        """Show the figure drawn on ``ax`` (PNG, with its alt text as the page's ``alt``), write it as
        ``figures/<name>`` (PNG, SVG, the data drawn as CSV, alt text, long description) if output_dir
        is set, and link its data under it."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from analysis.publish import figures

        stem = name.replace("_", "-")
        if self.output_dir is not None:
            figures.save(ax, stem, self.output_dir / "figures", close=False)
        buf = io.BytesIO()
        with plt.rc_context(figures.RC):
            ax.figure.savefig(buf, format="png", metadata={"Software": None})
        plt.close(ax.figure)  # shown once, as this cell's output
        place = self.place("figures")
        display(ShownFigure(buf.getvalue(), figures.drawn(ax).alt,
                            f"{place}/{stem}.svg" if self.output_dir is not None else ""))
        return self.markdown(f"Figure data: [{stem}.csv]({place}/{stem}.csv) (the numbers drawn) · "
                             f"[long description]({place}/{stem}-description.txt) · [SVG]({place}/{stem}.svg)")

    def markdown(self, text: str):
        """Text for a Markdown display; values from data are escaped by the caller."""
        from IPython.display import Markdown

        return Markdown(text)

    # -- texts built from the results (escaped: names and quotes come from data) ----------------------------
    def title(self) -> str:
        """The page's title, naming its subject."""
        raise NotImplementedError

    def headline(self):
        """The page's heading and its headline findings, as Markdown."""
        lines = [f"# {escape_markdown(self.title())}", "",
                 f"Data basis: **{escape_markdown(self.basis)}**. Review of the Care Inspectorate's joint "
                 f"inspections, 2012-2017.", "", HEADLINE_FINDINGS, ""]
        lines += [f"- {text}" for text in self.findings()]
        return self.markdown("\n".join(lines))

    def findings(self) -> list[str]:
        """A few findings in plain language, generated from this page's results (Markdown-escaped)."""
        raise NotImplementedError

    def _coverage(self, possible: pd.DataFrame, good_or_better: pd.DataFrame, scope: str) -> list[str]:
        """Findings of the national and period-group pages: how much the data fixes, and good or better."""
        e = escape_markdown
        fixed, total = int((possible["n_possible"] == 1).sum()), len(possible)
        n = total // len(indicators.INDICATORS)
        nothing = int((possible.groupby("partnership", observed=True)["n_possible"].min() > 1).sum())
        out = [f"The {e(self.basis)} fixes {fixed} of the {total} grades ({n} partnerships × "
               f"{len(indicators.INDICATORS)} indicators); "
               f"the other {total - fixed} are open, each with the grades it can still take. "
               f"{nothing} of the {n} partnerships have no grade fixed at all."]
        part = good_or_better[good_or_better["scope"] == scope]
        best = part.loc[part["min"].idxmax()]
        worst = part.loc[part["max"].idxmin()]
        n_scope = int(best["n_partnerships"])
        where = f"across all {n} partnerships" if scope == "all" else "in this group"
        out.append(f"Graded good or better, {where}: "
                   f"at least {int(best['min'])} of {n_scope} on QI {best['indicator']}, the highest lower bound "
                   f"of any indicator; at most {int(worst['max'])} of {n_scope} on QI {worst['indicator']}, the "
                   f"lowest upper bound.")
        return out

    def about(self):
        """The "About these statistics" section: sources, basis, method, caveats, version, checking."""
        from analysis import __released__, __version__
        from analysis.publish.present import long_date

        complete = self.grade_table is not None
        c = tables.domain_counts()
        lines = [
            "## About these statistics", "",
            "**Sources.** The Care Inspectorate's review of the joint inspections of services for children and "
            "young people (2012-2017), its 2014-16 overview, and published inspection reports and press "
            "coverage. Every number in the data carries its source and quote (`data/record/sources.csv`, "
            "described in `data/README.md`).", "",
            f"**Data basis: {escape_markdown(self.basis)}.** " + (
                "Every grade comes from the complete grade table supplied; every figure is exact." if complete else
                f"The official {c['partnerships']} × {c['indicators']} grade table is not published. The public "
                "record fixes some grades and counts; a range (\"12 to 18\") is the smallest and largest value "
                "over **every** grade table consistent with the whole record, found by integer programming, not an "
                "estimate. A single value is fixed by the record."), "",
            "**Methods.** Shares good or better carry 95% Wilson intervals (widened over the range where the "
            "record leaves a count open). Trends are tested with the exact linear-by-linear association test "
            f"(period groups scored 1-{c['groups']}, grades 1-{c['grades']}), every allocation counted, so p-values "
            "are exact fractions.", "",
            "**Caveats.** The period groups are different partnerships inspected at different times; "
            f"{c['indicators_word']} "
            f"indicators are tested; groups of {c['smallest_group']} to {c['largest_group']} partnerships detect "
            "only large differences. Where the "
            "record contradicts itself, the statement involved is set aside and reported.", "",
            f"**Version and checking.** Built by the `cpp-inspections-review` package, version {__version__}"
            + (f", released {long_date(__released__)}. " if __released__ else ", a development version (not a "
               "release). ") +
            "`review check` rebuilds every output and compares it with the published one; each table's "
            "columns are described in `tables/datapackage.json`, and `manifest.json` records every output's "
            "SHA-256, the data files' hashes, the code and the environment.", "",
            f"**More.** [Quality and methods]({self.job.from_notebook('quality.html')}): what these statistics are, "
            "their strengths and limitations and how to reproduce them. "
            f"[Revisions and corrections]({self.job.from_notebook('revisions.html')}): every release and what "
            "changed in it. "
            f"[Accessibility statement]({self.job.from_notebook('accessibility.html')}).",
        ]
        return self.markdown("\n".join(lines))




class ReviewPage(Page):
    """The national review."""

    kind = "review"

    def title(self) -> str:
        return "Joint inspections of services for children and young people in Scotland, 2012-2017: the national review"

    def findings(self) -> list[str]:
        from analysis.publish import present
        from analysis.stats import summaries, trend_bounds

        m = self.model
        out = self._coverage(summaries.partnership_grades(m, self.record),
                             summaries.good_or_better(m), "all")
        b = trend_bounds.trend_bounds(m)["bounds"]
        decided = [r for r in b.itertuples() if r.verdict != "possible"]
        for r in decided:
            word = {"impossible": "ruled out", "forced": "forced"}[r.verdict]
            out.append(f"A statistically significant {r.direction}ward trend in QI {r.indicator} across the "
                       f"{tables.domain_counts()['groups_word']} period groups is **{word}** by the record (exact "
                       "p-values from "
                       f"{present.format_p(r.p_min)} to {present.format_p(r.p_max)} over every consistent table).")
        out.append(f"Every other indicator and direction ({len(b) - len(decided)} of {len(b)}): a significant "
                   f"trend is possible but not forced. The groups are different partnerships inspected at "
                   f"different times, so a trend describes these inspections, not a change in services.")
        out += self._settle_findings()
        return out

    def _settle_findings(self) -> list[str]:
        from analysis.stats import settle

        found = settle.what_would_settle(self.record, self.model)
        head = found["headline"]
        if not len(head):
            return []
        rows = found["settles"]
        verdicts = rows[rows["kind"] != "cell"]
        alone = verdicts.loc[verdicts["method"] == "one report", "verdict_id"].nunique()
        n_open, n = int(head["n_open"].iloc[0]), int(head["n_settled"].iloc[0])
        pair = " and ".join(escape_markdown(p) for p in head["reports"].iloc[0].split("|"))
        first = (f"No single inspection report would settle any of the review's {n_open} open statements and "
                 "readings of its conclusions, whatever it says" if alone == 0 else
                 f"Single inspection reports would settle {alone} of the review's {n_open} open statements and "
                 "readings of its conclusions, whatever they say")
        where = "The section What would settle it" if self.kind == "statements" else "The statements page"
        out = [f"{first}; reading the reports of {pair} would settle {n}. {where} gives every open "
               "verdict with the reports that would settle it."]
        trends = rows[rows["kind"] == "trend"]
        if len(trends):
            undecided = trends["method"] == settle.TREND_UNDECIDED
            out.append(f"Of the {trends['verdict_id'].nunique()} open trend verdicts (a significant trend one way at "
                       "5%), " + ("no single report would settle any: for each report a pair of consistent tables "
                                  "agrees on its grades, one significant and one not." if not undecided.any() else
                                  f"{trends.loc[undecided, 'verdict_id'].nunique()} are undecided for some report; "
                                  "no single report is shown to settle any."))
        return out


    def trend_method(self):
        """The trend section's account of the test and of its bounds, for the domain in use."""
        from math import factorial, prod

        c = tables.domain_counts()
        groups = areas.PERIOD_GROUPS
        sizes = [sum(1 for g in areas.period_group_of().values() if g == group) for group in groups]
        ways = factorial(c["partnerships"]) // prod(factorial(n) for n in sizes)

        def listed(words):
            words = [str(w) for w in words]
            return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)

        return self.markdown(
            "Do later inspections grade an indicator higher (an *upward* trend) or lower (*downward*)? The test "
            "is the **linear-by-linear association test**: period groups scored "
            f"{', '.join(str(k) for k in range(1, len(groups) + 1))} ({', '.join(groups)}), grades 1 "
            f"({c['worst']}) to {c['grades']} ({c['best']}), statistic C = sum (group score - its mean) x grade; "
            "C > 0 is an upward trend. Its p-value is **exact**: every one of the "
            f"{ways:,} ways to allocate the {c['partnerships']} areas to groups of {listed(sizes)} is counted (by "
            "dynamic programming, conditional on the grades given), nothing is sampled, and it is two-sided.\n\n"
            "**Under the public record** no single grade table is known, so the p-value is bounded over "
            f"**every** {c['partnerships']} x {c['indicators']} table consistent with the record (nothing "
            "sampled). Per indicator and direction, the table gives the smallest p-value any consistent table "
            "gives for a trend that way and the largest (1 when some consistent table shows no trend that way), "
            "each attained by a witness table (linked below). The verdict at the 5% level is *forced* (every "
            "consistent table shows a significant trend that way), *possible* or *impossible* (none does). The "
            "search is exact: every feasible grade-count margin is bounded, and a margin is solved exactly "
            "whenever its bound could beat the best table found (the method is in the package's docs/methods.md). "
            "**With a complete grade table** the smallest and largest are the same: that table's own p-value.")

    def trend_caveats(self):
        """How to read the trend tests: what the groups are, multiple tests, power."""
        c = tables.domain_counts()
        return self.markdown(
            f"**Read with care.** The {c['groups_word']} groups are different partnerships inspected at different "
            "times, not a random allocation of areas, so a trend describes these inspections and is not evidence "
            f"that services changed. {c['indicators_word'].capitalize()} indicators are tested, so one or two "
            "small p-values would be expected by chance (Holm-adjusted p-values are given with a complete table). "
            f"With {c['smallest_group']} to {c['largest_group']} areas per group, only large shifts can be "
            "detected; a p-value above 0.05 is not evidence of no change.")


class PeriodGroupPage(Page):
    """One period group against the others."""

    kind = "period_group"

    @property
    def scopes(self) -> list[str]:
        """The scopes its figures show, in order: this group, the other groups, all 32."""
        return [self.subject] + [g for g in areas.PERIOD_GROUPS if g != self.subject] + ["all"]

    def title(self) -> str:
        return (f"{areas.period_group_label(self.subject)} group: joint inspections of services for children "
                "and young people")

    def findings(self) -> list[str]:
        from analysis.stats import summaries

        m = self.model
        return self._coverage(
            summaries.partnership_grades(m, self.record, period_group=self.subject),
            summaries.good_or_better(m),
            self.subject,
        )


class PartnershipPage(Page):
    """One partnership's inspection."""

    kind = "partnership"

    def title(self) -> str:
        return (
            f"{self.subject}: joint inspection of services for children and young people "
            f"({areas.period_group_label(areas.period_group_of()[self.subject])} group)"
        )

    def findings(self) -> list[str]:

        from analysis.stats import summaries

        e = escape_markdown
        m, p = self.model, self.subject
        g = _flat(summaries.partnership_grades(m, self.record, p))
        fixed, total = int((g["n_possible"] == 1).sum()), len(g)
        out = []
        known = [f"{r.indicator} {r.grade}" for r in g.itertuples() if "|" not in str(r.possible)]
        open_ = [r for r in g.itertuples() if "|" in str(r.possible)]
        if fixed == total:
            out.append(f"All {total} grades are known: {e(', '.join(known))}.")
        elif fixed == 0:
            out.append(
                f"None of the {total} grades is fixed by the {e(self.basis)}; each indicator's range of "
                f"possible grades is shown below."
            )
        else:
            out.append(f"{fixed} of the {total} grades are fixed by the {e(self.basis)}: {e(', '.join(known))}.")
        if open_:
            ranges = sorted({str(r.possible).replace("|", " or ") for r in open_})
            out.append(
                f"The other {len(open_)} are open: "
                + e(
                    "; ".join(
                        f"{', '.join(str(r.indicator) for r in open_ if str(r.possible).replace('|', ' or ') == rng)}: "
                        f"{rng}"
                        for rng in ranges
                    )
                )
                + "."
            )
        counts = _flat(summaries.published_counts(m, self.record, p))
        if len(counts):
            view = tables.TABLES["grade_counts"].view(counts)
            out.append(
                f"Published grade counts for the partnership: {e(view.iloc[0, 0])} (source: {e(view.iloc[0, 1])})."
            )
        prof = summaries.partnership_profile(m, p)
        above = [str(r.indicator) for r in prof.itertuples() if r.vs_national_median == "above"]
        below = [str(r.indicator) for r in prof.itertuples() if r.vs_national_median == "below"]
        if above or below:
            out.append(
                "Against the national median grade: "
                + "; ".join(
                    f"{word} on {', '.join(inds)}" for word, inds in (("above", above), ("below", below)) if inds
                )
                + "."
            )
        return out


class StatementsPage(Page):
    """The review's statements and conclusions, checked against the record."""

    kind = "statements"

    def title(self) -> str:
        return "The review's statements and conclusions, checked against the record"

    def findings(self) -> list[str]:
        from analysis.stats import claims, statements

        e = escape_markdown
        out = []
        for what, frame in (("statements", statements.evaluate_statements(self.record, self.model)),
                            ("readings of its conclusions", claims.evaluate_claims(self.record, self.model))):
            c = frame["verdict"].value_counts()
            out.append(
                f"Of the review's {len(frame)} {what}, the record confirms {int(c.get('confirmed', 0))}, "
                f"leaves {int(c.get('possible', 0))} possible and contradicts {int(c.get('contradicted', 0))}."
            )
        conflicts = statements.conflicts_table(self.model)
        n_conf = conflicts["conflict"].nunique() if len(conflicts) else 0
        if n_conf:
            aside = conflicts.loc[conflicts["set_aside"].astype(str) == "True", "label"].unique()
            sets = "one minimal set" if n_conf == 1 else f"{n_conf} minimal sets"
            out.append(
                f"The record itself holds {sets} of rows that cannot all be true; "
                f"{'the statement' if len(aside) == 1 else f'{len(aside)} statements'} among them "
                f"{'is' if len(aside) == 1 else 'are'} set aside (reported as contradicted): "
                f"{e('; '.join(aside))}."
            )
        return out + ReviewPage._settle_findings(self) + self._fragility_findings()

    def _fragility_findings(self) -> list[str]:
        from analysis.stats import fragility

        f = fragility.fragility(self.record, self.model)
        verdicts = f[f["kind"] != "cell"]
        if not len(verdicts):
            return []
        one_row = int((verdicts["rows_wrong"] == 1).sum())
        one_source = int((verdicts["sources_wrong"] == 1).sum())
        what = "cells of the table" if self.model.of_grade_table else "rows of the record"
        text = (f"Of the {len(verdicts)} statements and readings of conclusions the "
                f"{'table' if self.model.of_grade_table else 'record'} decides, {one_row} would be overturned if a "
                f"single one of its {what} were wrong")
        if not self.model.of_grade_table:
            text += f", and {one_source} rest on a single source"
        return [text + "."]

    def resting_on(self, fragile: pd.DataFrame) -> str:
        """What each decided statement and conclusion rests on, in words (Markdown): those one source decides
        first, each with the row or source it rests on.

        Parameters
        ----------
        fragile : pandas.DataFrame
            :func:`analysis.stats.fragility.fragility` of this page's record and model.

        Returns
        -------
        str
            A paragraph and a list; on a complete grade table, one sentence on how many cells each needs.

        Examples
        --------
        >>> page = StatementsPage(None)
        >>> fragile = pd.DataFrame([{"kind": "statement", "about": "2.1 Good in all >= 30", "verdict": "confirmed",
        ...                          "rows_wrong": 1, "rows": "2.1 Good in all = 30", "sources": "review-2012-17",
        ...                          "explanations": "the only smallest set", "sources_wrong": 1,
        ...                          "source_ids": "review-2012-17"}])
        >>> print(page.resting_on(fragile))  # doctest: +NORMALIZE_WHITESPACE
        1 of the 1 statements, readings of conclusions and trend verdicts the record decides rest on a single
        source: if it were wrong, the verdict could be overturned.
        - 2\\.1 Good in all &gt;= 30 (confirmed): one wrong row would overturn it: 2\\.1 Good in all = 30, from
        Care Inspectorate, *The joint strategic inspection of services for children and young people: Review of
        findings from the inspection programme 2012\\-2017*.
        """
        e = escape_markdown
        verdicts = fragile[fragile["kind"] != "cell"]
        cells = fragile[fragile["kind"] == "cell"]
        if not len(verdicts):
            return "*Nothing is decided, so nothing can be overturned.*"
        if self.model.of_grade_table:
            k = verdicts.loc[verdicts["kind"] != "trend", "rows_wrong"].dropna().astype(int)
            n_trend = int((verdicts["kind"] == "trend").sum())
            one = int((verdicts.loc[verdicts["kind"] == "trend", "rows_wrong"] == 1).sum())
            said = (f"With a complete grade table the rows are its cells: to overturn one of the "
                    f"{len(verdicts) - n_trend} decided statements and readings of conclusions, between {k.min()} and "
                    f"{k.max()} of its cells would have to be wrong." if len(k) else "")
            if n_trend:
                said += (f" Of its {n_trend} trend verdicts, {one} would be overturned by one wrong cell"
                         + ("; for the others at least 2 cells would have to be wrong." if one < n_trend else "."))
            return said.strip()
        src = self.record.sources.set_index("source_id")

        def source(sid):
            if sid not in src.index:
                return e(sid)
            return f"{e(src.loc[sid, 'publisher'])}, *{e(src.loc[sid, 'title'])}*"

        one_source = (verdicts["sources_wrong"] == 1).fillna(False).astype(bool)
        single = verdicts[one_source]
        lines = [f"{len(single)} of the {len(verdicts)} statements, readings of conclusions and trend verdicts the "
                 "record decides rest on a single source: if it were wrong, the verdict could be overturned."]
        for r in single.itertuples():
            if r.rows_wrong == 1:
                many = re.search(r"one of (at least )?(\d+)", r.explanations)
                lead = ("one wrong row would overturn it: " if many is None else
                        f"any one of {many.group(1) or ''}{many.group(2)} rows being wrong would overturn it; the "
                        "first is ")
                lines.append(f"- {e(r.about)} ({r.verdict}): {lead}{e(r.rows)}, from {source(r.sources)}.")
            else:
                lines.append(f"- {e(r.about)} ({r.verdict}): rests on one source, {source(r.source_ids)} "
                             f"({int(r.rows_wrong)} of its rows would have to be wrong).")
        rest = verdicts[~one_source]
        for r in rest.itertuples():
            if pd.notna(r.rows_wrong):
                lines.append(f"- {e(r.about)} ({r.verdict}): {int(r.rows_wrong)} rows from {int(r.sources_wrong)} "
                             "sources would have to be wrong.")
            elif r.kind == "trend":
                lines.append(f"- {e(r.about)} ({r.verdict}): no single wrong row or source would overturn it.")
            else:
                lines.append(f"- {e(r.about)} ({r.verdict}): no rows of the record could overturn it.")
        if len(cells):
            n1 = int((cells["rows_wrong"] == 1).sum())
            lines.append("")
            lines.append(f"Of the {len(cells)} grades the record fixes without a source stating them, {n1} would "
                         "change if a single row of the record were wrong.")
        return "\n".join(lines)


#: The page of each notebook kind (:data:`analysis.report.kinds.KINDS`; a test checks they agree).
PAGES: dict[str, type[Page]] = {cls.kind: cls for cls in (ReviewPage, PeriodGroupPage, PartnershipPage, StatementsPage)}


#: The folder of a build's staging: the one place inside an output folder a notebook writes into.
STAGING = ".staging"


def _check_output_dir(output_dir: Path, data_dir) -> None:
    """Where a notebook run by hand (papermill, JupyterLab) may write its tables and figures: never into a
    data package or a folder holding one, and never into an output folder ``review build`` manages (one with
    its manifest), except through that build's staging folder; said in the notebook's output otherwise."""
    from analysis import config

    out = output_dir.resolve()
    data = Path(data_dir).resolve() if data_dir else config.DATA_DIR.resolve()
    if out == data or data in out.parents or out in data.parents:
        raise UsageError(f"output_dir {output_dir}: a notebook never writes into the data package {data} or a "
                         "folder holding it; choose another folder")
    if STAGING in out.parts:  # the build's own kernels: it installs their outputs and writes the manifest
        return
    for folder in (out, *out.parents):
        if _is_build_folder(folder):
            raise UsageError(f"output_dir {output_dir} is inside {folder}, an output folder that `review build` "
                             "manages (it has its manifest): files written there by hand would not match it. Use "
                             "`review run` for one notebook, or give another folder")
    print(f"Tables and figures of this notebook are written to {out}")


def _is_build_folder(folder: Path) -> bool:
    """Does ``folder`` hold a manifest written by ``review build`` (a JSON object with its code digest)?"""
    import json

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and "analysis_code_sha256" in manifest and "outputs" in manifest


def open_report(
    kind: str, subject: str = "", grades: str = "", output_dir: str = "", cache: str = "", data: str = "",
    assume: str = "",
) -> Page:
    """What a notebook calls first: its parameters in, its :class:`Page` out.

    ``subject`` is matched through the aliases (an unknown name raises with the closest matches)
    before anything is read or written. ``cache`` is the results cache folder (``review build``
    passes its output folder's); ``data`` a data package other than ``data/`` (tests pass a copy);
    ``assume`` a CSV of hypothetical facts added to the public record for this page only.
    """
    from analysis.domain.package import use

    use(data or None)  # names are matched in the data package the notebook names
    if kind not in KINDS:
        raise UsageError(f"unknown notebook kind {kind!r}; known: {', '.join(KINDS)}")
    subject_param = KINDS[kind].subject
    if subject_param == "partnership":
        subject = areas.match_partnership(subject)
    elif subject_param == "period_group":
        subject = areas.match_period_group(subject)
    else:
        subject = None
    # fixed display options: pandas otherwise sizes plain-text tables to the terminal the kernel was
    # started from, so the same notebook would show differently under papermill and nbval
    pd.set_option("display.width", 120, "display.max_columns", 40, "display.max_colwidth", 60, "display.max_rows", 300)
    return PAGES[kind](subject, grades=grades, output_dir=output_dir, cache=cache, data_dir=data, assume=assume)


def headline_findings(markdown: str) -> list[str]:
    """The findings a page's headline shows (:meth:`Page.headline`, as an executed notebook keeps it): the
    items of the list under :data:`HEADLINE_FINDINGS`, as Markdown. A build that does not rebuild the national
    review reads the landing page's findings back from its installed notebook this way.

    Parameters
    ----------
    markdown : str
        A headline's Markdown.

    Returns
    -------
    list of str
        The findings (empty if the text has no headline findings).

    Examples
    --------
    >>> text = "# Fife\\n\\nData basis: **public record**.\\n\\n**Headline findings**\\n\\n- One *grade*.\\n- Two.\\n"
    >>> headline_findings(text)
    ['One *grade*.', 'Two.']
    >>> headline_findings("# A page without findings")
    []
    """
    lines = markdown.splitlines()
    if HEADLINE_FINDINGS not in lines:
        return []
    found = []
    for line in lines[lines.index(HEADLINE_FINDINGS) + 1:]:
        if line.startswith("- "):
            found.append(line[2:])
        elif line.strip() or found:
            break
    return found


def escape_markdown(text) -> str:
    """``text`` (a name or file name from data or a user) as literal Markdown: HTML escaped, and every
    character Markdown or JupyterLab's maths (``$``) would read as markup escaped with a backslash."""
    import html
    import re

    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~$])", r"\\\1", html.escape(str(text), quote=False))
