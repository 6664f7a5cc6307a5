"""The data package in use: the one folder every domain table, the record and the schema are read from.

The domain (grade scale, indicators, partnerships, period groups) is data: it is read from the
``reference/`` tables of the data package the command, the build or the notebook names
(``review build --data DIR``, ``build(data_dir=...)``, ``open_report(..., data=DIR)``,
``load_record(DIR)``), and from the project's ``data/`` when none is named. Naming another data
package switches every domain table at once, so the record and the domain always come from the
same folder; the tables read from the previous one are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

__all__ = ["use", "data_dir", "on_change", "domain_cached", "NoDataPackage"]

from analysis.errors import ReviewError, shown


class NoDataPackage(ReviewError, FileNotFoundError):
    """A folder named as the data package holds no ``datapackage.json``.

    Raised by :func:`use` when it is given such a folder. It is a :class:`~analysis.errors.ReviewError`
    (a message about the input) and a :class:`FileNotFoundError`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     try:
    ...         use(tmp)
    ...     except NoDataPackage as exc:
    ...         print(isinstance(exc, FileNotFoundError), "not a data package" in str(exc))
    True True
    >>> use(None) == data_dir()
    True
    """


_state: dict = {"dir": None}
_resets: list[Callable[[], None]] = []


def data_dir() -> Path:
    """The data package in use.

    Returns
    -------
    Path
        The folder named by the last :func:`use`, else the project's ``data/``.

    Examples
    --------
    >>> (data_dir() / "datapackage.json").is_file()
    True
    """
    if _state["dir"] is not None:
        return _state["dir"]
    from analysis import config

    return Path(config.DATA_DIR)


def use(folder: str | Path | None) -> Path:
    """Make ``folder`` the data package in use (``None`` or ``""``: the project's ``data/``).

    Parameters
    ----------
    folder : str, Path or None
        A data package: a folder holding ``datapackage.json``.

    Returns
    -------
    Path
        The data package now in use (resolved). If it differs from the one before, every domain
        table read from that one is dropped, to be read again from this one on first use.

    Raises
    ------
    NoDataPackage
        If ``folder`` holds no ``datapackage.json``; the data package in use is then unchanged.

    Examples
    --------
    >>> use(None) == data_dir()
    True
    """
    from analysis import config

    new = Path(folder).expanduser().resolve() if folder else Path(config.DATA_DIR).resolve()
    if not (new / "datapackage.json").is_file():
        raise NoDataPackage(f"{shown(str(folder))}: not a data package (no datapackage.json in it); name a folder "
                            "laid out as data/ is (datapackage.json, reference/, record/)")
    old = data_dir().resolve()
    _state["dir"] = new
    if new != old:
        for reset in _resets:
            reset()
    return new


def on_change(reset: Callable[[], None]) -> Callable[[], None]:
    """Register ``reset`` to run when another data package comes into use (a cache's ``cache_clear``).

    Parameters
    ----------
    reset : callable
        Called with no arguments.

    Returns
    -------
    callable
        ``reset`` itself, so this can decorate a function.

    Examples
    --------
    >>> from functools import lru_cache
    >>> @lru_cache(maxsize=1)
    ... def table():
    ...     return data_dir().name
    >>> _ = on_change(table.cache_clear)
    >>> table() == data_dir().name
    True
    """
    _resets.append(reset)
    return reset


def domain_cached(func):
    """A table or lookup of the domain, read once per data package in use (``lru_cache``, cleared by
    :func:`use` when another package comes into use).

    Parameters
    ----------
    func : callable
        A function of no arguments reading the data package in use.

    Returns
    -------
    callable
        ``func`` with its result cached.

    Examples
    --------
    >>> @domain_cached
    ... def folder_name():
    ...     return data_dir().name
    >>> folder_name() == data_dir().name
    True
    """
    cached = lru_cache(maxsize=1)(func)
    on_change(cached.cache_clear)
    return cached
