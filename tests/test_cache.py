"""The results cache is JSON and content-addressed: frames read back equal to those written; a
changed data file, grade table or code digest misses; a planted or damaged entry runs no code and is
computed again; a call is one entry however its arguments are written."""

import json
import math
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.domain import scale
from analysis.domain.load import data_file_hashes, load_grades, load_record
from analysis.fingerprints import code_digest, sha256_file
from analysis.record import cache
from analysis.record.cache import source_key, source_key_of
from analysis.record.model import RecordModel
from analysis.stats import summaries

from conftest import ROOT, write_grades_long


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


def test_round_trip_is_exact():
    value = {"kind": "review", "subject": None, "scopes": ["all", "pre-2014"], "table": _frame(),
             "empty": _frame().iloc[0:0]}
    back = cache.decode(json.loads(json.dumps(cache.encode(value), allow_nan=False)))
    for k, v in value.items():
        if isinstance(v, pd.DataFrame):
            assert_frame_equal(back[k], v, check_exact=True)
        else:
            assert back[k] == v


@pytest.fixture
def table(tmp_path, complete_rows):
    """A complete grade table (hand-made in conftest) and a model of it with a results cache."""
    path = write_grades_long(tmp_path / "grades.csv", complete_rows)
    return path


def _model(path, folder, key=None, writable=True):
    model = RecordModel.from_grades(load_grades(path))
    model.cache = cache.ResultsCache(folder, key or source_key(None, path), writable)
    return model


def test_a_second_call_reads_the_entry_and_gives_the_same_frame(tmp_path, table):
    folder = tmp_path / "results"
    first = _model(table, folder)
    value = summaries.median_grade(first)
    assert (first.cache.hits, first.cache.misses) == (0, 1) and len(list(folder.glob("*.json"))) == 1
    second = _model(table, folder)
    again = summaries.median_grade(second, scopes=None)   # the same call written another way: one entry
    assert (second.cache.hits, second.cache.misses) == (1, 0)
    assert_frame_equal(again, value, check_exact=True)
    # the value equals the function's own, computed without any cache
    assert_frame_equal(value, summaries.median_grade(RecordModel.from_grades(load_grades(table))), check_exact=True)
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))


def test_a_changed_data_file_grade_table_or_code_misses(tmp_path, table, complete_rows):
    folder = tmp_path / "results"
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    files, code = data_file_hashes(data), code_digest()
    base = source_key_of(files, sha256_file(table), code)
    summaries.median_grade(_model(table, folder, base))
    assert len(list(folder.glob("*.json"))) == 1
    # a data file changes (one byte of a quote)
    path = data / "record/sources.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = {"data file": source_key_of(data_file_hashes(data), sha256_file(table), code),
               "code digest": source_key_of(files, sha256_file(table), "0" * 64)}
    other = write_grades_long(
        tmp_path / "other.csv", complete_rows[:-1] + [(*complete_rows[-1][:2], "Weak")]
    )  # was Good
    changed["grade table"] = source_key_of(files, sha256_file(other), code)
    for what, key in changed.items():
        model = _model(table if what != "grade table" else other, folder, key)
        summaries.median_grade(model)
        assert (model.cache.hits, model.cache.misses) == (0, 1), what
    assert len(list(folder.glob("*.json"))) == 4


def test_a_planted_pickle_runs_no_code_and_is_computed_again(tmp_path, table):
    folder = tmp_path / "results"
    model = _model(table, folder)
    value = summaries.median_grade(model)
    (entry,) = folder.glob("*.json")
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    entry.write_bytes(pickle.dumps({"format": cache.FORMAT, "value": Evil()}))
    again = _model(table, folder)
    with pytest.warns(UserWarning, match="discarded"):
        assert_frame_equal(summaries.median_grade(again), value, check_exact=True)
    assert again.cache.misses == 1 and not marker.exists()
    assert json.loads(entry.read_text())["format"] == cache.FORMAT  # rewritten as a valid entry


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "review-result/2", "value": {"frame": {"columns": ["a"]}}}',
        '{"format": "other"}',
        '{"format": "review-result/2", "key": "KEY", "value": {"value": {"__class__": "os.system"}}}',
        "[1, 2",
        "",
    ],
)
def test_damaged_entries_are_discarded_with_a_note_and_computed_again(tmp_path, table, text):
    folder = tmp_path / "results"
    value = summaries.median_grade(_model(table, folder))
    (entry,) = folder.glob("*.json")
    entry.write_text(text.replace("KEY", entry.stem))
    with pytest.raises(cache.CacheError):
        cache.ResultsCache(folder, "").read(entry.stem)
    again = _model(table, folder)
    with pytest.warns(UserWarning, match=entry.name):
        assert_frame_equal(summaries.median_grade(again), value, check_exact=True)
    assert again.cache.misses == 1


def test_a_read_only_cache_and_a_model_without_one_write_nothing(tmp_path, table):
    folder = tmp_path / "results"
    model = _model(table, folder, writable=False)
    summaries.median_grade(model)
    summaries.median_grade(model)
    assert model.cache.misses == 2 and not folder.exists()
    plain = RecordModel.from_grades(load_grades(table))
    assert plain.cache is None
    summaries.median_grade(plain)
    assert not folder.exists()


def test_arguments_are_keyed_by_content(tmp_path):
    # a record by its files' hashes, a frame by its content: the same content is the same key
    record = load_record()
    store = cache.ResultsCache(tmp_path, "k")
    key = cache._argument_key
    assert key(record) == {"record": data_file_hashes()}
    assert key(_frame()) == key(_frame().copy())
    assert key(_frame()) != key(_frame().iloc[:2])
    assert store.key("f", [["x", key(["a", 1])]]) != store.key("f", [["x", key(["a", 2])]])
    with pytest.raises(cache.Uncacheable):
        key(object())


def test_only_a_notebook_that_writes_outputs_writes_entries(tmp_path):
    # a re-run of a published notebook (nbval, JupyterLab: output_dir empty) reads the cache, never writes
    from analysis.report.page import open_report

    out = tmp_path / "out"
    (out / ".cache/results").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"analysis_code_sha256": "x", "outputs": []}), encoding="utf-8")
    cache_dir = str(out / ".cache/results")
    assert not open_report("partnership", "Fife", cache=cache_dir).model.cache.writable
    assert open_report("partnership", "Fife", cache=cache_dir, output_dir=str(tmp_path / "x")).model.cache.writable
    # and never into a folder that is not one of ours: no manifest, or a file of that name a build did not write
    assert not open_report(
        "partnership", "Fife", cache=str(tmp_path / "elsewhere"), output_dir=str(tmp_path / "x")
    ).model.cache.writable
    planted = tmp_path / "planted"
    (planted / ".cache/results").mkdir(parents=True)
    for text in ("{}", "not json", json.dumps([1, 2])):
        (planted / "manifest.json").write_text(text, encoding="utf-8")
        assert not open_report("partnership", "Fife", cache=str(planted / ".cache/results"),
                               output_dir=str(tmp_path / "x")).model.cache.writable, text


def test_an_entry_under_another_calls_key_is_discarded_not_served(tmp_path, table):
    """A well-formed entry (format, key, value and its digest all valid) renamed to the file of another call, as
    a cache folder filled by hand might hold: its key is not the one its file name says, so it is discarded with
    a warning and the call computed, never served as the other call's value."""
    folder = tmp_path / "results"
    model = _model(table, folder)
    median = summaries.median_grade(model)
    (first,) = folder.glob("*.json")
    distribution = summaries.grade_distribution(model)
    (second,) = set(folder.glob("*.json")) - {first}
    second.write_bytes(first.read_bytes())  # median_grade's entry under grade_distribution's name
    with pytest.raises(cache.CacheError, match="not a review-result/2 entry for this key"):
        cache.ResultsCache(folder, "").read(second.stem)
    again = _model(table, folder, writable=False)
    with pytest.warns(UserWarning, match=second.name):
        assert_frame_equal(summaries.grade_distribution(again), distribution, check_exact=True)
    assert_frame_equal(summaries.median_grade(again), median, check_exact=True)
    assert (again.cache.misses, again.cache.hits) == (1, 1)
    assert second.read_bytes() == first.read_bytes()  # read only: the discarded entry is left as it was


def test_a_value_edited_with_its_key_kept_is_discarded_not_served(tmp_path, table):
    """The entry stays well formed (format, key, a value that decodes) but one grade of its value is changed: the
    digest written with it no longer matches, so the edit is discarded with a warning and the true value served."""
    import json

    folder = tmp_path / "results"
    value = summaries.median_grade(_model(table, folder))
    (entry,) = folder.glob("*.json")
    doc = json.loads(entry.read_text())
    columns = doc["value"]["frame"]["columns"]
    low = doc["value"]["frame"]["data"][columns.index("median_low")]  # the lower median of the first row
    grades = low.get("categories") or list(scale.GRADES)
    low["values"][0] = next(g for g in grades if g != low["values"][0])
    entry.write_text(json.dumps(doc))
    cache.decode(doc["value"])  # the edited value is itself a valid value: only the digest tells
    with pytest.raises(cache.CacheError, match="does not match the digest"):
        cache.ResultsCache(folder, "").read(entry.stem)
    again = _model(table, folder)
    with pytest.warns(UserWarning, match="does not match the digest"):
        assert_frame_equal(summaries.median_grade(again), value, check_exact=True)
    assert again.cache.misses == 1
