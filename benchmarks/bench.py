"""Benchmark of the build and the record solver; prints a table (issue 6).

    .venv/bin/python benchmarks/bench.py            # every measure, median of 3 runs
    .venv/bin/python benchmarks/bench.py --repeat 1 # quicker, one run each
    .venv/bin/python benchmarks/bench.py --only solver,scale

Everything is measured side by side in one run, on a private copy of data/ and output folders
in a temporary directory (nothing is written to data/ or reports/).

1. cold build: ``review build`` with an empty cache, against a naive baseline on the same 37
   notebooks: a sequential loop of ``papermill`` command-line calls, one per notebook, each
   computing its own numbers (no results cache, no pre-loaded kernels);
2. ``notebooks/review.ipynb`` through papermill after a build (reading its results cache), against
   the same with an empty cache; no-change rebuild, and the rebuild after one data row of one
   partnership changes;
3. per-notebook overhead: an empty parameterised notebook through the build's executor (fresh
   kernel from the zygote, and from scratch), against the analysis time inside a notebook;
4. peak memory: the sum of resident set sizes of the build's whole process tree, sampled;
5. the record solver: every cell's possible grades plus the 27 group x indicator good-or-better ranges;
6. the exact trend bounds under the record: nine indicators, both directions, with witnesses;
7. what would settle it: every open verdict x every report, and the smallest sets; the witness pairs of
   the reports that do not settle one; how fragile each decided verdict is (processor times, and the
   three together);
8. scale: ``summaries.summarise_table`` on a synthetic complete table of 1,000 areas x 20 periods x 9
   indicators (180,000 grades).
"""

from __future__ import annotations

import argparse
import contextlib
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
    "cold build / naive loop": "<= 0.10",
    "no-change rebuild / cold": "<= 0.01",
    "no-change rebuild (command) / cold": "<= 0.03",
    "review.ipynb after a build / empty cache": "<= 0.2",
    "record solver": "< 3 s",
    "exact trend bounds": "<= 8 s",
    "peak memory (build tree)": "< 1.5 GB",
    "scale case": "< 1 s",
    "settle analysis (processor)": "",
    "settle witness pairs (processor)": "",
    "fragility (processor)": "",
    "settle + fragility (processor)": "< 60 s",
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
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def build_once(out: Path, data: Path, force: bool = False, preload: bool = True):
    from analysis.pipeline import build

    summary = build.build(out_dir=out, data_dir=data, force=force, progress=lambda s: None, preload=preload)
    if summary.failed:
        raise SystemExit(f"build failed: {summary.failed}")
    return summary


def papermill(template: Path, executed: Path, cwd: Path, **params):
    """One ``papermill`` command-line call (a new process and a fresh kernel)."""
    args = [str(Path(sys.executable).with_name("papermill")), "--no-progress-bar", "-k", "python3", str(template),
            str(executed)]
    for name, value in params.items():
        args += ["-p", name, str(value)]
    subprocess.run(args, check=True, capture_output=True, cwd=cwd)


def naive_loop(out: Path, data: Path):
    """One papermill CLI call per notebook, sequentially, each notebook computing its own results (its
    cache is an empty folder that is not an output folder, so nothing is read or kept)."""
    from analysis.report.kinds import KINDS, plan

    for job in plan():
        subject = {KINDS[job.kind].subject: job.subject} if job.subject else {}
        papermill(job.template(ROOT / "notebooks"), out / f"{job.kind}-{job.slug}.ipynb", out,
                  output_dir=out / job.kind / job.slug, cache=out / "no-cache", data=data, **subject)


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
    parser.add_argument("--only", default="build,overhead,solver,trends,settle,scale",
                        help="comma-separated: build, overhead, solver, trends, settle, scale")
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
            naive, _ = median_time(lambda: naive_loop(naive_out, data), max(1, min(args.repeat, 2)),
                                   setup=lambda: (shutil.rmtree(naive_out, ignore_errors=True),
                                                  naive_out.mkdir()))
            row("naive loop (papermill CLI per notebook)", naive)
            row("cold build / naive loop", cold / naive, "x")
            # JupyterLab after a build: the national review with its defaults, reading the build's results
            # cache, against the same with an empty one (both a fresh kernel through papermill's command)
            review = ROOT / "notebooks" / "review.ipynb"
            warm, _ = median_time(lambda: papermill(review, work / "review-warm.ipynb", work,
                                                    cache=out / ".cache" / "results", data=data), args.repeat)
            empty, _ = median_time(lambda: papermill(review, work / "review-empty.ipynb", work,
                                                     cache=work / "empty-cache", data=data),
                                   max(1, min(args.repeat, 2)))
            row("review.ipynb after a build (papermill)", warm)
            row("review.ipynb with an empty cache (papermill)", empty)
            row("review.ipynb after a build / empty cache", warm / empty, "x")
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
                text = original.replace(
                    "for planning and improving services",
                    "for planning and improving services" + (" " if k % 2 == 0 else ""),
                    1,
                )
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
            from analysis.pipeline.execute import run_notebook
            from analysis.pipeline.zygote import Zygote

            nb = work / "empty.ipynb"
            empty_notebook(nb)
            with Zygote() as z:
                z.wait_ready()
                fork, _ = median_time(
                    lambda: run_notebook(
                        nb, work / "empty-out.ipynb", {"partnership": "Fife"}, work, kernel_cmd=z.kernel_cmd()
                    ),
                    args.repeat + 2,
                )
            row("empty notebook, kernel forked from zygote", fork)
            scratch, _ = median_time(
                lambda: run_notebook(nb, work / "empty-out.ipynb", {"partnership": "Fife"}, work), args.repeat
            )
            row("empty notebook, kernel from scratch", scratch)
            # analysis time inside a partnership notebook: what its cells call, in this process, with the
            # results cache warm (as after a build)
            from analysis.publish import figures
            from analysis.record.cache import ResultsCache
            from analysis.report.page import open_report
            from analysis.stats import summaries

            def page():
                p = open_report("partnership", "Fife", data=str(data))
                p.model.cache = ResultsCache(work / "overhead-cache", p.model.cache.source_key)
                return p

            page().results()  # warm, as the build does

            def cells():
                import matplotlib

                matplotlib.use("Agg")
                r = page()
                model, record, partnership = r.model, r.record, r.subject
                r.headline()
                r.table(summaries.partnership_grades(model, record, partnership), "grades")
                r.table(summaries.published_counts(model, record, partnership), "grade_counts")
                profile = summaries.partnership_profile(model, partnership)
                r.figure(figures.profile_plot(profile, basis=r.basis), "profile")
                r.table(profile, "profile")

            analysis, _ = median_time(cells, args.repeat)
            row("partnership notebook's cells (analysis, results cache warm)", analysis)

        if "solver" in only:
            from analysis.domain import areas, scale
            from analysis.domain.load import load_record
            from analysis.record.model import RecordModel

            record = load_record(data)
            scopes = {g: areas.members(g) for g in areas.PERIOD_GROUPS}

            def solver():
                model = RecordModel.from_record(record)
                model.possible_grades()
                model.count_ranges(grade_sets={"good_or_better": scale.GOOD_OR_BETTER}, scopes=scopes)

            t, _ = median_time(solver, args.repeat)
            row("record solver", t, "s", "(conflicts, possible grades, 27 good-or-better ranges)")

        if "trends" in only:
            from analysis.domain.load import load_record
            from analysis.record.model import RecordModel
            from analysis.stats.trend_bounds import trend_bounds

            record = load_record(data)

            def bounds():
                trend_bounds(RecordModel.from_record(record))

            t, _ = median_time(bounds, args.repeat)
            row("exact trend bounds", t, "s", "(9 indicators x up/down: p_min, p_max, witnesses; linear bounds)")

        if "settle" in only:
            from analysis.domain.load import load_record
            from analysis.record.cache import ResultsCache
            from analysis.record.model import RecordModel
            from analysis.stats import fragility, settle, trend_bounds

            record = load_record(data)

            def timed(*calls):
                """Processor seconds of each call on a fresh model, its shared inputs (the possible grades, the
                trend bounds and the verdicts on the statements and conclusions, which the pages show and the
                build computes once) computed first and not counted."""
                from analysis.stats import verdicts

                with tempfile.TemporaryDirectory() as tmp:
                    model = RecordModel.from_record(record)
                    model.cache = ResultsCache(tmp, "bench")
                    _ = model.possible
                    trend_bounds.trend_bounds(model)
                    verdicts.verdict_questions(record, model)
                    out = []
                    for call in calls:
                        started = time.process_time()
                        call(record, model)
                        out.append(time.process_time() - started)
                    return out

            runs = [timed(settle.what_would_settle, settle.settle_witnesses, fragility.fragility)
                    for _ in range(args.repeat)]
            cpu, cpu_w, cpu_f = (statistics.median(r[k] for r in runs) for k in range(3))
            row("settle analysis (processor)", cpu, "s",
                "(open statements, conclusions and trend verdicts, open cells x every report; smallest sets)")
            row("settle witness pairs (processor)", cpu_w, "s", "(canonical pairs for every report that does not "
                "settle an open statement, conclusion or trend verdict)")
            row("fragility (processor)", cpu_f, "s", "(decided verdicts, trend verdicts among them: rows and "
                "sources, smallest sets counted)")
            row("settle + fragility (processor)", cpu + cpu_w + cpu_f, "s", "(the three above)")

        if "scale" in only:
            import numpy as np
            import pandas as pd

            from analysis.domain import indicators, scale
            from analysis.stats import summaries

            rng = np.random.default_rng(2017)
            n = 1000 * 20 * 9
            table = pd.DataFrame(
                {
                    "area": np.repeat(np.arange(1000), 180),
                    "period": np.tile(np.repeat(np.arange(20), 9), 1000),
                    "indicator": np.tile(list(indicators.INDICATORS), 20000),
                    "grade": np.array(scale.GRADES)[rng.integers(0, 6, n)],
                }
            )
            t, _ = median_time(lambda: summaries.summarise_table(table, ["period", "indicator"]), args.repeat)
            row("scale case", t, "s", "(summarise_table, 180,000 grades by period x indicator)")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GB RAM"
    except ImportError:
        mem = ""
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(f"Each figure: median of {args.repeat} run(s) (naive loop: {max(1, min(args.repeat, 2))}).\n")
    print(f"| {'measure':<58} | {'value':>10} | target |")
    print(f"|{'-' * 60}|{'-' * 12}|--------|")
    for name, value, unit, note in rows:
        text = f"{value:.3f} {unit}" if unit != "MB" else f"{value:.0f} MB"
        print(f"| {(name + ' ' + note).strip():<58} | {text:>10} | {TARGETS.get(name, '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
