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
written beside their final name and renamed into place. A file that is not a valid entry
(truncated, edited, planted) is discarded with a warning and the result computed again.

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

FORMAT = "review-result/1"


class CacheError(ValueError):
    """A cache file that is not a valid document of this format."""


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
    """A notebook's inputs (a dict of frames and plain values) as JSON-ready data."""
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
    """The inverse of :func:`encode`."""
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


def value_digest(value) -> str:
    """SHA-256 of a value's JSON encoding (stable across runs and machines for the same value)."""
    text = json.dumps(encode(value), allow_nan=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Uncacheable(TypeError):
    """An argument with no content key (the call is computed, not cached)."""


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
    ``hits`` and ``misses`` count the calls served in this process, and ``served`` lists their keys.
    """

    def __init__(self, folder: Path | str, source_key: str, writable: bool = True):
        self.folder, self.source_key, self.writable = Path(folder), source_key, writable
        self.hits = self.misses = 0
        self.served: list[str] = []  # the keys of every call served, in order

    def key(self, name: str, arguments) -> str:
        text = json.dumps([FORMAT, self.source_key, name, arguments], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def read(self, key: str):
        """The entry's value, or raise FileNotFoundError (none) or :class:`CacheError` (not a valid entry)."""
        path = self.path(key)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CacheError(f"{path}: not a JSON cache entry ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
            raise CacheError(f"{path}: not a {FORMAT} entry for this key")
        try:
            return decode(doc["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CacheError(f"{path}: damaged ({type(exc).__name__}: {exc})") from None

    def write(self, key: str, name: str, value) -> None:
        """Write an entry beside its final name, then rename it into place (atomic)."""
        path = self.path(key)
        doc = {"format": FORMAT, "key": key, "function": name, "value": encode(value)}
        from analysis.files import write_atomic

        write_atomic(path, json.dumps(doc, allow_nan=False), per_process=True)

    def call(self, func, args: tuple, kwargs: dict):
        """``func(*args, **kwargs)`` through the cache. The value returned is always the one read back
        from its JSON form, so a notebook shows the same whether the entry was there or not."""
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
    The function itself is ``func.__wrapped__`` (as with any ``functools.wraps``)."""

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
    """
    from analysis.domain.load import data_file_hashes
    from analysis.fingerprints import code_digest, sha256_file

    return source_key_of(data_file_hashes(data_dir), sha256_file(grades) if grades else None, code_digest())


def source_key_of(data_files: dict, grades_sha256: str | None, code: str) -> str:
    """:func:`source_key` from fingerprints already taken (the build has them)."""
    from analysis.fingerprints import digest

    return digest(data_files, grades_sha256, code)
