"""Build the report tables into ``reports/``: compute, write to a temporary folder, then move
into place, so a failed build never leaves half-written outputs.

This first version writes the review's tables (CSV) and ``manifest.json``; the papermill
notebooks, figures and HTML pages are added on top of it (issue 4).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import __version__, config

__all__ = ["build_tables", "review_tables"]


def review_tables(grades_path: Path | str | None = None) -> tuple[dict, str]:
    """The tables of the review as DataFrames, and the data basis ('public record' or the table's path)."""
    from . import summaries, trends
    from .load import load_grades, load_record
    from .record import RecordModel
    from .statements import conflicts_table, evaluate_statements

    record = load_record()
    grades = None
    if grades_path:
        grades = load_grades(grades_path)
        model = RecordModel.from_grades(grades)
        basis = f"complete grade table {Path(grades_path).name}"
    else:
        model = RecordModel.from_record(record)
        basis = "public record"
    tables = {
        "statements": evaluate_statements(record, model),
        "conflicts": conflicts_table(model),
        "possible_grades": summaries.partnership_grades(model, record),
        "grade_distribution": summaries.grade_distribution(model),
        "good_or_better": summaries.good_or_better(model),
        "median_grade": summaries.median_grade(model),
        "all_good_or_better": summaries.all_good_or_better(model),
        "trends": trends.trend_tests(grades) if grades is not None else trends.trend_ranges(model, k=10),
        "staff_survey": record.staff_survey,
        "case_records": record.case_records,
        "headline_counts": record.headline_counts,
    }
    tables["possible_grades"]["possible"] = tables["possible_grades"]["possible"].map("|".join)
    return tables, basis


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJ_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_tables(out_dir: Path | str | None = None, grades_path: Path | str | None = None) -> Path:
    """Write ``tables/*.csv`` and ``manifest.json`` under ``out_dir`` (default ``reports/``).

    Outputs are written to a temporary folder beside ``out_dir`` and moved into place only
    when all are written. Returns the manifest's path.
    """
    from .load import data_file_hashes

    out_dir = Path(out_dir) if out_dir else config.REPORTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    data_before = data_file_hashes()
    tables, basis = review_tables(grades_path)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-build-", dir=out_dir))
    try:
        (staging / "tables").mkdir()
        outputs = []
        for name, frame in tables.items():
            path = staging / "tables" / f"{name}.csv"
            frame.to_csv(path, index=False, lineterminator="\n")
            outputs.append({"path": f"tables/{name}.csv", "sha256": _sha256(path), "kind": "table"})
        if data_file_hashes() != data_before:
            raise RuntimeError("data/ changed during the build")
        manifest = {
            "package_version": __version__,
            "git_commit": _git_commit(),
            "data_basis": basis,
            "data_files": data_before,
            "grades_file": {"path": str(grades_path), "sha256": _sha256(Path(grades_path))} if grades_path else None,
            "outputs": outputs,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        target_tables = out_dir / "tables"
        old = out_dir / ".tmp-old-tables"
        if target_tables.exists():
            os.replace(target_tables, old)
        os.replace(staging / "tables", target_tables)
        os.replace(staging / "manifest.json", out_dir / "manifest.json")
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir / "manifest.json"
