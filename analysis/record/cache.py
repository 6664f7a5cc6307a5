"""The results cache: expensive library results on disk, content-addressed, JSON only (no pickles).

Functions marked :func:`cached` (the record model's ranges, bounds and verdicts:
``summaries.grade_distribution``, ``trend_bounds.trend_bounds``, ``claims.evaluate_claims`` ...)
look their result up when their model carries a :class:`ResultsCache` (``model.cache``; a model
from :func:`analysis.report.open_report` does, one you build yourself does not). An entry's key is
the SHA-256 of the model's source key (the data files' hashes, the grade table's hash and the
``analysis`` code digest: :func:`source_key`), the function's name and its
arguments (a record by its files' hashes, a frame by its content), so a changed data file, grade
table or code never reads an old result. ``review build`` fills the cache of its output folder
(``<out>/.cache/results/``); notebooks, ``review run`` and JupyterLab read it.

Values are written as JSON: every frame column with its dtype (categories and their order, nullable
integers, floats with NaN, tuples), so a frame read back is equal to the one written
(``pandas.testing.assert_frame_equal``), and reading a file back can never run code. Entries are
written beside their final name and renamed into place, with the SHA-256 of the value, checked when
it is read. A file that is not a valid entry (truncated, edited, planted, or a value changed with its
key kept) is discarded with a warning and the result computed again.

Why not ``joblib.Memory``: it stores results with pickle (its only format), keys functions by their
source text rather than by the data files, and writes outside any folder we choose to guard; what we
need (a key from fingerprints we already take, JSON values) is the small codec below.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FORMAT", "CacheError", "encode", "decode", "value_digest", "ResultsCache", "cached", "source_key",
           "source_key_of"]

FORMAT = "review-result/2"


class CacheError(ValueError):
    """A cache file that is not a valid document of this format.

    Raised by :func:`decode` and :meth:`ResultsCache.read`; :meth:`ResultsCache.call` discards such an
    entry with a warning and computes the result again.

    Examples
    --------
    >>> decode({"value": {"set": [1, 2]}})
    Traceback (most recent call last):
        ...
    analysis.record.cache.CacheError: unexpected object in a cache file: ['set']
    """


def _plain(value):
    """A cell or value as JSON: tuples marked, missing values as None, numpy scalars as Python."""
    if isinstance(value, tuple):
        return {"tuple": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return {"float": repr(value)} if not math.isfinite(value) else value
    if isinstance(value, (str, int)):
        return value
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def _unplain(value):
    if isinstance(value, dict):
        if set(value) == {"tuple"}:
            return tuple(_unplain(v) for v in value["tuple"])
        if set(value) == {"float"}:
            return float(value["float"])
        raise CacheError(f"unexpected object in a cache file: {sorted(value)}")
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    return value


def _column(series: pd.Series) -> dict:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "dtype": "category",
            "categories": [_plain(c) for c in dtype.categories],
            "ordered": bool(dtype.ordered),
            "values": [_plain(v) for v in series.astype(object)],
        }
    return {"dtype": str(dtype), "values": [_plain(v) for v in series.astype(object)]}


def _series(spec: dict, name, index) -> pd.Series:
    values = [_unplain(v) for v in spec["values"]]
    dtype = spec["dtype"]
    if dtype == "category":
        cat = pd.CategoricalDtype([_unplain(c) for c in spec["categories"]], ordered=spec["ordered"])
        return pd.Series(pd.Categorical(values, dtype=cat), name=name, index=index)
    if dtype == "object":
        return pd.Series(values, name=name, index=index, dtype=object)
    if dtype.startswith("float"):
        return pd.Series([np.nan if v is None else v for v in values], name=name, index=index, dtype=dtype)
    return pd.Series(values, name=name, index=index, dtype=dtype)


def encode(value):
    """A notebook's inputs (a dict of frames and plain values) as JSON-ready data.

    Parameters
    ----------
    value : pandas.DataFrame, dict or plain value
        A frame (every column with its dtype, and its index unless it is the default one), a dict
        of such values (keys as strings), or a plain value: None, bool, int, float (NaN and
        infinities too), str, or a list or tuple of these. Missing values (``pd.NA``, ``pd.NaT``)
        become None.

    Returns
    -------
    dict
        One key, ``"frame"``, ``"dict"`` or ``"value"``, with data that ``json.dumps`` accepts with
        ``allow_nan=False``; :func:`decode` turns it back.

    Raises
    ------
    TypeError
        If the value (or a cell) is of any other type.

    Examples
    --------
    >>> encode({"n": 3, "pair": (1, 2.5), "missing": float("nan")})
    {'dict': {'n': {'value': 3}, 'pair': {'value': {'tuple': [1, 2.5]}}, 'missing': {'value': {'float': 'nan'}}}}
    >>> grade = pd.Categorical(["Good", "Weak"], categories=["Weak", "Good"], ordered=True)
    >>> frame = pd.DataFrame({"grade": grade, "share": [0.5, np.nan]})
    >>> pd.testing.assert_frame_equal(decode(json.loads(json.dumps(encode(frame)))), frame)
    """
    if isinstance(value, pd.DataFrame):
        index = value.index
        default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        return {
            "frame": {
                "columns": [_plain(c) for c in value.columns],
                "data": [_column(value.iloc[:, k]) for k in range(value.shape[1])],
                "index": None if default else [_plain(v) for v in index],
                "length": len(value),
            }
        }
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    return {"value": _plain(value)}


def decode(data):
    """The inverse of :func:`encode`.

    Parameters
    ----------
    data : dict
        What :func:`encode` returned (or its JSON read back).

    Returns
    -------
    pandas.DataFrame, dict or plain value
        The value encoded: frames with their dtypes, tuples as tuples, non-finite floats as floats.

    Raises
    ------
    CacheError
        If ``data`` is not an encoded value.

    Examples
    --------
    >>> decode({"dict": {"n": {"value": 3}, "pair": {"value": {"tuple": [1, 2]}}}})
    {'n': 3, 'pair': (1, 2)}
    >>> decode(encode(pd.DataFrame({"n": [1, 2]})))["n"].tolist()
    [1, 2]
    >>> decode({"pickle": "..."})
    Traceback (most recent call last):
        ...
    analysis.record.cache.CacheError: unknown kind 'pickle'
    """
    if not isinstance(data, dict) or len(data) != 1:
        raise CacheError("not an encoded value")
    ((kind, body),) = data.items()
    if kind == "value":
        return _unplain(body)
    if kind == "dict":
        return {k: decode(v) for k, v in body.items()}
    if kind == "frame":
        n = body["length"]
        index = pd.RangeIndex(n) if body["index"] is None else pd.Index([_unplain(v) for v in body["index"]])
        columns = [_unplain(c) for c in body["columns"]]
        series = [_series(spec, name, index) for name, spec in zip(columns, body["data"])]
        frame = pd.concat(series, axis=1) if series else pd.DataFrame(index=index)
        frame.columns = columns
        return frame
    raise CacheError(f"unknown kind {kind!r}")


def _value_sha256(encoded) -> str:
    """SHA-256 of an entry's encoded value in one canonical JSON form: written with the entry and checked when it
    is read, so a value edited in place (its key kept) is discarded, not served."""
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def value_digest(value) -> str:
    """SHA-256 of a value's JSON encoding (stable across runs and machines for the same value).

    Parameters
    ----------
    value : pandas.DataFrame, dict or plain value
        Anything :func:`encode` accepts.

    Returns
    -------
    str
        64 hexadecimal digits, from the encoding written with sorted keys and no spaces.

    Raises
    ------
    TypeError
        If :func:`encode` does not accept the value.

    Examples
    --------
    >>> a = value_digest(pd.DataFrame({"n": [1, 2]}))
    >>> len(a), a == value_digest(pd.DataFrame({"n": [1, 2]})), a == value_digest(pd.DataFrame({"n": [2, 1]}))
    (64, True, False)
    >>> value_digest({"b": 1, "a": 2}) == value_digest({"a": 2, "b": 1})
    True
    """
    text = json.dumps(encode(value), allow_nan=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Uncacheable(TypeError):
    """An argument with no content key (the call is computed, not cached).

    :meth:`ResultsCache.call` catches it and computes the call without reading or writing an entry.

    Examples
    --------
    >>> import tempfile
    >>> def kind(value):
    ...     return type(value).__name__
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = ResultsCache(tmp, "example")
    ...     value = store.call(kind, (object(),), {})  # an object has no content key
    ...     entries = list(Path(tmp).iterdir())
    >>> value, store.misses, store.served, entries
    ('object', 0, [], [])
    """


def _argument_key(value):
    """A JSON-ready key for an argument: plain values as themselves, a frame by its content, a public
    record by its files' hashes, the model by nothing (its source key is in every entry's key)."""
    from analysis.domain.load import PublicRecord
    from analysis.record.model import RecordModel

    if isinstance(value, RecordModel) and isinstance(value.cache, ResultsCache):
        return "<model>"
    if isinstance(value, PublicRecord):
        return {"record": value.files}
    if isinstance(value, pd.DataFrame):
        return {"frame": value_digest(value)}
    if isinstance(value, dict):
        return {"dict": [[str(k), _argument_key(v)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]}
    if isinstance(value, (list, tuple)):
        return [_argument_key(v) for v in value]
    try:
        return _plain(value)
    except TypeError:
        raise Uncacheable(type(value).__name__) from None


class ResultsCache:
    """The results cache of one data basis in ``folder``: entries ``<key>.json``.

    ``source_key`` is :func:`source_key` of the data folder and grade table the
    model was built from. With ``writable`` False, missing entries are computed and not stored.
    With ``refresh`` (``review build --force``), no entry already on disk is trusted: each result is
    computed again the first time it is asked for and its entry rewritten; later calls read that new
    entry, as do the keys given to :meth:`trust` (computed afresh by another process of the build).
    ``hits`` and ``misses`` count the calls served in this process, and ``served`` lists their keys.

    Parameters
    ----------
    folder : str or Path
        The folder of the entries (``<out>/.cache/results/`` for a build).
    source_key : str
        :func:`source_key` of the data basis; part of every entry's key.
    writable : bool, optional
        Store the results computed (default True).
    refresh : bool, optional
        Compute every result again instead of reading the entry on disk (default False).

    Attributes
    ----------
    folder : Path
        The folder of the entries.
    source_key : str
        As given.
    writable : bool
        As given.
    hits : int
        Calls answered from an entry.
    misses : int
        Calls computed (no entry, or one discarded).
    served : list of str
        The key of every call served through the cache, in order.
    fresh : set of str
        The keys computed in this process (and those :meth:`trust` was given).

    Examples
    --------
    >>> import tempfile
    >>> def total(values):
    ...     return sum(values)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = ResultsCache(tmp, "example")
    ...     first, again = store.call(total, ([1, 2, 3],), {}), store.call(total, ([1, 2, 3],), {})
    ...     other = store.call(total, ([4],), {})
    ...     entries = sorted(p.suffix for p in Path(tmp).iterdir())
    >>> first, again, other, store.hits, store.misses, entries
    (6, 6, 4, 1, 2, ['.json', '.json'])
    >>> store.served[0] == store.served[1] != store.served[2]
    True

    With ``refresh``, an entry written before is computed again once, then read:

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = ResultsCache(tmp, "example").call(total, ([1, 2],), {})
    ...     store = ResultsCache(tmp, "example", refresh=True)
    ...     values = store.call(total, ([1, 2],), {}), store.call(total, ([1, 2],), {})
    >>> values, store.misses, store.hits
    ((3, 3), 1, 1)
    """

    def __init__(self, folder: Path | str, source_key: str, writable: bool = True, refresh: bool = False):
        self.folder, self.source_key, self.writable, self.refresh = Path(folder), source_key, writable, refresh
        self.hits = self.misses = 0
        self.served: list[str] = []  # the keys of every call served, in order
        self.fresh: set[str] = set()  # the keys computed in this process (or trusted: computed by the build)

    def trust(self, keys) -> None:
        """With ``refresh``: read the entries of ``keys`` from now on (another process of this build has just
        computed them).

        Parameters
        ----------
        keys : iterable of str
            Entries' keys.

        Examples
        --------
        >>> store = ResultsCache("unused", "example", refresh=True)
        >>> store.trust(["a1", "b2"])
        >>> sorted(store.fresh)
        ['a1', 'b2']
        """
        self.fresh.update(keys)

    def key(self, name: str, arguments) -> str:
        """The key of a call: SHA-256 of the format, the source key, the function's name and its arguments.

        Parameters
        ----------
        name : str
            The function's qualified name (``module.qualname``).
        arguments : list
            The arguments' keys, as JSON-ready data.

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        text = json.dumps([FORMAT, self.source_key, name, arguments], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        """The file of the entry with ``key``: ``<folder>/<key>.json``.

        Parameters
        ----------
        key : str
            An entry's key (:meth:`key`).

        Returns
        -------
        Path
            The entry's path (the file may not exist).
        """
        return self.folder / f"{key}.json"

    def read(self, key: str):
        """The entry's value, or raise FileNotFoundError (none) or :class:`CacheError` (not a valid entry).

        Parameters
        ----------
        key : str
            The entry's key.

        Returns
        -------
        pandas.DataFrame, dict or plain value
            The value stored (:func:`decode`).

        Raises
        ------
        FileNotFoundError
            If there is no entry with this key.
        CacheError
            If the file is not JSON, not an entry of this format for this key, or damaged.
        """
        path = self.path(key)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CacheError(f"{path}: not a JSON cache entry ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
            raise CacheError(f"{path}: not a {FORMAT} entry for this key")
        try:
            intact = doc["value_sha256"] == _value_sha256(doc["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CacheError(f"{path}: damaged ({type(exc).__name__}: {exc})") from None
        if not intact:
            raise CacheError(f"{path}: its value does not match the digest written with it (edited?)")
        try:
            return decode(doc["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CacheError(f"{path}: damaged ({type(exc).__name__}: {exc})") from None

    def write(self, key: str, name: str, value) -> None:
        """Write an entry beside its final name, then rename it into place (atomic).

        Parameters
        ----------
        key : str
            The entry's key.
        name : str
            The function's qualified name (stored for reference, not read back).
        value : pandas.DataFrame, dict or plain value
            The result, as :func:`encode` accepts it.
        """
        path = self.path(key)
        encoded = encode(value)
        doc = {"format": FORMAT, "key": key, "function": name, "value_sha256": _value_sha256(encoded),
               "value": encoded}
        from analysis.files import write_atomic

        write_atomic(path, json.dumps(doc, allow_nan=False), per_process=True)

    def call(self, func, args: tuple, kwargs: dict):
        """``func(*args, **kwargs)`` through the cache. The value returned is always the one read back
        from its JSON form, so a notebook shows the same whether the entry was there or not.

        An argument with no content key (:class:`Uncacheable`) makes the call uncached; an entry
        that cannot be read is discarded with a warning and the result computed again.

        Parameters
        ----------
        func : callable
            The function (the undecorated one).
        args : tuple
            Its positional arguments.
        kwargs : dict
            Its keyword arguments (``f(m, x)`` and ``f(m, scopes=x)`` share one entry).

        Returns
        -------
        object
            The result, read back from its JSON form.
        """
        import inspect

        name = f"{func.__module__}.{func.__qualname__}"
        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()  # f(m, x) and f(m, scopes=x) are one entry
        try:
            arguments = [[k, _argument_key(v)] for k, v in bound.arguments.items()]
        except Uncacheable:
            return func(*args, **kwargs)
        key = self.key(name, arguments)
        self.served.append(key)
        if not self.refresh or key in self.fresh:
            try:
                value = self.read(key)
                self.hits += 1
                return value
            except FileNotFoundError:
                pass
            except (CacheError, OSError) as exc:
                warnings.warn(f"{exc}; discarded: the result is computed again", stacklevel=3)
        value = decode(encode(func(*args, **kwargs)))
        self.misses += 1
        if self.writable:
            self.write(key, name, value)
            self.fresh.add(key)
        return value


def _cache_of(args, kwargs) -> ResultsCache | None:
    for value in (*args, *kwargs.values()):
        store = getattr(value, "cache", None)
        if isinstance(store, ResultsCache):
            return store
    return None


def cached(func):
    """Mark a library function whose result is worth keeping: called with a model that carries a
    :class:`ResultsCache`, its result comes from (or goes to) that cache; otherwise it is computed.
    The function itself is ``func.__wrapped__`` (as with any ``functools.wraps``).

    Parameters
    ----------
    func : callable
        A function whose result :func:`encode` accepts.

    Returns
    -------
    callable
        The function through :meth:`ResultsCache.call` when some argument has a ``cache`` attribute
        holding a :class:`ResultsCache`, else the function itself.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.record.model import RecordModel
    >>> @cached
    ... def n_groups(model, extra=0):
    ...     return len(model.groups) + extra
    >>> model = RecordModel([], "no constraints")
    >>> n_groups(model, 1)  # no cache: computed
    1
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     model.cache = ResultsCache(tmp, "example")
    ...     values = n_groups(model, 1), n_groups(model, extra=1)
    >>> values, model.cache.misses, model.cache.hits
    ((1, 1), 1, 1)
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        store = _cache_of(args, kwargs)
        if store is None:
            return func(*args, **kwargs)
        return store.call(func, args, kwargs)

    return wrapper


def source_key(data_dir: str | Path | None = None, grades: str | Path | None = None) -> str:
    """What a result is computed from: the data files, the grade table, the code. Every entry of the
    results cache (:class:`ResultsCache`) is keyed by it, with the function and its
    arguments, so an entry is read only while these are unchanged.

    Parameters
    ----------
    data_dir : str, Path or None, optional
        The data package (default: the one in use).
    grades : str, Path or None, optional
        A complete grade table's file (None: the public record).

    Returns
    -------
    str
        64 hexadecimal digits: :func:`source_key_of` of the data files' hashes, the grade table's
        hash and the ``analysis`` code digest.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     grades = Path(tmp) / "grades.csv"
    ...     _ = grades.write_text("partnership,indicator,grade", encoding="utf-8")
    ...     keys = source_key(), source_key(grades=grades)
    >>> [len(k) for k in keys], keys[0] != keys[1]
    ([64, 64], True)
    """
    from analysis.domain.load import data_file_hashes
    from analysis.fingerprints import code_digest, sha256_file

    return source_key_of(data_file_hashes(data_dir), sha256_file(grades) if grades else None, code_digest())


def source_key_of(data_files: dict, grades_sha256: str | None, code: str) -> str:
    """:func:`source_key` from fingerprints already taken (the build has them).

    Parameters
    ----------
    data_files : dict
        Each data file's SHA-256, by path (:func:`analysis.domain.load.data_file_hashes`).
    grades_sha256 : str or None
        The grade table's SHA-256 (None: the public record).
    code : str
        The ``analysis`` code digest (:func:`analysis.fingerprints.code_digest`).

    Returns
    -------
    str
        64 hexadecimal digits (:func:`analysis.fingerprints.digest` of the three).

    Examples
    --------
    >>> files = {"datapackage.json": "ab12"}
    >>> key = source_key_of(files, None, "c0de")
    >>> len(key), key == source_key_of(dict(files), None, "c0de"), key == source_key_of(files, "ef34", "c0de")
    (64, True, False)
    """
    from analysis.fingerprints import digest

    return digest(data_files, grades_sha256, code)
