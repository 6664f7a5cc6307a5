"""Run one parameterised notebook with papermill in a fresh kernel over IPC, and export it as HTML.

Kernels are started with the IPC transport (Unix sockets in a private temporary folder, removed
afterwards): no TCP port is opened, so parallel runs cannot race for ports and nothing listens on
the network (ipykernel's one TCP listener, a pipe for output of forked subprocesses, is turned
off: :func:`analysis.zygote.start_kernel`). The kernel is this interpreter
(``sys.executable -m analysis.zygote kernel``), so a build never picks up another environment's kernel.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Unicode

__all__ = ["IPCKernelManager", "JobResult", "run_notebook", "export_html"]


#: The command that starts a kernel; None for ``python -m analysis.zygote kernel``. The build sets it to
#: the zygote's proxy (:mod:`analysis.zygote`) so kernels start without paying imports again.
KERNEL_CMD: list | None = None


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on Unix sockets in a private temporary folder.

    Asynchronous, as nbclient expects: with a blocking client, nbclient's wait for output blocks
    its event loop, its kernel-alive check never runs, and a kernel killed mid-cell hangs the run."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    #: tail of the last kernel's stderr, for failure reports
    last_log = ""
    ipc_dir = Unicode("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # short path: Unix socket names are limited to about 100 bytes
        self.ipc_dir = tempfile.mkdtemp(prefix="rk-", dir="/tmp" if Path("/tmp").is_dir() else None)
        self.connection_file = str(Path(self.ipc_dir) / "kernel.json")
        self.ip = str(Path(self.ipc_dir) / "k")
        self.kernel_cmd_override = list(KERNEL_CMD or [sys.executable, "-m", "analysis.zygote", "kernel", "-f",
                                                       "{connection_file}"])

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = [part.replace("{connection_file}", self.connection_file) for part in self.kernel_cmd_override]
        return cmd + list(extra_arguments or [])

    @property
    def log_path(self) -> Path:
        """The kernel's standard error (kept for failure reports, removed with the folder)."""
        return Path(self.ipc_dir) / "kernel.log"

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # the kernel's stderr goes to a log, not the build's terminal; run_notebook reports its tail on failure
        self._log = open(self.log_path, "ab")
        kw["stderr"] = self._log
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    _launch_kernel = _async_launch_kernel

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            log = getattr(self, "_log", None)
            if log is not None:
                log.close()
                text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                IPCKernelManager.last_log = text[-2000:]
            shutil.rmtree(self.ipc_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


@dataclass
class JobResult:
    """What running one notebook gave: status 'done' or 'failed', seconds, and on failure the
    failing cell's first lines and the exception."""

    status: str
    seconds: float
    cell: str = ""
    error: str = ""


def run_notebook(template: Path, executed: Path, parameters: dict, cwd: Path, timeout: int = 600,
                 kernel_cmd: list | None = None) -> JobResult:
    """Execute ``template`` with ``parameters`` into ``executed`` (working directory ``cwd``).

    ``kernel_cmd`` starts the kernel (default: this interpreter's ipykernel)."""
    import papermill

    global KERNEL_CMD
    KERNEL_CMD = kernel_cmd
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        papermill.execute_notebook(str(template), str(executed), parameters=parameters, kernel_name="python3",
                                   progress_bar=False, log_output=False, cwd=str(cwd), request_save_on_cell_execute=False,
                                   kernel_manager_class=IPCKernelManager, execution_timeout=timeout)
    except PapermillExecutionError as exc:
        cell = "\n".join(str(exc.source).splitlines()[:3])
        return JobResult("failed", time.perf_counter() - start, cell, f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # kernel died, timeout, bad notebook: reported, never raised into the pool
        log = IPCKernelManager.last_log.strip().splitlines()[-5:]
        detail = ("; kernel log: " + " | ".join(log)) if log else ""
        return JobResult("failed", time.perf_counter() - start, "", f"{type(exc).__name__}: {exc}{detail}")
    return JobResult("done", time.perf_counter() - start)


#: Tags kept by :func:`clean_html`: bleach's defaults plus what tables and text need; never script,
#: style, iframe, object, form or event attributes.
SAFE_TAGS = ("a", "abbr", "acronym", "b", "blockquote", "code", "em", "i", "li", "ol", "strong", "ul", "div", "pre",
             "span", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "p", "br", "h1", "h2", "h3",
             "h4", "h5", "h6", "sub", "sup", "hr")
SAFE_ATTRIBUTES = {"*": ["class", "id"], "a": ["href", "title"], "abbr": ["title"], "acronym": ["title"],
                   "th": ["scope", "colspan", "rowspan"], "td": ["colspan", "rowspan"]}


def clean_html(element) -> str:
    """nbconvert's ``clean_html`` filter with table tags allowed: pandas' scoped ``<style>`` blocks are
    dropped, any other tag outside :data:`SAFE_TAGS` is escaped (shown as text, never run)."""
    import re

    import bleach

    text = element.decode() if isinstance(element, bytes) else str(element)
    text = re.sub(r"<style\b[^>]*>.*?</style\s*>", "", text, flags=re.S | re.I)
    return bleach.clean(text, tags=list(SAFE_TAGS), attributes=SAFE_ATTRIBUTES,
                        protocols=["http", "https", "mailto"])


#: The page template: nbconvert's JupyterLab page without the scripts it loads from a CDN (require.js,
#: MathJax, mermaid, widgets; the pages use none of them), and a Content-Security-Policy that lets a
#: page load nothing from elsewhere and run no script at all, as a second line behind sanitising.
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none'; base-uri 'none'; form-action 'none'">
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def export_html(executed: Path, html: Path, title: str) -> None:
    """Write ``executed`` as an HTML page: sanitised output HTML (:func:`clean_html`), images not
    embedded from Markdown, no input prompts, no scripts (:data:`PAGE_TEMPLATE`), figures with alt text."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(sanitize_html=True, embed_images=False, exclude_input_prompt=True,
                            exclude_output_prompt=True, filters={"clean_html": clean_html},
                            extra_loaders=[DictLoader({"review_page.html.j2": PAGE_TEMPLATE})],
                            template_file="review_page.html.j2")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html.write_text(_with_alt_text(body, nb), encoding="utf-8")


def _with_alt_text(body: str, nb) -> str:
    """Give each output image the alt text its output carries (``metadata['image/png']['alt']``);
    nbconvert's template has no place for it and writes a placeholder."""
    from bs4 import BeautifulSoup

    alts = [out.get("metadata", {}).get("image/png", {}).get("alt")
            for cell in nb.cells for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
    soup = BeautifulSoup(body, features="html.parser")
    images = [img for img in soup.find_all("img") if img.get("src", "").startswith("data:image/png")]
    if len(images) != len(alts):
        raise ValueError(f"{len(images)} images in the page, {len(alts)} image outputs in the notebook")
    for img, alt in zip(images, alts):
        if alt:
            img["alt"] = alt
    return str(soup)
