"""The build's cache files: JSON only, so reading one back can never run code (no pickles).

A notebook's inputs (DataFrames, texts, lists) are written as one JSON document with its source key
(:func:`analysis.provenance.source_key`): every frame column with its dtype (categories and their
order, nullable integers, floats with NaN, tuples), so a frame read back is equal to the one written
(``pandas.testing.assert_frame_equal``) and a notebook shows the same either way. A file that is
not such a document (truncated, edited, planted) is discarded by :func:`read`, which says why; the
caller recomputes.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FORMAT", "CacheError", "encode", "decode", "write", "read"]

FORMAT = "review-inputs/1"


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
        return {"dtype": "category", "categories": [_plain(c) for c in dtype.categories], "ordered": bool(dtype.ordered),
                "values": [_plain(v) for v in series.astype(object)]}
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
        return {"frame": {"columns": [_plain(c) for c in value.columns],
                          "data": [_column(value.iloc[:, k]) for k in range(value.shape[1])],
                          "index": None if default else [_plain(v) for v in index], "length": len(value)}}
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    return {"value": _plain(value)}


def decode(data):
    """The inverse of :func:`encode`."""
    if not isinstance(data, dict) or len(data) != 1:
        raise CacheError("not an encoded value")
    (kind, body), = data.items()
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


def write(path: Path | str, source_key: str, data_dir: str | None, inputs: dict) -> None:
    """Write a notebook's inputs beside their final name, then rename into place."""
    path = Path(path)
    doc = {"format": FORMAT, "source_key": source_key, "data_dir": data_dir, "inputs": encode(inputs)}
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(doc, allow_nan=False), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read(path: Path | str) -> dict:
    """The document at ``path``: format, source_key, data_dir and the decoded inputs. Raises
    FileNotFoundError when there is none and :class:`CacheError` (naming the file) when it is not a
    valid document of this format."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CacheError(f"{path}: not a JSON cache file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CacheError(f"{path}: not a {FORMAT} document")
    try:
        inputs = decode(doc["inputs"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CacheError(f"{path}: damaged ({type(exc).__name__}: {exc})") from None
    return {"source_key": doc.get("source_key"), "data_dir": doc.get("data_dir"), "inputs": inputs}
