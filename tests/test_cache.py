"""The inputs cache is JSON: frames read back equal to those written, and a planted or damaged
file runs no code and is discarded (the notebook computes its inputs instead)."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis import cache, scale
from analysis.report import _cached_inputs


def _frame():
    return pd.DataFrame({
        "grade": pd.Categorical(["Good", "Weak", None], categories=list(scale.GRADES), ordered=True),
        "count": pd.array([1, None, 3], dtype="Int64"),
        "share": [0.5, np.nan, math.inf],
        "n": np.array([1, 2, 3], dtype=np.int64),
        "flag": [True, False, True],
        "possible": [("Good", "Very good"), ("Weak",), ()],
        "text": ["a", None, "=1+1"],
    })


def test_round_trip_is_exact(tmp_path):
    inputs = {"kind": "review", "subject": None, "scopes": ["all", "pre-2014"], "table": _frame(),
              "empty": _frame().iloc[0:0]}
    path = tmp_path / "x.json"
    cache.write(path, "key", None, inputs)
    back = cache.read(path)
    assert back["source_key"] == "key"
    for k, v in inputs.items():
        if isinstance(v, pd.DataFrame):
            assert_frame_equal(back["inputs"][k], v, check_exact=True)
        else:
            assert back["inputs"][k] == v


def test_a_planted_pickle_runs_no_code(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "national.json"
    path.write_bytes(pickle.dumps({"source_key": "x", "inputs": Evil()}))
    with pytest.raises(cache.CacheError, match="national.json"):
        cache.read(path)
    with pytest.warns(UserWarning, match="discarded"):
        assert _cached_inputs(path, "") == (None, None)
    assert not marker.exists()


@pytest.mark.parametrize("text", ['{"format": "review-inputs/1", "inputs": {"frame": {"columns": ["a"]}}}',
                                  '{"format": "other"}', '{"format": "review-inputs/1", "source_key": "k", "inputs": '
                                  '{"value": {"__class__": "os.system"}}}', "[1, 2", ""])
def test_damaged_files_are_discarded_with_a_note(tmp_path, text):
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(cache.CacheError):
        cache.read(path)
    with pytest.warns(UserWarning, match="x.json"):
        assert _cached_inputs(path, "") == (None, None)
