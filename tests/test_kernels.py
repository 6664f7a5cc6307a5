"""Kernels: IPC transport, and kernels forked from the zygote are fresh processes with fresh state
that die with the process jupyter_client manages."""

import contextlib
import os
import signal
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.pipeline import execute
from analysis.pipeline.zygote import Zygote


def _notebook(path, *sources):
    cell = new_code_cell('tag: str = "a"  # a parameter')
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell] + [new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _last_output(path):
    nb = nbformat.read(path, as_version=4)
    return nb.cells[-1].outputs[0]["data"]["text/plain"]


@pytest.fixture(scope="module")
def zygote():
    with Zygote() as z:
        assert z.wait_ready(), "the zygote did not start"
        yield z


def test_forked_kernels_are_fresh_processes_with_fresh_state(tmp_path, zygote):
    nb = _notebook(tmp_path / "a.ipynb", "import os\nleftover = 1", "(os.getpid(), 'leftover' in globals())")
    pids = []
    for run in ("one", "two"):
        out = tmp_path / f"{run}.ipynb"
        # the second run must not see the first run's variable, and runs in another process
        res = execute.run_notebook(nb, out, {"tag": run}, tmp_path, kernel_cmd=zygote.kernel_cmd())
        assert res.status == "done", res.error
        pid, seen = eval(_last_output(out))
        assert seen is True  # defined in this notebook's own earlier cell
        pids.append(pid)
    assert pids[0] != pids[1] and os.getpid() not in pids and zygote.process.pid not in pids
    fresh = _notebook(tmp_path / "b.ipynb", "'leftover' in globals()")
    res = execute.run_notebook(fresh, tmp_path / "b-out.ipynb", {}, tmp_path, kernel_cmd=zygote.kernel_cmd())
    assert res.status == "done" and _last_output(tmp_path / "b-out.ipynb") == "False"


async def _kernel_pid(km) -> int:
    """The process id the running kernel reports (not the proxy's)."""
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=30)
    kc.execute("import os; os.getpid()")
    try:
        while True:
            msg = await kc.get_iopub_msg(timeout=10)
            if msg["msg_type"] == "execute_result":
                return int(msg["content"]["data"]["text/plain"])
    finally:
        kc.stop_channels()


def test_kernel_uses_ipc_and_dies_with_its_proxy(zygote):
    import asyncio

    async def body():
        km = execute.IPCKernelManager(kernel_command=zygote.kernel_cmd())
        try:
            await km.start_kernel()
            assert km.transport == "ipc"
            info = km.get_connection_info()
            assert info["transport"] == "ipc" and info["ip"].startswith("/tmp/rk-")
            pid = await _kernel_pid(km)
            proxy = km.provisioner.process.pid
            assert pid != proxy
            os.kill(proxy, signal.SIGKILL)  # what a hard kill of the managed process does
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the forked kernel outlived its proxy")
        finally:
            with contextlib.suppress(Exception):
                await km.shutdown_kernel(now=True)
            await km.cleanup_resources()

    asyncio.run(body())


def test_failing_notebook_reports_cell_and_exception(tmp_path, zygote):
    nb = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('broken on purpose')\ny = 2")
    res = execute.run_notebook(nb, tmp_path / "bad-out.ipynb", {}, tmp_path, kernel_cmd=zygote.kernel_cmd())
    assert res.status == "failed"
    assert "ValueError: broken on purpose" in res.error
    assert res.cell.startswith("raise ValueError")


def test_kernel_killed_mid_run_fails_the_notebook_promptly(tmp_path, zygote):
    # SIGKILL from inside a cell: the kernel is gone without a reply; the run must fail, not hang
    nb = _notebook(tmp_path / "k.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "1 + 1")
    start = time.perf_counter()
    result = execute.run_notebook(nb, tmp_path / "out.ipynb", {"tag": "b"}, tmp_path, timeout=120,
                                  kernel_cmd=zygote.kernel_cmd())
    assert result.status == "failed"
    assert "DeadKernel" in result.error or "died" in result.error.lower()
    assert time.perf_counter() - start < 60


def _gone(pid: int, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie is gone too (its parent has not reaped it yet)
            with open(f"/proc/{pid}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", ["stopped", "looping"])
@pytest.mark.parametrize("preloaded", [True, False], ids=["zygote", "ordinary"])
def test_a_stuck_kernel_is_killed_at_the_time_limit(tmp_path, zygote, how, preloaded):
    # a kernel that stops itself (SIGSTOP: it cannot even run its own watch thread) or loops for ever
    # holds its job only until the notebook's time limit, and is then killed, not left orphaned
    stuck = "os.kill(os.getpid(), signal.SIGSTOP)" if how == "stopped" else "while True:\n    pass"
    nb = _notebook(tmp_path / "s.ipynb", "import os, signal\nopen('pid', 'w').write(str(os.getpid()))", stuck, "1")
    start = time.perf_counter()
    result = execute.run_notebook(nb, tmp_path / "out.ipynb", {}, tmp_path, timeout=4,
                                  kernel_cmd=zygote.kernel_cmd() if preloaded else None)
    elapsed = time.perf_counter() - start
    assert result.status == "failed"
    assert "time limit of 4 s" in result.error and "--timeout" in result.error
    assert elapsed < 30
    assert _gone(int((tmp_path / "pid").read_text())), "the stuck kernel is still alive"


def test_a_stopped_zygote_falls_back_to_ordinary_kernels(tmp_path, monkeypatch):
    from analysis.pipeline import zygote as zmod

    with Zygote() as z:
        assert z.wait_ready()
        os.kill(z.process.pid, signal.SIGSTOP)
        nb = _notebook(tmp_path / "a.ipynb", "import os\nos.getpid()")
        start = time.perf_counter()
        result = execute.run_notebook(nb, tmp_path / "out.ipynb", {}, tmp_path, timeout=120, kernel_cmd=z.kernel_cmd())
        first = time.perf_counter() - start
        assert result.status == "done", result.error
        assert z.unresponsive  # the build reports it
        assert first < zmod.ANSWER_TIMEOUT + 25
        # the next kernel does not wait for the zygote again
        start = time.perf_counter()
        result = execute.run_notebook(nb, tmp_path / "out2.ipynb", {}, tmp_path, timeout=120, kernel_cmd=z.kernel_cmd())
        assert result.status == "done", result.error
        assert time.perf_counter() - start < zmod.ANSWER_TIMEOUT
        pid = z.process.pid
    assert _gone(pid), "the stopped zygote was not killed"


def test_the_zygote_kills_a_stopped_kernel_whose_proxy_is_killed(tmp_path, zygote):
    import asyncio

    async def body():
        km = execute.IPCKernelManager(kernel_command=zygote.kernel_cmd())
        await km.start_kernel()
        pid = await _kernel_pid(km)
        os.kill(pid, signal.SIGSTOP)
        os.kill(km.provisioner.process.pid, signal.SIGKILL)  # no chance to forward anything
        try:
            assert _gone(pid), "a stopped kernel outlived its proxy"
        finally:
            await km.cleanup_resources()

    asyncio.run(body())


def test_ipykernel_still_has_the_private_method_the_kernels_replace():
    # analysis.pipeline.zygote.start_kernel turns off ipykernel's TCP pipe by replacing this private method;
    # if ipykernel renames it, start_kernel stops loudly, and this test says why
    from ipykernel import iostream

    assert callable(getattr(iostream.IOPubThread, "_setup_pipe_in", None))
