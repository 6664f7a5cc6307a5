"""The report site: ``index.html`` linking every page, figure and table a build produced.

Every text that comes from data (area names, titles) is HTML-escaped; links are built from
slugs and output paths the build chose, never from what a user typed.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import quote

__all__ = ["write_index", "index_html", "order_key"]


def order_key(kind: str, subject: str | None) -> tuple:
    """Sort key of a notebook: the review's order (national, groups, partnerships in Appendix 4 order, statements)."""
    from . import areas

    kinds = ("review", "period_group", "partnership", "statements")
    within = {"partnership": areas.PARTNERSHIPS, "period_group": areas.PERIOD_GROUPS}.get(kind, ())
    return (kinds.index(kind) if kind in kinds else len(kinds), within.index(subject) if subject in within else 0)

_SECTIONS = (("review", "National review"), ("statements", "The review's statements, checked"),
             ("period_group", "Period groups"), ("partnership", "Partnerships"))

_STYLE = """body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.45;color:#1a1a1a}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left;
vertical-align:top}small{color:#555}"""


def _link(path: str, text: str) -> str:
    return f'<a href="{html.escape(quote(path))}">{html.escape(text)}</a>'


def index_html(manifest: dict) -> str:
    """The index page for a manifest (pure: no file access)."""
    jobs = manifest.get("jobs", {})
    basis = {e.get("data_basis", "") for e in jobs.values()}
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src \'self\' data:; '
             'style-src \'unsafe-inline\'; script-src \'none\'">',
             "<title>Joint inspections of services for children and young people, 2012-2017: reports</title>",
             f"<style>{_STYLE}</style>", "</head>", "<body>", "<main>",
             "<h1>Joint inspections of services for children and young people, 2012-2017</h1>",
             f"<p>Reports built from the data in this package. Data basis: "
             f"{html.escape(', '.join(sorted(b for b in basis if b)) or 'none yet')}. Every file with its "
             f"SHA-256, and the git commit the build ran at, is listed in {_link('manifest.json', 'manifest.json')} "
             f"(the page itself names no commit, so a rebuild at a later commit reproduces it).</p>"]
    for kind, heading in _SECTIONS:
        entries = sorted(((j, e) for j, e in jobs.items() if e.get("kind") == kind),
                         key=lambda je: order_key(je[1].get("kind"), je[1].get("subject")))
        if not entries:
            continue
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append("<table><thead><tr><th scope=\"col\">Page</th><th scope=\"col\">Notebook</th>"
                     "<th scope=\"col\">Figures</th><th scope=\"col\">Tables</th></tr></thead><tbody>")
        for job_id, entry in entries:
            outputs = entry.get("outputs", [])
            page = next((o["path"] for o in outputs if o["kind"] == "html"), None)
            nb = next((o["path"] for o in outputs if o["kind"] == "notebook"), None)
            name = entry.get("subject") or heading
            figures = [o["path"] for o in outputs if o["kind"] == "figure-png"]
            tables = [o["path"] for o in outputs if o["kind"] == "table"]
            fig_links = ", ".join(_link(p, Path(p).stem) + " (" + _link(str(Path(p).with_suffix(".csv")), "data") + ")"
                                  for p in figures)
            table_links = ", ".join(_link(p, Path(p).stem) for p in tables)
            parts.append(f"<tr><td>{_link(page, name) if page else html.escape(name)}</td>"
                         f"<td>{_link(nb, 'ipynb') if nb else ''}</td><td>{fig_links}</td>"
                         f"<td>{table_links}</td></tr>")
        parts.append("</tbody></table>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def write_index(out_dir: Path | str, manifest: dict) -> Path:
    """Write ``index.html`` into ``out_dir`` (by rename, never half-written)."""
    out_dir = Path(out_dir)
    path = out_dir / "index.html"
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(index_html(manifest), encoding="utf-8")
    os.replace(tmp, path)
    return path
