"""Run directories and the reports made from them.

The pytest plugin collects (results.json, commands.json in reports/<UTC timestamp>/); this
package renders them with plain functions, re-runnable on any run directory:

  rundir   new_run_dir, point_latest, write_json: the run directory itself
  model    load_run: a run directory as typed data (a corrupt or unfinished run is a value, not an exception)
  diff     find_previous, compare: what changed since the previous run of the same site and markers
  summary  count, verdict: the one-line verdict
  render   render_report, write_report: report.html (with the contract latency table and the notification's outcome)
  topology topology_of (the plugin stores it in results.json), render_topology_svg: the lab's picture
  index    render_index, write_index, prune: index.html over all runs, and retention
  bench    measure: render time and size of a run's report, and of an index over 365 nights
  python -m conformance.report RUN_DIR | --index REPORTS_DIR
  python -m conformance.report.bench RUN_DIR
"""
from __future__ import annotations

from .rundir import LATEST, new_run_dir, point_latest, write_json  # noqa: F401  (the plugin's API, unchanged)
from .model import load_run  # noqa: F401
from .render import render_report, write_report  # noqa: F401
from .index import prune, render_index, write_index  # noqa: F401
