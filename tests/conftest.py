"""Shared fixtures. Expected values in tests come from the documents or from hand counts,
never from the code under test; each says where it came from."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REVIEW_SHARED_DIR", ROOT.parent / "shared"))

# The 32 partnerships by period group, typed from Appendix 4 of the review (seed 001).
APPENDIX_4 = {
    "pre-2014": ["Edinburgh", "North Ayrshire", "Orkney", "Argyll and Bute", "East Dunbartonshire", "Highland",
                 "Clackmannanshire", "Midlothian", "Dumfries and Galloway", "Stirling", "East Lothian"],
    "2014-16": ["Aberdeen", "Aberdeenshire", "Outer Hebrides", "East Renfrewshire", "South Lanarkshire",
                "North Lanarkshire", "Shetland", "Renfrewshire", "Dundee", "Fife", "Falkirk", "Scottish Borders"],
    "post-2016": ["South Ayrshire", "Angus", "Moray", "West Dunbartonshire", "Glasgow", "West Lothian",
                  "Inverclyde", "East Ayrshire", "Perth and Kinross"],
}
ALL_32 = [p for group in APPENDIX_4.values() for p in group]
NINE = ["1.1", "2.1", "2.2", "5.1", "5.2", "5.3", "6.2", "6.3", "9.4"]


@pytest.fixture
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip(f"SKIPPED LOUDLY: {SHARED} not found; the record checks need shared/ beside the repo")
    return SHARED


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ that a test may break."""
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest


def write_grades_long(path, rows, header="partnership,indicator,grade"):
    lines = [header] + [",".join(f'"{v}"' if "," in str(v) else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def complete_rows():
    """A hand-made complete table: partnership k (0-31) gets grade 1 + (k + j) % 6 on indicator j."""
    grades = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    return [(p, ind, grades[(k + j) % 6]) for k, p in enumerate(ALL_32) for j, ind in enumerate(NINE)]


#: Script and an event handler, put in a grade table's note to check pages keep it inert.
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def write_table_with_script_note(path, cell=("Angus", "1.1")):
    """The hand-made complete table (partnership k, indicator j: grade (k + j) % 6) with a note
    column holding :data:`PAYLOAD` on ``cell``."""
    grades = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    rows = [(p, i, grades[(k + j) % 6], PAYLOAD if (p, i) == cell else "") for k, p in enumerate(ALL_32)
            for j, i in enumerate(NINE)]
    return write_grades_long(path, rows, header="partnership,indicator,grade,note")
