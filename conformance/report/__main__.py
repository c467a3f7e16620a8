"""python -m conformance.report RUN_DIR            (re)write RUN_DIR/report.html
python -m conformance.report --index REPORTS_DIR  (re)write REPORTS_DIR/index.html
python -m conformance.report --index REPORTS_DIR --prune-days 30
                                                  first remove run directories older than 30 days
                                                  (never the one `latest` points to): for the nightly job
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .index import list_runs, prune, write_index
from .diff import compare
from .render import REPORT, load_with_previous, render_report
from .rundir import write_text_atomic
from .summary import verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report",
                                     description="Render a run directory's report.html, or a reports directory's index.html.")
    parser.add_argument("run_dir", nargs="?", type=Path, help="a run directory (reports/<UTC stamp>/ or reports/latest)")
    parser.add_argument("--index", metavar="REPORTS_DIR", type=Path, help="write REPORTS_DIR/index.html over its runs")
    parser.add_argument("--prune-days", metavar="DAYS", type=int,
                        help="with --index: first remove run directories older than DAYS (the nightly job's retention)")
    args = parser.parse_args(argv)
    if (args.run_dir is None) == (args.index is None):
        parser.error("give either RUN_DIR or --index REPORTS_DIR")
    if args.prune_days is not None and args.index is None:
        parser.error("--prune-days goes with --index")
    if args.index is not None:
        if not args.index.is_dir():
            parser.error(f"{args.index}: not a directory")
        if args.prune_days is not None:
            for path in prune(args.index, keep_days=args.prune_days):
                print(f"removed {path}")
        runs = list_runs(args.index)
        out = write_index(args.index, runs)
        print(f"{out} ({len(runs)} runs, {sum(1 for r in runs if not r.complete)} unreadable)")
        return 0
    if not args.run_dir.is_dir():
        parser.error(f"{args.run_dir}: not a directory")
    run, previous = load_with_previous(args.run_dir)
    out = run.path / REPORT
    write_text_atomic(out, render_report(run, previous))
    print(f"{out}: {verdict(run, compare(previous, run)).text}")
    return 0 if run.complete else 1


if __name__ == "__main__":
    sys.exit(main())
