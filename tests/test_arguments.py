"""Every option of every command, given a value out of range or malformed: a message naming the option
and exit 2, never a traceback and never a run. A property test (hypothesis) draws the bad values; the
files given to ``review check`` are each wrong in one way.

Nothing here may start a build: every value drawn is one the parser or the first check must refuse."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main

#: The numeric options of each command, with what makes a value bad (the parser's own rule, restated).
NUMERIC = {
    ("build", "--jobs"): "count", ("check", "--jobs"): "count", ("release", "--jobs"): "count",
    ("build", "--timeout"): "seconds", ("run", "--timeout"): "seconds", ("check", "--timeout"): "seconds",
    ("check", "--tol"): "tolerance", ("check", "--rtol"): "tolerance", ("check", "--atol"): "tolerance",
}
#: What a command needs besides the option, so that only the option is wrong.
REST = {"build": [], "check": [], "run": ["--national"], "release": ["9.9.9"]}


def _bad_numbers(rule):
    words = st.sampled_from(["", "x", "1e", "1,5", "0x10", "½", "nan", "inf", "-inf", "1 2"])
    if rule == "count":  # a whole number of at least 1
        fractions = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)).map(repr)
        return st.one_of(st.integers(max_value=0).map(str), words, fractions)
    top = 0.0 if rule == "seconds" else -1e-300  # seconds: above 0; tolerances: 0 or more
    return st.one_of(st.floats(max_value=top, allow_nan=False, allow_infinity=False).map(repr), words)


def _refused(capsys, argv):
    with pytest.raises(SystemExit) as info:  # argparse refuses: usage, the message, exit 2
        main(argv)
    err = capsys.readouterr().err
    return info.value.code, err


@pytest.mark.parametrize("command, option", list(NUMERIC))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_bad_number_is_refused_with_a_message(capsys, command, option, data):
    value = data.draw(_bad_numbers(NUMERIC[command, option]))
    code, err = _refused(capsys, [command, f"{option}={value}", *REST[command]])
    assert code == 2, (command, option, value)
    assert option in err and "Traceback" not in err


@pytest.mark.parametrize("command, option, value", [
    ("build", "--jobs", "2"), ("check", "--tol", "0"), ("check", "--rtol", "1e-9"), ("check", "--atol", "0.5"),
    ("run", "--timeout", "0.5"),
])
def test_a_good_number_passes_the_parser(monkeypatch, command, option, value):
    """The rules refuse only what they should: the parser accepts these (and nothing is run)."""
    import argparse

    seen = {}
    original = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):
        seen["args"] = original(self, args, namespace)
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    with pytest.raises(SystemExit) as info:
        main([command, option, value, *REST[command]])
    assert info.value.code == 0 and getattr(seen["args"], option.lstrip("-")) == float(value)


@pytest.mark.parametrize("content, message", [
    (None, "no manifest"),
    ("", "not a readable manifest"),
    ("{not json", "not a readable manifest"),
    ("[]", "not a manifest"),
    ('"a string"', "not a manifest"),
    ("{}", "not a manifest"),
    (json.dumps({"outputs": [{"path": 1}]}), "not a manifest"),
    (json.dumps({"outputs": [], "jobs": []}), "not a manifest"),
    (b"\xff\xfe not text", "not a readable manifest"),
])
@pytest.mark.parametrize("how", ["--against", "--reports"])
def test_check_with_a_bad_manifest_is_a_message(tmp_path, capsys, content, message, how):
    path = tmp_path / "manifest.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    argv = ["check", "--against", str(path)] if how == "--against" else ["check", "--reports", str(tmp_path),
                                                                          "--since", "HEAD"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err


def test_check_against_a_folder_is_a_message(tmp_path, capsys):
    assert main(["check", "--against", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a folder, not a manifest file" in err and "Traceback" not in err
