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
import os
import re
from functools import cached_property
from pathlib import Path

import pandas as pd

from analysis.domain import areas, indicators, scale
from analysis.errors import UsageError
from analysis.publish import present, tables
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
    ``.cache/results`` of the default output folder for this data basis; a folder elsewhere than
    ``.cache/results`` of an output folder ``review build`` made is read only, and said so); ``data_dir``: the data
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
        #: whether the results cache is that of an output folder ``review build`` made (``<folder>/.cache/results``,
        #: the folder holding its manifest): only there may a notebook that writes outputs add entries
        self.cache_in_build_folder = _is_build_folder(self.cache_dir.resolve().parent.parent)
        if cache and not self.cache_in_build_folder:  # named by hand (papermill -p cache): said, never written
            print(f"Results are read from the cache in {self.cache_dir.resolve()}, read-only (it is not in an output "
                  "folder `review build` made): an entry is used only if it is the one its file name says and its "
                  "value matches the digest written with it; anything else is computed here")
        #: run from a template by hand (JupyterLab, a script): no output folder and no cache named by a build
        self.by_hand = self.output_dir is None and not cache
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
        # so a re-run of a published notebook (nbval, JupyterLab) writes nothing into reports/, and a cache
        # named by hand elsewhere is never written
        writable = self.output_dir is not None and self.cache_in_build_folder
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
              inline: bool = True, detail=None):
        """Show ``frame`` (optionally some columns) for a reader, with its caption, and write it to
        ``tables/<name>.csv`` if output_dir is set. ``inline=False`` shows only its caption and a link
        to the CSV (for long tables). An empty frame with ``if_empty`` shows that text instead and
        writes nothing. ``detail`` is what the table's view may read beside it to explain its rows
        (results of the same model, never written to the CSV); by default, with ``columns``, the frame
        before they were selected. A long table of a template run by hand (JupyterLab) is shown too, folded
        under its caption."""
        from analysis.files import atomic_path
        from analysis.publish.precision import write_csv

        full = _flat(frame)
        frame = full[columns] if columns else full
        if frame.empty and if_empty:
            return self.markdown(if_empty)
        if self.output_dir is not None:
            with atomic_path(self.output_dir / "tables" / f"{name}.csv") as tmp:
                write_csv(frame, tmp)
        if detail is None and columns:
            detail = full
        shown = tables.spec(name).show(frame, csv=self.csv_link(name), inline=inline, detail=detail)
        if not inline and self.by_hand:  # a template run by hand: the long table itself, folded under its caption
            shown.collapsed = present.people_frame(frame)  # (not in a re-run of a built notebook: nbval compares it)
        return shown

    def place(self, what: str) -> str:
        """This notebook's ``tables`` or ``figures`` folder, relative to the notebook's (and its page's) folder.

        In a build (``output_dir`` set) that is where the page will be; run by hand (JupyterLab, a script) it
        is the folder ``review build`` wrote them to (the output folder of this data basis, the one holding
        the results cache), as seen from where the kernel runs, so a link opens the file there.

        Examples
        --------
        >>> from analysis import config
        >>> ReviewPage(None).place("tables") == os.path.relpath(config.REPORTS_DIR / "tables")
        True
        """
        return self.site(self.job.place(what))

    def site(self, path: str) -> str:
        """A file of the output folder (``path`` relative to it), as this page links it: from the page's folder
        in a build, from where the kernel runs when the notebook is run by hand (:meth:`place`)."""
        if self.output_dir is not None:
            return self.job.from_notebook(path)
        return Path(os.path.relpath(self.published_dir / path)).as_posix()

    @property
    def published_dir(self) -> Path:
        """The output folder whose tables and figures a notebook run by hand links: the one holding its results
        cache (``<folder>/.cache/results``)."""
        return self.cache_dir.parent.parent

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
        return self.markdown(f"[Open the chart full size]({place}/{stem}.svg) (SVG: it can be zoomed on a small "
                             f"screen) · Figure data: [{stem}.csv]({place}/{stem}.csv) (the numbers drawn) · "
                             f"[long description]({place}/{stem}-description.txt)")

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
        c = tables.domain_counts()
        lines = [f"# {escape_markdown(self.title())}", "",
                 f"Data basis: **{escape_markdown(self.basis)}**. The Care Inspectorate's review of its "
                 f"{c['partnerships']} joint inspections of services for children and young people, 2012-2017, one "
                 f"in each community planning partnership (CPP), each grading {c['indicators_word']} quality "
                 f"indicators (QIs). Terms are explained in the [glossary]({self.glossary()}).", "",
                 HEADLINE_FINDINGS, ""]
        lines += [f"- {text}" for text in self.findings()]
        return self.markdown("\n".join(lines))

    def findings(self) -> list[str]:
        """A few findings in plain language, generated from this page's results (Markdown-escaped)."""
        raise NotImplementedError

    def glossary(self, term: str = "") -> str:
        """Where the glossary (or one term of it, :mod:`analysis.publish.glossary`) is, relative to the page.

        Examples
        --------
        >>> ReviewPage(None).glossary("witness").endswith("quality.html#term-witness")
        True
        """
        from analysis.publish.glossary import anchor

        return f"{self.site('quality.html')}#{anchor(term) if term else 'terms'}"

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
                   f"at least {int(best['min'])} of {n_scope} on {e(present_indicator(best['indicator']))}, the "
                   f"highest lower bound of any indicator; at most {int(worst['max'])} of {n_scope} on "
                   f"{e(present_indicator(worst['indicator']))}, the lowest upper bound.")
        return out

    def _contradicted_findings(self, stated: pd.DataFrame, read: pd.DataFrame, good: pd.DataFrame | None = None,
                               counted: bool = True) -> list[str]:
        """Findings naming every statement and reading of a conclusion the data contradicts, each with its
        indicator's number and title (Markdown-escaped); ``good`` (:func:`analysis.stats.summaries.good_or_better`)
        adds the counts that contradict a reading of "the most" or "the strongest"."""
        e = escape_markdown
        basis = "complete table" if self.model.of_grade_table else "record"
        s_names = present._statement_names(stated) if "statement_id" in stated else {}
        c_names = present._claim_names(read) if "claim_id" in read else {}
        bad_s = stated[stated["verdict"] == "contradicted"]
        bad_c = read[read["verdict"] == "contradicted"]
        out = []
        if len(bad_s):
            items = []
            for r in bad_s.itertuples():
                aside = (" (one of the rows of the record that cannot all be true; it is set aside)"
                         if str(r.set_aside) == "True" else "")
                reading = present.plain_reading(r.reading, s_names).rstrip(".")
                items.append(f"on {e(present_indicator(r.indicator))}, {e(reading)}{aside}")
            head = (f"The {basis} contradicts {len(bad_s)} of the review's {len(stated)} statements: " if counted else
                    f"The contradicted statement{'s' if len(bad_s) > 1 else ''}: ")
            out.append(head + "; ".join(items) + ".")
        if len(bad_c):
            items = []
            for ind, rows in bad_c.groupby("indicator", sort=False):
                readings, said = [], set()
                for r in rows.itertuples():
                    why = _why_contradicted(r, good)
                    readings.append(e(present.plain_reading(r.reading, c_names).rstrip(".")) + ("" if why in said
                                                                                                 else why))
                    said.add(why)
                items.append(f"on {e(present_indicator(ind))}, " + "; ".join(readings))
            head = (f"The {basis} contradicts {len(bad_c)} of the {len(read)} readings of the review's conclusions: "
                    if counted else f"The contradicted reading{'s' if len(bad_c) > 1 else ''} of its conclusions: ")
            out.append(head + "; ".join(items) + ".")
        if not out and counted:
            out.append(f"The {basis} contradicts none of the review's {len(stated)} statements and none of the "
                       f"{len(read)} readings of its conclusions.")
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
            "coverage. Every number in the record carries its source and the words quoted; the tables name "
            "their sources under them.", "",
            f"**Data basis: {escape_markdown(self.basis)}.** " + (
                "Every grade comes from the complete grade table supplied; every figure is exact." if complete else
                f"The official {c['partnerships']} × {c['indicators']} grade table is not published. The public "
                "record fixes some grades and counts; a range (\"12 to 18\") is the smallest and largest value "
                f"over **every** grade table [consistent]({self.glossary('consistent-table')}) with the whole "
                "record, found exactly (by integer programming), not an estimate. A single value is fixed by the "
                "record."), "",
            f"**Methods.** The {c['partnerships']} partnerships are all of them (a [census]({self.glossary('census')})"
            "): a share good or better is the share of all of them, with no sampling error. Its 95% Wilson "
            f"[interval]({self.glossary('interval')}) answers another question: treating each group's inspections "
            "as draws from an underlying process of grading, how far the share could differ by chance (widened "
            "over the range where the record leaves a count open). Trends are tested with an "
            f"[exact test]({self.glossary('exact-test')}) of the [trend statistic C]"
            f"({self.glossary('trend-statistic')}) (period groups scored 1-{c['groups']}, grades "
            f"1-{c['grades']}): every way of sharing the grades among the groups is counted, so p-values are exact "
            "fractions.", "",
            "**Caveats.** The period groups are different partnerships inspected at different times; "
            f"{c['indicators_word']} indicators are tested; groups of {c['smallest_group']} to "
            f"{c['largest_group']} partnerships detect only large differences. Where the record contradicts "
            f"itself, the statement involved is [set aside]({self.glossary('set-aside')}) and reported.", "",
            f"**Version and checking.** Built by the cpp-inspections-review package, version {__version__}"
            + (f", released {long_date(__released__)}. " if __released__ else ", a development version (not a "
               "release). ") +
            "The package can rebuild every output and compare it with the published one; each table's columns "
            f"are described in the [data dictionary]({self.site('tables/datapackage.json')}), and the "
            f"[manifest]({self.site('manifest.json')}) records every output's SHA-256, the data "
            "files' hashes, the code and the environment.", "",
            f"**More.** [Quality and methods]({self.site('quality.html')}): what these statistics are, "
            "their strengths and limitations and how to reproduce them. "
            f"[Revisions and corrections]({self.site('revisions.html')}): every release and what "
            "changed in it. "
            f"[Accessibility statement]({self.site('accessibility.html')}).",
        ]
        return self.markdown("\n".join(lines))




def present_indicator(code) -> str:
    """An indicator's number and title, as findings name it."""
    from analysis.publish.present import indicator_name

    return indicator_name(code)


def _why_contradicted(reading, good: pd.DataFrame | None) -> str:
    """For a reading that an indicator has the most (or among the most) areas graded good or better: the
    counts over all partnerships that rule it out, from ``good`` (:func:`analysis.stats.summaries.good_or_better`).
    "" for any other reading, or without ``good``."""
    if good is None or reading.measure != "good_or_better_count" or reading.relation not in ("highest", "top"):
        return ""
    every = good[good["scope"] == "all"].set_index(good.loc[good["scope"] == "all", "indicator"].astype(str))
    mine = str(reading.indicator)
    if mine not in every.index:
        return ""
    most = int(every.loc[mine, "max"])
    above = every[every["min"] > most]
    if not len(above):
        return ""
    n = int(every.loc[mine, "n_partnerships"])
    higher = ", ".join(f"at least {int(r['min'])} on {escape_markdown(present_indicator(i))}"
                       for i, r in above.iterrows())
    return f" — at most {most} of {n} are good or better on {escape_markdown(mine)}; {higher}"


class ReviewPage(Page):
    """The national review."""

    kind = "review"

    def title(self) -> str:
        return "Joint inspections of services for children and young people in Scotland, 2012-2017: the national review"

    def findings(self) -> list[str]:
        from analysis.publish import present
        from analysis.stats import claims, statements, summaries, trend_bounds, trends

        m = self.model
        out = self._coverage(summaries.partnership_grades(m, self.record),
                             summaries.good_or_better(m), "all")
        bounds = trend_bounds.trend_bounds(m)
        b = bounds["bounds"]
        decided = [r for r in b.itertuples() if r.verdict != "possible"]
        one_sided = {(str(r.indicator), r.direction): r.p_one_sided
                     for r in trends.witness_one_sided(bounds).itertuples()}
        for r in decided:
            word = {"impossible": "ruled out", "forced": "forced"}[r.verdict]
            side = one_sided.get((str(r.indicator), r.direction))
            out.append(f"A statistically significant {r.direction}ward trend in "
                       f"{escape_markdown(present_indicator(r.indicator))} across the "
                       f"{tables.domain_counts()['groups_word']} period groups is **{word}** by the record: two-sided "
                       f"exact p-values from {present.format_p(r.p_min)} to {present.format_p(r.p_max)} over every "
                       f"consistent table trending {r.direction}ward"
                       + (f" (the one-sided p-value of the table giving {present.format_p(r.p_min)} is "
                          f"{present.format_p(side)})." if side is not None else "."))
        out.append(f"Every other indicator and direction ({len(b) - len(decided)} of {len(b)}): a significant "
                   f"trend is possible but not forced. The groups are different partnerships inspected at "
                   f"different times, so a trend describes these inspections, not a change in services.")
        out += self._contradicted_findings(statements.evaluate_statements(self.record, m),
                                           claims.evaluate_claims(self.record, m), summaries.good_or_better(m))
        out += self._settle_findings()
        return out

    def contradicted(self, stated: pd.DataFrame, read: pd.DataFrame, good: pd.DataFrame | None = None):
        """The section on what the data contradicts: every statement and reading of a conclusion the record (or
        the complete table) rules out, with its indicator, the review's words and the reading, and a link to
        the statements page, where each is shown with the rows that decide it.

        Parameters
        ----------
        stated : pandas.DataFrame
            :func:`analysis.stats.statements.evaluate_statements` of this page's record and model.
        read : pandas.DataFrame
            :func:`analysis.stats.claims.evaluate_claims` of this page's record and model.
        good : pandas.DataFrame, optional
            :func:`analysis.stats.summaries.good_or_better` of this page's model: the counts that rule out a
            reading of "the most" or "the strongest".

        Returns
        -------
        IPython.display.Markdown
        """
        from analysis.report.kinds import job_for

        e = escape_markdown
        lines = self._contradicted_findings(stated, read, good)
        lines = [f"- {text}" for text in lines]
        quotes = []
        for r in pd.concat([stated[stated["verdict"] == "contradicted"], read[read["verdict"] == "contradicted"]]
                           ).drop_duplicates("quote").itertuples():
            quotes.append(f"- “{e(r.quote)}” ({e(present_indicator(r.indicator))})")
        link = self.site(job_for("statements").html_path)
        text = "\n".join(lines)
        if quotes:
            text += "\n\nThe review's words:\n\n" + "\n".join(quotes)
        text += (f"\n\nThe [statements page]({link}) shows each with the rows of the record that decide it and "
                 "how many of them would have to be wrong to overturn it.")
        return self.markdown(text)

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
            "Do later inspections grade an indicator higher (an *upward* trend) or lower (*downward*)? The "
            f"measure is the [trend statistic C]({self.glossary('trend-statistic')}): period groups scored "
            f"{', '.join(str(k) for k in range(1, len(groups) + 1))} ({', '.join(groups)}) and grades 1 "
            f"({c['worst']}) to {c['grades']} ({c['best']}); C above 0 is an upward trend. Its test is "
            f"[exact]({self.glossary('exact-test')}): every one of the {ways:,} ways to share the "
            f"{c['partnerships']} partnerships' grades among groups of {listed(sizes)} is counted, nothing is "
            f"sampled, and the [p-value]({self.glossary('p-value')}) is two-sided.\n\n"
            "**Under the public record** no single grade table is known, so the p-value is bounded over "
            f"**every** {c['partnerships']} × {c['indicators']} table [consistent]"
            f"({self.glossary('consistent-table')}) with the record, nothing sampled. Per indicator and "
            "direction, the table below gives the smallest p-value any consistent table trending that way gives, "
            "and the largest (1 when some consistent table shows no trend that way); a [witness]"
            f"({self.glossary('witness')}) table reaching each is in the downloads. At the 5% level a "
            "significant trend that way is then *forced* (every consistent table shows one), *possible*, or "
            "*ruled out* (none does). The search is exact: every combination of grade counts the record allows "
            "is bounded, and solved in full whenever its bound could beat the best table found. **With a "
            "complete grade table** the smallest and largest are the same: that table's own p-value.")

    def trend_caveats(self, design: list | None = None):
        """How to read the trend tests: what the groups are, multiple tests, one-sided and two-sided p-values,
        and the design's power (``design``: estimates of :func:`analysis.stats.power.trend_power`, each said
        with its Monte Carlo error)."""
        c = tables.domain_counts()
        text = (
            f"**Read with care.** The {c['groups_word']} groups are different partnerships inspected at different "
            "times, not a random allocation of areas, so a trend describes these inspections and is not evidence "
            f"that services changed. {c['indicators_word'].capitalize()} indicators are tested, so one or two "
            f"small p-values would be expected by chance ([Holm-adjusted]({self.glossary('holm')}) p-values are "
            "given with a complete table).\n\n"
            f"**Two-sided and one-sided.** The verdicts above are on the two-sided [p-value]"
            f"({self.glossary('p-value')}) of the tables trending the way named. Beside the smallest is the "
            "one-sided p-value, in the same direction, of the table that gives it (that table's, not a bound over "
            "every consistent table): about half as large. A reader who had predicted the direction beforehand "
            "might use it; at 5% it can call a trend significant where the two-sided p-value is up to about 0.10.")
        if design:
            d = design[0]
            estimates = (f"a rise of {_grades_words(d['shift'])} in mean grade from the first group to the last is "
                         f"found (two-sided, {100 * d['alpha']:g}%) in about {100 * d['power']:.0f}% of tables (± "
                         f"{100 * d['mc_se']:.1f} percentage points, the Monte Carlo standard error)")
            estimates += "".join(f"; a rise of {_grades_words(x['shift'])}, in about {100 * x['power']:.0f}% (± "
                                 f"{100 * x['mc_se']:.1f})" for x in design[1:])
            sizes = str(d["sizes"]).split("/")
            sizes = ", ".join(sizes[:-1]) + " and " + sizes[-1] if len(sizes) > 1 else sizes[0]
            text += (f"\n\n**Power.** With groups of {sizes} partnerships, {estimates}. "
                     f"These are estimates by a seeded simulation of {int(d['n_sims']):,} tables per shift, not exact "
                     f"values: grades drawn around a first-group mean of {d['base']:g} with a spread of "
                     f"{d['spread']:g} grade within a group, rounded onto the scale, and tested as above. Only large "
                     "shifts can be detected; a p-value above 0.05 is not evidence of no change.")
        else:
            text += (f"\n\nWith {c['smallest_group']} to {c['largest_group']} areas per group, only large shifts "
                     "can be detected; a p-value above 0.05 is not evidence of no change.")
        return self.markdown(text)


def _grades_words(shift: float) -> str:
    """A shift in grades in words: "one grade", "half a grade", "1.5 grades"."""
    return {1.0: "one grade", 0.5: "half a grade", 2.0: "two grades"}.get(float(shift), f"{shift:g} grades")


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
        from analysis.stats import statements, summaries

        e = escape_markdown
        m, p = self.model, self.subject
        g = _flat(summaries.partnership_grades(m, self.record, p))
        fixed, total = int((g["n_possible"] == 1).sum()), len(g)
        out = []
        known = [f"{r.indicator} {r.grade}" for r in g.itertuples() if "|" not in str(r.possible)]
        open_ = [r for r in g.itertuples() if "|" in str(r.possible)]
        conflicted = statements.conflicts_of(m, p)
        in_conflict = set(conflicted.loc[conflicted["mine"].astype(bool), "indicator"]) - {""}
        note = (f" ({'one of them' if len(in_conflict) == 1 else 'some of them'} in a conflict of the record, "
                "below)" if in_conflict else "")
        if fixed == total:
            out.append(f"All {total} grades are known{note}: {e(', '.join(known))}.")
        elif fixed == 0:
            out.append(
                f"None of the {total} grades is fixed by the {e(self.basis)}; each indicator's range of "
                f"possible grades is shown below."
            )
        else:
            out.append(f"{fixed} of the {total} grades are fixed by the {e(self.basis)}{note}: {e(', '.join(known))}.")
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
        out += self._conflict_findings()
        counts = _flat(summaries.published_counts(m, self.record, p))
        if len(counts):
            from analysis.domain.sources import source_name

            view, _ = tables.TABLES["grade_counts"].view(counts)
            out.append(f"Published grade counts for the partnership: {e(view.iloc[0, 0])} (source: "
                       f"{e(source_name(counts['source_id'].iloc[0]))}).")
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


    def _conflict_findings(self) -> list[str]:
        """Where one of the partnership's rows (a grade, its grade counts) is in one of the record's
        conflicts: which row, what it conflicts with, and what is set aside."""
        from analysis.stats import statements

        e = escape_markdown
        found = statements.conflicts_of(self.model, self.subject)
        out = []
        for _, rows in found.groupby("conflict", sort=True):
            aside = rows["set_aside"].astype(str) == "True"
            mine = rows[rows["mine"].astype(bool)]
            others = rows[~rows["mine"].astype(bool) & ~aside]
            words = []
            for r in mine.itertuples():
                grade = re.search(r" is (.+) \((\w+)\)$", str(r.label))
                if r.kind == "cell" and grade:
                    words.append(f"Its grade on {e(present_indicator(r.indicator))} ({e(grade.group(1))}, "
                                 f"{e(grade.group(2))})")
                else:
                    words.append(f"The row giving its published grade counts "
                                 f"({e(str(r.label).split(': ', 1)[-1])})")
            parts = [e(x) for x in others["label"]]
            statement = rows[aside & (rows["kind"] == "statement")]
            parts += [f"the review's statement “{e(str(q).rstrip('.'))}”" for q in statement["quote"]]
            text = (" and ".join(words) + f" {'is' if len(words) == 1 else 'are'} one of {len(rows)} rows of the "
                    "record that cannot all be true together" + (": with " + "; and ".join(parts) if parts else ""))
            if len(statement):
                text += (". The statement is set aside (reported as contradicted on the statements page, used "
                         "nowhere else); the grades and counts stay in use")
            elif aside.any():
                text += "; all of them are set aside, so none is used"
            out.append(text + ".")
        return out


class StatementsPage(Page):
    """The review's statements and conclusions, checked against the record."""

    kind = "statements"

    def title(self) -> str:
        return "The review's statements and conclusions, checked against the record"

    def findings(self) -> list[str]:
        from analysis.stats import claims, statements

        out = []
        stated = statements.evaluate_statements(self.record, self.model)
        read = claims.evaluate_claims(self.record, self.model)
        for what, frame in (("statements", stated), ("readings of its conclusions", read)):
            c = frame["verdict"].value_counts()
            out.append(
                f"Of the review's {len(frame)} {what}, the record confirms {int(c.get('confirmed', 0))}, "
                f"leaves {int(c.get('possible', 0))} possible and contradicts {int(c.get('contradicted', 0))}."
            )
        conflicts = statements.conflicts_table(self.model)
        n_conf = conflicts["conflict"].nunique() if len(conflicts) else 0
        if n_conf:
            aside = conflicts[conflicts["set_aside"].astype(str) == "True"]
            sets = "one set" if n_conf == 1 else f"{n_conf} sets"
            out.append(
                f"The record itself holds {sets} of rows that cannot all be true together (see Conflicts in the "
                f"record); {'the statement' if len(aside) == 1 else f'the {len(aside)} statements'} of the review "
                f"among them {'is' if len(aside) == 1 else 'are'} set aside: reported as contradicted and used "
                "nowhere else."
            )
        out += self._contradicted_findings(stated, read, counted=False)
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

        def _about(r):
            about = present._about_words(r.about, r.kind).rstrip(".")
            ind = getattr(r, "indicator", "")
            return f"{present_indicator(ind)}: {about}" if ind and r.kind == "claim" else about

        def _head(r):
            return f"{e(_about(r))} ({ {'impossible': 'ruled out'}.get(r.verdict, r.verdict)})"

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
                lines.append(f"- {_head(r)}: {lead}{e(r.rows)}, from {source(r.sources)}.")
            else:
                lines.append(f"- {_head(r)}: rests on one source, {source(r.source_ids)} "
                             f"({int(r.rows_wrong)} of its rows would have to be wrong).")
        rest = verdicts[~one_source]
        for r in rest.itertuples():
            if pd.notna(r.rows_wrong):
                lines.append(f"- {_head(r)}: {int(r.rows_wrong)} rows from {int(r.sources_wrong)} "
                             "sources would have to be wrong.")
            elif r.kind == "trend":
                lines.append(f"- {_head(r)}: no single wrong row or source would overturn it.")
            else:
                lines.append(f"- {_head(r)}: no rows of the record could overturn it.")
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
