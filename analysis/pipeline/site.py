"""The report site's own pages: ``index.html``, the landing page (what this is, the headline findings and every
page), ``quality.html`` (quality and methods, in the form of ONS's quality and methodology information),
``accessibility.html`` (the accessibility statement) and ``revisions.html`` (every release, with what
changed in its outputs and why, from the release records of :mod:`analysis.pipeline.revisions`).

Every text that comes from data (area names, titles) is HTML-escaped; links are built from
slugs and output paths the build chose, never from what a user typed.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from analysis.publish.present import long_date
from analysis.report.kinds import KINDS, order_key

__all__ = ["write_index", "write_site", "index_html", "quality_html", "accessibility_html", "revisions_html",
           "SITE_PAGES"]

#: The pages the site writes beside the notebooks' pages, in the output folder's root.
SITE_PAGES = ("index.html", "quality.html", "accessibility.html", "revisions.html")


_STYLE = """body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:0;color:#0b0c0c;line-height:1.5;font-size:1rem}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1.25rem 3rem;box-sizing:border-box}
h1{font-size:1.9rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.35rem;margin:2rem 0 .6rem;
border-top:1px solid #b1b4b6;padding-top:1rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p.lede{font-size:1.1rem}ul{padding-left:1.25rem}li{margin:.25rem 0}a{color:#1d70b8}a:visited{color:#4c2c92}
a:focus{outline:3px solid #ffdd00;background:#ffdd00;color:#0b0c0c}
.findings{background:#f3f2f1;padding:.8rem 1.2rem;border-left:5px solid #1d70b8}
.findings ul{margin:.4rem 0}.groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:0 1.5rem}
.groups ul{list-style:none;padding:0}small{color:#505a5f}dt{font-weight:600;margin-top:.6rem}dd{margin:0 0 0 1rem}
footer{max-width:60rem;margin:0 auto;padding:0 1.25rem 2rem;box-sizing:border-box;border-top:1px solid #b1b4b6}"""


def _head(title: str) -> list[str]:
    return ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src \'self\' data:; '
            'style-src \'unsafe-inline\'; script-src \'none\'">',
            f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>", "<main>"]


def _document(title: str, body: list[str]) -> str:
    """A site page: the head (title, style, the security policy), ``body`` inside ``main``, the footer."""
    return "\n".join(_head(title) + body + ["</main>", _footer(), "</body>", "</html>", ""])


def _footer() -> str:
    return (f'<footer><p><small>{_link("index.html", "All pages")} · {_link("quality.html", "Quality and methods")}'
            f' · {_link("revisions.html", "Revisions and corrections")}'
            f' · {_link("accessibility.html", "Accessibility statement")}</small></p></footer>')


def _link(path: str, text: str) -> str:
    return f'<a href="{html.escape(quote(path))}">{html.escape(text)}</a>'


def _page(entry: dict) -> str | None:
    return next((o["path"] for o in entry.get("outputs", []) if o.get("kind") == "html"), None)


def index_html(manifest: dict, findings: list[str] | None = None) -> str:
    """The landing page for a manifest (pure: no file access). ``findings``: the national review's
    headline findings, as HTML fragments (escaped by the caller), shown when given."""
    from analysis.domain import areas

    jobs = manifest.get("jobs", {})
    by_kind: dict[str, list[dict]] = {}
    for entry in sorted(jobs.values(), key=lambda e: order_key(e.get("kind"), e.get("subject"))):
        by_kind.setdefault(entry.get("kind"), []).append(entry)
    basis = sorted({e.get("data_basis", "") for e in jobs.values() if e.get("data_basis")})
    title = "Joint inspections of services for children and young people in Scotland, 2012-2017"
    parts = [
             f"<h1>{html.escape(title)}</h1>",
             '<p class="lede">The Care Inspectorate led 32 joint inspections of services for children and young '
             "people, one in each community planning partnership, grading nine quality indicators on a six-point "
             "scale. Its five-year review compares three groups of inspections: pre-2014, 2014-16 and post-2016. "
             "These pages check the review's figures and statements against the published record.</p>",
             f"<p>Data basis: <strong>{html.escape(', '.join(basis) or 'none yet')}</strong>. The official grade "
             "table is not published: where the record does not fix a number, the pages give the smallest and "
             "largest value over every grade table consistent with it.</p>"]
    if findings:
        parts += ['<section class="findings" aria-labelledby="findings">', '<h2 id="findings" style="border:0;'
                  'margin-top:.4rem;padding-top:0">Headline findings</h2>', "<ul>"]
        parts += [f"<li>{f}</li>" for f in findings]
        parts += ["</ul>", "</section>"]
    for kind, heading, blurb in (
            ("review", KINDS["review"].heading, "Every figure and table of the review's national analysis: grades by "
                                              "indicator, good or better by period group, trends, staff survey and "
                                              "case records."),
            ("statements", KINDS["statements"].heading, "Each statement and conclusion of the review: "
                                                               "confirmed, possible or contradicted by the record.")):
        for entry in by_kind.get(kind, []):
            page = _page(entry)
            parts.append(
                f"<h2>{_link(page, heading) if page else html.escape(heading)}</h2><p>{html.escape(blurb)}</p>"
            )
    groups = by_kind.get("period_group", [])
    if groups:
        parts.append("<h2>Period groups</h2><ul>")
        for entry in groups:
            g = entry.get("subject")
            label = f"{areas.period_group_label(g)} group" if g in areas.PERIOD_GROUPS else str(g)
            n = len(areas.members(g)) if g in areas.PERIOD_GROUPS else 0
            page = _page(entry)
            parts.append(
                f"<li>{_link(page, label) if page else html.escape(label)} <small>({n} partnerships)</small></li>"
            )
        parts.append("</ul>")
    partnerships = by_kind.get("partnership", [])
    if partnerships:
        parts.append(
            "<h2>Partnerships</h2><p>Each partnership's grades, with how each is known, and its standing "
            "against the national and group medians. Grouped by period group, in the order of Appendix 4."
            '</p><div class="groups">'
        )
        of = areas.period_group_of()
        for g in list(areas.PERIOD_GROUPS) + [None]:  # None: a subject the manifest names that is not one of the 32
            members = [e for e in partnerships if of.get(e.get("subject")) == g]
            if not members:
                continue
            heading = areas.period_group_label(g) if g else "Other"
            parts.append(f"<div><h3>{html.escape(heading)}</h3><ul>")
            for entry in members:
                page = _page(entry)
                name = str(entry.get("subject"))
                parts.append(f"<li>{_link(page, name) if page else html.escape(name)}</li>")
            parts.append("</ul></div>")
        parts.append("</div>")
    sheets = ""
    if by_kind.get("review") or by_kind.get("statements"):
        from analysis.publish.spreadsheets import SPREADSHEETS

        sheets = (" The review's tables are also in one accessible spreadsheet, a table per sheet with a cover, "
                  f"contents and notes: {_link(SPREADSHEETS[0], 'OpenDocument (ODS)')} or "
                  f"{_link(SPREADSHEETS[1], 'Excel (XLSX)')}.")
    parts.append(
        "<h2>Data and checking</h2><p>Every table on these pages can be downloaded as CSV from its page; "
        f"{_link('tables/datapackage.json', 'the data dictionary')} describes every column.{sheets} "
        f"{_link('manifest.json', 'The manifest')} lists every file with its SHA-256, the data files and "
        "the software it was built with; <code>review check</code> rebuilds everything and compares. "
        f"{_link('quality.html', 'Quality and methods')} says what these statistics are, their strengths and "
        f"limitations and how to reproduce them; {_link('revisions.html', 'revisions and corrections')} lists "
        "each release and what changed in it.</p>"
    )
    return _document(title, parts)


def quality_html(manifest: dict) -> str:
    """The quality and methods page (pure), under the headings of ONS's quality and methodology information.

    Parameters
    ----------
    manifest : dict
        The build's manifest (its data basis and package version are named).

    Returns
    -------
    str
        The page, HTML.

    Examples
    --------
    >>> page = quality_html({"jobs": {}, "package_version": "0.1.0"})
    >>> "<h2>Strengths and limitations</h2>" in page and 'lang="en"' in page
    True
    """
    from analysis.publish.tables import domain_counts

    c = domain_counts()
    version = html.escape(str(manifest.get("package_version", "")))
    if version and manifest.get("release_date"):
        version += f", released {html.escape(long_date(manifest['release_date']))}"
    elif version:
        version += " (a development version, not a release)"
    basis = sorted({e.get("data_basis", "") for e in manifest.get("jobs", {}).values() if e.get("data_basis")})
    title = "Quality and methods: joint inspections of services for children and young people, 2012-2017"
    sections = [
        ("What these statistics are",
         f"<p>The Care Inspectorate led {c['partnerships']} joint inspections of services for children and young "
         f"people in Scotland between 2012 and 2017, one in each community planning partnership. Each graded "
         f"{c['indicators_word']} quality indicators on a {c['grades_word']}-point scale, from {c['best']} to "
         f"{c['worst']}. The Care Inspectorate's review of the programme compares {c['groups_word']} groups of "
         "inspections by when they took place. These pages recompute the review's figures and check its "
         "statements and conclusions against the published record.</p>"
         f"<p>Data basis of this release: <strong>{html.escape(', '.join(basis) or 'none yet')}</strong>.</p>"),
        ("Users and uses",
         "<p>Researchers checking or extending the review's analysis; analysts looking at one partnership; "
         "reviewers checking that the review's figures and statements follow from the evidence. The pages are not "
         "a new inspection and say nothing about services today.</p>"),
        ("How the statistics are produced",
         "<p>The official grade table, one grade per partnership and indicator, is not published in one place. "
         "The package works from the <strong>public record</strong>: grades stated in inspection reports, news "
         "releases and press coverage, grade counts per partnership, and the review's own counts and "
         "statements, each row with its source and the words quoted. No grade is filled in.</p>"
         "<p>Every result is computed over <strong>every</strong> grade table consistent with that record, by "
         "integer programming: a range such as “12 to 18” is the smallest and largest value any consistent "
         "table gives, and a single number is one the record fixes. A statement is <em>confirmed</em> when every "
         "consistent table satisfies it, <em>contradicted</em> when none does and <em>possible</em> otherwise. "
         "Trends are tested with the exact linear-by-linear association test, every allocation of partnerships "
         "to groups counted, and bounded over every consistent table. Where a bound is reached, a table "
         "reaching it is published as a witness. Given a complete grade table, every output is exact.</p>"),
        ("Strengths and limitations",
         "<ul><li><strong>A partial record.</strong> Most grades are not in the public record, so most results "
         "are ranges and most of the review's conclusions are <em>possible</em> rather than confirmed. The pages "
         "say which inspection reports would settle each open question and how many published facts each "
         "decided one rests on.</li>"
         "<li><strong>Readings.</strong> Where the review's words allow more than one fair reading (a mean or a "
         "share, step by step or end to end), each reading is checked separately; none is chosen to make a "
         "statement pass.</li>"
         "<li><strong>A census, not a sample.</strong> Every inspection of the programme is included; there "
         "is no sampling error. The intervals on shares describe the uncertainty of a rate, not of a "
         "survey.</li>"
         "<li><strong>Different areas at different times.</strong> The period groups are different "
         "partnerships inspected in different years, not the same areas measured twice, so a trend describes "
         "these inspections and is not evidence that services changed.</li>"
         f"<li><strong>Small groups.</strong> With {c['smallest_group']} to {c['largest_group']} partnerships per "
         "group only large differences can be detected; a p-value above 0.05 is not evidence of no change, and "
         f"{c['indicators_word']} indicators are tested.</li>"
         "<li><strong>Sources may err.</strong> A press report may misquote a grade. Where the record "
         "contradicts itself, the statement involved is set aside and reported, never silently dropped.</li>"
         "</ul>"),
        ("Comparability and coherence",
         "<p>All the inspections used the same quality indicators and grade scale, which is what lets the "
         "period groups be compared; where a source counts grades over more indicators than these, the record "
         "reads the counts accordingly (see the data log in <code>data/README.md</code>). The figures are not "
         "comparable with inspections made under later frameworks.</p>"),
        ("Timeliness",
         "<p>The inspections took place from 2012 to 2017 and the review was published in 2019. These pages are "
         "rebuilt from the record whenever it changes; each release, and what changed in it and why, is listed "
         f"on {_link('revisions.html', 'the revisions and corrections page')}.</p>"),
        ("Accessibility and clarity",
         f"<p>Every table can be downloaded as CSV, described column by column in "
         f"{_link('tables/datapackage.json', 'the data dictionary')}; every chart has alt text, a longer "
         "description and its data as CSV. See the "
         f"{_link('accessibility.html', 'accessibility statement')}.</p>"),
        ("How to reproduce and check",
         "<p>Everything is built by the open-source <code>cpp-inspections-review</code> package"
         + (f", version {version}" if version else "") + ", from a locked environment. "
         "<code>make report</code> builds every page; <code>review check</code> rebuilds into a temporary folder "
         f"and compares every output with the published one; {_link('manifest.json', 'the manifest')} records "
         "each output's SHA-256, the data files' hashes, the code and the environment.</p>"),
        ("Terms explained",
         "<dl><dt>Community planning partnership (CPP)</dt><dd>The partnership of a council area's public "
         "services; one was inspected in each of the 32 areas.</dd>"
         "<dt>Quality indicator</dt><dd>One aspect of services graded by the inspection, for example 1.1, "
         "improvements in outcomes.</dd>"
         "<dt>Public record</dt><dd>What public sources state about the grades, each with its source.</dd>"
         "<dt>Consistent table</dt><dd>A full grade table that agrees with every row of the public record.</dd>"
         "<dt>Range</dt><dd>The smallest and largest value over every consistent table: a true bound, not an "
         "estimate.</dd>"
         "<dt>Witness</dt><dd>A consistent table that reaches a bound, published so that it can be "
         "checked.</dd>"
         "<dt>Settle</dt><dd>A report settles a verdict when the record plus its grades leave one answer, "
         "whatever those grades are.</dd>"
         "<dt>Fragility</dt><dd>The fewest rows of the record that would have to be wrong to overturn a "
         "decided verdict.</dd></dl>"),
    ]
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for heading, body in sections:
        parts += [f"<h2>{html.escape(heading)}</h2>", body]
    return _document(title, parts)


def accessibility_html(manifest: dict) -> str:
    """The accessibility statement (pure), in the form public-sector websites publish.

    Parameters
    ----------
    manifest : dict
        The build's manifest.

    Returns
    -------
    str
        The page, HTML.

    Examples
    --------
    >>> "WCAG 2.2" in accessibility_html({"jobs": {}})
    True
    """
    title = "Accessibility statement for these pages"
    body = [
        "<p>These pages publish a review of joint inspections of services for children and young people in "
        "Scotland. We want as many people as possible to be able to use them. You should be able to zoom to 400% "
        "without text spilling off the screen, read every page at a width of 320 pixels without scrolling "
        "sideways, move through each page with a keyboard, and use a screen reader: every chart has alt text, a "
        "longer description and its data as a table you can download.</p>",
        "<h2>How accessible these pages are</h2>",
        "<p>The pages are tested against the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA with "
        "axe-core in a browser, at 1280 and 320 pixels wide, every time the package is tested: the landing page, "
        "the national review, the statements page, a period group and a partnership have no failures it can "
        "find. Links are underlined, charts meet 3:1 contrast for their graphics, and no information is given "
        "by colour alone.</p>",
        "<p>Known limitations: some wide tables scroll sideways inside their own box on a phone; the downloadable "
        "notebooks (<code>.ipynb</code>) are for researchers and are not accessible documents; automated checks "
        "find only some problems, and these pages have not yet been audited by people using assistive "
        "technology.</p>",
        "<h2>Feedback and reporting problems</h2>",
        "<p>If you find a problem that is not listed here, or need information in another format, tell the "
        "package's maintainers through its repository. Tell us the page and what you were trying to do.</p>",
        "<h2>Enforcement procedure</h2>",
        "<p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies "
        "(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. If you are not happy with "
        "how we respond to your complaint, contact the Equality Advisory and Support Service (EASS).</p>",
        "<h2>Compliance status</h2>",
        "<p>These pages are partially compliant with WCAG 2.2 AA: no failures are found by automated testing, "
        "but they have not had a full manual audit.</p>",
    ]
    return _document(title, [f"<h1>{html.escape(title)}</h1>", *body])


_GROUP_WORDS = (("tables", "table"), ("charts", "chart"), ("pages", "page"), ("spreadsheets", "spreadsheet"),
                ("notebooks", "executed notebook"), ("other files", "other file"))
#: Outputs that state the version (pages, notebooks, the spreadsheets' cover): counted, not listed.
_VERSIONED = ("pages", "notebooks", "spreadsheets")


def _count(n: int, noun: str) -> str:
    """``1 table``, ``2 tables``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _changes_html(old: dict | None, new: dict) -> str:
    """A release's entry: what changed since the release before it, in words, or what the first one holds."""
    from analysis.pipeline.revisions import SITE_OUTPUTS, describe_changes

    if old is None:
        outputs = [o["path"] for o in new.get("outputs", []) if o.get("path") not in SITE_OUTPUTS]
        tables = sum(p.startswith("tables/") and p.endswith(".csv") for p in outputs)
        charts = len({p.rsplit(".", 1)[0] for p in outputs if p.startswith("figures/") and p.endswith(".svg")})
        pages = sum(p.startswith("html/") for p in outputs)
        return (f"<p>The first release: {_count(pages, 'page')}, {_count(tables, 'table')} and "
                f"{_count(charts, 'chart')}, each with its data, "
                "built from the public record.</p>")
    d = describe_changes(old, new)
    moved = sum(len(v) for v in d["groups"].values())
    if not moved:
        return "<p>No published table, chart or page changed.</p>"
    kind = ("A correction: the public record changed." if d["kind"] == "correction" else
            "A revision: the record is the same; what changed is how it is analysed or presented.")
    parts = [f"<p>{html.escape(kind)} " + (html.escape("Why: " + "; ".join(d["why"]) + ".") if d["why"] else "")
             + "</p>"]
    if d["unchanged"]:
        parts.append("<p>" + html.escape(" ".join(d["unchanged"])) + "</p>")
    parts.append("<ul>")
    for group, words in _GROUP_WORDS:
        names = d["groups"].get(group)
        if names and group not in _VERSIONED:
            shown = ", ".join(f"<code>{html.escape(n)}</code>" for n in names[:12])
            more = f" and {len(names) - 12} more" if len(names) > 12 else ""
            parts.append(f"<li>{_count(len(names), words)} changed: {shown}{more}</li>")
    if not any(d["groups"].get(g) for g, _ in _GROUP_WORDS if g not in _VERSIONED):
        parts.append("<li>No table or chart changed.</li>")
    versioned = sum(len(d["groups"].get(g, [])) for g in _VERSIONED)
    if versioned:
        parts.append(f"<li>{_count(versioned, 'page, executed notebook or spreadsheet')} changed: each states the "
                     "version it belongs to, so every release changes them.</li>")
    parts.append("</ul>")
    return "\n".join(parts)


def revisions_html(manifest: dict, releases: list | None = None, published: bool = True) -> str:
    """The revisions and corrections page (pure): every release of the published set, newest first, with
    what changed in its outputs since the release before and why, worded for readers.

    Parameters
    ----------
    manifest : dict
        This build's manifest (``package_version``, ``release_date``, its data files and outputs).
    releases : list of Release, optional
        The release records (:func:`analysis.pipeline.revisions.read_releases`), oldest first.
    published : bool
        Whether this build is the published set (the checkout's data package into ``reports/``); any other
        build's page says that its releases are the published set's, and lists none.

    Returns
    -------
    str
        The page, HTML.

    Examples
    --------
    >>> page = revisions_html({"package_version": "0.2.0.dev0", "release_date": "", "outputs": []}, [])
    >>> "not a release" in page and "No version has been released yet" in page
    True
    """
    releases = list(releases or [])
    version, date = str(manifest.get("package_version", "")), str(manifest.get("release_date") or "")
    title = "Revisions and corrections"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<p class=\"lede\">Each release of these pages, newest first, with what changed in the published tables, "
        "charts and pages since the release before it, and why. A <strong>correction</strong> follows a change "
        "to the public record (a grade, count or statement added or corrected, with its source); a "
        "<strong>revision</strong> follows a change to how the record is analysed or presented.</p>"]
    if not published:
        parts += ["<p>These pages are not the published set: they were built by version "
                  f"{html.escape(version)} of the package from a complete grade table or another data package "
                  f"(data basis: {html.escape(str(manifest.get('data_basis') or 'not recorded'))}). Releases and "
                  "their revisions are those of the published set, and are listed on its own revisions page.</p>"]
        return _document(title, parts)
    if date:
        parts.append(f"<p>These pages are <strong>version {html.escape(version)}</strong>, released "
                     f"{html.escape(long_date(date))}.</p>")
    else:
        last = releases[-1] if releases else None
        parts.append(f"<p>These pages are version {html.escape(version)}, a development version: they are not a "
                     "release" + (f". The last release is {html.escape(last.version)}, of "
                                  f"{html.escape(long_date(last.date))}" if last else "") + ".</p>")
    entries = [(r.version, r.date, r.manifest) for r in releases]
    if date and version not in {r.version for r in releases}:
        entries.append((version, date, manifest))  # the release being built: its record is written after
    if not entries:
        parts.append("<p>No version has been released yet.</p>")
    for i in range(len(entries) - 1, -1, -1):
        v, d, m = entries[i]
        parts += [f"<h2>Version {html.escape(v)}, {html.escape(long_date(d))}</h2>",
                  _changes_html(entries[i - 1][2] if i else None, m)]
    parts += ["<p>What changed in the package that builds these pages is in its changelog "
              "(<code>CHANGELOG.md</code>); each release is tagged in the package's repository.</p>"]
    return _document(title, parts)


def write_index(out_dir: Path | str, manifest: dict, findings: list[str] | None = None) -> Path:
    """Write ``index.html`` into ``out_dir`` (by rename, never half-written)."""
    out_dir = Path(out_dir)
    from analysis.files import write_atomic

    return write_atomic(out_dir / "index.html", index_html(manifest, findings))


def write_site(out_dir: Path | str, manifest: dict, findings: list[str] | None = None, releases: list | None = None,
               published: bool = True) -> list[Path]:
    """Write the site's own pages (:data:`SITE_PAGES`) into ``out_dir``, each by rename.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    manifest : dict
        The build's manifest.
    findings : list of str, optional
        The national review's headline findings for the landing page (HTML fragments, escaped).
    releases : list of Release, optional
        The release records, for the revisions page (:func:`revisions_html`).
    published : bool
        Whether this build is the published set (see :func:`revisions_html`).

    Returns
    -------
    list of Path
        The pages written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_site(tmp, {"jobs": {}})]
    ['index.html', 'quality.html', 'accessibility.html', 'revisions.html']
    """
    from analysis.files import write_atomic

    out_dir = Path(out_dir)
    return [write_index(out_dir, manifest, findings), write_atomic(out_dir / "quality.html", quality_html(manifest)),
            write_atomic(out_dir / "accessibility.html", accessibility_html(manifest)),
            write_atomic(out_dir / "revisions.html", revisions_html(manifest, releases, published))]
