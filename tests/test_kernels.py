"""Kernels: IPC transport, and kernels forked from the zygote are fresh processes with fresh state
that die with the process jupyter_client manages."""

import os
import signal
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis import execute
from analysis.zygote import Zygote


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


def test_kernel_uses_ipc_and_dies_with_its_proxy(zygote):
    import asyncio

    async def body():
        km = execute.IPCKernelManager()
        try:
            await km.start_kernel()
            assert km.transport == "ipc"
            info = km.get_connection_info()
            assert info["transport"] == "ipc" and info["ip"].startswith("/tmp/rk-")
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=30)
            kc.execute("import os; os.getpid()")
            pid = None
            while pid is None:
                msg = await kc.get_iopub_msg(timeout=10)
                if msg["msg_type"] == "execute_result":
                    pid = int(msg["content"]["data"]["text/plain"])
            kc.stop_channels()
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
            try:
                await km.shutdown_kernel(now=True)
            except Exception:
                pass
            await km.cleanup_resources()

    execute.KERNEL_CMD = zygote.kernel_cmd()
    try:
        asyncio.run(body())
    finally:
        execute.KERNEL_CMD = None


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
