"""What a build stopped outright (``kill -9``, the machine's out-of-memory killer) leaves behind, and its removal.

A process killed with SIGKILL runs no clean-up of its own. Its children notice (the zygote, the workers and
the kernels' proxies each watch their parent: :mod:`analysis.pipeline.zygote`, ``build._watch_parent``), but
the folders and files it was writing stay. So everything a build makes outside its output folder is marked
with its owner, and the next build clears what a dead one left:

- **Temporary folders** (the kernels' socket folder ``rb-*``, the zygote's ``rz-*``, ``review check``'s
  rebuild ``review-check-*``) are made by :func:`make_folder`, which writes an owner file into each
  (:data:`OWNER`: the process id and its start time, so a reused process id is not mistaken for the
  owner). :func:`sweep_temporary` removes such folders whose owner has ended, and only those: a folder
  without the owner file (another program's, or one still being made) or of another user is left alone.
- **The output folder**, swept under its lock (:func:`sweep_out_dir`): files the atomic writer left
  half-written (``.<name>.tmp``, ``.<name>.<pid>.tmp``), and the staging folders of a build that was killed
  while installing a notebook's outputs or the site's pages. An install writes a journal first (the files it
  creates); the sweep puts back, from the staging folder's hard-linked copies, every file the manifest lists
  that the dead install replaced or deleted, and removes the files it created that the manifest does not
  list, so the folder matches ``manifest.json`` again and nothing published is lost.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from analysis.fingerprints import sha256_file

__all__ = ["OWNER", "PREFIXES", "JOURNAL", "temp_parent", "make_folder", "claim", "process_alive", "owner_alive",
           "sweep_temporary", "sweep_out_dir", "write_journal"]

#: The owner file in each temporary folder of the package: ``{"pid": ..., "start": ...}``.
OWNER = "review-owner.json"
#: The prefixes of the package's temporary folders.
PREFIXES = ("rb-", "rz-", "review-check-")
#: The journal an install writes in its staging folder before it moves anything (see :func:`write_journal`).
JOURNAL = "journal.json"
#: A file the atomic writer (:mod:`analysis.files`) writes before renaming it into place.
_ATOMIC_TMP = re.compile(r"^\..+?(?:\.(\d+))?\.tmp$")


def temp_parent() -> str:
    """Where the build makes its socket folders: /tmp (short paths: a Unix socket's name is limited to about
    100 bytes), or the system's temporary folder where there is no /tmp.

    Returns
    -------
    str
        A folder.

    Examples
    --------
    >>> import os
    >>> os.path.isdir(temp_parent())
    True
    """
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks after boot, from /proc), or None if it is gone or a
    zombie; "" where /proc cannot tell (not Linux)."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except (OSError, IndexError, ValueError):
        return ""
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19].decode()


def process_alive(pid: int, start: str | None = None) -> bool:
    """Is process ``pid`` running (not gone, not a zombie), and, given its ``start`` time, the same process?

    Parameters
    ----------
    pid : int
        A process id.
    start : str, optional
        Its start time as :func:`claim` recorded it; a process with this id that started at another time
        is another process (the id was reused).

    Returns
    -------
    bool

    Examples
    --------
    >>> import os
    >>> process_alive(os.getpid()), process_alive(os.getpid(), start="0")
    (True, False)
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    now = _start_time(pid)
    if now is None:
        return False
    return not (start and now and now != start)


def claim(folder: str | Path, pid: int | None = None) -> Path:
    """Write the owner file into ``folder``: this process (or ``pid``) made it and removes it.

    Parameters
    ----------
    folder : str or Path
        A folder just made.
    pid : int, optional
        The owner (default: this process).

    Returns
    -------
    Path
        The owner file.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = claim(d)
    ...     owner_alive(d)
    True
    """
    pid = os.getpid() if pid is None else pid
    path = Path(folder) / OWNER
    path.write_text(json.dumps({"pid": pid, "start": _start_time(pid) or ""}) + "\n", encoding="utf-8")
    return path


def make_folder(prefix: str, parent: str | None = None) -> str:
    """A new private folder (``mkdtemp``) with this process as its owner (:func:`claim`).

    Parameters
    ----------
    prefix : str
        One of :data:`PREFIXES`.
    parent : str, optional
        Where to make it (default :func:`temp_parent`).

    Returns
    -------
    str
        The folder.

    Examples
    --------
    >>> import shutil
    >>> folder = make_folder("rb-")
    >>> sorted(os.listdir(folder)), owner_alive(folder)
    (['review-owner.json'], True)
    >>> shutil.rmtree(folder)
    """
    folder = tempfile.mkdtemp(prefix=prefix, dir=parent or temp_parent())
    claim(folder)
    return folder


def owner_alive(folder: str | Path) -> bool | None:
    """Is the owner of ``folder`` (per its owner file) still running? None if the folder has no valid
    owner file (it is not one of the package's, or is being made).

    Parameters
    ----------
    folder : str or Path
        A folder.

    Returns
    -------
    bool or None

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     before = owner_alive(d)
    ...     _ = claim(d)
    ...     before, owner_alive(d)
    (None, True)
    """
    path = Path(folder) / OWNER
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4096:
            return None
        owner = json.loads(path.read_text(encoding="utf-8"))
        pid, start = int(owner["pid"]), str(owner.get("start") or "")
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return process_alive(pid, start)


def sweep_temporary(parents: list[str] | None = None) -> list[Path]:
    """Remove the package's temporary folders whose owner has ended (a build killed outright).

    Only folders named with one of :data:`PREFIXES`, owned by this user, not symbolic links, and holding a
    valid owner file whose process has ended are removed.

    Parameters
    ----------
    parents : list of str, optional
        The folders to look in (default: :func:`temp_parent` and the system's temporary folder).

    Returns
    -------
    list of Path
        The folders removed.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     dead, alive, other = (Path(tmp) / n for n in ("rb-dead", "rz-alive", "rb-other"))
    ...     for f in (dead, alive, other):
    ...         f.mkdir()
    ...     _ = claim(dead, pid=2 ** 22 + 1)  # beyond any process id: it has ended
    ...     _ = claim(alive)
    ...     [p.name for p in sweep_temporary([tmp])], sorted(p.name for p in Path(tmp).iterdir())
    (['rb-dead'], ['rb-other', 'rz-alive'])
    """
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    for parent in dict.fromkeys(parents or [temp_parent(), tempfile.gettempdir()]):
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            try:
                if (not entry.name.startswith(PREFIXES) or not entry.is_dir(follow_symlinks=False)
                        or (uid is not None and entry.stat(follow_symlinks=False).st_uid != uid)):
                    continue
            except OSError:
                continue
            if owner_alive(entry.path) is False:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def write_journal(staging: Path, created: list[str]) -> Path:
    """Before an install moves anything: record in its staging folder the files it will create (those that do
    not exist yet), so that if the build is killed before the manifest records them, the next build removes
    them (:func:`sweep_out_dir`). The files it replaces or deletes are kept as hard links in
    ``staging/previous/``.

    Parameters
    ----------
    staging : Path
        The install's staging folder.
    created : list of str
        Paths relative to the output folder.

    Returns
    -------
    Path
        The journal.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_journal(Path(d), ["tables/b.csv", "tables/a.csv"]).read_text()
    '{"created": ["tables/a.csv", "tables/b.csv"]}\\n'
    """
    path = Path(staging) / JOURNAL
    path.write_text(json.dumps({"created": sorted(created)}) + "\n", encoding="utf-8")
    return path


def _hash(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() and not path.is_symlink() else None


def _recover(out_dir: Path, folder: Path, listed: dict) -> list[str]:
    """Undo what the install staged in ``folder`` did that the manifest does not record (``listed``: path ->
    SHA-256 of the manifest's outputs). Returns the paths put back or removed."""
    from analysis.pipeline.outdir import contained, inside

    done = []
    previous = folder / "previous"
    if previous.is_dir() and not previous.is_symlink():
        for keep in sorted(previous.rglob("*")):
            if not keep.is_file() or keep.is_symlink():
                continue
            rel = keep.relative_to(previous).as_posix()
            if rel not in listed or not inside(out_dir, rel):
                continue
            dest = contained(out_dir, out_dir / rel)
            if _hash(dest) != listed[rel] and _hash(keep) == listed[rel]:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(keep, dest)
                done.append(rel)
    journal = folder / JOURNAL
    try:
        created = json.loads(journal.read_text(encoding="utf-8"))["created"] if journal.is_file() else []
    except (OSError, ValueError, TypeError, KeyError):
        created = []
    for rel in created if isinstance(created, list) else []:
        if isinstance(rel, str) and rel not in listed and inside(out_dir, rel):
            dest = contained(out_dir, out_dir / rel)
            if dest.is_file():
                dest.unlink()
                done.append(rel)
    return done


def sweep_out_dir(out_dir: Path, manifest: dict) -> list[str]:
    """Clear what a killed build left in ``out_dir`` (call it with the folder's lock held, before the build
    writes anything): interrupted installs undone (:func:`write_journal`), then the staging folders and the
    atomic writer's temporary files whose writer has ended removed.

    Parameters
    ----------
    out_dir : Path
        The output folder (locked).
    manifest : dict
        Its manifest, checked (:func:`analysis.pipeline.outdir.load_manifest`): what is published.

    Returns
    -------
    list of str
        What was put back, removed or deleted, relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = Path(tmp)
    ...     (out / ".cache").mkdir()
    ...     _ = (out / ".cache" / ".results.json.tmp").write_text("{")
    ...     _ = (out / "index.html").write_text("<p>kept</p>")
    ...     sweep_out_dir(out, {}), sorted(p.name for p in out.rglob("*"))
    (['.cache/.results.json.tmp'], ['.cache', 'index.html'])
    """
    out_dir = Path(out_dir)
    listed = {o["path"]: o["sha256"] for o in manifest.get("outputs", []) if isinstance(o, dict)}
    done: list[str] = []
    staging = out_dir / ".staging"
    if staging.is_dir() and not staging.is_symlink():
        for folder in sorted(p for p in staging.glob("*/*") if p.is_dir() and not p.is_symlink()):
            done += _recover(out_dir, folder, listed)
        shutil.rmtree(staging, ignore_errors=True)
        done.append(".staging")
    for root, _, files in os.walk(out_dir):  # symbolic links to folders are not followed
        for name in files:
            match = _ATOMIC_TMP.match(name)
            if match and not (match.group(1) and process_alive(int(match.group(1)))):
                path = Path(root) / name
                path.unlink(missing_ok=True)
                done.append(path.relative_to(out_dir).as_posix())
    return done
