"""The ``review`` command: argument parsing only; the work is in the library."""

from __future__ import annotations

import argparse
import sys


def _cmd_list(args) -> int:
    from . import areas

    table = areas.partnership_table()
    width = max(map(len, table["partnership"]))
    for rec in table.itertuples():
        aliases = ", ".join(rec.aliases)
        print(f"{rec.partnership:<{width}}  {rec.slug:<22} {rec.period_group:<10} {aliases}")
    return 0


def _cmd_statements(args) -> int:
    import pandas as pd

    from .build import review_tables

    tables, basis = review_tables(args.grades)
    frame = tables["statements"]
    if args.csv:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"The review's statements checked against the {basis}.")
    print("Range: the count over every table consistent with the rest of the record.\n")
    with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.max_rows", 500):
        print(frame[["statement_id", "scope", "grades", "comparator", "value", "value_max", "min", "max",
                     "verdict"]].to_string(index=False))
    conflicts = tables["conflicts"]
    if len(conflicts):
        print("\nConflicts in the record (rows that cannot all hold; set-aside rows are not used for ranges):")
        for n, part in conflicts.groupby("conflict"):
            print(f"  conflict {n}:")
            for rec in part.itertuples():
                flag = " [set aside]" if rec.set_aside else ""
                print(f"    - {rec.label} ({rec.source_id}){flag}: \"{rec.quote}\"")
    return 0


def _cmd_build(args) -> int:
    from .build import build_tables

    manifest = build_tables(args.out, args.grades)
    print(f"built: tables and {manifest}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="review", description="Review of joint inspections of services for "
                                     "children and young people, Scotland 2012-2017.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="partnerships with slug, period group and aliases")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("statements", help="the review's statements checked against the data")
    p.add_argument("--csv", action="store_true", help="machine-readable CSV on standard output")
    p.add_argument("--grades", help="a complete grade table (CSV) instead of the public record")
    p.set_defaults(func=_cmd_statements)
    p = sub.add_parser("build", help="build the report tables into reports/")
    p.add_argument("--out", help="output folder (default: reports/)")
    p.add_argument("--grades", help="a complete grade table (CSV) instead of the public record")
    p.set_defaults(func=_cmd_build)
    args = parser.parse_args(argv)
    from .validate import ValidationError

    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `review list | head`
        sys.stderr.close()
        return 0
    except ValidationError as exc:
        print(f"review: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
