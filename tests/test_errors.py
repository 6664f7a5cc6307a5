"""Every bad input or use is a ReviewError: the command line prints a message and exits 2, with no
traceback; anything else stays a bug (exit 3)."""

import pytest

from analysis.cli import main
from analysis.errors import ReviewError, UsageError


def _run(capsys, *args):
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


def test_check_of_a_folder_without_a_manifest(tmp_path, capsys):
    code, err = _run(capsys, "check", "--reports", str(tmp_path))
    assert code == 2 and "no manifest" in err and "Traceback" not in err


def test_check_since_a_manifest_that_is_not_json(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    code, err = _run(capsys, "check", "--reports", str(tmp_path))
    assert code == 2 and "not a readable manifest" in err and "Traceback" not in err


def test_a_bad_since(capsys):
    code, err = _run(capsys, "check", "--since=--output=/tmp/x")
    assert code == 2 and "is not a commit" in err and "Traceback" not in err
    code, err = _run(capsys, "check", "--since", "no-such-revision-anywhere")
    assert code == 2 and "Traceback" not in err


def test_a_data_folder_that_is_not_a_data_package(tmp_path, capsys):
    code, err = _run(capsys, "list", "--data", str(tmp_path))
    assert code == 2 and "not a data package" in err and "Traceback" not in err


def test_an_unknown_notebook_kind():
    from analysis.report.kinds import job_for
    from analysis.report.page import open_report

    for call in (lambda: open_report("nope"), lambda: job_for("nope")):
        with pytest.raises(UsageError, match="unknown notebook kind 'nope'") as exc:
            call()
        assert isinstance(exc.value, ReviewError) and isinstance(exc.value, ValueError)


def test_the_record_admitting_no_table_is_a_review_error():
    from analysis.record.model import Infeasible

    assert issubclass(Infeasible, ReviewError)
