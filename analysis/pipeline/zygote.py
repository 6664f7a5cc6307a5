"""Start kernels from a pre-loaded process: each kernel is a fresh forked process, imports already paid.

Starting a kernel and importing pandas, SciPy, statsmodels and matplotlib costs more than most
notebooks' analysis. The build starts one *zygote* process that imports them once and then
waits on a Unix socket. For each notebook, jupyter_client launches a small *proxy* (this file
run as a script, standard library only); the proxy passes its standard streams to the zygote,
which forks a child that becomes the kernel. So every notebook still runs in a new process with
no state from any other notebook (a fork of a process that has imported modules and run nothing
else), and jupyter_client manages the proxy as it would the kernel: signals sent to the proxy
are forwarded, and a kernel whose proxy is killed exits by itself.

Every process here ends with the build, even one killed outright (SIGKILL, which runs no clean-up): the
zygote asks Linux for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, covering the seconds it
spends importing) and checks its parent at every turn of its loop (``getppid``; a parent-death signal
alone follows the thread that started the process, not the process); on either it kills every kernel it
forked, removes its folder and exits. A proxy checks its parent (the build's worker) the same way and
stops its kernel when it is gone; the kernel exits when its proxy does.

Run as a script: ``python zygote.py serve SOCKET PARENT_PID`` or ``python zygote.py proxy SOCKET CONNECTION_FILE``.
"""

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time

#: Modules the zygote imports before forking kernels. matplotlib.pyplot and seaborn are left to
#: the kernel: importing pyplot registers the inline backend with the kernel's shell, which
#: only exists after the fork.
PRELOAD = ("ipykernel.kernelapp", "IPython", "zmq", "numpy", "pandas", "scipy.optimize", "scipy.stats",
           "statsmodels.stats.proportion", "statsmodels.miscmodels.ordinal_model", "matplotlib",
           "matplotlib.colors", "analysis.report.page", "analysis.domain.load", "analysis.record.model",
           "analysis.stats.summaries", "analysis.stats.statements", "analysis.stats.claims", "analysis.stats.exact",
           "analysis.stats.trends", "analysis.stats.trend_bounds", "analysis.publish.figures")


#: Seconds a proxy waits for the zygote's answer before it starts an ordinary kernel instead (the
#: zygote answers in milliseconds; it does not when it is stopped or stuck).
ANSWER_TIMEOUT = 10.0
#: Seconds a proxy waits for the zygote's socket to appear (while it imports) before doing the same.
READY_TIMEOUT = 30.0
#: A file in the zygote's folder that a proxy creates when the zygote did not answer: later proxies
#: start ordinary kernels at once, and the build reports it.
UNRESPONSIVE = "unresponsive"


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``signum`` to this process when its parent ends (``prctl(PR_SET_PDEATHSIG)``,
    through ctypes; nothing elsewhere). Callers also check their parent themselves: the signal follows
    the thread that started the process, and a parent that died before this call sends nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signum), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(path: str, parent: int | None = None) -> None:
    """Import :data:`PRELOAD`, then fork one kernel per request on the Unix socket ``path``.

    The zygote also supervises its kernels: a kernel whose proxy is gone is killed, even if it is
    stopped (a stopped process cannot run its own watch thread), and on SIGTERM or SIGHUP, or when
    its ``parent`` (the build) is gone, the zygote kills every kernel it forked, removes its folder
    (the one holding ``path``) and exits."""
    import importlib
    import shutil

    kernels: dict = {}  # kernel pid -> its proxy's pid

    def stop(signum=None, frame=None):
        for pid in list(kernels):
            _kill(pid)
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    if parent:
        die_with_parent(signal.SIGTERM)  # while importing, below, the loop cannot check

    def orphaned() -> bool:
        return bool(parent) and os.getppid() != parent

    if orphaned():  # the build died before the signal was asked for
        stop()
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    os.rename(path + ".tmp", path)  # the socket appears only when the zygote is ready
    server.listen(16)
    server.settimeout(0.2)
    while True:
        if orphaned():
            stop()
        for pid, proxy_pid in list(kernels.items()):
            if not _alive(pid):
                del kernels[pid]
            elif not _alive(proxy_pid):
                _kill(pid)
                del kernels[pid]
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(5)
        fds = []
        try:
            msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            request = json.loads(msg.decode())
            if time.time() > float(request.get("deadline", 0)):
                raise TimeoutError("the request came after its proxy stopped waiting")
            pid = os.fork()
            if pid == 0:
                server.close()
                conn.close()
                _become_kernel(request, fds)  # never returns
            kernels[pid] = int(request["proxy_pid"])
            conn.sendall(json.dumps({"pid": pid}).encode())
        except Exception as exc:  # a bad request must not stop the zygote
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            conn.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Is ``pid`` running (not gone, not a zombie waiting to be reaped)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _become_kernel(request: dict, fds: list) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the zygote's handler, which kills every kernel
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.setsid()
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(request["cwd"])
        # the environment jupyter_client gave the kernel (JPY_PARENT_PID and the kernel spec's env)
        backend = os.environ.get("MPLBACKEND")
        os.environ.clear()
        os.environ.update(request.get("env", {}))
        if backend and "MPLBACKEND" not in os.environ:
            os.environ["MPLBACKEND"] = backend
        proxy = int(request["proxy_pid"])

        def watch():  # exit when the proxy (the process jupyter_client manages) is gone or a zombie
            while True:
                if not _alive(proxy):
                    os._exit(1)
                time.sleep(0.1)

        threading.Thread(target=watch, daemon=True).start()
        argv = ["-f", request["connection_file"]]
        if os.environ.get("JPY_PARENT_PID"):  # the trait's default was read when the zygote imported ipykernel
            argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
        start_kernel(argv)
        code = 0
    except BaseException:  # noqa: BLE001 - report and exit the child, whatever happened
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def start_kernel(argv: list) -> None:
    """Run an IPython kernel that opens no TCP socket.

    With the IPC transport ipykernel's channels are Unix sockets, but its IOPub thread still binds
    a TCP port on 127.0.0.1 to collect output printed by forked subprocesses
    (``IOPubThread._setup_pipe_in``). The notebooks start no such subprocesses, so that pipe is
    turned off: the kernel listens on nothing but its Unix sockets.
    """
    from ipykernel import iostream
    from ipykernel.kernelapp import IPKernelApp

    def no_subprocess_pipe(self):
        self._pipe_flag = False

    # a private method of ipykernel (there is no public switch); if a new ipykernel renames it, stop
    # loudly rather than open the TCP listener silently (tests/test_kernels.py checks it exists)
    if not callable(getattr(iostream.IOPubThread, "_setup_pipe_in", None)):
        raise RuntimeError("ipykernel.iostream.IOPubThread._setup_pipe_in is gone: this ipykernel cannot be run "
                           "without its TCP subprocess pipe; install the locked version (make install)")
    iostream.IOPubThread._setup_pipe_in = no_subprocess_pipe
    app = IPKernelApp.instance()
    app.initialize(argv)
    app.start()


def _fallback(connection_file: str):
    """No zygote: become an ordinary kernel (a fresh interpreter importing everything itself)."""
    os.execv(sys.executable, [sys.executable, "-m", "analysis.pipeline.zygote", "kernel", "-f", connection_file])


def _unresponsive(path: str, connection_file: str):
    """The zygote did not answer: say so in its folder (later proxies and the build read it) and
    start an ordinary kernel."""
    try:
        with open(os.path.join(os.path.dirname(path), UNRESPONSIVE), "a"):
            pass
    except OSError:
        pass
    _fallback(connection_file)


def proxy(path: str, connection_file: str, wait: float = READY_TIMEOUT) -> int:
    """Ask the zygote for a kernel; forward signals to it; exit when it exits.

    The zygote may still be importing: wait up to ``wait`` seconds for its socket. If it never
    appears, or the zygote does not answer within :data:`ANSWER_TIMEOUT` (stopped, stuck), start an
    ordinary kernel instead; the zygote refuses a request that comes after that.

    The proxy's parent is the build's worker that started it (``JPY_PARENT_PID``, which jupyter_client
    sets): when that is gone (killed with the build), the proxy stops its kernel and exits."""
    parent = int(os.environ.get("JPY_PARENT_PID") or 0) or os.getppid()

    def orphaned() -> bool:
        return os.getppid() != parent

    if os.path.exists(os.path.join(os.path.dirname(path), UNRESPONSIVE)):
        _fallback(connection_file)
    end = time.monotonic() + wait
    while not os.path.exists(path):
        if orphaned():
            return 1
        if time.monotonic() > end:
            _unresponsive(path, connection_file)
        time.sleep(0.02)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(ANSWER_TIMEOUT)
    request = {"connection_file": os.path.abspath(connection_file), "cwd": os.getcwd(), "proxy_pid": os.getpid(),
               "env": dict(os.environ), "deadline": time.time() + ANSWER_TIMEOUT - 1}
    try:
        client.connect(path)
        socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
        reply = json.loads(client.recv(65536).decode())
    except TimeoutError:
        _unresponsive(path, connection_file)
    except (OSError, ValueError):
        _fallback(connection_file)
    client.close()
    if "pid" not in reply:
        print(f"zygote: {reply.get('error')}", file=sys.stderr)
        return 1
    kernel = reply["pid"]

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(kernel, signum)
        if signum == signal.SIGTERM:
            # a stopped kernel acts on SIGTERM only once continued; one that ignores it is killed
            with contextlib.suppress(ProcessLookupError):
                os.kill(kernel, signal.SIGCONT)
            end = time.monotonic() + 2
            while _alive(kernel) and time.monotonic() < end:
                time.sleep(0.02)
            if _alive(kernel):
                _kill(kernel)
            sys.exit(0)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(s, forward)
    while _alive(kernel):
        if orphaned():  # the worker (and so the build) is gone: nobody will read this kernel's output
            forward(signal.SIGTERM, None)
        time.sleep(0.02)
    return 0


class Zygote:
    """The zygote process of one build: ``with Zygote() as z: ...``; ``z.socket`` is its address; ``env``
    holds variables set over the caller's environment."""

    def __init__(self, env: dict | None = None):
        import subprocess

        from analysis.pipeline.leftovers import make_folder

        # owned by this process: if it is killed outright, the next build removes the folder
        self.dir = make_folder("rz-")
        self.socket = os.path.join(self.dir, "zygote.sock")
        # ``env``: the kernels' own variables (execute.kernel_env), set before the zygote imports matplotlib
        env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline", **(env or {}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "analysis.pipeline.zygote", "serve", self.socket, str(os.getpid())],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if os.path.exists(self.socket):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    @property
    def unresponsive(self) -> bool:
        """Did a kernel's proxy find the zygote not answering (and start an ordinary kernel)?"""
        return os.path.exists(os.path.join(self.dir, UNRESPONSIVE))

    def kernel_cmd(self) -> list:
        """The command jupyter_client runs for a kernel ({connection_file} filled in by it)."""
        return [sys.executable, "-S", os.path.abspath(__file__), "proxy", self.socket, "{connection_file}"]

    def close(self) -> None:
        import shutil

        if self.process.poll() is None:
            self.process.terminate()  # the zygote kills the kernels it forked, then exits
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGCONT)  # a stopped zygote acts on SIGTERM once continued
            try:
                self.process.wait(5)
            except Exception:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]) if len(sys.argv) >= 4 else None)
    elif len(sys.argv) >= 4 and sys.argv[1] == "proxy":
        sys.exit(proxy(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "kernel":
        start_kernel(sys.argv[2:])
    else:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
