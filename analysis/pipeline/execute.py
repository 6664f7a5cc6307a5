"""Run one parameterised notebook with papermill in a fresh kernel over IPC, and export it as HTML.

Kernels are started with the IPC transport (Unix sockets in a private temporary folder, removed
afterwards): no TCP port is opened, so parallel runs cannot race for ports and nothing listens on
the network (ipykernel's one TCP listener, a pipe for output of forked subprocesses, is turned
off: :func:`analysis.pipeline.zygote.start_kernel`). The kernel is this interpreter
(``sys.executable -m analysis.pipeline.zygote kernel``), so a build never picks up another environment's kernel.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Dict, List, Unicode

__all__ = ["IPCKernelManager", "JobResult", "run_notebook", "export_html", "DEFAULT_TIMEOUT"]


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on Unix sockets in a private temporary folder.

    Asynchronous, as nbclient expects: with a blocking client, nbclient's wait for output blocks
    its event loop, its kernel-alive check never runs, and a kernel killed mid-cell hangs the run.
    ``kernel_command`` (a traitlet) starts the kernel; empty for this interpreter's ipykernel
    (``python -m analysis.pipeline.zygote kernel``); the build gives the zygote's proxy
    (:mod:`analysis.pipeline.zygote`)."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    kernel_command = List(Unicode(), help="the command that starts a kernel; {connection_file} is filled in")
    ipc_dir = Unicode("")
    #: where the private folder is made (default /tmp); a build gives a folder of its own, which it
    #: removes at its end, so no socket folder is left even when a worker is killed mid-notebook
    ipc_parent = Unicode("")
    #: the tail of this kernel's standard error, read when its resources are cleaned up (failure reports)
    log_tail = Unicode("")
    #: variables set in the kernel's environment over the caller's (:func:`kernel_env`)
    kernel_env = Dict()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # short path: Unix socket names are limited to about 100 bytes
        self.ipc_dir = tempfile.mkdtemp(
            prefix="rk-", dir=self.ipc_parent or ("/tmp" if Path("/tmp").is_dir() else None)
        )
        self.connection_file = str(Path(self.ipc_dir) / "kernel.json")
        self.ip = str(Path(self.ipc_dir) / "k")

    def format_kernel_cmd(self, extra_arguments=None):
        command = list(self.kernel_command) or [
            sys.executable,
            "-m",
            "analysis.pipeline.zygote",
            "kernel",
            "-f",
            "{connection_file}",
        ]
        return [part.replace("{connection_file}", self.connection_file) for part in command] + list(
            extra_arguments or []
        )

    @property
    def log_path(self) -> Path:
        """The kernel's standard error (kept for failure reports, removed with the folder)."""
        return Path(self.ipc_dir) / "kernel.log"

    # Only public methods of jupyter_client's AsyncKernelManager are overridden: start_kernel passes
    # Popen keywords down to the kernel provisioner; shutdown_kernel and cleanup_resources end a kernel.
    async def start_kernel(self, **kw):
        # the kernel's stderr goes to a log, not the build's terminal; run_notebook reports its tail on failure
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the kernel's life, closed on shutdown
        kw.setdefault("stderr", self._log)
        if self.kernel_env:  # the build's private configuration folders (kernel_env)
            kw["env"] = {**(kw.get("env") or os.environ), **self.kernel_env}
        await super().start_kernel(**kw)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False):
        try:
            await super().shutdown_kernel(now=now, restart=restart)
        finally:
            if not restart:
                self.release()

    async def cleanup_resources(self, restart: bool = False):
        await super().cleanup_resources(restart=restart)
        if not restart:
            self.release()

    def release(self) -> None:
        """Close the kernel's log (keeping its tail in ``log_tail``) and remove its socket folder. Idempotent."""
        log = getattr(self, "_log", None)
        if log is not None and not log.closed:
            log.close()
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            self.log_tail = text[-2000:]
        shutil.rmtree(self.ipc_dir, ignore_errors=True)

    def stop_process(self, grace: float = 3.0) -> None:
        """From any thread: end the kernel's process even if it is stopped (SIGSTOP) or looping.
        SIGTERM and SIGCONT first (a proxy forwards them to its kernel and waits for it), SIGKILL
        after ``grace`` seconds."""
        pid = getattr(self.provisioner, "pid", None) if self.provisioner is not None else None
        if not pid:
            return
        for signum in (signal.SIGTERM, signal.SIGCONT):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                return
        end = time.monotonic() + grace
        while time.monotonic() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class JobResult:
    """What running one notebook gave: status 'done' or 'failed', seconds, and on failure the
    failing cell's first lines and the exception; ``warnings``: what the kernel wrote to standard error,
    taken out of the notebook and reported in the terminal."""

    status: str
    seconds: float
    cell: str = ""
    error: str = ""
    warnings: list = field(default_factory=list)  # what the kernel wrote to standard error (not published)


#: The default time limit of one notebook, in seconds (``review build --timeout``). Generous: the
#: slowest notebook takes about 20 s.
DEFAULT_TIMEOUT = 600


def kernel_env(out_dir: Path | str) -> dict:
    """The environment a build gives its kernels (and the zygote they are forked from), over the caller's:
    a private, writable configuration folder for matplotlib inside the output folder's cache. A home that
    cannot be written then makes no warning in a notebook, and no user's ``matplotlibrc`` styles a chart.

    Parameters
    ----------
    out_dir : str or Path
        The build's output folder.

    Returns
    -------
    dict
        Variables to set (the folder is made if missing).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     env = kernel_env(d)
    ...     pathlib.Path(env["MPLCONFIGDIR"]).relative_to(d).as_posix()
    '.cache/matplotlib'
    """
    folder = Path(out_dir) / ".cache" / "matplotlib"
    folder.mkdir(parents=True, exist_ok=True)
    return {"MPLCONFIGDIR": str(folder)}


def run_notebook(
    template: Path,
    executed: Path,
    parameters: dict,
    cwd: Path,
    timeout: float = DEFAULT_TIMEOUT,
    kernel_cmd: list | None = None,
    ipc_parent: str = "",
    env: dict | None = None,
) -> JobResult:
    """Execute ``template`` with ``parameters`` into ``executed`` (working directory ``cwd``).

    ``kernel_cmd`` starts the kernel (default: this interpreter's ipykernel); its socket folder is made
    in ``ipc_parent`` (default /tmp); ``env`` is set in its environment (:func:`kernel_env`). ``timeout`` limits the
    whole notebook: when it passes, the kernel is stopped (even a stopped or looping one) and the run
    fails with a message saying so."""
    import threading

    import papermill
    from papermill.exceptions import PapermillExecutionError

    managers: list[IPCKernelManager] = []

    class Manager(IPCKernelManager):  # this run's kernels: their command, and a handle for the time limit
        def __init__(self, **kwargs):
            super().__init__(kernel_command=list(kernel_cmd or []), ipc_parent=ipc_parent,
                             kernel_env=dict(env or {}), **kwargs)
            managers.append(self)

    expired = threading.Event()

    def time_up():
        expired.set()
        for km in managers:
            km.stop_process()

    timer = threading.Timer(timeout, time_up)
    timer.daemon = True
    start = time.perf_counter()
    timer.start()
    try:
        papermill.execute_notebook(
            str(template),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(cwd),
            request_save_on_cell_execute=False,
            kernel_manager_class=Manager,
            execution_timeout=max(1, int(timeout)),
        )
    except PapermillExecutionError as exc:
        cell = "\n".join(str(exc.source).splitlines()[:3])
        if expired.is_set():
            return JobResult("failed", time.perf_counter() - start, cell, _over_limit(timeout))
        return JobResult("failed", time.perf_counter() - start, cell, f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # kernel died, timeout, bad notebook: reported, never raised into the pool
        if expired.is_set():
            return JobResult("failed", time.perf_counter() - start, "", _over_limit(timeout))
        for km in managers:
            km.release()
        log = (managers[-1].log_tail if managers else "").strip().splitlines()[-5:]
        detail = ("; kernel log: " + " | ".join(log)) if log else ""
        return JobResult("failed", time.perf_counter() - start, "", f"{type(exc).__name__}: {exc}{detail}")
    finally:
        timer.cancel()
        for km in managers:
            km.release()
    return JobResult("done", time.perf_counter() - start)


def _over_limit(timeout: float) -> str:
    return (
        f"stopped after the time limit of {timeout:g} s for one notebook (--timeout); its kernel was stopped and killed"
    )


#: Tags kept by :func:`clean_html`: bleach's defaults plus what tables and text need; never script,
#: style, iframe, object, form or event attributes.
SAFE_TAGS = (
    "a",
    "abbr",
    "acronym",
    "b",
    "blockquote",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "strong",
    "ul",
    "div",
    "pre",
    "span",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "sub",
    "sup",
    "hr",
)
SAFE_ATTRIBUTES = {
    "*": ["class", "id"],
    "a": ["href", "title"],
    "abbr": ["title"],
    "acronym": ["title"],
    "th": ["scope", "colspan", "rowspan"],
    "td": ["colspan", "rowspan"],
}


def clean_html(element) -> str:
    """nbconvert's ``clean_html`` filter with table tags allowed: pandas' scoped ``<style>`` blocks are
    dropped, any other tag outside :data:`SAFE_TAGS` is escaped (shown as text, never run)."""
    import re

    import bleach

    text = element.decode() if isinstance(element, bytes) else str(element)
    text = re.sub(r"<style\b[^>]*>.*?</style\s*>", "", text, flags=re.S | re.I)
    return bleach.clean(text, tags=list(SAFE_TAGS), attributes=SAFE_ATTRIBUTES, protocols=["http", "https", "mailto"])


#: The pages' own styles: a readable measure, tables for people (captions, wrapping text, left-aligned
#: words), wide tables scrolling inside their box rather than the page (the caption wraps at the box's
#: width, ``100cqw``, so a long caption stays readable on a phone), images no wider than the page.
PAGE_CSS = """
body { margin: 0; }
main, .jp-Notebook { max-width: 62rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; box-sizing: border-box; }
.jp-RenderedHTMLCommon { font-size: 1rem; line-height: 1.5; }
.jp-RenderedHTMLCommon h1 { font-size: 1.9rem; line-height: 1.25; margin-top: 0.5rem; }
.jp-MarkdownCell .jp-RenderedMarkdown { padding-left: 0; }  /* text, headings and tables share one left edge */
.jp-Cell, .jp-OutputArea-output, .jp-RenderedHTMLCommon { max-width: 100%; }
.jp-OutputArea-output { overflow-x: visible; }
.review-table { overflow-x: auto; max-width: 100%; margin: 0.5rem 0 1.5rem; container-type: inline-size; }
.jp-RenderedHTMLCommon table.people { border-collapse: collapse; font-size: 0.92rem; table-layout: auto; margin: 0; }
.jp-RenderedHTMLCommon table.people caption { caption-side: top; text-align: left; font-weight: 600;
  padding: 0 0 0.4rem; color: #0b0c0c; max-width: 100cqw; box-sizing: border-box; }
.jp-RenderedHTMLCommon table.people th, .jp-RenderedHTMLCommon table.people td { text-align: left; vertical-align: top;
  padding: 0.35rem 0.6rem; border: none; border-bottom: 1px solid #b1b4b6; white-space: normal; max-width: 28rem; }
.jp-RenderedHTMLCommon table.people th { border-bottom: 2px solid #0b0c0c; }
.jp-RenderedHTMLCommon table.people tbody tr:nth-child(odd) { background: #f3f2f1; }
.jp-RenderedHTMLCommon table.people tbody tr:hover { background: #e8f1f8; }
.review-table p.download, .review-table p.table-note { margin: 0.4rem 0 0; font-size: 0.9rem; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
/* links are underlined, not told apart by colour alone (WCAG 1.4.1); a contents link is a 24 px target (2.5.8) */
.jp-Notebook .jp-RenderedHTMLCommon a:link, .jp-Notebook .jp-RenderedHTMLCommon a:visited {
  text-decoration: underline; text-underline-offset: 0.15em; }  /* after JupyterLab's, which it outranks */
.jp-RenderedHTMLCommon li > a[href^="#"]:only-child { display: inline-block; min-height: 24px; line-height: 24px; }
/* a table wider than its box shows that it scrolls: shadows at the edges that hide more columns */
.review-table { background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)) left / 2rem 100% no-repeat local,
  linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) right / 2rem 100% no-repeat local,
  radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.25), rgba(0,0,0,0)) left / .8rem 100% no-repeat scroll,
  radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.25), rgba(0,0,0,0)) right / .8rem 100% no-repeat scroll; }
/* and says so in words, only when it does overflow (a scroll-driven animation runs only on a box that scrolls) */
.review-table::before { content: "Scroll sideways to see every column →"; display: block; position: sticky; left: 0;
  max-height: 0; opacity: 0; overflow: hidden; font-size: 0.85rem; color: #505a5f;
  animation: review-scroll-cue linear both; animation-timeline: scroll(nearest inline); }
@keyframes review-scroll-cue { from, to { max-height: 3em; opacity: 1; margin-bottom: 0.3rem; } }
/* printed: no scrolling boxes (they cannot break across pages), figures and short tables kept whole,
   headings and a section's text kept with what follows, data links with their address */
@media print {
  body { font-size: 10.5pt; }
  main, .jp-Notebook { max-width: none; padding: 0; }
  .review-table::before { display: none; }
  .review-table, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output, .jp-Cell { overflow: visible !important;
    background: none; container-type: normal; }
  .jp-OutputArea-child { break-inside: auto !important; }  /* nbconvert keeps every output whole: a long table too */
  /* JupyterLab lays cells out as flex boxes, which a printed page cannot break inside: plain blocks instead */
  .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output,
  .jp-Cell-inputWrapper, .jp-InputArea { display: block !important; }
  .jp-RenderedHTMLCommon table.people { width: 100%; }
  .jp-RenderedHTMLCommon table.people th, .jp-RenderedHTMLCommon table.people td { max-width: none; }
  .jp-RenderedHTMLCommon table.people tbody tr:nth-child(odd) { background: none; }
  h1, h2, h3, .jp-MarkdownCell { break-after: avoid; page-break-after: avoid; }
  .jp-RenderedImage, picture, img, tr, caption, .review-table p, .jp-MarkdownCell p, li { break-inside: avoid; }
  .jp-RenderedImage img, .jp-OutputArea-output img { max-height: 23cm; width: auto; max-width: 100%; }  /* one page */
  thead { display: table-header-group; }
  caption, thead { break-after: avoid; }
  .jp-Notebook a[href$=".csv"]::after, .jp-Notebook a[href$=".svg"]::after, .jp-Notebook a[href$=".txt"]::after,
  .jp-Notebook a[href$=".json"]::after { content: " (" attr(href) ")"; font-size: 0.85em; word-break: break-all; }
}
"""

#: The page template: nbconvert's JupyterLab page without the scripts it loads from a CDN (require.js,
#: MathJax, mermaid, widgets; the pages use none of them), and a Content-Security-Policy that lets a
#: page load nothing from elsewhere and run no script at all, as a second line behind sanitising.
PAGE_TEMPLATE = (
    """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; """
    """style-src 'self' 'unsafe-inline'; script-src 'none'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>"""
    + "{% raw %}"
    + PAGE_CSS
    + "{% endraw %}"
    + """</style>
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""
)


#: Cells left out of a page: the parameters (the template's and papermill's) and notes for notebook users.
PAGE_REMOVED_TAGS = ("parameters", "injected-parameters", "remove-page")


def export_html(executed: Path, html: Path, title: str) -> None:
    """Write ``executed`` as an HTML page: sanitised output HTML (:func:`clean_html`), images not
    embedded from Markdown, no input prompts, no scripts (:data:`PAGE_TEMPLATE`), figures with alt text."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    from traitlets.config import Config

    # a page for readers: no code, no parameter cells, no notes addressed to notebook users
    config = Config({"TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": list(PAGE_REMOVED_TAGS)}})
    exporter = HTMLExporter(
        config=config,
        sanitize_html=True,
        embed_images=False,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={"clean_html": clean_html},
        extra_loaders=[DictLoader({"review_page.html.j2": PAGE_TEMPLATE})],
        template_file="review_page.html.j2",
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html.write_text(_with_alt_text(body, nb), encoding="utf-8")


def _with_alt_text(body: str, nb) -> str:
    """Give each output image the alt text its output carries (``metadata['image/png']['alt']``), which
    nbconvert's template has no place for, and show the chart's SVG where the output names one written
    beside the page (``metadata['image/png']['svg']``): a ``<picture>`` whose source is the SVG, the
    embedded PNG with the alt text its fallback."""
    from bs4 import BeautifulSoup

    metas = [
        out.get("metadata", {}).get("image/png", {})
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    soup = BeautifulSoup(body, features="html.parser")
    images = [img for img in soup.find_all("img") if img.get("src", "").startswith("data:image/png")]
    if len(images) != len(metas):
        raise ValueError(f"{len(images)} images in the page, {len(metas)} image outputs in the notebook")
    for img, meta in zip(images, metas):
        if meta.get("alt"):
            img["alt"] = meta["alt"]
        svg = meta.get("svg")
        if isinstance(svg, str) and _RELATIVE_SVG.match(svg):
            picture = soup.new_tag("picture")
            img.wrap(picture)
            img.insert_before(soup.new_tag("source", srcset=svg, type="image/svg+xml"))
    return str(soup)


#: A chart's SVG as a page may name it: a relative path inside the output folder, nothing else.
_RELATIVE_SVG = re.compile(r"^(\.\./)*[A-Za-z0-9_-]+(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.svg$")
