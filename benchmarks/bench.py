"""Benchmark of the build and the record solver; prints a table (issue 6).

    .venv/bin/python benchmarks/bench.py            # every measure, median of 3 runs
    .venv/bin/python benchmarks/bench.py --repeat 1 # quicker, one run each
    .venv/bin/python benchmarks/bench.py --only solver,scale

Everything is measured side by side in one run, on a private copy of data/ and output folders
in a temporary directory (nothing is written to data/ or reports/).

1. cold build: ``review build`` with an empty cache, against a naive baseline on the same 37
   notebooks: a sequential loop of ``papermill`` command-line calls, one per notebook, each
   computing its own numbers (no precomputed inputs, no pre-loaded kernels);
2. no-change rebuild, and the rebuild after one data row of one partnership changes;
3. per-notebook overhead: an empty parameterised notebook through the build's executor (fresh
   kernel from the zygote, and from scratch), against the analysis time inside a notebook;
4. peak memory: the sum of resident set sizes of the build's whole process tree, sampled;
5. the record solver: every cell's possible grades plus the 27 group x indicator good-or-better ranges;
6. the exact trend bounds under the record: nine indicators, both directions, with witnesses;
7. scale: ``summaries.summarise_table`` on a synthetic complete table of 1,000 areas x 20 periods x 9
   indicators (180,000 grades).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {
    "cold build / naive loop": "<= 0.25",
    "no-change rebuild / cold": "<= 0.03",
    "no-change rebuild (command) / cold": "<= 0.03",
    "record solver": "< 3 s",
    "exact trend bounds": "< 20 s",
    "peak memory (build tree)": "< 1.5 GB",
    "scale case": "< 1 s",
}


def median_time(fn, repeat: int, setup=None) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


class PeakRSS:
    """Samples the summed RSS of this process and all its descendants (psutil) every 50 ms."""

    def __init__(self):
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
            except psutil.Error:
                procs = [self.proc]
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def build_once(out: Path, data: Path, force: bool = False, preload: bool = True):
    from analysis import build

    summary = build.build(out_dir=out, data_dir=data, force=force, progress=lambda s: None, preload=preload)
    if summary.failed:
        raise SystemExit(f"build failed: {summary.failed}")
    return summary


def naive_loop(out: Path):
    """One papermill CLI call per notebook, sequentially, each notebook computing its own inputs."""
    from analysis import build

    papermill = Path(sys.executable).with_name("papermill")
    for job in build.plan():
        args = [str(papermill), "--no-progress-bar", "-k", "python3", str(job.template),
                str(out / f"{job.kind}-{job.slug}.ipynb"), "-p", "output_dir", str(out / job.kind / job.slug)]
        if job.subject:
            args += ["-p", "partnership" if job.kind == "partnership" else "period_group", job.subject]
        subprocess.run(args, check=True, capture_output=True, cwd=out)


def empty_notebook(path: Path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    cell = new_code_cell('partnership: str = "Fife"  # a parameter')
    cell.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[cell, new_code_cell("partnership")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median reported)")
    parser.add_argument("--only", default="build,overhead,solver,trends,scale",
                        help="comma-separated: build, overhead, solver, trends, scale")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    rows = []

    def row(name, value, unit="s", note=""):
        rows.append((name, value, unit, note))
        print(f"  measured {name}: {value:.3f} {unit} {note}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="review-bench-"))
    try:
        data = work / "data"
        shutil.copytree(ROOT / "data", data)

        if "build" in only:
            out = work / "reports"
            cold, _ = median_time(lambda: build_once(out, data), args.repeat,
                                  setup=lambda: shutil.rmtree(out, ignore_errors=True))
            row("cold full build (review build)", cold)
            naive_out = work / "naive"
            naive, _ = median_time(lambda: naive_loop(naive_out), max(1, min(args.repeat, 2)),
                                   setup=lambda: (shutil.rmtree(naive_out, ignore_errors=True),
                                                  naive_out.mkdir()))
            row("naive loop (papermill CLI per notebook)", naive)
            row("cold build / naive loop", cold / naive, "x")
            nochange, _ = median_time(lambda: build_once(out, data), args.repeat)
            row("no-change rebuild", nochange, "s", "(library call)")
            row("no-change rebuild / cold", nochange / cold, "x")
            # the same from the command line: a new process, so imports count (on data/, read only)
            cli_out = work / "cli-reports"
            review = [str(Path(sys.executable).with_name("review")), "build", "--out", str(cli_out)]
            subprocess.run(review, check=True, capture_output=True)
            cli, _ = median_time(lambda: subprocess.run(review, check=True, capture_output=True), args.repeat)
            row("no-change rebuild, `review build` command", cli)
            row("no-change rebuild (command) / cold", cli / cold, "x")
            cells = data / "record/cell_grades.csv"
            original = cells.read_text(encoding="utf-8")
            flips = iter(range(1000))

            def change_one_row():
                # one Perth and Kinross row: its quote gains (or loses) a trailing space each run
                k = next(flips)
                text = original.replace("for planning and improving services",
                                        "for planning and improving services" + (" " if k % 2 == 0 else ""), 1)
                cells.write_text(text, encoding="utf-8")

            changed, _ = median_time(lambda: build_once(out, data), args.repeat, setup=change_one_row)
            summary = build_once(out, data)  # settle
            cells.write_text(original, encoding="utf-8")
            change_one_row()
            summary = build_once(out, data)
            reran = sorted(j for j, r in summary.results.items() if r["status"] == "done")
            cells.write_text(original, encoding="utf-8")
            row("one-partnership data change rebuild", changed, "s", f"(re-ran: {', '.join(reran)})")
            row("one-partnership change / cold", changed / cold, "x")
            shutil.rmtree(out, ignore_errors=True)
            with PeakRSS() as peak:
                build_once(out, data)
            row("peak memory (build tree)", peak.peak / 2**20, "MB", "(sum of RSS, shared pages counted per process)")

        if "overhead" in only:
            from analysis.execute import run_notebook
            from analysis.zygote import Zygote

            nb = work / "empty.ipynb"
            empty_notebook(nb)
            with Zygote() as z:
                z.wait_ready()
                fork, _ = median_time(lambda: run_notebook(nb, work / "empty-out.ipynb", {"partnership": "Fife"},
                                                           work, kernel_cmd=z.kernel_cmd()), args.repeat + 2)
            row("empty notebook, kernel forked from zygote", fork)
            scratch, _ = median_time(lambda: run_notebook(nb, work / "empty-out.ipynb", {"partnership": "Fife"}, work),
                                     args.repeat)
            row("empty notebook, kernel from scratch", scratch)
            # analysis time inside a partnership notebook: what its cells call, in this process
            from analysis.report import Report, Results, inputs_for

            results = Results(data_dir=data)
            results.medians  # shared by the build, computed once per build
            inputs = inputs_for("partnership", "Fife", results)

            def cells():
                import matplotlib

                matplotlib.use("Agg")
                r = Report(inputs, work / "fife-out")
                r.summary_text()
                r.table("grades")
                r.table("grade_counts")
                r.figure("profile")
                r.table("profile")

            analysis, _ = median_time(cells, args.repeat)
            row("partnership notebook's cells (analysis, from its inputs)", analysis)

        if "solver" in only:
            from analysis import areas, scale
            from analysis.load import load_record
            from analysis.record import RecordModel

            record = load_record(data)
            scopes = {g: areas.members(g) for g in areas.PERIOD_GROUPS}

            def solver():
                model = RecordModel.from_record(record)
                model.possible_grades()
                model.count_ranges(grade_sets={"good_or_better": scale.GOOD_OR_BETTER}, scopes=scopes)

            t, _ = median_time(solver, args.repeat)
            row("record solver", t, "s", "(conflicts, possible grades, 27 good-or-better ranges)")

        if "trends" in only:
            from analysis.load import load_record
            from analysis.record import RecordModel
            from analysis.trend_bounds import trend_bounds

            record = load_record(data)

            def bounds():
                trend_bounds(RecordModel.from_record(record))

            t, _ = median_time(bounds, args.repeat)
            row("exact trend bounds", t, "s", "(9 indicators x up/down: p_min, p_max, witnesses; linear bounds)")

        if "scale" in only:
            import numpy as np
            import pandas as pd

            from analysis import indicators, scale, summaries

            rng = np.random.default_rng(2017)
            n = 1000 * 20 * 9
            table = pd.DataFrame({"area": np.repeat(np.arange(1000), 180), "period": np.tile(np.repeat(np.arange(20), 9),
                                                                                             1000),
                                  "indicator": np.tile(list(indicators.INDICATORS), 20000),
                                  "grade": np.array(scale.GRADES)[rng.integers(0, 6, n)]})
            t, _ = median_time(lambda: summaries.summarise_table(table, ["period", "indicator"]), args.repeat)
            row("scale case", t, "s", "(summarise_table, 180,000 grades by period x indicator)")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GB RAM"
    except ImportError:
        mem = ""
    print(f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem}, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"Each figure: median of {args.repeat} run(s) (naive loop: {max(1, min(args.repeat, 2))}).\n")
    print(f"| {'measure':<58} | {'value':>10} | target |")
    print(f"|{'-' * 60}|{'-' * 12}|--------|")
    for name, value, unit, note in rows:
        text = f"{value:.3f} {unit}" if unit != "MB" else f"{value:.0f} MB"
        print(f"| {(name + ' ' + note).strip():<58} | {text:>10} | {TARGETS.get(name, '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
