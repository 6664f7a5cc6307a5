"""The report site: ``index.html``, the landing page: what this is, the headline findings, and every page.

Every text that comes from data (area names, titles) is HTML-escaped; links are built from
slugs and output paths the build chose, never from what a user typed.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from analysis.report.kinds import KINDS, order_key

__all__ = ["write_index", "index_html"]


_STYLE = """body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:0;color:#0b0c0c;line-height:1.5;font-size:1rem}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1.25rem 3rem;box-sizing:border-box}
h1{font-size:1.9rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.35rem;margin:2rem 0 .6rem;
border-top:1px solid #b1b4b6;padding-top:1rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p.lede{font-size:1.1rem}ul{padding-left:1.25rem}li{margin:.25rem 0}a{color:#1d70b8}a:visited{color:#4c2c92}
a:focus{outline:3px solid #ffdd00;background:#ffdd00;color:#0b0c0c}
.findings{background:#f3f2f1;padding:.8rem 1.2rem;border-left:5px solid #1d70b8}
.findings ul{margin:.4rem 0}.groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:0 1.5rem}
.groups ul{list-style:none;padding:0}small{color:#505a5f}"""


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
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src \'self\' data:; '
             'style-src \'unsafe-inline\'; script-src \'none\'">',
             f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>", "<main>",
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
    parts.append(
        "<h2>Data and checking</h2><p>Every table on these pages can be downloaded as CSV from its page; "
        f"{_link('tables/datapackage.json', 'the data dictionary')} describes every column. "
        f"{_link('manifest.json', 'The manifest')} lists every file with its SHA-256, the data files and "
        "the software it was built with; <code>review check</code> rebuilds everything and compares.</p>"
    )
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def write_index(out_dir: Path | str, manifest: dict, findings: list[str] | None = None) -> Path:
    """Write ``index.html`` into ``out_dir`` (by rename, never half-written)."""
    out_dir = Path(out_dir)
    from analysis.files import write_atomic

    return write_atomic(out_dir / "index.html", index_html(manifest, findings))
