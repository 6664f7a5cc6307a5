"""Check that the notebook templates carry no outputs, execution counts or kernel state.

Templates (``notebooks/*.ipynb``) are the source of every published notebook: a template saved with
outputs (JupyterLab stores them on Ctrl+S) would change every notebook of its kind. Run by
pre-commit and by ``make test``; exits 1 naming each template and what it carries.

    python tools/check_templates.py notebooks/*.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    """What a template carries that it should not (empty: clean)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for n, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            out.append(f"{path}: cell {n} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            out.append(f"{path}: cell {n} has an execution count ({cell['execution_count']})")
    if "widgets" in nb.get("metadata", {}):
        out.append(f"{path}: notebook metadata holds widget state")
    return out


def main(paths: list[str]) -> int:
    found = [p for path in paths for p in problems(Path(path))]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("templates are committed without outputs: in JupyterLab, Edit > Clear Outputs of All Cells, then save",
              file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
