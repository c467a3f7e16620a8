"""`python -m lab demo` (`make demo`): boot the twin, run the whole suite in it, print where the report is, and
how long its report and an index of a year of such runs take to make (conformance/report/bench.py)."""
from __future__ import annotations

import time
from collections import Counter

from conformance.report import bench, load_run
from conformance.report.summary import round_trips_said

from . import api, paths, topology as topo


def demo(edition: str | None = None) -> int:
    """Boot the edition (default: the one that is up, else the founding one), run its suite."""
    from .edition import current
    started = time.monotonic()
    timings = api.up(edition=edition or current())
    suite_started = time.monotonic()
    status = api.run_suite(api.default_suite_args())
    suite_seconds = time.monotonic() - suite_started
    run = (paths.ROOT / "reports" / "latest").resolve()
    results = load_run(run, evidence=False)
    statuses = Counter(c.status for c in results.checks)
    print("\n== demo ==")
    print(f"twin up:            {timings['twin_up']:.1f} s")
    print(f"LiteLLM ready:      {timings['mini:litellm-orch.service']:.1f} s after start "
          f"(http://{topo.host('mini').address}:4000/health/readiness)")
    print(f"suite wall time:    {suite_seconds:.1f} s (ssh login + pytest inside mini, as the owner user)")
    print("sent:               " + "; ".join(round_trips_said(h, s) for h, s in results.hosts.items()))
    print("checks:             " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    contract = results.contract
    if contract and contract.routes:
        slowest = max(contract.routes, key=lambda r: r.route_seconds or 0)
        print(f"contract:           {len(contract.routes)} routes in {contract.wall_seconds:.2f} s, concurrently "
              f"(slowest: {slowest.route} {slowest.route_seconds:.2f} s); latency per route in the report")
    print(f"report:             {run / 'report.html'}")
    print(f"total:              {time.monotonic() - started:.1f} s")
    print(f"\n== benchmark of the report and the index (printed, never asserted; {bench.NIGHTS} synthetic nights "
          "made from this run) ==")
    for line in bench.measure(run).lines():
        print(line)
    print("the twin is still up: `python -m lab status`, `python -m lab exec mini -- ...`; "
          "take it down with `make down` (python -m lab down)")
    return status
