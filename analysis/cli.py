"""The ``review`` command: argument parsing only; the work is in the library."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


def _cmd_list(args) -> int:
    from analysis.domain import areas

    table = areas.partnership_table()
    if args.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["partnership", "slug", "period_group", "aliases"])
        for rec in table.itertuples():
            writer.writerow([rec.partnership, rec.slug, rec.period_group, "|".join(rec.aliases)])
        return 0
    width = max(map(len, table["partnership"]))
    print(f"{'Partnership':<{width}}  {'File name (slug)':<22} {'Group':<10} Also known as")
    for rec in table.itertuples():
        aliases = ", ".join(rec.aliases)
        print(f"{rec.partnership:<{width}}  {rec.slug:<22} {rec.period_group:<10} {aliases}")
    return 0


def _width() -> int:
    """The width text is laid out to: the terminal's (``COLUMNS`` if set; 80 when not a terminal), kept
    between 60 and 100 columns so lines stay readable."""
    import shutil

    return min(max(shutil.get_terminal_size((80, 24)).columns, 60), 100)


def _wrap(text: str, indent: int, width: int | None = None, hang: int = 2, lead: str = "") -> str:
    """``text`` wrapped to ``width`` (default :func:`_width`) at ``indent`` columns after ``lead`` (kept as
    written), its later lines ``hang`` further in; words are never cut, so no quote or number loses a
    character."""
    import textwrap

    return textwrap.fill(" ".join(str(text).split()), width=width or _width(), initial_indent=" " * indent + lead,
                         subsequent_indent=" " * (indent + hang), break_long_words=False, break_on_hyphens=False)


def _grade_table(args):
    """The ``--grades`` table (a sheet of a workbook with ``--sheet``), read and validated once, what was read
    said on standard error; None for the public record."""
    sheet = getattr(args, "sheet", None)
    if not getattr(args, "grades", None):
        if sheet:
            from analysis.errors import UsageError

            raise UsageError("--sheet names a sheet of the --grades workbook: give --grades too")
        return None
    from analysis.domain.load import read_grade_table

    table = read_grade_table(args.grades, sheet=sheet)
    print(table.note, file=sys.stderr)
    return table


def _cmd_what_if(args) -> int:
    from analysis.report.page import open_report
    from analysis.stats.whatif import what_changes

    before = open_report("statements", data=args.data or "")  # reads the results cache a build filled
    after = open_report("statements", data=args.data or "", assume=args.assume)
    changes = what_changes((before.record, before.model), (after.record, after.model))
    if args.csv:
        from analysis.publish.precision import for_csv

        for_csv(changes).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"What changes with the facts assumed in {args.assume} (nothing is written).")
    if changes.empty:
        print("\nNothing changes: no verdict, range, possible grade or trend bound.")
        return 0
    for kind, rows in changes.groupby("kind", sort=False):
        print(f"\n{kind} ({len(rows)} changed):")
        for r in rows.itertuples():
            print(_wrap(r.id, 2))
            if kind != "cell":
                print(_wrap(r.about, 4))
            print(_wrap(r.before, 4, hang=8, lead="before: "))
            print(_wrap(r.after, 4, hang=8, lead="after:  "))
    return 0


def _cmd_statements(args) -> int:
    from analysis.report.page import open_report
    from analysis.stats.claims import evaluate_claims
    from analysis.stats.statements import evaluate_statements

    if args.assume:
        from analysis.errors import UsageError

        if args.grades or args.sheet:
            raise UsageError("--assume adds facts to the public record: give --grades or --assume, not both")
        return _cmd_what_if(args)

    # reads the results cache a build filled
    page = open_report("statements", grades=_grade_table(args) or "", data=args.data or "")
    frame, basis = evaluate_statements(page.record, page.model), page.basis
    claims = evaluate_claims(page.record, page.model)
    if args.csv:
        import pandas as pd

        both = pd.concat([frame.assign(kind="statement"), claims.rename(columns={"claim_id": "statement_id"})
                          .assign(kind="claim")], ignore_index=True)
        from analysis.publish.precision import for_csv

        for_csv(both).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    complete = page.grade_table is not None
    width = _width()
    print(_wrap(f"The review's statements and conclusions checked against the {basis}.", 0, width, 0))
    print(_wrap("Value: the count in that table." if complete else
                "Range: the count over every grade table consistent with the rest of the record.", 0, width, 0))
    from analysis.domain.scale import ABBREVIATIONS_OF

    rows = []
    for rec in frame.itertuples():
        cmp = f"{rec.value}-{rec.value_max}" if rec.comparator == "between" else f"{rec.comparator} {rec.value}"
        grades = "/".join(ABBREVIATIONS_OF[g] for g in rec.grades.split("|"))
        cond = f"{rec.indicator} {grades} [{rec.scope.replace('|', '+')}] {cmp}"
        value = f"{rec.min}" if rec.min == rec.max else f"{rec.min} to {rec.max}"
        rows.append((rec.verdict + ("*" if rec.set_aside else ""), rec.statement_id, cond, value, rec.reading))
    _print_verdicts(rows, "statement", "condition", "value" if complete else "range", width)
    print(_wrap("The review's conclusions (each fair reading of the words; checked, never used for ranges):",
                0, width, 0))
    _print_verdicts([(rec.verdict, rec.claim_id, rec.range, "", rec.reading) for rec in claims.itertuples()],
                    "reading", "quantity" if complete else "deciding quantity", "", width)
    counts = frame["verdict"].value_counts()
    ccounts = claims["verdict"].value_counts()

    def summary(c):
        return ", ".join(f"{int(c.get(v, 0))} {v}" for v in ("confirmed", "possible", "contradicted"))

    print(f"Statements: {summary(counts)} (of {len(frame)}).")
    print(f"Conclusions: {summary(ccounts)} (of {len(claims)} readings).")
    if frame["set_aside"].any():
        print(_wrap("* set aside: contradicted by the rest of the record, so not used when computing ranges.",
                    0, width))
    from analysis.stats.statements import conflicts_table, reconcile

    conflicts = conflicts_table(page.model)
    if len(conflicts) and not complete:
        print()
        print(_wrap("Conflicts in the record (rows that cannot all hold; set-aside rows are not used for ranges):",
                    0, width, 0))
        for n, part in conflicts.groupby("conflict"):
            print(_wrap(f"conflict {n} ({part['explanations'].iloc[0]}):", 2, width))
            for rec in part.itertuples():
                flag = " [set aside]" if rec.set_aside else ""
                print(_wrap(f"- {rec.label} ({rec.source_id}){flag}: \"{rec.quote}\"", 4, width))
    if complete:
        _print_reconciliation(reconcile(page.record, page.grade_table), basis, sys.stdout)
    return 0


def _print_verdicts(rows, what: str, middle: str, last: str, width: int) -> None:
    """Verdict rows ``(verdict, id, middle, last, reading)`` as a table when each fits on a line of
    ``width``, otherwise as blocks (the verdict and id, then the rest on lines of their own); the reading
    is wrapped under each, never cut."""
    id_w = max([len(r[1]) for r in rows] + [len(what)])
    mid_w = max([len(r[2]) for r in rows] + [len(middle)])
    last_w = max([len(r[3]) for r in rows] + [len(last)])
    table = 14 + id_w + 1 + mid_w + (1 + last_w if last else 0) <= width
    if table:
        head = f"{'verdict':<13} {what:<{id_w}} {middle:<{mid_w}}" + (f" {last:>{last_w}}" if last else "")
    else:
        head = f"{'verdict':<13} {what}: {middle}" + (f", {last}" if last else "")
    print(f"\n{head.rstrip()}")
    for verdict, ident, mid, end, reading in rows:
        if table:
            print((f"{verdict:<13} {ident:<{id_w}} {mid:<{mid_w}}" + (f" {end:>{last_w}}" if last else "")).rstrip())
        else:
            print(f"{verdict:<13} {ident}")
            if mid or end:
                print(_wrap(mid + (f"; {last} {end}" if last else ""), 14, width, 4))
        if reading:
            print(_wrap(reading, 14, width, 0))
    print()


def _print_reconciliation(frame, basis: str, stream) -> None:
    """A complete table's disagreements with the public record: a warning, listed in full."""
    if not len(frame):
        print("\n" + _wrap(f"The {basis} agrees with every grade, count and statement of the public record.", 0),
              file=stream)
        return
    print("\n" + _wrap(f"warning: the {basis} disagrees with the public record in {len(frame)} place(s) "
                       f"(a warning, not an error; the build uses the table):", 0), file=stream)
    for rec in frame.itertuples():
        note = "" if rec.in_force else " [a reading the record does not assume]"
        print(_wrap(f"- {rec.subject}: the table has {rec.table}; the record: {rec.record}{note} "
                    f"({rec.source_id}: \"{rec.quote}\")", 2), file=stream)


def _warn_reconciliation(grades, data=None) -> None:
    """``grades``: the :class:`analysis.domain.load.GradeTable` read from ``--grades``, or None."""
    if grades is not None:
        from analysis.report.page import open_report
        from analysis.stats.statements import reconcile

        page = open_report("statements", grades=grades, data=str(data or ""))
        _print_reconciliation(reconcile(page.record, page.grade_table), page.basis, sys.stderr)


def _report(summary, page: str | None = None, job=None) -> int:
    """The build's outcome on the terminal; with ``job`` (``review run``), what it wrote."""
    # a line naming a file holds its path whole, however long
    print(f"\n{summary.count('done')} built, {summary.count('skipped')} unchanged (skipped), "
          f"{summary.count('failed')} failed, in {summary.seconds:.1f} s.\nManifest: {summary.manifest}")
    if job is not None:
        _print_written(summary, job)
    if summary.manifest is not None:
        out = summary.manifest.parent
        target = out / page if page and (out / page).is_file() else out / "index.html"
        print(f"Open in a browser: {target}")
    for job_id in summary.failed:
        r = summary.results[job_id]
        print("\n" + _wrap(f"FAILED {job_id}: {r['error']}", 0), file=sys.stderr)
        if r.get("cell"):
            print("  in the cell starting:\n" + "\n".join("    " + line for line in r["cell"].splitlines()),
                  file=sys.stderr)
        if r.get("partial"):
            print(_wrap(f"partial notebook kept at {r['partial']}; the previous outputs are unchanged", 2),
                  file=sys.stderr)
    return 1 if summary.failed else 0


#: How ``review run`` names the kinds of output the manifest lists, in the order it lists them.
_WRITTEN = {"html": "page", "notebook": "notebook", "table": "tables", "figure": "figures"}


def _print_written(summary, job) -> None:
    """What ``review run`` wrote (or, when the notebook was unchanged, what it had written): its page,
    notebook, tables and figures, as the manifest lists them, and the site's shared files."""
    if summary.manifest is None or job.id in summary.failed:
        return
    from analysis.pipeline.check import read_manifest

    manifest = read_manifest(summary.manifest)
    outputs = (manifest.get("jobs", {}).get(job.id) or {}).get("outputs", [])
    skipped = summary.results.get(job.id, {}).get("status") == "skipped"
    out = summary.manifest.parent
    print(f"{'Unchanged since the last run; its outputs' if skipped else 'Wrote'}, in {out}:")
    groups = [(label, [o["path"] for o in outputs if o.get("kind", "").split("-")[0] == kind])
              for kind, label in _WRITTEN.items()]
    groups.append(("site", [o["path"] for o in manifest.get("outputs", []) if o.get("kind") == "site"]
                   + ["manifest.json"]))
    import textwrap

    for label, paths in groups:
        lines = paths if label != "site" else textwrap.wrap(", ".join(paths), _width() - 12, break_long_words=False,
                                                            break_on_hyphens=False)
        for i, line in enumerate(lines):
            print(f"  {label if i == 0 else '':<10}{line}")


def _edited_templates() -> list[str]:
    """The templates (``notebooks/*.ipynb``) whose cells differ from the committed ones, as the build reads
    them (outputs and other things a save stores left out: ``build.template_bytes``); empty outside a git
    checkout or when every template is committed."""
    import subprocess
    import tempfile

    from analysis import config
    from analysis.pipeline.build import template_bytes

    root = config.NOTEBOOKS_DIR.parent
    out = []
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        try:
            done = subprocess.run(["git", "-C", str(root), "show", f"HEAD:{rel}"], capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return []
        if done.returncode != 0:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            committed = Path(tmp) / path.name
            committed.write_bytes(done.stdout)
            if template_bytes(committed) != template_bytes(path):
                out.append(rel)
    return out


def _said(line: str) -> None:
    """A progress line of the build, printed at once (also into a pipe or a log, which would hold it back)."""
    print(line, flush=True)


def _cmd_build(args) -> int:
    from analysis.pipeline.build import build

    table = _grade_table(args)
    _warn_reconciliation(table, args.data)
    for rel in _edited_templates():
        print(_wrap(f"review build: {rel} differs from the committed template (its cells were edited): every "
                    "notebook of its kind is built from the edited one; commit it before make publish", 0),
              file=sys.stderr)
    return _report(build(out_dir=args.out, grades=table, n_jobs=args.jobs, force=args.force, data_dir=args.data,
                         timeout=args.timeout, wait=args.wait, progress=_said))


def _cmd_run(args) -> int:
    from analysis.pipeline.build import build
    from analysis.report.kinds import job_for

    if args.partnership is not None:
        job = job_for("partnership", args.partnership)
    elif args.period_group is not None:
        job = job_for("period_group", args.period_group)
    elif args.national:
        job = job_for("review")
    else:
        job = job_for("statements")
    table = _grade_table(args)
    _warn_reconciliation(table, args.data)
    summary = build([job], out_dir=args.out, grades=table, n_jobs=1, force=args.force, data_dir=args.data,
                    timeout=args.timeout, wait=args.wait, progress=_said)
    return _report(summary, page=job.html_path, job=job)


def _cmd_release(args) -> int:
    from analysis.pipeline.release import release

    release(args.version, args.date, progress=lambda line: print(line, flush=True), n_jobs=args.jobs)
    return 0


def _cmd_check(args) -> int:
    from pathlib import Path

    from analysis.pipeline.check import check, compare_manifests, manifest_at, read_manifest

    reports = Path(args.reports) if args.reports else None
    if args.since or args.against:
        from analysis import config

        old = manifest_at(args.since) if args.since else read_manifest(args.against)
        new = read_manifest((reports or config.REPORTS_DIR) / "manifest.json")
        result = compare_manifests(old, new)
        lines = [line for line in result.lines if line.status != "same"]
        print(f"Published outputs changed since {args.since or args.against}:")
    else:
        result = check(reports, grades=_grade_table(args), n_jobs=args.jobs, tol=args.tol, rtol=args.rtol,
                       atol=args.atol, data_dir=args.data, timeout=args.timeout, wait=args.wait,
                       progress=lambda line: print(line, file=sys.stderr, flush=True))
        # differences first; every output only with --all
        lines = sorted([ln for ln in result.lines if ln.status != "same"], key=lambda ln: ln.status)
        if args.all:
            lines += [ln for ln in result.lines if ln.status == "same"]
        print(f"compared: {result.rules}")
    for note in result.notes:
        print(f"note: {note}")
    for line in lines:
        print(line)
    if args.since or args.against:
        print(f"{len(lines)} of {len(result.lines)} outputs changed.")
        return 0
    print(result.summary())
    return 0 if result.ok else 1


def _count(text: str) -> int:
    """``--jobs``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (give 1 or more)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1 (give 1 or more)")
    return value


def _amount(text: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        least = "above 0" if positive else "of at least 0"
        raise argparse.ArgumentTypeError(f"{text} is not allowed (give a finite number {least})")
    return value


def _tolerance(text: str) -> float:
    """``--tol``, ``--rtol``, ``--atol``: a finite number of at least 0."""
    return _amount(text)


def _seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds above 0."""
    return _amount(text, positive=True)


def _grades_options(p, what: str) -> None:
    p.add_argument("--grades", metavar="FILE", help=f"{what}: CSV text (UTF-8 or Windows-1252; commas, semicolons "
                   "or tabs) or an .xlsx or .ods workbook, long (partnership, indicator, grade) or wide "
                   "(partnership and a column per indicator)")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of the --grades workbook to read (default: the first)")


def _running_options(p) -> None:
    from analysis.pipeline.execute import DEFAULT_TIMEOUT

    p.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit of one notebook; a kernel still running then is stopped and killed, and that "
                        f"notebook fails (default: {DEFAULT_TIMEOUT})")
    p.add_argument("--wait", action="store_true", help="if another review build, run or check is using the output "
                   "folder, wait for it (default: stop with a message)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="review", description="Review of joint inspections of services for "
                                     "children and young people, Scotland 2012-2017.")
    parser.add_argument("--project", metavar="DIR", help="the project checkout (data/, notebooks/, reports/); "
                        "default: the checkout the package was installed from, or the one around the current folder")
    from analysis import __version__

    parser.add_argument("--version", action="version", version=f"review (cpp-inspections-review) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", metavar="DIR", help="the data package (a folder laid out as data/: datapackage.json, "
                      "reference/, record/); its reference tables define the partnerships, indicators, period "
                      "groups and grade scale (default: data/ of the checkout)")
    p = sub.add_parser("list", parents=[data], help="partnerships with slug, period group and aliases")
    p.add_argument("--csv", action="store_true", help="machine-readable CSV on standard output")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("statements", parents=[data], help="the review's statements checked against the data")
    p.add_argument("--csv", action="store_true", help="machine-readable CSV on standard output")
    _grades_options(p, "a complete grade table instead of the public record")
    p.add_argument("--assume", metavar="FACTS", help="a CSV of hypothetical facts laid out as "
                   "record/cell_grades.csv or record/area_grade_counts.csv (source_id: a source, or 'assumption'), "
                   "added to the public record for this run only: shows every verdict, range, possible grade and "
                   "trend bound that changes, before and after; nothing is written")
    p.set_defaults(func=_cmd_statements)
    p = sub.add_parser("build", parents=[data], help="run every notebook (national, period groups, partnerships, "
                       "statements) into reports/")
    p.add_argument("--out", help="output folder (default: reports/)")
    _grades_options(p, "a complete grade table instead of the public record")
    p.add_argument("--jobs", type=_count, default=None, help="notebooks run at once (default: the number of cores)")
    p.add_argument("--force", action="store_true", help="rebuild every notebook, even unchanged ones, computing "
                   "every result again (the results cache is not trusted)")
    _running_options(p)
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("run", parents=[data], help="run one notebook, with the same outputs as the build")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--partnership", metavar="NAME", help="a partnership, by name or alias")
    which.add_argument("--period-group", metavar="GROUP", help="pre-2014, 2014-16 or post-2016")
    which.add_argument("--national", action="store_true", help="the national review")
    which.add_argument("--statements", action="store_true", help="the statements reconciliation")
    p.add_argument("--out", help="output folder (default: reports/)")
    _grades_options(p, "a complete grade table instead of the public record")
    p.add_argument("--force", action="store_true", help="run even if unchanged since the last run, computing "
                   "every result again (the results cache is not trusted)")
    _running_options(p)
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("check", parents=[data], help="rebuild into a temporary folder and compare with the published "
                       "reports/ (exit 1 if anything differs); never modifies reports/")
    p.add_argument("--reports", help="the published folder to check (default: reports/)")
    _grades_options(p, "the complete grade table the published set was built from, if any")
    p.add_argument("--jobs", type=_count, default=None, help="notebooks run at once (default: the number of cores)")
    from analysis.pipeline.check import DEFAULT_ATOL, DEFAULT_RTOL, DEFAULT_TOL

    p.add_argument("--tol", type=_tolerance, default=DEFAULT_TOL, help="RMS tolerance for PNG images, 0-255 scale "
                   f"(default: {DEFAULT_TOL})")
    p.add_argument("--rtol", type=_tolerance, default=DEFAULT_RTOL, help="relative tolerance for floats in tables "
                   f"(default: {DEFAULT_RTOL:g}); integers and text are compared exactly")
    p.add_argument("--atol", type=_tolerance, default=DEFAULT_ATOL, help=f"absolute tolerance for floats in tables "
                   f"(default: {DEFAULT_ATOL:g})")
    p.add_argument("--all", action="store_true", help="list every output, not only those that differ")
    _running_options(p)
    since = p.add_mutually_exclusive_group()
    since.add_argument("--since", metavar="COMMIT", help="no rebuild: list the outputs whose published files "
                       "changed since COMMIT's published set, and why")
    since.add_argument("--against", metavar="MANIFEST", help="as --since, against a manifest file")
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("release", help="cut a release: the version and its date into the package, citation and "
                       "changelog, the published set rebuilt, its record in releases/, a commit and the tag vVERSION "
                       "(refuses a tree with uncommitted changes)")
    p.add_argument("version", metavar="VERSION", help="MAJOR.MINOR.PATCH, above every earlier release")
    p.add_argument("--date", help="the release date, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--jobs", type=_count, default=None, help="notebooks run at once (default: the number of cores)")
    p.set_defaults(func=_cmd_release)
    args = parser.parse_args(argv)
    if args.project:
        import os

        os.environ["REVIEW_PROJECT"] = args.project
    from analysis.config import ProjectNotFound, find_project

    try:
        find_project()
    except ProjectNotFound as exc:
        print(f"review: {exc}", file=sys.stderr)
        return 2
    from analysis.errors import ReviewError

    try:
        from analysis.domain.package import use

        use(getattr(args, "data", None))  # before any name is matched: the domain is the data package's
        return args.func(args)
    except KeyboardInterrupt as exc:
        import signal

        signum = getattr(exc, "signum", signal.SIGINT)
        how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
        print(f"\nreview: {how}. Kernels, workers and staging folders were stopped and removed; notebooks that "
              "finished are installed and listed in manifest.json, and nothing half-written was kept. Run the "
              "same command again to finish.", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:  # e.g. `review list | head`
        sys.stderr.close()
        return 0
    except ReviewError as exc:  # bad input or use: the message says what to do
        print(f"review: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - anything else is a bug in the package, shown as one
        import traceback

        traceback.print_exc()
        print(f"review {args.command}: crashed (exit {CRASHED}); this is a bug in the package, not a problem with "
              "the input or a difference in the outputs. Please report it with the traceback above.", file=sys.stderr)
        return CRASHED


#: Exit status when the command itself fails with an unexpected error (a bug), as distinct from 1
#: (notebooks failed, or outputs differ) and 2 (bad input).
CRASHED = 3


if __name__ == "__main__":
    sys.exit(main())
