"""JupyterLab as ``make lab`` opens it, driven in a real browser: headless Chromium (Debian's ``chromium``
package, through Playwright's Python package with that executable; no browser is downloaded).

A researcher opens a template, runs all its cells and saves it with Ctrl+S. Then the template is as
committed (``git status`` in a clone shows nothing), its fingerprint is the one the published set
records, the build finds nothing to rebuild for it and names no edited template, and JupyterLab asked
nothing about news on the way.

The scene is a ``git clone`` of this checkout at HEAD in a temporary folder (so ``git`` can compare
with the committed template), with the partnership notebook built there once by ``review run`` as a
researcher's ``make report`` would (it fills the clone's results cache, which the notebook then reads,
and records the notebook's key). JupyterLab runs from this environment (``jupyter`` beside this
interpreter) with the clone as its root and the clone's ``tools/jupyter_server_config.py``, as
``make lab`` runs it, on a free local port with a token; the server, and with it the kernel, is shut
down at the end whatever happened. A screenshot of the notebook after Run All goes to
``test-artifacts/lab/``.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.pipeline.build import template_digest

from conftest import ROOT

CHROMIUM = os.environ.get("REVIEW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts" / "lab"
BIN = Path(sys.executable).parent
TEMPLATE = "notebooks/partnership.ipynb"
SUBJECT = "North Lanarkshire"  # the template's default partnership: what Run All shows
CONFIG = "tools/jupyter_server_config.py"


def _git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def _review(clone: Path, *args) -> subprocess.CompletedProcess:
    """``review`` of this environment on the clone."""
    env = dict(os.environ, REVIEW_PROJECT=str(clone))
    return subprocess.run([str(BIN / "review"), "--project", str(clone), *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("SKIPPED LOUDLY: no Chromium executable found (Debian: apt-get install chromium; "
                    ".ci/run installs it); JupyterLab was not tested in a browser")
    if not (BIN / "jupyter").exists():
        pytest.skip(f"SKIPPED LOUDLY: no jupyter beside {sys.executable}; JupyterLab was not tested in a browser")
    try:
        head = _git("rev-parse", "HEAD").strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("SKIPPED LOUDLY: not a git checkout; JupyterLab was not tested in a browser")
    folder = tmp_path_factory.mktemp("lab") / "clone"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(folder)], check=True, timeout=300)
    _git("checkout", "-q", head, cwd=folder)
    # as after `make report`: the notebook built once, its results in the clone's cache, its key recorded
    built = _review(folder, "run", "--partnership", SUBJECT)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kernels_of(runtime: Path) -> list[int]:
    """The processes whose command line names a file of ``runtime`` (the kernels of our server)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(runtime) in cmdline:
                pids.append(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def lab(clone, tmp_path_factory):
    """JupyterLab serving the clone as ``make lab`` does (its config file, root and default folder), on a
    free port with a token; shut down, with its kernels, at the end."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"--config={CONFIG}" in recipe and "--LabApp.default_url=/lab/tree/notebooks" in recipe, \
        "make lab no longer opens JupyterLab as this test does: update the test"
    home = tmp_path_factory.mktemp("jupyter")
    runtime = home / "runtime"
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, REVIEW_PROJECT=str(clone), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(runtime), JUPYTERLAB_SETTINGS_DIR=str(home / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), IPYTHONDIR=str(home / "ipython"))
    command = [str(BIN / "jupyter"), "lab", f"--config={clone / CONFIG}", f"--ServerApp.root_dir={clone}",
               "--LabApp.default_url=/lab/tree/notebooks", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # as make lab adds it
    # the test's own user settings: every cell kept in the page (no windowing), so each prompt can be read
    tracker = home / "user-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}', encoding="utf-8")
    log = home / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def api(path, method="GET"):
        request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"JupyterLab exited: {log.read_text(errors='replace')[-3000:]}"
            try:
                api("/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, f"no JupyterLab: {log.read_text(errors='replace')[-3000:]}"
                time.sleep(0.5)
        yield {"base": base, "token": token, "api": api, "log": log}
    finally:
        _stop(server, api, runtime)


def _stop(server: subprocess.Popen, api, runtime: Path) -> None:
    """Shut the server down with its kernels (its API), else end its process group; then any kernel of its
    runtime folder still alive, by its id."""
    with contextlib.suppress(OSError):
        api("/api/shutdown", method="POST")
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, sig)
        try:
            server.wait(timeout=30)
            break
        except subprocess.TimeoutExpired:
            continue
    for pid in _kernels_of(runtime):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        b_ = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b_
        b_.close()


def _code_prompts(page) -> list[str]:
    return page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()


def test_run_all_and_save_in_lab_leaves_the_template_as_committed(clone, lab, browser):
    path = clone / TEMPLATE
    committed = _git("show", f"HEAD:{TEMPLATE}", cwd=clone)
    assert path.read_text(encoding="utf-8") == committed
    before = path.stat().st_mtime_ns
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{lab['base']}/lab/tree/{TEMPLATE}?token={lab['token']}", wait_until="load")
    loaded = time.monotonic()
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60_000)
    # the kernel is up and idle before anything runs
    page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=90_000)
    n_code = page.locator(".jp-CodeCell").count()
    assert n_code >= 5 and _code_prompts(page) == ["[ ]:"] * n_code

    # Run > Run All Cells, through the menu bar
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # every code cell has run (a number in its prompt, none waiting) and the kernel is idle again
    page.wait_for_function(
        """n => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                .map(e => e.textContent.trim());
            const status = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
            return prompts.length === n && prompts.every(t => /^\\[\\d+\\]:$/.test(t))
                && status && status.dataset.status === 'idle';
        }""", arg=n_code, timeout=180_000)
    page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=30_000)
    outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
    assert outputs.count() >= n_code - 1, "the cells show their outputs"
    stderr = page.locator(".jp-OutputArea-output [data-mime-type='application/vnd.jupyter.stderr'], "
                          ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, stderr.all_inner_texts()[:2]
    assert SUBJECT in page.locator(".jp-NotebookPanel").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "run-all-end.png"))  # as Run All leaves it: at the last cell
    page.locator(".jp-NotebookPanel .jp-Cell").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "run-all-top.png"))
    # JupyterLab asked nothing about news (the project's settings turn the prompt off; without them it shows
    # within seconds of the page loading)
    time.sleep(max(0.0, 10 - (time.monotonic() - loaded)))
    assert page.get_by_text("Jupyter news").count() == 0
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()
    # the notebook is changed in Lab (outputs, counts); Ctrl+S saves it
    assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() >= 1
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode: the notebook, not a cell's editor, takes the key
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')", timeout=30_000)
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    assert errors == [], errors
    page.close()

    # the committed form is unchanged: not a byte differs
    assert _git("status", "--porcelain", "notebooks/", cwd=clone) == ""
    assert path.read_text(encoding="utf-8") == committed
    # its fingerprint is the one every partnership notebook of the published set was built from
    manifest = json.loads(_git("show", "HEAD:reports/manifest.json", cwd=clone))
    recorded = {job["template_sha256"] for job in manifest["jobs"].values() if job["template"] == TEMPLATE}
    assert recorded == {template_digest(path)}
    # the build has nothing to rebuild: the notebook built before the save is unchanged (skipped) ...
    again = _review(clone, "run", "--partnership", SUBJECT)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "0 built, 1 unchanged (skipped), 0 failed" in again.stdout, again.stdout[-2000:]
    # ... and names no edited template; the committed-template check passes
    env = dict(os.environ, REVIEW_PROJECT=str(clone))
    edited = subprocess.run([sys.executable, "-c", "from analysis.cli import _edited_templates as e; print(e())"],
                            cwd=clone, env=env, capture_output=True, text=True, timeout=120)
    assert edited.returncode == 0 and edited.stdout.strip() == "[]", edited.stdout + edited.stderr
    checked = subprocess.run([sys.executable, str(clone / "tools" / "check_templates.py"), str(path)],
                             cwd=clone, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
