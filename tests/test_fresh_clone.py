"""A fresh clone reproduces the committed published set: `review build` on a clone of this commit (what
`make report` runs there) leaves `reports/manifest.json` as committed except `git_commit`, and changes no
other committed file.

The build runs in the clone with this environment's Python, importing the clone's `analysis` and reading
its data, templates and lock (`PYTHONPATH` and `REVIEW_PROJECT`), so nothing of this checkout's working
tree takes part. A clone has no results cache and none of the files that are not committed (the pages,
the partnership notebooks), so every result is computed and every notebook runs: several minutes.

The guarantee holds while the committed published set is current (tests/test_published_set.py): built
from the commit's code, templates and data, in the same environment. Otherwise a rebuild moves the code
digest, keys and outputs by design, and the test is skipped, saying why (test_published_set fails loudly
for the first three)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

#: The one field of the manifest a build from another commit of the same published set moves.
MOVES = ("git_commit",)

#: The fingerprints the clone's code takes of itself, printed as JSON (run inside the clone).
FINGERPRINTS = """
import json
from analysis.domain.load import data_file_hashes
from analysis.fingerprints import code_digest
from analysis.pipeline.build import template_digest
from analysis.pipeline.provenance import environment
from analysis import config
print(json.dumps({"code": code_digest(), "data": data_file_hashes(), "env": environment(),
                  "templates": {p.name: template_digest(p) for p in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))}}))
"""


def _in_clone(clone, args, timeout):
    """Run this environment's Python in ``clone``, on the clone's package and checkout."""
    env = dict(os.environ, REVIEW_PROJECT=str(clone),
               PYTHONPATH=os.pathsep.join([str(clone), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _git(clone, *args) -> str:
    return subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True, check=True).stdout


def _why_not_current(committed: dict, now: dict) -> str | None:
    """Why the committed published set is not the one the clone's commit builds (None if it is)."""
    if committed.get("analysis_code_sha256") != now["code"]:
        return "it was built from other analysis code (make publish rebuilds it)"
    if committed.get("data_files") != now["data"]:
        return "it was built from other data"
    templates = {j["template"].rsplit("/", 1)[-1]: j["template_sha256"] for j in committed.get("jobs", {}).values()}
    if any(now["templates"].get(name) != digest for name, digest in templates.items()):
        return "it was built from other templates"
    if committed.get("git_dirty") is not False:
        return "it was built from a tree with uncommitted changes"
    if committed.get("environment") != now["env"]:
        keys = sorted(k for k in set(committed.get("environment", {})) | set(now["env"])
                      if committed.get("environment", {}).get(k) != now["env"].get(k))
        return (f"it was built in another environment (differs in {', '.join(keys)}); a rebuild reproduces it "
                "in the same environment")
    return None


def _differences(committed: dict, rebuilt: dict) -> list[str]:
    """The manifest's fields that moved, other than :data:`MOVES`, named down to the notebook and output."""
    out = []
    for key in sorted(set(committed) | set(rebuilt)):
        if key in MOVES or committed.get(key) == rebuilt.get(key):
            continue
        if key == "jobs":
            old, new = committed.get("jobs", {}), rebuilt.get("jobs", {})
            for job in sorted(set(old) | set(new)):
                a, b = old.get(job, {}), new.get(job, {})
                out += [f"jobs/{job}/{f}: {a.get(f)!r:.80} -> {b.get(f)!r:.80}"
                        for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)]
        elif key == "outputs":
            old = {o["path"]: o for o in committed.get("outputs", [])}
            new = {o["path"]: o for o in rebuilt.get("outputs", [])}
            out += [f"outputs/{p}: {old.get(p)} -> {new.get(p)}" for p in sorted(set(old) | set(new))
                    if old.get(p) != new.get(p)]
        else:
            out.append(f"{key}: {committed.get(key)!r:.120} -> {rebuilt.get(key)!r:.120}")
    return out


def test_a_fresh_clone_reproduces_the_committed_manifest(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is no commit to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True, timeout=300)
    _git(clone, "fetch", "--quiet", str(ROOT), "HEAD")  # this checkout's commit, on a branch or not (CI)
    _git(clone, "checkout", "--quiet", "--detach", "FETCH_HEAD")
    assert _git(clone, "rev-parse", "HEAD") == _git(ROOT, "rev-parse", "HEAD")
    manifest = clone / "reports" / "manifest.json"
    committed_text = manifest.read_text(encoding="utf-8")
    committed = json.loads(committed_text)

    res = _in_clone(clone, ["-c", FINGERPRINTS], timeout=300)
    assert res.returncode == 0, res.stderr
    why = _why_not_current(committed, json.loads(res.stdout))
    if why:
        pytest.skip(f"the committed published set is not current at this commit: {why}")

    build = "import sys; from analysis.cli import main; sys.exit(main(['build']))"
    res = _in_clone(clone, ["-c", build], timeout=3600)
    assert res.returncode == 0, f"review build failed in the fresh clone:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"

    rebuilt_text = manifest.read_text(encoding="utf-8")
    rebuilt = json.loads(rebuilt_text)
    moved = _differences(committed, rebuilt)
    assert not moved, "a fresh-clone build moved the manifest beyond git_commit:\n" + "\n".join(moved[:40])
    assert rebuilt["git_commit"] == _git(clone, "rev-parse", "HEAD").strip()
    # byte for byte, once the commit is put back: the same fields in the same order, written the same way
    assert rebuilt_text.replace(rebuilt["git_commit"], committed["git_commit"], 1) == committed_text
    # no other committed file changed, and nothing new is left outside what .gitignore names
    status = _git(clone, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert set(status) <= {" M reports/manifest.json"}, status
